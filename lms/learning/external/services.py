"""Training done outside Sinau: the learner submits it with evidence, a reviewer (the
learner's OPD admin, a BKPSDM auditor or a superuser) verifies it, which credits its JP once,
or rejects it with a reason, after which the learner may correct it and submit it again.

Every action is one transaction, names its actor and writes the audit log. Bad input raises
a ``ValidationError`` keyed by field, before anything is written: no row, no stored file.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from courses.models import CompetencyType, TrainingForm
from lms.core.audit import audit_record
from lms.core.files import file_save
from lms.learning.models import ExternalTraining, JenisDiklat, JPEntry
from lms.learning.services import jp_credit
from lms.people.models import Employee
from lms.people.selectors import Scope, scope_for

# The most one training may claim: a full-time month-long diklat is about 200 JP (45-minute
# hours); a larger figure is a typing slip, not a training.
MAX_JP = Decimal("200")
# No working ASN trained before this; an older date is a typing slip too.
EARLIEST = dt.date(1980, 1, 1)
# Duplicate flags kept on one record: enough for a reviewer to see the pattern.
MAX_FLAGS = 20

# What evidence may be: the kind read from the file's first bytes -> (stored suffix, type).
EVIDENCE_KINDS: dict[str, tuple[str, str]] = {
    "pdf": ("pdf", "application/pdf"),
    "jpeg": ("jpg", "image/jpeg"),
    "png": ("png", "image/png"),
    "webp": ("webp", "image/webp"),
}
EVIDENCE_SUFFIXES = {"pdf", "jpg", "jpeg", "png", "webp"}
REVIEW_FIELDS = ["status", "reviewed_by", "reviewed_at", "review_note", "updated_at"]


@dataclass(frozen=True)
class ExternalDetails:
    """What the learner says about the training; the evidence travels beside it."""

    title: str
    organiser: str
    jenis: JenisDiklat | None
    started_on: dt.date
    ended_on: dt.date
    jp: Decimal
    competency_type: str
    form: str
    certificate_number: str = ""


# --- Rules ---------------------------------------------------------------------------------


def certificate_key(number: str) -> str:
    """A certificate number reduced to its letters and digits, upper-cased, so that
    "800/12.3-BKPSDM" and "800 123 bkpsdm" are the same certificate."""
    folded = unicodedata.normalize("NFKC", number).upper()
    return re.sub(r"[^0-9A-Z]", "", folded)[:100]


def title_key(title: str) -> str:
    """A title compared without case, punctuation or spacing."""
    return " ".join(re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", title).casefold()).split())


def evidence_kind(head: bytes) -> str | None:
    """The evidence kind from a file's first bytes (its magic number), or None: the name a
    file carries says nothing about what it is."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _megabytes(size: int) -> str:
    return formats.number_format(Decimal(size) / (1024 * 1024), decimal_pos=1, use_l10n=True)


