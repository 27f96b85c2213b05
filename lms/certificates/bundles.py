"""Zips of certificates for auditors: one course's, one OPD's (optionally one year's).

Requesting one creates a ``CertificateBundle`` and queues a task; the task renders any PDF
not yet rendered, writes the zip to the default storage and counts its progress on the row
as it goes, so the page can show it. Running the task twice does no harm.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import secrets
import tempfile
import time
import zipfile
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from courses.models import CoursePage
from lms.core.audit import audit_record
from lms.people.models import Employee, OrgUnit
from lms.people.selectors import scope_for

from . import selectors, services
from .models import Certificate, CertificateBundle

logger = logging.getLogger(__name__)

# Progress is written at most this often (seconds), and always at the end.
PROGRESS_EVERY = 1.0
MANIFEST_NAME = "daftar-sertifikat.csv"


def certificate_file_stem(number: str) -> str:
    """A file name from a certificate number: ``SINAU/2026/000001`` -> ``SINAU-2026-000001``."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", number).strip("-.")
    return stem or "sertifikat"


def bundle_entry_name(certificate: Certificate) -> str:
    """``SINAU-2026-000001_budi-santoso.pdf``: sorted by number, readable by name."""
    holder = slugify(certificate.holder_name)[:60]
    return f"{certificate_file_stem(certificate.number)}_{holder}.pdf"


def bundle_request(
    *,
    actor: Employee,
    course: CoursePage | None = None,
    org_unit: OrgUnit | None = None,
    year: int | None = None,
) -> CertificateBundle:
    """Ask for a zip; auditors and superusers (BKPSDM) only. Refused, with nothing created,
    when it would hold no certificate."""
    if not scope_for(actor).everything:
        raise PermissionDenied(_("Unduhan sertifikat massal hanya untuk auditor dan BKPSDM."))
    if course is None and org_unit is None:
        raise ValidationError(_("Pilih kursus atau OPD."))
    with transaction.atomic():
        bundle = CertificateBundle(
            requested_by=actor, course=course, org_unit=org_unit, year=year or None
        )
        bundle.full_clean()
        total = selectors.bundle_certificates(bundle=bundle).count()
        if total == 0:
            raise ValidationError(_("Tidak ada sertifikat sah yang cocok dengan pilihan ini."))
        bundle.total = total
        bundle.save()
        audit_record(
            actor=actor, action="sinau.certificate.bundle", instance=bundle,
            data={
                "course": course.pk if course else None,
                "org_unit": org_unit.pk if org_unit else None,
                "year": year, "total": total,
            },
        )  # fmt: skip
        bundle_id = bundle.pk
        transaction.on_commit(lambda: _enqueue(bundle_id))
    return bundle


def _enqueue(bundle_id: int) -> None:
    """Queue the build; if the broker is down, say so on the bundle, not with a 500."""
    try:
        certificate_bundle_build_task.delay(bundle_id)
    except Exception:  # kombu raises many kinds of connection errors
        logger.exception("could not queue certificate bundle", extra={"bundle_id": bundle_id})
        CertificateBundle.objects.filter(pk=bundle_id).update(
            status=CertificateBundle.Status.FAILED,
            failure=_(
                "Antrean tugas sedang tidak tersedia; minta unduhan lagi beberapa saat lagi."
            ),
            finished_at=timezone.now(),
        )


def _pdf_bytes(certificate: Certificate) -> bytes:
    """The certificate's PDF, rendered now if it never was (or its file is gone)."""
    force = False
    if certificate.pdf:
        try:
            with certificate.pdf.open("rb") as fh:
                return fh.read()
        except FileNotFoundError:
            logger.warning("certificate pdf missing", extra={"certificate_id": certificate.pk})
            force = True
    rendered = services.certificate_render(certificate_id=certificate.pk, force=force)
    if rendered is None or not rendered.pdf:
        raise RuntimeError(f"certificate {certificate.pk} has no PDF")
    with rendered.pdf.open("rb") as fh:
        return fh.read()


