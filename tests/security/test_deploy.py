"""Production settings, as ``manage.py`` sees them with only the environment a deployment
sets: DEBUG off, HTTPS everywhere (redirect, HSTS with subdomains and preload, secure
cookies, the proxy's scheme header) and the headers every answer carries. ``check
--deploy`` itself runs in tests/core/test_settings.py."""

from __future__ import annotations

import json

from tests.core.test_settings import PROD_KEY, clean_env, manage

NAMES = (
    "DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
    "LANGUAGE_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY",
    "SECURE_PROXY_SSL_HEADER", "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS", "SECURE_REDIRECT_EXEMPT",
)  # fmt: skip


def production_settings(**env: str) -> dict[str, object]:
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {NAMES!r}}}))"
    )
    result = manage(
        "shell", "-v", "0", "-c", code,
        env=clean_env(**{"SECRET_KEY": PROD_KEY, "SINAU_HTTPS": "true",
                         "ALLOWED_HOSTS": "sinau.example.go.id", **env}),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_production_settings_are_https_only_with_debug_off() -> None:
    seen = production_settings()
    assert seen["DEBUG"] is False
    assert seen["SECURE_SSL_REDIRECT"] is True
    assert seen["SECURE_REDIRECT_EXEMPT"] == ["^healthz$"]  # the probes speak plain HTTP
    assert int(str(seen["SECURE_HSTS_SECONDS"])) >= 365 * 24 * 3600
    assert seen["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert seen["SECURE_HSTS_PRELOAD"] is True
    for cookie in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "LANGUAGE_COOKIE_SECURE"):
        assert seen[cookie] is True, cookie
    assert seen["SESSION_COOKIE_HTTPONLY"] is True
    assert seen["CSRF_COOKIE_HTTPONLY"] is True
    assert seen["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert seen["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert seen["SECURE_REFERRER_POLICY"] == "same-origin"
    assert seen["X_FRAME_OPTIONS"] == "DENY"


def test_debug_stays_off_even_if_https_is_switched_off() -> None:
    seen = production_settings(SINAU_HTTPS="false")
    assert seen["DEBUG"] is False
    assert seen["SESSION_COOKIE_SECURE"] is False  # plain HTTP (a laptop): cookies must work
