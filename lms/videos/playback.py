"""Protected HLS playback: playlists rewritten to signed, short-lived URLs.

Django reads the playlists ffmpeg wrote and hands them out with every URI replaced:

- in the master playlist, each variant by the Django URL of its rung's playlist (which
  checks access again);
- in a rung's playlist, each segment by a signed URL that expires: a presigned GET on S3,
  so the bytes go straight from the bucket (or a CDN in front of it); on local storage a
  token URL of our own, whose view hands the file to nginx (X-Accel-Redirect) in
  production, so no Python worker streams video.

Nothing under ``videos/`` has a public URL, and a signed URL names one file only.

A segment's URL stays valid for ``SINAU_VIDEO_URL_TTL`` seconds plus its start time in the
video: hls.js loads a VOD playlist once, so the last segment of a long lecture must still
open when playback reaches it. A learner who pauses for longer than the TTL gets 403 for
the next segment; the player then loads the playlist again (fresh URLs).
"""

from __future__ import annotations

import logging
import math
import posixpath
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from .models import Rendition, Video
from .storage import HLS_ROOT, is_s3, video_storage

logger = logging.getLogger(__name__)

PLAYLIST_CONTENT_TYPE = "application/vnd.apple.mpegurl"
# What a signed URL may point at: the media of a ladder, never a playlist (playlists are
# only served rewritten) nor a source or an upload part.
FILE_TYPES = {
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".aac": "audio/aac",
    ".vtt": "text/vtt",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}
_SALT = "sinau.videos.file"
_URI_ATTR = re.compile(r'URI="([^"]*)"')
_MAX_PLAYLIST_BYTES = 4 * 1024 * 1024  # a 10-hour lecture's playlist is well under 1 MB


class PlaylistError(Exception):
    """A playlist in storage that is missing, unreadable or points outside its ladder."""


# --- Signed file URLs ------------------------------------------------------------------


def _signature(name: str, expires: int) -> str:
    return signing.Signer(salt=_SALT).signature(f"{expires}:{name}")


def file_token(name: str, *, expires_in: int, now: float | None = None) -> str:
    """A token for one file in local storage, valid ``expires_in`` seconds: the expiry
    time and an HMAC (keyed by SECRET_KEY) over it and the file's name."""
    expires = int(now if now is not None else time.time()) + max(int(expires_in), 1)
    return f"{signing.b62_encode(expires)}.{_signature(name, expires)}"


def file_token_valid(token: str, name: str, *, now: float | None = None) -> bool:
    """Whether ``token`` was made by ``file_token`` for ``name`` and has not expired."""
    stamp, dot, signature = token.partition(".")
    if not dot or not stamp or not signature or len(stamp) > 12:
        return False
    try:
        expires = signing.b62_decode(stamp)
    except ValueError:
        return False
    if expires < (now if now is not None else time.time()):
        return False
    return constant_time_compare(signature, _signature(name, expires))


def signed_url(name: str, *, expires_in: int) -> str:
    """A URL that serves one stored file for ``expires_in`` seconds, to anyone holding it:
    presigned on S3 (no Python in the way), our token URL on local storage."""
    storage = video_storage()
    if is_s3(storage):
        return str(storage.url(name, expire=expires_in))  # type: ignore[call-arg]
    return reverse(
        "videos:segment", kwargs={"token": file_token(name, expires_in=expires_in), "name": name}
    )


