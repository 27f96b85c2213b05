"""Mentoring and induction: an OPD admin pairs a mentor with a mentee, the mentor logs
sessions and signs off, the admin approves (crediting the mentee once) or sends it back.

Each action is one transaction, re-reads the assignment under a row lock, and writes the
audit log inside that transaction, so an action and its record never part.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from courses.models import CompetencyType, TrainingForm
from lms.core.audit import audit_record
from lms.learning.models import JenisDiklat, JPEntry, MentoringAssignment, MentoringSession
from lms.learning.services import jp_credit
from lms.people.models import Employee
from lms.people.nip import normalise_nip
from lms.people.selectors import Scope, scope_for

Status = MentoringAssignment.Status

# SIASN jenis diklat that describe workplace coaching; mentoring is the default.
JENIS_MENTORING = 15
JENIS_CHOICES = (14, 15, 24)  # coaching, mentoring, bimbingan di tempat kerja

# One assignment is a few months of coaching, not a year's training budget: above this is
# almost certainly a typo (400 for 4,00), and the ledger cannot be edited afterwards.
MAX_JP = Decimal("60")
MAX_PERIOD_DAYS = 366
MIN_SESSION_MINUTES = 15
MAX_SESSION_MINUTES = 480  # a working day; also the most one assignment may log per day
MAX_TEXT = 5000
MINUTES_PER_JP = 45

OPEN_STATUSES = (Status.ACTIVE, Status.SIGNED_OFF)

SEND_BACK_ACTION = "sinau.mentoring.send_back"


def _date(day: dt.date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _unit_path(employee: Employee) -> str:
    return employee.org_unit.path if employee.org_unit_id and employee.org_unit else ""


def _require_change_over(actor: Employee, assignment: MentoringAssignment) -> Scope:
    """The mentee's OPD admin, or a superuser. The mentee's OPD owns an assignment: the hours
    are theirs. Auditors read but do not decide mentoring."""
    scope = scope_for(actor)
    if not scope.can_change:
        raise PermissionDenied(_("Anda tidak berwenang mengubah pembimbingan."))
    if not scope.covers_path(_unit_path(assignment.mentee)):
        raise PermissionDenied(_("Pembimbingan ini di luar lingkup OPD Anda."))
    return scope


def _locked(assignment: MentoringAssignment) -> MentoringAssignment:
    return (
        MentoringAssignment.objects.select_for_update(of=("self",))
        .select_related("mentor", "mentee__org_unit", "jenis")
        .get(pk=assignment.pk)
    )


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    if len(value) > MAX_TEXT:
        raise ValidationError(
            {field: _("Paling banyak %(max)d karakter.") % {"max": MAX_TEXT}}
        )  # fmt: skip
    return value


def _find_in_scope(scope: Scope, nip: str, field: str, who: str) -> Employee:
    """An active employee inside the admin's scope. Out of scope and non-existent read the
    same, so a neighbour OPD's NIPs cannot be probed from this form."""
    nip = normalise_nip(nip)
    employee = (
        Employee.objects.active().filter(nip=nip).select_related("org_unit").first()
        if nip
        else None
    )
    if employee is None or not scope.covers_path(_unit_path(employee)):
        raise ValidationError(
            {
                field: _(
                    "%(who)s dengan NIP %(nip)s tidak ditemukan sebagai pegawai aktif dalam "
                    "lingkup OPD Anda. %(who)s harus pegawai aktif di OPD Anda; untuk %(lower)s "
                    "dari OPD lain, mintalah BKPSDM menugaskannya."
                )
                % {"who": who, "lower": who.lower(), "nip": nip or "—"}
            }
        )
    return employee


def _jenis(jenis: JenisDiklat | None) -> JenisDiklat | None:
    """The chosen jenis, else SIASN's "Mentoring" when the reference table holds it."""
    if jenis is not None:
        if jenis.code not in JENIS_CHOICES:
            raise ValidationError(
                {
                    "jenis": _(
                        "Pilih jenis diklat coaching, mentoring, atau bimbingan di tempat kerja."
                    )
                }
            )
        return jenis
    return JenisDiklat.objects.filter(code=JENIS_MENTORING).first()


def _same_topic(topic: str) -> str:
    return " ".join(topic.split()).casefold()


