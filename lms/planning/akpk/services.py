"""The yearly AKPK of each employee and its workflow.

    draft (the employee assesses themself) -> self_submitted (waits for the atasan)
      -> assessed (the atasan's levels, priorities and development notes)
    the atasan may send it back to draft with a reason, and amend an assessed one.

Who assesses: the atasan langsung recorded on the AKPK when it was submitted, or the
employee's atasan langsung now (the two differ only when the OPD admin changed the atasan
after submission; the queue shows both). When neither is an active account, an OPD admin
who may change the AKPK's OPD assesses in their place, so that an AKPK never waits on a
person who has left.

An OPD admin sends the OPD's AKPK for a year to BKPSDM (``opd_submit``); while that
submission stands every change to the OPD's AKPKs for the year is refused, until BKPSDM
returns it (``opd_return``). Assessment-centre results arrive in bulk (``centre_import_run``)
and outrank both the supervisor's and the employee's levels.

Every action is one transaction, names its actor and writes the audit log where the state
changes. Bad input raises ``ValidationError`` before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from lms.core.audit import audit_record
from lms.people.importing import ImportFileError, column_map, iter_table
from lms.people.models import Employee, OrgUnit
from lms.people.nip import normalise_nip
from lms.people.selectors import Scope, scope_for
from lms.planning.models import (
    AKPK,
    AKPKItem,
    AKPKSubmission,
    CentreImport,
    Competency,
    JabatanStandard,
    PerformanceRating,
    Priority,
    jabatan_key,
)
from lms.planning.permissions import require_bkpsdm
from lms.planning.selectors import jabatan_standard

# PP 11/2017 made the yearly AKPK what it is now; an earlier year is a typing slip.
FIRST_YEAR = 2017
NOTE_MAX = 2000
DEVELOPMENT_NOTE_MAX = 500
# What one assessment-centre file may hold: a Pemda's whole staff times a handful of
# competencies fits; a bigger file is a wrong export, refused before any row is read.
CENTRE_MAX_BYTES = 10 * 1024 * 1024
CENTRE_MAX_ROWS = 20_000
CENTRE_MAX_ERRORS = 500
ITEM_LEVEL_FIELDS = ["current_level", "current_source", "gap"]


# --- Rules ---------------------------------------------------------------------------------


def current_year() -> int:
    """This year in the Pemda's zone (Asia/Jakarta by default)."""
    return timezone.localdate().year


def year_check(year: Any) -> int:
    """The year as an int, or a ``ValidationError``: from 2017 to next year (an AKPK is
    often drawn up late in the year before the one it plans)."""
    last = current_year() + 1
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= last:
        raise ValidationError(
            _("Tahun AKPK harus antara %(first)s dan %(last)s.")
            % {"first": FIRST_YEAR, "last": last}
        )
    return year


