"""Input of the compliance pages: the year and filters (GET), and the request for an export
job (POST). Parsing and shape only: a value that is not one of the choices is an error on
its field, the rest of the filters still apply, and the scope is never a filter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lms.people.models import GOLONGAN_CHOICES, EmploymentType, JabatanKind

from .exports import FORMATS
from .selectors import SORTS, ComplianceFilters, current_year

YEARS_SHOWN = 10


def year_choices() -> list[tuple[int, str]]:
    this = current_year()
    return [(y, str(y)) for y in range(this, this - YEARS_SHOWN, -1)]


class ComplianceFilterForm(forms.Form):
    tahun = forms.TypedChoiceField(label=_("Tahun"), coerce=int, required=False)
    jenis = forms.ChoiceField(
        label=_("Jenis pegawai"), required=False,
        choices=[("", _("Semua jenis pegawai")), *EmploymentType.choices],
    )  # fmt: skip
    jabatan = forms.ChoiceField(
        label=_("Jenis jabatan"), required=False,
        choices=[("", _("Semua jenis jabatan")), *JabatanKind.choices],
    )  # fmt: skip
    golongan = forms.ChoiceField(
        label=_("Golongan"), required=False,
        choices=[("", _("Semua golongan")), *GOLONGAN_CHOICES],
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tahun"].choices = year_choices()  # type: ignore[attr-defined]

    def filters(self) -> ComplianceFilters:
        """The valid part of what was asked: a garbage value is dropped (and shown as the
        field's error), never a reason for a 500 or for a wider scope."""
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()  # keeps the valid fields in cleaned_data, errors for the rest
            data = self.cleaned_data
        return ComplianceFilters(
            year=data.get("tahun") or current_year(),
            employment_type=data.get("jenis") or "",
            jabatan_kind=data.get("jabatan") or "",
            golongan=data.get("golongan") or "",
        )


def filter_form(query: Any) -> ComplianceFilterForm:
    """The form bound to the request's query (unbound when there is none: the defaults)."""
    wanted = {k: query.get(k) for k in ("tahun", "jenis", "jabatan", "golongan") if k in query}
    return ComplianceFilterForm(wanted or None, initial={"tahun": current_year()})


def sort_from(query: Any) -> str:
    sort = query.get("urut", "jp")
    return sort if sort in SORTS else "jp"


def format_from(value: str | None) -> str | None:
    return value if value in FORMATS else None


class ExportRequestForm(forms.Form):
    """The button that asks for a large export: the format, the page's filters and unit."""

    format = forms.ChoiceField(choices=[(f, f.upper()) for f in FORMATS])
    tahun = forms.IntegerField(min_value=2000, max_value=9999)
    jenis = forms.ChoiceField(required=False, choices=[("", ""), *EmploymentType.choices])
    jabatan = forms.ChoiceField(required=False, choices=[("", ""), *JabatanKind.choices])
    golongan = forms.ChoiceField(required=False, choices=[("", ""), *GOLONGAN_CHOICES])
    unit = forms.IntegerField(required=False, min_value=1, max_value=10**18 - 1)
    urut = forms.ChoiceField(required=False, choices=[(s, s) for s in SORTS])

    def params(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "year": data["tahun"],
            "employment_type": data.get("jenis") or "",
            "jabatan_kind": data.get("jabatan") or "",
            "golongan": data.get("golongan") or "",
            "unit": data.get("unit"),
            "sort": data.get("urut") or "jp",
        }
