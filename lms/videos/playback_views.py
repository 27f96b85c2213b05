"""Protected playback: playlists for those who may watch, files by signed URL only.

Someone who may not watch a video gets 404 for its playlists and poster, the same answer
as for a video that does not exist, so strangers learn nothing. A file URL with a bad or
expired token gets 403. See ``playback`` for the URL scheme.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    HttpResponseRedirect,
)
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import playback
from .models import Video
from .selectors import may_watch
from .storage import is_s3, video_storage

logger = logging.getLogger(__name__)

NO_STORE = "private, no-store"


def _watchable(request: HttpRequest, video_id: int) -> Video:
    """The video, if it has a ladder playing and the viewer may watch it; else 404."""
    video = Video.objects.exclude(hls_prefix="").filter(pk=video_id).first()
    if video is None or not may_watch(request.user, video):
        raise Http404
    return video


def _playlist(body: str) -> HttpResponse:
    response = HttpResponse(body, content_type=playback.PLAYLIST_CONTENT_TYPE)
    # The URLs inside expire: no cache (browser, proxy or CDN) may keep or share it.
    response["Cache-Control"] = NO_STORE
    return response


@require_safe
def master(request: HttpRequest, video_id: int) -> HttpResponse:
    video = _watchable(request, video_id)
    rungs = [
        playback.Rung(height=h, playlist_path=p)
        for h, p in video.renditions.values_list("height", "playlist_path")
    ]
    try:
        body = playback.master_playlist(video, rungs)
    except playback.PlaylistError as exc:
        logger.error("video %s: master playlist unusable: %s", video.pk, exc)
        raise Http404 from exc
    return _playlist(body)


@require_safe
def rendition_playlist(request: HttpRequest, video_id: int, height: int) -> HttpResponse:
    video = _watchable(request, video_id)
    rendition = video.renditions.filter(height=height).first()
    if rendition is None:
        raise Http404
    try:
        body = playback.media_playlist(video, rendition)
    except playback.PlaylistError as exc:
        logger.error("video %s: %sp playlist unusable: %s", video.pk, height, exc)
        raise Http404 from exc
    return _playlist(body)


@require_safe
def poster(request: HttpRequest, video_id: int) -> HttpResponse:
    video = _watchable(request, video_id)
    name = playback.safe_file_name(video.poster)
    if name is None:
        raise Http404
    response = HttpResponseRedirect(
        playback.signed_url(name, expires_in=settings.SINAU_VIDEO_URL_TTL)
    )
    response["Cache-Control"] = NO_STORE
    return response


@require_safe
def segment(request: HttpRequest, token: str, name: str) -> HttpResponseBase:
    """One file of a ladder, for whoever holds a valid signed URL (the token is the
    permission: no session or database lookup per segment)."""
    name = playback.safe_file_name(name) or ""
    if not name or not playback.file_token_valid(token, name):
        return HttpResponseForbidden(_("Tautan video tidak sah atau sudah kedaluwarsa."))
    ttl = settings.SINAU_VIDEO_URL_TTL
    storage = video_storage()
    if is_s3(storage):
        # Tokens are for local storage; after a move to S3 the bucket serves the file.
        return HttpResponseRedirect(playback.signed_url(name, expires_in=ttl))
    response: HttpResponse | FileResponse
    if settings.SINAU_X_ACCEL_REDIRECT_PREFIX:
        # nginx sends the bytes from its internal location; the worker is free at once.
        response = HttpResponse(content_type=playback.content_type_for(name))
        response["X-Accel-Redirect"] = playback.x_accel_redirect(name)
    else:
        try:
            fh = storage.open(name, "rb")
        except OSError as exc:
            raise Http404 from exc
        response = FileResponse(fh, content_type=playback.content_type_for(name))
    # The file under a ladder folder never changes; the token in the URL bounds its life.
    response["Cache-Control"] = f"private, max-age={ttl}"
    return response
