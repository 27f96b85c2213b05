"""Issuing certificates and writing their PDFs. Each action is one transaction.

Issuing is cheap and transactional (a number, a code, a snapshot); rendering is slow and
happens afterwards in a worker (``tasks.certificate_render_task``), so a request never
waits for WeasyPrint.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import string
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import CoursePage
from lms.core.audit import audit_record
from lms.learning.models import Enrolment
from lms.people.models import Employee

from .models import Certificate, CertificateSequence, CertificateTemplate

logger = logging.getLogger(__name__)

NUMBER_FIELDS = frozenset({"kode_pemda", "tahun", "urut"})
# secrets.token_urlsafe(24): 24 random bytes, 192 bits, 32 characters.
CODE_BYTES = 24

_checked_formats: set[str] = set()


def number_format() -> str:
    """The configured number format, checked once per process: a bad one stops issuing
    with a message that says what to fix, rather than numbering certificates wrongly."""
    fmt: str = settings.SINAU_CERTIFICATE_NUMBER_FORMAT
    if fmt in _checked_formats:
        return fmt
    problem = ""
    try:
        names = {name for _text, name, _spec, _conv in string.Formatter().parse(fmt) if name}
    except ValueError as exc:
        names, problem = set(), str(exc)
    if not problem and names - NUMBER_FIELDS:
        problem = f"unknown field(s) {sorted(names - NUMBER_FIELDS)}"
    if not problem and not {"tahun", "urut"} <= names:
        # Without both the number would repeat: {urut} restarts every year.
        problem = "it must contain both {tahun} and {urut}"
    if not problem:
        try:
            sample = fmt.format(kode_pemda=settings.SINAU_KODE_PEMDA, tahun=2026, urut=123)
        except (ValueError, IndexError, KeyError) as exc:
            problem = str(exc)
        else:
            if len(sample) > Certificate._meta.get_field("number").max_length:  # type: ignore[operator]
                problem = "the numbers it makes are longer than 100 characters"
    if problem:
        raise ImproperlyConfigured(
            f"SINAU_CERTIFICATE_NUMBER_FORMAT={fmt!r} is not usable: {problem}. Use the fields "
            "{kode_pemda}, {tahun} and {urut}, e.g. '{kode_pemda}/{tahun}/{urut:06d}'."
        )
    _checked_formats.add(fmt)
    return fmt


def certificate_number(*, year: int, sequence: int) -> str:
    return number_format().format(kode_pemda=settings.SINAU_KODE_PEMDA, tahun=year, urut=sequence)


def template_for(course: CoursePage | None) -> CertificateTemplate | None:
    """The course's own template, else the default one; None means the built-in look."""
    if course is not None:
        own = CertificateTemplate.objects.filter(course_id=course.pk).first()
        if own is not None:
            return own
    return CertificateTemplate.objects.filter(is_default=True).first()


def certificate_for_enrolment(enrolment_id: int) -> Certificate | None:
    """The enrolment's certificate: the one in force, else the latest (revoked or replaced)."""
    certificates = Certificate.objects.filter(enrolment_id=enrolment_id)
    return (
        certificates.filter(status=Certificate.Status.VALID).first()
        or certificates.order_by("-issued_at", "-pk").first()
    )


