"""A small Pemda whose JP figures are worked out by hand in tests/reports/test_compliance.py.

The hours go in through the ledger's own service (``jp_credit``), so the yearly and monthly
aggregates the reports read are the real ones."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from lms.learning.models import Enrolment, ExternalTraining, JPEntry, JPTarget
from lms.learning.services import jp_credit
from lms.people.models import Employee, EmploymentType
from tests.factories import EmployeeFactory, valid_pppk_nip

# A past year, so the figures do not move with the calendar.
YEAR = 2025
_sources = itertools.count(1)


def credit(
    employee: Employee,
    jp: str,
    *,
    competency: str = "teknis",
    form: str = "non_klasikal",
    on: dt.date | None = None,
) -> None:
    jp_credit(
        employee_id=employee.pk, jp=Decimal(jp), competency_type=competency, form=form,
        source_type=JPEntry.Source.EXTERNAL, source_id=next(_sources),
        earned_on=on or dt.date(YEAR, 5, 1),
    )  # fmt: skip


def completed_enrolment(employee: Employee, course: Any, when: dt.datetime) -> Enrolment:
    return Enrolment.objects.create(
        employee=employee, course=course, source=Enrolment.Source.SELF,
        status=Enrolment.Status.COMPLETED, started_at=when, completed_at=when,
    )  # fmt: skip


def external(employee: Employee, jp: str, status: str, ended: dt.date) -> ExternalTraining:
    return ExternalTraining.objects.create(
        employee=employee, title="Bimtek Uji", organiser="BPSDM Provinsi", started_on=ended,
        ended_on=ended, jp=Decimal(jp), competency_type="teknis", form="klasikal",
        evidence="bukti-pelatihan/uji.pdf", status=status, submitted_at=timezone.now(),
    )  # fmt: skip


@pytest.fixture
def compliance(pemda: dict[str, Any], course_with: Any) -> dict[str, Any]:
    """make_pemda's people with known hours in YEAR (see test_compliance.py for the sums):

    - Dinas Pendidikan: Guru Andalas 0 (22 JP: 12 teknis klasikal in Feb, 10 manajerial in
      Mar), 1 (5 teknis in Mar; 30 more in the year before), 2 (none); Admin Pendidikan,
      placed in the OPD itself (20 pemerintahan klasikal in Jun); an inactive employee with
      40 JP, never counted;
    - Dinas Kesehatan: Perawat Bukit 0 (30 sosial kultural in Jul), 1 (7.5 teknis in Aug,
      a verified external training), 2, a PPPK whose target is 10 (12 teknis in Aug);
    - the Pemda itself: the auditor and the superuser, no hours.
    Two completed courses in Dinas Pendidikan and one in Dinas Kesehatan that year (one more
    the year before); one external training waiting for verification in Dinas Pendidikan
    (and one from the year before)."""
    a0, a1, a2 = pemda["staff_a"]
    b0, b1, b2 = pemda["staff_b"]
    admin = pemda["admin_a"]
    b2.employment_type, b2.golongan, b2.nip = EmploymentType.PPPK, "IX", valid_pppk_nip()
    b2.save()
    JPTarget.objects.create(year=YEAR, employment_type=EmploymentType.PPPK, minimum=Decimal(10))
    gone = EmployeeFactory.create(org_unit=pemda["unit_a"], full_name="Pensiunan", is_active=False)

    credit(a0, "12", form="klasikal", on=dt.date(YEAR, 2, 10))
    credit(a0, "10", competency="manajerial", on=dt.date(YEAR, 3, 3))
    credit(a1, "5", on=dt.date(YEAR, 3, 20))
    credit(a1, "30", on=dt.date(YEAR - 1, 9, 1))
    credit(admin, "20", competency="pemerintahan", form="klasikal", on=dt.date(YEAR, 6, 1))
    credit(b0, "30", competency="sosial_kultural", on=dt.date(YEAR, 7, 15))
    credit(b1, "7.5", on=dt.date(YEAR, 8, 1))
    credit(b2, "12", on=dt.date(YEAR, 8, 30))
    credit(gone, "40", on=dt.date(YEAR, 4, 1))

    course = course_with([], title="Kursus Laporan")
    other = course_with([], title="Kursus Lain")
    zone = timezone.get_current_timezone()
    completed_enrolment(a0, course, dt.datetime(YEAR, 3, 1, 9, tzinfo=zone))
    completed_enrolment(a0, other, dt.datetime(YEAR, 12, 31, 23, 30, tzinfo=zone))
    completed_enrolment(b0, course, dt.datetime(YEAR, 7, 1, 9, tzinfo=zone))
    completed_enrolment(b1, course, dt.datetime(YEAR - 1, 12, 31, 23, 30, tzinfo=zone))

    external(b1, "7.5", ExternalTraining.Status.VERIFIED, dt.date(YEAR, 8, 1))
    external(a1, "4", ExternalTraining.Status.SUBMITTED, dt.date(YEAR, 10, 1))
    external(a2, "6", ExternalTraining.Status.SUBMITTED, dt.date(YEAR - 1, 10, 1))
    return {**pemda, "year": YEAR, "inactive": gone, "course": course}


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Celery tasks run where they are queued (``.delay()`` runs the task at once)."""
    from lms.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = before
