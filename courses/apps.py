from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Kursus")

    def ready(self) -> None:
        from wagtail.signals import page_published

        from .signals import reindex_after_publish, sync_instructors_after_publish

        page_published.connect(reindex_after_publish, dispatch_uid="courses.reindex_after_publish")
        page_published.connect(
            sync_instructors_after_publish, dispatch_uid="courses.authoring.sync_published"
        )
