"""A transcode job on a real Celery worker survives the worker being killed mid-job."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from lms.videos.models import Video
from lms.videos.storage import HLS_ROOT, video_storage
from lms.videos.tasks import transcode
from tests.support import start_worker, stop_worker, worker_env
from tests.videos.clips import make_clip
from tests.videos.conftest import store_source


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)  # noqa: S607
    return [int(p) for p in out.stdout.split()]


def ffmpeg_running_for(video: Video) -> list[int]:
    """ffmpeg processes working on this video (their temp folder names it)."""
    mark = f"sinau-video-{video.pk}-"
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "ffmpeg" in cmdline and mark in cmdline:
            found.append(int(entry.name))
    return found


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_transcode_finishes_the_job_on_redelivery_exactly_once(
    settings: Any, tmp_path: Path
) -> None:
    from tests.conftest import ensure_wagtail_root

    ensure_wagtail_root()
    video = store_source(make_clip(tmp_path / "kuliah.mp4", width=1280, height=720, seconds=10))
    queue = f"test-transcode-{uuid.uuid4().hex[:8]}"
    worker = start_worker(
        queue, worker_env(settings.MEDIA_ROOT, SINAU_X264_PRESET="ultrafast"), pool="prefork"
    )
    try:
        transcode.apply_async((video.pk, str(video.job_id)), queue=queue)

        def running() -> bool:
            video.refresh_from_db()
            return video.status == "transcoding" and bool(ffmpeg_running_for(video))

        wait_for(running, 120, "the transcode to start")
        # The pool process doing the job dies (the kernel's OOM killer, say).
        (child,) = children(worker.pid)
        os.kill(child, signal.SIGKILL)
        wait_for(lambda: child not in children(worker.pid), 30, "the child to go")

        def done() -> bool:
            video.refresh_from_db()
            return video.status in ("ready", "failed")

        wait_for(done, 240, "the redelivered job to finish")
    finally:
        log = stop_worker(worker)
    assert video.status == "ready", (video.failure_reason, log[-2000:])
    assert video.attempts == 2  # the killed run and the one that finished
    assert "WorkerLostError" in log or "Worker exited prematurely" in log
    # Exactly once: one ladder of four rungs, one job folder in storage, no orphan ffmpeg.
    assert list(video.renditions.values_list("height", flat=True)) == [240, 360, 480, 720]
    job_folders, _files = video_storage().listdir(f"{HLS_ROOT}/{video.pk}/")
    assert job_folders == [video.hls_prefix.rstrip("/").rsplit("/", 1)[1]]
    assert ffmpeg_running_for(video) == []
    assert Video.objects.get(pk=video.pk).job_id is None
