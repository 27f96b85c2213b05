"""Actions that change people and organisation. Each is one transaction and names its actor."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.core.audit import audit_record
from lms.core.files import file_save

from .importing import ImportFileError, ParsedFile, RowError, parse_employee_file
from .models import ROLE_GROUPS, Employee, EmployeeImport, OrgUnit, Role, RoleAssignment
from .selectors import Scope, scope_for

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
# pg_advisory_xact_lock key for employee imports (any constant bigint unique to this use)
IMPORT_LOCK_KEY = 7_146_201_001
MAX_STORED_ROW_ERRORS = 1000
# Fields an import may set; a column the file lacks leaves its field as it is.
IMPORT_FIELDS = (
    "full_name", "gelar_depan", "gelar_belakang", "email", "phone", "employment_type",
    "golongan", "jabatan", "jabatan_kind", "org_unit_id", "is_active",
)  # fmt: skip

ProgressFn = Callable[[int, int], None]


@dataclass
class ImportResult:
    dry_run: bool
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    org_units_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _system_scope() -> Scope:
    return Scope(everything=True, can_change=True)


def _unit_index(root: OrgUnit | None) -> dict[tuple[str, ...], OrgUnit]:
    """Every unit below the Pemda keyed by its lower-cased names, e.g. ("dinas kesehatan",)."""
    if root is None:
        return {}
    by_path: dict[str, OrgUnit] = {}
    index: dict[tuple[str, ...], OrgUnit] = {(): root}
    names: dict[str, tuple[str, ...]] = {root.path: ()}
    step = OrgUnit.steplen
    for unit in OrgUnit.objects.filter(path__startswith=root.path, depth__gt=1).order_by("path"):
        by_path[unit.path] = unit
        parent_key = names.get(unit.path[:-step])
        if parent_key is None:
            continue
        key = (*parent_key, unit.name.strip().lower())
        names[unit.path] = key
        index.setdefault(key, unit)
    return index


def pemda_root() -> OrgUnit | None:
    return OrgUnit.get_root_nodes().first()


def pemda_root_get_or_create() -> OrgUnit:
    root = pemda_root()
    if root is None:
        root = OrgUnit.add_root(name=settings.SINAU_PEMDA_NAME, kind=OrgUnit.Kind.PEMDA)
    return root


def employees_import(
    *,
    actor: Employee | None,
    fileobj: IO[bytes],
    filename: str,
    dry_run: bool,
    deactivate_missing: bool = False,
    progress: ProgressFn | None = None,
) -> ImportResult:
    """Create or update employees and org units from a SIASN-shaped file, idempotent by NIP.

    Good rows go in and bad rows are reported with their row numbers. A file that cannot
    be read raises ``ImportFileError`` before anything is written, and the writes happen in
    one transaction, so a crash leaves nothing half-written.
    """
    scope = scope_for(actor) if actor is not None else _system_scope()
    if not scope.can_change:
        raise PermissionDenied(_("Anda tidak berwenang mengimpor pegawai."))
    parsed = parse_employee_file(fileobj, filename, progress=progress)
    with transaction.atomic():
        if not dry_run:
            _lock_imports()
        result = _import_parsed(
            parsed, scope=scope, actor=actor, dry_run=dry_run,
            deactivate_missing=deactivate_missing,
        )  # fmt: skip
    if not dry_run:
        logger.info(
            "employees imported",
            extra={
                "import_file": filename, "rows_created": result.created,
                "rows_updated": result.updated, "rows_deactivated": result.deactivated,
                "rows_failed": len(result.errors),
            },
        )  # fmt: skip
    return result


def _lock_imports() -> None:
    """One import writes at a time: two imports of one file must not both create a NIP.

    PostgreSQL: a transaction-level advisory lock. SQLite: the IMMEDIATE transaction
    already holds the database write lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])


