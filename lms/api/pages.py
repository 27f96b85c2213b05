"""The "Token API" page of the account: make, see and revoke one's own API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from knox.settings import CONSTANTS, knox_settings

from lms.people.models import Employee

from . import selectors, services


def _page(request: HttpRequest, *, new_token: str = "", status: int = 200) -> HttpResponse:
    employee: Employee = request.user  # type: ignore[assignment]
    tokens = list(selectors.api_tokens_of(employee=employee))
    context = {
        "tokens": tokens,
        "new_token": new_token,
        "limit": knox_settings.TOKEN_LIMIT_PER_USER,
        "at_limit": len(tokens) >= (knox_settings.TOKEN_LIMIT_PER_USER or len(tokens) + 1),
        "days": knox_settings.TOKEN_TTL.days if knox_settings.TOKEN_TTL else None,
    }
    return render(request, "api/tokens.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    try:
        issued = services.api_token_issue(employee=request.user)  # type: ignore[arg-type]
    except services.TokenLimitReached as exc:
        messages.error(request, str(exc))
        return _page(request, status=409)
    # Shown in this answer only: Sinau keeps the hash, so a reload cannot show it again.
    response = _page(request, new_token=issued.key, status=201)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_key: str) -> HttpResponse:
    if len(token_key) != CONSTANTS.TOKEN_KEY_LENGTH:
        raise Http404
    revoked = services.api_token_revoke(
        employee=request.user,  # type: ignore[arg-type]
        token_key=token_key,
    )
    if not revoked:
        raise Http404  # not one of the caller's tokens: nothing to say about it
    messages.success(request, _("Token %(key)s… dicabut.") % {"key": token_key[:8]})
    return redirect("api_tokens")
