"""Single sign-on with OpenID Connect (mozilla-django-oidc).

The provider proves who someone is; the roster decides whether they may enter. A Pemda
controls who exists through the SIMPEG import, so an SSO login never creates an account:
the NIP claim must name an active employee already in Sinau, or the login is refused with
the reason on the login page. Email addresses are never used to match (two people may
share an office mailbox; a NIP is one person).

The URLs below are always routed (``oidc/`` in ``lms/urls.py``) and answer 404 while SSO
is off, rather than being added only when it is on: the URL map then never depends on
import-time settings, so switching SSO in a test (or reading ``reverse()`` in a template)
needs no urlconf reload.
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.urls import path
from django.utils.translation import gettext as _
from django.views.generic import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from .models import Employee
from .nip import normalise_nip

logger = logging.getLogger(__name__)

CALLBACK_URL_NAME = "oidc_authentication_callback"
# Where the backend leaves the reason for the callback view to show.
_REFUSAL = "_sinau_sso_refusal"
# A claim value is echoed back to the person; a provider could send anything.
_ECHO_MAX = 40
# Failures of the exchange with the provider: unreachable, an error answer, a token that
# does not verify, or JSON that is not shaped as OpenID Connect says.
_PROVIDER_ERRORS = (
    requests.RequestException,
    SuspiciousOperation,
    jwt.PyJWTError,
    ValueError,
    KeyError,
    TypeError,
)


class SsoRefused(Exception):
    """The provider vouched for someone Sinau will not let in; the message says why."""


def enabled() -> bool:
    return bool(getattr(settings, "SINAU_OIDC_ENABLED", False))


def button_label() -> str:
    return str(getattr(settings, "SINAU_OIDC_LABEL", "")) or _("Masuk dengan SSO")


def is_callback(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.url_name == CALLBACK_URL_NAME


def nip_from_claims(claims: dict[str, Any], claim: str) -> str:
    """The NIP the provider vouches for, normalised; SsoRefused if absent or malformed."""
    raw = claims.get(claim)
    if raw is None or raw == "":
        raise SsoRefused(
            _("Akun SSO Anda tidak membawa NIP (klaim “%(claim)s”). Hubungi pengelola SSO.")
            % {"claim": claim}
        )
    # An 18-digit number may come as a JSON number; a list, object or boolean never is a NIP.
    nip = normalise_nip(raw) if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    if len(nip) != 18 or not (nip.isascii() and nip.isdigit()):
        raise SsoRefused(
            _("NIP dari SSO (%(value)s) tidak valid: NIP harus 18 digit. Hubungi pengelola SSO.")
            % {"value": str(raw)[:_ECHO_MAX]}
        )
    return nip


def employee_for_claims(claims: dict[str, Any]) -> Employee:
    """The active employee the claims name; SsoRefused otherwise. Never creates one."""
    nip = nip_from_claims(claims, settings.SINAU_OIDC_NIP_CLAIM)
    employee = Employee.objects.filter(nip=nip).first()
    if employee is None:
        raise SsoRefused(
            _(
                "NIP %(nip)s belum terdaftar di Sinau. Data pegawai berasal dari SIMPEG; "
                "hubungi admin kepegawaian OPD Anda."
            )
            % {"nip": nip}
        )
    if not employee.is_active:
        raise SsoRefused(
            _("Akun dengan NIP %(nip)s tidak aktif di Sinau. Hubungi admin kepegawaian OPD Anda.")
            % {"nip": nip}
        )
    return employee


class OidcNipBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow, matching the NIP claim against the roster."""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Employee | None:
        # The parent would exchange any ?code=&state= it finds, even on a password login's
        # URL; only the callback view's own call may reach the provider.
        if request is None or not is_callback(request):
            return None
        try:
            employee: Employee | None = super().authenticate(request, **kwargs)
        except SsoRefused as exc:
            logger.warning("sso login refused: %s", exc)
            setattr(request, _REFUSAL, str(exc))
            return None
        except _PROVIDER_ERRORS:
            logger.warning("sso exchange with the provider failed", exc_info=True)
            setattr(
                request,
                _REFUSAL,
                _(
                    "Masuk dengan SSO gagal: penyedia SSO tidak dapat dihubungi atau jawabannya "
                    "tidak sah. Coba lagi, atau masuk dengan NIP dan kata sandi."
                ),
            )
            return None
        return employee

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        # The parent checks signature, expiry and nonce; the audience and issuer it leaves
        # to us (an ID token minted for another client or by another provider is refused).
        payload: dict[str, Any] = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token audience is not this client")
        issuer = str(settings.SINAU_OIDC_ISSUER).rstrip("/")
        if str(payload.get("iss", "")).rstrip("/") != issuer:
            raise SuspiciousOperation("ID token issuer is not SINAU_OIDC_ISSUER")
        return payload

    def retrieve_matching_jwk(self, token: str) -> jwt.PyJWK:
        if "kid" in jwt.get_unverified_header(token):
            key: jwt.PyJWK = super().retrieve_matching_jwk(token)
            return key
        # The parent needs a kid. OpenID Connect Core 10.1 lets a provider leave it out
        # only when its key set holds a single key, so that one key is the only candidate.
        answer = requests.get(
            self.OIDC_OP_JWKS_ENDPOINT,
            verify=self.get_settings("OIDC_VERIFY_SSL", True),
            timeout=self.get_settings("OIDC_TIMEOUT", None),
            proxies=self.get_settings("OIDC_PROXY", None),
        )
        answer.raise_for_status()
        keys = [k for k in answer.json()["keys"] if k.get("use", "sig") == "sig"]
        if len(keys) != 1:
            raise SuspiciousOperation("ID token without kid, and the JWKS has several keys")
        return jwt.PyJWK(keys[0])

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> Employee:
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):
            # OpenID Connect Core 5.3.2: userinfo for another subject must not be used.
            raise SuspiciousOperation("userinfo subject differs from the ID token's")
        # Providers put custom claims in the ID token, the userinfo answer, or both.
        employee = employee_for_claims({**payload, **userinfo})
        logger.info("sso login", extra={"nip": employee.nip, "sub": payload.get("sub")})
        return employee

    def get_user(self, user_id: int) -> Employee | None:
        # The parent skips ModelBackend's is_active check: an employee deactivated by the
        # roster import would otherwise stay logged in through an SSO session.
        user: Employee | None = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def axes_exempt(request: HttpRequest, credentials: dict[str, Any] | None) -> bool:
    """Axes whitelist: a refused SSO callback is not a password guess.

    The provider has already checked the password (and counts its own failures); counting
    refusals here would lock a whole office NAT out of SSO after five unknown NIPs.
    """
    return is_callback(request)