def mentoring_assign(
    *,
    actor: Employee,
    mentor_nip: str,
    mentee_nip: str,
    topic: str,
    jp: Decimal,
    competency_type: str,
    starts_on: dt.date,
    ends_on: dt.date,
    jenis: JenisDiklat | None = None,
) -> MentoringAssignment:
    """Pair a mentor with a mentee for a topic, JP and period. Both must be active employees
    in the admin's scope; the admin may be the mentor but not the mentee (nobody assigns
    hours to themself)."""
    scope = scope_for(actor)
    if not scope.can_change:
        raise PermissionDenied(_("Anda tidak berwenang menugaskan pembimbingan."))
    errors: dict[str, str] = {}
    topic = " ".join((topic or "").split())
    if not topic:
        errors["topic"] = _("Isi topik pembimbingan.")
    elif len(topic) > 255:
        errors["topic"] = _("Topik paling banyak 255 karakter.")
    if not isinstance(jp, Decimal) or not jp.is_finite() or jp <= 0:
        errors["jp"] = _("JP harus lebih dari nol.")
    elif jp > MAX_JP:
        errors["jp"] = _("JP satu pembimbingan paling banyak %(max)s.") % {"max": MAX_JP}
    elif jp != jp.quantize(Decimal("0.01")):
        errors["jp"] = _("JP paling banyak dua angka di belakang koma.")
    if competency_type not in CompetencyType.values:
        errors["competency_type"] = _("Pilih jenis kompetensi.")
    if ends_on < starts_on:
        errors["ends_on"] = _("Tanggal selesai tidak boleh sebelum tanggal mulai.")
    elif (ends_on - starts_on).days >= MAX_PERIOD_DAYS:
        errors["ends_on"] = _("Masa pembimbingan paling lama satu tahun.")
    if errors:
        raise ValidationError(errors)
    mentor = _find_in_scope(scope, mentor_nip, "mentor_nip", _("Mentor"))
    mentee = _find_in_scope(scope, mentee_nip, "mentee_nip", _("Peserta bimbingan"))
    if mentor.pk == mentee.pk:
        raise ValidationError({"mentee_nip": _("Mentor dan peserta bimbingan harus berbeda.")})
    if mentee.pk == actor.pk:
        raise ValidationError(
            {"mentee_nip": _("Anda tidak dapat menugaskan pembimbingan untuk diri sendiri.")}
        )
    chosen_jenis = _jenis(jenis)
    with transaction.atomic():
        # The mentee's row is the lock: two admins assigning the same pairing at once are
        # decided one after the other, so the duplicate check below sees the first.
        Employee.objects.select_for_update().filter(pk=mentee.pk).first()
        open_topics = MentoringAssignment.objects.filter(
            mentor=mentor, mentee=mentee, status__in=OPEN_STATUSES
        ).values_list("topic", flat=True)
        if any(_same_topic(t) == _same_topic(topic) for t in open_topics):
            raise ValidationError(
                {
                    "topic": _(
                        "%(mentor)s sudah membimbing %(mentee)s dengan topik ini dan belum selesai."
                    )
                    % {"mentor": mentor.name_with_gelar, "mentee": mentee.name_with_gelar}
                }
            )
        assignment = MentoringAssignment(
            mentor=mentor, mentee=mentee, topic=topic, jp=jp, competency_type=competency_type,
            jenis=chosen_jenis, starts_on=starts_on, ends_on=ends_on, status=Status.ACTIVE,
            assigned_by=actor,
        )  # fmt: skip
        assignment.full_clean()
        assignment.save()
        audit_record(
            actor=actor, action="sinau.mentoring.assign", instance=assignment,
            data={
                "mentor": mentor.nip, "mentee": mentee.nip, "topic": topic, "jp": str(jp),
                "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(),
            },
        )  # fmt: skip
    return assignment


def _require_mentor(actor: Employee, assignment: MentoringAssignment) -> None:
    if assignment.mentor_id != actor.pk:
        raise PermissionDenied(_("Hanya mentor pembimbingan ini yang dapat melakukannya."))


