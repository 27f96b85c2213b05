"""Pages of the course reports (/laporan/kursus/) and the SIASN export (/laporan/siasn/).

Thin: check the viewer's scope (OPD admins, auditors, superusers; learners get 403), parse
the filters (a unit outside the scope is a form error, never a wider report), call one
selector or service, answer. ``urlpatterns`` is included by ``lms/reports/urls.py``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

import lms.core.converters  # noqa: F401  (registers row_id)
from lms.people.models import Employee, OrgUnit
from lms.people.permissions import require_admin_scope
from lms.people.selectors import Scope

from . import courses as report
from . import siasn
from .exports import CONTENT_TYPES, table_response
from .models import ReportExport

PAGE_SIZE = 25
YEARS_BACK = 10


def _viewer(request: HttpRequest) -> Employee:
    return request.user  # type: ignore[return-value]


def _years() -> list[int]:
    current = timezone.localdate().year
    return list(range(current, current - YEARS_BACK, -1))


# --- Forms ---------------------------------------------------------------------------------


class CourseFilterForm(forms.Form):
    tahun = forms.TypedChoiceField(
        label=gettext_lazy("Tahun pendaftaran"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": gettext_lazy("Pilih tahun dari daftar.")},
    )
    opd = forms.ModelChoiceField(
        label=gettext_lazy("OPD"), required=False, queryset=OrgUnit.objects.none(),
        empty_label=gettext_lazy("Semua dalam lingkup Anda"),
        error_messages={"invalid_choice": gettext_lazy("Pilih OPD dari daftar.")},
    )  # fmt: skip

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tahun"].choices = [  # type: ignore[attr-defined]
            ("", _("Semua tahun")),
            *[(str(y), str(y)) for y in _years()],
        ]
        self.fields["opd"].queryset = report.unit_choices(scope=scope)  # type: ignore[attr-defined]

    def filters(self) -> report.CourseFilters:
        data = self.cleaned_data
        return report.CourseFilters(year=data.get("tahun"), org_unit=data.get("opd"))


def _filter_form(request: HttpRequest, scope: Scope) -> CourseFilterForm:
    data = request.GET.copy()
    if "tahun" not in data:
        # The current year unless another (or every year) was chosen.
        data["tahun"] = str(timezone.localdate().year)
    return CourseFilterForm(data, scope=scope)


def _format(request: HttpRequest) -> str:
    fmt = request.GET.get("format", "xlsx")
    if fmt not in CONTENT_TYPES:
        raise Http404(_("Format unduhan tidak dikenal."))
    return fmt


def _download(header: list[str], rows: Any, fmt: str, stem: str) -> HttpResponseBase:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return table_response(rows, header, fmt, f"{stem}-{stamp}", sheet_title=stem[:31])


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _bad_filters(form: CourseFilterForm) -> HttpResponse:
    errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
    return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")


# --- Course reports ------------------------------------------------------------------------


@login_required
@require_GET
def course_list(request: HttpRequest) -> HttpResponse:
    scope = require_admin_scope(request.user)
    form = _filter_form(request, scope)
    valid = form.is_valid()
    filters = form.filters() if valid else report.CourseFilters()
    page = Paginator(report.reported_courses(), PAGE_SIZE).get_page(request.GET.get("halaman"))
    rows = report.course_rows(scope=scope, filters=filters, courses=list(page)) if valid else []
    page.param = "halaman"  # type: ignore[attr-defined]
    page.query = _query_without(request, "halaman")  # type: ignore[attr-defined]
    return render(
        request,
        "reports/courses/list.html",
        {
            "form": form, "page": page, "rows": rows, "filters": filters,
            "query": _query_without(request, "halaman", "format"),
            "scope": scope,
        },
        status=200 if valid else 400,
    )  # fmt: skip


@login_required
@require_GET
def course_list_export(request: HttpRequest) -> HttpResponseBase:
    scope = require_admin_scope(request.user)
    fmt = _format(request)
    form = _filter_form(request, scope)
    if not form.is_valid():
        return _bad_filters(form)
    header, rows = report.course_list_table(
        report.course_rows_all(scope=scope, filters=form.filters())
    )
    return _download(header, rows, fmt, "laporan-kursus")


def _course(course_id: int) -> Any:
    return get_object_or_404(report.reported_courses(), pk=course_id)


@login_required
@require_GET
def course_detail(request: HttpRequest, course_id: int) -> HttpResponse:
    scope = require_admin_scope(request.user)
    course = _course(course_id)
    form = _filter_form(request, scope)
    valid = form.is_valid()
    detail = (
        report.course_report(scope=scope, filters=form.filters(), course=course) if valid else None
    )
    return render(
        request,
        "reports/courses/detail.html",
        {
            "form": form, "course": course, "report": detail,
            "query": _query_without(request, "format"),
        },
        status=200 if valid else 400,
    )  # fmt: skip


DETAIL_TABLES = {"opd", "modul"}


@login_required
@require_GET
def course_detail_export(request: HttpRequest, course_id: int, table: str) -> HttpResponseBase:
    scope = require_admin_scope(request.user)
    if table not in DETAIL_TABLES:
        raise Http404(_("Tabel tidak dikenal."))
    course = _course(course_id)
    fmt = _format(request)
    form = _filter_form(request, scope)
    if not form.is_valid():
        return _bad_filters(form)
    filters = form.filters()
    stem = f"kursus-{slugify(course.title)[:40] or course.pk}"
    if table == "opd":
        header, rows = report.opd_table(
            report.opd_breakdown(scope=scope, filters=filters, course=course)
        )
        return _download(header, rows, fmt, f"{stem}-per-opd")
    learners = report.course_figures(scope=scope, filters=filters, courses=[course])[course.pk]
    header, rows = report.module_table(
        report.module_dropoff(
            scope=scope, filters=filters, course=course, learners=learners.learners
        )
    )
    return _download(header, rows, fmt, f"{stem}-per-modul")


# --- SIASN export --------------------------------------------------------------------------


class SiasnForm(forms.Form):
    year = forms.TypedChoiceField(
        label=gettext_lazy("Tahun"),
        coerce=int,
        error_messages={"invalid_choice": gettext_lazy("Pilih tahun dari daftar.")},
    )
    org_unit = forms.ModelChoiceField(
        label=gettext_lazy("OPD"), required=False, queryset=OrgUnit.objects.none(),
        empty_label=gettext_lazy("Semua dalam lingkup Anda"),
        error_messages={"invalid_choice": gettext_lazy("Pilih OPD dari daftar.")},
    )  # fmt: skip
    file_format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[("xlsx", "XLSX (Excel)"), ("csv", "CSV")],
        initial="xlsx",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(str(y), str(y)) for y in _years()]  # type: ignore[attr-defined]
        self.fields["year"].initial = str(timezone.localdate().year)
        self.fields["org_unit"].queryset = report.unit_choices(scope=scope)  # type: ignore[attr-defined]


@login_required
@require_http_methods(["GET", "POST"])
def siasn_index(request: HttpRequest) -> HttpResponse:
    """Ask for the SIASN file of a year; see one's own exports."""
    scope = require_admin_scope(request.user)
    viewer = _viewer(request)
    form = SiasnForm(request.POST if request.method == "POST" else None, scope=scope)
    if request.method == "POST" and form.is_valid():
        try:
            export = siasn.siasn_export_request(
                actor=viewer, year=form.cleaned_data["year"],
                file_format=form.cleaned_data["file_format"],
                org_unit=form.cleaned_data["org_unit"],
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Berkas SIASN sedang dibuat."))
            return redirect("reports:siasn_detail", export_id=export.pk)
    page = Paginator(siasn.siasn_exports_of(viewer=viewer), PAGE_SIZE).get_page(
        request.GET.get("halaman")
    )
    page.param = "halaman"  # type: ignore[attr-defined]
    unit_ids = [(e.params or {}).get("org_unit") for e in page]
    units = dict(
        OrgUnit.objects.filter(pk__in=[u for u in unit_ids if u]).values_list("pk", "name")
    )
    exports = [
        (e, units.get((e.params or {}).get("org_unit")), siasn.export_percent(e)) for e in page
    ]
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "reports/siasn/index.html",
        {"form": form, "page": page, "exports": exports, "columns": siasn.HEADER},
        status=status,
    )