def level_check(value: Any, competency: Competency | None = None) -> int | None:
    """A level 1-5 as an int; None for no level; a ``ValidationError`` for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        level = None
    elif isinstance(value, int):
        level = value
    elif isinstance(value, str) and value.strip().isdigit():
        level = int(value.strip())
    else:
        level = None
    if level is None or not 1 <= level <= 5:
        if competency is not None:
            raise ValidationError(
                _("Level %(value)s untuk %(competency)s tidak sah: pilih level 1 sampai 5.")
                % {"value": str(value)[:20], "competency": competency.name}
            )
        raise ValidationError(
            _("Level %(value)s tidak sah: pilih level 1 sampai 5.") % {"value": str(value)[:20]}
        )
    return level


def default_priority(gap: int | None) -> str:
    """The priority a gap suggests: two levels or more short is urgent, one is not."""
    if gap is None or gap <= 0:
        return ""
    return Priority.HIGH if gap >= 2 else Priority.MEDIUM


def opd_of(employee: Employee) -> OrgUnit | None:
    unit = employee.org_unit
    return unit.opd_node() if unit is not None else None


def submission_standing(opd_id: int | None, year: int) -> AKPKSubmission | None:
    if opd_id is None:
        return None
    return AKPKSubmission.objects.filter(
        opd_id=opd_id, year=year, status=AKPKSubmission.Status.SUBMITTED
    ).first()


def locked_message() -> str:
    return _(
        "AKPK OPD ini sudah dikirim ke BKPSDM, sehingga tidak dapat diubah. Bila ada yang "
        "perlu diperbaiki, minta BKPSDM mengembalikan AKPK OPD."
    )


def _refuse_if_locked(akpk: AKPK) -> None:
    if submission_standing(akpk.opd_id, akpk.year) is not None:
        raise ValidationError(locked_message())


def _status_refusal(akpk: AKPK) -> str:
    if akpk.status == AKPK.Status.SELF_SUBMITTED:
        return _("AKPK ini sudah diajukan dan menunggu penilaian atasan.")
    if akpk.status == AKPK.Status.ASSESSED:
        return _("AKPK ini sudah dinilai atasan.")
    return _("AKPK ini masih diisi pegawai dan belum diajukan ke atasan.")


def _active_other(person: Employee | None, employee_id: int) -> bool:
    return person is not None and person.is_active and person.pk != employee_id


def assessor_ids(akpk: AKPK) -> set[int]:
    """The atasan who may assess: the one recorded on the AKPK and the employee's atasan now,
    when they are active accounts other than the employee."""
    people = (akpk.supervisor, akpk.employee.supervisor)
    return {p.pk for p in people if p is not None and _active_other(p, akpk.employee_id)}


def _admin_covers(scope: Scope, akpk: AKPK) -> bool:
    unit = akpk.org_unit or akpk.opd
    return scope.can_change and unit is not None and scope.covers_path(unit.path)


def can_assess(actor: Employee, akpk: AKPK, scope: Scope | None = None) -> bool:
    """Whether the actor may assess (and send back) this AKPK: its atasan; or, when it has no
    active atasan, an OPD admin who may change its OPD. Never the employee themself."""
    if actor.pk == akpk.employee_id or not actor.is_active:
        return False
    assessors = assessor_ids(akpk)
    if assessors:
        return actor.pk in assessors
    return _admin_covers(scope or scope_for(actor), akpk)


def _require_assessor(actor: Employee, akpk: AKPK) -> None:
    if not can_assess(actor, akpk):
        raise PermissionDenied(_("Anda bukan atasan penilai AKPK ini."))


def _locked_akpk(akpk: AKPK) -> AKPK:
    """The AKPK row, locked for this transaction, with the people the rules look at."""
    return (
        AKPK.objects.select_for_update(of=("self",))
        .select_related("employee", "employee__supervisor", "supervisor", "org_unit", "opd")
        .get(pk=akpk.pk)
    )


def _items(akpk: AKPK) -> list[AKPKItem]:
    return list(akpk.items.select_related("competency"))


def _parse_levels(levels: Mapping[Any, Any], by_id: dict[int, AKPKItem]) -> dict[int, int]:
    """Posted levels (item id -> level) checked against the AKPK's items: every message at
    once, so the page shows them all."""
    errors: list[str] = []
    parsed: dict[int, int] = {}
    for key, value in levels.items():
        try:
            item_id = int(key)
        except (TypeError, ValueError):
            item_id = -1
        item = by_id.get(item_id)
        if item is None:
            errors.append(_("Kompetensi yang dinilai bukan bagian dari AKPK ini."))
            continue
        try:
            level = level_check(value, item.competency)
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if level is not None:
            parsed[item_id] = level
    if errors:
        raise ValidationError(sorted(set(errors), key=errors.index))
    return parsed


def _names(items: Iterable[AKPKItem]) -> str:
    return ", ".join(f"{i.competency.code} {i.competency.name}" for i in items)


# --- Opening --------------------------------------------------------------------------------


def _standard_items(akpk: AKPK, standard: Iterable[JabatanStandard]) -> list[AKPKItem]:
    return [
        AKPKItem(akpk=akpk, competency=row.competency, required_level=row.required_level)
        for row in standard
    ]


def _sync_standard(akpk: AKPK) -> None:
    """A draft follows its jabatan's standard: competencies added to the standard since the
    AKPK was opened join it, and changed required levels move its gaps. Once submitted, the
    AKPK keeps the standard it was assessed against."""
    if not jabatan_key(akpk.jabatan):
        return
    standard = {row.competency_id: row for row in jabatan_standard(akpk.jabatan)}
    items = {i.competency_id: i for i in akpk.items.all()}
    missing = [standard[c] for c in standard if c not in items]
    changed = []
    for competency_id, row in standard.items():
        item = items.get(competency_id)
        if item is not None and item.required_level != row.required_level:
            item.required_level = row.required_level
            item.recompute()
            changed.append(item)
    if missing:
        # Two tabs opening at once may both add them: the second insert is a no-op.
        AKPKItem.objects.bulk_create(_standard_items(akpk, missing), ignore_conflicts=True)
    if changed:
        AKPKItem.objects.bulk_update(changed, ["required_level", *ITEM_LEVEL_FIELDS])


def _new_akpk(employee: Employee, year: int, opd: OrgUnit | None) -> AKPK:
    supervisor = employee.supervisor
    return AKPK(
        employee=employee, year=year, org_unit=employee.org_unit, opd=opd,
        jabatan=" ".join((employee.jabatan or "").split())[:255],
        supervisor=supervisor if supervisor is not None and supervisor.pk != employee.pk else None,
    )  # fmt: skip


def akpk_open(*, employee: Employee, year: int) -> AKPK:
    """The employee's AKPK for the year, opened on first use with a snapshot of their unit,
    OPD, jabatan and atasan, and one item per competency of the jabatan's standard. Safe
    when two requests open it at once: the database's unique (employee, year) decides, and
    the loser returns the winner's AKPK."""
    year = year_check(year)
    with transaction.atomic():
        akpk = AKPK.objects.filter(employee=employee, year=year).first()
        if akpk is None:
            opd = opd_of(employee)
            if submission_standing(opd.pk if opd else None, year) is not None:
                raise ValidationError(locked_message())
            akpk = _new_akpk(employee, year, opd)
            try:
                with transaction.atomic():
                    akpk.save()
                    standard = jabatan_standard(akpk.jabatan) if jabatan_key(akpk.jabatan) else []
                    AKPKItem.objects.bulk_create(_standard_items(akpk, standard))
            except IntegrityError:
                return AKPK.objects.get(employee=employee, year=year)
            return akpk
        if akpk.status == AKPK.Status.DRAFT and submission_standing(akpk.opd_id, year) is None:
            _sync_standard(akpk)
        return akpk


