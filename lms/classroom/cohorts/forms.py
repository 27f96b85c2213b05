"""Admin forms for angkatan, programmes and sessions: instructors are chosen among those
BKPSDM made instructors, and a programme whose pattern would make too many sessions is
refused on the form rather than on saving."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.models import WagtailAdminModelForm

from lms.people.models import Employee, Role

from ..scheduling import MAX_SESSIONS, series_dates


def instructor_choices() -> Any:
    return (
        Employee.objects.filter(role_assignments__role=Role.INSTRUCTOR, is_active=True)
        .distinct()
        .order_by("full_name")
    )


class InstructorLabelMixin:
    def _limit_instructors(self, *names: str) -> None:
        fields: dict[str, Any] = self.fields  # type: ignore[attr-defined]
        for name in names:
            if name in fields:
                fields[name].queryset = instructor_choices()
                fields[name].label_from_instance = lambda e: f"{e.name_with_gelar} ({e.nip})"


class CohortAdminForm(InstructorLabelMixin, WagtailAdminModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limit_instructors("instructors")


class SessionAdminForm(InstructorLabelMixin, WagtailAdminModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limit_instructors("instructor")


class SeriesAdminForm(InstructorLabelMixin, WagtailAdminModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limit_instructors("instructor")
        self.fields["first_on"].help_text = _(
            "Bulanan: sesi jatuh pada tanggal yang sama tiap bulan; bulan tanpa tanggal itu "
            "(misalnya tanggal 31) dilewati."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first_on, last_on = data.get("first_on"), data.get("last_on")
        recurrence = data.get("recurrence")
        if first_on and last_on and recurrence and first_on <= last_on:
            dates = series_dates(recurrence=recurrence, first_on=first_on, last_on=last_on)
            if len(dates) > MAX_SESSIONS:
                self.add_error(
                    "last_on",
                    forms.ValidationError(
                        _("Rentang ini membuat lebih dari %(max)d sesi; perpendek rentangnya.")
                        % {"max": MAX_SESSIONS}
                    ),
                )
        return data
