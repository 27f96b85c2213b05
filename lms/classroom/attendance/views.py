"""Attendance pages: the instructor's sessions, a session's daftar hadir (mark, add,
sign off, PDF), the QR screen shown in the room, and the learner's check-in.

Thin: parse, check, call one service or selector, answer. Refusals are messages, never 500s.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lms.core.paging import paginate
from lms.people.models import Employee

from .. import qr, services
from ..models import Attendance, Session
from . import selectors
from .forms import AddForm, MarkForm
from .pdf import attendance_pdf

SHEET_PAGE_SIZE = 100


def _viewer(request: HttpRequest) -> Employee:
    return request.user  # type: ignore[return-value]


def _error(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _runnable(request: HttpRequest, session_id: int) -> Session:
    """The session, for someone who runs it: 404 if there is none, 403 for anyone else."""
    try:
        session = selectors.session_get(session_id)
    except Session.DoesNotExist:
        raise Http404(_("Sesi tidak ditemukan.")) from None
    services.require_run(_viewer(request), session)
    return session


def _closed_reason(session: Session) -> str:
    if session.cancelled_at is not None:
        return _("Sesi ini dibatalkan.")
    if session.signed_off_at is not None:
        return _("Daftar hadir sesi ini sudah ditandatangani.")
    return ""


# --- Instructor ------------------------------------------------------------------------


@login_required
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.session_list(viewer=_viewer(request)))
    return render(
        request, "classroom/attendance/session_list.html", {"page": page, "now": timezone.now()}
    )


@login_required
@require_GET
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _runnable(request, session_id)
    people = paginate(request, selectors.sheet_people(session), per_page=SHEET_PAGE_SIZE)
    rows = selectors.sheet_rows(session, people, start=people.start_index() or 1)
    context: dict[str, Any] = {
        "session": session,
        "page": people,
        "rows": rows,
        "counts": selectors.sheet_counts(session),
        "closed": _closed_reason(session),
        "statuses": Attendance.Status.choices,
        "add_form": AddForm(),
        "window": services.check_in_window(session),
    }
    return render(request, "classroom/attendance/session_detail.html", context)


def _back(session: Session, request: HttpRequest) -> HttpResponse:
    url = reverse("classroom:attendance_session", args=[session.pk])
    page = request.POST.get("halaman", "")
    return redirect(f"{url}?halaman={page}" if page.isdigit() else url)


def _record(
    request: HttpRequest, session: Session, employee: Employee, done: str, **fields: Any
) -> HttpResponse:
    """Mark someone through the service and say what happened (``done`` takes their name
    and the status), back on the list."""
    try:
        attendance = services.attendance_mark(
            actor=_viewer(request), session=session, employee=employee, **fields
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        status = attendance.get_status_display()
        messages.success(request, done % {"name": employee.name_with_gelar, "status": status})
    return _back(session, request)


@login_required
@require_POST
def mark(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _runnable(request, session_id)
    form = MarkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Isian tidak valid: periksa status dan jam pulang."))
        return _back(session, request)
    employee = Employee.objects.filter(pk=form.cleaned_data["employee"]).first()
    if employee is None:
        messages.error(request, _("Peserta tidak ditemukan."))
        return _back(session, request)
    return _record(
        request, session, employee, _("%(name)s: %(status)s."),
        status=form.cleaned_data["status"], left_at=form.left_at_on(session),
        note=form.cleaned_data["note"],
    )  # fmt: skip


@login_required
@require_POST
def add(request: HttpRequest, session_id: int) -> HttpResponse:
    """An open session's instructor records someone who is not on the list yet."""
    session = _runnable(request, session_id)
    form = AddForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Isi NIP dan status kehadiran."))
        return _back(session, request)
    employee = Employee.objects.active().filter(nip=form.cleaned_data["nip"]).first()
    if employee is None:
        messages.error(
            request,
            _("Tidak ada pegawai aktif dengan NIP %(nip)s.") % {"nip": form.cleaned_data["nip"]},
        )
        return _back(session, request)
    return _record(
        request, session, employee, _("%(name)s dicatat: %(status)s."),
        status=form.cleaned_data["status"],
    )  # fmt: skip