# --- The employee ---------------------------------------------------------------------------


def akpk_self_assess(
    *,
    akpk: AKPK,
    actor: Employee,
    levels: Mapping[Any, Any],
    note: str = "",
    submit: bool = False,
) -> AKPK:
    """The employee's own levels (item id -> 1..5) and note, saved as a draft or submitted
    to their atasan. Submitting needs a level for every competency and an atasan on record."""
    if akpk.employee_id != actor.pk:
        raise PermissionDenied(_("Ini bukan AKPK Anda."))
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError(_("Catatan paling banyak %(n)s karakter.") % {"n": NOTE_MAX})
    with transaction.atomic():
        locked = _locked_akpk(akpk)
        _refuse_if_locked(locked)
        if locked.status != AKPK.Status.DRAFT:
            raise ValidationError(_status_refusal(locked))
        items = _items(locked)
        by_id = {item.pk: item for item in items}
        parsed = _parse_levels(levels, by_id)
        for item_id, level in parsed.items():
            item = by_id[item_id]
            item.self_level = level
            item.recompute()
        locked.self_note = note
        fields = ["self_note", "updated_at"]
        if submit:
            if not items:
                raise ValidationError(
                    _(
                        "AKPK Anda belum berisi kompetensi. Tambahkan kebutuhan pengembangan "
                        "dulu, lalu ajukan."
                    )
                )
            missing = [item for item in items if item.self_level is None]
            if missing:
                raise ValidationError(
                    _("Pilih level Anda untuk setiap kompetensi sebelum mengajukan: %(names)s.")
                    % {"names": _names(missing)}
                )
            employee = locked.employee
            supervisor = (
                employee.supervisor
                if _active_other(employee.supervisor, employee.pk)
                else locked.supervisor
            )
            if not _active_other(supervisor, employee.pk):
                raise ValidationError(
                    _(
                        "Atasan langsung Anda belum tercatat di Sinau, sehingga AKPK belum dapat "
                        "diajukan. Minta admin OPD Anda mengisi atasan langsung Anda, lalu "
                        "ajukan lagi."
                    )
                )
            locked.supervisor = supervisor
            locked.status = AKPK.Status.SELF_SUBMITTED
            locked.self_submitted_at = timezone.now()
            fields += ["supervisor", "status", "self_submitted_at"]
        AKPKItem.objects.bulk_update(items, ["self_level", *ITEM_LEVEL_FIELDS])
        locked.save(update_fields=fields)
        if submit:
            audit_record(
                actor=actor, action="sinau.akpk.self_submit", instance=locked,
                data={"year": locked.year, "items": len(items), "supervisor": locked.supervisor_id},
            )  # fmt: skip
    return locked


# --- Development needs outside the standard -------------------------------------------------


def _require_need_editor(actor: Employee, akpk: AKPK) -> None:
    """The employee while drafting; the atasan while assessing or amending."""
    if akpk.employee_id == actor.pk:
        if akpk.status != AKPK.Status.DRAFT:
            raise ValidationError(_status_refusal(akpk))
        return
    if not can_assess(actor, akpk):
        raise PermissionDenied(_("Anda tidak dapat mengubah kebutuhan pengembangan AKPK ini."))
    if akpk.status == AKPK.Status.DRAFT:
        raise ValidationError(_status_refusal(akpk))


