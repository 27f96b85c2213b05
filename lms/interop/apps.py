from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteropConfig(AppConfig):
    name = "lms.interop"
    label = "interop"
    verbose_name = _("Interoperabilitas")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the ledger receiver)
