"""Single sign-on against a real OpenID Connect provider on loopback.

oidc-provider-mock is a complete provider (authlib's authorization server: authorization
form, token endpoint, signed ID tokens, JWKS, userinfo), run in a thread on 127.0.0.1.
Sinau's side is not mocked at all: mozilla-django-oidc exchanges the code and fetches the
keys and the userinfo over real HTTP.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import oidc_provider_mock
import pytest
import requests
import werkzeug.serving
from django.conf import settings as django_settings
from django.contrib import auth
from django.test import Client
from django.urls import reverse

from lms.people.models import Employee
from tests.factories import PASSWORD, valid_nip

TIMEOUT = 10
CALLBACK = "http://testserver/oidc/callback/"
LOGIN_URL = "/masuk/"


@dataclass
class Provider:
    url: str
    client_id: str
    client_secret: str

    def set_user(self, sub: str, claims: dict[str, Any]) -> None:
        """The provider's own API for the claims it will vouch for when `sub` signs in."""
        answer = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=TIMEOUT)
        assert answer.status_code == 204, answer.text


@contextmanager
def running_provider(redirect_uri: str = CALLBACK) -> Iterator[Provider]:
    """The provider on 127.0.0.1 with Sinau registered as a client, until the block ends."""
    # Clients must register (RFC 7591) and authenticate at the token endpoint, as with a
    # Pemda's Keycloak; the nonce is required, as mozilla-django-oidc always sends one.
    app = oidc_provider_mock.app(require_client_registration=True, require_nonce=True)
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        registered = requests.post(
            f"{url}/oauth2/clients",
            json={
                "redirect_uris": [redirect_uri],
                "token_endpoint_auth_method": "client_secret_post",
            },
            timeout=TIMEOUT,
        )
        assert registered.status_code == 201, registered.text
        body = registered.json()
        yield Provider(url=url, client_id=body["client_id"], client_secret=body["client_secret"])
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def switch_sso_on(settings: Any, provider: Provider) -> None:
    """Sinau's SSO pointed at the provider, as lms/settings.py does from the environment
    (the endpoints copied from the discovery document, as the README tells an operator)."""
    discovery = requests.get(f"{provider.url}/.well-known/openid-configuration", timeout=TIMEOUT)
    config = discovery.json()
    settings.SINAU_OIDC_ENABLED = True
    settings.SINAU_OIDC_ISSUER = config["issuer"]
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = config["authorization_endpoint"]
    settings.OIDC_OP_TOKEN_ENDPOINT = config["token_endpoint"]
    settings.OIDC_OP_USER_ENDPOINT = config["userinfo_endpoint"]
    settings.OIDC_OP_JWKS_ENDPOINT = config["jwks_uri"]
    settings.OIDC_RP_CLIENT_ID = provider.client_id
    settings.OIDC_RP_CLIENT_SECRET = provider.client_secret
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_RP_SCOPES = "openid profile"
    settings.OIDC_USE_PKCE = True
    settings.OIDC_TIMEOUT = TIMEOUT
    settings.OIDC_CREATE_USER = False
    settings.LOGIN_REDIRECT_URL_FAILURE = "people:login"
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "lms.people.sso.OidcNipBackend",
    ]
    settings.AXES_WHITELIST_CALLABLE = "lms.people.sso.axes_exempt"


@pytest.fixture
def sso(settings: Any) -> Iterator[Provider]:
    with running_provider() as provider:
        switch_sso_on(settings, provider)
        yield provider


def start(client: Client, provider: Provider, query: str = "") -> str:
    """Click the SSO button: Sinau redirects to the provider's authorization endpoint."""
    response = client.get("/oidc/authenticate/" + query)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{provider.url}/oauth2/authorize?")
    return str(location)


