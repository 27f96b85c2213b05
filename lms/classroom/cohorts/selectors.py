"""What a learner sees of a course's angkatan: the list on the course page and one
angkatan's page (its schedule, and their own status and attendance)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import CoursePage, EnrolmentPolicy
from lms.core.paging import paginate
from lms.learning.models import Enrolment
from lms.learning.services import completed_before_this_year
from lms.people.models import Employee

from ..models import Attendance, Cohort, Session
from ..selectors import AttendanceShare, attendance_share

COHORTS_PER_PAGE = 10
SESSIONS_PER_PAGE = 50


def _employee(viewer: Any) -> Employee | None:
    return viewer if getattr(viewer, "is_authenticated", False) else None


def cohorts_with_counts() -> Any:
    """Cohorts with their seats taken and sessions held (cancelled ones aside), and their
    course and instructors, in a fixed number of queries whatever their number."""
    return (
        Cohort.objects.select_related("course")
        .annotate(
            seats_taken=Count(
                "enrolments",
                filter=Q(enrolments__status__in=Enrolment.SEAT_STATUSES),
                distinct=True,
            ),
            session_count=Count(
                "sessions", filter=Q(sessions__cancelled_at__isnull=True), distinct=True
            ),
        )
        .prefetch_related(Prefetch("instructors", queryset=Employee.objects.order_by("full_name")))
    )


def seats_left(cohort: Any) -> int | None:
    if cohort.capacity is None:
        return None
    return max(0, cohort.capacity - cohort.seats_taken)


def enrol_block_reason(
    *, cohort: Any, employee: Employee | None, latest: Enrolment | None, now: dt.datetime
) -> str:
    """Why the learner cannot join this angkatan now (empty: they can). A hint for the
    page; ``cohort_enrol`` decides, under its locks."""
    if employee is None:
        return _("Masuk untuk mendaftar.")
    if latest is not None and latest.is_open:
        if latest.cohort_id == cohort.pk:
            return ""
        return _("Anda sudah terdaftar di kursus ini.")
    if cohort.enrolment_policy == EnrolmentPolicy.ASSIGNED:
        return _("Hanya melalui penugasan oleh admin OPD atau BKPSDM.")
    if cohort.enrolment_opens and now < cohort.enrolment_opens:
        return _("Pendaftaran belum dibuka.")
    closes = cohort.enrolment_closes
    if (closes and now >= closes) or cohort.ends_on < timezone.localdate(now):
        return _("Pendaftaran sudah ditutup.")
    if (
        latest is not None
        and latest.status == Enrolment.Status.COMPLETED
        and not completed_before_this_year(latest, timezone.localdate(now))
    ):
        return _("Anda sudah menyelesaikan kursus ini tahun ini.")
    if seats_left(cohort) == 0:
        return _("Kuota sudah penuh.")
    return ""


def _latest_enrolment(employee: Employee | None, course_id: int) -> Enrolment | None:
    if employee is None:
        return None
    return (
        Enrolment.objects.filter(employee=employee, course_id=course_id)
        .order_by("-created_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class CohortRow:
    cohort: Any  # a Cohort with seats_taken and session_count
    seats_left: int | None
    block_reason: str
    mine: bool  # the learner's open enrolment is in this angkatan

    @property
    def can_enrol(self) -> bool:
        return not self.block_reason and not self.mine


@dataclass(frozen=True)
class CourseCohorts:
    page: Any  # a page of CohortRow
    course_view: Any  # the course page's view, without its self-paced enrol button
    my_cohort: Cohort | None

    @property
    def rows(self) -> list[CohortRow]:
        return list(self.page.object_list)


def course_cohort_panel(*, request: HttpRequest, course: CoursePage, view: Any) -> Any:
    """The course page's angkatan: those not over yet, each with whether the learner may
    join it. None for a self-paced course (no angkatan at all), which keeps its page."""
    if not Cohort.objects.filter(course_id=course.pk).exists():
        return None
    employee = _employee(request.user)
    now = timezone.now()
    latest = _latest_enrolment(employee, course.pk)
    cohorts = (
        cohorts_with_counts()
        .filter(course_id=course.pk, ends_on__gte=timezone.localdate(now))
        .order_by("starts_on", "name")
    )
    page = paginate(request, cohorts, param="angkatan", per_page=COHORTS_PER_PAGE)
    mine_id = latest.cohort_id if latest is not None and latest.is_open else None
    page.object_list = [
        CohortRow(
            cohort=cohort,
            seats_left=seats_left(cohort),
            block_reason=enrol_block_reason(
                cohort=cohort, employee=employee, latest=latest, now=now
            ),
            mine=cohort.pk == mine_id,
        )
        for cohort in page.object_list
    ]
    enrolment = view.enrolment
    my_cohort = (
        Cohort.objects.filter(pk=enrolment.cohort_id).first()
        if enrolment is not None and enrolment.cohort_id
        else None
    )
    # Joining is per angkatan here: the course-wide button and its reason give way.
    course_view = dataclasses.replace(view, can_enrol=False, enrol_block_reason="")
    return CourseCohorts(page=page, course_view=course_view, my_cohort=my_cohort)


def assignable_cohorts() -> list[Cohort]:
    """Angkatan an admin may assign people to: of a published course, not over yet."""
    return list(
        Cohort.objects.filter(course__live=True, ends_on__gte=timezone.localdate())
        .select_related("course")
        .order_by("course__title", "starts_on", "name")
    )


# --- One angkatan ----------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    session: Session
    attendance: Attendance | None
    state: str  # what the learner's row says

    @property
    def left_early(self) -> bool:
        return self.attendance is not None and self.attendance.left_early


@dataclass(frozen=True)
class CohortView:
    cohort: Any
    seats_left: int | None
    block_reason: str
    enrolment: Enrolment | None  # the learner's enrolment in this angkatan
    sessions: Any  # a page of SessionRow
    share: AttendanceShare | None
    min_percent: int

    @property
    def can_enrol(self) -> bool:
        return not self.block_reason and not (self.enrolment and self.enrolment.is_open)

    @property
    def admitted(self) -> bool:
        return self.enrolment is not None and self.enrolment.status in (
            Enrolment.Status.ACTIVE,
            Enrolment.Status.COMPLETED,
        )

    @property
    def meets_minimum(self) -> bool:
        return self.share is not None and self.share.percent >= self.min_percent


def cohort_get(*, cohort_id: int) -> Any:
    """A cohort of a published course, or None."""
    return cohorts_with_counts().filter(pk=cohort_id, course__live=True).first()


def _state(session: Session, attendance: Attendance | None, now: dt.datetime) -> str:
    if attendance is not None:
        return str(attendance.get_status_display())
    if session.cancelled_at is not None:
        return _("Sesi dibatalkan")
    if session.signed_off_at is not None:
        return _("Tidak tercatat hadir")
    if session.starts_at <= now <= session.ends_at:
        return _("Sedang berlangsung")
    if session.ends_at < now:
        return _("Menunggu daftar hadir")
    return _("Belum")


def cohort_view(*, request: HttpRequest, cohort: Any) -> CohortView:
    employee = _employee(request.user)
    now = timezone.now()
    latest = _latest_enrolment(employee, cohort.course_id)
    mine = (
        Enrolment.objects.filter(employee=employee, cohort=cohort)
        .order_by("-created_at", "-pk")
        .first()
        if employee is not None
        else None
    )
    sessions = (
        Session.objects.filter(cohort=cohort)
        .select_related("instructor")
        .order_by("starts_at", "pk")
    )
    page = paginate(request, sessions, param="halaman", per_page=SESSIONS_PER_PAGE)
    listed = list(page.object_list)
    attendances: dict[int, Attendance] = {}
    if employee is not None and mine is not None:
        attendances = {
            a.session_id: a
            for a in Attendance.objects.filter(
                employee=employee, session__in=[s.pk for s in listed]
            )
        }
    page.object_list = [
        SessionRow(session=s, attendance=a, state=_state(s, a, now))
        for s in listed
        for a in [attendances.get(s.pk)]
    ]
    return CohortView(
        cohort=cohort,
        seats_left=seats_left(cohort),
        block_reason=enrol_block_reason(cohort=cohort, employee=employee, latest=latest, now=now),
        enrolment=mine,
        sessions=page,
        share=attendance_share(enrolment=mine) if mine is not None else None,
        min_percent=cohort.course.min_attendance_percent,
    )
