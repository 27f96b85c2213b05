"""Input of the certificate pages: parsing and shape only; the rules live in the services."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.utils.translation import gettext_lazy as _

from courses.models import CoursePage
from lms.learning.forms import OrgUnitChoiceField
from lms.people.models import OrgUnit

from .models import Certificate


class VerifyForm(forms.Form):
    """The code printed under the QR code; a pasted verification link works too."""

    code = forms.CharField(
        label=_("Kode verifikasi"),
        max_length=300,
        help_text=_("Tertera di bawah kode QR pada sertifikat."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": _("Isi kode verifikasi.")},
    )

    def clean_code(self) -> str:
        raw = self.cleaned_data["code"].strip()
        if "/" in raw:
            path = urlsplit(raw).path if "://" in raw else raw
            segments = [s for s in path.split("/") if s]
            raw = segments[-1] if segments else ""
        return raw


class CertificateFilterForm(forms.Form):
    q = forms.CharField(label=_("Cari nama, NIP atau nomor"), required=False, max_length=100)
    kursus = forms.ModelChoiceField(
        label=_("Kursus"), required=False, queryset=CoursePage.objects.none(),
        empty_label=_("Semua kursus"),
    )  # fmt: skip
    opd = OrgUnitChoiceField(
        label=_("OPD/unit"), required=False, queryset=OrgUnit.objects.none(),
        empty_label=_("Semua OPD"),
    )  # fmt: skip
    tahun = forms.IntegerField(label=_("Tahun"), required=False, min_value=2000, max_value=2100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Semua status")), *Certificate.Status.choices],
    )

    def __init__(self, *args: Any, courses: Any = None, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if courses is not None:
            self.fields["kursus"].queryset = courses  # type: ignore[attr-defined]
        if units is not None:
            self.fields["opd"].queryset = units  # type: ignore[attr-defined]


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan pencabutan"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Alasan ini tampil di halaman verifikasi publik."),
        error_messages={"required": _("Tuliskan alasan pencabutan sertifikat.")},
    )


class ReissueForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan penerbitan ulang"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Misalnya: perbaikan penulisan nama dan gelar."),
        error_messages={"required": _("Tuliskan alasan penerbitan ulang sertifikat.")},
    )


class BundleForm(forms.Form):
    course = forms.ModelChoiceField(
        label=_("Kursus"), required=False, queryset=CoursePage.objects.none(),
        empty_label=_("Semua kursus"),
    )  # fmt: skip
    org_unit = OrgUnitChoiceField(
        label=_("OPD/unit"), required=False, queryset=OrgUnit.objects.none(),
        empty_label=_("Semua OPD"), help_text=_("Termasuk semua unit di bawahnya."),
    )  # fmt: skip
    year = forms.IntegerField(
        label=_("Tahun (tidak wajib)"), required=False, min_value=2000, max_value=2100
    )

    def __init__(self, *args: Any, courses: Any = None, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if courses is not None:
            self.fields["course"].queryset = courses  # type: ignore[attr-defined]
        if units is not None:
            self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("course") and not data.get("org_unit") and not self.errors:
            raise forms.ValidationError(_("Pilih kursus atau OPD (atau keduanya)."))
        return data
