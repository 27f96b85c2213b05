"""AKPK pages: "AKPK Saya" (self-assessment), the atasan's list and assessment form, the
OPD admin's and BKPSDM's progress pages with the OPD submission, and the assessment-centre
import.

Thin: parse, check, call one service or selector, answer. Refusals are messages or form
errors; a bad id is a 404, an AKPK out of scope a 404 to read and a 403 to act on.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from lms.core.paging import paginate
from lms.people.models import Employee, OrgUnit
from lms.people.permissions import require_admin_scope
from lms.people.selectors import Scope, scope_for
from lms.planning.models import AKPK, AKPKItem, AKPKSubmission, CentreImport
from lms.planning.permissions import require_bkpsdm
from lms.planning.selectors import jabatan_standard

from . import selectors, services
from .forms import (
    AssessForm,
    CentreImportForm,
    ManageFilterForm,
    NeedForm,
    ReasonForm,
    SelfAssessForm,
    YearForm,
)


def _viewer(request: HttpRequest) -> Employee:
    return request.user  # type: ignore[return-value]


def _error(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _year(request: HttpRequest, years: list[int] | None = None) -> tuple[int, YearForm]:
    """The year asked for (``?tahun=``), or this year with a message when it is not one."""
    form = YearForm(request.GET or None, years=years)
    year = form.year()
    if year is None:
        if request.GET.get("tahun"):
            messages.error(
                request,
                _("Tahun %(value)s tidak tersedia; ditampilkan tahun %(year)s.")
                % {"value": request.GET["tahun"][:10], "year": services.current_year()},
            )
        year = services.current_year()
        form = YearForm(initial={"tahun": year}, years=years)
    return year, form


def _post_year(request: HttpRequest) -> int | None:
    """The posted year, or None (with a message) when it is not a year Sinau takes."""
    raw = request.POST.get("tahun", "").strip()
    try:
        return services.year_check(int(raw) if raw.isdigit() and len(raw) == 4 else None)
    except ValidationError as exc:
        _error(request, exc)
        return None


def _mine_url(year: int) -> str:
    return f"{reverse('planning:akpk_mine')}?tahun={year}"


def _standing(akpk: AKPK) -> bool:
    return services.submission_standing(akpk.opd_id, akpk.year) is not None


def _groups(rows: list[Any]) -> list[tuple[str, list[Any]]]:
    """Rows (or items) grouped by their competency's type, in the items' order."""
    groups: list[tuple[str, list[Any]]] = []
    for row in rows:
        item = row if isinstance(row, AKPKItem) else row.item
        label = item.competency.get_competency_type_display()
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        groups[-1][1].append(row)
    return groups


# --- AKPK Saya ------------------------------------------------------------------------------


def _mine_context(
    request: HttpRequest,
    viewer: Employee,
    akpk: AKPK | None,
    year: int,
    year_form: YearForm,
    form: SelfAssessForm | None = None,
    need_form: NeedForm | None = None,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "akpk": akpk, "year": year, "year_form": year_form, "is_atasan": False,
        "locked": False, "editable": False,
    }  # fmt: skip
    if akpk is None:
        context["standard_count"] = (
            jabatan_standard(viewer.jabatan).count() if viewer.jabatan.strip() else 0
        )
        opd = services.opd_of(viewer)
        context["locked"] = services.submission_standing(opd.pk if opd else None, year) is not None
    else:
        items = list(akpk.items.all())
        locked = _standing(akpk)
        editable = akpk.status == AKPK.Status.DRAFT and not locked
        context.update(
            items=items, groups=_groups(items), locked=locked, editable=editable,
            gap_count=sum(1 for i in items if i.gap),
            added=[i for i in items if i.required_level == 0],
            has_standard=any(i.required_level for i in items),
        )  # fmt: skip
        if editable:
            form = form or SelfAssessForm(items=items, initial={"note": akpk.self_note})
            context["form"] = form
            context["rows"] = _groups(form.rows())
            context["need_form"] = need_form or NeedForm(
                queryset=selectors.competencies_to_add(akpk=akpk)
            )
            context["reopened"] = selectors.akpk_last_reopen(akpk=akpk)
            employee_supervisor = viewer.supervisor
            context["no_atasan"] = not (
                (employee_supervisor is not None and employee_supervisor.is_active)
                or (akpk.supervisor is not None and akpk.supervisor.is_active)
            )
    context["is_atasan"] = selectors.is_atasan(viewer=viewer)
    return context


@login_required
@require_safe
def akpk_mine(request: HttpRequest) -> HttpResponse:
    """AKPK Saya: a GET only reads; the AKPK is opened by the "Mulai" button (a POST)."""
    viewer = _viewer(request)
    years = selectors.akpk_years(employee=viewer)
    year, year_form = _year(request, years)
    akpk = selectors.akpk_mine(employee=viewer, year=year)
    return render(
        request,
        "planning/akpk/mine.html",
        _mine_context(request, viewer, akpk, year, year_form),
    )


@login_required
@require_POST
def akpk_start(request: HttpRequest) -> HttpResponse:
    year = _post_year(request)
    if year is None:
        return redirect("planning:akpk_mine")
    try:
        akpk = services.akpk_open(employee=_viewer(request), year=year)
    except ValidationError as exc:
        _error(request, exc)
        return redirect("planning:akpk_mine")
    if not akpk.items.exists():
        messages.info(
            request,
            _(
                "Standar kompetensi untuk jabatan Anda belum tersedia. Tambahkan kebutuhan "
                "pengembangan Anda sendiri di bawah, atau hubungi admin OPD."
            ),
        )
    return redirect(_mine_url(akpk.year))


def _own(request: HttpRequest, akpk_id: int) -> AKPK:
    akpk = selectors.akpk_mine_by_id(employee=_viewer(request), pk=akpk_id)
    if akpk is None:
        raise Http404(_("AKPK tidak ditemukan."))
    return akpk


@login_required
@require_POST
def akpk_save(request: HttpRequest, akpk_id: int) -> HttpResponse:
    """Save the self-assessment as a draft, or save it and submit it to the atasan (when
    submitting is refused the draft stays saved and the page says why)."""
    viewer = _viewer(request)
    akpk = _own(request, akpk_id)
    submit = request.POST.get("aksi") == "ajukan"
    items = list(akpk.items.all())
    form = SelfAssessForm(request.POST, items=items)
    if form.is_valid():
        try:
            services.akpk_self_assess(
                akpk=akpk, actor=viewer, levels=form.levels(), note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if not submit:
                messages.success(request, _("Draf AKPK tersimpan."))
                return redirect(_mine_url(akpk.year))
            try:
                services.akpk_self_assess(
                    akpk=akpk, actor=viewer, levels={}, note=form.cleaned_data["note"], submit=True
                )
            except ValidationError as exc:
                messages.warning(
                    request,
                    _("Draf tersimpan, tetapi belum dapat diajukan: %(why)s")
                    % {"why": " ".join(exc.messages)},
                )
                return redirect(_mine_url(akpk.year))
            messages.success(
                request, _("AKPK diajukan ke atasan Anda dan menunggu penilaian atasan.")
            )
            return redirect(_mine_url(akpk.year))
    years = selectors.akpk_years(employee=viewer)
    akpk = selectors.akpk_mine(employee=viewer, year=akpk.year) or akpk
    context = _mine_context(
        request, viewer, akpk, akpk.year, YearForm(initial={"tahun": akpk.year}, years=years),
        form=form,
    )  # fmt: skip
    return render(request, "planning/akpk/mine.html", context)


# --- Development needs (employee and atasan) ----------------------------------------------------


def _visible(request: HttpRequest, akpk_id: int, scope: Scope | None = None) -> AKPK:
    try:
        return selectors.akpk_get(viewer=_viewer(request), pk=akpk_id, scope=scope)
    except AKPK.DoesNotExist:
        raise Http404(_("AKPK tidak ditemukan.")) from None


def _back(request: HttpRequest, akpk: AKPK) -> str:
    if akpk.employee_id == request.user.pk:
        return _mine_url(akpk.year)
    return reverse("planning:akpk_assess", kwargs={"akpk_id": akpk.pk})


@login_required
@require_POST
def akpk_need_add(request: HttpRequest, akpk_id: int) -> HttpResponse:
    akpk = _visible(request, akpk_id)
    form = NeedForm(request.POST, queryset=selectors.competencies_to_add(akpk=akpk))
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(_back(request, akpk))
    try:
        item = services.akpk_need_add(
            akpk=akpk, actor=_viewer(request), competency=form.cleaned_data["competency"],
            note=form.cleaned_data["note"],
        )  # fmt: skip
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(
            request,
            _("%(competency)s ditambahkan sebagai kebutuhan pengembangan.")
            % {"competency": item.competency.name},
        )
    return redirect(_back(request, akpk))


@login_required
@require_POST
def akpk_need_remove(request: HttpRequest, akpk_id: int, item_id: int) -> HttpResponse:
    akpk = _visible(request, akpk_id)
    item = next((i for i in akpk.items.all() if i.pk == item_id), None)
    if item is None:
        raise Http404(_("Kompetensi tidak ditemukan di AKPK ini."))
    try:
        services.akpk_need_remove(akpk=akpk, actor=_viewer(request), item=item)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(
            request,
            _("%(competency)s dihapus dari AKPK.") % {"competency": item.competency.name},
        )
    return redirect(_back(request, akpk))


# --- The atasan ---------------------------------------------------------------------------------


@login_required
@require_safe
def akpk_team(request: HttpRequest) -> HttpResponse:
    """AKPK bawahan: the subordinates' AKPKs, those waiting for the atasan first."""
    viewer = _viewer(request)
    year, year_form = _year(request)
    rows = selectors.akpk_supervisor_queue(viewer=viewer, year=year)
    return render(
        request,
        "planning/akpk/team.html",
        {
            "page": paginate(request, rows),
            "year": year,
            "year_form": year_form,
            "not_started": selectors.akpk_subordinates_not_started(viewer=viewer, year=year),
        },
    )


