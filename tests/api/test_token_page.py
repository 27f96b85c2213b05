"""The account's "Token API" page: an employee makes, sees and revokes their own tokens."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

PAGE = "/akun/token-api/"


def test_anonymous_is_sent_to_log_in(pemda: dict[str, Any]) -> None:
    response = Client().get(PAGE)
    assert response.status_code == 302
    assert "/masuk/" in response["Location"]


def test_a_token_is_shown_once_and_works_until_revoked(
    pemda: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client = Client()
    client.force_login(pemda["learner"])
    page = client.get(PAGE)
    assert "Anda belum memegang token API." in page.content.decode()

    made = client.post(PAGE)
    assert made.status_code == 201
    assert made["Cache-Control"] == "no-store"
    html = made.content.decode()
    token = re.search(r'id="token-value"[^>]*value="([^"]+)"', html)
    assert token is not None
    key = token.group(1)
    assert "hanya ditampilkan sekali" in html

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/enrolments/").status_code == 200

    with django_assert_max_num_queries(6):
        listed = client.get(PAGE).content.decode()
    assert key not in listed  # only its first characters, never again in full
    assert f"{key[:8]}…" in listed

    stored = AuthToken.objects.get(user=pemda["learner"])
    revoke = f"{PAGE}{stored.token_key}/cabut/"
    assert client.get(revoke).status_code == 405
    response = client.post(revoke, follow=True)
    assert "dicabut" in response.content.decode()
    assert api.get("/api/v1/me/enrolments/").status_code == 401


def test_no_one_revokes_another_employees_token(pemda: dict[str, Any]) -> None:
    theirs, _key = AuthToken.objects.create(user=pemda["staff_b"][0])
    client = Client()
    client.force_login(pemda["learner"])
    for key in (theirs.token_key, "x" * 15, "../../etc"):
        assert client.post(f"{PAGE}{key}/cabut/").status_code == 404
    assert AuthToken.objects.filter(pk=theirs.pk).exists()


def test_the_limit_is_explained_instead_of_a_button(pemda: dict[str, Any]) -> None:
    for _ in range(5):
        AuthToken.objects.create(user=pemda["learner"])
    client = Client()
    client.force_login(pemda["learner"])
    html = client.get(PAGE).content.decode()
    assert "batas per pegawai" in html
    assert "Buat token baru" not in html
    refused = client.post(PAGE)
    assert refused.status_code == 409
    assert "Cabut token yang tidak dipakai lagi" in refused.content.decode()
    assert AuthToken.objects.filter(user=pemda["learner"]).count() == 5


def test_the_account_page_links_to_it(pemda: dict[str, Any]) -> None:
    client = Client()
    client.force_login(pemda["learner"])
    assert PAGE in client.get("/akun/").content.decode()
