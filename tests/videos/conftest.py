from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files import File

from lms.videos.models import Video
from lms.videos.services import video_transcode
from lms.videos.storage import SOURCE_ROOT, video_storage
from tests.videos.clips import make_clip


def store_source(path: Path, *, title: str = "Video uji", owner: Any = None) -> Video:
    """Put a clip into the default storage as an upload would, and open a transcode job
    on it (without sending the Celery message: tests run the job themselves)."""
    name = f"{SOURCE_ROOT}/{uuid.uuid4().hex}/{path.name}"
    with open(path, "rb") as fh:
        name = video_storage().save(name, File(fh))
    return Video.objects.create(
        title=title, owner=owner, source=name, original_filename=path.name,
        size_bytes=path.stat().st_size, status=Video.Status.QUEUED, job_id=uuid.uuid4(),
    )  # fmt: skip


def transcode_now(video: Video) -> str:
    """Run the video's open job in this process, with the fastest x264 preset."""
    assert video.job_id is not None
    result = video_transcode(video_id=video.pk, job_id=str(video.job_id), preset="ultrafast")
    video.refresh_from_db()
    return result


@pytest.fixture
def clip(tmp_path: Path) -> Callable[..., Path]:
    """make_clip into the test's temporary folder: clip("a.mp4", width=..., ...)."""
    return lambda name="clip.mp4", **kw: make_clip(tmp_path / name, **kw)


@pytest.fixture
def ready_video(db: None, tmp_path: Path) -> Video:
    """A 4-second 640x360 clip with sound, transcoded for real (240p and 360p rungs) into
    the current default storage (local media, or S3 when the test also asks for on_s3)."""
    video = store_source(make_clip(tmp_path / "kuliah.mp4", seconds=4), title="Kuliah uji")
    assert transcode_now(video) == "ready", video.failure_reason
    return video
