"""Reads of mentoring: the admin's list (scoped by the mentee's OPD), the mentor's and the
mentee's own, one assignment with its sessions. Every query loads what its page shows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce

from courses.models import CompetencyType
from lms.learning.models import JenisDiklat, MentoringAssignment, MentoringSession
from lms.people.models import Employee, OrgUnit
from lms.people.selectors import Scope, scope_for

from .services import JENIS_CHOICES, JENIS_MENTORING, MINUTES_PER_JP

Status = MentoringAssignment.Status


def _with_totals(qs: QuerySet[MentoringAssignment]) -> QuerySet[MentoringAssignment]:
    return qs.select_related(
        "mentor", "mentee", "mentee__org_unit", "jenis", "assigned_by"
    ).annotate(
        session_count=Count("sessions"),
        session_minutes=Coalesce(Sum("sessions__minutes"), 0),
    )


def assignment_list(
    *,
    viewer: Employee,
    scope: Scope | None = None,
    status: str = "",
    search: str = "",
    org_unit: OrgUnit | None = None,
) -> QuerySet[MentoringAssignment]:
    """Assignments whose mentee is in the viewer's scope (auditors and superusers: all)."""
    scope = scope or scope_for(viewer)
    if not scope.is_admin_scope:
        return MentoringAssignment.objects.none()
    qs = MentoringAssignment.objects.filter(scope.unit_q("mentee__org_unit__"))
    if status in Status.values:
        qs = qs.filter(status=status)
    if org_unit is not None:
        qs = qs.filter(org_unit.subtree_filter("mentee__org_unit__"))
    search = " ".join(search.split())
    if search:
        cond = (
            Q(topic__icontains=search)
            | Q(mentor__full_name__icontains=search)
            | Q(mentee__full_name__icontains=search)
        )
        digits = search.replace(" ", "")
        if digits.isdigit():
            cond |= Q(mentor__nip__startswith=digits) | Q(mentee__nip__startswith=digits)
        qs = qs.filter(cond)
    return _with_totals(qs).order_by("-starts_on", "-pk")


def status_counts(*, viewer: Employee, scope: Scope | None = None) -> dict[str, int]:
    """How many assignments in the scope are in each status (one query), for the tabs."""
    scope = scope or scope_for(viewer)
    counts = dict.fromkeys(Status.values, 0)
    if not scope.is_admin_scope:
        return counts
    rows = (
        MentoringAssignment.objects.filter(scope.unit_q("mentee__org_unit__"))
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    for status, n in rows:
        counts[status] = n
    return counts


def assignment_for_admin(
    *, viewer: Employee, assignment_id: int, scope: Scope | None = None
) -> MentoringAssignment:
    """One assignment in the viewer's scope; ``DoesNotExist`` otherwise (a 404: out of scope
    and non-existent look the same)."""
    scope = scope or scope_for(viewer)
    if not scope.is_admin_scope:
        raise MentoringAssignment.DoesNotExist
    return (
        _with_totals(MentoringAssignment.objects.filter(scope.unit_q("mentee__org_unit__")))
        .select_related("decided_by")
        .get(pk=assignment_id)
    )


def assignments_as_mentor(*, viewer: Employee) -> QuerySet[MentoringAssignment]:
    """What the viewer mentors: the running ones first, then the newest."""
    return _with_totals(MentoringAssignment.objects.filter(mentor=viewer)).order_by(
        _running_first(), "-starts_on", "-pk"
    )


def assignments_as_mentee(*, viewer: Employee) -> QuerySet[MentoringAssignment]:
    return _with_totals(MentoringAssignment.objects.filter(mentee=viewer)).order_by(
        _running_first(), "-starts_on", "-pk"
    )


def _running_first() -> OrderBy:
    return Case(
        When(status=Status.ACTIVE, then=Value(0)),
        When(status=Status.SIGNED_OFF, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    ).asc()


def assignment_for_participant(*, viewer: Employee, assignment_id: int) -> MentoringAssignment:
    """One assignment the viewer mentors or is mentored in; ``DoesNotExist`` otherwise."""
    return (
        _with_totals(MentoringAssignment.objects.filter(Q(mentor=viewer) | Q(mentee=viewer)))
        .select_related("decided_by")
        .get(pk=assignment_id)
    )


def session_list(*, assignment: MentoringAssignment) -> QuerySet[MentoringSession]:
    return MentoringSession.objects.filter(assignment=assignment).order_by("-held_on", "-pk")


def competency_label(code: str) -> str:
    return str(dict(CompetencyType.choices).get(code, code))


def jenis_choices() -> QuerySet[JenisDiklat]:
    """The SIASN kinds that describe workplace coaching (empty if the table is not loaded)."""
    return JenisDiklat.objects.filter(code__in=JENIS_CHOICES).order_by("code")


def default_jenis() -> JenisDiklat | None:
    return JenisDiklat.objects.filter(code=JENIS_MENTORING).first()


@dataclass(frozen=True)
class Progress:
    """Logged time against the assigned JP: information for the approver, never a rule
    (a mentoring's JP is what the programme sets, not a stopwatch)."""

    sessions: int
    minutes: int
    jp: Decimal

    @property
    def logged_jp(self) -> Decimal:
        return (Decimal(self.minutes) / MINUTES_PER_JP).quantize(Decimal("0.01"))

    @property
    def short_of_jp(self) -> bool:
        return self.logged_jp < self.jp


def progress(assignment: MentoringAssignment) -> Progress:
    """From the annotations the assignment selectors add (no query)."""
    return Progress(
        sessions=int(getattr(assignment, "session_count", 0) or 0),
        minutes=int(getattr(assignment, "session_minutes", 0) or 0),
        jp=assignment.jp,
    )
