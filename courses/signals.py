from typing import Any

from wagtail.search import index


def reindex_after_publish(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Index a published course again once its tags are saved.

    The search index is updated on post_save, but modelcluster writes a page's tags (the
    competencies) after that signal, so the first index entry would miss them.
    """
    from .models import CoursePage

    if isinstance(instance, CoursePage):
        index.insert_or_update_object(instance)
