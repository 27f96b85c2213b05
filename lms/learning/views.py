"""Learner and OPD-admin pages: enrol, withdraw, mark done, "Kursus Saya", approvals, assignment.

Thin: parse, check, call one service or selector, answer. Refusals are messages, never 500s.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses.models import CatalogueIndexPage, CoursePage, ModulePage
from lms.people.models import Employee
from lms.people.permissions import require_admin_scope, require_change_scope
from lms.people.selectors import employee_get, org_unit_list, scope_for

from . import selectors, services
from .forms import (
    AssignForm,
    DecisionForm,
    LedgerFilterForm,
    ModuleDoneForm,
    ReverseForm,
    WithdrawForm,
)
from .models import Enrolment

PAGE_SIZE = 50


def _viewer(request: HttpRequest) -> Employee:
    return request.user  # type: ignore[return-value]


def _error(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# --- Learner ---------------------------------------------------------------------------


@login_required
@require_POST
def enrol(request: HttpRequest, course_id: int) -> HttpResponse:
    course = get_object_or_404(CoursePage.objects.live(), pk=course_id)
    try:
        enrolment = services.enrolment_request(actor=_viewer(request), course=course)
    except ValidationError as exc:
        _error(request, exc)
    else:
        if enrolment.status == Enrolment.Status.PENDING:
            messages.success(
                request,
                _("Pendaftaran Anda terkirim dan menunggu persetujuan admin OPD Anda."),
            )
        else:
            messages.success(request, _("Anda terdaftar. Selamat belajar!"))
    return redirect(course.url or "/")


@login_required
@require_POST
def withdraw(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = get_object_or_404(
        Enrolment.objects.select_related("course", "employee__org_unit"), pk=enrolment_id
    )
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        # Someone else's enrolment: the service lets only their OPD admin (or BKPSDM) through.
        services.enrolment_withdraw(actor=_viewer(request), enrolment=enrolment, reason=reason)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(
            request,
            _("Pendaftaran di kursus %(course)s dibatalkan.") % {"course": enrolment.course.title},
        )
    return redirect(_safe_next(request, enrolment.course.url or "/"))


@login_required
@require_POST
def module_done(request: HttpRequest, module_id: int) -> HttpResponse:
    module = get_object_or_404(ModulePage.objects.live(), pk=module_id)
    course: CoursePage = module.get_parent().specific
    viewer = _viewer(request)
    access = selectors.module_access(viewer=viewer, course=course, module=module)
    if not access.allowed or access.enrolment is None:
        # Not enrolled (or an editor previewing): nothing to record.
        messages.info(request, access.reason or _("Pratinjau editor: kemajuan tidak dicatat."))
        return redirect(course.url or "/")
    form = ModuleDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Waktu belajar tidak valid; modul belum ditandai selesai."))
        return redirect(module.url or "/")
    enrolment = access.enrolment
    was_completed = enrolment.status == Enrolment.Status.COMPLETED
    try:
        services.module_mark_done(
            actor=viewer, enrolment=enrolment, module=module, seconds_spent=form.seconds_spent()
        )
    except ValidationError as exc:
        _error(request, exc)
        return redirect(module.url or "/")
    enrolment.refresh_from_db(fields=["status", "completed_at"])
    if enrolment.status == Enrolment.Status.COMPLETED and not was_completed:
        messages.success(
            request,
            _("Selamat! Anda menyelesaikan kursus %(course)s; %(jp)s JP tercatat.")
            % {"course": course.title, "jp": f"{course.jp_credited.normalize():f}"},
        )
        return redirect(course.url or "/")
    messages.success(request, _("Modul %(title)s selesai.") % {"title": module.title})
    view = selectors.module_view(module=module, viewer=viewer, access=access)
    return redirect((view.next.url if view.next is not None else course.url) or "/")


def _section(request: HttpRequest, rows: list[Enrolment], param: str) -> Any:
    """One dashboard section, paginated by its own parameter so the others keep their page."""
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get(param))
    query = request.GET.copy()
    query.pop(param, None)
    page.param = param  # type: ignore[attr-defined]
    page.query = query.urlencode()  # type: ignore[attr-defined]
    return page


def _record_page(
    request: HttpRequest, employee: Employee, *, own: bool, template: str
) -> HttpResponse:
    raw = request.GET.get("tahun", "")
    year = int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 4 else None
    record = selectors.competency_record(employee=employee, year=year)
    entries = Paginator(record.entries, PAGE_SIZE).get_page(request.GET.get("halaman"))
    entries.param = "halaman"  # type: ignore[attr-defined]
    entries.query = f"tahun={record.year}"  # type: ignore[attr-defined]
    return render(request, template, {"record": record, "entries": entries, "own": own})


@login_required
def competency_record(request: HttpRequest) -> HttpResponse:
    """Rekam Kompetensi Saya: the learner's hours for a year, against the target."""
    return _record_page(
        request, _viewer(request), own=True, template="learning/competency_record.html"
    )


