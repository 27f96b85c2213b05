"""Classroom tasks, on the ``default`` queue. The session reminders run every 15 minutes
(``CELERY_BEAT_SCHEDULE["classroom-session-reminders"]``); each reminder is recorded in the
transaction that sends it, so a second or concurrent run sends nothing twice."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import DatabaseError

from .calendar import reminders

# Database briefly away: retried after about 30 s, 60, 120 ... up to 5 minutes.
TRANSIENT = (DatabaseError, ConnectionError, TimeoutError)


@shared_task(
    name="classroom.session_reminders", acks_late=True, autoretry_for=TRANSIENT,
    retry_backoff=30, retry_backoff_max=300, max_retries=3,
    soft_time_limit=60 * 10, time_limit=60 * 12,
)  # fmt: skip
def session_reminders() -> dict[str, Any]:
    return reminders.session_reminders().as_dict()
