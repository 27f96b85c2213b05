from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import (
    JABATAN_KIND_CHOICES,
    CompetencyType,
    CourseLanguage,
    CourseLevel,
    TrainingForm,
)


def _any(choices: list[Any]) -> list[Any]:
    return [("", _("Semua")), *choices]


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label=_("Cari kursus"), required=False, max_length=100)
    competency_type = forms.ChoiceField(
        label=_("Jenis kompetensi"), required=False, choices=_any(CompetencyType.choices)
    )
    level = forms.ChoiceField(label=_("Tingkat"), required=False, choices=_any(CourseLevel.choices))
    training_form = forms.ChoiceField(
        label=_("Bentuk"), required=False, choices=_any(TrainingForm.choices)
    )
    jabatan_kind = forms.ChoiceField(
        label=_("Untuk jabatan"), required=False, choices=_any(JABATAN_KIND_CHOICES)
    )
    language = forms.ChoiceField(
        label=_("Bahasa"), required=False, choices=_any(CourseLanguage.choices)
    )
    jp_min = forms.DecimalField(label=_("JP minimal"), required=False, min_value=0, max_value=999)
    jp_max = forms.DecimalField(label=_("JP maksimal"), required=False, min_value=0, max_value=999)