@login_required
def employee_record(request: HttpRequest, nip: str) -> HttpResponse:
    """An employee's competency record as their OPD admin or a BKPSDM auditor reads it."""
    scope = require_admin_scope(request.user)
    try:
        employee = employee_get(viewer=_viewer(request), nip=nip, scope=scope)
    except Employee.DoesNotExist:
        raise Http404(_("Pegawai tidak ditemukan.")) from None
    return _record_page(request, employee, own=False, template="learning/employee_record.html")


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    """Kelola: the admin's tools in one place, with what waits for them."""
    scope = require_admin_scope(request.user)
    viewer = _viewer(request)
    from lms.planning.proposals.selectors import proposal_status_counts

    from .external.selectors import external_status_counts
    from .mentoring.selectors import status_counts as mentoring_status_counts

    waiting = {
        "approvals": selectors.pending_approvals(viewer=viewer).count(),
        "external": external_status_counts(viewer=viewer, scope=scope).get("submitted", 0),
        "mentoring": mentoring_status_counts(viewer=viewer, scope=scope).get("signed_off", 0),
        "proposals": proposal_status_counts(scope=scope).get("submitted", 0),
    }
    return render(request, "learning/manage.html", {"scope": scope, "waiting": waiting})


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    """The JP ledger, read-only, as far as the viewer's scope reaches; corrections are
    reversing entries made from here by those who may change their scope."""
    scope = require_admin_scope(request.user)
    form = LedgerFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.ledger_entries(
        viewer=_viewer(request), scope=scope, year=filters.get("tahun"),
        source_type=filters.get("sumber") or "", search=filters.get("q") or "",
    )  # fmt: skip
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("halaman"))
    query = request.GET.copy()
    query.pop("halaman", None)
    page.param = "halaman"  # type: ignore[attr-defined]
    page.query = query.urlencode()  # type: ignore[attr-defined]
    return render(
        request,
        "learning/ledger.html",
        {"form": form, "page": page, "can_reverse": scope.can_change},
    )


@login_required
@require_POST
def ledger_reverse(request: HttpRequest, entry_id: int) -> HttpResponse:
    viewer = _viewer(request)
    scope = require_change_scope(request.user)
    entry = get_object_or_404(selectors.ledger_entries(viewer=viewer, scope=scope), pk=entry_id)
    form = ReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tuliskan alasan pembatalan JP."))
        return redirect("learning:ledger")
    try:
        services.jp_reverse(entry=entry, actor=viewer, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(
            request,
            _("%(jp)s JP milik %(name)s dibatalkan.")
            % {"jp": entry.jp, "name": entry.employee.name_with_gelar},
        )
    return redirect("learning:ledger")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    from lms.planning.insight.selectors import recommended_courses  # planning sits above

    board = selectors.my_courses(employee=viewer)
    empty = not (board.in_progress or board.pending or board.assigned or board.completed)
    return render(
        request,
        "learning/dashboard.html",
        {
            "board": board,
            "in_progress": _section(request, board.in_progress, "aktif"),
            "pending": _section(request, board.pending, "menunggu"),
            "assigned": _section(request, board.assigned, "tugas"),
            "completed": _section(request, board.completed, "selesai"),
            "can_manage": scope_for(viewer).can_change,
            "today": timezone.localdate(),
            # Somewhere to start when there is nothing here yet.
            "catalogue": CatalogueIndexPage.objects.live().first() if empty else None,
            # Courses that close the gaps of the learner's assessed AKPK.
            "recommendations": recommended_courses(employee=viewer),
        },
    )


# --- OPD admins ------------------------------------------------------------------------


def _manager(request: HttpRequest) -> Employee:
    require_change_scope(request.user, _("Halaman ini untuk admin OPD dan superuser BKPSDM."))
    return _viewer(request)


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    viewer = _manager(request)
    page = Paginator(selectors.pending_approvals(viewer=viewer), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "learning/approvals.html", {"page": page})


@login_required
@require_POST
def approval_decide(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    viewer = _manager(request)
    # The service refuses (403) a learner outside the admin's scope; a decided one is a message.
    enrolment = get_object_or_404(
        Enrolment.objects.select_related("employee__org_unit", "course"), pk=enrolment_id
    )
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Pilih setujui atau tolak."))
        return redirect("learning:approvals")
    try:
        services.enrolment_decide(
            actor=viewer, enrolment=enrolment, approve=form.approve,
            note=form.cleaned_data["note"],
        )  # fmt: skip
    except ValidationError as exc:
        _error(request, exc)
    else:
        names = {"name": enrolment.employee.name_with_gelar, "course": enrolment.course.title}
        if form.approve:
            messages.success(request, _("%(name)s disetujui mengikuti %(course)s.") % names)
        else:
            messages.success(request, _("Pendaftaran %(name)s di %(course)s ditolak.") % names)
    return redirect("learning:approvals")


@login_required
def assign(request: HttpRequest) -> HttpResponse:
    from lms.classroom.cohorts.selectors import assignable_cohorts  # the app sits above this

    viewer = _manager(request)
    scope = scope_for(viewer)
    form = AssignForm(
        request.POST or None,
        courses=CoursePage.objects.live().order_by("title"),
        units=org_unit_list(viewer=viewer, scope=scope),
        cohorts=assignable_cohorts(),
    )
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.enrolment_assign(
                actor=viewer,
                course=form.cleaned_data["course"],
                org_unit=form.cleaned_data["org_unit"],
                nips=form.cleaned_data["nips"],
                due_date=form.cleaned_data["due_date"],
                cohort=form.cleaned_data["cohort"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Penugasan %(course)s disimpan.") % {"course": form.cleaned_data["course"].title},
            )
    return render(request, "learning/assign.html", {"form": form, "result": result})
