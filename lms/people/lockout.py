"""What a locked-out login gets (django-axes): the page for the browser, and for the API
the API's one error body (a 429 "throttled", as the schema says), so a script reads a
lockout like any other refusal."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    status = getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429)  # set by axes.conf
    cool_off = get_cool_off(request)
    minutes = max(1, int(cool_off.total_seconds() // 60)) if cool_off else 0
    if request.path.startswith("/api/"):
        detail = _(
            "Terlalu banyak percobaan masuk yang gagal. Akun ini dikunci sementara; "
            "coba lagi dalam %(minutes)s menit."
        ) % {"minutes": minutes}
        response = JsonResponse(
            {"type": "client_error", "errors": [{"code": "throttled", "detail": detail,
                                                 "attr": None}]},
            status=status,
        )  # fmt: skip
        if cool_off:
            response["Retry-After"] = str(int(cool_off.total_seconds()))
        return response
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "username": get_client_username(request, credentials) or "",
        "cooloff_timedelta": cool_off,
    }
    page = render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=status)
    if cool_off:
        page["Retry-After"] = str(int(cool_off.total_seconds()))  # RFC 6585: when to retry
    return page
