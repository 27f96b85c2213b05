"""Training proposal pages: the list, the form (new and edit), the proposal with its AKPK
figures, duplicates and decisions, the submit and decide endpoints, and BKPSDM's queue of
likely duplicates.

Thin: parse, check, call one service or selector, answer. Refusals are messages or form
errors; a bad id is a 404, a proposal out of scope a 404 to read and a 403 to act on.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from lms.core.paging import paginate
from lms.people.models import Employee
from lms.people.permissions import require_admin_scope, require_change_scope
from lms.people.selectors import Scope
from lms.planning.models import ProposalDuplicate, TrainingProposal
from lms.planning.permissions import require_bkpsdm

from . import duplicates, selectors, services
from .forms import (
    ApproveForm,
    DuplicateFilterForm,
    PairDecisionForm,
    ProposalFilterForm,
    ProposalForm,
    ReasonForm,
)

Status = TrainingProposal.Status


def _viewer(request: HttpRequest) -> Employee:
    return request.user  # type: ignore[return-value]


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def gap_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The stored figures with their averages as numbers (JSON keeps them as text)."""
    rows = []
    for row in summary.get("competencies") or []:
        average = row.get("average_gap")
        try:
            average = Decimal(str(average)) if average is not None else None
        except InvalidOperation:
            average = None
        rows.append({**row, "average_gap": average})
    return rows


# --- List -------------------------------------------------------------------------------------


@login_required
@require_safe
def proposal_list(request: HttpRequest) -> HttpResponse:
    """OPD admins: their OPD's proposals. BKPSDM: every OPD's, with the duplicate flags."""
    scope = require_admin_scope(request.user)
    opds = selectors.proposal_opds(scope=scope)
    opd_count = opds.count()
    form = ProposalFilterForm(
        request.GET or None, years=selectors.proposal_years(scope=scope), opds=opds
    )
    filters = form.filters()
    rows = selectors.proposal_list(scope=scope, **filters)
    page = paginate(request, rows)
    page.object_list = list(page.object_list)
    flags = selectors.open_duplicate_counts([p.pk for p in page.object_list])
    for proposal in page.object_list:
        proposal.open_duplicates = flags.get(proposal.pk, 0)
        proposal.no_gap = selectors.no_akpk_gap(proposal)
    counts = selectors.proposal_status_counts(scope=scope, year=filters["year"], opd=filters["opd"])
    return render(
        request,
        "planning/proposals/list.html",
        {
            "form": form,
            "page": page,
            "counts": [(value, label, counts[value]) for value, label in Status.choices],
            "status": filters["status"] or "",
            "scope": scope,
            "may_propose": scope.can_change and opd_count > 0,
            "show_opd_filter": opd_count > 1,
            "open_pairs": (selectors.duplicate_queue().count() if scope.everything else None),
        },
    )


# --- Form -------------------------------------------------------------------------------------


def _proposer_opds(request: HttpRequest) -> tuple[Scope, list[Any]]:
    scope = require_change_scope(
        request.user, _("Usulan pelatihan dibuat oleh admin OPD (auditor hanya memutuskan).")
    )
    opds = list(selectors.proposal_opds(scope=scope))
    if not opds:
        raise PermissionDenied(_("Lingkup Anda tidak mencakup OPD mana pun."))
    return scope, opds


@login_required
def proposal_create(request: HttpRequest) -> HttpResponse:
    scope, opds = _proposer_opds(request)
    suggestions = selectors.jabatan_suggestions(opds=None if scope.everything else opds)
    form = ProposalForm(request.POST or None, opds=opds, suggestions=suggestions)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.proposal_create(actor=_viewer(request), details=form.details())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                _("Draf usulan %(title)s disimpan. Periksa lagi, lalu ajukan ke BKPSDM.")
                % {"title": proposal.title},
            )
            return redirect("planning:proposal_detail", proposal_id=proposal.pk)
    return render(request, "planning/proposals/form.html", {"form": form, "proposal": None})