def mentoring_session_log(
    *,
    actor: Employee,
    assignment: MentoringAssignment,
    held_on: dt.date,
    minutes: int,
    notes: str,
) -> MentoringSession:
    """The mentor records one meeting: inside the period, not in the future, 15 minutes to
    a working day, with what was worked on."""
    _require_mentor(actor, assignment)
    notes = _text(notes, "notes", _("Tuliskan catatan sesi: apa yang dibahas dan hasilnya."))
    if not isinstance(minutes, int) or not (MIN_SESSION_MINUTES <= minutes <= MAX_SESSION_MINUTES):
        raise ValidationError(
            {
                "minutes": _("Durasi sesi antara %(min)d dan %(max)d menit.")
                % {"min": MIN_SESSION_MINUTES, "max": MAX_SESSION_MINUTES}
            }
        )
    with transaction.atomic():
        assignment = _locked(assignment)
        if assignment.status != Status.ACTIVE:
            raise ValidationError(
                _("Sesi hanya dapat dicatat selama pembimbingan berjalan (status: %(status)s).")
                % {"status": assignment.get_status_display()}
            )
        if held_on > timezone.localdate():
            raise ValidationError({"held_on": _("Tanggal sesi tidak boleh di masa depan.")})
        if not (assignment.starts_on <= held_on <= assignment.ends_on):
            raise ValidationError(
                {
                    "held_on": _("Tanggal sesi harus dalam masa pembimbingan, %(start)s–%(end)s.")
                    % {"start": _date(assignment.starts_on), "end": _date(assignment.ends_on)}
                }
            )
        that_day = assignment.sessions.filter(held_on=held_on).aggregate(m=Sum("minutes"))["m"] or 0
        if that_day + minutes > MAX_SESSION_MINUTES:
            raise ValidationError(
                {
                    "minutes": _(
                        "Sesi pada tanggal ini sudah %(logged)d menit; sehari paling banyak "
                        "%(max)d menit."
                    )
                    % {"logged": that_day, "max": MAX_SESSION_MINUTES}
                }
            )
        session = MentoringSession(
            assignment=assignment, held_on=held_on, minutes=minutes, notes=notes, logged_by=actor
        )
        session.full_clean()
        session.save()
        audit_record(
            actor=actor, action="sinau.mentoring.session", instance=assignment,
            data={"session": session.pk, "held_on": held_on.isoformat(), "minutes": minutes},
        )  # fmt: skip
    return session


def mentoring_sign_off(
    *, actor: Employee, assignment: MentoringAssignment, summary: str
) -> MentoringAssignment:
    """The mentor declares the mentoring done, with a summary, once a session is logged.
    From here the sessions are frozen until the admin approves or sends it back."""
    _require_mentor(actor, assignment)
    summary = _text(summary, "summary", _("Tuliskan ringkasan hasil pembimbingan."))
    with transaction.atomic():
        assignment = _locked(assignment)
        if assignment.status != Status.ACTIVE:
            raise ValidationError(
                _("Pembimbingan ini tidak dapat ditandatangani (status: %(status)s).")
                % {"status": assignment.get_status_display()}
            )
        if not assignment.sessions.exists():
            raise ValidationError(
                _("Catat setidaknya satu sesi sebelum menandatangani pembimbingan.")
            )
        assignment.status = Status.SIGNED_OFF
        assignment.signed_off_at = timezone.now()
        assignment.mentor_summary = summary
        assignment.save(update_fields=["status", "signed_off_at", "mentor_summary", "updated_at"])
        audit_record(
            actor=actor, action="sinau.mentoring.sign_off", instance=assignment,
            data={"sessions": assignment.sessions.count()},
        )  # fmt: skip
    return assignment


def credit_date(assignment: MentoringAssignment) -> dt.date:
    """The day the hours count as earned: the mentor's sign-off (local date), which closes the
    mentoring, but never after the period's end. The approval date is not used: an admin's
    delay must not move hours into another year; nor is a late sign-off (a December mentoring
    signed in January), which would credit a year in which no session was held."""
    if assignment.signed_off_at is None:  # approval requires a sign-off; kept total anyway
        return assignment.ends_on
    return min(timezone.localdate(assignment.signed_off_at), assignment.ends_on)