def akpk_need_add(
    *, akpk: AKPK, actor: Employee, competency: Competency, note: str = ""
) -> AKPKItem:
    """A development need for a competency the jabatan's standard does not name: required
    level 0, so it shows as a wish with a priority, never as a gap."""
    note = (note or "").strip()
    if len(note) > DEVELOPMENT_NOTE_MAX:
        raise ValidationError(
            _("Kebutuhan pengembangan paling banyak %(n)s karakter.") % {"n": DEVELOPMENT_NOTE_MAX}
        )
    if not competency.is_active:
        raise ValidationError(_("Kompetensi ini tidak aktif lagi di kamus kompetensi."))
    with transaction.atomic():
        locked = _locked_akpk(akpk)
        _refuse_if_locked(locked)
        _require_need_editor(actor, locked)
        if locked.items.filter(competency=competency).exists():
            raise ValidationError(
                _("%(competency)s sudah ada di AKPK ini.") % {"competency": competency.name}
            )
        item = AKPKItem(akpk=locked, competency=competency, required_level=0, development_note=note)
        item.recompute()
        item.save()
        locked.save(update_fields=["updated_at"])
    return item


def akpk_need_remove(*, akpk: AKPK, actor: Employee, item: AKPKItem) -> None:
    """Remove a need added outside the standard. The standard's competencies stay, and so
    does a competency that carries an assessment-centre result."""
    if item.akpk_id != akpk.pk:
        raise ValidationError(_("Kompetensi ini bukan bagian dari AKPK ini."))
    with transaction.atomic():
        locked = _locked_akpk(akpk)
        _refuse_if_locked(locked)
        _require_need_editor(actor, locked)
        current = AKPKItem.objects.select_for_update().filter(pk=item.pk, akpk=locked).first()
        if current is None:
            return
        if current.required_level > 0:
            raise ValidationError(
                _("Kompetensi dari standar jabatan tidak dapat dihapus dari AKPK.")
            )
        if current.centre_level is not None:
            raise ValidationError(
                _("Kompetensi ini memuat hasil assessment center dan tidak dapat dihapus.")
            )
        current.delete()
        locked.save(update_fields=["updated_at"])


# --- The atasan -----------------------------------------------------------------------------


def akpk_assess(
    *,
    akpk: AKPK,
    actor: Employee,
    levels: Mapping[Any, Any],
    priorities: Mapping[Any, str] | None = None,
    notes: Mapping[Any, str] | None = None,
    performance_rating: str = "",
    supervisor_note: str = "",
) -> AKPK:
    """The atasan's levels for every competency, with priorities (from the gap unless given),
    a development note per competency, the employee's performance rating and a note. An
    assessed AKPK may be amended while the OPD's AKPK has not been sent to BKPSDM."""
    _require_assessor(actor, akpk)
    priorities = priorities or {}
    notes = notes or {}
    supervisor_note = (supervisor_note or "").strip()
    errors: list[str] = []
    if performance_rating and performance_rating not in PerformanceRating.values:
        errors.append(_("Pilih predikat kinerja dari daftar."))
    if len(supervisor_note) > NOTE_MAX:
        errors.append(_("Catatan atasan paling banyak %(n)s karakter.") % {"n": NOTE_MAX})
    with transaction.atomic():
        locked = _locked_akpk(akpk)
        _refuse_if_locked(locked)
        if locked.status not in (AKPK.Status.SELF_SUBMITTED, AKPK.Status.ASSESSED):
            raise ValidationError(_status_refusal(locked))
        items = _items(locked)
        by_id = {item.pk: item for item in items}
        try:
            parsed = _parse_levels(levels, by_id)
        except ValidationError as exc:
            errors.extend(exc.messages)
            parsed = {}
        for item_id, level in parsed.items():
            by_id[item_id].supervisor_level = level
        given_priorities: dict[int, str] = {}
        for key, value in priorities.items():
            item = by_id.get(_int_or(key))
            if item is None:
                errors.append(_("Kompetensi yang dinilai bukan bagian dari AKPK ini."))
            elif value and value not in Priority.values:
                errors.append(
                    _("Prioritas untuk %(competency)s tidak sah.")
                    % {"competency": item.competency.name}
                )
            elif value:
                given_priorities[item.pk] = value
        for key, value in notes.items():
            item = by_id.get(_int_or(key))
            if item is None:
                errors.append(_("Kompetensi yang dinilai bukan bagian dari AKPK ini."))
            elif len((value or "").strip()) > DEVELOPMENT_NOTE_MAX:
                errors.append(
                    _("Kebutuhan pengembangan %(competency)s paling banyak %(n)s karakter.")
                    % {"competency": item.competency.name, "n": DEVELOPMENT_NOTE_MAX}
                )
            else:
                item.development_note = (value or "").strip()
        missing = [item for item in items if item.supervisor_level is None]
        if missing:
            errors.append(
                _("Pilih level untuk setiap kompetensi: %(names)s.") % {"names": _names(missing)}
            )
        if errors:
            raise ValidationError(sorted(set(errors), key=errors.index))
        for item in items:
            item.recompute()
            item.priority = given_priorities.get(item.pk) or default_priority(item.gap)
        AKPKItem.objects.bulk_update(
            items, ["supervisor_level", "priority", "development_note", *ITEM_LEVEL_FIELDS]
        )
        amended = locked.status == AKPK.Status.ASSESSED
        locked.status = AKPK.Status.ASSESSED
        locked.performance_rating = performance_rating
        locked.supervisor_note = supervisor_note
        locked.assessed_at = timezone.now()
        locked.assessed_by = actor
        locked.save(
            update_fields=[
                "status", "performance_rating", "supervisor_note", "assessed_at", "assessed_by",
                "updated_at",
            ]
        )  # fmt: skip
        audit_record(
            actor=actor, action="sinau.akpk.assess", instance=locked,
            data={
                "year": locked.year, "employee": locked.employee_id, "amended": amended,
                "items": len(items), "gaps": sum(1 for i in items if i.gap),
                "performance_rating": performance_rating,
            },
        )  # fmt: skip
    return locked


