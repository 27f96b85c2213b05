"""The upload API the admin's upload page talks to (static/js/video-upload.js).

    POST   /video/unggah/                 {title, filename, size, content_type} -> 201
    GET    /video/unggah/<id>/[?parts=a-b] where to resume (and S3 part URLs)
    PUT    /video/unggah/<id>/            one chunk, Content-Range: bytes start-end/total
    DELETE /video/unggah/<id>/            cancel
    POST   /video/unggah/<id>/selesai/    finish: the Video is created and queued

Answers are JSON, errors too ({"error": ..., "received": ...} where resuming helps), so
the page can always show why. Only the uploader sees an upload; to anyone else it is 404.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from lms.people.models import Employee

from . import uploads
from .models import VideoUpload

View = Callable[..., HttpResponse]
_PARTS = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")


def _error(message: str, status: int, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _refusal(exc: ValidationError) -> JsonResponse:
    extra: dict[str, Any] = {"errors": exc.messages}
    received = getattr(exc, "received", None)
    if received is not None:
        extra["received"] = received
    return _error(" ".join(exc.messages), getattr(exc, "status", 400), **extra)


def _uploader(view: View) -> View:
    """Signed in with "add video" (instructors, editors, superusers); answers in JSON, as a
    login redirect means nothing to the script that calls these."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return _error(_("Sesi Anda berakhir; silakan masuk lagi."), 403)
        if not uploads.may_upload(request.user):
            return _error(_("Anda tidak berhak mengunggah video."), 403)
        return view(request, *args, **kwargs)

    return wrapped


def _own_upload(request: HttpRequest, upload_id: uuid.UUID) -> VideoUpload | None:
    viewer: Employee = request.user  # type: ignore[assignment]
    try:
        return uploads.upload_get(viewer=viewer, upload_id=upload_id)
    except VideoUpload.DoesNotExist:
        return None


def _not_found() -> JsonResponse:
    return _error(_("Unggahan tidak ditemukan."), 404)


def _urls(upload: VideoUpload) -> dict[str, str]:
    return {
        "chunk_url": reverse("videos:upload_chunk", args=[upload.pk]),
        "complete_url": reverse("videos:upload_complete", args=[upload.pk]),
    }


def _state_json(state: uploads.UploadState) -> dict[str, Any]:
    upload = state.upload
    data: dict[str, Any] = {
        "id": str(upload.pk),
        "mode": state.mode,
        "status": upload.status,
        "size": upload.size_bytes,
        "chunk_size": state.chunk_size,
        "received": state.received,
        **_urls(upload),
    }
    if state.mode == uploads.MODE_S3:
        data["parts_total"] = state.parts_total
        data["parts_done"] = state.parts_done
    if upload.video_id is not None:
        data["video_id"] = upload.video_id
    return data


@require_POST
@_uploader
def upload_start(request: HttpRequest) -> HttpResponse:
    try:
        payload = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        return _error(_("Permintaan tidak valid: kirim data JSON."), 400)
    try:
        state = uploads.upload_start(
            actor=request.user,  # type: ignore[arg-type]
            title=payload.get("title"),
            filename=payload.get("filename"),
            size_bytes=payload.get("size"),
            content_type=payload.get("content_type", ""),
        )
    except ValidationError as exc:
        return _refusal(exc)
    return JsonResponse(_state_json(state), status=201)


@require_http_methods(["GET", "HEAD", "PUT", "DELETE"])
@_uploader
def upload_chunk(request: HttpRequest, upload_id: uuid.UUID) -> HttpResponse:
    upload = _own_upload(request, upload_id)
    if upload is None:
        return _not_found()
    try:
        if request.method == "PUT":
            received = uploads.upload_write_chunk(
                upload=upload,
                content_range=request.headers.get("Content-Range", ""),
                content_length=request.META.get("CONTENT_LENGTH"),
                stream=request,
            )
            return JsonResponse({"received": received, "size": upload.size_bytes})
        if request.method == "DELETE":
            uploads.upload_abort(upload=upload)
            return JsonResponse({"status": VideoUpload.Status.ABANDONED})
        data = _state_json(uploads.upload_state(upload=upload))
        wanted = request.GET.get("parts")
        if wanted is not None:
            match = _PARTS.match(wanted)
            if match is None:
                return _error(_("Parameter parts harus berbentuk 1-20."), 400)
            first = int(match.group(1))
            last = int(match.group(2) or first)
            urls = uploads.upload_part_urls(upload=upload, first=first, last=last)
            data["part_urls"] = {str(number): url for number, url in urls.items()}
    except ValidationError as exc:
        return _refusal(exc)
    return JsonResponse(data)


@require_POST
@_uploader
def upload_complete(request: HttpRequest, upload_id: uuid.UUID) -> HttpResponse:
    upload = _own_upload(request, upload_id)
    if upload is None:
        return _not_found()
    try:
        video = uploads.upload_complete(actor=request.user, upload=upload)  # type: ignore[arg-type]
    except ValidationError as exc:
        return _refusal(exc)
    # Uploaders without "change video" (instructors) may look at it, not rename it.
    view = "edit" if request.user.has_perm("videos.change_video") else "inspect"
    return JsonResponse(
        {
            "video_id": video.pk,
            "title": video.title,
            "status": video.status,
            "status_label": video.get_status_display(),
            "admin_url": reverse(f"wagtailsnippets_videos_video:{view}", args=[video.pk]),
            "list_url": reverse("wagtailsnippets_videos_video:list"),
        }
    )