def _import_parsed(
    parsed: ParsedFile,
    *,
    scope: Scope,
    actor: Employee | None,
    dry_run: bool,
    deactivate_missing: bool,
) -> ImportResult:
    result = ImportResult(dry_run=dry_run, total=parsed.total, errors=list(parsed.errors))

    root = pemda_root()
    units = _unit_index(root)
    with_supervisors = "nip_atasan" in parsed.columns
    extra = ("supervisor_id", "supervisor__nip") if with_supervisors else ()
    existing: dict[str, dict[str, Any]] = {
        row["nip"]: row
        for row in Employee.objects.values("id", "nip", "is_superuser", *IMPORT_FIELDS, *extra)
    }
    unit_paths = {u.pk: u.path for u in units.values()}
    email_owner = {row["email"]: nip for nip, row in existing.items() if row["email"]}

    new_unit_keys: set[tuple[str, ...]] = set()
    creates: list[tuple[Any, tuple[str, ...]]] = []  # (row, unit key)
    updates: list[tuple[Any, tuple[str, ...], dict[str, Any]]] = []
    for row in parsed.rows:
        key = tuple(p.lower() for p in row.unit_path)
        errors: list[str] = []
        # The deepest existing unit on the row's path decides whether it is in scope.
        known = max((key[:i] for i in range(len(key) + 1) if key[:i] in units), key=len, default=())
        anchor = units.get(known)
        if anchor is None:  # no Pemda yet: only a system import may build the tree
            if not scope.everything:
                errors.append(_("Unit kerja di luar lingkup Anda."))
        elif not scope.covers_path(anchor.path):
            # An OPD admin may add units inside their OPD, never a new OPD beside it.
            errors.append(
                _("Unit kerja '%(unit)s' di luar lingkup Anda.")
                % {"unit": " > ".join(row.unit_path)}
            )
        current = existing.get(row.nip)
        if current is not None and current["org_unit_id"] and not scope.everything:
            path = unit_paths.get(current["org_unit_id"], "")
            if not scope.covers_path(path):
                errors.append(_("Pegawai ini terdaftar di unit lain, di luar lingkup Anda."))
        if current is not None and current["is_superuser"]:
            errors.append(_("Akun superuser tidak diubah lewat impor."))
        email = row.values.get("email")
        if email:
            owner = email_owner.get(email)
            if owner is not None and owner != row.nip:
                errors.append(
                    _("EMAIL %(email)s sudah dipakai NIP %(nip)s.") % {"email": email, "nip": owner}
                )
            else:
                email_owner[email] = row.nip
        if errors:
            result.errors.append(RowError(row.number, row.nip, errors))
            continue
        for i in range(len(known) + 1, len(key) + 1):
            new_unit_keys.add(key[:i])
        if current is None:
            creates.append((row, key))
        else:
            updates.append((row, key, current))
    if with_supervisors:
        creates, updates = _check_supervisors(creates, updates, existing, parsed, result)
    result.errors.sort(key=lambda e: e.number)
    result.org_units_created = len(new_unit_keys)

    to_deactivate: list[int] = []
    if deactivate_missing:
        if not parsed.rows:
            result.notes.append(_("Tidak ada baris sah: tidak ada pegawai yang dinonaktifkan."))
        else:
            in_scope = Employee.objects.filter(is_active=True, is_superuser=False)
            if not scope.everything:
                in_scope = in_scope.filter(scope.unit_q("org_unit__"))
            if actor is not None:
                in_scope = in_scope.exclude(pk=actor.pk)
            to_deactivate = [
                pk for pk, nip in in_scope.values_list("pk", "nip") if nip not in parsed.seen_nips
            ]
            result.deactivated = len(to_deactivate)

    if dry_run:
        result.created = len(creates)
        result.updated, result.unchanged = _count_changes(updates, units)
        return result

    if root is None:
        root = pemda_root_get_or_create()
        units[()] = root
    spelled = _original_names(parsed.rows) if new_unit_keys else {}
    for key in sorted(new_unit_keys, key=len):
        parent = units[key[:-1]]
        name = spelled.get(key, key[-1])
        kind = OrgUnit.Kind.OPD if len(key) == 1 else OrgUnit.Kind.UNIT
        units[key] = parent.add_child(name=name, kind=kind)
    now = timezone.now()
    new_employees = []
    for row, key in creates:
        employee = Employee(
            nip=row.nip, org_unit_id=units[key].pk, is_active=True, date_joined=now,
            # Imported staff sign in by SSO or set a password by reset; no guessable default.
            password=_unusable_password(), **row.values,
        )  # fmt: skip
        new_employees.append(employee)
    Employee.objects.bulk_create(new_employees, batch_size=BATCH_SIZE)
    result.created = len(new_employees)
    ids: dict[str, int] = {}
    if with_supervisors:
        ids = _ids_by_nip(existing, new_employees)
        _set_new_supervisors(creates, ids)

    changed: list[Employee] = []
    changed_fields: set[str] = set()
    for row, key, current in updates:
        wanted = {**row.values, "org_unit_id": units[key].pk, "is_active": True}
        diff = {f: v for f, v in wanted.items() if current[f] != v}
        if _supervisor_changes(row, current):
            diff["supervisor_id"] = ids.get(row.supervisor_nip) if row.supervisor_nip else None
        if not diff:
            result.unchanged += 1
            continue
        changed.append(Employee(pk=current["id"], **{**_current_fields(current), **diff}))
        changed_fields.update(diff)
    if changed:
        Employee.objects.bulk_update(changed, sorted(changed_fields), batch_size=BATCH_SIZE)
    result.updated = len(changed)

    for start in range(0, len(to_deactivate), BATCH_SIZE):
        Employee.objects.filter(pk__in=to_deactivate[start : start + BATCH_SIZE]).update(
            is_active=False
        )
    return result


