"""Uploads of video sources, several GB each, that never sit whole in memory.

Local storage: the browser sends the file in chunks (``PUT`` with ``Content-Range``) that are
appended to a part file under MEDIA_ROOT; the part file's size is the truth about how much
arrived, so a chunk cut off halfway (a dropped link, a worker killed on timeout) keeps the
bytes it delivered and the browser resumes from there. On completion the part file is moved
into place with ``os.replace``: no copy of a multi-GB file.

S3: the browser sends parts of a multipart upload straight to the bucket through presigned
URLs; Django never sees the bytes. Completion lists the parts on the server side, so the
browser needs no access to the ETag header (no CORS ExposeHeaders).

Either way the finished source lands at ``videos/sources/<upload id>/<safe name>`` before a
Video row exists and a transcode is queued.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import math
import os
import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from lms.people.models import Employee

from . import services
from .models import Rendition, Video, VideoUpload
from .storage import (
    SOURCE_ROOT,
    UPLOAD_ROOT,
    is_s3,
    local_path,
    s3_bucket,
    s3_client,
    s3_key,
    video_storage,
)

MODE_LOCAL = "local"
MODE_S3 = "s3"
MIB = 1024 * 1024
# Bytes read from the request per step while a chunk streams to disk.
READ_BYTES = MIB
# S3's rules for multipart uploads: every part but the last at least 5 MiB, 10,000 parts.
S3_MIN_PART = 5 * MIB
S3_MAX_PARTS = 10_000
# Presigned part URLs: long enough to send one part over a slow rural link, no longer.
PART_URL_TTL = 15 * 60
PART_URLS_MAX = 50
# An open upload with no activity for this long is abandoned (videos_upload_cleanup).
STALE_AFTER = dt.timedelta(hours=24)
# The transcoder has the last word on what is a usable video; this only turns away the
# obviously wrong file (a PDF, a spreadsheet) before gigabytes travel.
VIDEO_EXTENSIONS = frozenset(
    {
        "3g2", "3gp", "asf", "avi", "dv", "f4v", "flv", "m2ts", "m2v", "m4v", "mkv", "mov",
        "mp4", "mpeg", "mpg", "mts", "mxf", "ogv", "qt", "ts", "vob", "webm", "wmv",
    }
)  # fmt: skip
_CONTENT_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


class UploadConflict(ValidationError):
    """The request does not fit the upload's state (wrong offset, a chunk already being
    written, an upload already finished): answered 409 with the offset to resume from."""

    status = 409

    def __init__(self, message: str, *, received: int) -> None:
        super().__init__(message)
        self.received = received


class UploadGone(ValidationError):
    """The upload was abandoned (cancelled, or cleaned up after a day without activity)."""

    status = 410


class UploadStorageError(ValidationError):
    """The storage (the bucket, the disk) refused; nothing about the request is wrong."""

    status = 503


class UploadNoSpace(ValidationError):
    status = 507


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


@dataclass(frozen=True)
class UploadState:
    """What the browser needs to carry on: where to resume and how big each piece is."""

    upload: VideoUpload
    mode: str
    chunk_size: int
    received: int
    # S3: the part numbers already in the bucket (a part is stored whole or not at all).
    parts_done: list[int] = field(default_factory=list)

    @property
    def parts_total(self) -> int:
        return math.ceil(self.upload.size_bytes / self.chunk_size)


# --- reads -------------------------------------------------------------------------------


def upload_mode() -> str:
    return MODE_S3 if is_s3() else MODE_LOCAL


def upload_chunk_size(*, size_bytes: int, mode: str) -> int:
    """Local chunks are at most this big (the browser may send less on a slow link); S3 parts
    are exactly this big, except the last, so that part N always starts at (N-1) * size."""
    chunk = max(settings.SINAU_VIDEO_CHUNK_BYTES, 64 * 1024)
    if mode == MODE_S3:
        needed = math.ceil(size_bytes / S3_MAX_PARTS / MIB) * MIB
        chunk = max(chunk, S3_MIN_PART, needed)
    return chunk


def may_upload(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm("videos.add_video"))


def may_manage_video(user: Any, video: Video) -> bool:
    """Re-transcode: editors with "change video" for every video, uploaders for their own.
    ``has_perm`` answers from the user's cached permissions, so a listing asks no query
    per row."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.has_perm("videos.change_video"):
        return True
    return video.owner_id == user.pk and user.has_perm("videos.add_video")


