"""Reads of OPD training proposals, always filtered by the viewer's scope: an OPD admin sees
their OPD's proposals, BKPSDM (auditors and superusers) the whole Pemda's. Out of scope and
non-existent look the same (``DoesNotExist``), so a neighbour's ids cannot be probed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from wagtail.models import ModelLogEntry

from courses.models import CatalogueIndexPage
from lms.people.models import Employee, OrgUnit
from lms.people.selectors import Scope
from lms.planning.models import (
    AKPK,
    AKPKItem,
    Competency,
    JabatanStandard,
    ProposalDuplicate,
    TrainingProposal,
    jabatan_key,
)

from . import duplicates

Status = TrainingProposal.Status
# Proposals another OPD's proposal is compared with: on BKPSDM's desk or already a
# programme. Drafts are not proposed yet; rejected and merged ones are no programme.
COMPARED_STATUSES = (Status.SUBMITTED, Status.RETURNED, Status.APPROVED)
EDITABLE_STATUSES = (Status.DRAFT, Status.RETURNED)
# The list's order within a year: what waits for BKPSDM first, what is settled last.
STATUS_RANK = Case(
    *[
        When(status=status, then=Value(rank))
        for rank, status in enumerate(
            (
                Status.SUBMITTED, Status.RETURNED, Status.DRAFT, Status.APPROVED,
                Status.REJECTED, Status.MERGED,
            )
        )
    ],
    default=Value(99),
    output_field=IntegerField(),
)  # fmt: skip
# Jabatan offered as suggestions on the form: enough to cover an OPD's common positions
# without turning the form into a directory.
SUGGESTIONS_MAX = 60


# --- Scope ---------------------------------------------------------------------------------


def proposal_scope_q(scope: Scope) -> Q:
    if not scope.is_admin_scope:
        return Q(pk__in=[])
    return scope.unit_q("opd__")


def covers(scope: Scope, proposal: TrainingProposal) -> bool:
    """Whether the viewer may read the proposal: its OPD lies in their scope."""
    return scope.is_admin_scope and scope.covers_path(proposal.opd.path)


def may_edit(scope: Scope, proposal: TrainingProposal) -> bool:
    """Its OPD's admins (and superusers) edit a draft or a returned proposal."""
    return scope.can_change and covers(scope, proposal) and proposal.status in EDITABLE_STATUSES


def proposal_opds(*, scope: Scope) -> QuerySet[OrgUnit]:
    """The OPD nodes in the viewer's scope: where they may propose, and the list filter."""
    if not scope.is_admin_scope:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(scope.unit_q(), kind=OrgUnit.Kind.OPD).order_by("name", "path")


# --- Lists ----------------------------------------------------------------------------------


def proposal_list(
    *,
    scope: Scope,
    year: int | None = None,
    status: str | None = None,
    opd: OrgUnit | None = None,
) -> QuerySet[TrainingProposal]:
    """Proposals in scope, newest year first, then the ones waiting longest for BKPSDM."""
    qs = TrainingProposal.objects.filter(proposal_scope_q(scope))
    if year is not None:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    if opd is not None:
        qs = qs.filter(opd=opd)
    return (
        qs.select_related("opd", "merged_into")
        .annotate(status_rank=STATUS_RANK)
        .order_by("-year", "status_rank", "submitted_at", "-created_at", "-pk")
    )


def proposal_status_counts(
    *, scope: Scope, year: int | None = None, opd: OrgUnit | None = None
) -> dict[str, int]:
    """How many proposals in scope (and the year/OPD filter) are in each status: one query."""
    counts = dict.fromkeys(Status.values, 0)
    rows = proposal_list(scope=scope, year=year, opd=opd).values("status").annotate(n=Count("pk"))
    for row in rows.order_by():
        counts[row["status"]] = row["n"]
    return counts


def proposal_years(*, scope: Scope) -> list[int]:
    years = set(
        TrainingProposal.objects.filter(proposal_scope_q(scope))
        .values_list("year", flat=True)
        .distinct()
        .order_by()
    )
    this_year = timezone.localdate().year
    years |= {this_year, this_year + 1}
    return sorted(years, reverse=True)


