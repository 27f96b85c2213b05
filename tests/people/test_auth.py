from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

LOGIN = "people:login"


def post_login(client: Client, username: str, password: str, ip: str = "10.0.0.7") -> Any:
    return client.post(reverse(LOGIN), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_login_with_nip_as_printed_on_an_sk(
    client: Client, pemda: dict[str, Any], home: Any
) -> None:
    learner = pemda["learner"]
    spaced = f"{learner.nip[:8]} {learner.nip[8:14]} {learner.nip[14]} {learner.nip[15:]}"
    response = post_login(client, spaced, PASSWORD)
    assert response.status_code == 302
    home = client.get("/")
    assert learner.full_name in home.content.decode()


def test_login_with_email_in_any_case(client: Client, pemda: dict[str, Any]) -> None:
    response = post_login(client, pemda["learner"].email.upper(), PASSWORD)
    assert response.status_code == 302


def test_wrong_password_gets_a_clear_message(client: Client, pemda: dict[str, Any]) -> None:
    response = post_login(client, pemda["learner"].nip, "salah")
    assert response.status_code == 200
    assert "NIP/email atau kata sandi salah." in response.content.decode()


def test_inactive_employee_cannot_log_in(client: Client, pemda: dict[str, Any]) -> None:
    learner = pemda["learner"]
    learner.is_active = False
    learner.save()
    assert post_login(client, learner.nip, PASSWORD).status_code == 200
    assert "_auth_user_id" not in client.session


def test_login_is_throttled_after_five_failures(
    client: Client, pemda: dict[str, Any], settings: Any
) -> None:
    learner = pemda["learner"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, learner.nip, "salah")
    locked = post_login(client, learner.nip, PASSWORD)
    assert locked.status_code == 429
    assert "Terlalu banyak percobaan" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another colleague behind the same office NAT is not locked out.
    other = Client()
    assert post_login(other, pemda["staff_a"][1].nip, PASSWORD).status_code == 302


def test_wagtail_admin_login_is_throttled_too(client: Client, pemda: dict[str, Any]) -> None:
    admin = pemda["superuser"]
    for _ in range(5):
        client.post("/admin/login/", {"username": admin.nip, "password": "salah"})
    response = client.post("/admin/login/", {"username": admin.nip, "password": PASSWORD})
    assert response.status_code == 429


@pytest.mark.parametrize(
    ("path", "logged_in"), [("/masuk/", False), ("/", True), ("/", False), ("/akun/", True)]
)
def test_public_pages_query_count(
    client: Client, pemda: dict[str, Any], home: Any, path: str, logged_in: bool,
    django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    if logged_in:
        client.force_login(pemda["learner"])
    client.get(path)
    with django_assert_max_num_queries(10):
        assert client.get(path).status_code == 200
