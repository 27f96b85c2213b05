"""My competency record through the API: the year's hours against the target, from the
yearly totals, and the ledger entries behind them; my own only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from courses.models import CoursePage
from lms.learning import services
from lms.learning.models import JPEntry
from lms.people.models import Employee
from tests.api.conftest import error_of

RECORD = reverse("api:my_record")
ENTRIES = reverse("api:my_record_entries")
THIS_YEAR = timezone.localdate().year


def credit(employee: Employee, jp: str, source_id: int, *, year: int = THIS_YEAR) -> JPEntry:
    entry, _created = services.jp_credit(
        employee_id=employee.pk, jp=Decimal(jp), competency_type="teknis", form="non_klasikal",
        source_type=JPEntry.Source.EXTERNAL, source_id=source_id,
        earned_on=dt.date(year, 3, 1), jenis_code=9, note=f"Seminar {source_id}",
    )  # fmt: skip
    return entry


def test_my_record_against_the_target(
    api: APIClient,
    learner: Employee,
    colleague: Employee,
    course: CoursePage,
    django_assert_max_num_queries: Any,
) -> None:
    credit(learner, "8", 1)
    credit(colleague, "30", 2)
    enrolment = services.enrolment_request(actor=learner, course=course)
    services.enrolment_complete(enrolment=enrolment, actor=None)
    with django_assert_max_num_queries(12):
        response = api.get(RECORD)
    assert response.status_code == 200, response.content.decode()
    data = response.json()
    assert (data["year"], data["jp"], data["target"]) == (THIS_YEAR, "10.00", "20.00")
    assert (data["met"], data["percent"], data["over_cap"]) == (False, 50, False)
    assert {s["code"]: s["jp"] for s in data["by_type"]}["teknis"] == "10.00"
    assert {s["code"]: s["jp"] for s in data["by_form"]}["non_klasikal"] == "10.00"
    assert [c["title"] for c in data["completed"]] == ["Etika ASN"]
    assert data["completed"][0]["enrolment"] == enrolment.pk


def test_entries_are_mine_and_filter_by_year(
    api: APIClient, learner: Employee, colleague: Employee, django_assert_max_num_queries: Any
) -> None:
    old = credit(learner, "4", 1, year=THIS_YEAR - 1)
    new = credit(learner, "6", 2)
    credit(colleague, "30", 3)
    reversal = services.jp_reverse(entry=new, actor=None, reason="Salah catat")
    with django_assert_max_num_queries(5):
        rows = api.get(ENTRIES).json()["results"]
    assert {r["id"] for r in rows} == {old.pk, new.pk, reversal.pk}
    this_year = api.get(ENTRIES, {"year": THIS_YEAR}).json()["results"]
    assert {r["id"] for r in this_year} == {new.pk, reversal.pk}
    undone = next(r for r in this_year if r["id"] == reversal.pk)
    assert (undone["jp"], undone["reverses"]) == ("-6.00", new.pk)
    assert next(r for r in this_year if r["id"] == new.pk)["jenis"] == 9
    last_year = api.get(RECORD, {"year": THIS_YEAR - 1}).json()
    assert (last_year["year"], last_year["jp"]) == (THIS_YEAR - 1, "4.00")
    assert last_year["years"] == [THIS_YEAR, THIS_YEAR - 1]


@pytest.mark.parametrize("year", ["dua ribu", "1999", "99999", "2025.5", "9" * 50])
def test_a_bad_year_is_400(api: APIClient, year: str) -> None:
    for url in (RECORD, ENTRIES):
        response = api.get(url, {"year": year})
        assert response.status_code == 400, (url, year)
        error = error_of(response)
        assert (error["type"], error["attr"]) == ("validation_error", "year")


def test_every_role_reads_only_their_own_record(
    token_client: Callable[[Employee | None], APIClient], pemda: dict[str, Any]
) -> None:
    credit(pemda["learner"], "8", 1)
    for role in ("admin_a", "auditor", "superuser"):
        client = token_client(pemda[role])
        assert client.get(RECORD).json()["jp"] == "0.00", role
        assert client.get(ENTRIES).json()["results"] == [], role
    anonymous = token_client(None)
    for url in (RECORD, ENTRIES):
        response = anonymous.get(url)
        assert response.status_code == 401
        assert error_of(response)["code"] == "not_authenticated"