def _manifest(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [_("Nomor"), _("Nama"), _("NIP"), _("Kursus"), _("JP"), _("Tanggal selesai"), _("Berkas")]
    )
    writer.writerows(rows)
    # A BOM, so that Excel opens the names with their accents right.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def bundle_build(*, bundle_id: int) -> CertificateBundle:
    """Build the zip of one bundle. A bundle already ready is left alone; a failed or
    interrupted one is built again from the start (the file is only saved when whole)."""
    claimed = CertificateBundle.objects.filter(
        pk=bundle_id,
        status__in=[CertificateBundle.Status.QUEUED, CertificateBundle.Status.BUILDING],
    ).update(status=CertificateBundle.Status.BUILDING, done=0, failure="")
    bundle = CertificateBundle.objects.get(pk=bundle_id)
    if not claimed:
        return bundle
    try:
        certificates = list(
            selectors.bundle_certificates(bundle=bundle).only(
                "pk",
                "number",
                "holder_name",
                "holder_nip",
                "course_title",
                "jp",
                "completed_on",
                "pdf",
                "code",
            )  # fmt: skip
        )
        total = len(certificates)
        CertificateBundle.objects.filter(pk=bundle_id).update(total=total)
        rows: list[list[str]] = []
        failed: list[str] = []
        last_report = time.monotonic()
        with tempfile.TemporaryFile() as tmp:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for done, certificate in enumerate(certificates, start=1):
                    name = bundle_entry_name(certificate)
                    try:
                        data = _pdf_bytes(certificate)
                    except SoftTimeLimitExceeded:
                        raise
                    except Exception:
                        logger.exception(
                            "certificate render failed in bundle",
                            extra={"bundle_id": bundle_id, "certificate_id": certificate.pk},
                        )
                        failed.append(certificate.number)
                        name = ""
                    else:
                        archive.writestr(name, data)
                    rows.append(
                        [
                            certificate.number, certificate.holder_name, certificate.holder_nip,
                            certificate.course_title, f"{certificate.jp.normalize():f}",
                            certificate.completed_on.isoformat(), name,
                        ]
                    )  # fmt: skip
                    if time.monotonic() - last_report >= PROGRESS_EVERY:
                        CertificateBundle.objects.filter(pk=bundle_id).update(done=done)
                        last_report = time.monotonic()
                archive.writestr(MANIFEST_NAME, _manifest(rows))
            if total and len(failed) == total:
                raise RuntimeError("no certificate could be rendered")
            tmp.seek(0)
            stem = _bundle_stem(bundle)
            bundle.file.save(
                f"{stem}-{secrets.token_hex(8)}.zip", File(tmp, name=f"{stem}.zip"), save=False
            )
        bundle.status = CertificateBundle.Status.READY
        bundle.done = total
        bundle.total = total
        bundle.failure = (
            _("PDF sertifikat berikut belum dapat dibuat dan tidak ada di zip: %(numbers)s")
            % {"numbers": ", ".join(failed)}
            if failed
            else ""
        )
        bundle.finished_at = timezone.now()
        bundle.save(
            update_fields=[
                "status",
                "done",
                "total",
                "file",
                "failure",
                "finished_at",
                "updated_at",
            ]
        )
    except Exception as exc:
        logger.exception("certificate bundle failed", extra={"bundle_id": bundle_id})
        message = (
            _("Waktu pembuatan zip habis; minta unduhan yang lebih kecil (misalnya per tahun).")
            if isinstance(exc, SoftTimeLimitExceeded)
            else _("Zip sertifikat gagal dibuat; minta unduhan lagi atau hubungi admin BKPSDM.")
        )
        CertificateBundle.objects.filter(pk=bundle_id).update(
            status=CertificateBundle.Status.FAILED, failure=message, finished_at=timezone.now()
        )
        bundle.refresh_from_db()
    return bundle


def _bundle_stem(bundle: CertificateBundle) -> str:
    parts: list[Any] = ["sertifikat"]
    if bundle.course_id:
        parts.append(slugify(CoursePage.objects.get(pk=bundle.course_id).title)[:40])
    if bundle.org_unit_id:
        parts.append(slugify(OrgUnit.objects.get(pk=bundle.org_unit_id).name)[:40])
    if bundle.year:
        parts.append(bundle.year)
    return "-".join(str(p) for p in parts if p)


@shared_task(acks_late=True, time_limit=60 * 60, soft_time_limit=60 * 55)
def certificate_bundle_build_task(bundle_id: int) -> None:
    # The service is idempotent: a redelivered bundle that is ready does nothing.
    bundle_build(bundle_id=bundle_id)
