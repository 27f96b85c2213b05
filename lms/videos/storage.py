"""Where video files live: the default storage (local media/ or S3 via django-storages).

Sources, ladders and upload parts are private: nothing under videos/ is served by a public
URL; playback signs each URL it hands out (see playback)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.storage import Storage, storages
from storages.utils import clean_name

SOURCE_ROOT = "videos/sources"
HLS_ROOT = "videos/hls"
UPLOAD_ROOT = "videos/uploads"


def video_storage() -> Storage:
    return storages["default"]


def is_s3(storage: Storage | None = None) -> bool:
    """Whether the storage is an S3 bucket (presigned URLs, multipart uploads)."""
    return hasattr(storage or video_storage(), "bucket")


def s3_client(storage: Storage | None = None) -> Any:
    """The boto3 client behind an S3 storage."""
    return (storage or video_storage()).connection.meta.client  # type: ignore[attr-defined]


def s3_key(name: str, storage: Storage | None = None) -> str:
    """The bucket key of a storage name (with the storage's location prefix, if any)."""
    storage = storage or video_storage()
    return str(storage._normalize_name(clean_name(name)))  # type: ignore[attr-defined]


def s3_bucket(storage: Storage | None = None) -> str:
    return str((storage or video_storage()).bucket_name)  # type: ignore[attr-defined]


def local_path(name: str, storage: Storage | None = None) -> Path | None:
    """The file's path on this machine, or None when the storage is remote."""
    try:
        return Path((storage or video_storage()).path(name))
    except NotImplementedError:
        return None
