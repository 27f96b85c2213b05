"""Actions on cohorts, sessions and attendance. Each is one transaction and names its actor.

Who runs a session (shows its code, marks and signs off its attendance): its instructor,
an instructor of its cohort or programme, or BKPSDM (a scope over everything that may
change). Auditors read; OPD admins see their people's attendance in reports.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import CoursePage, EnrolmentPolicy
from lms.core.audit import audit_record
from lms.learning.models import Enrolment, JPEntry
from lms.learning.selectors import completed_before_this_year
from lms.learning.services import completion_evaluate, jp_credit, local_when
from lms.people.models import Employee
from lms.people.selectors import scope_for

from . import qr
from .models import Attendance, Cohort, Series, Session, SessionMode

logger = logging.getLogger(__name__)

# SIASN's jenis diklat for what a session credits, unless its programme names one.
JENIS_KOMUNITAS_BELAJAR = 23  # a recurring programme: a learning community
JENIS_KLASIKAL_LAINNYA = 13  # a one-off classroom or hybrid session
JENIS_JARAK_JAUH = 17  # a one-off live online session


# --- Cohorts ----------------------------------------------------------------------------


def cohort_seats_left(cohort: Cohort) -> int | None:
    if cohort.capacity is None:
        return None
    taken = cohort.enrolments.holding_a_seat().count()
    return max(0, cohort.capacity - taken)


def cohort_enrol(*, actor: Employee, cohort: Cohort, now: dt.datetime | None = None) -> Enrolment:
    """A learner joins an angkatan: within its window and capacity, active at once or
    pending their OPD admin's approval, as the angkatan says."""
    now = now or timezone.now()
    course = cohort.course
    if not course.live:
        raise ValidationError(_("Kursus ini belum terbit."))
    if cohort.enrolment_policy == EnrolmentPolicy.ASSIGNED:
        raise ValidationError(
            _("Angkatan ini hanya dapat diikuti melalui penugasan oleh admin OPD atau BKPSDM.")
        )
    if cohort.enrolment_opens and now < cohort.enrolment_opens:
        raise ValidationError(
            _("Pendaftaran angkatan ini dibuka %(when)s.")
            % {"when": local_when(cohort.enrolment_opens)}
        )
    closes = cohort.enrolment_closes
    if (closes and now >= closes) or cohort.ends_on < timezone.localdate(now):
        raise ValidationError(_("Pendaftaran angkatan ini sudah ditutup."))
    with transaction.atomic():
        CoursePage.objects.select_for_update(of=("self",)).get(pk=course.pk)
        cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
        latest = (
            Enrolment.objects.filter(employee=actor, course_id=course.pk)
            .select_related("cohort")
            .order_by("-created_at", "-pk")
            .first()
        )
        if latest is not None and latest.is_open:
            if latest.cohort_id == cohort.pk:
                return latest  # a second click: the same enrolment
            raise ValidationError(
                _("Anda sudah terdaftar di kursus ini (%(cohort)s).")
                % {"cohort": latest.cohort.name if latest.cohort else _("mandiri")}
            )
        if (
            latest is not None
            and latest.status == Enrolment.Status.COMPLETED
            and not completed_before_this_year(latest, timezone.localdate(now))
        ):
            raise ValidationError(
                _("Anda sudah menyelesaikan kursus ini tahun ini; ulangi tahun depan.")
            )
        if cohort_seats_left(cohort) == 0:
            raise ValidationError(_("Kuota angkatan ini sudah penuh."))
        needs_approval = cohort.enrolment_policy == EnrolmentPolicy.APPROVAL
        enrolment = Enrolment(
            employee=actor, course_id=course.pk, cohort=cohort, source=Enrolment.Source.SELF,
            status=Enrolment.Status.PENDING if needs_approval else Enrolment.Status.ACTIVE,
        )  # fmt: skip
        try:
            with transaction.atomic():
                enrolment.save()
        except IntegrityError:
            raise ValidationError(_("Anda sudah terdaftar di kursus ini.")) from None
    return enrolment


# --- Running a session -----------------------------------------------------------------


def can_run(actor: Employee, session: Session) -> bool:
    if not getattr(actor, "is_authenticated", False):
        return False
    if session.instructor_id == actor.pk:
        return True
    if session.cohort is not None and session.cohort.instructors.filter(pk=actor.pk).exists():
        return True
    if session.series is not None and session.series.instructor_id == actor.pk:
        return True
    scope = scope_for(actor)
    return scope.everything and scope.can_change


def require_run(actor: Employee, session: Session) -> None:
    if not can_run(actor, session):
        raise PermissionDenied(_("Hanya instruktur sesi ini atau BKPSDM yang dapat melakukannya."))


