from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "lms.reports"
    label = "reports"
    verbose_name = _("Laporan")

    def ready(self) -> None:
        # The export task lives beside the other reports' tasks module; importing it here
        # registers it with Celery in the web process (which queues it) and in the worker.
        from . import export_tasks  # noqa: F401
