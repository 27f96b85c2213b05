"""The transcode task, on the ``transcode`` queue (see CELERY_TASK_ROUTES)."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import DatabaseError

from . import services


class TranscodeTask(Task):
    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        # Retries used up, or a bug: the video must not sit in "transcoding" for ever.
        video_id, job_id = (list(args) + [kwargs.get("video_id"), kwargs.get("job_id")])[:2]
        if video_id is not None and job_id is not None:
            services.video_transcode_give_up(video_id=video_id, job_id=job_id, error=repr(exc))


@shared_task(
    base=TranscodeTask,
    # A worker killed mid-job (OOM, deploy, power) must not lose it: the message is
    # acknowledged only when the task returns, and requeued if the worker dies.
    acks_late=True,
    reject_on_worker_lost=True,
    # Storage or database briefly away: retried after about 30 s, 1, 2, 4 ... minutes. A
    # broken source never raises these; it ends "failed" with its reason, without retries.
    autoretry_for=(services.TransientError, DatabaseError),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=6,
    time_limit=settings.SINAU_TRANSCODE_TIME_LIMIT,
    soft_time_limit=settings.SINAU_TRANSCODE_TIME_LIMIT - 60,
)
def transcode(video_id: int, job_id: str) -> str:
    return services.video_transcode(video_id=video_id, job_id=job_id)


# Named outside lms.videos.tasks.*: it runs on the default queue, not behind transcodes.
@shared_task(name="videos.sweep", soft_time_limit=120, time_limit=180)
def videos_sweep() -> int:
    """Beat: queue again the transcodes whose message never reached the broker."""
    return services.videos_requeue(stale_after_seconds=settings.SINAU_VIDEO_REQUEUE_AFTER)
