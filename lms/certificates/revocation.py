"""Revoking and reissuing certificates: BKPSDM's corrections, audited.

Revoking takes the course's hours back with a reversing ledger entry in the same
transaction, so a revoked certificate never leaves its JP behind. Reissuing (after a name
correction, say) keeps the hours: the old certificate says "replaced" and points at a new
one with a new number and code.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import CoursePage
from lms.core.audit import audit_record
from lms.learning.models import JPEntry
from lms.learning.services import jp_reverse
from lms.people.models import Employee

from . import services
from .models import Certificate

logger = logging.getLogger(__name__)


def _require_bkpsdm(actor: Any) -> None:
    """Only BKPSDM (superusers) revoke and reissue; ``None`` is a system job."""
    if actor is None:
        return
    if not getattr(actor, "is_superuser", False):
        raise PermissionDenied(
            _("Hanya BKPSDM (superuser) yang dapat mencabut atau menerbitkan ulang sertifikat.")
        )


def _clean_reason(reason: str, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(message)
    return reason[:1000]


def _refuse_unless_valid(certificate: Certificate) -> None:
    if certificate.status == Certificate.Status.REVOKED:
        raise ValidationError(
            _("Sertifikat %(number)s sudah dicabut; tidak dapat dicabut atau diterbitkan ulang.")
            % {"number": certificate.number}
        )
    if certificate.status == Certificate.Status.REPLACED:
        raise ValidationError(
            _(
                "Sertifikat %(number)s sudah diganti terbitan baru; cabut atau terbitkan ulang "
                "sertifikat penggantinya."
            )
            % {"number": certificate.number}
        )


def _course_credit(certificate: Certificate) -> JPEntry | None:
    """The ledger entry that credited this completion, if it still stands."""
    entry = (
        JPEntry.objects.filter(
            employee_id=certificate.employee_id,
            source_type=JPEntry.Source.COURSE,
            source_id=certificate.enrolment_id,
            reverses__isnull=True,
        )
        .select_related("reversal")
        .first()
    )
    if entry is None or getattr(entry, "reversal", None) is not None:
        return None
    return entry


def certificate_revoke(
    *, certificate: Certificate, actor: Employee | None, reason: str
) -> Certificate:
    """Revoke a valid certificate and take its JP back (once); audited.

    The reason is shown on the public verification page.
    """
    _require_bkpsdm(actor)
    reason = _clean_reason(reason, _("Tuliskan alasan pencabutan sertifikat."))
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        _refuse_unless_valid(locked)
        locked.status = Certificate.Status.REVOKED
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.revoke_reason = reason
        locked.full_clean(
            exclude=["enrolment", "employee", "course", "template", "replaces", "revoked_by"],
            validate_unique=False, validate_constraints=False,
        )  # fmt: skip
        locked.save(
            update_fields=["status", "revoked_at", "revoked_by", "revoke_reason", "updated_at"]
        )
        entry = _course_credit(locked)
        reversal = None
        if entry is not None:
            reversal = jp_reverse(
                entry=entry,
                actor=actor,
                reason=_("Sertifikat %(number)s dicabut: %(reason)s")
                % {"number": locked.number, "reason": reason},
            )
        audit_record(
            actor=actor, action="sinau.certificate.revoke", instance=locked, reason=reason,
            data={
                "number": locked.number,
                "jp_reversed": str(-reversal.jp) if reversal is not None else "0",
                "reversal_entry": reversal.pk if reversal is not None else None,
            },
        )  # fmt: skip
    logger.info("certificate revoked", extra={"certificate_id": locked.pk})
    return locked


def certificate_reissue(
    *, certificate: Certificate, actor: Employee | None, reason: str
) -> Certificate:
    """Replace a valid certificate with a new one that says what is true now (the holder's
    current name with gelar and NIP, the course's current title), with a new number and
    code. The hours credited stay as they are. The new PDF is rendered by a worker."""
    _require_bkpsdm(actor)
    reason = _clean_reason(reason, _("Tuliskan alasan penerbitan ulang sertifikat."))
    services.number_format()  # a misconfigured scheme fails before anything is locked
    with transaction.atomic():
        old = Certificate.objects.select_for_update().get(pk=certificate.pk)
        _refuse_unless_valid(old)
        employee = Employee.objects.get(pk=old.employee_id)
        course = CoursePage.objects.get(pk=old.course_id)
        template = services.template_for(course)
        # Out of force first: one valid certificate per completion is a database rule.
        old.status = Certificate.Status.REPLACED
        old.save(update_fields=["status", "updated_at"])
        now = timezone.now()
        year = timezone.localdate(now).year
        number, sequence = services.certificate_number_take(year=year)
        new = Certificate(
            enrolment_id=old.enrolment_id, employee=employee, course=course,
            number=number, year=year, sequence=sequence,
            code=secrets.token_urlsafe(services.CODE_BYTES),
            status=Certificate.Status.VALID, holder_name=employee.name_with_gelar,
            holder_nip=employee.nip, course_title=course.title, jp=old.jp,
            competency_type=old.competency_type, completed_on=old.completed_on,
            issuer_name=template.issuer_name if template is not None else old.issuer_name,
            issued_at=now, template=template, replaces=old,
        )  # fmt: skip
        # Uniqueness (number, code, one valid per completion) is the database's, under the
        # locks; the rest (lengths, the JP's digits) is validated here.
        new.full_clean(
            exclude=["enrolment", "employee", "course", "template", "replaces"],
            validate_unique=False, validate_constraints=False,
        )  # fmt: skip
        new.save()
        audit_record(
            actor=actor, action="sinau.certificate.reissue", instance=old, reason=reason,
            data={"number": old.number, "new_number": new.number, "new_certificate": new.pk},
        )  # fmt: skip
        audit_record(
            actor=actor, action="sinau.certificate.issue", instance=new, reason=reason,
            data={"number": new.number, "enrolment_id": new.enrolment_id, "replaces": old.number},
        )  # fmt: skip
        new_id = new.pk
        transaction.on_commit(lambda: enqueue_render(new_id))
    logger.info(
        "certificate reissued", extra={"certificate_id": old.pk, "new_certificate_id": new.pk}
    )
    return new


def enqueue_render(certificate_id: int, *, force: bool = False) -> None:
    """Queue the PDF (``force``: again, when its file went missing); if the broker is down
    the periodic sweep renders it later."""
    from .tasks import certificate_render_task

    try:
        certificate_render_task.delay(certificate_id, force=force)
    except Exception:  # kombu raises many kinds of connection errors
        logger.exception(
            "could not queue certificate render", extra={"certificate_id": certificate_id}
        )
