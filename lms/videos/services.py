"""Actions on videos: create from an upload, queue and run the transcode."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.people.models import Employee

from . import transcoding
from .models import Rendition, Video
from .storage import HLS_ROOT, local_path, video_storage

logger = logging.getLogger(__name__)


def video_create(
    *, owner: Employee, title: str, source: str, original_filename: str, size_bytes: int
) -> Video:
    """Record an uploaded source (already in storage) and queue it for transcoding."""
    with transaction.atomic():
        video = Video.objects.create(
            owner=owner,
            title=title.strip()[:255] or original_filename[:255],
            source=source,
            original_filename=original_filename[:255],
            size_bytes=size_bytes,
        )
        video_submit(video=video)
    return video


def video_submit(*, video: Video) -> Video:
    """Queue a (re-)transcode. The task is sent only once the row is committed, so a worker
    never looks for a video that is not there yet."""
    job_id = uuid.uuid4()
    with transaction.atomic():
        Video.objects.filter(pk=video.pk).update(
            status=Video.Status.QUEUED,
            job_id=job_id,
            attempts=0,
            progress_percent=0,
            failure_reason="",
            queued_at=timezone.now(),
        )
        transaction.on_commit(lambda: _enqueue(video.pk, job_id))
    video.refresh_from_db()
    return video


def _enqueue(video_id: int, job_id: uuid.UUID) -> None:
    """Send the transcode message. With the broker down the upload still succeeds: the
    video stays queued with no ``queued_at`` (not on the broker), for the sweep to send."""
    from .tasks import transcode

    try:
        transcode.delay(video_id, str(job_id))
    except Exception:  # kombu raises many kinds of connection errors
        logger.exception("could not queue transcode", extra={"video_id": video_id})
        Video.objects.filter(pk=video_id, job_id=job_id).update(queued_at=None)


def videos_requeue(*, stale_after_seconds: int) -> int:
    """Send again the transcodes still queued that no worker will get: those the broker was
    down for, and those queued longer than ``stale_after_seconds`` (a message the broker
    lost). A copy of a job that runs after it finished is skipped."""
    from .tasks import transcode

    cutoff = timezone.now() - dt.timedelta(seconds=stale_after_seconds)
    waiting = Video.objects.filter(status=Video.Status.QUEUED, job_id__isnull=False).filter(
        Q(queued_at__isnull=True) | Q(queued_at__lt=cutoff)
    )
    sent = 0
    for video_id, job_id in waiting.values_list("pk", "job_id")[:500]:
        try:
            transcode.delay(video_id, str(job_id))
        except Exception:  # still no broker: the next sweep tries again
            logger.exception("could not queue transcode", extra={"video_id": video_id})
            break
        Video.objects.filter(pk=video_id, job_id=job_id).update(queued_at=timezone.now())
        sent += 1
    return sent


# --- Transcoding ----------------------------------------------------------------------

PROGRESS_EVERY_SECONDS = 2.0


class TransientError(Exception):
    """Worth a retry: storage or database briefly unreachable, disk full."""


def _claim(video_id: int, job_id: uuid.UUID) -> Video | None:
    """Take the job if it is still the video's current one; None when it is superseded by a
    newer submit or already finished (a re-delivered message)."""
    with transaction.atomic():
        video = Video.objects.select_for_update().filter(pk=video_id).first()
        if video is None or video.job_id != job_id:
            return None
        video.status = Video.Status.TRANSCODING
        video.attempts += 1
        video.save(update_fields=["status", "attempts", "updated_at"])
    return video


def _update_job(video_id: int, job: uuid.UUID, /, **fields: Any) -> int:
    # Filtered on the job: a superseded job never overwrites its successor's state.
    return Video.objects.filter(pk=video_id, job_id=job).update(updated_at=timezone.now(), **fields)


def _fail(video_id: int, job_id: uuid.UUID, reason: str) -> None:
    logger.info("video failed", extra={"video_id": video_id, "reason": reason})
    _update_job(
        video_id, job_id, status=Video.Status.FAILED, failure_reason=reason[:2000], job_id=None
    )


def _sha256_and_local_copy(storage: Any, name: str, workdir: Path) -> tuple[Path, str, int]:
    """Hash the source while making sure ffmpeg can read it from local disk: the file in
    place on local storage, a streamed download from S3."""
    digest = hashlib.sha256()
    size = 0
    path = local_path(name, storage)
    if path is not None:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1024 * 1024), b""):
                digest.update(block)
                size += len(block)
        return path, digest.hexdigest(), size
    target = workdir / ("source" + Path(name).suffix.lower()[:10])
    with storage.open(name, "rb") as src, open(target, "wb") as dst:
        for block in iter(lambda: src.read(1024 * 1024), b""):
            digest.update(block)
            size += len(block)
            dst.write(block)
    return target, digest.hexdigest(), size


_CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".jpg": "image/jpeg",
}


def _publish(storage: Any, out: Path, prefix: str) -> None:
    """Copy the ladder into storage. Names are fixed by the job, so a re-run after a crash
    overwrites what a previous attempt left half-written."""
    for path in sorted(out.rglob("*")):
        if not path.is_file() or path.suffix not in _CONTENT_TYPES:
            continue
        name = prefix + path.relative_to(out).as_posix()
        if storage.exists(name):
            storage.delete(name)
        with open(path, "rb") as fh:
            content = File(fh, name=path.name)
            content.content_type = _CONTENT_TYPES[path.suffix]  # type: ignore[attr-defined]
            saved = storage.save(name, content)
        if saved != name:  # pragma: no cover - storage renamed a file the playlists name
            raise TransientError(f"storage saved {name} as {saved}")


def _delete_ladder(prefix: str) -> None:
    """Remove a ladder no video plays any more (a deduplicated ladder may be shared)."""
    if not prefix or Video.objects.filter(hls_prefix=prefix).exists():
        return
    _delete_tree(video_storage(), prefix)


def _delete_tree(storage: Any, prefix: str) -> None:
    try:
        dirs, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in files:
        storage.delete(prefix + name)
    for sub in dirs:
        _delete_tree(storage, f"{prefix}{sub}/")


def _swap_in(
    video_id: int,
    job_id: uuid.UUID,
    *,
    renditions: list[Rendition],
    checksum: str,
    size: int,
    **ladder: Any,
) -> bool:
    """Make a ladder the one playing, in one transaction: its renditions (unsaved rows) and
    its fields (hls_prefix, poster, thumbnails, duration, size as displayed, has_audio).
    The old ladder is deleted only after the commit, so a viewer mid-video keeps their
    segments until then. False when the job was superseded while it ran."""
    with transaction.atomic():
        video = Video.objects.select_for_update().filter(pk=video_id, job_id=job_id).first()
        if video is None:
            return False
        old_prefix = video.hls_prefix
        video.renditions.all().delete()
        for rendition in renditions:
            rendition.video = video
        Rendition.objects.bulk_create(renditions)
        for field, value in ladder.items():
            setattr(video, field, value)
        video.checksum, video.encoded_checksum, video.size_bytes = checksum, checksum, size
        video.status, video.progress_percent, video.failure_reason = Video.Status.READY, 100, ""
        video.job_id, video.transcoded_at = None, timezone.now()
        video.save()
        if old_prefix and old_prefix != video.hls_prefix:
            transaction.on_commit(lambda: _delete_ladder(old_prefix))
    return True


def _reuse_ladder(video_id: int, job_id: uuid.UUID, checksum: str, size: int) -> bool:
    """The same source was already transcoded (another upload of the same file): point this
    video at that ladder instead of transcoding it again."""
    twin = (
        Video.objects.filter(encoded_checksum=checksum)
        .exclude(hls_prefix="")
        .exclude(pk=video_id)
        .prefetch_related("renditions")
        .first()
    )
    if twin is None:
        return False
    _swap_in(
        video_id, job_id, checksum=checksum, size=size,
        renditions=[
            Rendition(height=r.height, width=r.width, bitrate=r.bitrate,
                      playlist_path=r.playlist_path)
            for r in twin.renditions.all()
        ],
        **{field: getattr(twin, field) for field in (
            "hls_prefix", "poster", "thumbnails", "duration_seconds", "width", "height",
            "has_audio",
        )},
    )  # fmt: skip
    logger.info("video ladder reused", extra={"video_id": video_id, "twin_id": twin.pk})
    return True


def video_transcode(*, video_id: int, job_id: str, preset: str | None = None) -> str:
    """Run one transcode job to the end: probe, one ffmpeg process for the whole ladder,
    copy to storage, swap the new ladder in. Returns what happened ("ready", "failed",
    "reused", "skipped"). Safe to run again after a crash: a finished or superseded job is
    skipped, an unfinished one starts over and overwrites its own files.

    Raises TransientError for what a retry may fix.
    """
    job = uuid.UUID(job_id)
    video = _claim(video_id, job)
    if video is None:
        return "skipped"
    storage = video_storage()
    with tempfile.TemporaryDirectory(prefix=f"sinau-video-{video_id}-") as tmp:
        workdir = Path(tmp)
        try:
            src, checksum, size = _sha256_and_local_copy(storage, video.source, workdir)
        except FileNotFoundError:
            _fail(video_id, job, _("Berkas sumber video tidak ditemukan; unggah ulang videonya."))
            return "failed"
        except (OSError, BotoCoreError, ClientError) as exc:
            raise TransientError(str(exc)) from exc
        if _reuse_ladder(video_id, job, checksum, size):
            return "reused"
        try:
            source = transcoding.probe(src)
        except transcoding.UnusableSource as exc:
            _fail(video_id, job, str(exc))
            return "failed"
        rungs = transcoding.ladder_for(source)
        out = workdir / "out"
        (out / "thumbs").mkdir(parents=True)
        args = transcoding.build_command(src, out, source, rungs, preset=preset)
        last = {"at": 0.0, "percent": -1}

        def progress(percent: int) -> None:
            now = time.monotonic()
            if percent != last["percent"] and now - last["at"] >= PROGRESS_EVERY_SECONDS:
                last.update(at=now, percent=percent)
                _update_job(video_id, job, progress_percent=percent)

        _update_job(video_id, job, duration_seconds=round(source.duration, 3))
        try:
            transcoding.run(
                args, duration=source.duration, log_path=workdir / "ffmpeg.log",
                on_progress=progress,
            )  # fmt: skip
        except transcoding.TranscodeFailed as exc:
            _fail(video_id, job, str(exc))
            return "failed"
        except OSError as exc:  # ffmpeg missing or the disk full: an operator fixes it
            raise TransientError(str(exc)) from exc
        prefix = f"{HLS_ROOT}/{video_id}/{job.hex}/"
        try:
            _publish(storage, out, prefix)
        except (OSError, BotoCoreError, ClientError) as exc:
            raise TransientError(str(exc)) from exc
        thumbnails = [
            prefix + p.relative_to(out).as_posix() for p in sorted((out / "thumbs").glob("*.jpg"))
        ]
        poster = prefix + "poster.jpg" if (out / "poster.jpg").exists() else ""
        swapped = _swap_in(
            video_id, job, checksum=checksum, size=size,
            renditions=[
                Rendition(height=r.height, width=r.width,
                          bitrate=r.video_bitrate + r.audio_bitrate,
                          playlist_path=f"{prefix}{r.name}/index.m3u8")
                for r in rungs
            ],
            hls_prefix=prefix, poster=poster, thumbnails=thumbnails,
            duration_seconds=round(source.duration, 3), width=source.width,
            height=source.height, has_audio=source.has_audio,
        )  # fmt: skip
    if not swapped:
        _delete_ladder(prefix)
        return "skipped"
    logger.info("video ready", extra={"video_id": video_id, "rungs": len(rungs)})
    return "ready"


def video_transcode_give_up(*, video_id: int, job_id: str, error: str) -> None:
    """After the last retry (or an unexpected error): failed, with a reason the instructor
    can act on. Only if the job is still the current one."""
    _fail(
        video_id,
        uuid.UUID(job_id),
        _(
            "Video belum dapat diproses karena gangguan penyimpanan atau server. "
            "Coba proses ulang nanti; bila terus gagal, hubungi admin."
        ),
    )
    logger.error("transcode gave up", extra={"video_id": video_id, "error": error})


def video_files_remove(*, hls_prefix: str, source: str) -> None:
    """Remove a deleted video's files that no remaining video uses."""
    _delete_ladder(hls_prefix)
    if source and not Video.objects.filter(source=source).exists():
        storage = video_storage()
        if storage.exists(source):
            storage.delete(source)
