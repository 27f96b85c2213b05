"""Input of the proposal pages: parsing and shape only; the rules (dates within the year,
JP, budget, the OPD in scope) live in the services, whose errors the form shows."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import TrainingForm
from lms.people.models import OrgUnit
from lms.planning.models import Competency, ProposalDuplicate, TrainingProposal, jabatan_key

from .services import YEARS_AHEAD, ProposalDetails, clean_jabatan


class DateInput(forms.DateInput):
    input_type = "date"


class CompetencyChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name} ({obj.get_competency_type_display()})"


def parse_jp(raw: str) -> Decimal:
    """ "2,5" or "2.5" -> Decimal("2.5"): JP are never in the thousands, so the one
    separator is the decimal one."""
    text = raw.strip().replace(" ", "")
    if not re.fullmatch(r"-?\d{1,6}([.,]\d+)?", text):
        raise ValidationError(_("Tulis JP sebagai angka, misalnya 8 atau 2,5."))
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise ValidationError(_("Tulis JP sebagai angka, misalnya 8 atau 2,5.")) from None


def parse_rupiah(raw: str) -> Decimal:
    """Rupiah as people write them: "15000000", "15.000.000", "Rp 15.000.000,00",
    "15,000,000" -> Decimal("15000000"). Sen are not budgeted."""
    text = re.sub(r"^rp\.?", "", raw.strip().casefold()).replace(" ", "")
    if re.fullmatch(r"\d+", text):
        digits = text
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+(,0{1,2})?", text) or re.fullmatch(r"\d+,0{1,2}", text):
        digits = text.split(",")[0].replace(".", "")
    elif re.fullmatch(r"\d{1,3}(,\d{3})+(\.0{1,2})?", text):
        digits = text.split(".")[0].replace(",", "")
    else:
        raise ValidationError(
            _("Tulis anggaran dalam Rupiah tanpa sen, misalnya 15.000.000 (boleh 0).")
        )
    if len(digits) > 15:
        raise ValidationError(_("Anggaran terlalu besar."))
    return Decimal(digits)


def format_rupiah(value: Decimal | int) -> str:
    return f"{int(value):,}".replace(",", ".")


def format_jp(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


class ProposalForm(forms.Form):
    opd = forms.ModelChoiceField(
        label=_("OPD pengusul"), queryset=OrgUnit.objects.none(), empty_label=_("Pilih OPD"),
        error_messages={"invalid_choice": _("Pilih OPD dari daftar.")},
    )  # fmt: skip
    year = forms.TypedChoiceField(
        label=_("Tahun pelaksanaan"), coerce=int, choices=[],
        error_messages={"invalid_choice": _("Pilih tahun pelaksanaan dari daftar.")},
    )  # fmt: skip
    title = forms.CharField(
        label=_("Judul pelatihan"), max_length=255,
        help_text=_("Misalnya: Pelatihan Pengelolaan Keuangan Daerah bagi Bendahara."),
    )  # fmt: skip
    competencies = CompetencyChoiceField(
        label=_("Kompetensi yang dibangun"), queryset=Competency.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Dari kamus kompetensi; sedikitnya satu."),
        error_messages={
            "required": _("Pilih sedikitnya satu kompetensi dari kamus."),
            "invalid_choice": _("Kompetensi %(value)s tidak ada di kamus (atau tidak aktif)."),
            "invalid_pk_value": _("Kompetensi %(pk)s tidak dikenal."),
        },
    )  # fmt: skip
    jabatan_suggested = forms.MultipleChoiceField(
        label=_("Jabatan sasaran"), required=False, choices=[],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Jabatan yang ada di OPD dan di standar kompetensi jabatan."),
        error_messages={"invalid_choice": _("Pilih jabatan dari daftar, atau tulis di bawah.")},
    )  # fmt: skip
    target_jabatan = forms.CharField(
        label=_("Jabatan sasaran lainnya"), required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Satu jabatan per baris, bila tidak ada di daftar di atas."),
    )  # fmt: skip
    participant_count = forms.IntegerField(
        label=_("Jumlah peserta"),
        widget=forms.NumberInput(attrs={"min": 1, "inputmode": "numeric"}),
        error_messages={"invalid": _("Tulis jumlah peserta sebagai bilangan bulat, misalnya 30.")},
    )
    jp = forms.CharField(
        label=_("Jumlah JP"), max_length=10,
        help_text=_("Jam pelajaran (45 menit); boleh desimal, misalnya 2,5. Sedikitnya 0,25."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )  # fmt: skip
    training_form = forms.ChoiceField(
        label=_("Bentuk pelatihan"), choices=[("", _("Pilih bentuk")), *TrainingForm.choices]
    )
    budget = forms.CharField(
        label=_("Anggaran (Rp)"), max_length=30,
        help_text=_("Dalam Rupiah tanpa sen, misalnya 15.000.000; tulis 0 bila tanpa biaya."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )  # fmt: skip
    starts_on = forms.DateField(label=_("Tanggal mulai"), widget=DateInput(format="%Y-%m-%d"))
    ends_on = forms.DateField(label=_("Tanggal selesai"), widget=DateInput(format="%Y-%m-%d"))
    justification = forms.CharField(
        label=_("Justifikasi"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Kesenjangan kompetensi yang ditutup pelatihan ini, menurut AKPK OPD. Ringkasannya "
            "menjadi ringkasan draf kursus bila disetujui."
        ),
        error_messages={
            "required": _("Tuliskan justifikasi: kesenjangan kompetensi yang ditutup.")
        },
    )  # fmt: skip

    def __init__(
        self,
        *args: Any,
        opds: list[OrgUnit],
        suggestions: list[str],
        proposal: TrainingProposal | None = None,
        **kwargs: Any,
    ) -> None:
        if proposal is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_of(proposal, suggestions)
        super().__init__(*args, **kwargs)
        opd_field = self.fields["opd"]
        opd_field.queryset = OrgUnit.objects.filter(pk__in=[o.pk for o in opds]).order_by("name")  # type: ignore[attr-defined]
        self.only_opd = opds[0] if len(opds) == 1 else None
        if self.only_opd is not None:
            # An admin of one OPD proposes for it: nothing to choose.
            opd_field.required = False
            self.initial.setdefault("opd", self.only_opd.pk)
        this_year = timezone.localdate().year
        years = list(range(this_year, this_year + YEARS_AHEAD + 1))
        if proposal is not None and proposal.year not in years:
            years.insert(0, proposal.year)
        self.fields["year"].choices = [(y, str(y)) for y in years]  # type: ignore[attr-defined]
        if proposal is None and not self.is_bound:
            self.initial.setdefault("year", this_year + 1)
        self.fields["competencies"].queryset = Competency.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("competency_type", "code")
        self.fields["jabatan_suggested"].choices = [(s, s) for s in suggestions]  # type: ignore[attr-defined]
        if not suggestions:
            self.fields["jabatan_suggested"].widget = forms.MultipleHiddenInput()

    def clean_opd(self) -> OrgUnit | None:
        return self.cleaned_data.get("opd") or self.only_opd

    def clean_jp(self) -> Decimal:
        return parse_jp(self.cleaned_data["jp"])

    def clean_budget(self) -> Decimal:
        return parse_rupiah(self.cleaned_data["budget"])

    def jabatan(self) -> list[str]:
        data = self.cleaned_data
        typed = re.split(r"[\r\n;]+", data.get("target_jabatan") or "")
        return clean_jabatan([*(data.get("jabatan_suggested") or []), *typed])

    def details(self) -> ProposalDetails:
        data = self.cleaned_data
        return ProposalDetails(
            opd=data["opd"], year=data["year"], title=data["title"],
            competencies=list(data["competencies"]), target_jabatan=self.jabatan(),
            participant_count=data["participant_count"], jp=data["jp"],
            training_form=data["training_form"], budget=data["budget"],
            starts_on=data["starts_on"], ends_on=data["ends_on"],
            justification=data["justification"],
        )  # fmt: skip

    def add_service_errors(self, exc: ValidationError) -> None:
        """A service's errors on the fields they name (or the form's top when none)."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for name, errors in exc.error_dict.items():
            self.add_error(name if name in self.fields else None, errors)


