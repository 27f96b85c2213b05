"""Demo classroom: a tatap-muka course run as "Angkatan I <year>" (four sessions, the first
one running now), the demo instructor teaching it, the demo learner in it, and the weekly
"Kamis Belajar" programme open to all with a yearly JP cap. Safe to run twice: what exists
is found again, not made twice."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from courses.demo import demo_instructor_assign
from courses.models import CatalogueIndexPage, CoursePage, EnrolmentPolicy, TrainingForm
from lms.learning.models import Enrolment
from lms.people.models import Employee, Role

from .models import Cohort, Series, Session, SessionMode
from .scheduling import series_schedule
from .services import cohort_enrol

COURSE_SLUG = "bimtek-penyusunan-skp"
SERIES_TITLE = "Kamis Belajar"
THURSDAY = 3


@dataclass(frozen=True)
class DemoClassroom:
    course: CoursePage
    cohort: Cohort
    series: Series
    instructor: Employee | None


def _course(catalogue: CatalogueIndexPage) -> CoursePage:
    course = CoursePage.objects.child_of(catalogue).filter(slug=COURSE_SLUG).first()
    if course is not None:
        return course.specific
    course = CoursePage(
        title="Bimtek Penyusunan SKP (Tatap Muka)", slug=COURSE_SLUG,
        summary="Menyusun Sasaran Kinerja Pegawai bersama instruktur, dalam empat sesi di "
        "Aula BKPSDM.",
        body="<p>Pelatihan klasikal per angkatan. Hadir minimal 75% sesi dan presensi "
        "dengan memindai kode QR di ruangan.</p>",
        jp_credited=Decimal("8"), training_form=TrainingForm.KLASIKAL,
        enrolment_policy=EnrolmentPolicy.APPROVAL, min_attendance_percent=75,
    )  # fmt: skip
    catalogue.add_child(instance=course)
    course.save_revision().publish()
    return course


def _cohort(course: CoursePage, instructor: Employee | None) -> Cohort:
    today = timezone.localdate()
    now = timezone.now()
    cohort, created = Cohort.objects.get_or_create(
        course=course, name=f"Angkatan I {today.year}",
        defaults={
            "description": "Bawa laptop dan dokumen SKP tahun lalu. Presensi dengan memindai "
            "kode QR yang ditampilkan instruktur; terlambat bila datang lebih dari 15 menit "
            "setelah sesi dimulai.",
            "enrolment_policy": EnrolmentPolicy.OPEN,
            "enrolment_opens": now - dt.timedelta(days=14),
            "enrolment_closes": now + dt.timedelta(days=3),
            "starts_on": today, "ends_on": today + dt.timedelta(days=14), "capacity": 30,
        },
    )  # fmt: skip
    if instructor is not None:
        cohort.instructors.add(instructor)
    if created:
        # The first session is on now, so that the QR check-in can be tried at once.
        start = now.replace(second=0, microsecond=0) - dt.timedelta(minutes=now.minute % 5 + 5)
        later = [
            timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=d), dt.time(9)))
            for d in (2, 7, 9)
        ]
        starts = [start, *later]
        for number, starts_at in enumerate(starts, start=1):
            Session.objects.create(
                cohort=cohort, title=f"Sesi {number}: Penyusunan SKP",
                mode=SessionMode.KLASIKAL, venue="Aula BKPSDM, Lantai 2",
                starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=3),
                jp=Decimal("2"), instructor=instructor,
            )  # fmt: skip
    return cohort


def _series(instructor: Employee | None, actor: Employee | None) -> Series:
    series = Series.objects.filter(title=SERIES_TITLE).first()
    if series is not None:
        return series
    today = timezone.localdate()
    last_thursday = today - dt.timedelta(days=(today.weekday() - THURSDAY) % 7)
    series = Series.objects.create(
        title=SERIES_TITLE,
        description="Berbagi praktik baik antar-OPD setiap Kamis siang, terbuka bagi "
        "seluruh ASN. Setiap sesi yang dihadiri dikreditkan 2 JP, paling banyak 24 JP setahun.",
        recurrence=Series.Recurrence.WEEKLY, first_on=last_thursday,
        last_on=last_thursday + dt.timedelta(weeks=12),
        start_time=dt.time(13, 30), end_time=dt.time(15), mode=SessionMode.HYBRID,
        venue="Ruang Rapat Sekretariat Daerah",
        meeting_url="https://meet.example.go.id/kamis-belajar",
        jp_per_session=Decimal("2"), yearly_jp_cap=Decimal("24"), instructor=instructor,
    )  # fmt: skip
    series_schedule(actor=actor, series=series)
    return series


@transaction.atomic
def seed_demo_classroom(*, learner_nip: str) -> DemoClassroom | None:
    catalogue = CatalogueIndexPage.objects.first()
    if catalogue is None:
        return None
    course = _course(catalogue)
    demo_instructor_assign(course=course)
    instructor = Employee.objects.filter(role_assignments__role=Role.INSTRUCTOR).first()
    actor = Employee.objects.filter(is_superuser=True).order_by("pk").first()
    cohort = _cohort(course, instructor)
    series = _series(instructor, actor)
    learner = Employee.objects.filter(nip=learner_nip).first()
    if (
        learner is not None
        and not Enrolment.objects.filter(employee=learner, course_id=course.pk).exists()
    ):
        # A later run, after this year's angkatan closed: the demo goes on without it.
        with contextlib.suppress(ValidationError):
            cohort_enrol(actor=learner, cohort=cohort)
    return DemoClassroom(course=course, cohort=cohort, series=series, instructor=instructor)
