"""The staff endpoints' reads: rows of employees in the caller's scope, and nothing else.
Out of scope and non-existent look the same (an empty list, a 404)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from knox.models import AuthToken

from lms.learning.models import Enrolment, JPEntry
from lms.people.models import Employee, OrgUnit
from lms.people.selectors import Scope


def units_in_scope(*, scope: Scope) -> QuerySet[OrgUnit]:
    if not scope.is_admin_scope:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(scope.unit_q()).order_by("path")


def enrolments_in_scope(*, scope: Scope) -> QuerySet[Enrolment]:
    if not scope.is_admin_scope:
        return Enrolment.objects.none()
    return (
        Enrolment.objects.filter(scope.unit_q("employee__org_unit__"))
        .select_related("employee", "course")
        .order_by("-created_at", "-pk")
    )


def ledger_in_scope(*, scope: Scope) -> QuerySet[JPEntry]:
    if not scope.is_admin_scope:
        return JPEntry.objects.none()
    return (
        JPEntry.objects.filter(scope.unit_q("employee__org_unit__"))
        .select_related("employee", "jenis")
        .order_by("-earned_on", "-pk")
    )


def api_tokens_of(*, employee: Employee) -> QuerySet[AuthToken]:
    """The employee's live tokens, newest first (expired ones are cleared as they are met)."""
    return AuthToken.objects.filter(user=employee, expiry__gt=timezone.now()).order_by("-created")