def _supervisor_changes(row: Any, current: dict[str, Any]) -> bool:
    return row.supervisor_nip is not None and (current.get("supervisor__nip") or "") != (
        row.supervisor_nip
    )


def _check_supervisors(
    creates: list[Any],
    updates: list[Any],
    existing: dict[str, dict[str, Any]],
    parsed: ParsedFile,
    result: ImportResult,
) -> tuple[list[Any], list[Any]]:
    """Each NIP ATASAN must be an active employee already in Sinau or a row of this file that
    goes in. A row refused for its atasan may leave another row's atasan missing, so repeat
    until nothing more is refused."""
    while True:
        incoming = {row.nip for row, *_rest in (*creates, *updates)}
        refused: set[str] = set()
        for row, *_rest in (*creates, *updates):
            nip = row.supervisor_nip
            if not nip or nip in incoming:
                continue
            stored = existing.get(nip)
            if stored is None and nip in parsed.seen_nips:
                message = _("NIP ATASAN %(nip)s ada di berkas, tetapi barisnya tidak diimpor.")
            elif stored is None:
                message = _("NIP ATASAN %(nip)s tidak ditemukan di Sinau maupun di berkas.")
            elif not stored["is_active"]:
                message = _("Atasan dengan NIP %(nip)s tidak aktif.")
            else:
                continue
            result.errors.append(RowError(row.number, row.nip, [message % {"nip": nip}]))
            refused.add(row.nip)
        if not refused:
            return creates, updates
        creates = [item for item in creates if item[0].nip not in refused]
        updates = [item for item in updates if item[0].nip not in refused]


def _ids_by_nip(existing: dict[str, dict[str, Any]], created: list[Employee]) -> dict[str, int]:
    ids = {nip: row["id"] for nip, row in existing.items()}
    if any(e.pk is None for e in created):  # a backend that does not return bulk ids
        ids.update(Employee.objects.values_list("nip", "pk"))
    else:
        ids.update((e.nip, e.pk) for e in created)
    return ids


def _set_new_supervisors(creates: list[Any], ids: dict[str, int]) -> None:
    """New employees get their atasan once every row exists: the atasan may be a later row."""
    linked = [
        Employee(pk=ids[row.nip], supervisor_id=ids.get(row.supervisor_nip))
        for row, _key in creates
        if row.supervisor_nip
    ]
    if linked:
        Employee.objects.bulk_update(linked, ["supervisor_id"], batch_size=BATCH_SIZE)


def _unusable_password() -> str:
    # What make_password(None) stores, from one urandom call instead of 40 secrets.choice
    # calls: a third of a 50,000-row import went there.
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


def _current_fields(current: dict[str, Any]) -> dict[str, Any]:
    fields = {f: current[f] for f in IMPORT_FIELDS}
    if "supervisor_id" in current:  # read only when the file has a NIP ATASAN column
        fields["supervisor_id"] = current["supervisor_id"]
    return fields


def _count_changes(
    updates: list[tuple[Any, tuple[str, ...], dict[str, Any]]],
    units: dict[tuple[str, ...], OrgUnit],
) -> tuple[int, int]:
    changed = 0
    for row, key, current in updates:
        unit = units.get(key)
        wanted = {**row.values, "is_active": True}
        if (
            unit is None
            or unit.pk != current["org_unit_id"]
            or any(current[f] != v for f, v in wanted.items())
            or _supervisor_changes(row, current)
        ):
            changed += 1
    return changed, len(updates) - changed


def _original_names(rows: list[Any]) -> dict[tuple[str, ...], str]:
    """Each unit's name as the file first spells it, keyed by its lower-cased path.

    One pass over the rows: searching the rows once per new unit cost rows x units, which on
    an export sorted by unit with ~1,500 units (schools, puskesmas) took ~18 s for 50,000 rows.
    """
    names: dict[tuple[str, ...], str] = {}
    for row in rows:
        lowered = tuple(p.lower() for p in row.unit_path)
        for depth in range(1, len(lowered) + 1):
            names.setdefault(lowered[:depth], str(row.unit_path[depth - 1]))
    return names


# --- Import jobs (the admin page and the Celery task) -----------------------------------