def safe_file_name(name: str) -> str | None:
    """``name`` if it is a plain path to a media file inside the HLS folder, else None:
    no traversal, no absolute path, no playlist, no source."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        return None
    if posixpath.normpath(name) != name or ".." in name.split("/"):
        return None
    if not name.startswith(f"{HLS_ROOT}/"):
        return None
    if posixpath.splitext(name)[1].lower() not in FILE_TYPES:
        return None
    return name


def content_type_for(name: str) -> str:
    return FILE_TYPES.get(posixpath.splitext(name)[1].lower(), "application/octet-stream")


def x_accel_redirect(name: str) -> str:
    """The internal URI nginx serves the file from (see deploy/nginx-video.conf)."""
    prefix = settings.SINAU_X_ACCEL_REDIRECT_PREFIX
    return prefix.rstrip("/") + "/" + quote(name, safe="/")


# --- Playlists -------------------------------------------------------------------------


def _extinf_seconds(line: str) -> float:
    try:
        value = float(line[len("#EXTINF:") :].split(",", 1)[0])
    except ValueError:
        return 0.0
    return value if math.isfinite(value) and value > 0 else 0.0


def rewrite_playlist(text: str, resolve: Callable[[str, float], str | None]) -> str:
    """Replace every URI in an M3U8 playlist with ``resolve(uri, start_seconds)``.

    URIs are the lines that are not tags, and ``URI="..."`` attributes of tags
    (EXT-X-MEDIA, EXT-X-MAP, EXT-X-I-FRAME-STREAM-INF). ``start_seconds`` is where the
    segment starts (the sum of the EXTINF durations before it). When ``resolve`` returns
    None the URI is left out, with the EXT-X-STREAM-INF or EXTINF tag that announced it.
    """
    if not text.lstrip("\ufeff").startswith("#EXTM3U"):
        raise PlaylistError("not an M3U8 playlist")
    out: list[str] = []
    elapsed = 0.0
    duration = 0.0
    for raw in text.lstrip("\ufeff").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("#EXTINF:"):
                duration = _extinf_seconds(line)
            match = _URI_ATTR.search(line)
            if match:
                target = resolve(match.group(1), elapsed)
                if target is None:
                    continue
                line = f"{line[: match.start(1)]}{target}{line[match.end(1) :]}"
            out.append(line)
            continue
        target = resolve(line, elapsed)
        if target is None:
            if out and out[-1].startswith(("#EXT-X-STREAM-INF:", "#EXTINF:")):
                out.pop()
        else:
            out.append(target)
        elapsed += duration
        duration = 0.0
    return "\n".join(out) + "\n"


def _inside(base_dir: str, uri: str, folder: str) -> str | None:
    """The storage name a relative URI in a playlist at ``base_dir`` points at, if it stays
    inside ``folder``; None for absolute URLs, query strings and escapes."""
    if not uri or "://" in uri or uri.startswith("/") or any(c in uri for c in "?#\\\x00"):
        return None
    name = posixpath.normpath(posixpath.join(base_dir, uri))
    return name if name.startswith(folder) else None


def _read(name: str) -> str:
    storage = video_storage()
    try:
        with storage.open(name, "rb") as fh:
            data = fh.read(_MAX_PLAYLIST_BYTES + 1)
    except Exception as exc:  # a missing key on S3 is a botocore ClientError, not OSError
        raise PlaylistError(f"{name}: {exc}") from exc
    if len(data) > _MAX_PLAYLIST_BYTES:
        raise PlaylistError(f"{name}: larger than {_MAX_PLAYLIST_BYTES} bytes")
    try:
        return str(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PlaylistError(f"{name}: not UTF-8") from exc


def _ladder_folder(video: Video) -> str:
    folder = video.hls_prefix if video.hls_prefix.endswith("/") else f"{video.hls_prefix}/"
    if safe_folder(folder) is None:
        raise PlaylistError(f"ladder folder {video.hls_prefix!r} outside {HLS_ROOT}")
    return folder


def safe_folder(folder: str) -> str | None:
    inner = folder.rstrip("/")
    if not inner.startswith(f"{HLS_ROOT}/") or posixpath.normpath(inner) != inner:
        return None
    return folder


@dataclass(frozen=True)
class Rung:
    height: int
    playlist_path: str


def master_playlist(video: Video, rungs: list[Rung]) -> str:
    """The master playlist with each variant pointing at its Django rung URL; variants
    without a Rendition row (none is expected) are left out."""
    folder = _ladder_folder(video)
    master = f"{folder}master.m3u8"
    by_path = {r.playlist_path: r.height for r in rungs}

    def resolve(uri: str, _start: float) -> str | None:
        name = _inside(posixpath.dirname(master), uri, folder)
        height = by_path.get(name) if name else None
        if height is None:
            logger.warning("video %s: variant %r has no rendition", video.pk, uri)
            return None
        return reverse("videos:rendition_playlist", kwargs={"video_id": video.pk, "height": height})

    return rewrite_playlist(_read(master), resolve)


def media_playlist(video: Video, rendition: Rendition, *, ttl: int | None = None) -> str:
    """A rung's playlist with each segment as a signed URL, valid for the TTL plus the
    segment's start time (see the module docstring)."""
    folder = _ladder_folder(video)
    playlist = rendition.playlist_path
    if _inside("", playlist, folder) != playlist:
        raise PlaylistError(f"rendition {rendition.pk}: {playlist!r} outside {folder!r}")
    ttl = settings.SINAU_VIDEO_URL_TTL if ttl is None else ttl

    def resolve(uri: str, start: float) -> str:
        name = _inside(posixpath.dirname(playlist), uri, folder)
        if name is None or safe_file_name(name) is None:
            raise PlaylistError(f"rendition {rendition.pk}: segment {uri!r} outside the ladder")
        return signed_url(name, expires_in=ttl + math.ceil(start))

    return rewrite_playlist(_read(playlist), resolve)
