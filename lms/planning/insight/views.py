"""The planning insight pages: the competency map (heat map of gaps by competency and OPD),
the gaps no course covers, the employee's competency profile, and their downloads.

Thin: parse, check the scope, call a selector, render. OPD admins read their OPD(s), BKPSDM
(auditors, superusers) the whole Pemda, learners get 403; an employee outside the scope is
a 404, like one that does not exist; a bad filter falls back to its default with the
field's error shown; an unknown download format is a 404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from lms.people.models import Employee, OrgUnit
from lms.people.permissions import require_admin_scope
from lms.people.selectors import Scope, employee_get
from lms.reports.charts import number
from lms.reports.exports import FORMATS, table_response

from . import selectors, services
from .exports import workbook_response
from .forms import InsightFilters, filter_form

PAGE_SIZE = 25
# Up to this many employees the OPD profiles are written during the request (the reports'
# limit for streamed lists); above it, the admin picks one OPD.
DEFAULT_STREAM_ROWS = 5000


def stream_limit() -> int:
    return int(getattr(settings, "SINAU_REPORT_STREAM_ROWS", DEFAULT_STREAM_ROWS))


def _viewer(request: HttpRequest) -> Employee:
    return request.user  # type: ignore[return-value]


def _query(filters: InsightFilters, **extra: Any) -> str:
    """The accepted filters as a query string for links (never what was typed)."""
    params: dict[str, Any] = {"tahun": filters.year}
    if filters.competency_type:
        params["jenis"] = filters.competency_type
    if filters.opd is not None:
        params["opd"] = filters.opd.pk
    params.update({k: v for k, v in extra.items() if v not in (None, "")})
    return urlencode(params)


def _paginate(request: HttpRequest, rows: Any, query: str, param: str = "halaman") -> Any:
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get(param))
    page.param = param  # type: ignore[attr-defined]
    page.query = query  # type: ignore[attr-defined]
    return page


def _downloads(name: str, query: str) -> dict[str, str]:
    return {fmt: reverse(name, kwargs={"fmt": fmt}) + "?" + query for fmt in FORMATS}


def _format_or_404(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Http404(_("Format unduhan tidak dikenal."))
    return fmt


def _where(scope: Scope, opd: OrgUnit | None) -> str:
    if opd is not None:
        return f"opd-{opd.pk}"
    return "pemda" if scope.everything else "opd"


# --- The competency map ------------------------------------------------------------------


def _map_filters(request: HttpRequest, scope: Scope) -> tuple[Any, InsightFilters]:
    form = filter_form(request.GET, default_year=selectors.latest_year(scope=scope))
    return form, form.filters()


@login_required
@require_safe
def insight_map(request: HttpRequest) -> HttpResponse:
    """Peta kompetensi: the share of assessed employees with a gap, and its average size,
    per competency and OPD, with the whole scope's column."""
    scope = require_admin_scope(request.user)
    form, filters = _map_filters(request, scope)
    cmap = selectors.competency_map(
        scope=scope,
        year=filters.year,
        competency_type=filters.competency_type,
        page_number=request.GET.get("halaman"),
    )
    query = _query(filters)
    if cmap.page is not None:
        cmap.page.param = "halaman"  # type: ignore[attr-defined]
        cmap.page.query = query  # type: ignore[attr-defined]
    return render(
        request,
        "planning/insight/map.html",
        {
            "scope": scope,
            "admin_scope": scope,
            "form": form,
            "filters": filters,
            "map": cmap,
            "legend": selectors.heat_legend(),
            "query": query,
            "downloads": _downloads("planning:insight_map_download", query),
            "opds": list(selectors.opds_in_scope(scope=scope)),
        },
    )


