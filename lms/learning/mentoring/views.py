"""Mentoring pages: the OPD admin's list, assignment form and decisions under
/kelola/pembimbingan/; the mentor's and mentee's own under /pembimbingan/.

Thin: parse, check, call one service or selector, answer. Reading goes through scoped
selectors (out of scope is a 404); a decision on someone else's mentoring is refused by the
service (403). Refusals are messages or form errors, never 500s.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lms.learning.models import MentoringAssignment
from lms.learning.templatetags.learning_tags import jp as jp_text
from lms.people.models import Employee
from lms.people.permissions import require_admin_scope, require_change_scope
from lms.people.selectors import org_unit_list

from . import selectors, services
from .forms import AssignmentForm, FilterForm, SessionForm, SignOffForm

PAGE_SIZE = 50
SESSIONS_PAGE_SIZE = 50
Status = MentoringAssignment.Status


def _viewer(request: HttpRequest) -> Employee:
    return request.user  # type: ignore[return-value]


def _page(request: HttpRequest, rows: QuerySet[Any], param: str, size: int = PAGE_SIZE) -> Page:
    """A page of one list, by its own parameter so that other lists keep theirs."""
    page = Paginator(rows, size).get_page(request.GET.get(param))
    query = request.GET.copy()
    query.pop(param, None)
    page.param = param  # type: ignore[attr-defined]
    page.query = query.urlencode()  # type: ignore[attr-defined]
    return page


def _error(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


# --- OPD admins, auditors, superusers ----------------------------------------------------


@login_required
def admin_list(request: HttpRequest) -> HttpResponse:
    scope = require_admin_scope(request.user)
    viewer = _viewer(request)
    form = FilterForm(request.GET or None, units=org_unit_list(viewer=viewer, scope=scope))
    form.is_valid()  # a bad filter value is dropped; the others still apply
    data = getattr(form, "cleaned_data", {})
    status = data.get("status") or ""
    rows = selectors.assignment_list(
        viewer=viewer, scope=scope, status=status, search=data.get("q") or "",
        org_unit=data.get("unit"),
    )  # fmt: skip
    counts = selectors.status_counts(viewer=viewer, scope=scope)
    tabs = [(value, label, counts.get(value, 0)) for value, label in Status.choices]
    return render(
        request,
        "learning/mentoring/admin_list.html",
        {
            "form": form,
            "page": _page(request, rows, "page"),
            "tabs": tabs,
            "status": status,
            "total": sum(counts.values()),
            "can_change": scope.can_change,
        },
    )


@login_required
def assign(request: HttpRequest) -> HttpResponse:
    require_change_scope(
        request.user, _("Hanya admin OPD dan superuser BKPSDM yang dapat menugaskan pembimbingan.")
    )
    viewer = _viewer(request)
    default_jenis = selectors.default_jenis()
    form = AssignmentForm(
        request.POST or None,
        jenis=selectors.jenis_choices(),
        initial={"jenis": default_jenis, "starts_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            assignment = services.mentoring_assign(actor=viewer, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Pembimbingan %(topic)s ditugaskan: %(mentor)s membimbing %(mentee)s.")
                % {
                    "topic": assignment.topic,
                    "mentor": assignment.mentor.name_with_gelar,
                    "mentee": assignment.mentee.name_with_gelar,
                },
            )
            return redirect("learning:mentoring_detail", assignment_id=assignment.pk)
    return render(
        request, "learning/mentoring/assign.html", {"form": form, "has_jenis": default_jenis}
    )


@login_required
def admin_detail(request: HttpRequest, assignment_id: int) -> HttpResponse:
    scope = require_admin_scope(request.user)
    viewer = _viewer(request)
    try:
        assignment = selectors.assignment_for_admin(
            viewer=viewer, assignment_id=assignment_id, scope=scope
        )
    except MentoringAssignment.DoesNotExist:
        raise Http404(_("Pembimbingan tidak ditemukan.")) from None
    own = viewer.pk in (assignment.mentor_id, assignment.mentee_id)
    return render(
        request,
        "learning/mentoring/admin_detail.html",
        {
            "assignment": assignment,
            "progress": selectors.progress(assignment),
            "competency_label": selectors.competency_label(assignment.competency_type),
            "sessions": _page(
                request, selectors.session_list(assignment=assignment), "sesi", SESSIONS_PAGE_SIZE
            ),
            "can_decide": scope.can_change and not own,
            "own": own and scope.can_change,
        },
    )


def _posted(assignment_id: int) -> MentoringAssignment:
    """The assignment a decision is about, unscoped: the service decides, and answers 403
    for one outside the admin's OPD."""
    return get_object_or_404(
        MentoringAssignment.objects.select_related("mentor", "mentee__org_unit", "jenis"),
        pk=assignment_id,
    )