@login_required
def proposal_edit(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """Edit a draft or a returned proposal. Reading someone else's is a 404; trying to
    change a proposal one may read but not change is a 403."""
    proposal = _visible_or_act(request, proposal_id)
    services.require_editor(_viewer(request), proposal)
    if proposal.status not in selectors.EDITABLE_STATUSES:
        messages.error(request, services.edit_refusal(proposal))
        return redirect("planning:proposal_detail", proposal_id=proposal.pk)
    scope, opds = _proposer_opds(request)
    suggestions = selectors.jabatan_suggestions(opds=None if scope.everything else opds)
    form = ProposalForm(request.POST or None, opds=opds, suggestions=suggestions, proposal=proposal)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.proposal_update(
                actor=_viewer(request), proposal=proposal, details=form.details()
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Usulan %(title)s disimpan.") % {"title": proposal.title})
            return redirect("planning:proposal_detail", proposal_id=proposal.pk)
    return render(request, "planning/proposals/form.html", {"form": form, "proposal": proposal})


# --- Detail -----------------------------------------------------------------------------------


def _visible(request: HttpRequest, proposal_id: int) -> tuple[TrainingProposal, Scope]:
    scope = require_admin_scope(request.user)
    try:
        return selectors.proposal_get(scope=scope, pk=proposal_id), scope
    except TrainingProposal.DoesNotExist:
        raise Http404(_("Usulan pelatihan tidak ditemukan.")) from None


def _visible_or_act(request: HttpRequest, proposal_id: int) -> TrainingProposal:
    """For the changing endpoints: read out of scope is a 404 on GET; a POST out of scope
    is an attempt to act, a 403."""
    if request.method == "POST":
        require_admin_scope(request.user)
        proposal = TrainingProposal.objects.select_related("opd").filter(pk=proposal_id).first()
        if proposal is None:
            raise Http404(_("Usulan pelatihan tidak ditemukan."))
        return proposal
    return _visible(request, proposal_id)[0]


@login_required
@require_safe
def proposal_detail(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal, scope = _visible(request, proposal_id)
    bkpsdm = scope.everything
    submitted = proposal.status != Status.DRAFT and bool(proposal.gap_summary)
    if submitted:
        summary = proposal.gap_summary
    else:
        # A draft shows what submitting would record today.
        summary = selectors.akpk_gap_summary(
            opd_id=proposal.opd_id, year=proposal.year,
            competency_ids=[c.pk for c in proposal.competencies.all()],
        )  # fmt: skip
    duplicate_rows = selectors.proposal_duplicate_rows(proposal=proposal)
    course_edit_url = (
        reverse("wagtailadmin_pages:edit", args=[proposal.course_id]) if proposal.course_id else ""
    )
    return render(
        request,
        "planning/proposals/detail.html",
        {
            "proposal": proposal,
            "competencies": list(proposal.competencies.all()),
            "summary": summary,
            "summary_frozen": submitted,
            "gap_rows": gap_rows(summary),
            "no_gap": not summary.get("employees"),
            "duplicates": duplicate_rows if bkpsdm else [],
            "open_duplicates": sum(
                1 for r in duplicate_rows if r.pair.status == ProposalDuplicate.Status.OPEN
            ),
            "served": selectors.served_opds(proposal=proposal),
            "history": selectors.proposal_history(proposal=proposal),
            "bkpsdm": bkpsdm,
            "may_edit": selectors.may_edit(scope, proposal),
            "may_decide": bkpsdm and proposal.status == Status.SUBMITTED,
            "course_edit_url": course_edit_url,
            "approve_form": ApproveForm(),
            "return_form": ReasonForm(prefix="kembali"),
            "reject_form": ReasonForm(prefix="tolak"),
        },
    )


# --- Actions ----------------------------------------------------------------------------------


def _proposal_for_action(request: HttpRequest, proposal_id: int) -> TrainingProposal:
    proposal = (
        TrainingProposal.objects.select_related("opd", "decided_by").filter(pk=proposal_id).first()
    )
    if proposal is None:
        raise Http404(_("Usulan pelatihan tidak ditemukan."))
    return proposal


@login_required
@require_POST
def proposal_submit(request: HttpRequest, proposal_id: int) -> HttpResponse:
    require_admin_scope(request.user)
    proposal = _proposal_for_action(request, proposal_id)
    try:
        proposal = services.proposal_submit(actor=_viewer(request), proposal=proposal)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("planning:proposal_detail", proposal_id=proposal.pk)
    messages.success(
        request,
        _("Usulan %(title)s diajukan ke BKPSDM.") % {"title": proposal.title},
    )
    if selectors.no_akpk_gap(proposal):
        messages.warning(
            request,
            _(
                "AKPK OPD tahun %(year)s tidak menunjukkan kesenjangan pada kompetensi yang "
                "diusulkan. Usulan tetap diajukan; BKPSDM akan melihat peringatan ini."
            )
            % {"year": proposal.year},
        )
    return redirect("planning:proposal_detail", proposal_id=proposal.pk)


def _decide(request: HttpRequest, proposal_id: int, decision: str) -> HttpResponse:
    require_bkpsdm(request.user)
    proposal = _proposal_for_action(request, proposal_id)
    viewer = _viewer(request)
    try:
        if decision == "approve":
            form = ApproveForm(request.POST)
            outcome = form.data.get("outcome") or ""
            note = form.data.get("note") or ""
            proposal = services.proposal_approve(
                actor=viewer, proposal=proposal, outcome=str(outcome), note=str(note)
            )
            messages.success(
                request,
                _(
                    "Usulan %(title)s disetujui. Draf kursusnya (belum tayang) sudah dibuat di "
                    "katalog; lengkapi dan terbitkan di Wagtail."
                )
                % {"title": proposal.title},
            )
        else:
            prefix = "kembali" if decision == "return" else "tolak"
            reason = str(request.POST.get(f"{prefix}-reason") or "")
            if decision == "return":
                services.proposal_return(actor=viewer, proposal=proposal, reason=reason)
                messages.success(
                    request,
                    _("Usulan %(title)s dikembalikan ke OPD untuk direvisi.")
                    % {"title": proposal.title},
                )
            else:
                services.proposal_reject(actor=viewer, proposal=proposal, reason=reason)
                messages.success(
                    request, _("Usulan %(title)s ditolak.") % {"title": proposal.title}
                )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("planning:proposal_detail", proposal_id=proposal.pk)


@login_required
@require_POST
def proposal_approve(request: HttpRequest, proposal_id: int) -> HttpResponse:
    return _decide(request, proposal_id, "approve")


@login_required
@require_POST
def proposal_return(request: HttpRequest, proposal_id: int) -> HttpResponse:
    return _decide(request, proposal_id, "return")


@login_required
@require_POST
def proposal_reject(request: HttpRequest, proposal_id: int) -> HttpResponse:
    return _decide(request, proposal_id, "reject")


# --- Duplicates -------------------------------------------------------------------------------


@login_required
@require_safe
def proposal_duplicates(request: HttpRequest) -> HttpResponse:
    """BKPSDM's queue: open pairs side by side, likeliest first."""
    scope = require_bkpsdm(request.user)
    form = DuplicateFilterForm(request.GET or None, years=selectors.proposal_years(scope=scope))
    filters = form.filters()
    page = paginate(request, selectors.duplicate_queue(**filters))
    page.object_list = list(page.object_list)
    for pair in page.object_list:
        pair.reason_texts = [duplicates.describe(r) for r in pair.reasons]
        pair.sides = [
            (pair.first, pair.second, services.merge_refusal(pair.first, pair.second)),
            (pair.second, pair.first, services.merge_refusal(pair.second, pair.first)),
        ]
    return render(
        request,
        "planning/proposals/duplicates.html",
        {
            "form": form,
            "page": page,
            "status": filters["status"],
            "statuses": ProposalDuplicate.Status,
        },
    )


def _pair(pair_id: int) -> ProposalDuplicate:
    try:
        return selectors.duplicate_pair_get(pk=pair_id)
    except ProposalDuplicate.DoesNotExist:
        raise Http404(_("Pasangan usulan tidak ditemukan.")) from None


@login_required
@require_POST
def proposal_not_duplicate(request: HttpRequest, pair_id: int) -> HttpResponse:
    require_bkpsdm(request.user)
    pair = _pair(pair_id)
    form = PairDecisionForm(request.POST)
    note = (form.cleaned_data.get("note") or "") if form.is_valid() else ""
    try:
        services.proposal_duplicate_dismiss(actor=_viewer(request), pair=pair, note=note)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(
            request,
            _("%(first)s dan %(second)s ditandai bukan duplikat.")
            % {"first": pair.first.title, "second": pair.second.title},
        )
    return redirect("planning:proposal_duplicates")


@login_required
@require_POST
def proposal_merge(request: HttpRequest, pair_id: int) -> HttpResponse:
    require_bkpsdm(request.user)
    pair = _pair(pair_id)
    form = PairDecisionForm(request.POST)
    keep = form.cleaned_data.get("keep") if form.is_valid() else None
    note = (form.cleaned_data.get("note") or "") if form.is_valid() else ""
    try:
        stays = services.proposal_duplicate_merge(
            actor=_viewer(request), pair=pair, keep_id=int(keep or 0), note=note
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("planning:proposal_duplicates")
    stays_before, goes = (
        (pair.first, pair.second) if stays.pk == pair.first_id else (pair.second, pair.first)
    )
    messages.success(
        request,
        _("%(goes)s (%(goes_opd)s) digabung ke %(stays)s (%(stays_opd)s).")
        % {
            "goes": goes.title, "goes_opd": goes.opd.name,
            "stays": stays_before.title, "stays_opd": stays_before.opd.name,
        },
    )  # fmt: skip
    return redirect("planning:proposal_detail", proposal_id=stays.pk)
