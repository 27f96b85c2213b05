"""Reads of the published catalogue."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Q

from .models import CatalogueIndexPage, CoursePage


def _published() -> Any:
    # A PageQuerySet (child_of, search); django-stubs only knows it as a QuerySet.
    return CoursePage.objects.live().public().select_related("cover_image")


def course_list_latest(*, limit: int = 6) -> list[CoursePage]:
    return list(_published().order_by("-first_published_at")[:limit])


def _ids_of_jenis(courses: Any, code: int) -> list[int]:
    """Courses of a SIASN jenis diklat: the one a course names, else the one its completion
    is credited under (``lms.learning.services._course_jenis``: e-learning or klasikal)."""
    from lms.learning.services import JENIS_KLASIKAL, JENIS_ONLINE  # learning sits above

    cond = Q(jenis_diklat__code=code)
    if code == JENIS_ONLINE:
        cond |= Q(jenis_diklat__isnull=True) & ~Q(training_form="klasikal")
    elif code == JENIS_KLASIKAL:
        cond |= Q(jenis_diklat__isnull=True, training_form="klasikal")
    return list(courses.filter(cond).values_list("pk", flat=True))


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
    jenis: int | None = None,
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
    if jenis is not None:
        courses = courses.filter(pk__in=_ids_of_jenis(courses, jenis))
    q = q.strip()
    if q:
        return courses.search(q, operator="and")
    return courses.order_by("title")