def _require_open(session: Session) -> None:
    if session.cancelled_at is not None:
        raise ValidationError(_("Sesi ini dibatalkan."))
    if session.signed_off_at is not None:
        raise ValidationError(_("Daftar hadir sesi ini sudah ditandatangani."))


def check_in_window(session: Session) -> tuple[dt.datetime, dt.datetime]:
    opens = session.starts_at - dt.timedelta(minutes=settings.SINAU_ATTENDANCE_OPENS_MINUTES)
    return opens, session.ends_at


def _require_participant(actor: Employee, session: Session) -> None:
    if session.cohort is None:
        return  # open to all
    admitted = Enrolment.objects.filter(
        employee=actor,
        cohort=session.cohort,
        status__in=(Enrolment.Status.ACTIVE, Enrolment.Status.COMPLETED),
    ).exists()
    if not admitted:
        raise PermissionDenied(
            _("Anda bukan peserta %(cohort)s.") % {"cohort": session.cohort.name}
        )


def _arrival_status(session: Session, at: dt.datetime) -> str:
    late_from = session.starts_at + dt.timedelta(minutes=session.late_after_minutes)
    return Attendance.Status.LATE if at > late_from else Attendance.Status.PRESENT


def session_for_code(code: str) -> Session:
    """The session a scanned code names, if the code is genuine; refuses otherwise."""
    parsed = qr.parse(code)
    session = (
        Session.objects.select_related("cohort", "series").filter(pk=parsed.session_id).first()
        if parsed
        else None
    )
    if parsed is None or session is None or not qr.genuine(session, parsed):
        raise ValidationError(_("Kode kehadiran tidak dikenal. Pindai ulang kode di layar."))
    return session


def attendance_check_in(
    *,
    actor: Employee,
    code: str,
    leaving: bool = False,
    now: dt.datetime | None = None,
    scanned_at: dt.datetime | None = None,
) -> Attendance:
    """The logged-in person scans the code in the room: arrives (present, or late after
    the session's grace), or, with ``leaving``, records going home. Refused: a code not
    genuine, too old, or already used by this person; outside the session's hours; someone
    who is not a participant.

    ``scanned_at``: when the server saw this code opened (kept in the visitor's session),
    for a phone that had to log in first; the code must have been fresh then, and that
    moment at most ``SINAU_ATTENDANCE_SCAN_GRACE_SECONDS`` ago."""
    now = now or timezone.now()
    session = session_for_code(code)
    parsed = qr.parse(code)
    assert parsed is not None  # session_for_code refused anything else
    grace = dt.timedelta(seconds=settings.SINAU_ATTENDANCE_SCAN_GRACE_SECONDS)
    seen = scanned_at if scanned_at is not None and now - grace <= scanned_at <= now else now
    if not qr.fresh(parsed, seen):
        raise ValidationError(
            _("Kode ini sudah kedaluwarsa. Pindai kode yang sedang tampil di layar.")
        )
    _require_open(session)
    opens, closes = check_in_window(session)
    if now < opens:
        raise ValidationError(_("Presensi dibuka %(when)s.") % {"when": local_when(opens)})
    if now > closes:
        raise ValidationError(_("Sesi ini sudah selesai; presensi ditutup."))
    _require_participant(actor, session)
    with transaction.atomic():
        Session.objects.select_for_update().get(pk=session.pk)  # waits for a sign-off
        session.refresh_from_db(fields=["signed_off_at", "cancelled_at"])
        _require_open(session)
        attendance = (
            Attendance.objects.select_for_update().filter(session=session, employee=actor).first()
        )
        used = attendance.qr_step if attendance is not None else None
        if used is not None and parsed.step <= used:
            raise ValidationError(_("Kode ini sudah Anda pakai. Pindai kode berikutnya di layar."))
        if leaving:
            if attendance is None or not attendance.attended:
                raise ValidationError(_("Anda belum tercatat hadir di sesi ini."))
            attendance.left_at = now
            attendance.qr_step = parsed.step
            attendance.save(update_fields=["left_at", "qr_step", "updated_at"])
            return attendance
        if attendance is None:
            attendance = Attendance(session=session, employee=actor)
        if not attendance.attended:
            attendance.status = _arrival_status(session, now)
            attendance.method = Attendance.Method.QR
            attendance.checked_in_at = now
        attendance.qr_step = parsed.step
        attendance.save()
    return attendance


