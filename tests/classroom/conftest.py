"""A classroom course run as an angkatan with four sessions, a weekly programme open to
all, and the instructor who runs them (``classroom`` fixture)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from courses.models import CoursePage, EnrolmentPolicy, TrainingForm
from lms.classroom.models import Cohort, Series, Session, SessionMode
from tests.factories import EmployeeFactory


def make_classroom(catalogue: Any, pemda: dict[str, Any]) -> dict[str, Any]:
    now = timezone.now()
    today = timezone.localdate()
    instructor = EmployeeFactory.create(org_unit=pemda["opd_a"], full_name="Widyaiswara Utama")
    course = CoursePage(
        title="Pelatihan Kepemimpinan Pengawas", slug="pkp", summary="Klasikal",
        jp_credited=Decimal("8"), training_form=TrainingForm.KLASIKAL,
        enrolment_policy=EnrolmentPolicy.APPROVAL, min_attendance_percent=75,
    )  # fmt: skip
    catalogue.add_child(instance=course)
    cohort = Cohort.objects.create(
        course=course, name=f"Angkatan I {today.year}", enrolment_policy=EnrolmentPolicy.OPEN,
        starts_on=today, ends_on=today + dt.timedelta(days=30), capacity=3,
    )  # fmt: skip
    cohort.instructors.add(instructor)
    sessions = [
        Session.objects.create(
            cohort=cohort,
            title=f"Sesi {i + 1}",
            venue="Aula BKPSDM",
            starts_at=now + dt.timedelta(days=i, minutes=-10),
            ends_at=now + dt.timedelta(days=i, hours=3),
            jp=Decimal("2"),
            instructor=instructor,
        )  # fmt: skip
        for i in range(4)
    ]
    series = Series.objects.create(
        title="Kamis Belajar", recurrence=Series.Recurrence.WEEKLY, first_on=today,
        last_on=today + dt.timedelta(weeks=3), start_time=dt.time(8), end_time=dt.time(10),
        mode=SessionMode.HYBRID, venue="Ruang Rapat Sekda", jp_per_session=Decimal("2"),
        yearly_jp_cap=Decimal("5"), instructor=instructor,
    )  # fmt: skip
    weekly = [
        Session.objects.create(
            series=series,
            title=f"Kamis Belajar #{i + 1}",
            mode=SessionMode.HYBRID,
            starts_at=now + dt.timedelta(weeks=i, minutes=-5),
            ends_at=now + dt.timedelta(weeks=i, hours=2),
            jp=Decimal("2"),
            instructor=instructor,
        )  # fmt: skip
        for i in range(4)
    ]
    return {
        "course": course, "cohort": cohort, "sessions": sessions, "series": series,
        "weekly": weekly, "instructor": instructor, **pemda,
    }  # fmt: skip


@pytest.fixture
def classroom(catalogue: Any, pemda: dict[str, Any]) -> dict[str, Any]:
    """Sessions 1 of the angkatan and of the programme started ten and five minutes ago;
    the others follow a day (angkatan) or a week (programme) apart."""
    return make_classroom(catalogue, pemda)