def upload_get(*, viewer: Employee, upload_id: uuid.UUID) -> VideoUpload:
    """The viewer's own upload; someone else's does not exist for them."""
    return VideoUpload.objects.get(pk=upload_id, owner=viewer)


def upload_state(*, upload: VideoUpload) -> UploadState:
    mode = MODE_S3 if upload.s3_upload_id else MODE_LOCAL
    chunk = upload_chunk_size(size_bytes=upload.size_bytes, mode=mode)
    if upload.status == VideoUpload.Status.COMPLETE:
        done = list(range(1, math.ceil(upload.size_bytes / chunk) + 1)) if mode == MODE_S3 else []
        return UploadState(upload, mode, chunk, upload.size_bytes, done)
    _ensure_open(upload)
    if mode == MODE_S3:
        parts = _s3_parts(upload)
        return UploadState(
            upload, mode, chunk, sum(p["Size"] for p in parts), [p["PartNumber"] for p in parts]
        )
    try:
        received = _part_path(upload).stat().st_size
    except FileNotFoundError:
        raise UploadGone(_("Berkas sementara unggahan ini sudah tidak ada; mulai lagi.")) from None
    return UploadState(upload, mode, chunk, received)


def uploads_open_for(*, viewer: Employee, limit: int = 10) -> list[VideoUpload]:
    """The viewer's unfinished uploads, newest first: shown so they know a resume waits."""
    return list(
        VideoUpload.objects.filter(owner=viewer, status=VideoUpload.Status.OPEN).order_by(
            "-updated_at"
        )[:limit]
    )


def video_admin_queryset() -> QuerySet[Video]:
    """Videos for the admin listing: owner and ladder rungs in two queries per page."""
    return Video.objects.select_related("owner").prefetch_related(
        Prefetch("renditions", queryset=Rendition.objects.only("id", "video_id", "height"))
    )


def s3_connect_origin() -> str | None:
    """The origin the browser sends parts to (for the page's CSP connect-src), taken from a
    presigned URL so that path- and virtual-host-style addressing both come out right."""
    if not is_s3():
        return None
    url = s3_client().generate_presigned_url(
        "upload_part",
        Params={
            "Bucket": s3_bucket(),
            "Key": s3_key(f"{SOURCE_ROOT}/x"),
            "UploadId": "x",
            "PartNumber": 1,
        },
        ExpiresIn=60,
    )
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# --- actions -----------------------------------------------------------------------------


def safe_filename(filename: str) -> str:
    """An ASCII file name for storage paths (and X-Accel-Redirect, S3 keys, shell tools)."""
    base = PurePosixPath(filename.replace("\\", "/")).name
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_ext = re.sub(r"[^a-z0-9]", "", ext.lower())[:8]
    try:
        clean = get_valid_filename(ascii_stem.strip() or "video")[:80].strip("._-")
    except SuspiciousFileOperation:
        clean = ""
    return f"{clean or 'video'}.{ascii_ext or 'bin'}"


