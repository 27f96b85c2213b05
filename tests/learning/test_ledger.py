"""The JP ledger: a completion credits the course's hours once, in its transaction; a source
credits an employee once (also when events race, on PostgreSQL); corrections are reversing
entries; PostgreSQL refuses UPDATE and DELETE on the table; the yearly totals always equal
the sum of the entries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, models, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.models import CoursePage
from lms.learning import services
from lms.learning.models import Enrolment, JPEntry, JPMonthTotal, JPYearTotal
from lms.people.models import Employee
from tests.support import at_once

DAY = dt.date(2026, 11, 24)


def credit(employee: Employee, source_id: int, jp: str = "2", **kw: Any) -> tuple[JPEntry, bool]:
    fields: dict[str, Any] = {
        "competency_type": "teknis", "form": "non_klasikal",
        "source_type": JPEntry.Source.EXTERNAL, "earned_on": DAY, **kw,
    }  # fmt: skip
    return services.jp_credit(
        employee_id=employee.pk, jp=Decimal(jp), source_id=source_id, **fields
    )


def year_total(employee: Employee, year: int = 2026) -> JPYearTotal:
    return JPYearTotal.objects.get(employee=employee, year=year)


def test_completing_a_course_credits_its_hours_once(
    pemda: dict[str, Any], open_course: CoursePage
) -> None:
    learner = pemda["learner"]
    enrolment = services.enrolment_request(actor=learner, course=open_course)
    completed = services.enrolment_complete(enrolment=enrolment, actor=None)
    entry = JPEntry.objects.get(employee=learner)
    assert (entry.jp, entry.source_type, entry.source_id) == (
        open_course.jp_credited, JPEntry.Source.COURSE, enrolment.pk,
    )  # fmt: skip
    assert entry.competency_type == open_course.competency_type
    assert entry.form == open_course.training_form
    assert entry.year == completed.completed_at.year if completed.completed_at else False
    assert entry.note == open_course.title
    # Completing again (a second event, a retry) changes nothing.
    services.enrolment_complete(enrolment=enrolment, actor=None)
    assert JPEntry.objects.filter(employee=learner).count() == 1
    total = year_total(learner, entry.year)
    assert (total.total, total.entries) == (open_course.jp_credited, 1)


def test_one_source_credits_once_and_a_reversal_takes_it_back(pemda: dict[str, Any]) -> None:
    learner, admin = pemda["learner"], pemda["admin_a"]
    entry, created = credit(learner, 7, "3", competency_type="manajerial", form="klasikal")
    assert created
    again, created = credit(learner, 7, "3")
    assert (again.pk, created) == (entry.pk, False)
    total = year_total(learner)
    assert (total.total, total.manajerial, total.klasikal, total.teknis) == (
        Decimal("3"), Decimal("3"), Decimal("3"), Decimal("0"),
    )  # fmt: skip
    with pytest.raises(ValidationError, match="alasan"):
        services.jp_reverse(entry=entry, actor=admin, reason="  ")
    reversal = services.jp_reverse(entry=entry, actor=admin, reason="Sertifikat dicabut")
    assert reversal.jp == Decimal("-3")
    assert reversal.reverses_id == entry.pk
    total = year_total(learner)
    assert (total.total, total.manajerial, total.klasikal, total.entries) == (
        Decimal("0"), Decimal("0"), Decimal("0"), 2,
    )  # fmt: skip
    with pytest.raises(ValidationError, match="sudah dibatalkan"):
        services.jp_reverse(entry=entry, actor=admin, reason="lagi")
    with pytest.raises(ValidationError, match="tidak dapat dibatalkan"):
        services.jp_reverse(entry=reversal, actor=admin, reason="lagi")
    with pytest.raises(ValidationError, match="lebih dari nol"):
        credit(learner, 8, "0")


@pytest.mark.postgres
def test_postgres_refuses_updates_and_deletes_on_the_ledger(pemda: dict[str, Any]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's (set DATABASE_URL)")
    entry, _created = credit(pemda["learner"], 9)
    # Past the code's own refusal (a plain QuerySet, raw SQL): the database still says no.
    plain: Any = models.QuerySet(model=JPEntry).filter(pk=entry.pk)
    for attempt in (
        lambda: plain.update(jp=Decimal("99")),
        lambda: plain._raw_delete(using="default"),
        lambda: connection.cursor().execute(
            "DELETE FROM learning_jpentry WHERE id = %s", [entry.pk]
        ),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    entry.refresh_from_db()
    assert entry.jp == Decimal("2")


@pytest.mark.postgres
def test_a_hundred_duplicate_completion_events_credit_exactly_once(
    transactional_db: None, pemda: dict[str, Any], course_with: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (set DATABASE_URL)")
    course = course_with([("text", "<p>Bacaan</p>")], title="Kursus Serentak")
    learner = pemda["learner"]
    enrolment = services.enrolment_request(actor=learner, course=course)

    def two_events(_i: int) -> list[str]:
        # Each worker handles two of the hundred events (PostgreSQL allows 100 connections).
        return [services.enrolment_complete(enrolment=enrolment, actor=None).status for _ in (1, 2)]

    results, failures = at_once(50, two_events)
    assert not failures, failures
    assert sum(len(r) for r in results) == 100
    assert {status for r in results for status in r} == {Enrolment.Status.COMPLETED}
    assert JPEntry.objects.filter(employee=learner).count() == 1
    assert year_total(learner, timezone_year()).total == course.jp_credited


def timezone_year() -> int:
    from django.utils import timezone

    return timezone.localdate().year


operations = st.lists(
    st.tuples(
        st.sampled_from(["credit", "reverse"]),
        st.integers(min_value=1, max_value=12),  # source id (repeats are duplicates)
        st.decimals(min_value=Decimal("0.25"), max_value=Decimal("40"), places=2),
        st.sampled_from(["teknis", "manajerial", "sosial_kultural", "pemerintahan"]),
        st.sampled_from(["klasikal", "non_klasikal"]),
        st.sampled_from([2025, 2026]),
    ),
    max_size=25,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_yearly_totals_always_equal_the_sum_of_the_entries(
    pemda: dict[str, Any], ops: list[tuple[str, int, Decimal, str, str, int]]
) -> None:
    learner, admin = pemda["learner"], pemda["admin_a"]
    for action, source, jp, kind, form, year in ops:
        if action == "credit":
            credit(learner, source, str(jp), competency_type=kind, form=form,
                   earned_on=dt.date(year, 1 + source % 12, 1))  # fmt: skip
        else:
            entry = JPEntry.objects.filter(
                employee=learner, source_id=source, reverses__isnull=True, reversal__isnull=True
            ).first()
            if entry is not None:
                services.jp_reverse(entry=entry, actor=admin, reason="koreksi")

    def summed(year: int, **filters: str) -> Decimal:
        # To the cent, as the columns hold it (SQLite sums decimals in floating point).
        entries = JPEntry.objects.filter(employee=learner, year=year, **filters)
        total = entries.aggregate(s=Sum("jp"))["s"] or Decimal("0")
        return Decimal(total).quantize(Decimal("0.01")) + 0

    for total in JPYearTotal.objects.filter(employee=learner):
        assert total.total == summed(total.year)
        assert total.entries == JPEntry.objects.filter(employee=learner, year=total.year).count()
        for kind in ("teknis", "manajerial", "sosial_kultural", "pemerintahan"):
            assert getattr(total, kind) == summed(total.year, competency_type=kind), kind
        for form in ("klasikal", "non_klasikal"):
            assert getattr(total, form) == summed(total.year, form=form), form
    # Months hold what was earned in them; a reversal takes back from the original month.
    for month in JPMonthTotal.objects.filter(employee=learner):
        originals = JPEntry.objects.filter(
            employee=learner, reverses__isnull=True,
            earned_on__year=month.year, earned_on__month=month.month,
        )  # fmt: skip
        reversals = JPEntry.objects.filter(reverses__in=originals)
        expected = sum((e.jp for e in [*originals, *reversals]), Decimal("0"))
        assert month.total == expected, (month.year, month.month)
    assert JPMonthTotal.objects.filter(employee=learner).exists() == bool(
        JPEntry.objects.filter(employee=learner).exists()
    )


def test_the_competency_record_shows_the_year_against_the_target(
    client: Any, pemda: dict[str, Any], open_course: CoursePage, django_assert_max_num_queries: Any
) -> None:
    from django.urls import reverse

    learner = pemda["learner"]
    enrolment = services.enrolment_request(actor=learner, course=open_course)
    services.enrolment_complete(enrolment=enrolment, actor=None)
    this_year = timezone_year()
    credit(learner, 1, "4", competency_type="manajerial", form="klasikal",
           earned_on=dt.date(this_year, 1, 5), note="Diklat PIM")  # fmt: skip
    old, _created = credit(learner, 2, "6", earned_on=dt.date(this_year - 1, 3, 1))
    client.force_login(learner)
    url = reverse("learning:competency_record")
    client.get(url)
    with django_assert_max_num_queries(15):
        page = client.get(url).content.decode()
    jp = open_course.jp_credited + 4
    assert f"{jp.normalize():f} dari 20 JP" in page
    assert "Diklat PIM" in page
    assert open_course.title in page
    assert "Rekam Kompetensi Saya" in page
    # Last year: its own total, its own lines.
    page = client.get(url, {"tahun": str(this_year - 1)}).content.decode()
    assert "6 dari 20 JP" in page
    assert "Diklat PIM" not in page
    # A year with nothing, or rubbish, shows this year, never a 500.
    for bad in ("1850", "abc", "20261"):
        assert client.get(url, {"tahun": bad}).status_code == 200
    # Another employee sees only their own record.
    other = pemda["staff_b"][0]
    client.force_login(other)
    page = client.get(url).content.decode()
    assert "0 dari 20 JP" in page
    assert "Diklat PIM" not in page
    assert old.pk


def test_the_code_refuses_to_edit_or_delete_an_entry_on_any_database(pemda: dict[str, Any]) -> None:
    from lms.learning.models import AppendOnlyError

    entry, _created = credit(pemda["learner"], 1, "2")
    entry.jp = Decimal("20")
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        JPEntry.objects.filter(pk=entry.pk).update(jp=Decimal("20"))
    with pytest.raises(AppendOnlyError):
        JPEntry.objects.all().delete()
    assert JPEntry.objects.get(pk=entry.pk).jp == Decimal("2")