def attendance_mark(
    *,
    actor: Employee,
    session: Session,
    employee: Employee,
    status: str,
    left_at: dt.datetime | None = None,
    note: str = "",
) -> Attendance:
    """The instructor records someone: present, late, excused or absent, and when they
    left if they left early."""
    require_run(actor, session)
    if status not in Attendance.Status.values:
        raise ValidationError(_("Status kehadiran tidak dikenal."))
    if left_at is not None and not (session.starts_at <= left_at <= session.ends_at):
        raise ValidationError(_("Jam pulang harus di antara jam mulai dan selesai sesi."))
    if left_at is not None and status not in Attendance.ATTENDED:
        raise ValidationError(_("Jam pulang hanya untuk peserta yang hadir."))
    if session.cohort is not None:
        enrolled = Enrolment.objects.filter(
            employee=employee, cohort=session.cohort,
            status__in=(Enrolment.Status.ACTIVE, Enrolment.Status.COMPLETED),
        ).exists()  # fmt: skip
        if not enrolled:
            raise ValidationError(
                _("%(name)s bukan peserta %(cohort)s.")
                % {"name": employee.full_name, "cohort": session.cohort.name}
            )
    with transaction.atomic():
        Session.objects.select_for_update().get(pk=session.pk)
        session.refresh_from_db(fields=["signed_off_at", "cancelled_at"])
        _require_open(session)
        attendance = (
            Attendance.objects.select_for_update()
            .filter(session=session, employee=employee)
            .first()
        ) or Attendance(session=session, employee=employee)
        if attendance.checked_in_at is None and status in Attendance.ATTENDED:
            attendance.checked_in_at = min(timezone.now(), session.ends_at)
        if attendance.pk is None or status != attendance.status:
            attendance.method = Attendance.Method.INSTRUCTOR
        attendance.status = status
        attendance.left_at = left_at
        attendance.note = note.strip()[:255]
        attendance.marked_by = actor
        attendance.save()
        audit_record(
            actor=actor, action="sinau.attendance.mark", instance=attendance,
            data={"session": session.pk, "employee": employee.pk, "status": status},
        )  # fmt: skip
    return attendance


def _jenis_code(session: Session) -> int:
    series = session.series
    if series is not None:
        return series.jenis_diklat.code if series.jenis_diklat else JENIS_KOMUNITAS_BELAJAR
    return JENIS_JARAK_JAUH if session.mode == SessionMode.DARING else JENIS_KLASIKAL_LAINNYA


def _series_credited(series: Series, employee_id: int, year: int) -> Decimal:
    used = Attendance.objects.filter(
        session__series=series, employee_id=employee_id, session__starts_at__year=year
    ).aggregate(total=Sum("jp_credited"))["total"]
    return used or Decimal(0)


@transaction.atomic
def session_sign_off(*, actor: Employee, session: Session) -> Session:
    """The instructor closes the attendance list (the daftar hadir). An open session then
    credits its JP to each attendee, once, within its programme's yearly cap; a cohort's
    session may complete enrolments whose attendance now meets the course's minimum.
    Signing off twice changes nothing."""
    require_run(actor, session)
    # The programme first, then the session: sign-offs of one programme's sessions take
    # turns, so that two of them cannot both fill the same person's cap.
    series = (
        Series.objects.select_for_update().get(pk=session.series_id) if session.series_id else None
    )
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.signed_off_at is not None:
        return session
    if session.cancelled_at is not None:
        raise ValidationError(_("Sesi ini dibatalkan."))
    if timezone.now() < session.starts_at:
        raise ValidationError(_("Daftar hadir dapat ditandatangani setelah sesi dimulai."))
    session.signed_off_at = timezone.now()
    session.signed_off_by = actor
    session.save(update_fields=["signed_off_at", "signed_off_by", "updated_at"])
    audit_record(actor=actor, action="sinau.session.sign_off", instance=session)
    if session.credits_jp:
        _credit_attendees(actor=actor, session=session, series=series)
    elif session.cohort_id is not None:
        enrolments = Enrolment.objects.filter(
            cohort_id=session.cohort_id, status=Enrolment.Status.ACTIVE
        ).select_related("course", "employee")
        for enrolment in enrolments:
            completion_evaluate(enrolment=enrolment)
    return session


def _credit_attendees(*, actor: Employee, session: Session, series: Series | None) -> None:
    earned_on = timezone.localdate(session.starts_at)
    form = "non_klasikal" if session.mode == SessionMode.DARING else "klasikal"
    jenis = _jenis_code(session)
    attendances = Attendance.objects.select_for_update().filter(
        session=session, status__in=Attendance.ATTENDED, jp_credited__isnull=True
    )
    for attendance in attendances:
        grant = session.jp
        if series is not None and series.yearly_jp_cap is not None:
            room = series.yearly_jp_cap - _series_credited(
                series, attendance.employee_id, earned_on.year
            )
            grant = max(Decimal(0), min(grant, room))
        if grant > 0:
            jp_credit(
                employee_id=attendance.employee_id, jp=grant,
                competency_type=session.competency_type, form=form, jenis_code=jenis,
                source_type=JPEntry.Source.SESSION, source_id=attendance.pk,
                earned_on=earned_on, created_by=actor, note=session.title,
            )  # fmt: skip
        attendance.jp_credited = grant
        attendance.save(update_fields=["jp_credited", "updated_at"])
