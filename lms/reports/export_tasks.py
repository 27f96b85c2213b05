"""The compliance reports' export task, on the ``default`` queue. Registered when the app is
ready (``ReportsConfig.ready`` imports this module), so Celery's autodiscovery of
``lms.reports.tasks`` need not know about it."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True, time_limit=60 * 30, soft_time_limit=60 * 28)
def report_export_run_task(export_id: int) -> str | None:
    """Build one export job; a redelivered one that is ready (or failed) does nothing."""
    job = services.report_export_run(export_id=export_id)
    return job.status if job is not None else None