def upload_start(
    *, actor: Employee, title: Any, filename: Any, size_bytes: Any, content_type: Any = ""
) -> UploadState:
    """Open an upload: a part file on local storage, a multipart upload on S3."""
    title, filename, size, content_type = _validate_start(
        title=title, filename=filename, size_bytes=size_bytes, content_type=content_type
    )
    mode = upload_mode()
    upload_id = uuid.uuid4()
    if mode == MODE_S3:
        storage_key = f"{SOURCE_ROOT}/{upload_id}/{safe_filename(filename)}"
    else:
        storage_key = f"{UPLOAD_ROOT}/{upload_id}.part"
    upload = VideoUpload(
        id=upload_id, owner=actor, title=title, filename=filename, content_type=content_type,
        size_bytes=size, storage_key=storage_key,
    )  # fmt: skip
    upload.full_clean()
    if mode == MODE_S3:
        # The multipart upload first: a row is only made for something that exists.
        try:
            created = s3_client().create_multipart_upload(
                Bucket=s3_bucket(),
                Key=s3_key(storage_key),
                ContentType=content_type or "application/octet-stream",
            )
        except (BotoCoreError, ClientError) as exc:
            raise _storage_error() from exc
        upload.s3_upload_id = created["UploadId"]
        upload.save()
    else:
        path = _part_path(upload)
        path.parent.mkdir(parents=True, exist_ok=True)
        if shutil.disk_usage(path.parent).free < size:
            raise UploadNoSpace(
                _("Ruang penyimpanan server tidak cukup untuk berkas sebesar %(size)s.")
                % {"size": filesizeformat(size)}
            )
        path.touch(exist_ok=False)
        try:
            upload.save()
        except Exception:
            path.unlink(missing_ok=True)
            raise
    return UploadState(upload, mode, upload_chunk_size(size_bytes=size, mode=mode), 0)


def parse_content_range(header: str) -> tuple[int, int, int]:
    match = _CONTENT_RANGE.match(header.strip())
    if match is None:
        raise ValidationError(
            _("Header Content-Range tidak valid; contoh yang benar: bytes 0-1048575/5000000.")
        )
    start, end, total = (int(g) for g in match.groups())
    return start, end, total


def upload_write_chunk(
    *, upload: VideoUpload, content_range: str, content_length: Any, stream: Readable
) -> int:
    """Append one chunk at the end of the part file; returns the bytes received so far.

    The chunk streams from the request in READ_BYTES steps. An exclusive lock on the part
    file keeps two requests (a retry racing its original) from interleaving their bytes.
    """
    start, end, total = parse_content_range(content_range)
    if upload.s3_upload_id:
        raise ValidationError(_("Unggahan ini dikirim langsung ke penyimpanan S3."))
    if upload.status == VideoUpload.Status.COMPLETE:
        raise UploadConflict(_("Unggahan ini sudah selesai."), received=upload.size_bytes)
    _ensure_open(upload)
    if total != upload.size_bytes:
        raise ValidationError(
            _(
                "Ukuran total di Content-Range (%(total)s) tidak sama dengan ukuran berkas "
                "(%(size)s)."
            )
            % {"total": total, "size": upload.size_bytes}
        )
    if end < start or end >= total:
        raise ValidationError(_("Rentang byte di Content-Range tidak valid."))
    length = end - start + 1
    chunk = upload_chunk_size(size_bytes=upload.size_bytes, mode=MODE_LOCAL)
    if length > chunk:
        raise ValidationError(
            _("Potongan terlalu besar: paling besar %(chunk)s per permintaan.")
            % {"chunk": filesizeformat(chunk)}
        )
    if str(content_length or "").strip() != str(length):
        raise ValidationError(_("Panjang isi permintaan tidak sama dengan rentang Content-Range."))

    try:
        fd = os.open(_part_path(upload), os.O_WRONLY | os.O_APPEND)
    except FileNotFoundError:
        raise UploadGone(_("Berkas sementara unggahan ini sudah tidak ada; mulai lagi.")) from None
    with os.fdopen(fd, "ab", buffering=0) as handle:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UploadConflict(
                _("Potongan lain untuk unggahan ini sedang ditulis; coba lagi sebentar."),
                received=os.fstat(fd).st_size,
            ) from None
        received = os.fstat(fd).st_size
        if received != start:
            _received_record(upload, received)
            raise UploadConflict(
                _(
                    "Potongan dimulai di byte %(start)s, padahal server sudah menerima "
                    "%(received)s byte. Lanjutkan dari byte %(received)s."
                )
                % {"start": start, "received": received},
                received=received,
            )
        remaining = length
        try:
            while remaining:
                try:
                    data = stream.read(min(READ_BYTES, remaining))
                except OSError:
                    break  # the client went away: what arrived stays, the browser resumes
                if not data:
                    break
                _write_all(handle, data)
                remaining -= len(data)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise UploadNoSpace(_("Ruang penyimpanan server penuh; coba lagi nanti.")) from exc
            raise _storage_error() from exc
        finally:
            received = os.fstat(fd).st_size
            _received_record(upload, received)
    if remaining:
        raise UploadConflict(
            _("Potongan terputus setelah %(received)s byte; lanjutkan dari sana.")
            % {"received": received},
            received=received,
        )
    return received