class SsoAuthenticateView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider; 404 while SSO is off."""

    def __init__(self, **kwargs: Any) -> None:
        # The parent reads the OIDC_* settings here, and they exist only while SSO is on.
        View.__init__(self, **kwargs)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not enabled():
            raise Http404
        self.OIDC_OP_AUTH_ENDPOINT = settings.OIDC_OP_AUTHORIZATION_ENDPOINT
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """The provider's redirect back; a refusal lands on the login page with its reason."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not enabled():
            raise Http404
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response

    @property
    def failure_url(self) -> str:
        return resolve_url(settings.LOGIN_REDIRECT_URL_FAILURE)

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            response: HttpResponse = super().get(request)
        except SuspiciousOperation:
            # A state this session never issued: an old tab, a back button, a replayed link.
            logger.warning("sso callback with an unknown state")
            return self.login_failure()
        return response

    def login_failure(self) -> HttpResponse:
        reason = getattr(self.request, _REFUSAL, None) or _(
            "Masuk dengan SSO dibatalkan atau kedaluwarsa. Silakan coba lagi."
        )
        messages.error(self.request, reason)
        response: HttpResponse = super().login_failure()
        return response


urlpatterns = [
    path("authenticate/", SsoAuthenticateView.as_view(), name="oidc_authentication_init"),
    path("callback/", SsoCallbackView.as_view(), name=CALLBACK_URL_NAME),
]
