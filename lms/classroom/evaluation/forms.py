"""The evaluation form (built from a questionnaire's questions) and the results' year
filter. The service checks the answers again; the form gives each field its message."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import QuestionnaireItem
from .selectors import EvaluationForm

LIKERT_CHOICES = [
    ("1", _("1 — Sangat kurang")),
    ("2", _("2 — Kurang")),
    ("3", _("3 — Cukup")),
    ("4", _("4 — Baik")),
    ("5", _("5 — Sangat baik")),
]
COMMENT_MAX_LENGTH = 2000


class AnswersForm(forms.Form):
    def __init__(self, evaluation: EvaluationForm, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.evaluation = evaluation
        for question in evaluation.questions:
            item = question.item
            if item.kind == QuestionnaireItem.Kind.LIKERT:
                self.fields[question.key] = forms.ChoiceField(
                    label=item.text, choices=LIKERT_CHOICES, required=item.required,
                    widget=forms.RadioSelect,
                    error_messages={
                        "required": _("Pilih nilai 1 sampai 5."),
                        "invalid_choice": _("Pilih nilai 1 sampai 5."),
                    },
                )  # fmt: skip
            else:
                self.fields[question.key] = forms.CharField(
                    label=item.text, required=item.required, max_length=COMMENT_MAX_LENGTH,
                    widget=forms.Textarea(attrs={"rows": 3}),
                    error_messages={"required": _("Isian ini wajib diisi.")},
                )  # fmt: skip

    def sections(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """(None for the course, or the instructor; the bound fields), in order."""
        result: list[tuple[Any, list[forms.BoundField]]] = []
        if self.evaluation.course_questions:
            result.append((None, [self[q.key] for q in self.evaluation.course_questions]))
        for instructor, questions in self.evaluation.instructor_sections:
            result.append((instructor, [self[q.key] for q in questions]))
        return result


class YearForm(forms.Form):
    tahun = forms.IntegerField(
        label=_("Tahun"), min_value=2000, max_value=2100, required=False,
        error_messages={"invalid": _("Tahun tidak dikenal.")},
    )  # fmt: skip

    def year(self) -> int:
        if self.is_valid() and self.cleaned_data.get("tahun"):
            return int(self.cleaned_data["tahun"])
        return timezone.localdate().year
