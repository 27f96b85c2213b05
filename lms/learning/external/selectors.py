"""Reads of external training: the learner's own records, and the reviewers' queue, always
filtered by the viewer's scope. Out of scope and non-existent look the same (DoesNotExist)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from lms.learning.models import ExternalTraining
from lms.people.models import Employee
from lms.people.selectors import Scope, scope_for

from .services import duplicate_candidates, duplicate_reasons, reviewer_covers

STATUS_ALL = "semua"


def my_external_trainings(*, employee: Employee) -> QuerySet[ExternalTraining]:
    """ "Pelatihan Eksternal Saya": newest submission first."""
    return (
        ExternalTraining.objects.filter(employee=employee)
        .select_related("jenis", "reviewed_by")
        .order_by("-submitted_at", "-pk")
    )


def my_external_training(*, employee: Employee, pk: int) -> ExternalTraining:
    return my_external_trainings(employee=employee).get(pk=pk)


def review_scope(viewer: Employee, scope: Scope | None = None) -> Scope:
    return scope or scope_for(viewer)


def external_review_queue(
    *,
    viewer: Employee,
    scope: Scope | None = None,
    status: str = ExternalTraining.Status.SUBMITTED,
    search: str = "",
) -> QuerySet[ExternalTraining]:
    """Records a reviewer may decide: an OPD admin's subtree, everyone for an auditor or a
    superuser. Waiting ones oldest first (first come, first served), decided ones newest."""
    scope = review_scope(viewer, scope)
    if not scope.is_admin_scope:
        return ExternalTraining.objects.none()
    qs = ExternalTraining.objects.filter(scope.unit_q("employee__org_unit__"))
    if status != STATUS_ALL:
        qs = qs.filter(status=status)
    search = search.strip()
    if search:
        digits = "".join(ch for ch in search if ch.isdigit())
        cond = (
            Q(employee__full_name__icontains=search)
            | Q(title__icontains=search)
            | Q(organiser__icontains=search)
        )
        if len(digits) >= 4 and len(digits) == len(search.replace(" ", "")):
            cond |= Q(employee__nip__startswith=digits)
        qs = qs.filter(cond)
    order = ["submitted_at", "pk"] if status == ExternalTraining.Status.SUBMITTED else [
        "-submitted_at", "-pk"
    ]  # fmt: skip
    return qs.select_related("employee", "employee__org_unit", "jenis").order_by(*order)


def external_status_counts(*, viewer: Employee, scope: Scope | None = None) -> dict[str, int]:
    """How many records in the reviewer's scope are in each status, in one query."""
    scope = review_scope(viewer, scope)
    counts = dict.fromkeys(ExternalTraining.Status.values, 0)
    if not scope.is_admin_scope:
        return counts
    rows = (
        ExternalTraining.objects.filter(scope.unit_q("employee__org_unit__"))
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def external_for_review(
    *, viewer: Employee, pk: int, scope: Scope | None = None
) -> ExternalTraining:
    scope = review_scope(viewer, scope)
    return (
        external_review_queue(viewer=viewer, scope=scope, status=STATUS_ALL)
        .select_related("reviewed_by")
        .get(pk=pk)
    )


def external_for_evidence(*, viewer: Employee, pk: int) -> ExternalTraining:
    """The record whose evidence the viewer may open: their own, or one in their review
    scope. Anyone else gets DoesNotExist (a 404), so ids cannot be probed."""
    record = ExternalTraining.objects.select_related("employee__org_unit").get(pk=pk)
    if record.employee_id == viewer.pk or reviewer_covers(scope_for(viewer), record):
        return record
    raise ExternalTraining.DoesNotExist


@dataclass(frozen=True)
class DuplicateFlag:
    """Another record that may be the same training: why, and whether the reviewer may open
    it (a certificate held by an employee of another OPD is flagged without their name)."""

    other: ExternalTraining
    same_certificate: bool
    same_training: bool
    in_scope: bool
    flagged_at_submission: bool


def external_duplicates(*, record: ExternalTraining, scope: Scope) -> list[DuplicateFlag]:
    """The record's likely duplicates now: those flagged when it was submitted, and those
    that match today (a copy submitted after it, for instance). Rejected ones do not count,
    unless they were flagged at submission (then they show, with their status)."""
    flagged = {int(pk) for pk in record.duplicate_of if str(pk).isdigit()}
    others = (
        ExternalTraining.objects.filter(
            duplicate_candidates(record) & ~Q(status=ExternalTraining.Status.REJECTED)
            | Q(pk__in=flagged)
        )
        .exclude(pk=record.pk)
        .select_related("employee", "employee__org_unit")
        .order_by("pk")[:50]
    )
    flags = []
    for other in others:
        reasons = duplicate_reasons(record, other)
        if not reasons and other.pk not in flagged:
            continue
        flags.append(
            DuplicateFlag(
                other=other,
                same_certificate="certificate" in reasons,
                same_training="training" in reasons,
                in_scope=reviewer_covers(scope, other),
                flagged_at_submission=other.pk in flagged,
            )
        )
    return flags
