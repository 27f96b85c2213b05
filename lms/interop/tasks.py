"""Outbox delivery: queued on commit by every message, and swept by Celery beat."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from . import services


@shared_task(
    name="interop.deliver",
    acks_late=True,
    reject_on_worker_lost=True,
    # The database briefly away; the receiver being down is not an error here: the
    # message's own backoff handles it, and the sweep comes back for it.
    autoretry_for=(DatabaseError,),
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
    time_limit=600,
    soft_time_limit=540,
)
def deliver() -> dict[str, int]:
    report = services.outbox_deliver_due()
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed}