def _assessable(request: HttpRequest, akpk_id: int) -> AKPK:
    """The AKPK if the viewer may assess it: 404 when they may not even read it, 403 when
    they read it but are not its atasan."""
    akpk = _visible(request, akpk_id)
    if not services.can_assess(_viewer(request), akpk):
        raise PermissionDenied(_("Anda bukan atasan penilai AKPK ini."))
    return akpk


def _assess_context(akpk: AKPK, form: AssessForm | None = None) -> dict[str, Any]:
    items = list(akpk.items.all())
    locked = _standing(akpk)
    open_ = akpk.status in (AKPK.Status.SELF_SUBMITTED, AKPK.Status.ASSESSED) and not locked
    context: dict[str, Any] = {
        "akpk": akpk, "items": items, "groups": _groups(items), "locked": locked,
        "editable": open_, "added": [i for i in items if i.required_level == 0],
        "gap_count": sum(1 for i in items if i.gap),
    }  # fmt: skip
    if open_:
        form = form or AssessForm(
            items=items,
            initial={
                "performance_rating": akpk.performance_rating,
                "supervisor_note": akpk.supervisor_note,
            },
        )
        context.update(
            form=form, rows=_groups(form.rows()), reopen_form=ReasonForm(),
            need_form=NeedForm(queryset=selectors.competencies_to_add(akpk=akpk)),
        )  # fmt: skip
    return context


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def akpk_assess(request: HttpRequest, akpk_id: int) -> HttpResponse:
    akpk = _assessable(request, akpk_id)
    form = None
    if request.method == "POST":
        form = AssessForm(request.POST, items=list(akpk.items.all()))
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.akpk_assess(
                    akpk=akpk, actor=_viewer(request), levels=form.levels(),
                    priorities=form.priorities(), notes=form.notes(),
                    performance_rating=data["performance_rating"],
                    supervisor_note=data["supervisor_note"],
                )  # fmt: skip
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("Penilaian AKPK %(name)s tersimpan.")
                    % {"name": akpk.employee.name_with_gelar},
                )
                return redirect("planning:akpk_assess", akpk_id=akpk.pk)
    return render(request, "planning/akpk/assess.html", _assess_context(akpk, form))


