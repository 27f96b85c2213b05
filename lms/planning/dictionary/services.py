"""Keeping the competency dictionary: the XLSX import of competencies and jabatan standards.

The import is a change to the whole Pemda's dictionary, so it takes a BKPSDM superuser. It
runs in the request (a dictionary is hundreds of competencies and a few thousand standard
rows) with a bounded number of queries: the stored dictionary is read once, and new and
changed rows are written in bulk. Good rows go in; every bad row is reported with its sheet
and row number. A file that cannot be read changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.core.audit import audit_record
from lms.people.models import Employee
from lms.planning.models import Competency, JabatanStandard
from lms.planning.permissions import require_bkpsdm

from .workbook import (
    MAX_BYTES,
    SHEET_COMPETENCIES,
    SHEET_STANDARDS,
    DictionaryFileError,
    ParsedDictionary,
    RowError,
    check_filename,
    parse_dictionary_workbook,
    too_big_message,
)

BATCH_SIZE = 500
# pg_advisory_xact_lock key for dictionary imports (any constant bigint unique to this use):
# two imports at once would both try to create the same new codes.
IMPORT_LOCK_KEY = 7_146_201_010
SHEET_ORDER = {SHEET_COMPETENCIES: 0, SHEET_STANDARDS: 1}


@dataclass
class DictionaryImportResult:
    filename: str = ""
    competencies_created: int = 0
    competencies_updated: int = 0
    competencies_unchanged: int = 0
    standards_created: int = 0
    standards_updated: int = 0
    standards_unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def created(self) -> int:
        return self.competencies_created + self.standards_created

    @property
    def updated(self) -> int:
        return self.competencies_updated + self.standards_updated

    def counts(self) -> dict[str, int]:
        return {
            "competencies_created": self.competencies_created,
            "competencies_updated": self.competencies_updated,
            "competencies_unchanged": self.competencies_unchanged,
            "standards_created": self.standards_created,
            "standards_updated": self.standards_updated,
            "standards_unchanged": self.standards_unchanged,
            "errors": len(self.errors),
        }


def dictionary_import(
    *, actor: Employee, fileobj: IO[bytes], filename: str, size: int | None = None
) -> DictionaryImportResult:
    """Upsert competencies by code and standards by (jabatan, competency) from a workbook.

    Raises ``PermissionDenied`` for anyone but a BKPSDM superuser, and ``ValidationError``
    (keyed ``file``) when the file cannot be used, before anything is written.
    """
    require_bkpsdm(actor, change=True)
    try:
        check_filename(filename)
        if size is not None and size > MAX_BYTES:
            raise DictionaryFileError(too_big_message())
        # One byte more than the limit is enough to know the file is too big.
        data = fileobj.read(MAX_BYTES + 1)
        parsed = parse_dictionary_workbook(data)
    except DictionaryFileError as exc:
        raise ValidationError({"file": [str(exc)]}) from None

    result = DictionaryImportResult(filename=filename, errors=list(parsed.errors))
    with transaction.atomic():
        _lock_imports()
        codes = _import_competencies(parsed, result)
        _import_standards(parsed, result, codes)
        result.errors.sort(key=lambda e: (SHEET_ORDER.get(e.sheet, 9), e.row))
        audit_record(
            actor=actor, action="sinau.planning.dictionary_import", instance=actor,
            reason=_("Impor berkas %(name)s") % {"name": filename},
            data={"file": filename[:255], **result.counts()},
        )  # fmt: skip
    return result


def _lock_imports() -> None:
    """One dictionary import writes at a time. PostgreSQL: a transaction-level advisory
    lock; SQLite: the IMMEDIATE transaction already holds the database's write lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])


def _field_errors(instance: Any) -> list[str]:
    """The model's own field checks (lengths, choices), without a query per row: uniqueness
    is the import's own business, settled against the dictionary read once."""
    try:
        instance.clean_fields()
    except ValidationError as exc:
        return [f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()]
    return []


