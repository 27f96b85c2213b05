"""Certificate tasks, on the ``default`` queue: issue on completion, render the PDF, and a
periodic sweep for anything the first two missed. Each takes ids and calls a service;
running one twice does no harm."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.core.exceptions import ValidationError
from django.db import DatabaseError

from lms.learning.models import Enrolment

from . import services

logger = logging.getLogger(__name__)

# Storage or database briefly away: retried after about 10 s, 20, 40 ... up to 10 minutes.
# acks_late is the project's default (a worker lost mid-task leaves the message queued);
# the time limits are short because a render takes well under a second.
TRANSIENT = (DatabaseError, OSError, ConnectionError, TimeoutError)


class RenderTask(Task):
    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        # Retries used up, or a bug: say so on the certificate, where BKPSDM looks.
        certificate_id = (list(args) + [kwargs.get("certificate_id")])[0]
        if certificate_id is not None:
            services.certificate_render_failed(certificate_id=certificate_id, error=repr(exc))


@shared_task(
    base=RenderTask, autoretry_for=TRANSIENT, retry_backoff=10, retry_backoff_max=600,
    retry_jitter=True, max_retries=8, soft_time_limit=120, time_limit=180,
)  # fmt: skip
def certificate_render_task(certificate_id: int, force: bool = False) -> str | None:
    """Write the certificate's PDF; skipped when it already has one, unless ``force``."""
    certificate = services.certificate_render(certificate_id=certificate_id, force=force)
    return certificate.pdf.name if certificate is not None else None


class IssueTask(Task):
    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        # Issued but not rendered: the failure shows on the certificate (and the sweep
        # leaves it for a person to look at rather than failing every few minutes).
        enrolment_id = (list(args) + [kwargs.get("enrolment_id")])[0]
        certificate = services.certificate_for_enrolment(enrolment_id) if enrolment_id else None
        if certificate is not None and not certificate.pdf:
            services.certificate_render_failed(certificate_id=certificate.pk, error=repr(exc))


@shared_task(
    base=IssueTask, autoretry_for=TRANSIENT, retry_backoff=10, retry_backoff_max=600,
    retry_jitter=True, max_retries=8, soft_time_limit=120, time_limit=180,
)  # fmt: skip
def certificate_issue_task(enrolment_id: int) -> int | None:
    """Issue the completed enrolment's certificate, then render it in this same task (the
    worker is warm; a second message would only add a queue round trip)."""
    enrolment = Enrolment.objects.filter(pk=enrolment_id).first()
    if enrolment is None:
        logger.warning("certificate for a missing enrolment", extra={"enrolment_id": enrolment_id})
        return None
    try:
        certificate = services.certificate_issue(enrolment=enrolment)
    except ValidationError:
        # Not completed (any more): nothing to issue, and retrying will not change that.
        logger.warning("certificate not issued", extra={"enrolment_id": enrolment_id})
        return None
    # A retry after a failed render finds the certificate issued and renders again.
    services.certificate_render(certificate_id=certificate.pk)
    return certificate.pk


@shared_task(soft_time_limit=300, time_limit=360)
def certificates_sweep() -> dict[str, int]:
    """Queue what was missed: completions without a certificate (their on-commit message
    never reached the broker) and certificates without a PDF or a recorded failure."""
    missing = services.certificates_missing()
    for enrolment_id in missing["enrolments"]:
        certificate_issue_task.delay(enrolment_id)
    for certificate_id in missing["certificates"]:
        certificate_render_task.delay(certificate_id)
    return {name: len(ids) for name, ids in missing.items()}


# The zip builder's task lives beside its service; imported here so workers register it.
from .bundles import certificate_bundle_build_task  # noqa: E402, F401
