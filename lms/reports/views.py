"""The compliance pages: the dashboard (/laporan/), a unit's page with its employees, the
downloads of every table on them, and the export jobs of lists too large for a request.

Thin: parse, check the scope, call a selector or a service, render. OPD admins, auditors
and superusers only (learners get 403); a unit outside the viewer's scope is a 404, as is an
export job someone else asked for.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from lms.people.models import Employee, OrgUnit
from lms.people.permissions import require_admin_scope
from lms.people.selectors import Scope

from . import charts, selectors, services
from .exports import CONTENT_TYPES, FORMATS, table_response
from .forms import ExportRequestForm, filter_form, sort_from
from .selectors import ComplianceFilters, ComplianceReport

PAGE_SIZE = 50
# Up to this many employees a list is written during the request; above, it is a job.
DEFAULT_STREAM_ROWS = 5000
TABLES = {
    "opd": selectors.group_table,
    "jenis-jp": selectors.jp_kind_table,
    "distribusi": selectors.histogram_table,
    "bulanan": selectors.monthly_table,
}
EMPLOYEES = "pegawai"


def stream_limit() -> int:
    return int(getattr(settings, "SINAU_REPORT_STREAM_ROWS", DEFAULT_STREAM_ROWS))


def _viewer(request: HttpRequest) -> Employee:
    return request.user  # type: ignore[return-value]


def _unit_or_404(scope: Scope, unit_id: int) -> OrgUnit:
    unit = selectors.unit_in_scope(scope=scope, unit_id=unit_id)
    if unit is None:
        raise Http404(_("Unit tidak ditemukan."))
    return unit


def filter_query(filters: ComplianceFilters, **extra: Any) -> str:
    """The filters as a query string for links (drill-down, downloads, sorting): only the
    values that were accepted, never what was typed."""
    params: dict[str, Any] = {"tahun": filters.year}
    for name, value in (
        ("jenis", filters.employment_type),
        ("jabatan", filters.jabatan_kind),
        ("golongan", filters.golongan),
    ):
        if value:
            params[name] = value
    params.update({k: v for k, v in extra.items() if v not in (None, "")})
    return urlencode(params)


class KnownCountPaginator(Paginator):
    """The number of employees is already on the page (the unit's ASN): no COUNT query."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known = count

    @cached_property
    def count(self) -> int:
        return self._known


def _downloads(filters: ComplianceFilters, unit: OrgUnit | None) -> dict[str, dict[str, str]]:
    base = reverse("reports:download", kwargs={"table": "TABLE", "fmt": "FMT"})
    query = filter_query(filters, unit=unit.pk if unit else None)
    # Keys without hyphens: the templates read them as downloads.jenis_jp.
    return {
        table.replace("-", "_"): {
            fmt: base.replace("TABLE", table).replace("FMT", fmt) + "?" + query for fmt in FORMATS
        }
        for table in (*TABLES, EMPLOYEES)
    }


def _charts(report: ComplianceReport) -> dict[str, Any]:
    rows = [g for g in report.rows if g.figures.asn]
    # The chart ranks (highest first); the table below keeps the units in name order.
    ranked = sorted(rows, key=lambda g: (-(g.figures.percent or 0), g.label.casefold()))
    bars = [
        charts.Bar(
            label=g.label,
            value=g.figures.percent,
            note=f"({charts.number(g.figures.met)}/{charts.number(g.figures.asn)})",
        )
        for g in ranked
    ]
    return {
        "percent": charts.percent_bars(
            bars,
            labelled_by="chart-opd-title chart-opd-desc",
            reference=(report.totals.percent, _("Pemda")),
        ),
        "histogram": charts.columns(
            [charts.Bar(label=label, value=n) for label, n in report.histogram],
            labelled_by="chart-dist-title chart-dist-desc",
            places=0,
            css="chart-dist",
        ),
        "monthly": charts.columns(
            [charts.Bar(label=m, value=jp) for m, jp in report.monthly],
            labelled_by="chart-month-title chart-month-desc",
            places=0,
            css="chart-month",
        ),
        "extremes": _extremes(rows),
    }


def _extremes(rows: list[selectors.Group]) -> dict[str, Any]:
    """The highest and lowest compliance, for the chart's one-line description."""
    named = [g for g in rows if not g.rest and g.figures.percent is not None]
    if not named:
        return {}
    top = max(named, key=lambda g: (g.figures.percent, g.label))
    low = min(named, key=lambda g: (g.figures.percent, g.label))
    return {"top": top, "low": low}


def _page_context(
    request: HttpRequest, scope: Scope, report: ComplianceReport, form: Any
) -> dict[str, Any]:
    filters = report.filters
    unit = report.unit
    asn = report.totals.asn
    return {
        "scope": scope,
        # The menu's scope too: read once per request, not again by the context processor.
        "admin_scope": scope,
        "report": report,
        "form": form,
        "query": filter_query(filters),
        "downloads": _downloads(filters, unit),
        "charts": _charts(report),
        "stream_limit": stream_limit(),
        "employees_streamable": asn <= stream_limit(),
        "export_form": {
            "tahun": filters.year,
            "jenis": filters.employment_type,
            "jabatan": filters.jabatan_kind,
            "golongan": filters.golongan,
            "unit": unit.pk if unit else "",
        },
        "recent_exports": selectors.exports_of(viewer=_viewer(request))[:3],
    }


@login_required
@require_GET
def compliance(request: HttpRequest) -> HttpResponse:
    """The Pemda's (or, for an OPD admin, their OPD's) JP compliance for a year."""
    scope = require_admin_scope(request.user)
    form = filter_form(request.GET)
    report = selectors.compliance_report(scope=scope, filters=form.filters())
    return render(request, "reports/compliance.html", _page_context(request, scope, report, form))


@login_required
@require_GET
def unit_report(request: HttpRequest, unit_id: int) -> HttpResponse:
    """One unit: its figures, its child units, its employees (paginated, sortable by JP)."""
    scope = require_admin_scope(request.user)
    unit = _unit_or_404(scope, unit_id)
    form = filter_form(request.GET)
    filters = form.filters()
    report = selectors.compliance_report(scope=scope, filters=filters, unit=unit)
    sort = sort_from(request.GET)
    employees = selectors.employee_compliance(
        scope=scope, filters=filters, unit=unit, sort=sort, targets=report.targets
    )
    page = KnownCountPaginator(employees, PAGE_SIZE, count=report.totals.asn).get_page(
        request.GET.get("halaman")
    )
    page.param = "halaman"  # type: ignore[attr-defined]
    page.query = filter_query(filters, urut=sort)  # type: ignore[attr-defined]
    context = _page_context(request, scope, report, form)
    context.update(
        {
            "unit": unit,
            "page": page,
            "sort": sort,
            # Keys without hyphens, for the template: jp_desc is "-jp".
            "sort_links": {
                key.lstrip("-") + ("_desc" if key.startswith("-") else ""): (
                    f"?{filter_query(filters, urut=key)}#pegawai"
                )
                for key in selectors.SORTS
            },
            "show_percent": any(not g.rest for g in report.rows),
        }
    )
    return render(request, "reports/unit.html", context)


@login_required
@require_GET
def download(request: HttpRequest, table: str, fmt: str) -> HttpResponseBase:
    """A table of the page as CSV or XLSX, with the page's filters and unit, in scope."""
    scope = require_admin_scope(request.user)
    if fmt not in FORMATS or (table not in TABLES and table != EMPLOYEES):
        raise Http404(_("Unduhan tidak ditemukan."))
    raw_unit = request.GET.get("unit", "")
    unit = None
    if raw_unit:
        if not (raw_unit.isascii() and raw_unit.isdigit() and len(raw_unit) <= 18):
            raise Http404(_("Unit tidak ditemukan."))
        unit = _unit_or_404(scope, int(raw_unit))
    filters = filter_form(request.GET).filters()
    where = f"unit-{unit.pk}" if unit else ("pemda" if scope.everything else "opd")
    stem = f"kepatuhan-jp-{filters.year}-{where}-{table}"
    if table == EMPLOYEES:
        count = selectors.employee_count(scope=scope, filters=filters, unit=unit)
        if count > stream_limit():
            messages.info(
                request,
                _("Daftar %(n)s pegawai terlalu besar untuk diunduh langsung; siapkan berkasnya "
                  "dengan tombol di bawah.") % {"n": charts.number(count)},
            )  # fmt: skip
            target = (
                reverse("reports:unit", args=[unit.pk]) if unit else reverse("reports:compliance")
            )
            return redirect(f"{target}?{filter_query(filters)}#unduh-pegawai")
        sort = sort_from(request.GET)
        params = services.employee_export_params(filters=filters, unit=unit, sort=sort)
        services.employee_export_audit(actor=_viewer(request), params=params, how=fmt)
        _total, rows = selectors.employee_rows(scope=scope, filters=filters, unit=unit, sort=sort)
        header = selectors.employee_header()
        return table_response(rows, header, fmt, stem, sheet_title=_("Pegawai"))
    report = selectors.compliance_report(scope=scope, filters=filters, unit=unit)
    header, body = TABLES[table](report)
    return table_response(body, header, fmt, stem, sheet_title=_("Kepatuhan JP"))


@login_required
def exports(request: HttpRequest) -> HttpResponse:
    """GET: the viewer's export jobs. POST: ask for one (the employee list of a page)."""
    scope = require_admin_scope(request.user)
    viewer = _viewer(request)
    if request.method == "POST":
        form = ExportRequestForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Permintaan unduhan tidak valid; coba lagi dari laporan."))
            return redirect("reports:compliance")
        try:
            job = services.report_export_create(
                actor=viewer,
                kind=selectors.KIND_EMPLOYEES,
                file_format=form.cleaned_data["format"],
                params=form.params(),
            )
        except PermissionDenied:
            # A unit outside the scope: as if it did not exist, like its page.
            raise Http404(_("Unit tidak ditemukan.")) from None
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("reports:compliance")
        messages.success(
            request, _("Berkas sedang disiapkan; halaman ini menunjukkan kemajuannya.")
        )
        return redirect("reports:export_detail", export_id=job.pk)
    page = Paginator(selectors.exports_of(viewer=viewer), PAGE_SIZE).get_page(
        request.GET.get("halaman")
    )
    page.param = "halaman"  # type: ignore[attr-defined]
    return render(
        request, "reports/exports.html", {"page": page, "scope": scope, "admin_scope": scope}
    )


def _own_export(request: HttpRequest, export_id: int) -> Any:
    require_admin_scope(request.user)
    job = selectors.exports_of(viewer=_viewer(request)).filter(pk=export_id).first()
    if job is None:
        raise Http404(_("Unduhan tidak ditemukan."))
    return job


@login_required
@require_GET
def export_detail(request: HttpRequest, export_id: int) -> HttpResponse:
    job = _own_export(request, export_id)
    working = job.status in (job.Status.QUEUED, job.Status.BUILDING)
    unit = None
    unit_id = (job.params or {}).get("unit")
    if isinstance(unit_id, int):
        unit = OrgUnit.objects.filter(pk=unit_id).only("pk", "name").first()
    return render(
        request,
        "reports/export_detail.html",
        {
            "job": job,
            "percent": selectors.export_percent(job),
            "working": working,
            "unit": unit,
        },
    )


@login_required
@require_GET
def export_download(request: HttpRequest, export_id: int) -> HttpResponseBase:
    """The file, for the one who asked for it."""
    job = _own_export(request, export_id)
    if job.status != job.Status.READY or not job.file:
        messages.info(request, _("Berkas ini belum siap diunduh."))
        return redirect("reports:export_detail", export_id=job.pk)
    if not default_storage.exists(job.file.name):
        messages.error(request, _("Berkas ini sudah tidak tersedia; minta unduhan baru."))
        return redirect("reports:exports")
    fmt = job.file_format if job.file_format in FORMATS else "xlsx"
    year = (job.params or {}).get("year", "")
    response = FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=f"kepatuhan-jp-{year}-pegawai.{fmt}",
        content_type=CONTENT_TYPES[fmt],
    )
    response["Cache-Control"] = "private, no-store"
    return response
