from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lms.core.audit import audit_record

from . import selectors, services, sso
from .forms import (
    EmployeeFilterForm,
    EmployeeForm,
    EmployeeImportForm,
    LoginForm,
    RoleGrantForm,
    RoleRevokeForm,
)
from .models import Employee
from .permissions import require_admin_scope, require_change_scope
from .selectors import Scope

PAGE_SIZE = 50


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sso_label"] = sso.button_label() if sso.enabled() else ""
        return context


@login_required
def account(request: HttpRequest) -> HttpResponse:
    employee = request.user
    roles = selectors.employee_roles(employee=employee)  # type: ignore[arg-type]
    return render(request, "people/account.html", {"employee": employee, "roles": roles})


def _filtered(request: HttpRequest, scope: Scope) -> tuple[EmployeeFilterForm, Any]:
    viewer: Employee = request.user  # type: ignore[assignment]
    form = EmployeeFilterForm(
        request.GET or None, units=selectors.org_unit_list(viewer=viewer, scope=scope)
    )
    search, unit, active = "", None, None
    if form.is_valid():
        search = form.cleaned_data["q"]
        unit = form.cleaned_data["unit"]
        active = {"active": True, "inactive": False}.get(form.cleaned_data["status"])
    employees = selectors.employee_list(
        viewer=viewer, scope=scope, search=search, org_unit=unit, active=active
    )
    return form, employees


@login_required
def employee_list(request: HttpRequest) -> HttpResponse:
    scope = require_admin_scope(request.user)
    form, employees = _filtered(request, scope)
    page = Paginator(employees, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "people/employee_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "scope": scope},
    )


@login_required
def employee_detail(request: HttpRequest, nip: str) -> HttpResponse:
    scope = require_admin_scope(request.user)
    try:
        employee = selectors.employee_get(viewer=request.user, nip=nip, scope=scope)  # type: ignore[arg-type]
    except Employee.DoesNotExist:
        raise Http404(_("Pegawai tidak ditemukan.")) from None
    roles = selectors.employee_roles(employee=employee)
    return render(
        request,
        "people/employee_detail.html",
        {"employee": employee, "roles": roles, "can_change": scope.can_change},
    )


@login_required
def employee_edit(request: HttpRequest, nip: str) -> HttpResponse:
    scope = require_admin_scope(request.user)
    if not scope.can_change:
        raise PermissionDenied(_("Auditor hanya dapat membaca data pegawai."))
    viewer: Employee = request.user  # type: ignore[assignment]
    try:
        employee = selectors.employee_get(viewer=viewer, nip=nip, scope=scope)
    except Employee.DoesNotExist:
        raise Http404(_("Pegawai tidak ditemukan.")) from None
    units = selectors.org_unit_list(viewer=viewer, scope=scope)
    # The form works on a copy, so a refused change never touches the object we render.
    form = EmployeeForm(
        request.POST or None, instance=Employee.objects.get(pk=employee.pk), units=units
    )
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in EmployeeForm.Meta.fields}
        try:
            services.employee_update(
                actor=viewer, employee=employee, data=data, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Data pegawai disimpan."))
            return redirect("people:employee_detail", nip=employee.nip)
    return render(request, "people/employee_edit.html", {"employee": employee, "form": form})


class _Echo:
    def write(self, value: str) -> str:
        return value


EXPORT_COLUMNS = [
    "NIP", "NAMA", "GELAR DEPAN", "GELAR BELAKANG", "JENIS PEGAWAI", "GOLONGAN",
    "JABATAN", "JENIS JABATAN", "UNIT KERJA", "EMAIL", "AKTIF",
]  # fmt: skip


def _export_rows(employees: Any) -> Iterator[list[str]]:
    yield EXPORT_COLUMNS
    for e in employees.iterator(chunk_size=2000):
        yield [
            e.nip, e.full_name, e.gelar_depan, e.gelar_belakang, e.employment_type,
            e.golongan, e.jabatan, e.jabatan_kind, e.org_unit.name if e.org_unit else "",
            e.email, "ya" if e.is_active else "tidak",
        ]  # fmt: skip


@login_required
def employee_export(request: HttpRequest) -> StreamingHttpResponse:
    scope = require_admin_scope(request.user)
    _form, employees = _filtered(request, scope)
    audit_record(
        actor=request.user, action="sinau.people.export", instance=request.user,  # type: ignore[arg-type]
        reason=_("Ekspor daftar pegawai"), data={"filters": request.GET.dict()},
    )  # fmt: skip
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in _export_rows(employees)),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="pegawai-{stamp}.csv"'
    return response


def _import_scope(request: HttpRequest) -> Scope:
    return require_change_scope(
        request.user, _("Impor pegawai hanya untuk admin OPD dan superuser BKPSDM.")
    )


@login_required
def import_new(request: HttpRequest) -> HttpResponse:
    _import_scope(request)
    viewer: Employee = request.user  # type: ignore[assignment]
    form = EmployeeImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.employee_import_create(
                actor=viewer,
                uploaded_file=form.cleaned_data["file"],
                dry_run=form.cleaned_data["dry_run"],
                deactivate_missing=form.cleaned_data["deactivate_missing"],
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            messages.success(request, _("Berkas diterima dan sedang diproses."))
            return redirect("people:import_detail", pk=job.pk)
    recent = selectors.employee_import_list(viewer=viewer)[:10]
    return render(request, "people/import_form.html", {"form": form, "recent": recent})


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _import_scope(request)
    job = get_object_or_404(selectors.employee_import_list(viewer=request.user), pk=pk)  # type: ignore[arg-type]
    errors = Paginator(job.row_errors, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "people/import_detail.html", {"job": job, "errors": errors})


@login_required
@require_POST
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    _import_scope(request)
    job = get_object_or_404(selectors.employee_import_list(viewer=request.user), pk=pk)  # type: ignore[arg-type]
    try:
        applied = services.employee_import_apply(actor=request.user, job=job)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("people:import_detail", pk=job.pk)
    messages.success(request, _("Impor dijalankan."))
    return redirect("people:import_detail", pk=applied.pk)


@login_required
def role_list(request: HttpRequest) -> HttpResponse:
    viewer: Employee = request.user  # type: ignore[assignment]
    scope = selectors.scope_for(viewer)
    if not scope.everything:
        raise PermissionDenied(_("Daftar peran untuk superuser dan auditor BKPSDM."))
    form = RoleGrantForm(request.POST or None)
    if request.method == "POST":
        if not viewer.is_superuser:
            raise PermissionDenied(_("Hanya superuser BKPSDM yang dapat memberi peran."))
        if form.is_valid():
            services.role_grant(
                actor=viewer,
                employee=form.cleaned_data["nip"],
                role=form.cleaned_data["role"],
                org_unit=form.cleaned_data["org_unit"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("Peran diberikan."))
            return redirect("people:role_list")
    assignments = selectors.role_assignment_list(viewer=viewer, scope=scope)
    page = Paginator(assignments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "people/role_list.html",
        {"form": form, "page": page, "can_change": viewer.is_superuser},
    )


@login_required
@require_POST
def role_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    viewer: Employee = request.user  # type: ignore[assignment]
    if not viewer.is_superuser:
        raise PermissionDenied(_("Hanya superuser BKPSDM yang dapat mencabut peran."))
    assignment = get_object_or_404(selectors.role_assignment_list(viewer=viewer), pk=pk)
    form = RoleRevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Alasan pencabutan wajib diisi."))
    else:
        services.role_revoke(
            actor=viewer, assignment=assignment, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("Peran dicabut."))
    return redirect("people:role_list")
