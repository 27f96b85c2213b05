from celery import shared_task
from django.conf import settings

from . import services


@shared_task(acks_late=True, time_limit=60 * 30, soft_time_limit=60 * 28)
def employee_import_run_task(job_id: int) -> None:
    # The service is idempotent: a redelivered job that already finished does nothing.
    services.employee_import_run(job_id=job_id)


@shared_task(soft_time_limit=120, time_limit=180)
def employee_imports_sweep() -> int:
    """Beat: queue again the import jobs whose message never reached the broker."""
    return services.employee_imports_requeue(
        stale_after_seconds=settings.SINAU_IMPORT_REQUEUE_AFTER
    )
