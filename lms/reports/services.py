"""Export jobs of the compliance reports: a list too large to build during a request (the
whole Pemda's employees with their JP) is asked for here, built by a Celery task with its
progress on the job, and downloaded by the one who asked for it.

The job stores the filters, never the rows: the task computes the rows again under the
requester's scope at build time, so a role taken away meanwhile takes the rows with it.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.core.audit import audit_record
from lms.people.models import GOLONGAN_CHOICES, Employee, EmploymentType, JabatanKind, OrgUnit
from lms.people.selectors import Scope, scope_for

from . import selectors
from .exports import FORMATS, export_failed, export_ready, safe_filename, write_table
from .models import ReportExport
from .selectors import ComplianceFilters

logger = logging.getLogger(__name__)

KIND_EMPLOYEES = selectors.KIND_EMPLOYEES
KINDS = selectors.EXPORT_KINDS
# Progress is written to the job at most this often (seconds), and at the end.
PROGRESS_SECONDS = 1.0
FIRST_YEAR = 2000


def _check_filters(params: dict[str, Any]) -> tuple[ComplianceFilters, int | None, str]:
    """The stored filters, checked again (they are data from the past, and the choices may
    have changed): the filters, the unit id and the sort order."""
    try:
        year = int(params.get("year") or 0)
    except (TypeError, ValueError):
        year = 0
    if not FIRST_YEAR <= year <= selectors.current_year() + 1:
        raise ValidationError(_("Tahun laporan tidak valid."))
    employment_type = str(params.get("employment_type") or "")
    jabatan_kind = str(params.get("jabatan_kind") or "")
    golongan = str(params.get("golongan") or "")
    if employment_type and employment_type not in EmploymentType.values:
        raise ValidationError(_("Jenis pegawai tidak dikenal."))
    if jabatan_kind and jabatan_kind not in JabatanKind.values:
        raise ValidationError(_("Jenis jabatan tidak dikenal."))
    if golongan and golongan not in dict(GOLONGAN_CHOICES):
        raise ValidationError(_("Golongan tidak dikenal."))
    unit = params.get("unit")
    if unit is not None and not isinstance(unit, int):
        raise ValidationError(_("Unit tidak valid."))
    sort = str(params.get("sort") or "jp")
    if sort not in selectors.SORTS:
        sort = "jp"
    filters = ComplianceFilters(
        year=year, employment_type=employment_type, jabatan_kind=jabatan_kind, golongan=golongan
    )
    return filters, unit, sort


def _unit_for(scope: Scope, unit_id: int | None) -> OrgUnit | None:
    if unit_id is None:
        return None
    unit = selectors.unit_in_scope(scope=scope, unit_id=unit_id)
    if unit is None:
        raise PermissionDenied(_("Unit ini di luar lingkup Anda."))
    return unit


def employee_export_params(
    *, filters: ComplianceFilters, unit: OrgUnit | None, sort: str = "jp"
) -> dict[str, Any]:
    return {**filters.as_params(), "unit": unit.pk if unit else None, "sort": sort}


def employee_export_audit(*, actor: Employee, params: dict[str, Any], how: str) -> None:
    """Names and NIPs leave Sinau: say who took them, with which filters."""
    audit_record(
        actor=actor, action="sinau.people.export", instance=actor,
        reason=_("Ekspor daftar kepatuhan JP pegawai"),
        data={"report": KIND_EMPLOYEES, "params": params, "how": how},
    )  # fmt: skip


def report_export_create(
    *, actor: Employee, kind: str, file_format: str, params: dict[str, Any]
) -> ReportExport:
    """Ask for an export: checked now (scope, filters, format), built by a task after the
    commit. The same request while one is still being built returns that one (a second
    click does not build the file twice)."""
    scope = scope_for(actor)
    if not scope.is_admin_scope:
        raise PermissionDenied(_("Laporan ini untuk admin OPD dan auditor BKPSDM."))
    if kind not in KINDS:
        raise ValidationError(_("Jenis laporan tidak dikenal."))
    if file_format not in FORMATS:
        raise ValidationError(_("Pilih format CSV atau XLSX."))
    filters, unit_id, sort = _check_filters(params)
    unit = _unit_for(scope, unit_id)
    clean = employee_export_params(filters=filters, unit=unit, sort=sort)
    with transaction.atomic():
        waiting = ReportExport.objects.filter(
            requested_by=actor, kind=kind, file_format=file_format,
            status__in=[ReportExport.Status.QUEUED, ReportExport.Status.BUILDING],
        )  # fmt: skip
        for job in waiting.select_for_update():
            if job.params == clean:
                return job
        job = ReportExport(requested_by=actor, kind=kind, file_format=file_format, params=clean)
        job.full_clean()
        job.save()
        employee_export_audit(actor=actor, params=clean, how="job")
        job_id = job.pk
        transaction.on_commit(lambda: _enqueue(job_id))
    logger.info("report export requested", extra={"export_id": job_id, "kind": kind})
    return job


def _enqueue(export_id: int) -> None:
    """Queue the build; a broker that is down is said on the job, not with a 500."""
    from .export_tasks import report_export_run_task

    try:
        report_export_run_task.delay(export_id)
    except Exception:  # kombu raises many kinds of connection errors
        logger.exception("could not queue report export", extra={"export_id": export_id})
        ReportExport.objects.filter(pk=export_id).update(
            status=ReportExport.Status.FAILED,
            failure=_(
                "Antrean tugas sedang tidak tersedia; minta unduhan lagi beberapa saat lagi."
            ),
            finished_at=timezone.now(),
        )


def _counted(rows: Iterable[Sequence[Any]], export_id: int, done: list[int]) -> Iterator[Any]:
    """Pass the rows through, writing how many went by to the job about once a second (one
    small UPDATE outside any transaction, so the progress page sees it at once)."""
    last = time.monotonic()
    for row in rows:
        yield row
        done[0] += 1
        now = time.monotonic()
        if now - last >= PROGRESS_SECONDS:
            ReportExport.objects.filter(pk=export_id).update(done=done[0])
            last = now


def report_export_run(*, export_id: int) -> ReportExport | None:
    """Build the file of one job. A ready or failed job is left alone (the requester asks
    again for a failed one); one interrupted mid-build (a worker lost, the task delivered
    again) is built again from the start: the file is saved only when whole."""
    claimed = ReportExport.objects.filter(
        pk=export_id, kind__in=KINDS,
        status__in=[ReportExport.Status.QUEUED, ReportExport.Status.BUILDING],
    ).update(status=ReportExport.Status.BUILDING, done=0, failure="")  # fmt: skip
    job = ReportExport.objects.select_related("requested_by").filter(pk=export_id).first()
    if job is None or not claimed:
        return job
    try:
        scope = scope_for(job.requested_by)
        if not scope.is_admin_scope:
            raise PermissionDenied(_("Anda tidak lagi berwenang membaca laporan ini."))
        filters, unit_id, sort = _check_filters(job.params or {})
        unit = _unit_for(scope, unit_id)
        total, rows = selectors.employee_rows(scope=scope, filters=filters, unit=unit, sort=sort)
        ReportExport.objects.filter(pk=export_id).update(total=total)
        done = [0]
        stem = f"kepatuhan-jp-{filters.year}" + (f"-unit-{unit.pk}" if unit else "")
        with tempfile.TemporaryFile() as tmp:
            written = write_table(
                _counted(rows, export_id, done),
                selectors.employee_header(),
                job.file_format,
                tmp,
                sheet_title=_("Kepatuhan JP %(year)s") % {"year": filters.year},
            )
            name = f"{safe_filename(stem, job.file_format).rsplit('.', 1)[0]}"
            export_ready(job, tmp, stem=name, fmt=job.file_format, written=written)
    except Exception as exc:
        logger.exception("report export failed", extra={"export_id": export_id})
        if isinstance(exc, PermissionDenied | ValidationError):
            message = " ".join(getattr(exc, "messages", [str(exc)]))
        else:
            message = _("Berkas gagal dibuat; minta unduhan lagi atau hubungi admin BKPSDM.")
        export_failed(export_id, message)
        job.refresh_from_db()
    return job