def _import_competencies(
    parsed: ParsedDictionary, result: DictionaryImportResult
) -> dict[str, int]:
    """Create and update the file's competencies; return every known code -> its id."""
    stored = {c.code.upper(): c for c in Competency.objects.all()}
    now = timezone.now()
    creates: list[Competency] = []
    updates: list[Competency] = []
    changed_fields: set[str] = set()
    for row in parsed.competencies:
        current = stored.get(row.code)
        wanted: dict[str, Any] = {"name": row.name, "competency_type": row.competency_type}
        if row.description is not None:
            wanted["description"] = row.description
        if row.level_descriptions is not None:
            wanted["level_descriptions"] = row.level_descriptions
        if current is None:
            competency = Competency(code=row.code, **wanted)
            errors = _field_errors(competency)
            if errors:
                result.errors.append(RowError(SHEET_COMPETENCIES, row.row, errors))
                parsed.refused_codes.setdefault(row.code, row.row)
                continue
            creates.append(competency)
            continue
        diff = {name: value for name, value in wanted.items() if getattr(current, name) != value}
        if not diff:
            result.competencies_unchanged += 1
            continue
        for name, value in diff.items():
            setattr(current, name, value)
        errors = _field_errors(current)
        if errors:
            result.errors.append(RowError(SHEET_COMPETENCIES, row.row, errors))
            current.refresh_from_db()
            continue
        current.updated_at = now  # bulk_update does not touch auto_now fields
        updates.append(current)
        changed_fields.update(diff)
    Competency.objects.bulk_create(creates, batch_size=BATCH_SIZE)
    if updates:
        Competency.objects.bulk_update(
            updates, sorted({*changed_fields, "updated_at"}), batch_size=BATCH_SIZE
        )
    result.competencies_created = len(creates)
    result.competencies_updated = len(updates)
    codes = {code: c.pk for code, c in stored.items()}
    if any(c.pk is None for c in creates):  # a backend that does not return bulk ids
        codes.update(
            (code.upper(), pk)
            for code, pk in Competency.objects.filter(
                code__in=[c.code for c in creates]
            ).values_list("code", "pk")
        )
    else:
        codes.update((c.code, c.pk) for c in creates)
    return codes


def _import_standards(
    parsed: ParsedDictionary, result: DictionaryImportResult, codes: dict[str, int]
) -> None:
    stored = {
        (key, competency_id): (pk, jabatan, level)
        for pk, key, competency_id, jabatan, level in JabatanStandard.objects.values_list(
            "pk", "jabatan_key", "competency_id", "jabatan", "required_level"
        )
    }
    now = timezone.now()
    creates: list[JabatanStandard] = []
    updates: list[JabatanStandard] = []
    for row in parsed.standards:
        competency_id = codes.get(row.code)
        if competency_id is None:
            refused = parsed.refused_codes.get(row.code)
            message = (
                _(
                    "KODE_KOMPETENSI %(code)s ada di lembar Kompetensi baris %(row)d, tetapi "
                    "baris itu bermasalah sehingga tidak diimpor."
                )
                % {"code": row.code, "row": refused}
                if refused is not None
                else _(
                    "KODE_KOMPETENSI %(code)s tidak ada di lembar Kompetensi maupun di kamus "
                    "kompetensi."
                )
                % {"code": row.code}
            )
            result.errors.append(RowError(SHEET_STANDARDS, row.row, [message]))
            continue
        current = stored.get((row.jabatan_key, competency_id))
        if current is None:
            # bulk_create skips save(), which is where the jabatan's key is normally set.
            creates.append(
                JabatanStandard(
                    jabatan=row.jabatan,
                    jabatan_key=row.jabatan_key,
                    competency_id=competency_id,
                    required_level=row.level,
                )  # fmt: skip
            )
            continue
        pk, jabatan, level = current
        if (jabatan, level) == (row.jabatan, row.level):
            result.standards_unchanged += 1
            continue
        updates.append(
            JabatanStandard(
                pk=pk,
                jabatan=row.jabatan,
                jabatan_key=row.jabatan_key,
                competency_id=competency_id,
                required_level=row.level,
                updated_at=now,
            )  # fmt: skip
        )
    JabatanStandard.objects.bulk_create(creates, batch_size=BATCH_SIZE)
    if updates:
        JabatanStandard.objects.bulk_update(
            updates, ["jabatan", "required_level", "updated_at"], batch_size=BATCH_SIZE
        )
    result.standards_created = len(creates)
    result.standards_updated = len(updates)
