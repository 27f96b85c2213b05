"""Reads of the competency dictionary. The dictionary is the whole Pemda's, the same for
every OPD, so these take no scope: the views decide who may read them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Min, Q, QuerySet

from courses.models import CompetencyType, CoursePage
from lms.planning.models import Competency, CourseCompetency, JabatanStandard, jabatan_key


def competency_list(*, search: str = "", competency_type: str = "") -> QuerySet[Competency]:
    """The dictionary, each competency with how many jabatan standards name it."""
    qs = Competency.objects.annotate(standard_count=Count("standards"))
    search = search.strip()
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search))
    if competency_type:
        qs = qs.filter(competency_type=competency_type)
    return qs.order_by("competency_type", "code")


def competency_type_counts() -> dict[str, int]:
    """How many competencies of each type, in one query."""
    counts = dict.fromkeys(CompetencyType.values, 0)
    rows = Competency.objects.values("competency_type").annotate(n=Count("pk")).order_by()
    for row in rows:
        counts[row["competency_type"]] = row["n"]
    return counts


def competency_get(*, pk: int) -> Competency:
    return Competency.objects.get(pk=pk)


def competency_standards(*, competency: Competency) -> QuerySet[JabatanStandard]:
    """The jabatan that require the competency, with the level each requires."""
    return JabatanStandard.objects.filter(competency=competency).order_by(
        "jabatan_key", "required_level"
    )


def competency_courses(*, competency: Competency) -> QuerySet[CourseCompetency]:
    """The live courses that build the competency and the level each reaches. The rows read
    are the published version's: a draft's competencies count once it is published."""
    return (
        CourseCompetency.objects.filter(
            competency=competency, course__in=CoursePage.objects.live().values("pk")
        )
        .select_related("course")
        .order_by("-level", "course__title")
    )


@dataclass(frozen=True)
class JabatanGroup:
    """One jabatan and its whole standard."""

    key: str
    jabatan: str
    standards: list[JabatanStandard]


def jabatan_keys(*, search: str = "") -> QuerySet[Any]:
    """The jabatan that have a standard (by normalised name), with the spelling shown and the
    number of competencies. Search matches the jabatan's name, or a competency's code or
    name (the jabatan that require it)."""
    qs = JabatanStandard.objects.all()
    search = search.strip()
    if search:
        key = jabatan_key(search)
        cond = Q(competency__code__iexact=search) | Q(competency__name__icontains=search)
        if key:
            cond |= Q(jabatan_key__contains=key)
        matching = JabatanStandard.objects.filter(cond).values("jabatan_key")
        qs = qs.filter(jabatan_key__in=matching)
    return (
        qs.values("jabatan_key")
        .annotate(jabatan=Min("jabatan"), competency_count=Count("pk"))
        .order_by("jabatan_key")
    )


def jabatan_groups(*, names: dict[str, str]) -> list[JabatanGroup]:
    """The standards of the given jabatan (key -> the name shown; one page of them), in one
    query, in the order given."""
    rows = (
        JabatanStandard.objects.filter(jabatan_key__in=list(names))
        .select_related("competency")
        .order_by("jabatan_key", "competency__competency_type", "competency__code")
    )
    grouped: dict[str, list[JabatanStandard]] = {key: [] for key in names}
    for row in rows:
        grouped[row.jabatan_key].append(row)
    return [
        JabatanGroup(key=key, jabatan=names[key], standards=items) for key, items in grouped.items()
    ]