def upload_part_urls(*, upload: VideoUpload, first: int, last: int) -> dict[int, str]:
    """Presigned URLs for S3 parts ``first``..``last`` (1-based). Asking for them counts as
    activity, so an upload still sending parts is not cleaned up."""
    if not upload.s3_upload_id:
        raise ValidationError(_("Unggahan ini dikirim per potongan ke server, bukan ke S3."))
    _ensure_open(upload)
    total = math.ceil(
        upload.size_bytes / upload_chunk_size(size_bytes=upload.size_bytes, mode=MODE_S3)
    )
    if not (1 <= first <= last <= total) or last - first >= PART_URLS_MAX:
        raise ValidationError(
            _("Nomor bagian harus di antara 1 dan %(total)s, paling banyak %(max)s sekaligus.")
            % {"total": total, "max": PART_URLS_MAX}
        )
    client, bucket, key = s3_client(), s3_bucket(), s3_key(upload.storage_key)
    urls = {
        number: client.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": bucket,
                "Key": key,
                "UploadId": upload.s3_upload_id,
                "PartNumber": number,
            },
            ExpiresIn=PART_URL_TTL,
        )  # fmt: skip
        for number in range(first, last + 1)
    }
    VideoUpload.objects.filter(pk=upload.pk).update(updated_at=timezone.now())
    return urls


def upload_complete(*, actor: Employee, upload: VideoUpload) -> Video:
    """Put the source in place and create the Video (which queues its transcode).

    Idempotent: a second call (a retried request, a double click) returns the same video.
    The row lock serialises it against another completion and against the cleanup.
    """
    with transaction.atomic():
        locked = VideoUpload.objects.select_for_update().get(pk=upload.pk)
        if locked.status == VideoUpload.Status.COMPLETE and locked.video_id is not None:
            return Video.objects.get(pk=locked.video_id)
        _ensure_open(locked)
        source = _s3_finish(locked) if locked.s3_upload_id else _local_finish(locked)
        video = services.video_create(
            owner=actor, title=locked.title, source=source,
            original_filename=locked.filename, size_bytes=locked.size_bytes,
        )  # fmt: skip
        locked.status = VideoUpload.Status.COMPLETE
        locked.received_bytes = locked.size_bytes
        locked.storage_key = source
        locked.video = video
        locked.save(
            update_fields=["status", "received_bytes", "storage_key", "video", "updated_at"]
        )
    return video


def upload_abort(*, upload: VideoUpload) -> bool:
    """Abandon an open upload and free its storage; False when it was no longer open."""
    with transaction.atomic():
        changed = VideoUpload.objects.filter(pk=upload.pk, status=VideoUpload.Status.OPEN).update(
            status=VideoUpload.Status.ABANDONED, updated_at=timezone.now()
        )
    if not changed:
        return False
    upload.status = VideoUpload.Status.ABANDONED
    if upload.s3_upload_id:
        try:
            s3_client().abort_multipart_upload(
                Bucket=s3_bucket(), Key=s3_key(upload.storage_key), UploadId=upload.s3_upload_id
            )
        except ClientError as exc:
            if _error_code(exc) != "NoSuchUpload":
                raise
    else:
        _part_path(upload).unlink(missing_ok=True)
    return True