def mentoring_approve(
    *, actor: Employee, assignment: MentoringAssignment, note: str = ""
) -> tuple[MentoringAssignment, JPEntry]:
    """The mentee's OPD admin approves a signed-off mentoring: the mentee is credited its JP
    in the same transaction, exactly once (the row lock orders concurrent approvals; the
    ledger's unique constraint backs it)."""
    _require_change_over(actor, assignment)
    if actor.pk in (assignment.mentor_id, assignment.mentee_id):
        raise PermissionDenied(
            _("Mentor atau peserta tidak dapat menyetujui pembimbingannya sendiri.")
        )
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise ValidationError(
            {"note": _("Catatan paling banyak %(max)d karakter.") % {"max": MAX_TEXT}}
        )
    with transaction.atomic():
        assignment = _locked(assignment)
        if assignment.status == Status.APPROVED:
            raise ValidationError(_("Pembimbingan ini sudah disetujui; JP sudah dikreditkan."))
        if assignment.status != Status.SIGNED_OFF:
            raise ValidationError(
                _("Hanya pembimbingan yang sudah ditandatangani mentor yang dapat disetujui.")
            )
        entry, _created = jp_credit(
            employee_id=assignment.mentee_id, jp=assignment.jp,
            competency_type=assignment.competency_type, form=TrainingForm.NON_KLASIKAL,
            source_type=JPEntry.Source.MENTORING, source_id=assignment.pk,
            earned_on=credit_date(assignment), created_by=actor,
            jenis_code=assignment.jenis.code if assignment.jenis else None,
            note=assignment.topic,
        )  # fmt: skip
        assignment.status = Status.APPROVED
        assignment.decided_by = actor
        assignment.decided_at = timezone.now()
        assignment.decision_note = note
        assignment.save(
            update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"]
        )
        audit_record(
            actor=actor, action="sinau.mentoring.approve", instance=assignment, reason=note,
            data={"jp": str(assignment.jp), "entry": entry.pk, "mentee": assignment.mentee.nip},
        )  # fmt: skip
    return assignment, entry


def _reason(reason: str, message: str) -> str:
    return _text(reason, "reason", message)


def mentoring_send_back(
    *, actor: Employee, assignment: MentoringAssignment, reason: str
) -> MentoringAssignment:
    """Refuse the sign-off for now: back to the mentor (active again) with the reason, to log
    what is missing and sign off again."""
    _require_change_over(actor, assignment)
    reason = _reason(reason, _("Tuliskan alasan pengembalian untuk mentor."))
    with transaction.atomic():
        assignment = _locked(assignment)
        if assignment.status != Status.SIGNED_OFF:
            raise ValidationError(
                _("Hanya pembimbingan yang menunggu persetujuan yang dapat dikembalikan.")
            )
        assignment.status = Status.ACTIVE
        assignment.signed_off_at = None
        assignment.decided_by = actor
        assignment.decided_at = timezone.now()
        assignment.decision_note = reason
        assignment.save(
            update_fields=[
                "status", "signed_off_at", "decided_by", "decided_at", "decision_note",
                "updated_at",
            ]
        )  # fmt: skip
        audit_record(actor=actor, action=SEND_BACK_ACTION, instance=assignment, reason=reason)
    return assignment


def mentoring_cancel(
    *, actor: Employee, assignment: MentoringAssignment, reason: str
) -> MentoringAssignment:
    """Stop a mentoring that will not be completed (the mentor moved, the mentee left). An
    approved one is credited already: its hours are corrected in the ledger, not here."""
    _require_change_over(actor, assignment)
    reason = _reason(reason, _("Tuliskan alasan pembatalan."))
    with transaction.atomic():
        assignment = _locked(assignment)
        if assignment.status == Status.APPROVED:
            raise ValidationError(
                _("Pembimbingan yang sudah disetujui tidak dapat dibatalkan; JP-nya dikoreksi "
                  "dengan entri pembalik di buku JP.")
            )  # fmt: skip
        if assignment.status == Status.CANCELLED:
            raise ValidationError(_("Pembimbingan ini sudah dibatalkan."))
        assignment.status = Status.CANCELLED
        assignment.decided_by = actor
        assignment.decided_at = timezone.now()
        assignment.decision_note = reason
        assignment.save(
            update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"]
        )
        audit_record(
            actor=actor, action="sinau.mentoring.cancel", instance=assignment, reason=reason
        )
    return assignment