def evidence_check(upload: Any) -> str:
    """The kind of an uploaded evidence file, or a ``ValidationError`` saying why it is not
    acceptable: the size first (cheap), then the name, then the content itself."""
    size = getattr(upload, "size", None) or 0
    limit = settings.SINAU_EVIDENCE_MAX_BYTES
    if size <= 0:
        raise ValidationError(_("Berkas bukti kosong. Pilih berkas PDF atau foto sertifikat."))
    if size > limit:
        raise ValidationError(
            _("Berkas bukti terlalu besar (%(size)s MB); paling besar %(limit)s MB.")
            % {"size": _megabytes(size), "limit": _megabytes(limit)}
        )
    name = os.path.basename(getattr(upload, "name", "") or "")
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in EVIDENCE_SUFFIXES:
        raise ValidationError(
            _("Berkas bukti harus PDF atau gambar JPG, PNG atau WebP (bukan .%(suffix)s).")
            % {"suffix": suffix or "?"}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = evidence_kind(head)
    if kind is None:
        raise ValidationError(
            _(
                "Isi berkas %(name)s bukan PDF atau gambar JPG, PNG atau WebP yang sah, "
                "walaupun namanya berakhiran .%(suffix)s. Pindai atau simpan ulang sertifikat "
                "sebagai PDF atau foto, lalu unggah lagi."
            )
            % {"name": name, "suffix": suffix}
        )
    return kind


def _check(details: ExternalDetails) -> dict[str, list[str]]:
    """Every rule a submission must meet, by field, so the form shows all of them at once."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not details.title.strip():
        add("title", _("Isi nama pelatihan."))
    if not details.organiser.strip():
        add("organiser", _("Isi penyelenggara pelatihan."))
    today = timezone.localdate()
    if details.started_on > details.ended_on:
        add("ended_on", _("Tanggal selesai tidak boleh sebelum tanggal mulai."))
    if details.ended_on > today:
        add(
            "ended_on",
            _(
                "Pelatihan yang belum selesai belum dapat dicatat; "
                "tanggal selesai paling lambat hari ini."
            ),
        )
    elif details.started_on > today:
        add("started_on", _("Tanggal mulai tidak boleh di masa depan."))
    if details.started_on < EARLIEST:
        add(
            "started_on",
            _("Tanggal mulai tidak boleh sebelum %(date)s.")
            % {"date": formats.date_format(EARLIEST, "DATE_FORMAT")},
        )
    if details.jp <= 0:
        add("jp", _("JP harus lebih dari nol."))
    elif details.jp > MAX_JP:
        add("jp", _("JP paling banyak %(max)s untuk satu pelatihan.") % {"max": MAX_JP})
    elif details.jp != details.jp.quantize(Decimal("0.01")):
        add("jp", _("JP paling banyak dua angka di belakang koma."))
    if details.competency_type not in CompetencyType.values:
        add("competency_type", _("Pilih jenis kompetensi."))
    if details.form not in TrainingForm.values:
        add("form", _("Pilih bentuk pelatihan: klasikal atau non-klasikal."))
    return errors


def _apply(record: ExternalTraining, details: ExternalDetails) -> None:
    record.title = details.title.strip()[:255]
    record.organiser = details.organiser.strip()[:255]
    record.jenis = details.jenis
    record.started_on = details.started_on
    record.ended_on = details.ended_on
    record.jp = details.jp
    record.competency_type = details.competency_type
    record.form = details.form
    record.certificate_number = details.certificate_number.strip()[:100]
    record.certificate_key = certificate_key(record.certificate_number)


def duplicate_candidates(record: ExternalTraining) -> Q:
    """Records that may be this one again: the same certificate (whoever holds it: a
    certificate belongs to one person), or the same employee with the same dates (titles
    compared by ``title_key`` after the query)."""
    q = Q(employee_id=record.employee_id, started_on=record.started_on, ended_on=record.ended_on)
    if record.certificate_key:
        q |= Q(certificate_key=record.certificate_key)
    return q


def duplicate_reasons(record: ExternalTraining, other: ExternalTraining) -> list[str]:
    reasons = []
    if record.certificate_key and other.certificate_key == record.certificate_key:
        reasons.append("certificate")
    if (
        other.employee_id == record.employee_id
        and (other.started_on, other.ended_on) == (record.started_on, record.ended_on)
        and title_key(other.title) == title_key(record.title)
    ):
        reasons.append("training")
    return reasons


def _find_duplicates(record: ExternalTraining) -> list[int]:
    others = (
        ExternalTraining.objects.filter(duplicate_candidates(record))
        .exclude(status=ExternalTraining.Status.REJECTED)
        .only("pk", "employee_id", "title", "started_on", "ended_on", "certificate_key")
        .order_by("pk")
    )
    if record.pk:
        others = others.exclude(pk=record.pk)
    return [o.pk for o in others if duplicate_reasons(record, o)][:MAX_FLAGS]


def _validated(record: ExternalTraining, details: ExternalDetails, evidence: Any) -> str | None:
    """Check the details and the evidence (if any) together; the evidence kind."""
    errors = _check(details)
    kind = None
    if evidence is not None:
        try:
            kind = evidence_check(evidence)
        except ValidationError as exc:
            errors.setdefault("evidence", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    _apply(record, details)
    # The model's own rules (lengths, constraints); the evidence is checked above, and the
    # jenis may be missing where the reference table is (a flushed test database).
    exclude = ["evidence", "submitted_at"] + (["jenis"] if details.jenis is None else [])
    record.full_clean(exclude=exclude)
    return kind


def _store(
    record: ExternalTraining, *, actor: Employee, evidence: Any, kind: str, audit: dict[str, Any]
) -> None:
    """Save the row, its evidence file and the audit entry; a failure anywhere leaves no file
    behind (the row goes with the transaction)."""
    stored = ""
    try:
        with transaction.atomic():
            if evidence is not None:
                suffix = EVIDENCE_KINDS[kind][0]
                # The stored name gets the suffix of what the file is, not of what it was called.
                file_save(record.evidence, f"bukti.{suffix}", File(evidence))
                stored = record.evidence.name or ""
                record.evidence_name = os.path.basename(evidence.name or "")[:255]
            record.save()
            audit_record(
                actor=actor, action="sinau.external.submit", instance=record,
                data={**audit, "duplicates": record.duplicate_of, "jp": str(record.jp)},
            )  # fmt: skip
    except BaseException:
        if stored:
            record.evidence.storage.delete(stored)
        raise


# --- The learner's actions -----------------------------------------------------------------


def external_submit(
    *, actor: Employee, details: ExternalDetails, evidence: Any
) -> ExternalTraining:
    """The learner records a training done elsewhere, with its evidence. Likely duplicates
    are flagged for the reviewer, not refused: a flag is a question, not an answer."""
    if evidence is None:
        raise ValidationError({"evidence": [_("Unggah bukti: sertifikat atau STTPP.")]})
    record = ExternalTraining(employee=actor, submitted_at=timezone.now())
    kind = _validated(record, details, evidence)
    assert kind is not None  # evidence_check returned a kind or raised
    record.duplicate_of = _find_duplicates(record)
    _store(record, actor=actor, evidence=evidence, kind=kind, audit={"submission": 1})
    return record


def external_resubmit(
    *, actor: Employee, record: ExternalTraining, details: ExternalDetails, evidence: Any = None
) -> ExternalTraining:
    """The learner corrects a rejected record and submits it again; without a new file the
    old evidence stays. Verified and waiting records are not the learner's to change."""
    if record.employee_id != actor.pk:
        raise PermissionDenied(_("Ini bukan catatan pelatihan Anda."))
    # Checked on a copy, so that a refusal leaves the caller's object as it was.
    draft = ExternalTraining(employee=actor, submitted_at=timezone.now())
    kind = _validated(draft, details, evidence)
    with transaction.atomic():
        locked = ExternalTraining.objects.select_for_update().get(pk=record.pk)
        if locked.status != ExternalTraining.Status.REJECTED:
            raise ValidationError(resubmit_refusal(locked))
        previous_evidence = locked.evidence.name
        _apply(locked, details)
        locked.status = ExternalTraining.Status.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.submissions += 1
        locked.reviewed_by = None
        locked.reviewed_at = None
        locked.review_note = ""
        locked.duplicate_of = _find_duplicates(locked)
        audit = {"submission": locked.submissions}
        if evidence is not None:
            # The rejected evidence stays in storage and its name in the log: what was shown
            # before may matter to a later audit.
            audit["previous_evidence"] = previous_evidence
        _store(locked, actor=actor, evidence=evidence, kind=kind or "", audit=audit)
    return locked


def resubmit_refusal(record: ExternalTraining) -> str:
    if record.status == ExternalTraining.Status.VERIFIED:
        return _(
            "Catatan yang sudah terverifikasi tidak dapat diubah. Bila ada kesalahan, "
            "hubungi admin OPD Anda: JP-nya dikoreksi di Buku JP."
        )
    return _("Catatan ini sedang menunggu verifikasi dan belum dapat diubah.")


# --- The reviewer's actions ----------------------------------------------------------------


def reviewer_covers(scope: Scope, record: ExternalTraining) -> bool:
    """Whether a reviewer with this scope may see and decide the record: an OPD admin in
    their subtree, an auditor or superuser everywhere (auditors verify; that is their one
    change)."""
    if not scope.is_admin_scope:
        return False
    org_unit = record.employee.org_unit
    return scope.covers_path(org_unit.path if org_unit is not None else "")


def _require_reviewer(actor: Employee, record: ExternalTraining) -> None:
    if not reviewer_covers(scope_for(actor), record):
        raise PermissionDenied(_("Catatan pelatihan ini di luar lingkup Anda."))
    if record.employee_id == actor.pk:
        raise PermissionDenied(
            _("Anda tidak dapat memverifikasi atau menolak pelatihan Anda sendiri.")
        )


def _decided_refusal(record: ExternalTraining) -> str:
    who = record.reviewed_by.name_with_gelar if record.reviewed_by else _("pemeriksa lain")
    when = (
        formats.date_format(timezone.localtime(record.reviewed_at), "DATETIME_FORMAT")
        if record.reviewed_at
        else ""
    )
    if record.status == ExternalTraining.Status.VERIFIED:
        return _("Catatan ini sudah diverifikasi oleh %(who)s pada %(when)s.") % {
            "who": who,
            "when": when,
        }
    return _("Catatan ini sudah ditolak oleh %(who)s pada %(when)s.") % {"who": who, "when": when}


def external_verify(
    *, actor: Employee, record: ExternalTraining, note: str = ""
) -> ExternalTraining:
    """The reviewer accepts the record: its JP go into the ledger in the same transaction,
    once, however many reviewers click at the same moment (the row is locked, and the
    ledger's unique constraint stands behind the lock)."""
    _require_reviewer(actor, record)
    note = note.strip()[:1000]
    with transaction.atomic():
        locked = (
            ExternalTraining.objects.select_for_update(of=("self",))
            .select_related("jenis", "reviewed_by")
            .get(pk=record.pk)
        )
        if locked.status != ExternalTraining.Status.SUBMITTED:
            raise ValidationError(_decided_refusal(locked))
        locked.status = ExternalTraining.Status.VERIFIED
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.review_note = note
        locked.save(update_fields=REVIEW_FIELDS)
        entry, _created = jp_credit(
            employee_id=locked.employee_id, jp=locked.jp,
            competency_type=locked.competency_type, form=locked.form,
            source_type=JPEntry.Source.EXTERNAL, source_id=locked.pk,
            earned_on=locked.ended_on, created_by=actor,
            jenis_code=locked.jenis.code if locked.jenis else None, note=locked.title,
        )  # fmt: skip
        audit_record(
            actor=actor, action="sinau.external.verify", instance=locked, reason=note,
            data={"jp": str(locked.jp), "entry": entry.pk, "employee": locked.employee_id},
        )  # fmt: skip
    return locked


def external_reject(*, actor: Employee, record: ExternalTraining, reason: str) -> ExternalTraining:
    """The reviewer sends the record back with a reason the learner reads; the learner may
    correct it and submit it again. A verified record is corrected in the ledger instead."""
    _require_reviewer(actor, record)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Tuliskan alasan penolakan untuk pegawai.")]})
    with transaction.atomic():
        locked = (
            ExternalTraining.objects.select_for_update(of=("self",))
            .select_related("reviewed_by")
            .get(pk=record.pk)
        )
        if locked.status == ExternalTraining.Status.VERIFIED:
            raise ValidationError(
                _(
                    "Catatan ini sudah terverifikasi dan JP-nya sudah dikreditkan, sehingga "
                    "tidak dapat ditolak di sini. Untuk mengoreksinya, batalkan entri JP-nya "
                    "di Buku JP dengan alasan (entri pembatalan)."
                )
            )
        if locked.status != ExternalTraining.Status.SUBMITTED:
            raise ValidationError(_decided_refusal(locked))
        locked.status = ExternalTraining.Status.REJECTED
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.review_note = reason[:1000]
        locked.save(update_fields=REVIEW_FIELDS)
        audit_record(
            actor=actor, action="sinau.external.reject", instance=locked, reason=reason,
            data={"employee": locked.employee_id, "submission": locked.submissions},
        )  # fmt: skip
    return locked
