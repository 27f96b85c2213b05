"""Report tasks, on the ``default`` queue: the SIASN export build and the reminders Celery
beat runs (``CELERY_BEAT_SCHEDULE`` in the settings' Reports block). Each calls a service
that is safe to run twice or at the same time: an export already built is left alone, a
reminder already sent in its period is skipped by the database's unique constraint."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import DatabaseError

from . import reminders, siasn

# Database briefly away: retried after about 30 s, 60, 120 ... up to 10 minutes.
TRANSIENT = (DatabaseError, ConnectionError, TimeoutError)


@shared_task(acks_late=True, time_limit=60 * 60, soft_time_limit=60 * 55)
def siasn_export_build_task(export_id: int) -> str | None:
    """Build one SIASN export; a redelivered one that is ready does nothing."""
    export = siasn.siasn_export_build(export_id=export_id)
    return export.status if export is not None else None


@shared_task(
    autoretry_for=TRANSIENT, retry_backoff=30, retry_backoff_max=600, max_retries=5,
    soft_time_limit=60 * 50, time_limit=60 * 55,
)  # fmt: skip
def reminders_jp_shortfall() -> dict[str, Any]:
    return reminders.jp_shortfall_reminders().as_dict()


@shared_task(
    autoretry_for=TRANSIENT, retry_backoff=30, retry_backoff_max=600, max_retries=5,
    soft_time_limit=60 * 20, time_limit=60 * 25,
)  # fmt: skip
def reminders_opd_summary() -> dict[str, Any]:
    return reminders.opd_summary_reminders().as_dict()


@shared_task(
    autoretry_for=TRANSIENT, retry_backoff=30, retry_backoff_max=600, max_retries=5,
    soft_time_limit=60 * 20, time_limit=60 * 25,
)  # fmt: skip
def reminders_due_date() -> dict[str, Any]:
    return reminders.due_date_reminders().as_dict()