def uploads_cleanup(
    *, older_than: dt.timedelta = STALE_AFTER, now: dt.datetime | None = None
) -> list[VideoUpload]:
    """Abandon the open uploads idle for longer than ``older_than``; returns them."""
    cutoff = (now or timezone.now()) - older_than
    stale = VideoUpload.objects.filter(status=VideoUpload.Status.OPEN, updated_at__lt=cutoff)
    return [upload for upload in stale.order_by("created_at") if upload_abort(upload=upload)]


# --- helpers -----------------------------------------------------------------------------


def _validate_start(
    *, title: Any, filename: Any, size_bytes: Any, content_type: Any
) -> tuple[str, str, int, str]:
    errors: list[str] = []
    title = title.strip() if isinstance(title, str) else ""
    if not title:
        errors.append(_("Judul video wajib diisi."))
    elif len(title) > 255:
        errors.append(_("Judul video paling panjang 255 karakter."))
    filename = PurePosixPath(filename.replace("\\", "/")).name if isinstance(filename, str) else ""
    filename = filename.strip()[-255:]
    if not filename:
        errors.append(_("Nama berkas wajib diisi."))
    content_type = content_type.strip().lower() if isinstance(content_type, str) else ""
    if not _CONTENT_TYPE.match(content_type) or len(content_type) > 100:
        content_type = ""
    size = size_bytes if isinstance(size_bytes, int) and not isinstance(size_bytes, bool) else None
    if size is None:
        errors.append(_("Ukuran berkas wajib diisi dalam byte."))
    elif size <= 0:
        errors.append(_("Berkasnya kosong; pilih berkas video yang berisi."))
    elif size > settings.SINAU_VIDEO_MAX_BYTES:
        errors.append(
            _("Berkas terlalu besar (%(size)s); paling besar %(max)s.")
            % {
                "size": filesizeformat(size),
                "max": filesizeformat(settings.SINAU_VIDEO_MAX_BYTES),
            }
        )
    if "\x00" in title or "\x00" in filename:
        # PostgreSQL text cannot hold a NUL; no real title or file name has one.
        errors.append(_("Judul dan nama berkas tidak boleh berisi karakter NUL."))
    if filename and not _looks_like_video(filename, content_type):
        errors.append(
            _("%(name)s bukan berkas video yang dikenal (MP4, MOV, MKV, WEBM, AVI, 3GP, ...).")
            % {"name": filename}
        )
    if errors:
        raise ValidationError(errors)
    assert size is not None
    return title, filename, size, content_type


def _looks_like_video(filename: str, content_type: str) -> bool:
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    return ext in VIDEO_EXTENSIONS or content_type.startswith("video/")


def _ensure_open(upload: VideoUpload) -> None:
    if upload.status == VideoUpload.Status.ABANDONED:
        raise UploadGone(_("Unggahan ini sudah dibatalkan; mulai unggahan baru."))


def _write_all(handle: Any, data: bytes) -> None:
    # An unbuffered write may take only part of what it is given.
    view = memoryview(data)
    while view:
        view = view[handle.write(view) :]


def _received_record(upload: VideoUpload, received: int) -> None:
    if received != upload.received_bytes:
        VideoUpload.objects.filter(pk=upload.pk).update(
            received_bytes=received, updated_at=timezone.now()
        )
        upload.received_bytes = received


def _part_path(upload: VideoUpload) -> Path:
    # Under MEDIA_ROOT even when the default storage is elsewhere: chunks need a local disk.
    return local_path(upload.storage_key) or Path(settings.MEDIA_ROOT) / upload.storage_key


