"""The filters of the planning insight pages (GET): the AKPK year, the competency type and,
on the gap list, the OPD. Parsing only: a value that is not one of the choices is an error
on its field and the default applies; the scope is never a filter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import CompetencyType
from lms.people.models import OrgUnit

YEARS_SHOWN = 10


@dataclass(frozen=True)
class InsightFilters:
    year: int
    competency_type: str = ""
    opd: OrgUnit | None = None


def year_choices(default: int) -> list[tuple[int, str]]:
    """Next year (AKPK is drawn up for the coming year) back ten years, and the default."""
    this = timezone.localdate().year
    years = set(range(this + 1, this - YEARS_SHOWN, -1)) | {default}
    return [(y, str(y)) for y in sorted(years, reverse=True)]


class InsightFilterForm(forms.Form):
    tahun = forms.TypedChoiceField(label=_("Tahun AKPK"), coerce=int, required=False)
    jenis = forms.ChoiceField(
        label=_("Jenis kompetensi"), required=False,
        choices=[("", _("Semua jenis kompetensi")), *CompetencyType.choices],
    )  # fmt: skip
    opd = forms.TypedChoiceField(label=_("OPD"), coerce=int, required=False)

    def __init__(
        self, *args: Any, default_year: int, opds: list[OrgUnit] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.default_year = default_year
        self.fields["tahun"].choices = year_choices(default_year)  # type: ignore[attr-defined]
        self._opds = {u.pk: u for u in opds or []}
        if opds is None:
            del self.fields["opd"]
        else:
            self.fields["opd"].choices = [  # type: ignore[attr-defined]
                ("", _("Semua OPD dalam lingkup")),
                *((u.pk, u.name) for u in opds),
            ]

    def filters(self) -> InsightFilters:
        """The valid part of what was asked (garbage is dropped and shown as the field's
        error), never a reason for a 500 or a wider scope."""
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
        opd_id = data.get("opd")
        return InsightFilters(
            year=data.get("tahun") or self.default_year,
            competency_type=data.get("jenis") or "",
            opd=self._opds.get(opd_id) if isinstance(opd_id, int) else None,
        )


def filter_form(
    query: Any, *, default_year: int, opds: list[OrgUnit] | None = None
) -> InsightFilterForm:
    """The form bound to the request's query (unbound without one: the defaults). ``year``
    is read as ``tahun``, for the links that name it in English."""
    wanted = {k: query.get(k) for k in ("tahun", "jenis", "opd") if k in query}
    if "tahun" not in wanted and "year" in query:
        wanted["tahun"] = query.get("year")
    return InsightFilterForm(
        wanted or None, default_year=default_year, opds=opds, initial={"tahun": default_year}
    )
