from celery import shared_task

from . import services


@shared_task(acks_late=True, time_limit=60 * 30, soft_time_limit=60 * 28)
def employee_import_run_task(job_id: int) -> None:
    # The service is idempotent: a redelivered job that already finished does nothing.
    services.employee_import_run(job_id=job_id)
