"""Query filters of the learner lists. A bad value is a 400 naming the parameter."""

from __future__ import annotations

from typing import Any

import django_filters

from courses.models import (
    JABATAN_KIND_CHOICES,
    CompetencyType,
    CourseLanguage,
    CourseLevel,
    TrainingForm,
)
from courses.selectors import catalogue_search
from lms.learning.models import Enrolment, ExternalTraining, JPEntry

from ..filters import IntegerFilter


class CourseFilter(django_filters.FilterSet):
    """The catalogue page's filters (``courses.forms.CatalogueFilterForm``) and the SIASN
    jenis diklat; the search itself is the catalogue's (``catalogue_search``)."""

    q = django_filters.CharFilter(
        max_length=100, help_text="Words in the title, summary, description or competencies."
    )
    competency_type = django_filters.ChoiceFilter(choices=CompetencyType.choices)
    level = django_filters.ChoiceFilter(choices=CourseLevel.choices)
    training_form = django_filters.ChoiceFilter(choices=TrainingForm.choices)
    jabatan_kind = django_filters.ChoiceFilter(choices=JABATAN_KIND_CHOICES)
    language = django_filters.ChoiceFilter(choices=CourseLanguage.choices)
    jp_min = django_filters.NumberFilter(min_value=0, max_value=999, max_digits=5)
    jp_max = django_filters.NumberFilter(min_value=0, max_value=999, max_digits=5)
    jenis = IntegerFilter(
        min_value=1, max_value=999, help_text="SIASN jenis diklat code, e.g. 16 for e-learning."
    )

    def filter_queryset(self, queryset: Any) -> Any:
        data = self.form.cleaned_data
        return catalogue_search(
            q=data.get("q") or "",
            competency_type=data.get("competency_type") or "",
            level=data.get("level") or "",
            training_form=data.get("training_form") or "",
            jabatan_kind=data.get("jabatan_kind") or "",
            language=data.get("language") or "",
            jp_min=data.get("jp_min"),
            jp_max=data.get("jp_max"),
            jenis=data.get("jenis"),
        )


class EnrolmentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Enrolment.Status.choices)
    year = IntegerFilter(
        field_name="created_at", lookup_expr="year", min_value=2000, max_value=2999,
        help_text="The year of enrolment.",
    )  # fmt: skip

    class Meta:
        model = Enrolment
        fields = ["status", "year"]


class ExternalTrainingFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ExternalTraining.Status.choices)

    class Meta:
        model = ExternalTraining
        fields = ["status"]


class JPEntryFilter(django_filters.FilterSet):
    year = IntegerFilter(min_value=2000, max_value=2999)
    source_type = django_filters.ChoiceFilter(choices=JPEntry.Source.choices)

    class Meta:
        model = JPEntry
        fields = ["year", "source_type"]
