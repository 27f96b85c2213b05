"""The staff endpoints: OPD admins within their OPD, BKPSDM auditors across the Pemda,
learners refused; filters narrow, never widen; every error in the one error body."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from lms.people.models import Employee
from tests.api.conftest import api_client_for as client_for
from tests.reports.conftest import YEAR, compliance  # noqa: F401  (fixture)

STAFF_URLS = [
    "/api/v1/employees/",
    "/api/v1/enrolments/",
    "/api/v1/ledger/",
    "/api/v1/reports/compliance/",
    "/api/v1/reports/compliance/employees/",
]


def error_codes(response: Any) -> list[tuple[str, str | None]]:
    body = response.json()
    assert set(body) == {"type", "errors"}, body
    assert all(set(e) == {"code", "detail", "attr"} and e["detail"] for e in body["errors"])
    return [(e["code"], e["attr"]) for e in body["errors"]]


@pytest.mark.parametrize("url", STAFF_URLS)
def test_anonymous_gets_401_in_the_error_body(pemda: dict[str, Any], url: str) -> None:
    response = APIClient().get(url)
    assert response.status_code == 401
    assert response.json()["type"] == "client_error"
    assert error_codes(response) == [("not_authenticated", None)]


@pytest.mark.parametrize("url", STAFF_URLS)
def test_a_learner_is_refused_the_staff_data(pemda: dict[str, Any], url: str) -> None:
    response = client_for(pemda["learner"]).get(url)
    assert response.status_code == 403
    assert error_codes(response) == [("permission_denied", None)]
    assert "admin OPD" in response.json()["errors"][0]["detail"]


def test_a_bad_token_is_401(pemda: dict[str, Any]) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = client.get("/api/v1/employees/")
    assert response.status_code == 401
    assert error_codes(response) == [("authentication_failed", None)]


def nips(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {
        row["nip"] if "nip" in row else row["employee"]["nip"] for row in response.json()["results"]
    }


def test_employees_per_role(pemda: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    opd_a = {e.nip for e in Employee.objects.filter(org_unit__path__startswith=pemda["opd_a"].path)}
    everyone = set(Employee.objects.values_list("nip", flat=True))
    admin = client_for(pemda["admin_a"])
    # The token, the employee's other tokens (knox clears expired ones), roles, count, page.
    with django_assert_max_num_queries(5):
        seen_by_admin = nips(admin.get("/api/v1/employees/"))
    assert seen_by_admin == opd_a
    assert nips(client_for(pemda["auditor"]).get("/api/v1/employees/")) == everyone
    assert nips(client_for(pemda["superuser"]).get("/api/v1/employees/")) == everyone

    outsider = pemda["staff_b"][0]
    response = client_for(pemda["admin_a"]).get(f"/api/v1/employees/{outsider.nip}/")
    assert response.status_code == 404
    assert error_codes(response) == [("not_found", None)]
    response = client_for(pemda["auditor"]).get(f"/api/v1/employees/{outsider.nip}/")
    assert response.json()["full_name"] == outsider.full_name


def test_employee_filters_narrow_within_scope(pemda: dict[str, Any]) -> None:
    auditor = client_for(pemda["auditor"])
    inactive = pemda["staff_b"][2]
    inactive.is_active = False
    inactive.save()
    assert nips(auditor.get("/api/v1/employees/", {"is_active": "false"})) == {inactive.nip}
    in_b = nips(auditor.get("/api/v1/employees/", {"org_unit": pemda["opd_b"].pk}))
    assert in_b == {e.nip for e in pemda["staff_b"]}
    assert nips(auditor.get("/api/v1/employees/", {"q": "Perawat Bukit 1"})) == {
        pemda["staff_b"][1].nip
    }
    # An OPD admin cannot reach a neighbour's unit through the filter: a 400 naming it.
    response = client_for(pemda["admin_a"]).get(
        "/api/v1/employees/", {"org_unit": pemda["opd_b"].pk}
    )
    assert response.status_code == 400
    assert error_codes(response) == [("invalid_choice", "org_unit")]
    for bad in ({"employment_type": "TNI"}, {"is_active": "kadang"}, {"org_unit": "x"}):
        response = auditor.get("/api/v1/employees/", bad)
        assert response.status_code == 400, bad
        assert response.json()["type"] == "validation_error"
        assert error_codes(response)[0][1] == next(iter(bad))


def test_pages_are_bounded(pemda: dict[str, Any]) -> None:
    auditor = client_for(pemda["auditor"])
    body = auditor.get("/api/v1/employees/", {"page_size": 2}).json()
    assert len(body["results"]) == 2
    assert body["count"] == Employee.objects.count()
    assert body["next"].endswith("page=2&page_size=2")
    body = auditor.get("/api/v1/employees/", {"page_size": 200}).json()
    assert len(body["results"]) == Employee.objects.count()
    for too_many in ("201", "0", "-1", "semua"):
        response = auditor.get("/api/v1/employees/", {"page_size": too_many})
        assert response.status_code == 400, too_many
        assert error_codes(response) == [("invalid", "page_size")]
    response = auditor.get("/api/v1/employees/", {"page": 99})
    assert response.status_code == 404
    assert error_codes(response) == [("not_found", None)]


def test_ledger_and_enrolments_within_scope(
    compliance: dict[str, Any],  # noqa: F811
    django_assert_max_num_queries: Any,
) -> None:
    admin = client_for(compliance["admin_a"])
    with django_assert_max_num_queries(6):
        response = admin.get("/api/v1/ledger/", {"year": YEAR, "page_size": 200})
    rows = response.json()["results"]
    # Dinas Pendidikan's YEAR entries: 12 + 10 (a0), 5 (a1), 20 (admin), 40 (the inactive one).
    assert sorted(Decimal(r["jp"]) for r in rows) == [5, 10, 12, 20, 40]
    assert {r["employee"]["nip"] for r in rows} <= {
        e.nip for e in Employee.objects.filter(org_unit__path__startswith=compliance["opd_a"].path)
    }
    assert rows[0]["earned_on"] >= rows[-1]["earned_on"]  # newest first
    a0 = compliance["staff_a"][0]
    mine = admin.get("/api/v1/ledger/", {"nip": a0.nip, "competency_type": "manajerial"}).json()
    assert [Decimal(r["jp"]) for r in mine["results"]] == [10]

    auditor = client_for(compliance["auditor"])
    with django_assert_max_num_queries(6):
        response = auditor.get("/api/v1/enrolments/", {"status": "completed"})
    seen = [(r["employee"]["nip"], r["course_title"]) for r in response.json()["results"]]
    assert len(seen) == 4
    admin_seen = admin.get("/api/v1/enrolments/").json()["results"]
    assert {r["employee"]["nip"] for r in admin_seen} == {a0.nip}
    response = auditor.get(
        "/api/v1/enrolments/", {"completed_from": f"{YEAR}-01-01", "completed_to": f"{YEAR}-07-01"}
    )
    assert len(response.json()["results"]) == 2
    for bad in ({"status": "selesai"}, {"completed_from": "kemarin"}, {"course": "99999999999999"}):
        response = auditor.get("/api/v1/enrolments/", bad)
        assert response.status_code == 400, bad
        assert error_codes(response)[0][1] == next(iter(bad))
    response = auditor.get("/api/v1/ledger/", {"year": "1800"})
    assert response.status_code == 400
    assert error_codes(response) == [("min_value", "year")]


def test_compliance_report_matches_the_dashboard(
    compliance: dict[str, Any],  # noqa: F811
    django_assert_max_num_queries: Any,
) -> None:
    auditor = client_for(compliance["auditor"])
    # One more on SQLite, which has no median aggregate: it is read row by row.
    with django_assert_max_num_queries(13):
        response = auditor.get("/api/v1/reports/compliance/", {"year": YEAR})
    report = response.json()
    assert report["year"] == YEAR
    assert Decimal(report["targets"]["PPPK"]) == 10
    rows = {r["name"]: r for r in report["rows"]}
    pendidikan, kesehatan = rows["Dinas Pendidikan"], rows["Dinas Kesehatan"]
    # Pendidikan: a0 22 JP (met), a1 5, a2 0, the admin 20 (met); the inactive one not counted.
    assert (pendidikan["figures"]["asn"], pendidikan["figures"]["met"]) == (4, 2)
    assert Decimal(pendidikan["figures"]["jp_sum"]) == 47
    # Kesehatan: b0 30 (met), b1 7.5, b2 a PPPK with 12 against a target of 10 (met).
    assert (kesehatan["figures"]["asn"], kesehatan["figures"]["met"]) == (3, 2)
    assert report["totals"]["asn"] == 9  # with the auditor and superuser, at the Pemda
    assert [m["month"] for m in report["monthly"]] == list(range(1, 13))
    assert Decimal(report["monthly"][7]["jp"]) == Decimal("19.5")  # August: 7.5 + 12

    drill = auditor.get(
        "/api/v1/reports/compliance/", {"year": YEAR, "org_unit": kesehatan["org_unit"]}
    ).json()
    assert drill["org_unit"] == compliance["opd_b"].pk
    assert drill["totals"]["asn"] == 3

    admin = client_for(compliance["admin_a"]).get("/api/v1/reports/compliance/", {"year": YEAR})
    assert {r["name"] for r in admin.json()["rows"]} == {"Dinas Pendidikan"} | {
        r["name"] for r in admin.json()["rows"] if r["direct_only"]
    }
    assert admin.json()["totals"]["asn"] == 4
    neighbour = client_for(compliance["admin_a"]).get(
        "/api/v1/reports/compliance/", {"year": YEAR, "org_unit": compliance["opd_b"].pk}
    )
    assert neighbour.status_code == 400
    assert error_codes(neighbour) == [("invalid", "org_unit")]
    for bad in ({"year": "dua ribu"}, {"golongan": "Z"}, {"org_unit": "-1"}):
        response = auditor.get("/api/v1/reports/compliance/", bad)
        assert response.status_code == 400, bad
        assert error_codes(response)[0][1] == next(iter(bad))


def test_employee_compliance_lists_each_employee(
    compliance: dict[str, Any],  # noqa: F811
    django_assert_max_num_queries: Any,
) -> None:
    admin = client_for(compliance["admin_a"])
    with django_assert_max_num_queries(7):
        response = admin.get(
            "/api/v1/reports/compliance/employees/", {"year": str(YEAR), "sort": "-jp"}
        )
    body = response.json()
    assert body["count"] == 4
    rows = [(r["name"], Decimal(r["jp"]), r["met"]) for r in body["results"]]
    assert rows[0][1:] == (Decimal(22), True)
    assert rows[-1][1:] == (Decimal(0), False)
    assert all(Decimal(r["target"]) == 20 for r in body["results"])
    response = admin.get("/api/v1/reports/compliance/employees/", {"sort": "gaji"})
    assert response.status_code == 400
    assert error_codes(response) == [("invalid_choice", "sort")]


def test_a_token_is_issued_for_nip_and_password_and_can_be_revoked(
    pemda: dict[str, Any], settings: Any
) -> None:
    from wagtail.models import ModelLogEntry

    admin = pemda["admin_a"]
    spaced = f"{admin.nip[:8]} {admin.nip[8:14]} {admin.nip[14]} {admin.nip[15:]}"
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": spaced, "password": "kata-sandi-uji-123"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    first = response.json()["token"]
    assert response.json()["nip"] == admin.nip
    expiry = dt.datetime.fromisoformat(response.json()["expiry"])
    assert dt.timedelta(days=89) < expiry - timezone.now() <= dt.timedelta(days=90)
    # Only a hash is stored: the database holds no usable token.
    assert not AuthToken.objects.filter(digest__contains=first).exists()
    assert first not in str(list(AuthToken.objects.values_list("digest", "token_key")))
    second = (
        APIClient()
        .post("/api/v1/auth/token/", {"username": admin.nip, "password": "kata-sandi-uji-123"})
        .json()["token"]
    )
    assert second != first

    one, two = APIClient(), APIClient()
    one.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    two.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert one.get("/api/v1/employees/").status_code == 200
    assert one.post("/api/v1/auth/token/revoke/").status_code == 405
    assert one.delete("/api/v1/auth/token/revoke/").status_code == 204
    assert one.get("/api/v1/employees/").status_code == 401
    assert two.get("/api/v1/employees/").status_code == 200  # only the token used is revoked
    # From a browser session, every token goes.
    browser = APIClient()
    browser.force_login(admin)
    assert browser.delete("/api/v1/auth/token/revoke/").status_code == 204
    assert two.get("/api/v1/employees/").status_code == 401
    actions = list(
        ModelLogEntry.objects.filter(object_id=str(admin.pk)).values_list("action", flat=True)
    )
    assert actions.count("sinau.api.token_issue") == 2
    assert actions.count("sinau.api.token_revoke") == 2


def test_an_employee_holds_a_few_tokens_at_most(pemda: dict[str, Any]) -> None:
    learner = pemda["learner"]
    for _ in range(5):  # SINAU_API_TOKENS_PER_EMPLOYEE
        AuthToken.objects.create(user=learner)
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": learner.nip, "password": "kata-sandi-uji-123"}
    )
    assert response.status_code == 400
    assert error_codes(response) == [("invalid", "non_field_errors")]
    assert "Cabut token" in response.json()["errors"][0]["detail"]
    assert AuthToken.objects.filter(user=learner).count() == 5
    # An expired token does not count, and is cleared away.
    AuthToken.objects.filter(user=learner).update(expiry=timezone.now() - dt.timedelta(days=1))
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": learner.nip, "password": "kata-sandi-uji-123"}
    )
    assert response.status_code == 201
    assert AuthToken.objects.filter(user=learner).count() == 1


def test_an_expired_token_or_a_deactivated_employee_is_refused(pemda: dict[str, Any]) -> None:
    client = client_for(pemda["admin_a"])
    assert client.get("/api/v1/employees/").status_code == 200
    AuthToken.objects.filter(user=pemda["admin_a"]).update(
        expiry=timezone.now() - dt.timedelta(seconds=1)
    )
    assert client.get("/api/v1/employees/").status_code == 401
    client = client_for(pemda["auditor"])
    Employee.objects.filter(pk=pemda["auditor"].pk).update(is_active=False)
    response = client.get("/api/v1/employees/")
    assert response.status_code == 401
    assert error_codes(response) == [("authentication_failed", None)]


def test_token_refusals_use_the_error_body_and_lock_out(pemda: dict[str, Any]) -> None:
    client = APIClient()
    nip = pemda["learner"].nip
    response = client.post("/api/v1/auth/token/", {"username": nip}, format="json")
    assert response.status_code == 400
    assert error_codes(response) == [("required", "password")]
    for attempt in range(1, 6):  # AXES_FAILURE_LIMIT: the fifth failure locks the account
        response = client.post(
            "/api/v1/auth/token/", {"username": nip, "password": "salah"}, format="json"
        )
        if attempt < 5:
            assert response.status_code == 401
            assert error_codes(response) == [("authentication_failed", None)]
    assert response.status_code == 429
    # Locked now, even with the right password: the login page's lockout, in the API's body.
    response = client.post(
        "/api/v1/auth/token/", {"username": nip, "password": "kata-sandi-uji-123"}, format="json"
    )
    assert response.status_code == 429
    assert error_codes(response) == [("throttled", None)]
    assert "dikunci" in response.json()["errors"][0]["detail"]
    assert int(response["Retry-After"]) > 0
    assert not AuthToken.objects.filter(user=pemda["learner"]).exists()


def test_token_requests_are_throttled_per_client(pemda: dict[str, Any]) -> None:
    client = APIClient()
    answers = [
        client.post(
            "/api/v1/auth/token/", {"username": f"orang{i}@uji.go.id", "password": "x"},
            format="json", REMOTE_ADDR="203.0.113.9",
        ).status_code
        for i in range(11)
    ]  # fmt: skip
    assert answers == [401] * 10 + [429]  # SINAU_API_RATE_TOKEN: 10 a minute
    throttled = client.post(
        "/api/v1/auth/token/", {"username": "a@uji.go.id", "password": "x"},
        format="json", REMOTE_ADDR="203.0.113.9",
    )  # fmt: skip
    assert error_codes(throttled) == [("throttled", None)]
    assert int(throttled["Retry-After"]) > 0
    other = client.post(
        "/api/v1/auth/token/", {"username": "a@uji.go.id", "password": "x"},
        format="json", REMOTE_ADDR="198.51.100.4",
    )  # fmt: skip
    assert other.status_code == 401  # another client has its own budget


def test_course_reports_within_scope(
    compliance: dict[str, Any],  # noqa: F811
    django_assert_max_num_queries: Any,
) -> None:
    course = compliance["course"]  # "Kursus Laporan": a0 and b0 completed it, b1 a year before
    auditor = client_for(compliance["auditor"])
    with django_assert_max_num_queries(12):
        listed = auditor.get("/api/v1/reports/courses/")
    rows = {r["title"]: r for r in listed.json()["results"]}
    assert (rows["Kursus Laporan"]["learners"], rows["Kursus Laporan"]["completed"]) == (3, 3)
    assert Decimal(rows["Kursus Laporan"]["completion_rate"]) == 100
    assert rows["Kursus Lain"]["learners"] == 1

    admin = client_for(compliance["admin_a"])
    mine = {r["title"]: r for r in admin.get("/api/v1/reports/courses/").json()["results"]}
    assert mine["Kursus Laporan"]["learners"] == 1  # only Dinas Pendidikan's learner

    with django_assert_max_num_queries(14):
        detail = auditor.get(f"/api/v1/reports/courses/{course.pk}/").json()
    assert detail["figures"]["learners"] == 3
    assert {o["name"]: o["learners"] for o in detail["opds"]} == {
        "Dinas Pendidikan": 1,
        "Dinas Kesehatan": 2,
    }
    assert [m["title"] for m in detail["modules"]] == ["Modul 1"]
    narrowed = auditor.get(
        f"/api/v1/reports/courses/{course.pk}/", {"org_unit": compliance["opd_b"].pk}
    ).json()
    assert narrowed["figures"]["learners"] == 2

    neighbour = admin.get(
        f"/api/v1/reports/courses/{course.pk}/", {"org_unit": compliance["opd_b"].pk}
    )
    assert neighbour.status_code == 400
    assert error_codes(neighbour) == [("invalid", "org_unit")]
    for missing in ("999999", "abc"):
        response = auditor.get(f"/api/v1/reports/courses/{missing}/")
        assert response.status_code == 404
        assert error_codes(response) == [("not_found", None)]
    learner = client_for(compliance["learner"]).get("/api/v1/reports/courses/")
    assert learner.status_code == 403
