"""Reads of the published catalogue."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .models import CatalogueIndexPage, CoursePage


def _published() -> Any:
    # A PageQuerySet (child_of, search); django-stubs only knows it as a QuerySet.
    return CoursePage.objects.live().public().select_related("cover_image")


def course_list_latest(*, limit: int = 6) -> list[CoursePage]:
    return list(_published().order_by("-first_published_at")[:limit])


def catalogue_search(
    *,
    catalogue: CatalogueIndexPage | None = None,
    q: str = "",
    competency_type: str = "",
    level: str = "",
    training_form: str = "",
    jabatan_kind: str = "",
    language: str = "",
    jp_min: Decimal | None = None,
    jp_max: Decimal | None = None,
) -> Any:
    """Published courses matching the filters; with ``q``, ranked by Wagtail search."""
    courses = _published()
    if catalogue is not None:
        courses = courses.child_of(catalogue)
    filters = {
        "competency_type": competency_type,
        "level": level,
        "training_form": training_form,
        "language": language,
    }
    courses = courses.filter(**{k: v for k, v in filters.items() if v})
    if jp_min is not None:
        courses = courses.filter(jp_credited__gte=jp_min)
    if jp_max is not None:
        courses = courses.filter(jp_credited__lte=jp_max)
    if jabatan_kind:
        # An empty target list means "every jabatan kind".
        ids = [
            pk
            for pk, kinds in courses.values_list("pk", "target_jabatan_kinds")
            if not kinds or jabatan_kind in kinds
        ]
        courses = courses.filter(pk__in=ids)
    q = q.strip()
    if q:
        return courses.search(q, operator="and")
    return courses.order_by("title")
