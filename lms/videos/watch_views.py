"""The player's heartbeat: ``POST /video/<id>/tonton/`` with the ranges watched.

Thin: check, parse, call ``watching.watch_heartbeat``, answer JSON. Every refusal is JSON
with a message in the user's language, and changes nothing.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lms.people.models import Employee

from .watching import VideoNotReady, heartbeat_allowed, heartbeat_parse, watch_heartbeat

# A heartbeat is a few hundred bytes; fifty pairs of floats stay far below this.
MAX_BODY_BYTES = 8 * 1024


def _refuse(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@require_POST
def heartbeat(request: HttpRequest, video_id: int) -> JsonResponse:
    user = request.user
    if not isinstance(user, Employee) or not user.is_active:
        # JSON, not a redirect to the login page: the caller is a script.
        return _refuse(_("Sesi Anda sudah berakhir; masuk lagi untuk mencatat tontonan."), 403)
    if not heartbeat_allowed(employee_id=user.pk, video_id=video_id):
        window = settings.SINAU_HEARTBEAT_MIN_SECONDS
        response = _refuse(_("Terlalu sering; data tontonan dikirim lagi sebentar lagi."), 429)
        response["Retry-After"] = str(max(1, math.ceil(window)))
        return response
    if _declared_length(request) > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
        return _refuse(_("Data tontonan terlalu besar."), 400)
    try:
        beat = heartbeat_parse(request.body)
        result = watch_heartbeat(actor=user, video_id=video_id, heartbeat=beat)
    except ValidationError as exc:
        return _refuse(" ".join(exc.messages), 400)
    except PermissionDenied as exc:
        return _refuse(str(exc), 403)
    except Http404 as exc:
        return _refuse(str(exc), 404)
    except VideoNotReady:
        return _refuse(_("Video ini belum siap diputar."), 409)
    return JsonResponse(result.as_json())
