"""Reads of the AKPK, always filtered by the viewer: a learner sees their own, an atasan
their subordinates', an OPD admin their subtree, auditors and superusers the whole Pemda.
Out of scope and non-existent look the same (``DoesNotExist``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Substr
from wagtail.models import ModelLogEntry

from lms.people.models import Employee, OrgUnit
from lms.people.selectors import Scope, scope_for
from lms.planning.models import AKPK, AKPKItem, AKPKSubmission, CentreImport, Competency

from .services import current_year, opd_may_submit

NOT_STARTED = "belum"
STATUS_KEYS = [NOT_STARTED, *AKPK.Status.values]


def _items_prefetch() -> Prefetch[Any]:
    return Prefetch(
        "items",
        queryset=AKPKItem.objects.select_related("competency").order_by(
            "competency__competency_type", "competency__code"
        ),
    )


def _with_details(qs: QuerySet[AKPK]) -> QuerySet[AKPK]:
    return qs.select_related(
        "employee", "employee__supervisor", "org_unit", "opd", "supervisor", "assessed_by"
    ).prefetch_related(_items_prefetch())


# --- The employee ---------------------------------------------------------------------------


def akpk_mine(*, employee: Employee, year: int) -> AKPK | None:
    """ "AKPK Saya" for a year, with its competencies; None before it is opened."""
    return _with_details(AKPK.objects.filter(employee=employee, year=year)).first()


def akpk_mine_by_id(*, employee: Employee, pk: int) -> AKPK | None:
    return _with_details(AKPK.objects.filter(employee=employee, pk=pk)).first()


def akpk_years(*, employee: Employee) -> list[int]:
    """The years to choose from: those with an AKPK, this year and next."""
    years = set(AKPK.objects.filter(employee=employee).values_list("year", flat=True))
    this = current_year()
    return sorted(years | {this, this + 1}, reverse=True)


def akpk_last_reopen(*, akpk: AKPK) -> ModelLogEntry | None:
    """The latest "sent back to the employee" entry, whose reason the employee reads."""
    return (
        ModelLogEntry.objects.for_instance(akpk)
        .filter(action="sinau.akpk.reopen")
        .select_related("user")
        .order_by("-timestamp", "-pk")
        .first()
    )


def competencies_to_add(*, akpk: AKPK) -> QuerySet[Competency]:
    """Dictionary competencies the AKPK does not hold yet: candidates for an added need."""
    return (
        Competency.objects.filter(is_active=True)
        .exclude(pk__in=AKPKItem.objects.filter(akpk=akpk).values("competency_id"))
        .order_by("competency_type", "code")
    )


# --- Visibility -----------------------------------------------------------------------------


def akpk_visible(*, viewer: Employee, scope: Scope | None = None) -> QuerySet[AKPK]:
    """Every AKPK the viewer may read: their own, their subordinates' (the atasan on the
    AKPK or the employee's atasan now), their admin subtree (by the unit the AKPK was
    opened in), everything for auditors and superusers."""
    scope = scope or scope_for(viewer)
    if scope.everything:
        return AKPK.objects.all()
    q = Q(employee=viewer) | Q(supervisor=viewer) | Q(employee__supervisor=viewer)
    if scope.unit_paths:
        q |= scope.unit_q("org_unit__")
    return AKPK.objects.filter(q)


def akpk_get(*, viewer: Employee, pk: int, scope: Scope | None = None) -> AKPK:
    return _with_details(akpk_visible(viewer=viewer, scope=scope)).get(pk=pk)


def akpk_supervisor_queue(*, viewer: Employee, year: int | None = None) -> QuerySet[AKPK]:
    """The atasan's subordinates' AKPKs: those waiting for their assessment first (oldest
    submission first), then drafts, then assessed ones."""
    qs = AKPK.objects.filter(Q(supervisor=viewer) | Q(employee__supervisor=viewer)).exclude(
        employee=viewer
    )
    if year is not None:
        qs = qs.filter(year=year)
    rank = Case(
        When(status=AKPK.Status.SELF_SUBMITTED, then=Value(0)),
        When(status=AKPK.Status.DRAFT, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        qs.select_related("employee", "org_unit")
        .annotate(rank=rank, gap_count=Count("items", filter=Q(items__gap__gt=0)))
        .order_by("rank", "-year", "self_submitted_at", "employee__full_name", "pk")
    )


def akpk_subordinates_not_started(*, viewer: Employee, year: int) -> int:
    """Active subordinates who have not opened their AKPK for the year."""
    return (
        Employee.objects.active()
        .filter(supervisor=viewer)
        .exclude(pk=viewer.pk)
        .exclude(akpk_set__year=year)
        .count()
    )


def is_atasan(*, viewer: Employee) -> bool:
    return (
        Employee.objects.filter(supervisor=viewer).exclude(pk=viewer.pk).exists()
        or AKPK.objects.filter(supervisor=viewer).exclude(employee=viewer).exists()
    )


# --- OPDs -----------------------------------------------------------------------------------


def akpk_opd_choices(*, scope: Scope) -> list[OrgUnit]:
    """The OPDs whose AKPK the viewer follows: every OPD for BKPSDM; for an OPD admin the
    OPDs in their subtree, and the OPD above a unit they administer."""
    if not scope.is_admin_scope:
        return []
    qs = OrgUnit.objects.filter(kind=OrgUnit.Kind.OPD)
    if not scope.everything:
        step = OrgUnit.steplen
        above = {p[:n] for p in scope.unit_paths for n in range(step, len(p) + 1, step)}
        qs = qs.filter(scope.unit_q() | Q(path__in=above))
    return list(qs.order_by("path"))


@dataclass
class OPDProgress:
    """One OPD's AKPK for a year as an admin sees it."""

    opd: OrgUnit
    year: int
    counts: dict[str, int]
    employee_count: int
    assessed_count: int
    submission: AKPKSubmission | None
    may_submit: bool
    employees: QuerySet[Employee]

    @property
    def locked(self) -> bool:
        return (
            self.submission is not None
            and self.submission.status == AKPKSubmission.Status.SUBMITTED
        )


