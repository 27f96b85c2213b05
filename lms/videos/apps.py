from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VideosConfig(AppConfig):
    name = "lms.videos"
    label = "videos"
    verbose_name = _("Video")

    def ready(self) -> None:
        from . import signals  # noqa: F401
