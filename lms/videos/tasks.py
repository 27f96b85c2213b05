"""The transcode task, on the ``transcode`` queue (see CELERY_TASK_ROUTES)."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from django.conf import settings
from django.db import DatabaseError

from . import services

logger = logging.getLogger(__name__)

MAX_RETRIES = 6


@shared_task(
    bind=True,
    # A worker killed mid-job (OOM, deploy, power) must not lose it: the message is
    # acknowledged only when the task returns, and requeued if the worker dies.
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    time_limit=settings.SINAU_TRANSCODE_TIME_LIMIT,
    soft_time_limit=settings.SINAU_TRANSCODE_TIME_LIMIT - 60,
)
def transcode(self: Task, video_id: int, job_id: str) -> str:
    try:
        return services.video_transcode(video_id=video_id, job_id=job_id)
    except (services.TransientError, DatabaseError) as exc:
        # Storage or database briefly away: back off 30 s, 1 min, 2 min ... A broken
        # source never gets here; it ends "failed" with its reason, without retries.
        retries = self.request.retries
        if retries >= MAX_RETRIES:
            services.video_transcode_give_up(video_id=video_id, job_id=job_id, error=str(exc))
            raise
        logger.warning("transcode retry", extra={"video_id": video_id, "error": str(exc)})
        raise self.retry(exc=exc, countdown=min(30 * 2**retries, 3600)) from exc