def _back_to_admin(assignment: MentoringAssignment) -> HttpResponse:
    return redirect("learning:mentoring_detail", assignment_id=assignment.pk)


@login_required
@require_POST
def approve(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = _posted(assignment_id)
    try:
        assignment, entry = services.mentoring_approve(
            actor=_viewer(request), assignment=assignment, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(
            request,
            _("Pembimbingan disetujui; %(jp)s JP dikreditkan kepada %(mentee)s.")
            % {"jp": jp_text(entry.jp), "mentee": assignment.mentee.name_with_gelar},
        )
    return _back_to_admin(assignment)


@login_required
@require_POST
def send_back(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = _posted(assignment_id)
    try:
        services.mentoring_send_back(
            actor=_viewer(request), assignment=assignment, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(
            request,
            _("Pembimbingan dikembalikan ke %(mentor)s beserta alasannya.")
            % {"mentor": assignment.mentor.name_with_gelar},
        )
    return _back_to_admin(assignment)


@login_required
@require_POST
def cancel(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = _posted(assignment_id)
    try:
        services.mentoring_cancel(
            actor=_viewer(request), assignment=assignment, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(
            request, _("Pembimbingan %(topic)s dibatalkan.") % {"topic": assignment.topic}
        )
    return _back_to_admin(assignment)


# --- Mentor and mentee -------------------------------------------------------------------


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    return render(
        request,
        "learning/mentoring/mine.html",
        {
            "as_mentor": _page(request, selectors.assignments_as_mentor(viewer=viewer), "mentor"),
            "as_mentee": _page(request, selectors.assignments_as_mentee(viewer=viewer), "peserta"),
        },
    )


def _participant(request: HttpRequest, assignment_id: int) -> MentoringAssignment:
    try:
        return selectors.assignment_for_participant(
            viewer=_viewer(request), assignment_id=assignment_id
        )
    except MentoringAssignment.DoesNotExist:
        raise Http404(_("Pembimbingan tidak ditemukan.")) from None


def _session_initial(assignment: MentoringAssignment) -> dt.date:
    """Today if it is inside the period, else the period's nearer end."""
    today = timezone.localdate()
    return min(max(today, assignment.starts_on), assignment.ends_on)


def _participant_page(
    request: HttpRequest,
    assignment: MentoringAssignment,
    *,
    session_form: SessionForm | None = None,
    sign_off_form: SignOffForm | None = None,
) -> HttpResponse:
    viewer = _viewer(request)
    is_mentor = assignment.mentor_id == viewer.pk
    today = timezone.localdate()
    return render(
        request,
        "learning/mentoring/detail.html",
        {
            "assignment": assignment,
            "progress": selectors.progress(assignment),
            "competency_label": selectors.competency_label(assignment.competency_type),
            "sessions": _page(
                request, selectors.session_list(assignment=assignment), "sesi", SESSIONS_PAGE_SIZE
            ),
            "is_mentor": is_mentor,
            "is_active": assignment.status == Status.ACTIVE,
            "not_started": assignment.starts_on > today,
            "session_form": session_form
            or SessionForm(initial={"held_on": _session_initial(assignment)}),
            "sign_off_form": sign_off_form
            or SignOffForm(initial={"summary": assignment.mentor_summary}),
        },
    )


@login_required
def detail(request: HttpRequest, assignment_id: int) -> HttpResponse:
    return _participant_page(request, _participant(request, assignment_id))


def _require_mentor(request: HttpRequest, assignment: MentoringAssignment) -> None:
    if assignment.mentor_id != _viewer(request).pk:
        raise PermissionDenied(_("Hanya mentor pembimbingan ini yang dapat melakukannya."))


@login_required
@require_POST
def session_add(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = _participant(request, assignment_id)
    _require_mentor(request, assignment)
    form = SessionForm(request.POST)
    if form.is_valid():
        try:
            services.mentoring_session_log(
                actor=_viewer(request), assignment=assignment, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Sesi pembimbingan dicatat."))
            return redirect("learning:mentoring_view", assignment_id=assignment.pk)
    # The page again with what the mentor typed and why it was refused.
    return _participant_page(request, assignment, session_form=form)


@login_required
@require_POST
def sign_off(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = _participant(request, assignment_id)
    _require_mentor(request, assignment)
    form = SignOffForm(request.POST)
    if form.is_valid():
        try:
            services.mentoring_sign_off(
                actor=_viewer(request), assignment=assignment, summary=form.cleaned_data["summary"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Pembimbingan ditandatangani dan menunggu persetujuan admin OPD."),
            )
            return redirect("learning:mentoring_view", assignment_id=assignment.pk)
    return _participant_page(request, assignment, sign_off_form=form)