@login_required
@require_POST
def akpk_reopen(request: HttpRequest, akpk_id: int) -> HttpResponse:
    akpk = _assessable(request, akpk_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.akpk_reopen(akpk=akpk, actor=_viewer(request), reason=reason)
    except ValidationError as exc:
        _error(request, exc)
        return redirect("planning:akpk_assess", akpk_id=akpk.pk)
    messages.success(
        request,
        _("AKPK %(name)s dikembalikan ke pegawai untuk diperbaiki.")
        % {"name": akpk.employee.name_with_gelar},
    )
    return redirect("planning:akpk_team")


# --- OPD admins and BKPSDM -----------------------------------------------------------------------


def _opd_param(request: HttpRequest, opds: list[OrgUnit]) -> OrgUnit | None:
    raw = request.GET.get("opd", "")
    if not raw:
        return None
    opd = next((o for o in opds if raw.isdigit() and o.pk == int(raw)), None)
    if opd is None:
        raise Http404(_("OPD tidak ditemukan."))
    return opd


@login_required
@require_safe
def akpk_manage(request: HttpRequest) -> HttpResponse:
    """One OPD's progress (its admin's usual page), or every OPD followed (BKPSDM's)."""
    scope = require_admin_scope(request.user)
    year, year_form = _year(request)
    opds = selectors.akpk_opd_choices(scope=scope)
    opd = _opd_param(request, opds)
    if opd is None and len(opds) == 1 and not scope.everything:
        opd = opds[0]
    context: dict[str, Any] = {
        "scope": scope, "year": year, "year_form": year_form, "opds": opds,
        "bkpsdm": scope.everything, "can_import": scope.everything and scope.can_change,
    }  # fmt: skip
    if opd is None:
        overview = selectors.akpk_pemda_overview(scope=scope, year=year)
        context.update(
            overview=overview, page=paginate(request, overview.rows), return_form=ReasonForm()
        )
        return render(request, "planning/akpk/manage_overview.html", context)
    filters = ManageFilterForm(request.GET or None)
    status = filters.cleaned_data.get("status", "") if filters.is_valid() else ""
    progress = selectors.akpk_opd_progress(scope=scope, opd=opd, year=year, status=status)
    context.update(
        opd=opd, progress=progress, filters=filters, status=status, opd_keep={"opd": opd.pk},
        page=paginate(request, progress.employees), return_form=ReasonForm(),
    )  # fmt: skip
    return render(request, "planning/akpk/manage_opd.html", context)


@login_required
@require_safe
def akpk_detail(request: HttpRequest, akpk_id: int) -> HttpResponse:
    """One employee's AKPK, read-only, for whoever may read it."""
    viewer = _viewer(request)
    scope = scope_for(viewer)
    akpk = _visible(request, akpk_id, scope=scope)
    items = list(akpk.items.all())
    return render(
        request,
        "planning/akpk/detail.html",
        {
            "akpk": akpk, "items": items, "groups": _groups(items),
            "gap_count": sum(1 for i in items if i.gap), "locked": _standing(akpk),
            "can_assess": services.can_assess(viewer, akpk, scope),
            "admin": scope.is_admin_scope,
        },
    )  # fmt: skip


@login_required
@require_POST
def akpk_opd_submit(request: HttpRequest) -> HttpResponse:
    scope = require_admin_scope(request.user)
    raw = request.POST.get("opd", "")
    opd = next(
        (o for o in selectors.akpk_opd_choices(scope=scope) if raw.isdigit() and o.pk == int(raw)),
        None,
    )
    if opd is None:
        raise Http404(_("OPD tidak ditemukan."))
    year = _post_year(request)
    if year is None:
        return redirect(f"{reverse('planning:akpk_manage')}?opd={opd.pk}")
    back = f"{reverse('planning:akpk_manage')}?opd={opd.pk}&tahun={year}"
    try:
        submission = services.opd_submit(opd=opd, year=year, actor=_viewer(request))
    except ValidationError as exc:
        _error(request, exc)
        return redirect(back)
    messages.success(
        request,
        _(
            "AKPK %(opd)s tahun %(year)s dikirim ke BKPSDM: %(assessed)s dari %(employees)s "
            "pegawai sudah dinilai atasan."
        )
        % {
            "opd": opd.name, "year": year, "assessed": submission.assessed_count,
            "employees": submission.employee_count,
        },
    )  # fmt: skip
    return redirect(back)


@login_required
@require_POST
def akpk_opd_return(request: HttpRequest, submission_id: int) -> HttpResponse:
    require_bkpsdm(request.user)
    try:
        submission = selectors.akpk_submission_get(pk=submission_id)
    except AKPKSubmission.DoesNotExist:
        raise Http404(_("Pengiriman AKPK tidak ditemukan.")) from None
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    back = f"{reverse('planning:akpk_manage')}?tahun={submission.year}"
    if request.POST.get("dari") == "opd":
        back += f"&opd={submission.opd_id}"
    try:
        services.opd_return(submission=submission, actor=_viewer(request), reason=reason)
    except ValidationError as exc:
        _error(request, exc)
        return redirect(back)
    messages.success(
        request,
        _("AKPK %(opd)s tahun %(year)s dikembalikan ke admin OPD.")
        % {"opd": submission.opd.name, "year": submission.year},
    )
    return redirect(back)


# --- Assessment-centre import ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def akpk_centre_import(request: HttpRequest) -> HttpResponse:
    require_bkpsdm(request.user, change=True)
    form = CentreImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            record = services.centre_import_run(
                actor=_viewer(request), year=form.cleaned_data["year"], fileobj=upload,
                filename=upload.name or "",
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("planning:akpk_centre_result", import_id=record.pk)
    return render(
        request,
        "planning/akpk/centre_import.html",
        {"form": form, "recent": selectors.centre_import_list()},
    )


@login_required
@require_safe
def akpk_centre_result(request: HttpRequest, import_id: int) -> HttpResponse:
    require_bkpsdm(request.user, change=True)
    try:
        record = selectors.centre_import_get(pk=import_id)
    except CentreImport.DoesNotExist:
        raise Http404(_("Impor tidak ditemukan.")) from None
    return render(
        request,
        "planning/akpk/centre_result.html",
        {"record": record, "page": paginate(request, record.row_errors)},
    )
