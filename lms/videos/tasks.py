from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True)
def transcode(video_id: int, job_id: str) -> None:
    raise NotImplementedError  # the transcoding pipeline lands in the next commit