@login_required
@require_safe
def insight_map_download(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The map of every competency (not only the page's) as CSV or XLSX, one row per
    competency and OPD."""
    scope = require_admin_scope(request.user)
    _format_or_404(fmt)
    _form, filters = _map_filters(request, scope)
    cmap = selectors.competency_map(
        scope=scope, year=filters.year, competency_type=filters.competency_type, per_page=None
    )
    stem = f"peta-kompetensi-{filters.year}-{_where(scope, None)}"
    return table_response(
        selectors.map_table_rows(cmap), selectors.map_header(), fmt, stem,
        sheet_title=_("Peta kompetensi"),
    )  # fmt: skip


# --- Gaps no course covers ---------------------------------------------------------------


def _uncovered_filters(request: HttpRequest, scope: Scope) -> tuple[Any, InsightFilters]:
    form = filter_form(
        request.GET,
        default_year=selectors.latest_year(scope=scope),
        opds=list(selectors.opds_in_scope(scope=scope)),
    )
    return form, form.filters()


@login_required
@require_safe
def insight_uncovered(request: HttpRequest) -> HttpResponse:
    """Kesenjangan tanpa kursus: what to author or procure, per OPD."""
    scope = require_admin_scope(request.user)
    form, filters = _uncovered_filters(request, scope)
    gaps = selectors.uncovered_gaps(scope=scope, year=filters.year, opd=filters.opd)
    query = _query(filters)
    return render(
        request,
        "planning/insight/uncovered.html",
        {
            "scope": scope,
            "admin_scope": scope,
            "form": form,
            "filters": filters,
            "page": _paginate(request, gaps, query),
            "employees": sum(g.employees for g in gaps),
            "query": query,
            "map_query": _query(InsightFilters(year=filters.year)),
            "downloads": _downloads("planning:insight_uncovered_download", query),
        },
    )


@login_required
@require_safe
def insight_uncovered_download(request: HttpRequest, fmt: str) -> HttpResponseBase:
    scope = require_admin_scope(request.user)
    _format_or_404(fmt)
    _form, filters = _uncovered_filters(request, scope)
    gaps = selectors.uncovered_gaps(scope=scope, year=filters.year, opd=filters.opd)
    stem = f"kesenjangan-tanpa-kursus-{filters.year}-{_where(scope, filters.opd)}"
    return table_response(
        selectors.uncovered_rows(gaps), selectors.uncovered_header(), fmt, stem,
        sheet_title=_("Kesenjangan tanpa kursus"),
    )  # fmt: skip


# --- Competency profiles -----------------------------------------------------------------


def _profile(request: HttpRequest, employee: Employee, *, own: bool) -> HttpResponseBase:
    fmt = request.GET.get("format", "")
    if fmt and fmt != "xlsx":
        raise Http404(_("Format unduhan tidak dikenal."))
    profile = selectors.competency_profile(employee=employee)
    if fmt == "xlsx":
        if not own:
            services.profile_export_audit(
                actor=_viewer(request), employee=employee, params={"format": fmt}
            )
        return workbook_response(
            selectors.profile_sheets(profile), f"profil-kompetensi-{employee.nip}"
        )
    return render(request, "planning/insight/profile.html", {"profile": profile, "own": own})


@login_required
@require_safe
def insight_profile(request: HttpRequest, nip: str) -> HttpResponseBase:
    """An employee's competency profile as their OPD admin or BKPSDM reads it."""
    scope = require_admin_scope(request.user)
    try:
        employee = employee_get(viewer=_viewer(request), nip=nip, scope=scope)
    except Employee.DoesNotExist:
        raise Http404(_("Pegawai tidak ditemukan.")) from None
    return _profile(request, employee, own=False)


@login_required
@require_safe
def insight_profile_mine(request: HttpRequest) -> HttpResponseBase:
    """Profil Kompetensi Saya."""
    return _profile(request, _viewer(request), own=True)


@login_required
@require_safe
def insight_profiles_export(request: HttpRequest) -> HttpResponseBase:
    """Every employee of an OPD (or of the viewer's scope) with their AKPK competencies of a
    year, as XLSX: one row per employee and competency."""
    scope = require_admin_scope(request.user)
    raw = request.GET.get("opd", "")
    opd = None
    if raw:
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
            raise Http404(_("OPD tidak ditemukan."))
        opd = selectors.opds_in_scope(scope=scope).filter(pk=int(raw)).first()
        if opd is None:
            raise Http404(_("OPD tidak ditemukan."))
    _form, filters = _map_filters(request, scope)
    count = selectors.profile_population(scope=scope, opd=opd).count()
    if count > stream_limit():
        messages.info(
            request,
            _("Profil %(n)s pegawai terlalu banyak untuk satu unduhan; pilih satu OPD.")
            % {"n": number(count)},
        )
        return redirect(reverse("planning:insight_map") + "?" + _query(filters) + "#profil")
    services.profile_export_audit(
        actor=_viewer(request),
        params={"year": filters.year, "opd": opd.pk if opd else None, "employees": count},
    )
    stem = f"profil-kompetensi-{filters.year}-{_where(scope, opd)}"
    return table_response(
        selectors.profiles_rows(scope=scope, year=filters.year, opd=opd),
        selectors.profiles_header(filters.year), "xlsx", stem,
        sheet_title=_("Profil kompetensi"),
    )  # fmt: skip