def _int_or(value: Any, default: int = -1) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def akpk_reopen(*, akpk: AKPK, actor: Employee, reason: str) -> AKPK:
    """The atasan sends the AKPK back to the employee (draft), with a reason they read. The
    atasan's levels stay, to start from when it comes back."""
    _require_assessor(actor, akpk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Tuliskan alasan pengembalian untuk pegawai."))
    if len(reason) > NOTE_MAX:
        raise ValidationError(_("Alasan paling banyak %(n)s karakter.") % {"n": NOTE_MAX})
    with transaction.atomic():
        locked = _locked_akpk(akpk)
        _refuse_if_locked(locked)
        if locked.status == AKPK.Status.DRAFT:
            raise ValidationError(_status_refusal(locked))
        previous = locked.status
        locked.status = AKPK.Status.DRAFT
        locked.self_submitted_at = None
        locked.assessed_at = None
        locked.assessed_by = None
        locked.save(
            update_fields=[
                "status", "self_submitted_at", "assessed_at", "assessed_by", "updated_at",
            ]
        )  # fmt: skip
        audit_record(
            actor=actor, action="sinau.akpk.reopen", instance=locked, reason=reason,
            data={"year": locked.year, "employee": locked.employee_id, "from": previous},
        )  # fmt: skip
    return locked


# --- The OPD and BKPSDM ---------------------------------------------------------------------


def opd_counts(*, opd: OrgUnit, year: int) -> tuple[int, int]:
    """What an OPD's submission freezes: its active employees (the whole subtree) and the
    AKPKs it answers for that its atasan have assessed."""
    employees = Employee.objects.active().in_unit(opd).count()
    assessed = AKPK.objects.filter(opd=opd, year=year, status=AKPK.Status.ASSESSED).count()
    return employees, assessed


def _when(moment: Any) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT") if moment else ""


def opd_may_submit(scope: Scope, opd: OrgUnit) -> bool:
    return scope.can_change and scope.covers_path(opd.path)


def opd_submit(*, opd: OrgUnit, year: int, actor: Employee) -> AKPKSubmission:
    """The OPD admin sends the OPD's AKPK for the year to BKPSDM, with its counts frozen;
    after a return, sending again updates the same submission."""
    if not opd_may_submit(scope_for(actor), opd):
        raise PermissionDenied(_("Anda tidak berwenang mengirim AKPK OPD ini."))
    if opd.kind != OrgUnit.Kind.OPD:
        raise ValidationError(_("AKPK dikirim per OPD; pilih OPD-nya."))
    year = year_check(year)
    with transaction.atomic():
        submission = AKPKSubmission.objects.select_for_update().filter(opd=opd, year=year).first()
        if submission is not None and submission.status == AKPKSubmission.Status.SUBMITTED:
            raise ValidationError(
                _("AKPK %(opd)s tahun %(year)s sudah dikirim ke BKPSDM pada %(when)s.")
                % {"opd": opd.name, "year": year, "when": _when(submission.submitted_at)}
            )
        employees, assessed = opd_counts(opd=opd, year=year)
        if not assessed:
            raise ValidationError(
                _(
                    "Belum ada AKPK pegawai %(opd)s tahun %(year)s yang dinilai atasan; "
                    "AKPK OPD belum dapat dikirim."
                )
                % {"opd": opd.name, "year": year}
            )
        now = timezone.now()
        resubmission = submission is not None
        if submission is None:
            submission = AKPKSubmission(opd=opd, year=year)
        submission.status = AKPKSubmission.Status.SUBMITTED
        submission.submitted_by = actor
        submission.submitted_at = now
        submission.employee_count = employees
        submission.assessed_count = assessed
        try:
            with transaction.atomic():
                submission.save()
        except IntegrityError:
            # Another admin of the OPD sent it in the same moment.
            raise ValidationError(
                _("AKPK %(opd)s tahun %(year)s baru saja dikirim ke BKPSDM.")
                % {"opd": opd.name, "year": year}
            ) from None
        audit_record(
            actor=actor, action="sinau.akpk.opd_submit", instance=submission,
            data={
                "opd": opd.pk, "year": year, "employees": employees, "assessed": assessed,
                "resubmission": resubmission,
            },
        )  # fmt: skip
    return submission


def opd_return(*, submission: AKPKSubmission, actor: Employee, reason: str) -> AKPKSubmission:
    """BKPSDM (a superuser or an auditor: returning is a verifying decision) sends an OPD's
    AKPK back with a reason; the OPD's AKPKs for the year open to changes again."""
    require_bkpsdm(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Tuliskan alasan pengembalian untuk admin OPD."))
    if len(reason) > NOTE_MAX:
        raise ValidationError(_("Alasan paling banyak %(n)s karakter.") % {"n": NOTE_MAX})
    with transaction.atomic():
        locked = (
            AKPKSubmission.objects.select_for_update(of=("self",))
            .select_related("opd")
            .get(pk=submission.pk)
        )
        if locked.status != AKPKSubmission.Status.SUBMITTED:
            raise ValidationError(
                _("AKPK OPD ini sudah dikembalikan pada %(when)s.")
                % {"when": _when(locked.returned_at)}
            )
        locked.status = AKPKSubmission.Status.RETURNED
        locked.returned_by = actor
        locked.returned_at = timezone.now()
        locked.return_reason = reason
        locked.save(
            update_fields=["status", "returned_by", "returned_at", "return_reason", "updated_at"]
        )
        audit_record(
            actor=actor, action="sinau.akpk.opd_return", instance=locked, reason=reason,
            data={"opd": locked.opd_id, "year": locked.year},
        )  # fmt: skip
    return locked


# --- Assessment-centre results ---------------------------------------------------------------

CENTRE_COLUMNS: dict[str, tuple[str, ...]] = {
    "nip": ("nip", "nip baru", "ni pppk", "nomor induk pegawai"),
    "kode_kompetensi": ("kode kompetensi", "kode", "kompetensi", "kode komp"),
    "level": ("level", "level kompetensi", "level capaian", "nilai"),
}


def _header(text: Any) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(text or "").lower()).strip()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


@dataclass
class CentreRow:
    number: int
    nip: str
    code: str
    level: int


def _centre_rows(
    fileobj: IO[bytes], filename: str
) -> tuple[list[CentreRow], list[dict[str, Any]], int]:
    """The file's rows checked for shape (NIP digits, a code, a level 1-5); their errors by
    row number (the header is row 1); and how many data rows there were."""
    table = enumerate(iter_table(fileobj, filename), start=1)
    header = None
    for _number, cells in table:
        if any(_cell(c) for c in cells):
            header = [_header(c) for c in cells]
            break
    if header is None:
        raise ImportFileError(_("Berkas tidak berisi baris judul kolom."))
    mapping = column_map(header, CENTRE_COLUMNS)
    missing = [name for name in CENTRE_COLUMNS if name not in mapping]
    if missing:
        raise ImportFileError(
            _(
                "Kolom wajib tidak ditemukan: %(columns)s. Baris pertama harus judul kolom "
                "NIP, KODE_KOMPETENSI, LEVEL."
            )
            % {"columns": ", ".join(m.upper() for m in missing)}
        )
    rows: list[CentreRow] = []
    errors: list[dict[str, Any]] = []
    total = 0
    for number, cells in table:
        values = [_cell(c) for c in cells]
        if not any(values):
            continue
        total += 1
        if total > CENTRE_MAX_ROWS:
            raise ImportFileError(
                _("Berkas berisi lebih dari %(n)s baris; pecah menjadi beberapa berkas.")
                % {"n": formats.number_format(CENTRE_MAX_ROWS, force_grouping=True)}
            )

        def get(name: str, values: list[str] = values) -> str:
            index = mapping[name]
            return values[index] if index < len(values) else ""

        problems: list[str] = []
        raw_nip = cells[mapping["nip"]] if mapping["nip"] < len(cells) else None
        nip = normalise_nip(get("nip"))
        if isinstance(raw_nip, float) and raw_nip >= 1e15:
            problems.append(
                _(
                    "NIP tersimpan sebagai angka di spreadsheet sehingga digit terakhirnya "
                    "hilang; format kolom NIP sebagai teks lalu ekspor ulang."
                )
            )
        elif not re.fullmatch(r"[0-9]{18}", nip):
            problems.append(_("NIP '%(nip)s' harus 18 digit.") % {"nip": get("nip")[:30]})
        code = get("kode_kompetensi")
        if not code:
            problems.append(_("KODE_KOMPETENSI kosong."))
        raw_level = get("level").replace(",", ".")
        level = None
        if re.fullmatch(r"[0-9]+(\.0+)?", raw_level):
            level = int(float(raw_level))
        if level is None or not 1 <= level <= 5:
            problems.append(
                _("LEVEL '%(value)s' tidak sah: isi 1 sampai 5.") % {"value": raw_level[:20]}
            )
        if problems:
            errors.append({"row": number, "nip": nip, "errors": problems})
        else:
            assert level is not None
            rows.append(CentreRow(number=number, nip=nip, code=code, level=level))
    if not total:
        raise ImportFileError(_("Berkas hanya berisi judul kolom, tanpa baris data."))
    return rows, errors, total


def _opd_finder() -> Any:
    """OPD of a unit by its path, from one query: the deepest OPD at or above the unit (as
    ``OrgUnit.opd_node`` finds it one query at a time)."""
    opds = sorted(
        OrgUnit.objects.filter(kind=OrgUnit.Kind.OPD), key=lambda u: len(u.path), reverse=True
    )

    def find(unit: OrgUnit | None) -> OrgUnit | None:
        if unit is None:
            return None
        return next((o for o in opds if unit.path.startswith(o.path)), None)

    return find


def _open_many(employees: list[Employee], year: int) -> None:
    """``akpk_open`` for many employees in a few queries (the import's missing AKPKs). The
    callers have left out employees of OPDs whose submission stands."""
    if not employees:
        return
    find_opd = _opd_finder()
    akpks = [_new_akpk(e, year, find_opd(e.org_unit)) for e in employees]
    keys = {jabatan_key(a.jabatan) for a in akpks} - {""}
    standards: dict[str, list[JabatanStandard]] = {}
    for row in JabatanStandard.objects.filter(
        jabatan_key__in=keys, competency__is_active=True
    ).select_related("competency"):
        standards.setdefault(row.jabatan_key, []).append(row)
    try:
        with transaction.atomic():
            AKPK.objects.bulk_create(akpks, batch_size=1000)
    except IntegrityError:
        # Someone opened one of them meanwhile: fall back to one at a time.
        for employee in employees:
            akpk_open(employee=employee, year=year)
        return
    by_employee = {
        a.employee_id: a
        for a in AKPK.objects.filter(employee__in=employees, year=year).only("pk", "employee_id")
    }
    items = []
    for akpk in akpks:
        saved = by_employee[akpk.employee_id]
        items += _standard_items(saved, standards.get(jabatan_key(akpk.jabatan), []))
    AKPKItem.objects.bulk_create(items, batch_size=1000, ignore_conflicts=True)


def _items_of(akpks: Iterable[AKPK]) -> dict[tuple[int, int], AKPKItem]:
    """The items of these AKPKs by (AKPK, competency), with what ``recompute`` reads."""
    fields = ["pk", "akpk_id", "competency_id", "required_level", "self_level",
              "supervisor_level", "centre_level"]  # fmt: skip
    return {
        (i.akpk_id, i.competency_id): i
        for i in AKPKItem.objects.filter(akpk__in=[a.pk for a in akpks]).only(*fields)
    }


def _update_grouped(items: list[AKPKItem], fields: list[str], chunk: int = 500) -> None:
    """Save these fields of many items: one UPDATE per distinct set of values (a centre
    level fixes the current level, its source and the gap, so a few dozen sets at most),
    in chunks of ids. ``bulk_update`` builds a CASE per row and takes seconds for 10,000."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for item in items:
        groups.setdefault(tuple(getattr(item, f) for f in fields), []).append(item.pk)
    for values, ids in groups.items():
        for start in range(0, len(ids), chunk):
            AKPKItem.objects.filter(pk__in=ids[start : start + chunk]).update(
                **dict(zip(fields, values, strict=True))
            )


def _centre_apply(
    rows: list[CentreRow], year: int, errors: list[dict[str, Any]]
) -> tuple[int, list[int]]:
    """Apply checked rows; errors for rows that cannot be applied join ``errors``. The
    number of rows applied and the AKPKs touched."""
    nips = {r.nip for r in rows}
    employees = {
        e.nip: e
        for e in Employee.objects.filter(nip__in=nips).select_related("org_unit", "supervisor")
    }
    competencies = {c.code: c for c in Competency.objects.filter(is_active=True)}
    folded = {code.casefold(): c for code, c in competencies.items()}
    standing = set(
        AKPKSubmission.objects.filter(
            year=year, status=AKPKSubmission.Status.SUBMITTED
        ).values_list("opd_id", flat=True)
    )
    existing = {
        a.employee_id: a
        for a in AKPK.objects.filter(year=year, employee__nip__in=nips).only(
            "pk", "employee_id", "opd_id"
        )
    }
    find_opd = _opd_finder()
    first_row: dict[tuple[str, int], int] = {}
    good: list[tuple[CentreRow, Employee, Competency]] = []
    to_open: dict[int, Employee] = {}
    for row in rows:
        problems = []
        employee = employees.get(row.nip)
        competency = competencies.get(row.code) or folded.get(row.code.casefold())
        if employee is None:
            problems.append(_("NIP %(nip)s tidak terdaftar di Sinau.") % {"nip": row.nip})
        elif not employee.is_active:
            problems.append(_("Pegawai dengan NIP %(nip)s tidak aktif.") % {"nip": row.nip})
        if competency is None:
            problems.append(
                _("Kode kompetensi '%(code)s' tidak ada di kamus kompetensi.")
                % {"code": row.code[:30]}
            )
        if employee is not None and competency is not None and not problems:
            key = (row.nip, competency.pk)
            if key in first_row:
                problems.append(
                    _("NIP dan kompetensi sama dengan baris %(row)s.") % {"row": first_row[key]}
                )
            else:
                first_row[key] = row.number
        if not problems and employee is not None:
            akpk = existing.get(employee.pk)
            opd = find_opd(employee.org_unit) if akpk is None else None
            opd_id = akpk.opd_id if akpk is not None else (opd.pk if opd else None)
            if opd_id in standing:
                problems.append(locked_message())
        if problems:
            errors.append({"row": row.number, "nip": row.nip, "errors": problems})
            continue
        assert employee is not None
        assert competency is not None
        good.append((row, employee, competency))
        if employee.pk not in existing:
            to_open[employee.pk] = employee
    _open_many(list(to_open.values()), year)
    akpks = {
        a.employee_id: a
        for a in AKPK.objects.filter(year=year, employee_id__in={e.pk for _r, e, _c in good}).only(
            "pk", "employee_id"
        )
    }
    items = _items_of(akpks.values())
    new_items = []
    for _row, employee, competency in good:
        akpk = akpks[employee.pk]
        if (akpk.pk, competency.pk) not in items:
            # Outside the jabatan's standard: a competency the centre measured all the same.
            item = AKPKItem(akpk=akpk, competency=competency, required_level=0)
            items[(akpk.pk, competency.pk)] = item
            new_items.append(item)
    if new_items:
        AKPKItem.objects.bulk_create(new_items, batch_size=1000, ignore_conflicts=True)
        # Rows inserted with ignore_conflicts come back without ids: read them again.
        items = _items_of(akpks.values())
    changed = []
    for row, employee, competency in good:
        item = items[(akpks[employee.pk].pk, competency.pk)]
        item.centre_level = row.level
        item.recompute()
        changed.append(item)
    _update_grouped(changed, ["centre_level", *ITEM_LEVEL_FIELDS])
    touched = sorted({a.pk for a in akpks.values()})
    AKPK.objects.filter(pk__in=touched).update(updated_at=timezone.now())
    return len(good), touched


def centre_import_run(
    *, actor: Employee, year: int, fileobj: IO[bytes], filename: str
) -> CentreImport:
    """Assessment-centre results (NIP, competency code, level 1-5) for a year, for the whole
    Pemda: good rows go in (opening AKPKs that are missing), bad ones are reported with their
    row number. A file that cannot be read at all ends as ``failed`` with the reason."""
    require_bkpsdm(actor, change=True)
    year = year_check(year)
    name = (filename or "").rsplit("/", 1)[-1][:255]
    record = CentreImport(year=year, original_name=name, requested_by=actor)
    size = getattr(fileobj, "size", None)
    try:
        if size is not None and size > CENTRE_MAX_BYTES:
            raise ImportFileError(
                _("Berkas terlalu besar; paling besar %(mb)s MB.")
                % {"mb": CENTRE_MAX_BYTES // (1024 * 1024)}
            )
        rows, errors, total = _centre_rows(fileobj, name)
    except ImportFileError as exc:
        record.status = CentreImport.Status.FAILED
        record.failure = str(exc)
        with transaction.atomic():
            record.save()
            audit_record(
                actor=actor, action="sinau.akpk.centre_import", instance=record,
                data={"year": year, "failed": record.failure},
            )  # fmt: skip
        return record
    with transaction.atomic():
        applied, touched = _centre_apply(rows, year, errors)
        errors.sort(key=lambda e: e["row"])
        record.status = CentreImport.Status.DONE
        record.rows_total = total
        record.applied_count = applied
        record.error_count = len(errors)
        record.row_errors = errors[:CENTRE_MAX_ERRORS]
        record.save()
        audit_record(
            actor=actor, action="sinau.akpk.centre_import", instance=record,
            data={
                "year": year, "rows": total, "applied": applied, "errors": len(errors),
                "akpk": len(touched),
            },
        )  # fmt: skip
    return record
