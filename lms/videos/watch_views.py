"""The player's heartbeat: ``POST /video/<id>/tonton/`` with the ranges watched.

Thin: check, parse, find where to credit it, call ``watching.watch_heartbeat``, answer JSON
with the watch ticket for the next heartbeat. Every refusal is JSON with a message in the
user's language, and changes nothing.

Where to credit it comes from the watch ticket the player sends (no database work), or,
without a valid one (none sent, expired, another session), from the login session and the
enrolment in the database. The ticket is a secret of the page bound to the session, which
is what a CSRF token is; the session path checks the CSRF token itself.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from lms.people.models import Employee

from .watching import (
    Heartbeat,
    TooSoon,
    VideoNotReady,
    WatchTicket,
    heartbeat_parse,
    watch_heartbeat,
    watch_ticket,
    watch_ticket_read,
    watch_ticket_sign,
)

# Fifty ranges and a ticket carrying a learner's watched ranges stay well below this.
MAX_BODY_BYTES = 48 * 1024


def _refuse(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@csrf_exempt
@require_POST
def heartbeat(request: HttpRequest, video_id: int) -> JsonResponse:
    if _declared_length(request) > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
        return _refuse(_("Data tontonan terlalu besar."), 400)
    try:
        beat = heartbeat_parse(request.body)
    except ValidationError as exc:
        return _refuse(" ".join(exc.messages), 400)
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    ticket = watch_ticket_read(
        beat.ticket, video_id=video_id, module_id=beat.module_id, session_key=session_key
    )
    if ticket is None:
        return _heartbeat_by_session(request, video_id, beat)
    return _credit(ticket, beat, session_key=session_key or "", checked=False)


@csrf_protect
def _heartbeat_by_session(request: HttpRequest, video_id: int, beat: Heartbeat) -> JsonResponse:
    user = request.user
    if not isinstance(user, Employee) or not user.is_active:
        # JSON, not a redirect to the login page: the caller is a script.
        return _refuse(_("Sesi Anda sudah berakhir; masuk lagi untuk mencatat tontonan."), 403)
    try:
        ticket = watch_ticket(employee=user, video_id=video_id, module_id=beat.module_id)
    except PermissionDenied as exc:
        return _refuse(str(exc), 403)
    except Http404 as exc:
        return _refuse(str(exc), 404)
    except VideoNotReady:
        return _refuse(_("Video ini belum siap diputar."), 409)
    return _credit(ticket, beat, session_key=request.session.session_key or "", checked=True)


def _credit(
    ticket: WatchTicket, beat: Heartbeat, *, session_key: str, checked: bool
) -> JsonResponse:
    try:
        result = watch_heartbeat(ticket=ticket, heartbeat=beat, checked=checked)
    except TooSoon as exc:
        response = _refuse(_("Terlalu sering; data tontonan dikirim lagi sebentar lagi."), 429)
        response["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
        return response
    except ValidationError as exc:
        return _refuse(" ".join(exc.messages), 400)
    except PermissionDenied as exc:
        return _refuse(str(exc), 403)
    data = result.as_json()
    data["ticket"] = watch_ticket_sign(result.ticket, session_key=session_key)
    return JsonResponse(data)
