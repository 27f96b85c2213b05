"""Input of the learner and admin pages: parsing and shape only; the rules live in services."""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.core import signing
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from courses.models import CoursePage
from lms.people.models import OrgUnit
from lms.people.nip import normalise_nip

from .models import JPEntry

# A list longer than this is an OPD, not a list: assign by org unit instead.
MAX_NIPS = 2000


_OPENED_SALT = "sinau.learning.module-opened"
_OPENED_MAX_AGE = 24 * 60 * 60


def module_opened_token() -> str:
    """A signed "the page was rendered now", sent back with "Tandai selesai" so that the
    time spent on a module is measured without JavaScript and cannot be made up."""
    return signing.dumps(int(time.time()), salt=_OPENED_SALT)


class ModuleDoneForm(forms.Form):
    """The "Tandai selesai" button: seconds a client measured, or the page's opened token.

    Either is only a claim of study time; the service caps what one update may add.
    """

    seconds = forms.IntegerField(required=False, min_value=0, max_value=_OPENED_MAX_AGE)
    opened = forms.CharField(required=False, max_length=200)

    def seconds_spent(self) -> int:
        if self.cleaned_data.get("seconds") is not None:
            return int(self.cleaned_data["seconds"])
        token = self.cleaned_data.get("opened") or ""
        try:
            opened = int(signing.loads(token, salt=_OPENED_SALT, max_age=_OPENED_MAX_AGE))
        except (signing.BadSignature, TypeError, ValueError):
            return 0  # no token, a stale page or a forged one: no time claimed
        return max(0, int(time.time()) - opened)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Alasan (tidak wajib)"), required=False, max_length=500)


class DecisionForm(forms.Form):
    APPROVE, REJECT = "approve", "reject"

    decision = forms.ChoiceField(
        choices=[(APPROVE, _("Setujui")), (REJECT, _("Tolak"))],
        error_messages={
            "required": _("Pilih setujui atau tolak."),
            "invalid_choice": _("Pilih setujui atau tolak."),
        },
    )
    note = forms.CharField(label=_("Catatan"), required=False, max_length=500)

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == self.APPROVE


class DateInput(forms.DateInput):
    input_type = "date"


class OrgUnitChoiceField(forms.ModelChoiceField):
    """Units indented by their depth in the tree, so that a subtree reads as one."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{'— ' * max(obj.depth - 1, 0)}{obj.name}"


class AssignForm(forms.Form):
    course = forms.ModelChoiceField(
        label=_("Kursus"),
        queryset=CoursePage.objects.none(),
        empty_label=_("Pilih kursus"),
    )
    cohort = forms.TypedChoiceField(
        label=_("Angkatan"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[],
        help_text=_("Wajib untuk kursus yang berjalan per angkatan."),
    )
    org_unit = OrgUnitChoiceField(
        label=_("Seluruh pegawai aktif di unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("Tidak ada (hanya daftar NIP)"),
        help_text=_("Termasuk semua unit di bawahnya."),
    )
    nips = forms.CharField(
        label=_("Daftar NIP"),
        required=False,
        max_length=MAX_NIPS * 30,
        widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Satu NIP per baris; spasi seperti di SK boleh."),
    )
    due_date = forms.DateField(
        label=_("Tenggat (tidak wajib)"),
        required=False,
        widget=DateInput(format="%Y-%m-%d"),
    )

    def __init__(
        self,
        *args: Any,
        courses: Any = None,
        units: Any = None,
        cohorts: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if courses is not None:
            self.fields["course"].queryset = courses  # type: ignore[attr-defined]
        if units is not None:
            self.fields["org_unit"].queryset = units  # type: ignore[attr-defined]
        # The angkatan not yet over, grouped under their course: no script is needed to
        # see which belong to the chosen course, and a wrong pairing is refused on clean.
        self._cohorts = {c.pk: c for c in (cohorts if cohorts is not None else [])}
        groups: dict[str, list[tuple[int, str]]] = {}
        for c in self._cohorts.values():
            label = f"{c.name} ({formats.date_format(c.starts_on, 'SHORT_DATE_FORMAT')})"
            groups.setdefault(c.course.title, []).append((c.pk, label))
        self.fields["cohort"].choices = [  # type: ignore[attr-defined]
            ("", _("Tanpa angkatan (kursus mandiri)")),
            *groups.items(),
        ]

    def clean_nips(self) -> list[str]:
        lines = self.cleaned_data.get("nips", "").splitlines()
        nips = [nip for nip in (normalise_nip(line) for line in lines) if nip]
        if len(nips) > MAX_NIPS:
            raise forms.ValidationError(
                _("Paling banyak %(max)d NIP sekali tugas; untuk lebih, pilih unitnya.")
                % {"max": MAX_NIPS}
            )
        return list(dict.fromkeys(nips))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        course = data.get("course")
        cohort = self._cohorts.get(data["cohort"]) if data.get("cohort") else None
        data["cohort"] = cohort
        if course is not None and cohort is not None and cohort.course_id != course.pk:
            self.add_error(
                "cohort", _("Angkatan ini bukan angkatan %(course)s.") % {"course": course.title}
            )
        elif (
            course is not None
            and cohort is None
            and "cohort" not in self.errors
            and course.cohorts.exists()
        ):
            self.add_error("cohort", _("Kursus ini berjalan per angkatan: pilih angkatannya."))
        if not data.get("org_unit") and not data.get("nips") and not self.errors:
            raise forms.ValidationError(_("Pilih unit atau isi setidaknya satu NIP."))
        return data


class LedgerFilterForm(forms.Form):
    tahun = forms.IntegerField(label=_("Tahun"), required=False, min_value=2000, max_value=2100)
    sumber = forms.ChoiceField(
        label=_("Sumber"), required=False,
        choices=[("", _("Semua sumber")), *JPEntry.Source.choices],
    )  # fmt: skip
    q = forms.CharField(label=_("Cari nama, NIP atau keterangan"), required=False, max_length=100)


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("Alasan pembatalan"), max_length=1000, strip=True)
