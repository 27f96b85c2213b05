"""Reads of people and organisation, always filtered by the viewer's scope."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from .models import Employee, EmployeeImport, OrgUnit, Role, RoleAssignment


@dataclass(frozen=True)
class Scope:
    """What a viewer may see: everything, some org-unit subtrees, or only themselves."""

    everything: bool = False
    unit_paths: tuple[str, ...] = field(default_factory=tuple)
    own_id: int | None = None
    can_change: bool = False  # auditors read everything but change nothing here
    roles: frozenset[str] = frozenset()

    @property
    def is_admin_scope(self) -> bool:
        return self.everything or bool(self.unit_paths)

    def covers_path(self, path: str) -> bool:
        return self.everything or any(path.startswith(p) for p in self.unit_paths)

    def unit_q(self, prefix: str = "") -> Q:
        """Q over an OrgUnit relation (``prefix`` like ``"org_unit__"``) limited to the scope."""
        if self.everything:
            return Q()
        q = Q(pk__in=[])
        for p in self.unit_paths:
            q |= Q(**{f"{prefix}path__startswith": p})
        return q


def scope_for(viewer: Employee | AnonymousUser | None) -> Scope:
    """One query: the viewer's roles decide their scope."""
    if viewer is None or not isinstance(viewer, Employee):
        return Scope()
    if viewer.is_superuser:
        return Scope(everything=True, own_id=viewer.pk, can_change=True)
    assignments = list(RoleAssignment.objects.filter(employee=viewer).select_related("org_unit"))
    roles = frozenset(a.role for a in assignments)
    if Role.AUDITOR in roles:
        return Scope(everything=True, own_id=viewer.pk, can_change=False, roles=roles)
    paths = tuple(
        sorted(a.org_unit.path for a in assignments if a.role == Role.OPD_ADMIN and a.org_unit)
    )
    return Scope(unit_paths=paths, own_id=viewer.pk, can_change=bool(paths), roles=roles)


def employee_list(
    *,
    viewer: Employee,
    search: str = "",
    org_unit: OrgUnit | None = None,
    active: bool | None = None,
    scope: Scope | None = None,
) -> QuerySet[Employee]:
    scope = scope or scope_for(viewer)
    qs = Employee.objects.select_related("org_unit")
    if scope.is_admin_scope:
        qs = qs.filter(scope.unit_q("org_unit__"))
    else:
        qs = qs.filter(pk=scope.own_id)
    if org_unit is not None:
        qs = qs.in_unit(org_unit)
    if active is not None:
        qs = qs.filter(is_active=active)
    search = search.strip()
    if search:
        qs = qs.filter(employee_search_q(search))
    return qs.order_by("full_name", "nip")


def employee_search_q(search: str) -> Q:
    """Name, email or jabatan containing the words, or a NIP starting with the digits
    (spaces allowed, as printed on an SK)."""
    digits = search.replace(" ", "")
    cond = Q(full_name__icontains=search) | Q(email__icontains=search)
    cond |= Q(jabatan__icontains=search)
    if digits.isdigit():
        cond |= Q(nip__startswith=digits)
    return cond


def employee_get(*, viewer: Employee, nip: str, scope: Scope | None = None) -> Employee:
    """The employee if the viewer may see them; ``Employee.DoesNotExist`` otherwise.

    Out of scope and non-existent look the same, so a neighbour's NIPs cannot be probed.
    """
    scope = scope or scope_for(viewer)
    return employee_list(viewer=viewer, scope=scope).get(nip=nip)


def org_unit_list(*, viewer: Employee, scope: Scope | None = None) -> QuerySet[OrgUnit]:
    scope = scope or scope_for(viewer)
    if not scope.is_admin_scope:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(scope.unit_q()).order_by("path")


def employee_import_list(*, viewer: Employee) -> QuerySet[EmployeeImport]:
    qs = EmployeeImport.objects.select_related("requested_by")
    if viewer.is_superuser:
        return qs
    return qs.filter(requested_by=viewer)


def employee_roles(*, employee: Employee) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(employee=employee).select_related("org_unit")


def role_assignment_list(
    *, viewer: Employee, scope: Scope | None = None
) -> QuerySet[RoleAssignment]:
    """Who holds which role: for superusers and auditors (everything scope) only."""
    scope = scope or scope_for(viewer)
    if not scope.everything:
        return RoleAssignment.objects.none()
    return RoleAssignment.objects.select_related("employee", "org_unit", "granted_by").order_by(
        "role", "employee__full_name"
    )
