"""Competency dictionary pages: the list, one competency, the standards by jabatan, and the
XLSX import with its template.

Reading is for those with an admin scope (OPD admins plan against the dictionary, auditors
audit with it); importing changes the whole Pemda's dictionary and takes a BKPSDM superuser.
Thin: parse, check, call one service or selector, answer.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from courses.models import CompetencyType
from lms.core.paging import paginate
from lms.people.models import Employee
from lms.people.permissions import require_admin_scope
from lms.planning.models import Competency
from lms.planning.permissions import require_bkpsdm

from . import selectors, services, workbook
from .forms import DictionaryFilterForm, DictionaryImportForm, JabatanFilterForm

# Row errors shown on the result page; the counts always cover them all.
MAX_ERRORS_SHOWN = 500


def _viewer(request: HttpRequest) -> Employee:
    return request.user  # type: ignore[return-value]


def _level_rows(competency: Competency) -> list[tuple[int, str]]:
    texts = competency.level_descriptions if isinstance(competency.level_descriptions, dict) else {}
    return [(n, str(texts.get(str(n), "")).strip()) for n in range(1, 6)]


@login_required
@require_safe
def dictionary_list(request: HttpRequest) -> HttpResponse:
    scope = require_admin_scope(request.user)
    form = DictionaryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.competency_list(
        search=filters.get("q") or "", competency_type=filters.get("jenis") or ""
    )
    return render(
        request,
        "planning/dictionary/list.html",
        {
            "form": form,
            "page": paginate(request, rows),
            "type_counts": [
                (value, label, count)
                for (value, label), count in zip(
                    CompetencyType.choices,
                    selectors.competency_type_counts().values(),
                    strict=True,
                )
            ],
            "jenis": filters.get("jenis") or "",
            "can_import": scope.everything and scope.can_change,
        },
    )


@login_required
@require_safe
def dictionary_detail(request: HttpRequest, competency_id: int) -> HttpResponse:
    require_admin_scope(request.user)
    try:
        competency = selectors.competency_get(pk=competency_id)
    except Competency.DoesNotExist:
        raise Http404(_("Kompetensi tidak ditemukan.")) from None
    return render(
        request,
        "planning/dictionary/detail.html",
        {
            "competency": competency,
            "levels": _level_rows(competency),
            "page": paginate(request, selectors.competency_standards(competency=competency)),
            "courses": list(selectors.competency_courses(competency=competency)),
        },
    )


@login_required
@require_safe
def dictionary_jabatan(request: HttpRequest) -> HttpResponse:
    scope = require_admin_scope(request.user)
    form = JabatanFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = paginate(request, selectors.jabatan_keys(search=filters.get("q") or ""))
    names = {row["jabatan_key"]: row["jabatan"] for row in page.object_list}
    return render(
        request,
        "planning/dictionary/jabatan.html",
        {
            "form": form,
            "page": page,
            "groups": selectors.jabatan_groups(names=names),
            "can_import": scope.everything and scope.can_change,
        },
    )


@login_required
def dictionary_import(request: HttpRequest) -> HttpResponse:
    """Upload the workbook; the result (counts and every bad row) is shown at once."""
    require_bkpsdm(request.user, change=True)
    # Bound on every POST, even an empty one: "no file" must be said, not ignored.
    posted = request.method == "POST"
    form = DictionaryImportForm(request.POST, request.FILES) if posted else DictionaryImportForm()
    result = None
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.dictionary_import(
                actor=_viewer(request), fileobj=upload, filename=upload.name or "",
                size=upload.size,
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            summary = _(
                "Kamus kompetensi diimpor: %(created)d baris baru, %(updated)d diperbarui, "
                "%(errors)d baris bermasalah."
            ) % {"created": result.created, "updated": result.updated, "errors": len(result.errors)}
            if result.errors:
                messages.warning(request, summary)
            else:
                messages.success(request, summary)
            form = DictionaryImportForm()
    return render(
        request,
        "planning/dictionary/import.html",
        {
            "form": form,
            "result": result,
            "errors_shown": result.errors[:MAX_ERRORS_SHOWN] if result else [],
        },
    )


@login_required
@require_safe
def dictionary_template(request: HttpRequest) -> HttpResponse:
    require_bkpsdm(request.user, change=True)
    response = HttpResponse(workbook.dictionary_template(), content_type=workbook.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{workbook.TEMPLATE_NAME}"'
    return response