def authorize(authorize_url: str, sub: str, *, deny: bool = False) -> str:
    """The person at the provider: its form, then Authorize (or Deny). Returns the callback."""
    page = requests.get(authorize_url, timeout=TIMEOUT)
    assert page.status_code == 200
    assert 'name="sub"' in page.text
    data = {"action": "deny"} if deny else {"sub": sub}
    answer = requests.post(authorize_url, data=data, allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["Location"])
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == CALLBACK
    return f"{callback.path}?{callback.query}"


def sso_login(
    client: Client, provider: Provider, claims: dict[str, Any], *, sub: str = "pegawai-1"
) -> Any:
    provider.set_user(sub, claims)
    return client.get(authorize(start(client, provider), sub))


def logged_in_pk(client: Client) -> int | None:
    user = auth.get_user(client)
    return int(user.pk) if user.is_authenticated else None


def message_on_login_page(client: Client, response: Any) -> str:
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    page = client.get(LOGIN_URL)
    assert page.status_code == 200
    return str(page.content.decode())


def test_known_nip_logs_in_and_lands_on_the_dashboard(
    client: Client, sso: Provider, pemda: dict[str, Any], home: Any,
    django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    learner = pemda["learner"]
    sso.set_user("andalas", {"nip": learner.nip_display, "name": "Nama di SSO"})
    callback = authorize(start(client, sso), "andalas")
    with django_assert_max_num_queries(20):
        response = client.get(callback)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_pk(client) == learner.pk
    dashboard = client.get("/")
    assert learner.full_name in dashboard.content.decode()
    # The roster, not the provider, owns the employee's record.
    learner.refresh_from_db()
    assert learner.full_name != "Nama di SSO"


def test_next_is_kept_through_the_provider(
    client: Client, sso: Provider, pemda: dict[str, Any]
) -> None:
    learner = pemda["learner"]
    sso.set_user("andalas", {"nip": learner.nip})
    response = client.get(authorize(start(client, sso, "?next=/akun/"), "andalas"))
    assert response["Location"] == "/akun/"
    assert client.get("/akun/").status_code == 200


def test_numeric_nip_claim_is_accepted(
    client: Client, sso: Provider, pemda: dict[str, Any]
) -> None:
    learner = pemda["learner"]
    response = sso_login(client, sso, {"nip": int(learner.nip)})
    assert response["Location"] == "/"
    assert logged_in_pk(client) == learner.pk


def test_configured_claim_is_the_one_read(
    client: Client, sso: Provider, pemda: dict[str, Any], settings: Any
) -> None:
    settings.SINAU_OIDC_NIP_CLAIM = "nip_asn"
    learner, other = pemda["learner"], pemda["staff_b"][0]
    # "nip" names someone else; only the configured claim counts.
    sso_login(client, sso, {"nip": other.nip, "nip_asn": learner.nip})
    assert logged_in_pk(client) == learner.pk


def test_unknown_nip_is_refused_and_no_account_is_created(
    client: Client, sso: Provider, pemda: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    stranger = valid_nip()
    count = Employee.objects.count()
    sso.set_user("orang-luar", {"nip": stranger, "email": pemda["learner"].email})
    callback = authorize(start(client, sso), "orang-luar")
    with django_assert_max_num_queries(8):
        response = client.get(callback)
    page = message_on_login_page(client, response)
    assert f"NIP {stranger} belum terdaftar di Sinau" in page
    assert Employee.objects.count() == count
    # The email belongs to a real employee, and is still not used to match anyone.
    assert logged_in_pk(client) is None


def test_inactive_employee_is_refused(client: Client, sso: Provider, pemda: dict[str, Any]) -> None:
    learner = pemda["learner"]
    Employee.objects.filter(pk=learner.pk).update(is_active=False)
    page = message_on_login_page(client, sso_login(client, sso, {"nip": learner.nip}))
    assert f"Akun dengan NIP {learner.nip} tidak aktif di Sinau" in page
    assert logged_in_pk(client) is None


@pytest.mark.parametrize("value", ["12345", "1986092620150510011", "NIP-saya", ["x"], True])
def test_malformed_nip_claim_is_refused(
    client: Client, sso: Provider, pemda: dict[str, Any], value: Any
) -> None:
    page = message_on_login_page(client, sso_login(client, sso, {"nip": value}))
    assert "tidak valid: NIP harus 18 digit" in page
    assert logged_in_pk(client) is None


def test_missing_nip_claim_is_refused(client: Client, sso: Provider, pemda: dict[str, Any]) -> None:
    page = message_on_login_page(client, sso_login(client, sso, {"email": "x@uji.go.id"}))
    assert "tidak membawa NIP (klaim “nip”)" in page
    assert logged_in_pk(client) is None


def test_denied_at_the_provider(client: Client, sso: Provider, pemda: dict[str, Any]) -> None:
    response = client.get(authorize(start(client, sso), "andalas", deny=True))
    page = message_on_login_page(client, response)
    assert "Masuk dengan SSO dibatalkan atau kedaluwarsa" in page
    assert logged_in_pk(client) is None


def test_replayed_callback_is_refused(client: Client, sso: Provider, pemda: dict[str, Any]) -> None:
    learner = pemda["learner"]
    sso.set_user("andalas", {"nip": learner.nip})
    callback = authorize(start(client, sso), "andalas")
    assert client.get(callback)["Location"] == "/"
    # Someone else's browser with the same link: no state in that session.
    other = Client()
    page = message_on_login_page(other, other.get(callback))
    assert "dibatalkan atau kedaluwarsa" in page
    assert logged_in_pk(other) is None
    # The same browser again: the state was used up.
    client.logout()
    page = message_on_login_page(client, client.get(callback))
    assert "dibatalkan atau kedaluwarsa" in page


def test_wrong_client_secret_is_a_message_not_an_error(
    client: Client, sso: Provider, pemda: dict[str, Any], settings: Any
) -> None:
    settings.OIDC_RP_CLIENT_SECRET = "bukan-rahasianya"
    page = message_on_login_page(client, sso_login(client, sso, {"nip": pemda["learner"].nip}))
    assert "penyedia SSO tidak dapat dihubungi atau jawabannya tidak sah" in page
    assert logged_in_pk(client) is None


def test_token_from_another_issuer_is_refused(
    client: Client, sso: Provider, pemda: dict[str, Any], settings: Any
) -> None:
    settings.SINAU_OIDC_ISSUER = "https://sso.pemda-lain.go.id"
    page = message_on_login_page(client, sso_login(client, sso, {"nip": pemda["learner"].nip}))
    assert "jawabannya tidak sah" in page
    assert logged_in_pk(client) is None


def test_unreachable_provider_is_a_message_not_an_error(
    client: Client, sso: Provider, pemda: dict[str, Any], settings: Any
) -> None:
    sso.set_user("andalas", {"nip": pemda["learner"].nip})
    callback = authorize(start(client, sso), "andalas")
    settings.OIDC_OP_TOKEN_ENDPOINT = "http://127.0.0.1:9/oauth2/token"  # discard port: refused
    page = message_on_login_page(client, client.get(callback))
    assert "tidak dapat dihubungi" in page


def test_deactivated_employee_loses_the_sso_session(
    client: Client, sso: Provider, pemda: dict[str, Any]
) -> None:
    learner = pemda["learner"]
    sso_login(client, sso, {"nip": learner.nip})
    assert client.get("/akun/").status_code == 200
    Employee.objects.filter(pk=learner.pk).update(is_active=False)
    assert client.get("/akun/")["Location"].startswith(LOGIN_URL)


def test_refusals_do_not_lock_the_office_out(
    client: Client, sso: Provider, pemda: dict[str, Any], settings: Any
) -> None:
    # Five colleagues behind one NAT whose NIPs are not in the roster yet...
    for i in range(settings.AXES_FAILURE_LIMIT + 1):
        sso_login(Client(), sso, {"nip": valid_nip()}, sub=f"baru-{i}")
    # ...do not stop the next one, nor anyone's password login.
    learner = pemda["learner"]
    assert sso_login(client, sso, {"nip": learner.nip})["Location"] == "/"
    other = Client()
    answer = other.post(reverse("people:login"), {"username": learner.nip, "password": PASSWORD})
    assert answer.status_code == 302


def test_login_page_offers_sso_and_keeps_the_password_form(
    client: Client, sso: Provider, pemda: dict[str, Any], settings: Any,
    django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    settings.SINAU_OIDC_LABEL = "Masuk dengan akun SIMPEG"
    with django_assert_max_num_queries(3):
        page = client.get(LOGIN_URL + "?next=/akun/").content.decode()
    assert "Masuk dengan akun SIMPEG" in page
    assert 'href="/oidc/authenticate/?next=/akun/"' in page
    assert 'name="password"' in page
    learner = pemda["learner"]
    answer = client.post(LOGIN_URL, {"username": learner.nip, "password": PASSWORD})
    assert answer.status_code == 302
    assert logged_in_pk(client) == learner.pk


def test_default_label(client: Client, sso: Provider, db: None) -> None:
    assert "Masuk dengan SSO" in client.get(LOGIN_URL).content.decode()


def test_sso_off_hides_everything(client: Client, db: None) -> None:
    assert not django_settings.SINAU_OIDC_ENABLED
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404
    page = client.get(LOGIN_URL).content.decode()
    assert "/oidc/" not in page
    assert 'name="password"' in page


def _settings_in_a_fresh_process(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SINAU_OIDC_ENABLED, s.AUTHENTICATION_BACKENDS[-1], s.OIDC_RP_SIGN_ALGO)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OIDC_", "SINAU_OIDC_"))}
    return subprocess.run(  # noqa: S603  (our own interpreter, fixed arguments)
        [sys.executable, "-c", code],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "lms.settings",
            "SINAU_ENV_FILE": os.devnull,
            "SECRET_KEY": "uji",
            **env,
        },
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_settings_switch_on_from_the_environment() -> None:
    endpoints = {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://sso.example.go.id/auth",
        "OIDC_OP_TOKEN_ENDPOINT": "https://sso.example.go.id/token",
        "OIDC_OP_USER_ENDPOINT": "https://sso.example.go.id/userinfo",
        "OIDC_OP_JWKS_ENDPOINT": "https://sso.example.go.id/certs",
        "OIDC_RP_CLIENT_ID": "sinau",
        "OIDC_RP_CLIENT_SECRET": "rahasia",
    }
    on = _settings_in_a_fresh_process(
        {"SINAU_OIDC_ISSUER": "https://sso.example.go.id", **endpoints}
    )
    assert on.returncode == 0, on.stderr
    assert on.stdout.split() == ["True", "lms.people.sso.OidcNipBackend", "RS256"]

    missing = _settings_in_a_fresh_process(
        {"SINAU_OIDC_ISSUER": "https://sso.example.go.id", "OIDC_RP_CLIENT_ID": "sinau"}
    )
    assert missing.returncode != 0
    assert "single sign-on needs: OIDC_OP_AUTHORIZATION_ENDPOINT" in missing.stderr
    assert "OIDC_RP_CLIENT_ID" not in missing.stderr.split("needs:")[-1]


def test_password_login_never_exchanges_a_code(
    client: Client, sso: Provider, pemda: dict[str, Any]
) -> None:
    learner = pemda["learner"]
    sso.set_user("andalas", {"nip": learner.nip})
    callback = authorize(start(client, sso), "andalas")
    query = callback.split("?", 1)[1]
    # A code and state in the password form's URL are not an SSO login...
    answer = client.post(f"{LOGIN_URL}?{query}", {"username": learner.nip, "password": "salah"})
    assert answer.status_code == 200
    assert logged_in_pk(client) is None
    # ...and the code was left unused for the callback.
    assert client.get(callback)["Location"] == "/"
    assert logged_in_pk(client) == learner.pk