def certificate_number_take(*, year: int) -> tuple[str, int]:
    """The next number of ``year`` and its sequence. The year's sequence row stays locked
    until the caller's transaction ends, so concurrent issuers queue here and a rollback
    gives the number back: numbers are unique and without gaps. Call it inside the
    transaction that saves the certificate."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("certificate_number_take must run inside transaction.atomic")
    sequence = CertificateSequence.objects.select_for_update().filter(year=year).first()
    if sequence is None:
        try:
            with transaction.atomic():
                CertificateSequence.objects.create(year=year, last=0)
        except IntegrityError:
            pass  # another issuer made the year's row first; the lock below waits for it
        sequence = CertificateSequence.objects.select_for_update().get(year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return certificate_number(year=year, sequence=sequence.last), sequence.last


def certificate_issue(*, enrolment: Enrolment, actor: Employee | None = None) -> Certificate:
    """Issue the certificate of a completed enrolment, once.

    An enrolment that already has a certificate (in force, or revoked, or replaced: those
    are BKPSDM's decisions) gets that one back; the database's one-valid-certificate
    constraint holds the line if two issuers race past the lock.
    """
    number_format()  # a misconfigured scheme fails before anything is locked
    existing = certificate_for_enrolment(enrolment.pk)
    if existing is not None:
        return existing
    try:
        return _issue(enrolment_id=enrolment.pk, actor=actor)
    except IntegrityError:
        # The whole transaction rolled back, the number with it; the winner's certificate.
        existing = certificate_for_enrolment(enrolment.pk)
        if existing is None:
            raise
        return existing


def _issue(*, enrolment_id: int, actor: Employee | None) -> Certificate:
    with transaction.atomic():
        locked = (
            Enrolment.objects.select_for_update(of=("self",))
            .select_related("employee")
            .get(pk=enrolment_id)
        )
        existing = certificate_for_enrolment(locked.pk)
        if existing is not None:
            return existing
        if locked.status != Enrolment.Status.COMPLETED or locked.completed_at is None:
            raise ValidationError(
                _("Sertifikat hanya diterbitkan untuk kursus yang sudah diselesaikan.")
            )
        course = CoursePage.objects.get(pk=locked.course_id)
        template = template_for(course)
        employee = locked.employee
        issued_at = timezone.now()
        year = timezone.localdate(issued_at).year
        number, sequence = certificate_number_take(year=year)
        certificate = Certificate(
            enrolment=locked, employee=employee, course=course,
            number=number, year=year,
            sequence=sequence, code=secrets.token_urlsafe(CODE_BYTES),
            holder_name=employee.name_with_gelar, holder_nip=employee.nip,
            course_title=course.title, jp=course.jp_credited,
            competency_type=course.competency_type,
            completed_on=timezone.localdate(locked.completed_at),
            issuer_name=template.issuer_name if template else settings.SINAU_PEMDA_NAME,
            issued_at=issued_at, template=template,
        )  # fmt: skip
        # The unique checks are the database's, under the locks, and the related rows were
        # just read; the rest (lengths, the JP's digits) is validated here.
        certificate.full_clean(
            exclude=["enrolment", "employee", "course", "template"],
            validate_unique=False, validate_constraints=False,
        )  # fmt: skip
        certificate.save()
        audit_record(
            actor=actor, action="sinau.certificate.issue", instance=certificate,
            data={"number": certificate.number, "enrolment_id": locked.pk},
        )  # fmt: skip
    logger.info(
        "certificate issued",
        extra={"certificate_id": certificate.pk, "enrolment_id": enrolment_id},
    )
    return certificate


def _pdf_name(certificate: Certificate) -> str:
    # Not guessable from the number: the file holds a full NIP.
    stem = re.sub(r"[^A-Za-z0-9]+", "-", certificate.number).strip("-") or "sertifikat"
    return f"{certificate.year}/{stem}-{secrets.token_hex(8)}.pdf"


def _has_pdf(certificate: Certificate) -> bool:
    # Rendered means the file is there: a PDF lost from storage is written again.
    return bool(
        certificate.pdf
        and certificate.rendered_at
        and certificate.pdf.storage.exists(certificate.pdf.name)
    )


def certificate_render(*, certificate_id: int, force: bool = False) -> Certificate | None:
    """Write the certificate's PDF to storage (``Certificate.pdf``); idempotent: one already
    rendered is left alone unless ``force`` (after a template change, say). None when the
    certificate no longer exists.

    The slow part (WeasyPrint) runs outside any transaction; the row is then locked only to
    swap in the new file, and the file it replaces is deleted after the commit.
    """
    # Imported here: WeasyPrint is the workers' to load, not every web process's.
    from .rendering import certificate_pdf

    certificate = (
        Certificate.objects.select_related(
            "employee", "template__logo", "template__background", "template__signature"
        )
        .filter(pk=certificate_id)
        .first()
    )
    if certificate is None:
        return None
    if not force and _has_pdf(certificate):
        return certificate
    content = certificate_pdf(certificate)
    storage = certificate.pdf.storage
    name = storage.save(
        certificate.pdf.field.generate_filename(certificate, _pdf_name(certificate)),
        ContentFile(content),
    )
    try:
        with transaction.atomic():
            locked = Certificate.objects.select_for_update().get(pk=certificate_id)
            if not force and _has_pdf(locked):
                # Another worker finished first: keep its file, drop ours.
                transaction.on_commit(lambda: storage.delete(name))
                return locked
            old = locked.pdf.name
            locked.pdf.name = name
            locked.rendered_at = timezone.now()
            locked.render_error = ""
            locked.save(update_fields=["pdf", "rendered_at", "render_error", "updated_at"])
            if old and old != name:
                transaction.on_commit(lambda: storage.delete(old))
    except BaseException:
        storage.delete(name)
        raise
    return locked


def certificate_render_failed(*, certificate_id: int, error: str) -> None:
    """Record why a certificate has no PDF (retries used up), for BKPSDM to see."""
    Certificate.objects.filter(pk=certificate_id).update(
        render_error=error[:2000], updated_at=timezone.now()
    )


def certificates_missing(*, older_than_seconds: int = 300, limit: int = 500) -> dict[str, Any]:
    """What the sweep picks up: completions without a certificate, and certificates with
    neither a PDF nor a recorded render failure; only those older than a few minutes, which
    the on-commit task should have handled."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    enrolments = list(
        Enrolment.objects.filter(
            status=Enrolment.Status.COMPLETED, completed_at__lt=cutoff, certificates__isnull=True
        )
        .order_by("completed_at")
        .values_list("pk", flat=True)[:limit]
    )
    unrendered = list(
        Certificate.objects.filter(pdf="", render_error="", created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return {"enrolments": enrolments, "certificates": unrendered}
