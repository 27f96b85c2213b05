"""Input of the external-training pages: parsing and shape only; the rules (dates, JP, the
evidence's type and size, duplicates) live in the services, which the form's errors show."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import CompetencyType, TrainingForm
from lms.learning.models import ExternalTraining, JenisDiklat

from .services import MAX_JP, ExternalDetails

# What the file picker offers; the service checks what the file really is.
EVIDENCE_ACCEPT = ".pdf,.jpg,.jpeg,.png,.webp,application/pdf,image/jpeg,image/png,image/webp"


class DateInput(forms.DateInput):
    input_type = "date"


class JenisChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code}. {obj.name}"


class ExternalTrainingForm(forms.Form):
    title = forms.CharField(
        label=_("Nama pelatihan"), max_length=255,
        help_text=_("Seperti tertulis di sertifikat atau STTPP."),
    )  # fmt: skip
    organiser = forms.CharField(
        label=_("Penyelenggara"), max_length=255,
        help_text=_("Misalnya BPSDM Provinsi, LAN, kementerian, atau lembaga pelatihan."),
    )  # fmt: skip
    jenis = JenisChoiceField(
        label=_("Jenis diklat"), queryset=JenisDiklat.objects.order_by("code"),
        empty_label=_("Pilih jenis diklat"),
        help_text=_("Jenis pengembangan kompetensi menurut SIASN."),
    )  # fmt: skip
    started_on = forms.DateField(label=_("Tanggal mulai"), widget=DateInput(format="%Y-%m-%d"))
    ended_on = forms.DateField(label=_("Tanggal selesai"), widget=DateInput(format="%Y-%m-%d"))
    jp = forms.CharField(
        label=_("Jumlah JP"), max_length=10,
        help_text=_(
            "Jam pelajaran (45 menit) seperti tertulis di sertifikat; boleh desimal, misalnya 2,5."
        ),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )  # fmt: skip
    competency_type = forms.ChoiceField(
        label=_("Jenis kompetensi"),
        choices=[("", _("Pilih jenis kompetensi")), *CompetencyType.choices],
    )
    form = forms.ChoiceField(
        label=_("Bentuk pelatihan"),
        choices=[("", _("Pilih bentuk")), *TrainingForm.choices],
        help_text=_(
            "Klasikal: tatap muka di kelas. Non-klasikal: e-learning, webinar, magang, "
            "dan sebagainya."
        ),
    )  # fmt: skip
    certificate_number = forms.CharField(
        label=_("Nomor sertifikat"), max_length=100, required=False,
        help_text=_("Kosongkan bila sertifikat tidak bernomor."),
    )  # fmt: skip
    evidence = forms.FileField(
        label=_("Bukti (sertifikat atau STTPP)"),
        widget=forms.ClearableFileInput(attrs={"accept": EVIDENCE_ACCEPT}),
    )

    def __init__(self, *args: Any, record: ExternalTraining | None = None, **kwargs: Any) -> None:
        if record is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": record.title, "organiser": record.organiser, "jenis": record.jenis_id,
                "started_on": record.started_on, "ended_on": record.ended_on,
                "jp": format_jp(record.jp), "competency_type": record.competency_type,
                "form": record.form, "certificate_number": record.certificate_number,
            }  # fmt: skip
        super().__init__(*args, **kwargs)
        limit_mb = settings.SINAU_EVIDENCE_MAX_BYTES // (1024 * 1024)
        evidence = self.fields["evidence"]
        evidence.help_text = _("PDF, JPG, PNG atau WebP, paling besar %(mb)s MB.") % {
            "mb": limit_mb
        }
        if record is not None:
            # A correction keeps the evidence already sent unless a new file replaces it.
            evidence.required = False
            evidence.help_text = _(
                "Kosongkan untuk tetap memakai berkas %(name)s. PDF, JPG, PNG atau WebP, "
                "paling besar %(mb)s MB."
            ) % {"name": record.evidence_name or _("sebelumnya"), "mb": limit_mb}
        today = timezone.localdate().isoformat()
        for name in ("started_on", "ended_on"):
            self.fields[name].widget.attrs["max"] = today
        self.fields["jp"].widget.attrs["max"] = str(MAX_JP)

    def clean_jp(self) -> Decimal:
        raw = self.cleaned_data["jp"].strip().replace(" ", "")
        # JP are never in the thousands: one separator, a comma or a point, is the decimal one.
        if not re.fullmatch(r"-?\d{1,6}([.,]\d+)?", raw):
            raise forms.ValidationError(_("Tulis JP sebagai angka, misalnya 8 atau 2,5."))
        try:
            return Decimal(raw.replace(",", "."))
        except InvalidOperation:
            raise forms.ValidationError(_("Tulis JP sebagai angka, misalnya 8 atau 2,5.")) from None

    def details(self) -> ExternalDetails:
        data = self.cleaned_data
        return ExternalDetails(
            title=data["title"], organiser=data["organiser"], jenis=data["jenis"],
            started_on=data["started_on"], ended_on=data["ended_on"], jp=data["jp"],
            competency_type=data["competency_type"], form=data["form"],
            certificate_number=data.get("certificate_number") or "",
        )  # fmt: skip


def format_jp(value: Decimal) -> str:
    """2.50 -> "2,5": the way the learner typed it."""
    text = f"{value.normalize():f}"
    return text.replace(".", ",")


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[*ExternalTraining.Status.choices, ("semua", _("Semua status"))],
    )  # fmt: skip
    q = forms.CharField(
        label=_("Cari nama, NIP atau nama pelatihan"), required=False, max_length=100
    )


class VerifyForm(forms.Form):
    note = forms.CharField(label=_("Catatan (tidak wajib)"), required=False, max_length=1000)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan penolakan"), max_length=1000,
        error_messages={"required": _("Tuliskan alasan penolakan untuk pegawai.")},
    )  # fmt: skip
