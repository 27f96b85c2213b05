"""The transcoding pipeline with real ffmpeg on small generated clips."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import av
import pytest

from lms.videos import transcoding
from lms.videos.models import Video
from lms.videos.services import video_submit
from lms.videos.storage import video_storage
from tests.videos.clips import make_clip, make_marked_portrait_clip
from tests.videos.conftest import store_source, transcode_now

pytestmark = pytest.mark.django_db


def read(name: str) -> str:
    with video_storage().open(name, "rb") as fh:
        return fh.read().decode()


def master_variants(video: Video) -> list[dict[str, str]]:
    """The master playlist's variants: attributes of each EXT-X-STREAM-INF and its URI."""
    lines = [line for line in read(video.master_playlist_path()).splitlines() if line]
    assert lines[0] == "#EXTM3U"
    variants = []
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:"):
            attrs = dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', line.split(":", 1)[1]))
            attrs["URI"] = lines[i + 1]
            variants.append(attrs)
    return variants


def first_frame(name: str) -> Any:
    with video_storage().open(name, "rb") as fh:
        container = av.open(fh, "r")
        frame = next(container.decode(video=0))
        streams = (len(container.streams.video), len(container.streams.audio))
        container.close()
    return frame, streams


def pixel(frame: Any, x: int, y: int) -> tuple[int, ...]:
    rgb = frame.reformat(format="rgb24")
    plane = bytes(rgb.planes[0])
    offset = y * rgb.planes[0].line_size + x * 3
    return tuple(plane[offset : offset + 3])


def test_360p_source_gets_the_240p_and_360p_rungs_and_a_valid_master(tmp_path: Path) -> None:
    video = store_source(make_clip(tmp_path / "a.mp4", width=640, height=360, seconds=8))
    assert transcode_now(video) == "ready"
    assert (video.status, video.progress_percent, video.failure_reason) == ("ready", 100, "")
    assert (video.width, video.height, video.has_audio) == (640, 360, True)
    assert video.duration_seconds == pytest.approx(8, abs=0.1)
    assert len(video.checksum) == 64
    assert video.encoded_checksum == video.checksum

    rungs = [(r.width, r.height) for r in video.renditions.order_by("height")]
    assert rungs == [(426, 240), (640, 360)]  # nothing above the source
    variants = master_variants(video)
    assert [v["RESOLUTION"] for v in variants] == ["426x240", "640x360"]
    for variant in variants:
        assert int(variant["BANDWIDTH"]) > 0
        assert re.fullmatch(r'"avc1\.[0-9a-f]{6},mp4a\.40\.2"', variant["CODECS"])
        media = read(video.hls_prefix + variant["URI"]).splitlines()
        assert "#EXT-X-ENDLIST" in media
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in media
        durations = [float(line[8:].rstrip(",")) for line in media if line.startswith("#EXTINF")]
        assert durations == [pytest.approx(6, abs=0.1), pytest.approx(2, abs=0.1)]
        segments = [line for line in media if line.endswith(".ts")]
        folder = video.hls_prefix + variant["URI"].rsplit("/", 1)[0] + "/"
        assert all(video_storage().exists(folder + s) for s in segments)
    frame, streams = first_frame(video.hls_prefix + "360p/seg_00000.ts")
    assert (frame.width, frame.height, streams) == (640, 360, (1, 1))
    assert video_storage().exists(video.poster)
    assert video.thumbnails
    assert all(video_storage().exists(t) for t in video.thumbnails)


def test_1080p_source_gets_the_whole_ladder(tmp_path: Path) -> None:
    video = store_source(make_clip(tmp_path / "hd.mp4", width=1920, height=1080, seconds=1))
    assert transcode_now(video) == "ready"
    heights = list(video.renditions.order_by("height").values_list("height", flat=True))
    assert heights == [240, 360, 480, 720, 1080]
    assert [v["RESOLUTION"] for v in master_variants(video)] == [
        "426x240", "640x360", "854x480", "1280x720", "1920x1080",
    ]  # fmt: skip
    frame, _streams = first_frame(video.hls_prefix + "1080p/seg_00000.ts")
    assert (frame.width, frame.height) == (1920, 1080)


def test_a_tiny_source_gets_one_rung_at_its_own_size(tmp_path: Path) -> None:
    video = store_source(make_clip(tmp_path / "tiny.mp4", width=320, height=180, seconds=1))
    assert transcode_now(video) == "ready"
    assert [(r.width, r.height) for r in video.renditions.all()] == [(320, 180)]


