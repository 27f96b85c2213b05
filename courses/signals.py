from typing import Any

from wagtail.search import index


def sync_instructors_after_publish(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A course approved in the "Tinjauan BKPSDM" workflow, or published on schedule by a
    worker, is published without any admin hook running: only this signal sees it."""
    from .authoring import course_instructors_sync
    from .models import CoursePage

    if isinstance(instance, CoursePage):
        course_instructors_sync(instance)


def reindex_after_publish(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Index a published course again once its tags are saved.

    The search index is updated on post_save, but modelcluster writes a page's tags (the
    competencies) after that signal, so the first index entry would miss them.
    """
    from .models import CoursePage

    if isinstance(instance, CoursePage):
        index.insert_or_update_object(instance)