@login_required
@require_POST
def sign_off(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _runnable(request, session_id)
    try:
        services.session_sign_off(actor=_viewer(request), session=session)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(
            request, _("Daftar hadir ditandatangani. Daftar ini tidak dapat diubah lagi.")
        )
    return redirect("classroom:attendance_session", session_id=session.pk)


@login_required
@require_GET
def pdf(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _runnable(request, session_id)
    day = timezone.localtime(session.starts_at).date().isoformat()
    response = HttpResponse(attendance_pdf(session), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="daftar-hadir-{session.pk}-{day}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- QR screen -------------------------------------------------------------------------


def _current(request: HttpRequest, session: Session) -> dict[str, Any]:
    shown = qr.code_for(session)
    url = request.build_absolute_uri(reverse("classroom:attendance_checkin", args=[shown.code]))
    found = selectors.arrivals(session)
    return {
        "code": shown.code,
        "url": url,
        "svg": segno.make(url, error="m").svg_data_uri(scale=8, border=2),
        "expires_at": shown.expires_at.isoformat(),
        # The code on screen changes each step; the phone gets one more step to open it.
        "refresh_in": qr.step_seconds() - int(timezone.now().timestamp()) % qr.step_seconds(),
        "present_count": found.count,
        "recent": found.recent,
    }


@login_required
@require_GET
@never_cache
def qr_screen(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _runnable(request, session_id)
    closed = _closed_reason(session)
    context: dict[str, Any] = {"session": session, "closed": closed, "seconds": qr.step_seconds()}
    if not closed:
        context["current"] = _current(request, session)
        context["window"] = services.check_in_window(session)
    return render(request, "classroom/attendance/qr.html", context)


@login_required
@require_GET
@never_cache
def qr_json(request: HttpRequest, session_id: int) -> JsonResponse:
    session = _runnable(request, session_id)
    closed = _closed_reason(session)
    if closed:
        return JsonResponse({"error": closed}, status=409)
    return JsonResponse(_current(request, session))


# --- Learner ---------------------------------------------------------------------------


SCANS_KEPT = 5


def _remember_scan(request: HttpRequest, code: str) -> dt.datetime | None:
    """When this visitor's browser first opened the code while it was fresh (kept in their
    session, so a phone that must log in first keeps its scan); None if never."""
    scans: dict[str, float] = request.session.get("attendance_scans", {})
    if code not in scans:
        parsed = qr.parse(code)
        if parsed is None or not qr.fresh(parsed):
            return None
        scans = dict(list(scans.items())[-(SCANS_KEPT - 1) :])
        scans[code] = timezone.now().timestamp()
        request.session["attendance_scans"] = scans
    return dt.datetime.fromtimestamp(scans[code], tz=dt.UTC)


@require_http_methods(["GET", "POST"])
@never_cache
def checkin(request: HttpRequest, code: str) -> HttpResponse:
    """The page a scanned code opens: whoever is logged in records themself, and only
    themself (nothing in the request can name anyone else). A visitor not logged in is
    sent to log in, the scan remembered."""
    context: dict[str, Any] = {"code": code}
    try:
        session = services.session_for_code(code)
    except ValidationError as exc:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        context["error"] = " ".join(exc.messages)
        return render(request, "classroom/attendance/checkin.html", context, status=404)
    scanned_at = _remember_scan(request, code)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer = _viewer(request)
    context["session"] = session
    status = 200
    if request.method == "POST":
        leaving = request.POST.get("leaving") == "1"
        try:
            context["done"] = services.attendance_check_in(
                actor=viewer, code=code, leaving=leaving, scanned_at=scanned_at
            )
            context["leaving"] = leaving
        except ValidationError as exc:
            context["error"], status = " ".join(exc.messages), 400
        except PermissionDenied as exc:
            context["error"], status = str(exc), 403
    else:
        parsed = qr.parse(code)
        grace = dt.timedelta(seconds=settings.SINAU_ATTENDANCE_SCAN_GRACE_SECONDS)
        recent = scanned_at is not None and timezone.now() - grace <= scanned_at
        if parsed is not None and not recent and not qr.fresh(parsed):
            context["error"] = _(
                "Kode ini sudah kedaluwarsa. Pindai kode yang sedang tampil di layar."
            )
            status = 400
        elif _closed_reason(session):
            context["error"], status = _closed_reason(session), 400
    context["mine"] = selectors.own_attendance(viewer=viewer, session=session)
    return render(request, "classroom/attendance/checkin.html", context, status=status)
