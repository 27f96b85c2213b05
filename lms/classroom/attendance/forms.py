"""Forms of the instructor's attendance page: they parse; the services decide."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.people.nip import normalise_nip

from ..models import Attendance, Session


class MarkForm(forms.Form):
    employee = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Kehadiran"), choices=Attendance.Status.choices)
    left_at = forms.TimeField(
        label=_("Jam pulang"), required=False, widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Isi bila pulang sebelum sesi selesai."),
    )  # fmt: skip
    note = forms.CharField(label=_("Catatan"), max_length=255, required=False)

    def left_at_on(self, session: Session) -> dt.datetime | None:
        """The leaving time on the session's (local) day."""
        left = self.cleaned_data.get("left_at")
        if left is None:
            return None
        day = timezone.localtime(session.starts_at).date()
        return timezone.make_aware(dt.datetime.combine(day, left))


class AddForm(forms.Form):
    nip = forms.CharField(label=_("NIP peserta"), max_length=30)
    status = forms.ChoiceField(
        label=_("Kehadiran"), choices=Attendance.Status.choices, initial=Attendance.Status.PRESENT
    )

    def clean_nip(self) -> str:
        return normalise_nip(self.cleaned_data["nip"])
