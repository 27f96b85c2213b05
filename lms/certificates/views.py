"""Certificate pages: public verification, the learner's certificates and downloads, the
BKPSDM list with revocation and reissue, and zip bundles for auditors.

Thin: parse, check, call one service or selector, answer. Refusals are messages or 403/404
pages, never 500s.
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_client_ip_address
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from wagtail.models import ModelLogEntry

from courses.models import CoursePage
from lms.learning.models import JPEntry
from lms.people.models import Employee
from lms.people.permissions import require_admin_scope
from lms.people.selectors import org_unit_list, scope_for

from . import selectors
from .bundles import bundle_request, certificate_file_stem
from .forms import BundleForm, CertificateFilterForm, ReissueForm, RevokeForm, VerifyForm
from .models import Certificate, CertificateBundle
from .revocation import certificate_reissue, certificate_revoke, enqueue_render

PAGE_SIZE = 50
# How long a "render this PDF" request stands before another may be queued.
RENDER_REQUEST_TTL = 300


def _viewer(request: HttpRequest) -> Employee:
    return request.user  # type: ignore[return-value]


def _page(request: HttpRequest, rows: Any, param: str = "halaman") -> Page[Any]:
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get(param))
    query = request.GET.copy()
    query.pop(param, None)
    page.param = param  # type: ignore[attr-defined]
    page.query = query.urlencode()  # type: ignore[attr-defined]
    return page


def _client(request: HttpRequest) -> str:
    """The client address as the login lockout sees it (same proxy settings)."""
    return get_client_ip_address(request) or ""


# --- Public verification --------------------------------------------------------------


def _private(response: HttpResponse) -> HttpResponse:
    # A verification answer changes when a certificate is revoked, and is nobody's to index.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def verify_limited(request: HttpRequest, wait: int) -> HttpResponse:
    response = render(request, "certificates/verify_limited.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return _private(response)


@never_cache
@require_GET
def verify_form(request: HttpRequest) -> HttpResponse:
    """/verify/: type the code printed on a certificate."""
    form = VerifyForm(request.GET if "code" in request.GET else None)
    if form.is_bound and form.is_valid() and form.cleaned_data["code"]:
        return redirect("certificates:verify", code=form.cleaned_data["code"])
    if form.is_bound and form.is_valid():
        form.add_error("code", _("Isi kode verifikasi."))
    return _private(render(request, "certificates/verify_form.html", {"form": form}))


@never_cache
@require_GET
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """/verify/<code>: what the QR code opens. Anyone may look; unknown and malformed codes
    get one and the same 404, and each client has a budget of lookups a minute."""
    wait = selectors.verify_throttle(client=_client(request))
    if wait:
        return verify_limited(request, wait)
    verification = selectors.certificate_verification(code=code)
    if verification is None:
        response = render(
            request, "certificates/verify_unknown.html", {"form": VerifyForm()}, status=404
        )
        return _private(response)
    return _private(render(request, "certificates/verify.html", {"v": verification}))


# --- The learner's certificates ---------------------------------------------------------


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """Sertifikat Saya: every certificate the learner holds, with its status."""
    page = _page(request, selectors.my_certificates(employee=_viewer(request)))
    return render(request, "certificates/mine.html", {"page": page})


def _request_render(certificate: Certificate) -> None:
    """Queue the PDF at most once per few minutes however often the page is reloaded."""
    if not cache.add(f"sinau:cert-render-requested:{certificate.pk}", 1, RENDER_REQUEST_TTL):
        return
    certificate_id = certificate.pk
    # A file name without a file (storage lost it) needs a forced render.
    force = bool(certificate.pdf)
    transaction.on_commit(lambda: enqueue_render(certificate_id, force=force))


def _pdf_ready(certificate: Certificate) -> bool:
    return bool(certificate.pdf) and default_storage.exists(certificate.pdf.name)


@login_required
@require_GET
def download(request: HttpRequest, certificate_id: int) -> HttpResponseBase:
    """The PDF, for its holder or an admin whose scope covers the holder."""
    viewer = _viewer(request)
    try:
        certificate = selectors.certificate_for_download(
            viewer=viewer, certificate_id=certificate_id
        )
    except Certificate.DoesNotExist:
        raise Http404(_("Sertifikat tidak ditemukan.")) from None
    is_admin = scope_for(viewer).is_admin_scope and certificate.employee_id != viewer.pk
    if certificate.status != Certificate.Status.VALID and not is_admin:
        return render(
            request, "certificates/unavailable.html", {"certificate": certificate}, status=410
        )
    if not _pdf_ready(certificate):
        _request_render(certificate)
        response = render(
            request, "certificates/preparing.html", {"certificate": certificate}, status=202
        )
        response["Retry-After"] = "5"
        return response
    filename = f"sertifikat-{certificate_file_stem(certificate.number)}.pdf"
    return FileResponse(
        certificate.pdf.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/pdf",
    )


# --- BKPSDM and OPD admins --------------------------------------------------------------


@login_required
@require_GET
def admin_list(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    scope = require_admin_scope(request.user)
    form = CertificateFilterForm(
        request.GET or None,
        courses=CoursePage.objects.order_by("title").only("pk", "title"),
        units=org_unit_list(viewer=viewer, scope=scope),
    )
    filters = form.cleaned_data if form.is_valid() else {}
    course = filters.get("kursus")
    rows = selectors.certificate_list(
        viewer=viewer, scope=scope, course_id=course.pk if course else None,
        org_unit=filters.get("opd"), year=filters.get("tahun"),
        status=filters.get("status") or "", search=filters.get("q") or "",
    )  # fmt: skip
    return render(
        request,
        "certificates/admin_list.html",
        {
            "form": form,
            "page": _page(request, rows),
            "can_bundle": scope.everything,
        },
    )


def _admin_certificate(request: HttpRequest, certificate_id: int) -> Certificate:
    viewer = _viewer(request)
    scope = require_admin_scope(request.user)
    try:
        return selectors.certificate_get(viewer=viewer, certificate_id=certificate_id, scope=scope)
    except Certificate.DoesNotExist:
        raise Http404(_("Sertifikat tidak ditemukan.")) from None


@login_required
@require_GET
def admin_detail(request: HttpRequest, certificate_id: int) -> HttpResponse:
    certificate = _admin_certificate(request, certificate_id)
    credit = (
        JPEntry.objects.filter(
            employee_id=certificate.employee_id,
            source_type=JPEntry.Source.COURSE,
            source_id=certificate.enrolment_id,
            reverses__isnull=True,
        )  # fmt: skip
        .select_related("reversal")
        .first()
    )
    history = (
        ModelLogEntry.objects.for_instance(certificate)
        .select_related("user")
        .order_by("-timestamp")[:50]
    )
    can_change = request.user.is_superuser and certificate.status == Certificate.Status.VALID
    return render(
        request,
        "certificates/admin_detail.html",
        {
            "certificate": certificate,
            "credit": credit,
            "history": history,
            "can_change": can_change,
            "revoke_form": RevokeForm(),
            "reissue_form": ReissueForm(),
        },
    )


def _form_errors(request: HttpRequest, form: Any) -> None:
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))


def _require_bkpsdm(request: HttpRequest) -> None:
    if not request.user.is_superuser:
        raise PermissionDenied(
            _("Hanya BKPSDM (superuser) yang dapat mencabut atau menerbitkan ulang sertifikat.")
        )


@login_required
@require_POST
def revoke(request: HttpRequest, certificate_id: int) -> HttpResponse:
    _require_bkpsdm(request)
    certificate = _admin_certificate(request, certificate_id)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("certificates:admin_detail", certificate_id=certificate.pk)
    try:
        certificate_revoke(
            certificate=certificate, actor=_viewer(request), reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Sertifikat %(number)s dicabut; JP-nya dibatalkan di buku JP.")
            % {"number": certificate.number},
        )
    return redirect("certificates:admin_detail", certificate_id=certificate.pk)


@login_required
@require_POST
def reissue(request: HttpRequest, certificate_id: int) -> HttpResponse:
    _require_bkpsdm(request)
    certificate = _admin_certificate(request, certificate_id)
    form = ReissueForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("certificates:admin_detail", certificate_id=certificate.pk)
    try:
        new = certificate_reissue(
            certificate=certificate, actor=_viewer(request), reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("certificates:admin_detail", certificate_id=certificate.pk)
    messages.success(
        request,
        _("Sertifikat %(old)s diganti dengan %(new)s; PDF-nya sedang dibuat.")
        % {"old": certificate.number, "new": new.number},
    )
    return redirect("certificates:admin_detail", certificate_id=new.pk)


# --- Zip bundles ------------------------------------------------------------------------


def _require_bundle_scope(request: HttpRequest) -> None:
    if not scope_for(request.user).everything:
        raise PermissionDenied(_("Unduhan sertifikat massal hanya untuk auditor dan BKPSDM."))


@login_required
@require_http_methods(["GET", "POST"])
def bundle_list(request: HttpRequest) -> HttpResponse:
    """Ask for a zip per course or OPD (optionally per year); see the ones asked for."""
    _require_bundle_scope(request)
    viewer = _viewer(request)
    form = BundleForm(
        request.POST if request.method == "POST" else None,
        courses=CoursePage.objects.order_by("title").only("pk", "title"),
        units=org_unit_list(viewer=viewer),
    )
    if request.method == "POST" and form.is_valid():
        try:
            bundle = bundle_request(
                actor=viewer, course=form.cleaned_data["course"],
                org_unit=form.cleaned_data["org_unit"], year=form.cleaned_data["year"],
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Zip sertifikat sedang dibuat."))
            return redirect("certificates:bundle_detail", bundle_id=bundle.pk)
    page = _page(request, selectors.bundle_list(viewer=viewer))
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "certificates/bundle_list.html", {"form": form, "page": page}, status=status
    )


def _bundle(request: HttpRequest, bundle_id: int) -> CertificateBundle:
    try:
        return selectors.bundle_get(viewer=_viewer(request), bundle_id=bundle_id)
    except CertificateBundle.DoesNotExist:
        raise Http404(_("Unduhan tidak ditemukan.")) from None


@login_required
@require_GET
def bundle_detail(request: HttpRequest, bundle_id: int) -> HttpResponse:
    bundle = _bundle(request, bundle_id)
    percent = 100 if bundle.status == bundle.Status.READY else (
        int(bundle.done * 100 / bundle.total) if bundle.total else 0
    )  # fmt: skip
    working = bundle.status in (bundle.Status.QUEUED, bundle.Status.BUILDING)
    return render(
        request,
        "certificates/bundle_detail.html",
        {"bundle": bundle, "percent": percent, "working": working},
    )


@login_required
@require_GET
def bundle_download(request: HttpRequest, bundle_id: int) -> HttpResponseBase:
    """The zip, for the one who asked for it (or a superuser)."""
    bundle = _bundle(request, bundle_id)
    if bundle.status != bundle.Status.READY or not bundle.file:
        messages.info(request, _("Zip ini belum siap diunduh."))
        return redirect("certificates:bundle_detail", bundle_id=bundle.pk)
    if not default_storage.exists(bundle.file.name):
        messages.error(request, _("Berkas zip ini sudah tidak tersedia; minta unduhan baru."))
        return redirect(reverse("certificates:bundle_list"))
    name = bundle.file.name.rsplit("/", 1)[-1]
    stem = name.rsplit("-", 1)[0] if "-" in name else name.removesuffix(".zip")
    return FileResponse(
        bundle.file.open("rb"),
        as_attachment=True,
        filename=f"{stem}.zip",
        content_type="application/zip",
    )