def _export(request: HttpRequest, export_id: int) -> ReportExport:
    require_admin_scope(request.user)
    try:
        return siasn.siasn_export_get(viewer=_viewer(request), export_id=export_id)
    except ReportExport.DoesNotExist:
        raise Http404(_("Ekspor tidak ditemukan.")) from None


@login_required
@require_GET
def siasn_detail(request: HttpRequest, export_id: int) -> HttpResponse:
    export = _export(request, export_id)
    working = export.status in (ReportExport.Status.QUEUED, ReportExport.Status.BUILDING)
    return render(
        request,
        "reports/siasn/detail.html",
        {
            "export": export, "working": working, "percent": siasn.export_percent(export),
            "unit": siasn.export_unit(export), "year": (export.params or {}).get("year"),
        },
    )  # fmt: skip


@login_required
@require_GET
def siasn_download(request: HttpRequest, export_id: int) -> HttpResponseBase:
    """The file, for the one who asked for it only."""
    export = _export(request, export_id)
    if export.status != ReportExport.Status.READY or not export.file:
        messages.info(request, _("Berkas ini belum siap diunduh."))
        return redirect("reports:siasn_detail", export_id=export.pk)
    if not default_storage.exists(export.file.name):
        messages.error(request, _("Berkas ini sudah tidak tersedia; minta ekspor baru."))
        return redirect("reports:siasn_index")
    fmt = export.file_format if export.file_format in CONTENT_TYPES else "xlsx"
    year = (export.params or {}).get("year", "")
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=f"siasn-riwayat-kursus-{year}.{fmt}",
        content_type=CONTENT_TYPES[fmt],
    )


urlpatterns = [
    path("kursus/", course_list, name="course_list"),
    path("kursus/unduh/", course_list_export, name="course_list_export"),
    path("kursus/<row_id:course_id>/", course_detail, name="course_detail"),
    path(
        "kursus/<row_id:course_id>/unduh/<slug:table>/",
        course_detail_export,
        name="course_detail_export",
    ),
    path("siasn/", siasn_index, name="siasn_index"),
    path("siasn/<row_id:export_id>/", siasn_detail, name="siasn_detail"),
    path("siasn/<row_id:export_id>/unduh/", siasn_download, name="siasn_download"),
]
