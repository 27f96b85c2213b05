"""The limits that stop guessing and flooding answer 429 with Retry-After, and the budget
is per client. Covered elsewhere: the token endpoint's own rate and the lockout through
the API (tests/api/test_staff.py), certificate verification on the page and the API
(tests/certificates/test_verify.py), the heartbeat's minimum spacing
(tests/api/test_learner_heartbeat.py). Here: the login pages' lockout carries Retry-After,
and the API's per-client rates for anonymous clients and logged-in employees."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import PASSWORD


@pytest.mark.parametrize("login", ["people:login", "wagtailadmin_login"])
def test_login_lockout_answers_429_with_retry_after(
    pemda: dict[str, Any], settings: Any, login: str
) -> None:
    client = Client()
    nip = pemda["superuser"].nip
    url = reverse(login)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": nip, "password": "salah"}, REMOTE_ADDR="10.9.8.7")
    locked = client.post(url, {"username": nip, "password": PASSWORD}, REMOTE_ADDR="10.9.8.7")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == int(settings.AXES_COOLOFF_TIME * 3600)
    assert "Terlalu banyak percobaan" in locked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.fixture
def low_rates(monkeypatch: pytest.MonkeyPatch) -> None:
    """The API's real throttles with small budgets (the rates are read when DRF loads)."""
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "2/min")
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "3/min")


def test_anonymous_api_clients_have_a_rate_per_address(db: None, low_rates: None) -> None:
    client = APIClient()
    url = reverse("api-schema") + "?format=json"
    here = "203.0.113.20"
    assert [client.get(url, REMOTE_ADDR=here).status_code for _ in range(2)] == [200, 200]
    limited = client.get(url, REMOTE_ADDR=here)
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 60
    assert json.loads(limited.content)["errors"][0]["code"] == "throttled"
    # Another address still has its budget.
    assert client.get(url, REMOTE_ADDR="198.51.100.20").status_code == 200


def test_logged_in_api_clients_have_a_rate_per_employee(
    pemda: dict[str, Any], low_rates: None
) -> None:
    url = reverse("api:my_record")
    client = APIClient()
    client.force_login(pemda["learner"])
    # The budget follows the employee, not the address: changing networks does not reset it.
    answers = [client.get(url, REMOTE_ADDR=f"10.0.0.{n}").status_code for n in range(1, 5)]
    assert answers == [200, 200, 200, 429]
    limited = client.get(url)
    assert 0 < int(limited["Retry-After"]) <= 60
    assert limited.json() == {
        "type": "client_error",
        "errors": [{"code": "throttled", "detail": limited.json()["errors"][0]["detail"],
                    "attr": None}],
    }  # fmt: skip
    colleague = APIClient()
    colleague.force_login(pemda["staff_a"][1])
    assert colleague.get(url).status_code == 200
