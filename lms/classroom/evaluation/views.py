"""Evaluation pages: the learner's form for an angkatan or an open session, BKPSDM's
results and their export, and an instructor's own aggregate scores."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from lms.core.paging import paginate
from lms.people.models import Employee
from lms.planning.permissions import require_bkpsdm

from ..models import Cohort, Session
from . import exports, selectors, services
from .forms import AnswersForm, YearForm

RESULTS_PER_PAGE = 20


def _viewer(request: HttpRequest) -> Employee:
    return request.user  # type: ignore[return-value]


def _evaluate(
    request: HttpRequest, *, cohort: Cohort | None = None, session: Session | None = None
) -> HttpResponse:
    viewer = _viewer(request)
    reason = selectors.evaluation_refusal(employee=viewer, cohort=cohort, session=session)
    if reason:
        raise PermissionDenied(reason)
    done = selectors.already_evaluated(employee=viewer, cohort=cohort, session=session)
    questionnaire = services.questionnaire_for(cohort=cohort, session=session)
    evaluation = selectors.evaluation_form(
        questionnaire=questionnaire, cohort=cohort, session=session
    )
    form = AnswersForm(evaluation, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if done:
            messages.error(request, _("Anda sudah mengisi evaluasi ini."))
            return redirect(request.path)
        if form.is_valid():
            try:
                services.evaluation_submit(
                    actor=viewer, cohort=cohort, session=session, answers=form.cleaned_data
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for key, errors in exc.message_dict.items():
                        form.add_error(key if key in form.fields else None, errors)
                else:
                    messages.error(request, " ".join(exc.messages))
                    return redirect(request.path)
            else:
                messages.success(request, _("Terima kasih, evaluasi Anda tersimpan."))
                return redirect("learning:dashboard")
        messages.error(request, _("Evaluasi belum tersimpan: periksa isian yang ditandai."))
    title = (
        f"{cohort.course.title} — {cohort.name}" if cohort is not None else session.title  # type: ignore[union-attr]
    )
    return render(
        request,
        "classroom/evaluation/form.html",
        {"form": form, "done": done, "title": title, "cohort": cohort, "session": session},
    )


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_cohort(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = get_object_or_404(
        Cohort.objects.select_related("course", "questionnaire"), pk=cohort_id
    )
    return _evaluate(request, cohort=cohort)


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_session(request: HttpRequest, session_id: int) -> HttpResponse:
    # A session of an angkatan is evaluated with its angkatan, so it has no page here.
    session = get_object_or_404(
        Session.objects.select_related("series__questionnaire", "series__instructor", "instructor"),
        pk=session_id,
        cohort__isnull=True,
    )
    return _evaluate(request, session=session)


def _results_context(request: HttpRequest) -> dict[str, Any]:
    filter_form = YearForm(request.GET or None)
    if filter_form.is_bound and not filter_form.is_valid():
        messages.error(request, _("Tahun tidak dikenal; menampilkan tahun ini."))
    return {"filter_form": filter_form, "year": filter_form.year()}


@login_required
@require_GET
def evaluation_results(request: HttpRequest) -> HttpResponse:
    """BKPSDM: the year's results per instructor and per angkatan or session, and the
    comments, each list paged on its own."""
    require_bkpsdm(request.user)
    context = _results_context(request)
    year = context["year"]
    instructors = paginate(
        request, selectors.instructor_results(year=year), "hal_instruktur", RESULTS_PER_PAGE
    )
    targets = paginate(request, selectors.target_results(year=year), "hal_kursus", RESULTS_PER_PAGE)
    comments = paginate(request, selectors.comment_list(year=year), "hal_komentar", 50)
    context.update(
        {
            "years": selectors.result_years(),
            "instructors": instructors,
            "instructor_rows": selectors.fill_instructors(instructors.object_list, year=year),
            "targets": targets,
            "target_rows": selectors.fill_targets(targets.object_list, year=year),
            "comments": comments,
            "comment_rows": selectors.comment_rows(comments.object_list),
        }
    )
    return render(request, "classroom/evaluation/results.html", context)


@login_required
@require_GET
def evaluation_export(request: HttpRequest) -> HttpResponseBase:
    require_bkpsdm(request.user)
    year = _results_context(request)["year"]
    return exports.evaluation_workbook(year=year)


@login_required
@require_GET
def evaluation_mine(request: HttpRequest) -> HttpResponse:
    """An instructor's own scores per angkatan or session, shown only once enough
    participants have answered that no single one can be picked out."""
    viewer = _viewer(request)
    page = paginate(
        request, selectors.instructor_own_results(instructor=viewer), per_page=RESULTS_PER_PAGE
    )
    return render(
        request,
        "classroom/evaluation/mine.html",
        {
            "page": page,
            "rows": selectors.fill_own(page.object_list, instructor=viewer),
            "minimum": selectors.min_responses(),
        },
    )
