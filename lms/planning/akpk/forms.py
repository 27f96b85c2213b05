"""Input of the AKPK pages: parsing and shape only; the rules (who, when, every competency
assessed, the OPD's submission) live in the services, whose refusals the pages show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from lms.planning.models import AKPK, LEVELS, AKPKItem, Competency, PerformanceRating, Priority

from .services import DEVELOPMENT_NOTE_MAX, FIRST_YEAR, NOTE_MAX, current_year

LEVEL_ERROR = _("Pilih level 1 sampai 5.")


class YearForm(forms.Form):
    tahun = forms.TypedChoiceField(label=_("Tahun"), coerce=int, required=False)

    def __init__(self, *args: Any, years: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        years = years or list(range(current_year() + 1, FIRST_YEAR - 1, -1))
        self.fields["tahun"].choices = [(y, str(y)) for y in years]  # type: ignore[attr-defined]

    def year(self) -> int | None:
        """The chosen year; None when none was asked for or the value is not a year."""
        if not self.is_valid():
            return None
        return self.cleaned_data.get("tahun") or None


def dom_key(competency: Competency) -> str:
    """A competency's part of element ids, from its code: stable across databases, so a
    browser test finds ``level-tek-01-3`` whatever the row ids are."""
    return slugify(competency.code) or f"k{competency.pk}"


@dataclass
class LevelOption:
    value: int
    dom_id: str
    description: str
    checked: bool


@dataclass
class ItemRow:
    """One competency on a form: its item, the radios with their indicator texts, and (on
    the assessment form) the priority and development-note fields."""

    item: AKPKItem
    key: str
    name: str
    options: list[LevelOption]
    errors: list[str]
    priority: Any = None
    note: Any = None


class LevelsForm(forms.Form):
    """One radio group per AKPK item (``level-<item id>``). Shape only: a missing level is
    the service's business (a draft may be incomplete), a value outside 1-5 is an error."""

    def __init__(self, *args: Any, items: list[AKPKItem], source: str, **kwargs: Any) -> None:
        self.items = items
        self.source = source  # "self" or "supervisor": whose levels are entered
        super().__init__(*args, **kwargs)
        for item in items:
            self.fields[f"level-{item.pk}"] = forms.TypedChoiceField(
                label=item.competency.name, choices=LEVELS, coerce=int, required=False,
                empty_value=None, error_messages={"invalid_choice": LEVEL_ERROR},
                initial=getattr(item, f"{source}_level"),
            )  # fmt: skip

    def levels(self) -> dict[int, int | None]:
        return {item.pk: self.cleaned_data.get(f"level-{item.pk}") for item in self.items}

    def _selected(self, item: AKPKItem) -> int | None:
        bound = self[f"level-{item.pk}"]
        value = bound.value()
        try:
            return int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    def rows(self) -> list[ItemRow]:
        rows = []
        for item in self.items:
            competency = item.competency
            key = dom_key(competency)
            selected = self._selected(item)
            texts = competency.level_descriptions or {}
            options = [
                LevelOption(
                    value=n,
                    dom_id=f"level-{key}-{n}",
                    description=str(texts.get(str(n), "")),
                    checked=selected == n,
                )  # fmt: skip
                for n in range(1, 6)
            ]
            rows.append(
                ItemRow(
                    item=item,
                    key=key,
                    name=f"level-{item.pk}",
                    options=options,
                    errors=[str(e) for e in self[f"level-{item.pk}"].errors],
                )  # fmt: skip
            )
        return rows


class SelfAssessForm(LevelsForm):
    note = forms.CharField(
        label=_("Catatan untuk atasan (tidak wajib)"), required=False, max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip

    def __init__(self, *args: Any, items: list[AKPKItem], **kwargs: Any) -> None:
        super().__init__(*args, items=items, source="self", **kwargs)


PRIORITY_CHOICES = [("", _("Otomatis dari kesenjangan")), *Priority.choices]


class AssessForm(LevelsForm):
    performance_rating = forms.ChoiceField(
        label=_("Predikat kinerja (SKP)"), required=False,
        choices=[("", _("Pilih predikat")), *PerformanceRating.choices],
        help_text=_("Predikat kinerja pegawai tahun berjalan: kesenjangan kinerja dalam AKPK."),
    )  # fmt: skip
    supervisor_note = forms.CharField(
        label=_("Catatan atasan (tidak wajib)"), required=False, max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip

    def __init__(self, *args: Any, items: list[AKPKItem], **kwargs: Any) -> None:
        super().__init__(*args, items=items, source="supervisor", **kwargs)
        for item in items:
            self.fields[f"priority-{item.pk}"] = forms.ChoiceField(
                label=_("Prioritas"), choices=PRIORITY_CHOICES, required=False,
                initial=item.priority,
            )  # fmt: skip
            self.fields[f"note-{item.pk}"] = forms.CharField(
                label=_("Kebutuhan pengembangan"), required=False,
                max_length=DEVELOPMENT_NOTE_MAX, initial=item.development_note,
            )  # fmt: skip

    def rows(self) -> list[ItemRow]:
        rows = super().rows()
        for row in rows:
            pk = row.item.pk
            row.priority = self[f"priority-{pk}"]
            row.note = self[f"note-{pk}"]
            row.priority.field.widget.attrs["id"] = f"priority-{row.key}"
            row.note.field.widget.attrs["id"] = f"note-{row.key}"
            row.errors += [str(e) for e in [*row.priority.errors, *row.note.errors]]
        return rows

    def priorities(self) -> dict[int, str]:
        return {item.pk: self.cleaned_data.get(f"priority-{item.pk}") or "" for item in self.items}

    def notes(self) -> dict[int, str]:
        return {item.pk: self.cleaned_data.get(f"note-{item.pk}") or "" for item in self.items}


class NeedForm(forms.Form):
    competency = forms.ModelChoiceField(
        label=_("Kompetensi"), queryset=Competency.objects.none(),
        empty_label=_("Pilih kompetensi"),
        error_messages={"invalid_choice": _("Pilih kompetensi dari daftar.")},
    )  # fmt: skip
    note = forms.CharField(
        label=_("Kebutuhan pengembangan (tidak wajib)"), required=False,
        max_length=DEVELOPMENT_NOTE_MAX,
        help_text=_("Misalnya: pelatihan, coaching, atau magang yang diperlukan."),
    )  # fmt: skip

    def __init__(self, *args: Any, queryset: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if queryset is not None:
            self.fields["competency"].queryset = queryset  # type: ignore[attr-defined]
            self.fields["competency"].label_from_instance = (  # type: ignore[attr-defined]
                lambda c: f"{c.code} {c.name} ({c.get_competency_type_display()})"
            )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Tuliskan alasannya.")},
    )  # fmt: skip


class ManageFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status AKPK"), required=False,
        choices=[
            ("", _("Semua pegawai")), ("belum", _("Belum mulai")), *AKPK.Status.choices,
        ],
    )  # fmt: skip


class CentreImportForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Tahun AKPK"), coerce=int)
    file = forms.FileField(
        label=_("Berkas hasil assessment center"),
        help_text=_(
            "XLSX atau CSV dengan kolom NIP, KODE_KOMPETENSI dan LEVEL (1-5), satu baris per "
            "pegawai per kompetensi."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        this = current_year()
        self.fields["year"].choices = [  # type: ignore[attr-defined]
            (y, str(y)) for y in range(this + 1, FIRST_YEAR - 1, -1)
        ]
        self.fields["year"].initial = this
