"""Query filters of the staff endpoints (django-filter). A value that is not one of the
choices, or a unit outside the caller's scope, is a 400 naming the parameter: a filter
narrows what the scope allows, it never widens it."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.request import Request

from courses.models import CompetencyType, TrainingForm
from lms.learning.models import Enrolment, JPEntry
from lms.people.models import GOLONGAN_CHOICES, Employee, EmploymentType, JabatanKind, OrgUnit
from lms.people.selectors import employee_search_q

from .permissions import request_scope
from .selectors import units_in_scope

# Years a report can ask about: the Pemda's records start after 2000, and a year's bounds
# must stay a valid date (9999 + 1 is not).
YEAR_MIN, YEAR_MAX = 2000, 2100


def _scoped_units(request: Request | None) -> QuerySet[OrgUnit]:
    if request is None:  # the schema generator asks without a request
        return OrgUnit.objects.none()
    return units_in_scope(scope=request_scope(request))


ID_MAX = 2**31 - 1  # PostgreSQL integer: a larger id is a 400, not a database error


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(filters.NumberFilter):
    """A whole number (django-filter's NumberFilter takes decimals)."""

    field_class = forms.IntegerField


class IdFilter(IntegerFilter):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.extra.update(min_value=1, max_value=ID_MAX)


@extend_schema_field(OpenApiTypes.INT)
class UnitSubtreeFilter(filters.ModelChoiceFilter):
    """``?org_unit=<id>``: rows of that unit and every unit below it."""

    def __init__(self, *, prefix: str, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", _scoped_units)
        kwargs.setdefault("label", _("Unit kerja (id) beserta unit di bawahnya"))
        super().__init__(**kwargs)
        self.prefix = prefix

    def filter(self, qs: Any, value: OrgUnit | None) -> Any:
        if value is None:
            return qs
        return qs.filter(value.subtree_filter(self.prefix))


class YearFilter(IntegerFilter):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Tahun"))
        super().__init__(**kwargs)
        self.extra.update(min_value=YEAR_MIN, max_value=YEAR_MAX)


@extend_schema_field(OpenApiTypes.BOOL)
class BooleanChoiceFilter(filters.TypedChoiceFilter):
    """``true`` or ``false``; anything else is a 400 (django-filter's BooleanFilter would
    quietly ignore "kadang" and return everyone)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(**kwargs)


class EmployeeFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label=_("Cari nama, NIP, email atau jabatan"))
    org_unit = UnitSubtreeFilter(prefix="org_unit__")
    employment_type = filters.ChoiceFilter(choices=EmploymentType.choices)
    jabatan_kind = filters.ChoiceFilter(choices=JabatanKind.choices)
    golongan = filters.ChoiceFilter(choices=GOLONGAN_CHOICES)
    is_active = BooleanChoiceFilter(label=_("Aktif (true/false)"))

    class Meta:
        model = Employee
        fields: list[str] = []

    def search(self, qs: QuerySet[Employee], name: str, value: str) -> QuerySet[Employee]:
        value = value.strip()[:100]
        return qs.filter(employee_search_q(value)) if value else qs


class EnrolmentFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Enrolment.Status.choices)
    source = filters.ChoiceFilter(choices=Enrolment.Source.choices)
    course = IdFilter(field_name="course_id", label=_("Kursus (id)"))
    nip = filters.CharFilter(field_name="employee__nip", max_length=18, label=_("NIP"))
    org_unit = UnitSubtreeFilter(prefix="employee__org_unit__")
    completed_from = filters.DateFilter(
        field_name="completed_at", lookup_expr="date__gte", label=_("Selesai sejak (tanggal)")
    )
    completed_to = filters.DateFilter(
        field_name="completed_at", lookup_expr="date__lte", label=_("Selesai sampai (tanggal)")
    )

    class Meta:
        model = Enrolment
        fields: list[str] = []


class LedgerFilter(filters.FilterSet):
    year = YearFilter(field_name="year")
    nip = filters.CharFilter(field_name="employee__nip", max_length=18, label=_("NIP"))
    org_unit = UnitSubtreeFilter(prefix="employee__org_unit__")
    competency_type = filters.ChoiceFilter(choices=CompetencyType.choices)
    form = filters.ChoiceFilter(choices=TrainingForm.choices)
    source_type = filters.ChoiceFilter(choices=JPEntry.Source.choices)

    class Meta:
        model = JPEntry
        fields: list[str] = []
