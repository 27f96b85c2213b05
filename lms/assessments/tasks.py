"""Periodic work on quizzes (Celery beat): close and grade attempts whose time ran out."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def attempts_close_expired() -> int:
    # Idempotent: an attempt closed already is skipped, so overlapping runs do no harm.
    return services.attempts_close_expired()