def employee_import_create(
    *,
    actor: Employee,
    uploaded_file: UploadedFile,
    dry_run: bool,
    deactivate_missing: bool,
) -> EmployeeImport:
    """Store the file, record the job and queue it once the transaction commits."""
    if not scope_for(actor).can_change:
        raise PermissionDenied(_("Anda tidak berwenang mengimpor pegawai."))
    name = uploaded_file.name or ""
    if not name.lower().endswith((".csv", ".xlsx")):
        raise ValidationError(_("Hanya berkas .csv dan .xlsx yang dapat diimpor."))
    if uploaded_file.size and uploaded_file.size > settings.SINAU_IMPORT_MAX_BYTES:
        raise ValidationError(
            _("Berkas terlalu besar (maksimal %(mb)d MB).")
            % {"mb": settings.SINAU_IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    with transaction.atomic():
        job = EmployeeImport(
            original_name=name[:255], dry_run=dry_run,
            deactivate_missing=deactivate_missing, requested_by=actor,
        )  # fmt: skip
        file_save(job.file, name, uploaded_file)
        job.full_clean()
        job.save()
        transaction.on_commit(lambda: _enqueue(job))
    return job


def _enqueue(job: EmployeeImport) -> None:
    """Queue the job. With the broker down the upload still succeeds: the job stays queued
    and the sweep (``employee_imports_requeue``) sends it once the broker is back."""
    from .tasks import employee_import_run_task

    try:
        employee_import_run_task.delay(job.pk)
    except Exception:  # kombu raises many kinds of connection errors
        logger.exception("could not queue employee import", extra={"job_id": job.pk})


def employee_imports_requeue(*, stale_after_seconds: int) -> int:
    """Send again the import jobs still queued after ``stale_after_seconds``: their message
    never reached the broker (or the broker lost it). Running a job twice does nothing."""
    from .tasks import employee_import_run_task

    cutoff = timezone.now() - dt.timedelta(seconds=stale_after_seconds)
    waiting = EmployeeImport.objects.filter(
        status=EmployeeImport.Status.QUEUED, updated_at__lt=cutoff
    ).values_list("pk", flat=True)
    sent = 0
    for job_id in list(waiting[:200]):
        try:
            employee_import_run_task.delay(job_id)
        except Exception:  # still no broker: the next sweep tries again
            logger.exception("could not queue employee import", extra={"job_id": job_id})
            break
        # At most one resend per period, however long the queue ahead of it.
        EmployeeImport.objects.filter(pk=job_id).update(updated_at=timezone.now())
        sent += 1
    return sent


def employee_import_apply(*, actor: Employee, job: EmployeeImport) -> EmployeeImport:
    """Run for real the file a dry run has previewed."""
    if not job.dry_run or job.status != EmployeeImport.Status.DONE:
        raise ValidationError(_("Hanya pratinjau yang sudah selesai yang dapat diterapkan."))

    with transaction.atomic():
        applied = EmployeeImport(
            file=job.file.name, original_name=job.original_name, dry_run=False,
            deactivate_missing=job.deactivate_missing, requested_by=actor,
        )  # fmt: skip
        applied.full_clean()
        applied.save()
        transaction.on_commit(lambda: _enqueue(applied))
    return applied


def employee_import_run(*, job_id: int) -> EmployeeImport | None:
    """Run one import job; running it again after it finished does nothing."""
    with transaction.atomic():
        job = (
            EmployeeImport.objects.select_for_update(of=("self",))
            .select_related("requested_by")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.is_finished:
            return job
        job.status = EmployeeImport.Status.RUNNING
        job.save(update_fields=["status", "updated_at"])

    def progress(done: int, total: int) -> None:
        EmployeeImport.objects.filter(pk=job.pk).update(rows_done=done, rows_total=total)

    try:
        with job.file.open("rb") as fileobj:
            result = employees_import(
                actor=job.requested_by,
                fileobj=fileobj,
                filename=job.original_name,
                dry_run=job.dry_run,
                deactivate_missing=job.deactivate_missing,
                progress=progress,
            )
    except (ImportFileError, PermissionDenied) as exc:
        job.status = EmployeeImport.Status.FAILED
        job.failure = str(exc)
        job.finished_at = timezone.now()
        job.save()
        return job

    with transaction.atomic():
        job.status = EmployeeImport.Status.DONE
        job.rows_total = job.rows_done = result.total
        job.created_count = result.created
        job.updated_count = result.updated
        job.unchanged_count = result.unchanged
        job.deactivated_count = result.deactivated
        job.org_units_created = result.org_units_created
        job.error_count = len(result.errors)
        job.row_errors = [e.as_dict() for e in result.errors[:MAX_STORED_ROW_ERRORS]]
        job.failure = "\n".join(result.notes)
        job.finished_at = timezone.now()
        job.save()
        if not job.dry_run:
            audit_record(
                actor=job.requested_by, action="sinau.people.import", instance=job,
                reason=_("Impor berkas %(name)s") % {"name": job.original_name},
                data={
                    "created": result.created, "updated": result.updated,
                    "deactivated": result.deactivated, "errors": len(result.errors),
                },
            )  # fmt: skip
    return job


# --- Roles ------------------------------------------------------------------------------


def role_grant(
    *,
    actor: Employee | None,
    employee: Employee,
    role: str,
    org_unit: OrgUnit | None = None,
    reason: str,
) -> RoleAssignment:
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied(_("Hanya superuser BKPSDM yang dapat memberi peran."))
    if not reason.strip():
        raise ValidationError(_("Alasan wajib diisi."))
    with transaction.atomic():
        assignment, created = RoleAssignment.objects.get_or_create(
            employee=employee,
            role=role,
            org_unit=org_unit if role == Role.OPD_ADMIN else None,
            defaults={"granted_by": actor},
        )
        if created:
            assignment.full_clean()
            group, _created = Group.objects.get_or_create(name=ROLE_GROUPS[role])
            employee.groups.add(group)
            audit_record(
                actor=actor, action="sinau.people.role_grant", instance=employee,
                reason=reason, data={"role": role, "org_unit": org_unit.pk if org_unit else None},
            )  # fmt: skip
    return assignment


def role_revoke(*, actor: Employee | None, assignment: RoleAssignment, reason: str) -> None:
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied(_("Hanya superuser BKPSDM yang dapat mencabut peran."))
    if not reason.strip():
        raise ValidationError(_("Alasan wajib diisi."))
    with transaction.atomic():
        employee = assignment.employee
        role = assignment.role
        assignment.delete()
        if not RoleAssignment.objects.filter(employee=employee, role=role).exists():
            employee.groups.remove(*Group.objects.filter(name=ROLE_GROUPS[role]))
        audit_record(
            actor=actor, action="sinau.people.role_revoke", instance=employee,
            reason=reason, data={"role": role},
        )  # fmt: skip


# --- Editing one employee ---------------------------------------------------------------

EDITABLE_FIELDS = (
    "full_name", "gelar_depan", "gelar_belakang", "email", "phone", "golongan",
    "jabatan", "jabatan_kind", "org_unit", "supervisor", "is_active",
)  # fmt: skip


def employee_update(
    *, actor: Employee, employee: Employee, data: dict[str, Any], reason: str
) -> Employee:
    """Change an employee's record, inside the actor's scope, and audit what changed and why."""
    scope = scope_for(actor)
    if not scope.can_change:
        raise PermissionDenied(_("Anda tidak berwenang mengubah data pegawai."))
    if not reason.strip():
        raise ValidationError({"reason": _("Alasan perubahan wajib diisi.")})
    with transaction.atomic():
        # Lock and re-read: the form may have been filled while an import moved the employee.
        current = Employee.objects.select_for_update(of=("self",)).select_related("org_unit")
        employee = current.get(pk=employee.pk)
        if employee.org_unit and not scope.covers_path(employee.org_unit.path):
            raise PermissionDenied(_("Pegawai ini di luar lingkup Anda."))
        new_unit = data.get("org_unit", employee.org_unit)
        if new_unit is not None and not scope.covers_path(new_unit.path):
            raise ValidationError({"org_unit": _("Unit kerja ini di luar lingkup Anda.")})
        supervisor = data.get("supervisor")
        if supervisor is not None and supervisor.pk == employee.pk:
            raise ValidationError({"supervisor": _("Pegawai tidak dapat menjadi atasan sendiri.")})
        if employee.pk == actor.pk and data.get("is_active") is False:
            raise ValidationError({"is_active": _("Anda tidak dapat menonaktifkan akun sendiri.")})
        before = {f: getattr(employee, f) for f in EDITABLE_FIELDS}
        for field_name in EDITABLE_FIELDS:
            if field_name in data:
                setattr(employee, field_name, data[field_name])
        employee.full_clean()
        changes = {
            f: [str(before[f]), str(getattr(employee, f))]
            for f in EDITABLE_FIELDS
            if before[f] != getattr(employee, f)
        }
        if changes:
            employee.save()
            audit_record(
                actor=actor, action="sinau.people.update", instance=employee,
                reason=reason, data={"changes": changes},
            )  # fmt: skip
    return employee