def test_a_portrait_phone_clip_comes_out_upright(tmp_path: Path) -> None:
    # Stored sideways with rotation metadata; the picture is red on top, blue below.
    video = store_source(make_marked_portrait_clip(tmp_path / "hp.mp4"))
    assert transcode_now(video) == "ready"
    assert (video.width, video.height) == (360, 640)
    rungs = [(r.width, r.height) for r in video.renditions.order_by("height")]
    assert rungs == [(240, 426), (360, 640)]  # the short side names the rung
    frame, _streams = first_frame(video.hls_prefix + "360p/seg_00000.ts")
    assert (frame.width, frame.height) == (360, 640)
    red, blue = pixel(frame, 180, 40), pixel(frame, 180, 600)
    assert (red[0] > 200, red[2] < 60) == (True, True), red
    assert (blue[2] > 200, blue[0] < 60) == (True, True), blue


def test_a_clip_without_audio_works(tmp_path: Path) -> None:
    video = store_source(make_clip(tmp_path / "mute.mp4", audio=False, seconds=2))
    assert transcode_now(video) == "ready"
    assert video.has_audio is False
    assert all(v["CODECS"].startswith('"avc1.') and "mp4a" not in v["CODECS"]
               for v in master_variants(video))  # fmt: skip
    _frame, streams = first_frame(video.hls_prefix + "240p/seg_00000.ts")
    assert streams == (1, 0)


