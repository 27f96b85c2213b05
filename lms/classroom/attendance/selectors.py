"""Reads for the instructor's pages: the sessions someone runs, a session's attendance
list (the daftar hadir) and what the QR screen counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.db.models.fields import BooleanField
from django.utils import timezone

from lms.learning.models import Enrolment
from lms.people.models import Employee
from lms.people.selectors import Scope, scope_for

from ..models import Attendance, Cohort, Session

ADMITTED = (Enrolment.Status.ACTIVE, Enrolment.Status.COMPLETED)
RECENT_ARRIVALS = 5


def _runs_everything(scope: Scope) -> bool:
    # As services.can_run: BKPSDM runs every session, an auditor only reads.
    return scope.everything and scope.can_change


def session_list(*, viewer: Employee, now: dt.datetime | None = None) -> QuerySet[Session]:
    """The sessions the viewer may run: theirs, their angkatan's, their programme's (all of
    them for BKPSDM); the coming ones first, soonest first, then the past, latest first."""
    now = now or timezone.now()
    sessions = Session.objects.select_related("cohort__course", "series", "instructor")
    if not _runs_everything(scope_for(viewer)):
        sessions = sessions.filter(
            Q(instructor=viewer)
            | Q(series__instructor=viewer)
            | Q(cohort__in=Cohort.objects.filter(instructors=viewer).values("pk"))
        )
    past = Q(ends_at__lt=now)
    return sessions.annotate(
        is_past=Case(
            When(past, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    ).order_by(
        "is_past",
        Case(When(~past, then="starts_at")).asc(nulls_last=True),
        Case(When(past, then="starts_at")).desc(nulls_last=True),
        "pk",
    )


def session_get(session_id: int) -> Session:
    """The session with what its pages print; raises DoesNotExist."""
    return Session.objects.select_related(
        "cohort__course", "series", "instructor", "signed_off_by"
    ).get(pk=session_id)


@dataclass
class SheetRow:
    number: int
    employee: Employee
    attendance: Attendance | None

    @property
    def remarks(self) -> list[str]:
        from django.utils.translation import gettext as _

        a = self.attendance
        if a is None:
            return []
        found: list[str] = []
        if a.status == Attendance.Status.LATE:
            found.append(_("terlambat"))
        elif a.status == Attendance.Status.EXCUSED:
            found.append(_("izin"))
        elif a.status == Attendance.Status.ABSENT:
            found.append(_("tidak hadir"))
        if a.attended and a.left_early:
            found.append(_("pulang lebih awal"))
        if a.note:
            found.append(a.note)
        return found


@dataclass
class Counts:
    present: int = 0
    late: int = 0
    excused: int = 0
    absent: int = 0
    left_early: int = 0
    expected: int = 0  # a cohort's admitted participants (0 for an open session)

    @property
    def attended(self) -> int:
        return self.present + self.late


def sheet_people(session: Session) -> QuerySet[Employee]:
    """Everyone on the list: a cohort's admitted participants and anyone recorded at the
    session (someone withdrawn after attending stays on it), by name."""
    recorded = Q(pk__in=Attendance.objects.filter(session=session).values("employee_id"))
    if session.cohort_id is not None:
        admitted = Enrolment.objects.filter(cohort_id=session.cohort_id, status__in=ADMITTED)
        recorded |= Q(pk__in=admitted.values("employee_id"))
    return Employee.objects.filter(recorded).select_related("org_unit").order_by("full_name", "nip")


def sheet_rows(session: Session, people: Any, start: int = 1) -> list[SheetRow]:
    """Rows for ``people`` (a page of them, or all), each with its attendance. One query
    besides the people's own."""
    people = list(people)
    found = {
        a.employee_id: a
        for a in Attendance.objects.filter(session=session, employee_id__in=[p.pk for p in people])
    }
    rows = []
    for offset, person in enumerate(people):
        attendance = found.get(person.pk)
        if attendance is not None:
            attendance.session = session  # left_early reads its end without a query
        rows.append(SheetRow(start + offset, person, attendance))
    return rows


def sheet_counts(session: Session) -> Counts:
    """How many came, came late, were excused or absent, and left early. One query."""
    totals = Attendance.objects.filter(session=session).aggregate(
        present=Count("pk", filter=Q(status=Attendance.Status.PRESENT)),
        late=Count("pk", filter=Q(status=Attendance.Status.LATE)),
        excused=Count("pk", filter=Q(status=Attendance.Status.EXCUSED)),
        absent=Count("pk", filter=Q(status=Attendance.Status.ABSENT)),
        left_early=Count(
            "pk",
            filter=Q(status__in=Attendance.ATTENDED, left_at__lt=session.ends_at),
        ),
    )
    counts = Counts(**totals)
    if session.cohort_id is not None:
        counts.expected = Enrolment.objects.filter(
            cohort_id=session.cohort_id, status__in=ADMITTED
        ).count()
    return counts


@dataclass(frozen=True)
class Arrivals:
    count: int
    recent: list[str]


def arrivals(session: Session) -> Arrivals:
    """For the QR screen: how many are in, and the latest few names. Two queries."""
    attended = Attendance.objects.filter(session=session, status__in=Attendance.ATTENDED)
    latest = attended.select_related("employee").order_by("-checked_in_at", "-pk")
    return Arrivals(
        count=attended.count(),
        recent=[a.employee.name_with_gelar for a in latest[:RECENT_ARRIVALS]],
    )


def own_attendance(*, viewer: Employee, session: Session) -> Attendance | None:
    return Attendance.objects.filter(session=session, employee=viewer).first()