def _akpk_of_year(year: int) -> QuerySet[AKPK]:
    return AKPK.objects.filter(employee=OuterRef("pk"), year=year)


def akpk_opd_progress(*, scope: Scope, opd: OrgUnit, year: int, status: str = "") -> OPDProgress:
    """Counts per status for the AKPKs the OPD answers for (within the viewer's scope), the
    employees who have not opened theirs, and the employees (now in the OPD) with the status
    of their AKPK, filtered by ``status`` ("belum" for not opened)."""
    in_scope = Employee.objects.active().in_unit(opd).filter(scope.unit_q("org_unit__"))
    staff = in_scope.annotate(
        akpk_id=Subquery(_akpk_of_year(year).values("pk")[:1]),
        akpk_status=Subquery(_akpk_of_year(year).values("status")[:1]),
    )
    rows = (
        AKPK.objects.filter(opd=opd, year=year)
        .filter(scope.unit_q("org_unit__"))
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = dict.fromkeys(STATUS_KEYS, 0)
    for row in rows:
        counts[row["status"]] = row["n"]
    totals = in_scope.aggregate(
        total=Count("pk"), started=Count("pk", filter=Q(Exists(_akpk_of_year(year))))
    )
    counts[NOT_STARTED] = totals["total"] - totals["started"]
    if status == NOT_STARTED:
        staff = staff.filter(akpk_id__isnull=True)
    elif status in AKPK.Status.values:
        staff = staff.filter(akpk_status=status)
    submission = (
        AKPKSubmission.objects.filter(opd=opd, year=year)
        .select_related("submitted_by", "returned_by")
        .first()
    )
    return OPDProgress(
        opd=opd, year=year, counts=counts, employee_count=totals["total"],
        assessed_count=counts[AKPK.Status.ASSESSED], submission=submission,
        may_submit=opd_may_submit(scope, opd),
        employees=staff.select_related("org_unit", "supervisor").order_by("full_name", "nip"),
    )  # fmt: skip


@dataclass
class OPDRow:
    opd: OrgUnit
    employee_count: int = 0
    not_started: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AKPK.Status.values, 0))
    submission: AKPKSubmission | None = None

    @property
    def opened(self) -> int:
        return sum(self.counts.values())


@dataclass
class PemdaOverview:
    year: int
    rows: list[OPDRow]
    totals: OPDRow


def akpk_pemda_overview(*, scope: Scope, year: int) -> PemdaOverview:
    """Every OPD the viewer follows (the whole Pemda for BKPSDM) with its AKPK counts per
    status, the employees who have not opened theirs, and its submission. A few grouped
    queries, however many OPDs there are."""
    opds = akpk_opd_choices(scope=scope)
    rows = {o.pk: OPDRow(opd=o) for o in opds}
    by_path = {o.path: rows[o.pk] for o in opds}
    for item in (
        AKPK.objects.filter(year=year, opd__in=opds)
        .values("opd_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        rows[item["opd_id"]].counts[item["status"]] = item["n"]
    # Employees per OPD: grouped by the first characters of their unit's path (the OPD's
    # path), one query per OPD depth (usually one).
    for length in sorted({len(o.path) for o in opds}):
        paths = [o.path for o in opds if len(o.path) == length]
        prefix_q = Q(pk__in=[])
        for path in paths:
            prefix_q |= Q(org_unit__path__startswith=path)
        grouped = (
            Employee.objects.active()
            .filter(prefix_q)
            .annotate(opd_path=Substr("org_unit__path", 1, length))
            .values("opd_path")
            .annotate(
                total=Count("pk"),
                started=Count(
                    "pk",
                    filter=Q(Exists(AKPK.objects.filter(employee=OuterRef("pk"), year=year))),
                ),
            )
            .order_by()
        )
        for item in grouped:
            row = by_path.get(item["opd_path"])
            if row is not None:
                row.employee_count = item["total"]
                row.not_started = item["total"] - item["started"]
    for submission in AKPKSubmission.objects.filter(year=year, opd__in=opds).select_related(
        "submitted_by", "returned_by"
    ):
        rows[submission.opd_id].submission = submission
    totals = OPDRow(opd=OrgUnit(name=""))
    for row in rows.values():
        totals.employee_count += row.employee_count
        totals.not_started += row.not_started
        for key, n in row.counts.items():
            totals.counts[key] += n
    return PemdaOverview(year=year, rows=list(rows.values()), totals=totals)


def akpk_submission_get(*, pk: int) -> AKPKSubmission:
    return AKPKSubmission.objects.select_related("opd").get(pk=pk)


# --- Assessment-centre imports ----------------------------------------------------------------


def centre_import_list(*, limit: int = 10) -> list[CentreImport]:
    return list(CentreImport.objects.select_related("requested_by").order_by("-created_at")[:limit])


def centre_import_get(*, pk: int) -> CentreImport:
    return CentreImport.objects.select_related("requested_by").get(pk=pk)
