"""The SIASN-shaped training history: one row per training credited in a year, in the shape
of SIASN's riwayat kursus (and riwayat diklat for structural leadership training), for an
operator to push or upload into SIASN. The README's "SIASN export" section documents every
column.

It reads the JP ledger itself (it is an export of the entries): only in a task, never on a
page. A row is an entry that credits hours (a course completion, a verified external
training, an approved mentoring) and has not been taken back: reversing entries and the
entries they reverse are left out. The scope is the requester's, computed again when the
file is built: an OPD admin gets their subtree's employees, an auditor or superuser all.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.certificates.models import Certificate
from lms.core.audit import audit_record
from lms.learning.models import (
    Enrolment,
    ExternalTraining,
    JenisDiklat,
    JPEntry,
    MentoringAssignment,
)
from lms.people.models import Employee, OrgUnit
from lms.people.selectors import Scope, scope_for

from .courses import opd_lookup
from .exports import export_failed, export_ready, write_table
from .models import ReportExport

logger = logging.getLogger(__name__)

KIND = "siasn"
FORMATS = ("xlsx", "csv")
CHUNK = 2000
DATE_FORMAT = "%d-%m-%Y"  # SIASN's dates: dd-mm-yyyy

# SIASN's jenis diklat for a row whose entry and source name none (reference data may be
# missing): a Sinau course by its form, mentoring as mentoring; an external training has
# no safe guess and is left blank for the operator.
JENIS_E_LEARNING = 16
JENIS_KLASIKAL_LAINNYA = 13
JENIS_MENTORING = 15
# Diklat struktural (leadership training) goes to riwayat diklat; everything else to
# riwayat kursus.
JENIS_STRUKTURAL = 1

CREDITING_SOURCES = (
    JPEntry.Source.COURSE,
    JPEntry.Source.EXTERNAL,
    JPEntry.Source.MENTORING,
    JPEntry.Source.SESSION,
)

HEADER = [
    "nip",
    "jenisDiklatId",
    "namaKursus",
    "institusiPenyelenggara",
    "tanggalKursus",
    "tanggalSelesaiKursus",
    "jumlahJam",
    "tahunKursus",
    "nomorSertipikat",
    "riwayat",
    "namaPegawai",
    "jenisDiklat",
    "jp",
    "sumber",
    "idEntri",
]


def jumlah_jam(jp: Decimal) -> int:
    """SIASN takes whole hours: JP rounded half up (2.5 -> 3, 2.25 -> 2), and never 0 for
    a credited training (0.25 -> 1)."""
    return max(1, int(jp.quantize(Decimal("1"), rounding=ROUND_HALF_UP)))


def plain_jp(jp: Decimal) -> Decimal:
    """JP without trailing zeros and never in exponent form: 2.50 -> 2.5, 20.00 -> 20."""
    value = jp.normalize()
    return value.quantize(Decimal("1")) if value.as_tuple().exponent > 0 else value  # type: ignore[operator]


def siasn_date(day: dt.date | None) -> str:
    return day.strftime(DATE_FORMAT) if day else ""


@dataclass(frozen=True)
class SiasnRow:
    nip: str
    jenis_code: int | None
    nama: str
    institusi: str
    mulai: dt.date
    selesai: dt.date
    jp: Decimal
    tahun: int
    nomor: str
    nama_pegawai: str
    jenis_name: str
    sumber: str
    entry_id: int

    @property
    def riwayat(self) -> str:
        return "diklat" if self.jenis_code == JENIS_STRUKTURAL else "kursus"

    def as_list(self) -> list[Any]:
        return [
            self.nip,
            "" if self.jenis_code is None else self.jenis_code,
            self.nama,
            self.institusi,
            siasn_date(self.mulai),
            siasn_date(self.selesai),
            jumlah_jam(self.jp),
            self.tahun,
            self.nomor,
            self.riwayat,
            self.nama_pegawai,
            self.jenis_name,
            plain_jp(self.jp),
            self.sumber,
            self.entry_id,
        ]


# --- Reading ---------------------------------------------------------------------------------


def siasn_entries(*, scope: Scope, year: int, org_unit: OrgUnit | None = None) -> QuerySet[JPEntry]:
    """The entries that become rows: crediting ones of the year, never reversed and not
    reversals, of employees in scope (and in ``org_unit``'s subtree if given)."""
    if not scope.is_admin_scope:
        return JPEntry.objects.none()
    qs = JPEntry.objects.filter(
        year=year,
        source_type__in=CREDITING_SOURCES,
        reverses__isnull=True,
        reversal__isnull=True,
        jp__gt=0,
    ).filter(scope.unit_q("employee__org_unit__"))
    if org_unit is not None:
        qs = qs.filter(org_unit.subtree_filter("employee__org_unit__"))
    return qs.order_by("employee__nip", "earned_on", "pk")


def _local_date(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment else None


def _rows_for(entries: Sequence[JPEntry], jenis_names: dict[int, str]) -> list[SiasnRow]:
    """Rows for a chunk of entries, with their sources loaded in a fixed number of queries
    (enrolments with their courses, certificates, external trainings, mentorings, OPDs)."""
    ids: dict[str, list[int]] = {s: [] for s in CREDITING_SOURCES}
    for e in entries:
        ids[e.source_type].append(e.source_id)
    enrolments = {
        en.pk: en
        for en in Enrolment.objects.filter(pk__in=ids[JPEntry.Source.COURSE])
        .select_related("course", "course__jenis_diklat")
        .only(
            "pk", "created_at", "started_at", "completed_at", "course__title",
            "course__training_form", "course__jenis_diklat__code",
        )
    }  # fmt: skip
    certificates = {
        enrolment_id: (number, title)
        for enrolment_id, number, title in Certificate.objects.filter(
            enrolment_id__in=ids[JPEntry.Source.COURSE], status=Certificate.Status.VALID
        ).values_list("enrolment_id", "number", "course_title")
    }
    externals = {
        x.pk: x
        for x in ExternalTraining.objects.filter(pk__in=ids[JPEntry.Source.EXTERNAL])
        .select_related("jenis")
        .only(
            "pk", "title", "organiser", "started_on", "ended_on", "certificate_number",
            "jenis__code",
        )
    }  # fmt: skip
    mentorings = {
        m.pk: m
        for m in MentoringAssignment.objects.filter(pk__in=ids[JPEntry.Source.MENTORING])
        .select_related("jenis")
        .only("pk", "topic", "starts_on", "ends_on", "jenis__code")
    }
    mentee_paths = [
        e.employee.org_unit.path
        for e in entries
        if e.source_type == JPEntry.Source.MENTORING and e.employee.org_unit is not None
    ]
    opds = opd_lookup(mentee_paths)
    pemda = settings.SINAU_PEMDA_NAME
    rows: list[SiasnRow] = []
    for e in entries:
        employee: Employee = e.employee
        jenis_code = e.jenis.code if e.jenis else None
        selesai = e.earned_on
        if e.source_type == JPEntry.Source.COURSE:
            en = enrolments.get(e.source_id)
            course = en.course if en else None
            if jenis_code is None and course is not None and course.jenis_diklat is not None:
                jenis_code = course.jenis_diklat.code
            if jenis_code is None:
                jenis_code = JENIS_KLASIKAL_LAINNYA if e.form == "klasikal" else JENIS_E_LEARNING
            mulai = (_local_date(en.started_at) or _local_date(en.created_at)) if en else None
            nomor, title = certificates.get(e.source_id, ("", ""))
            # The title the certificate carries; a course renamed since keeps it.
            nama = title or (course.title if course else e.note)
            institusi = pemda
        elif e.source_type == JPEntry.Source.EXTERNAL:
            x = externals.get(e.source_id)
            if jenis_code is None and x is not None and x.jenis is not None:
                jenis_code = x.jenis.code
            mulai = x.started_on if x else None
            selesai = x.ended_on if x else selesai
            nama = x.title if x else e.note
            institusi = x.organiser if x else ""
            nomor = x.certificate_number if x else ""
        elif e.source_type == JPEntry.Source.SESSION:
            # A session's entry carries its jenis and title; the Pemda held it that day.
            jenis_code = jenis_code or JENIS_KLASIKAL_LAINNYA
            mulai = selesai
            nama = e.note
            institusi = pemda
            nomor = ""
        else:
            m = mentorings.get(e.source_id)
            if jenis_code is None and m is not None and m.jenis is not None:
                jenis_code = m.jenis.code
            if jenis_code is None:
                jenis_code = JENIS_MENTORING
            mulai = m.starts_on if m else None
            nama = m.topic if m else e.note
            unit = employee.org_unit
            opd = opds.get(unit.path) if unit is not None else None
            institusi = opd.name if opd else (unit.name if unit else pemda)
            nomor = ""
        mulai = min(mulai or selesai, selesai)
        rows.append(
            SiasnRow(
                nip=employee.nip,
                jenis_code=jenis_code,
                nama=nama,
                institusi=institusi,
                mulai=mulai,
                selesai=selesai,
                jp=e.jp,
                tahun=e.year,
                nomor=nomor,
                nama_pegawai=employee.name_with_gelar,
                jenis_name=jenis_names.get(jenis_code, "") if jenis_code is not None else "",
                sumber=e.source_type,
                entry_id=e.pk,
            )  # fmt: skip
        )
    return rows


def siasn_rows(
    *, scope: Scope, year: int, org_unit: OrgUnit | None = None, chunk: int = CHUNK
) -> Iterator[SiasnRow]:
    """Every row, a chunk of entries at a time (a few queries per chunk)."""
    entries = (
        siasn_entries(scope=scope, year=year, org_unit=org_unit)
        .select_related("employee", "employee__org_unit", "jenis")
        .only(
            "pk", "year", "jp", "form", "source_type", "source_id", "earned_on", "note",
            "employee__nip", "employee__full_name", "employee__gelar_depan",
            "employee__gelar_belakang", "employee__org_unit__path", "employee__org_unit__name",
            "jenis__code",
        )
    )  # fmt: skip
    jenis_names = dict(JenisDiklat.objects.values_list("code", "name"))
    buffer: list[JPEntry] = []
    for entry in entries.iterator(chunk_size=chunk):
        buffer.append(entry)
        if len(buffer) >= chunk:
            yield from _rows_for(buffer, jenis_names)
            buffer = []
    if buffer:
        yield from _rows_for(buffer, jenis_names)


# --- The export job ----------------------------------------------------------------------------


def _check_year(year: Any) -> int:
    current = timezone.localdate().year
    if not isinstance(year, int) or not 2000 <= year <= current + 1:
        raise ValidationError(
            {"year": _("Pilih tahun antara 2000 dan %(max)d.") % {"max": current + 1}}
        )
    return year


def siasn_export_request(
    *,
    actor: Employee,
    year: int,
    file_format: str = "xlsx",
    org_unit: OrgUnit | None = None,
) -> ReportExport:
    """Ask for the SIASN file of a year (optionally one unit's subtree) in CSV or XLSX: an
    OPD admin for their subtree, an auditor or superuser for anyone. The build is queued
    after the commit; the page follows its progress."""
    scope = scope_for(actor)
    if not scope.is_admin_scope:
        raise PermissionDenied(_("Ekspor SIASN untuk admin OPD dan auditor BKPSDM."))
    year = _check_year(year)
    if file_format not in FORMATS:
        raise ValidationError({"file_format": _("Pilih format CSV atau XLSX.")})
    if org_unit is not None and not scope.covers_path(org_unit.path):
        raise PermissionDenied(_("Unit ini di luar lingkup Anda."))
    with transaction.atomic():
        export = ReportExport(
            requested_by=actor,
            kind=KIND,
            file_format=file_format,
            params={"year": year, "org_unit": org_unit.pk if org_unit else None},
        )
        export.full_clean()
        export.save()
        # Personal data (NIPs and names) leaves the system: said in the audit log, as the
        # employee and compliance exports are.
        audit_record(
            actor=actor, action="sinau.people.export", instance=actor,
            reason=_("Ekspor riwayat pelatihan SIASN"),
            data={"report": KIND, "export": export.pk, "params": export.params},
        )  # fmt: skip
        export_id = export.pk
        transaction.on_commit(lambda: _enqueue(export_id))
    logger.info("siasn export requested", extra={"export_id": export_id, "year": year})
    return export


def _enqueue(export_id: int) -> None:
    """Queue the build; a broker that is down is said on the export, not with a 500."""
    from .tasks import siasn_export_build_task

    try:
        siasn_export_build_task.delay(export_id)
    except Exception:  # kombu raises many kinds of connection errors
        logger.exception("could not queue siasn export", extra={"export_id": export_id})
        ReportExport.objects.filter(pk=export_id).update(
            status=ReportExport.Status.FAILED,
            failure=_("Antrean tugas sedang tidak tersedia; minta ekspor lagi beberapa saat lagi."),
            finished_at=timezone.now(),
        )


def export_unit(export: ReportExport) -> OrgUnit | None:
    unit_id = (export.params or {}).get("org_unit")
    return OrgUnit.objects.filter(pk=unit_id).first() if unit_id else None


class UnitGone(Exception):
    """The unit an export was narrowed to is out of the requester's scope, or gone."""


def siasn_export_build(*, export_id: int) -> ReportExport | None:
    """Build the file of one export. A ready one is left alone; a failed one stays failed
    (the requester asks again); one interrupted mid-build (a worker lost) is built again
    from the start: the file is saved only when whole."""
    claimed = ReportExport.objects.filter(
        pk=export_id,
        kind=KIND,
        status__in=[ReportExport.Status.QUEUED, ReportExport.Status.BUILDING],
    ).update(status=ReportExport.Status.BUILDING, done=0, failure="")
    export = ReportExport.objects.select_related("requested_by").filter(pk=export_id).first()
    if export is None or not claimed:
        return export
    try:
        # The requester's scope now, not when they asked: a role taken away meanwhile
        # takes the rows with it.
        scope = scope_for(export.requested_by)
        year = int(export.params["year"])
        unit = export_unit(export)
        if (export.params or {}).get("org_unit") and (
            unit is None or not scope.covers_path(unit.path)
        ):
            # Never the whole scope in place of the unit asked for.
            raise UnitGone
        total = siasn_entries(scope=scope, year=year, org_unit=unit).count()
        ReportExport.objects.filter(pk=export_id).update(total=total)
        rows = (row.as_list() for row in siasn_rows(scope=scope, year=year, org_unit=unit))
        fmt = export.file_format if export.file_format in FORMATS else "xlsx"

        def progress(done: int) -> None:
            ReportExport.objects.filter(pk=export_id).update(done=min(done, total))

        with tempfile.TemporaryFile() as tmp:
            written = write_table(
                rows, HEADER, fmt, tmp, sheet_title=f"SIASN {year}", progress=progress
            )
            export_ready(export, tmp, stem=f"siasn-{year}", fmt=fmt, written=written)
    except Exception as exc:
        logger.exception("siasn export failed", extra={"export_id": export_id})
        if isinstance(exc, SoftTimeLimitExceeded):
            message = _("Waktu pembuatan berkas habis; minta ekspor per OPD.")
        elif isinstance(exc, UnitGone):
            message = _("Unit ini sudah di luar lingkup Anda atau sudah tidak ada.")
        else:
            message = _("Berkas SIASN gagal dibuat; minta ekspor lagi atau hubungi admin BKPSDM.")
        export_failed(export_id, message)
        export.refresh_from_db()
    return export


def siasn_exports_of(*, viewer: Employee) -> QuerySet[ReportExport]:
    """The viewer's own SIASN exports, newest first: a file is the requester's alone."""
    return ReportExport.objects.filter(requested_by=viewer, kind=KIND).order_by(
        "-created_at", "-pk"
    )


def siasn_export_get(*, viewer: Employee, export_id: int) -> ReportExport:
    """The export if the viewer asked for it; ``DoesNotExist`` otherwise (a 404: the ids of
    other people's exports cannot be probed)."""
    return siasn_exports_of(viewer=viewer).get(pk=export_id)


def export_percent(export: ReportExport) -> int:
    if export.status == ReportExport.Status.READY:
        return 100
    return min(100, int(export.done * 100 / export.total)) if export.total else 0