def open_duplicate_counts(proposal_ids: list[int]) -> dict[int, int]:
    """How many open duplicate pairs each proposal is in (for the list's badges)."""
    counts: dict[int, int] = {}
    if not proposal_ids:
        return counts
    pairs = ProposalDuplicate.objects.filter(
        Q(first_id__in=proposal_ids) | Q(second_id__in=proposal_ids),
        status=ProposalDuplicate.Status.OPEN,
    ).values_list("first_id", "second_id")
    wanted = set(proposal_ids)
    for first_id, second_id in pairs:
        for pk in (first_id, second_id):
            if pk in wanted:
                counts[pk] = counts.get(pk, 0) + 1
    return counts


# --- One proposal ------------------------------------------------------------------------------


def proposal_get(*, scope: Scope, pk: int) -> TrainingProposal:
    return (
        TrainingProposal.objects.filter(proposal_scope_q(scope))
        .select_related("opd", "created_by", "decided_by", "merged_into__opd", "course")
        .prefetch_related("competencies")
        .get(pk=pk)
    )


def served_opds(*, proposal: TrainingProposal) -> list[TrainingProposal]:
    """The proposals this programme serves: its own, then those merged into it (each with
    its OPD and participant count)."""
    merged = list(
        TrainingProposal.objects.filter(merged_into=proposal)
        .select_related("opd")
        .order_by("opd__name", "pk")
    )
    return [proposal, *merged]


def proposal_history(*, proposal: TrainingProposal) -> QuerySet[ModelLogEntry]:
    return (
        ModelLogEntry.objects.for_instance(proposal)
        .select_related("user")
        .order_by("-timestamp", "-pk")[:50]
    )


@dataclass(frozen=True)
class DuplicateRow:
    """A pair as seen from one of its proposals."""

    pair: ProposalDuplicate
    other: TrainingProposal
    reasons: list[str]


def proposal_duplicate_rows(*, proposal: TrainingProposal) -> list[DuplicateRow]:
    pairs = (
        ProposalDuplicate.objects.filter(Q(first=proposal) | Q(second=proposal))
        .select_related("first__opd", "second__opd", "decided_by")
        .order_by("status", "-score", "pk")
    )
    rows = []
    for pair in pairs:
        other = pair.second if pair.first_id == proposal.pk else pair.first
        rows.append(
            DuplicateRow(
                pair=pair, other=other, reasons=[duplicates.describe(r) for r in pair.reasons]
            )
        )
    return rows


def duplicate_queue(
    *, status: str = ProposalDuplicate.Status.OPEN, year: int | None = None
) -> QuerySet[ProposalDuplicate]:
    """Pairs for BKPSDM, likeliest first. Open pairs only while both proposals are still
    programmes (a rejected or merged side leaves nothing to decide)."""
    qs = ProposalDuplicate.objects.filter(status=status)
    if status == ProposalDuplicate.Status.OPEN:
        qs = qs.filter(first__status__in=COMPARED_STATUSES, second__status__in=COMPARED_STATUSES)
    if year is not None:
        qs = qs.filter(first__year=year)
    return (
        qs.select_related("first__opd", "second__opd", "decided_by")
        .prefetch_related("first__competencies", "second__competencies")
        .order_by("-score", "pk")
    )


def duplicate_pair_get(*, pk: int) -> ProposalDuplicate:
    return ProposalDuplicate.objects.select_related("first__opd", "second__opd").get(pk=pk)


# --- Justification figures ---------------------------------------------------------------------