def initial_of(proposal: TrainingProposal, suggestions: list[str]) -> dict[str, Any]:
    """The form's values for an existing proposal: jabatan found among the suggestions are
    ticked there, the rest written one per line."""
    offered = {jabatan_key(s): s for s in suggestions}
    ticked, typed = [], []
    for name in proposal.target_jabatan or []:
        match = offered.get(jabatan_key(str(name)))
        if match is not None:
            ticked.append(match)
        else:
            typed.append(str(name))
    return {
        "opd": proposal.opd_id, "year": proposal.year, "title": proposal.title,
        "competencies": [c.pk for c in proposal.competencies.all()],
        "jabatan_suggested": ticked, "target_jabatan": "\n".join(typed),
        "participant_count": proposal.participant_count, "jp": format_jp(proposal.jp),
        "training_form": proposal.training_form, "budget": format_rupiah(proposal.budget),
        "starts_on": proposal.starts_on, "ends_on": proposal.ends_on,
        "justification": proposal.justification,
    }  # fmt: skip


class ProposalFilterForm(forms.Form):
    tahun = forms.TypedChoiceField(label=_("Tahun"), coerce=int, required=False, choices=[])
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("Semua status")), *TrainingProposal.Status.choices],
    )  # fmt: skip
    opd = forms.ModelChoiceField(
        label=_("OPD"), required=False, queryset=OrgUnit.objects.none(),
        empty_label=_("Semua OPD"),
    )  # fmt: skip

    def __init__(self, *args: Any, years: list[int], opds: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tahun"].choices = [("", _("Semua tahun")), *[(y, str(y)) for y in years]]  # type: ignore[attr-defined]
        self.fields["opd"].queryset = opds  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        """The valid filters; an invalid one is ignored, never an error page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "year": data.get("tahun") or None,
            "status": data.get("status") or None,
            "opd": data.get("opd"),
        }


class DuplicateFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=ProposalDuplicate.Status.choices
    )
    tahun = forms.TypedChoiceField(label=_("Tahun"), coerce=int, required=False, choices=[])

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tahun"].choices = [("", _("Semua tahun")), *[(y, str(y)) for y in years]]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "status": data.get("status") or ProposalDuplicate.Status.OPEN,
            "year": data.get("tahun") or None,
        }


class ApproveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Hasil persetujuan"), choices=TrainingProposal.Outcome.choices,
        widget=forms.RadioSelect, initial=TrainingProposal.Outcome.COURSE,
        help_text=_(
            "Keduanya menjadi draf halaman kursus di katalog (belum tayang). Pelatihan klasikal "
            "berbentuk klasikal; sesi kelasnya diatur lewat fitur angkatan."
        ),
        error_messages={"required": _("Pilih hasil persetujuan.")},
    )  # fmt: skip
    note = forms.CharField(
        label=_("Catatan (tidak wajib)"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Tuliskan alasannya untuk OPD.")},
    )  # fmt: skip


class PairDecisionForm(forms.Form):
    keep = forms.IntegerField(required=False, min_value=1, max_value=10**18)
    note = forms.CharField(label=_("Catatan (tidak wajib)"), required=False, max_length=2000)
