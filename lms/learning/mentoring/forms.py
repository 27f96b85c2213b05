"""Input of the mentoring pages: parsing and shape only; the rules live in services. Field
names match the keys of the services' ValidationErrors, so a refusal lands by its field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from courses.models import CompetencyType
from lms.learning.forms import DateInput, OrgUnitChoiceField
from lms.learning.models import JenisDiklat, MentoringAssignment
from lms.people.models import OrgUnit
from lms.people.nip import normalise_nip

from .services import MAX_JP, MAX_SESSION_MINUTES, MAX_TEXT, MIN_SESSION_MINUTES

DATE_WIDGET = DateInput(format="%Y-%m-%d")


class JenisChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class AssignmentForm(forms.Form):
    mentor_nip = forms.CharField(
        label=_("NIP mentor"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text=_("Pejabat atau pegawai aktif di OPD Anda yang membimbing."),
    )
    mentee_nip = forms.CharField(
        label=_("NIP peserta bimbingan"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text=_("Pegawai aktif di OPD Anda yang dibimbing; JP dikreditkan kepadanya."),
    )
    topic = forms.CharField(label=_("Topik"), max_length=255)
    jp = forms.DecimalField(
        label=_("JP"),
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_JP,
    )
    competency_type = forms.ChoiceField(label=_("Jenis kompetensi"), choices=CompetencyType.choices)
    jenis = JenisChoiceField(
        label=_("Jenis diklat (SIASN)"),
        queryset=JenisDiklat.objects.none(),
        required=False,
        empty_label=_("—"),
    )
    starts_on = forms.DateField(label=_("Mulai"), widget=DATE_WIDGET)
    ends_on = forms.DateField(label=_("Selesai"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, jenis: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if jenis is not None:
            field = self.fields["jenis"]
            field.queryset = jenis  # type: ignore[attr-defined]
            if jenis.exists():
                # The select always holds a jenis (mentoring preselected); a post without
                # one gets mentoring from the service.
                field.empty_label = None  # type: ignore[attr-defined]
        # Interpolated per request, so that the help speaks the request's language.
        self.fields["jp"].help_text = gettext("1 JP = 45 menit. Paling banyak %(max)s JP.") % {
            "max": MAX_JP
        }

    def clean_mentor_nip(self) -> str:
        return normalise_nip(self.cleaned_data["mentor_nip"])

    def clean_mentee_nip(self) -> str:
        return normalise_nip(self.cleaned_data["mentee_nip"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("Tanggal selesai tidak boleh sebelum tanggal mulai."))
        return data


class SessionForm(forms.Form):
    held_on = forms.DateField(label=_("Tanggal sesi"), widget=DATE_WIDGET)
    minutes = forms.IntegerField(
        label=_("Durasi (menit)"),
        min_value=MIN_SESSION_MINUTES,
        max_value=MAX_SESSION_MINUTES,
    )
    notes = forms.CharField(
        label=_("Catatan sesi"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Apa yang dibahas atau dipraktikkan, dan tindak lanjutnya."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["minutes"].help_text = gettext("Antara %(min)d dan %(max)d menit.") % {
            "min": MIN_SESSION_MINUTES,
            "max": MAX_SESSION_MINUTES,
        }


class SignOffForm(forms.Form):
    summary = forms.CharField(
        label=_("Ringkasan hasil pembimbingan"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Kompetensi yang berkembang dan penilaian Anda. Setelah ditandatangani, sesi tidak "
            "dapat ditambah kecuali admin OPD mengembalikannya."
        ),
    )


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Cari topik, nama atau NIP"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Semua")), *MentoringAssignment.Status.choices],
    )
    unit = OrgUnitChoiceField(
        label=_("Unit kerja peserta"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("Semua unit"),
    )

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units  # type: ignore[attr-defined]