def akpk_gap_summary(*, opd_id: int, year: int, competency_ids: list[int]) -> dict[str, Any]:
    """From the OPD's AKPK of the year: per proposed competency, how many employees have a
    gap and its average; the distinct employees over all of them; how many AKPK there are."""
    items = AKPKItem.objects.filter(
        akpk__opd_id=opd_id, akpk__year=year, gap__gt=0, competency_id__in=competency_ids
    )
    per_competency = {
        row["competency_id"]: row
        for row in items.values("competency_id")
        .annotate(employees=Count("akpk__employee_id", distinct=True), average=Avg("gap"))
        .order_by()
    }
    employees = items.values("akpk__employee_id").distinct().order_by().count()
    akpk_count = AKPK.objects.filter(opd_id=opd_id, year=year).count()
    rows = []
    for competency in Competency.objects.filter(pk__in=competency_ids).order_by(
        "competency_type", "code"
    ):
        found = per_competency.get(competency.pk)
        average = None
        if found and found["average"] is not None:
            average = str(
                Decimal(str(found["average"])).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            )
        rows.append(
            {
                "id": competency.pk,
                "code": competency.code,
                "name": competency.name,
                "employees": found["employees"] if found else 0,
                "average_gap": average,
            }
        )
    return {
        "year": year,
        "akpk": akpk_count,
        "employees": employees,
        "competencies": rows,
        "computed_at": timezone.now().isoformat(),
    }


def no_akpk_gap(proposal: TrainingProposal) -> bool:
    """A submitted proposal none of whose competencies shows a gap in its OPD's AKPK."""
    summary = proposal.gap_summary or {}
    return bool(summary) and not summary.get("employees")


# --- The form's helpers -------------------------------------------------------------------------


def jabatan_suggestions(*, opds: list[OrgUnit] | None) -> list[str]:
    """Jabatan to offer on the form: those the OPDs' employees hold (most common first;
    ``None``: the whole Pemda's), then those with a competency standard; one spelling per
    jabatan (``jabatan_key``)."""
    seen: dict[str, str] = {}
    if opds is None or opds:
        q = Q()
        if opds is not None:
            q = Q(pk__in=[])
            for opd in opds:
                q |= Q(org_unit__path__startswith=opd.path)
        held = (
            Employee.objects.filter(q, is_active=True)
            .exclude(jabatan="")
            .values("jabatan")
            .annotate(n=Count("pk"))
            .order_by("-n", "jabatan")[: SUGGESTIONS_MAX * 2]
        )
        for row in held:
            name = " ".join(row["jabatan"].split())
            seen.setdefault(jabatan_key(name), name)
    standards = (
        JabatanStandard.objects.values_list("jabatan", flat=True)
        .distinct()
        .order_by("jabatan")[: SUGGESTIONS_MAX * 2]
    )
    for name in standards:
        seen.setdefault(jabatan_key(name), name)
    return [name for key, name in seen.items() if key][:SUGGESTIONS_MAX]


def catalogue_page() -> CatalogueIndexPage | None:
    """Where approved proposals become course drafts: the live catalogue."""
    return CatalogueIndexPage.objects.live().order_by("path").first()


def facts_of(proposal: TrainingProposal, competency_ids: list[int]) -> duplicates.ProposalFacts:
    return duplicates.ProposalFacts(
        id=proposal.pk,
        opd_id=proposal.opd_id,
        year=proposal.year,
        title=proposal.title,
        competency_ids=frozenset(competency_ids),
        jabatan_keys=frozenset(
            k for k in (jabatan_key(str(j)) for j in proposal.target_jabatan or []) if k
        ),
        starts_on=proposal.starts_on,
        ends_on=proposal.ends_on,
    )


def duplicate_candidates(proposal: TrainingProposal) -> list[duplicates.ProposalFacts]:
    """The same year's proposals of other OPDs that a submitted one is compared with."""
    candidates = (
        TrainingProposal.objects.filter(year=proposal.year, status__in=COMPARED_STATUSES)
        .exclude(opd_id=proposal.opd_id)
        .exclude(pk=proposal.pk)
    )
    others = list(
        candidates.only(
            "pk", "opd_id", "year", "title", "target_jabatan", "starts_on", "ends_on"
        ).order_by("pk")
    )
    through = TrainingProposal.competencies.through
    ids: dict[int, list[int]] = {}
    for proposal_id, competency_id in through.objects.filter(
        trainingproposal_id__in=candidates.values("pk")
    ).values_list("trainingproposal_id", "competency_id"):
        ids.setdefault(proposal_id, []).append(competency_id)
    return [facts_of(other, ids.get(other.pk, [])) for other in others]


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)