def test_variable_frame_rate_comes_out_constant(tmp_path: Path) -> None:
    video = store_source(make_clip(tmp_path / "vfr.mp4", vfr=True, seconds=3))
    assert transcode_now(video) == "ready"
    with video_storage().open(video.hls_prefix + "240p/seg_00000.ts", "rb") as fh:
        container = av.open(fh, "r")
        times = [float(f.time) for f in container.decode(video=0)]
        container.close()
    # One frame every 1/fps seconds, at the source's average rate: no gaps, no doubles.
    steps = {round(b - a, 3) for a, b in zip(times, times[1:], strict=False)}
    assert len(steps) == 1
    fps = 1 / steps.pop()
    assert 15 < fps <= 30
    assert len(times) == pytest.approx(3 * fps, abs=2)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"Ini bukan video, hanya teks.\n" * 100, "bukan video"),
        (b"", "bukan video"),
    ],
)
def test_what_is_not_a_video_ends_failed_with_its_reason(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    bad = tmp_path / "materi.mp4"
    bad.write_bytes(content)
    video = store_source(bad)
    assert transcode_now(video) == "failed"
    assert video.status == "failed"
    assert reason in video.failure_reason
    assert not video.is_playable
    assert not video.renditions.exists()


def test_a_truncated_upload_ends_failed_with_its_reason(tmp_path: Path) -> None:
    good = make_clip(tmp_path / "full.mp4", seconds=3)
    cut = tmp_path / "putus.mp4"
    cut.write_bytes(good.read_bytes()[:3000])  # the upload broke off early
    video = store_source(cut)
    assert transcode_now(video) == "failed"
    assert video.failure_reason
    assert "ffmpeg" not in video.failure_reason.split(":")[0]


def test_sound_only_is_refused_with_its_reason(tmp_path: Path) -> None:
    sound = tmp_path / "suara.m4a"
    transcoding_args = ["-f", "lavfi", "-i", "sine=d=2", "-c:a", "aac", str(sound)]
    from tests.videos.clips import _ffmpeg

    _ffmpeg(*transcoding_args)
    video = store_source(sound)
    assert transcode_now(video) == "failed"
    assert "hanya suara" in video.failure_reason


def test_progress_is_reported_while_ffmpeg_runs(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "p.mp4", width=640, height=360, seconds=6)
    source = transcoding.probe(src)
    out = tmp_path / "out"
    (out / "thumbs").mkdir(parents=True)
    seen: list[int] = []
    args = transcoding.build_command(src, out, source, transcoding.ladder_for(source))
    log = tmp_path / "ffmpeg.log"
    transcoding.run(args, duration=source.duration, log_path=log, on_progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] >= 90
    assert len(set(seen)) >= 2


def test_the_same_source_is_transcoded_once(
    tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    src = make_clip(tmp_path / "sama.mp4", seconds=2)
    first = store_source(src, title="Unggahan pertama")
    assert transcode_now(first) == "ready"
    second = store_source(src, title="Unggahan kedua")
    assert transcode_now(second) == "reused"
    assert second.status == "ready"
    assert second.hls_prefix == first.hls_prefix
    assert list(second.renditions.values_list("height", "playlist_path")) == list(
        first.renditions.values_list("height", "playlist_path")
    )
    # Deleting one of the two leaves the other playing; deleting the last removes the files.
    with django_capture_on_commit_callbacks(execute=True):
        second.delete()
    assert video_storage().exists(first.master_playlist_path())
    assert video_storage().exists(first.source)
    with django_capture_on_commit_callbacks(execute=True):
        first.delete()
    assert not video_storage().exists(first.master_playlist_path())
    assert not video_storage().exists(first.source)


def test_a_finished_or_superseded_job_is_not_run_again(tmp_path: Path) -> None:
    video = store_source(make_clip(tmp_path / "a.mp4", seconds=1))
    job = str(video.job_id)
    assert transcode_now(video) == "ready"
    rungs = list(video.renditions.values_list("pk", flat=True))
    # The broker delivers the same message again (a worker died after finishing).
    from lms.videos.services import video_transcode

    assert video_transcode(video_id=video.pk, job_id=job) == "skipped"
    assert list(video.renditions.values_list("pk", flat=True)) == rungs
    assert video_transcode(video_id=video.pk, job_id=str(uuid.uuid4())) == "skipped"


def test_a_failed_re_transcode_leaves_the_previous_ladder_playing(tmp_path: Path) -> None:
    video = store_source(make_clip(tmp_path / "a.mp4", seconds=2))
    assert transcode_now(video) == "ready"
    playing = (video.hls_prefix, list(video.renditions.values_list("playlist_path", flat=True)))
    # The instructor replaces the source with a broken file and asks for a re-transcode.
    storage = video_storage()
    storage.delete(video.source)
    storage.save(video.source, __import__("io").BytesIO(b"rusak" * 1000))
    video = video_submit(video=video)
    assert video.status == "queued"
    assert video.is_playable
    assert transcode_now(video) == "failed"
    assert video.failure_reason
    assert video.is_playable
    assert video.hls_prefix == playing[0]
    assert list(video.renditions.values_list("playlist_path", flat=True)) == playing[1]
    assert storage.exists(video.master_playlist_path())


def test_a_successful_re_transcode_replaces_and_removes_the_old_ladder(
    tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    video = store_source(make_clip(tmp_path / "a.mp4", seconds=1))
    assert transcode_now(video) == "ready"
    old_master = video.master_playlist_path()
    with django_capture_on_commit_callbacks(execute=False):
        video = video_submit(video=video)
    with django_capture_on_commit_callbacks(execute=True):
        assert transcode_now(video) == "ready"
    assert video.master_playlist_path() != old_master
    assert not video_storage().exists(old_master)
    assert video_storage().exists(video.master_playlist_path())


def test_the_ladder_is_written_to_s3(on_s3: Any, tmp_path: Path) -> None:
    from tests.support import BUCKET

    video = store_source(make_clip(tmp_path / "s3.mp4", seconds=2))
    assert transcode_now(video) == "ready"
    keys = {
        o["Key"] for o in on_s3.list_objects_v2(Bucket=BUCKET, Prefix=video.hls_prefix)["Contents"]
    }
    assert video.master_playlist_path() in keys
    assert {r.playlist_path for r in video.renditions.all()} <= keys
    head = on_s3.head_object(Bucket=BUCKET, Key=video.hls_prefix + "240p/seg_00000.ts")
    assert head["ContentType"] == "video/mp2t"
    assert "#EXT-X-STREAM-INF" in read(video.master_playlist_path())


def _block_ladder_folder(video: Video) -> Path:
    """A file where the ladder's folder must go: every write into it fails with an OSError,
    as on a full or unmounted disk."""
    blocker = Path(video_storage().path(f"videos/hls/{video.pk}"))
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_bytes(b"")
    return blocker


def test_a_storage_failure_is_retried_and_the_job_then_finishes(tmp_path: Path) -> None:
    from lms.videos.services import TransientError, video_transcode

    video = store_source(make_clip(tmp_path / "a.mp4", seconds=1))
    blocker = _block_ladder_folder(video)
    with pytest.raises(TransientError):
        video_transcode(video_id=video.pk, job_id=str(video.job_id), preset="ultrafast")
    video.refresh_from_db()
    assert (video.status, video.is_playable) == ("transcoding", False)  # the job stays open
    blocker.unlink()  # the disk is back
    assert transcode_now(video) == "ready"
    assert video.attempts == 2


def test_storage_failing_on_every_retry_ends_failed_with_a_reason(
    tmp_path: Path, settings: Any
) -> None:
    from lms.videos.tasks import transcode

    video = store_source(make_clip(tmp_path / "a.mp4", seconds=1))
    _block_ladder_folder(video)
    settings.SINAU_X264_PRESET = "ultrafast"
    # Eager: Celery runs the retries at once in this process, countdowns skipped; start
    # at the second-to-last retry so the test runs two attempts, not seven.
    last_retry = int(transcode.max_retries or 0) - 1
    result = transcode.apply(args=(video.pk, str(video.job_id)), retries=last_retry)
    assert result.failed()
    video.refresh_from_db()
    assert video.status == "failed"
    assert "gangguan penyimpanan" in video.failure_reason
    assert video.attempts == 2
