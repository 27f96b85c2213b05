"""Actions on videos: create from an upload, queue for transcoding."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from lms.people.models import Employee

from .models import Video


def video_create(
    *, owner: Employee, title: str, source: str, original_filename: str, size_bytes: int
) -> Video:
    """Record an uploaded source (already in storage) and queue it for transcoding."""
    with transaction.atomic():
        video = Video.objects.create(
            owner=owner,
            title=title.strip()[:255] or original_filename[:255],
            source=source,
            original_filename=original_filename[:255],
            size_bytes=size_bytes,
        )
        video_submit(video=video)
    return video


def video_submit(*, video: Video) -> Video:
    """Queue a (re-)transcode. The task is sent only once the row is committed, so a worker
    never looks for a video that is not there yet."""
    from .tasks import transcode

    job_id = uuid.uuid4()
    with transaction.atomic():
        Video.objects.filter(pk=video.pk).update(
            status=Video.Status.QUEUED,
            job_id=job_id,
            attempts=0,
            progress_percent=0,
            failure_reason="",
            queued_at=timezone.now(),
        )
        transaction.on_commit(lambda: transcode.delay(video.pk, str(job_id)))
    video.refresh_from_db()
    return video