def _local_finish(upload: VideoUpload) -> str:
    source = f"{SOURCE_ROOT}/{upload.pk}/{safe_filename(upload.filename)}"
    part, target = _part_path(upload), local_path(source)
    # Moved by an earlier call whose transaction did not commit.
    moved = not part.exists() and target is not None and target.exists()
    if moved and target is not None and target.stat().st_size == upload.size_bytes:
        return source
    try:
        handle = open(part, "rb")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError:
        raise UploadGone(_("Berkas sementara unggahan ini sudah tidak ada; mulai lagi.")) from None
    with handle:
        # Waits for a chunk still being written, so the size read below is final.
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        received = os.fstat(handle.fileno()).st_size
        if received != upload.size_bytes:
            _received_record(upload, received)
            raise UploadConflict(
                _("Unggahan belum lengkap: %(received)s dari %(size)s byte diterima.")
                % {"received": received, "size": upload.size_bytes},
                received=received,
            )
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(part, target)
            return source
        # A remote storage that is not S3: one streamed copy, then the part goes.
        saved = video_storage().save(source, File(handle))
    part.unlink(missing_ok=True)
    return saved


def _s3_finish(upload: VideoUpload) -> str:
    client, bucket, key = s3_client(), s3_bucket(), s3_key(upload.storage_key)
    try:
        parts = _s3_parts(upload)
    except UploadGone:
        # Completed by an earlier call whose answer was lost: the object is there.
        if _s3_size(key) == upload.size_bytes:
            return upload.storage_key
        raise
    numbers = [p["PartNumber"] for p in parts]
    received = sum(p["Size"] for p in parts)
    if received != upload.size_bytes or numbers != list(range(1, len(parts) + 1)):
        raise UploadConflict(
            _("Unggahan belum lengkap: %(received)s dari %(size)s byte diterima.")
            % {"received": received, "size": upload.size_bytes},
            received=received,
        )
    try:
        client.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload.s3_upload_id,
            MultipartUpload={
                "Parts": [{"ETag": p["ETag"], "PartNumber": p["PartNumber"]} for p in parts]
            },
        )  # fmt: skip
    except ClientError as exc:
        if _error_code(exc) in {"EntityTooSmall", "InvalidPart", "InvalidPartOrder"}:
            raise ValidationError(
                _("Bagian-bagian unggahan tidak sesuai aturan S3; mulai unggahan baru.")
            ) from exc
        raise _storage_error() from exc
    except BotoCoreError as exc:
        raise _storage_error() from exc
    if _s3_size(key) != upload.size_bytes:
        raise _storage_error()
    return upload.storage_key


def _s3_parts(upload: VideoUpload) -> list[dict[str, Any]]:
    client, bucket, key = s3_client(), s3_bucket(), s3_key(upload.storage_key)
    parts: list[dict[str, Any]] = []
    marker = 0
    try:
        while True:
            page = client.list_parts(
                Bucket=bucket, Key=key, UploadId=upload.s3_upload_id,
                PartNumberMarker=marker, MaxParts=1000,
            )  # fmt: skip
            parts.extend(page.get("Parts", []))
            if not page.get("IsTruncated"):
                return parts
            marker = int(page["NextPartNumberMarker"])
    except ClientError as exc:
        if _error_code(exc) == "NoSuchUpload":
            raise UploadGone(_("Unggahan ini tidak ada lagi di penyimpanan S3.")) from exc
        raise _storage_error() from exc
    except BotoCoreError as exc:
        raise _storage_error() from exc


def _s3_size(key: str) -> int | None:
    try:
        return int(s3_client().head_object(Bucket=s3_bucket(), Key=key)["ContentLength"])
    except ClientError:
        return None


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _storage_error() -> UploadStorageError:
    return UploadStorageError(
        _("Penyimpanan video sedang tidak dapat dihubungi; coba lagi beberapa saat lagi.")
    )
