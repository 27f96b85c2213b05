"""Input of the dictionary pages: the list filters and the XLSX upload. The file's rules
(type, size, sheets, rows) live in the import service, whose refusals the form shows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from courses.models import CompetencyType

from .workbook import MAX_BYTES


class DictionaryFilterForm(forms.Form):
    q = forms.CharField(label=_("Cari kode atau nama"), required=False, max_length=100)
    jenis = forms.ChoiceField(
        label=_("Jenis kompetensi"), required=False,
        choices=[("", _("Semua jenis")), *CompetencyType.choices],
    )  # fmt: skip


class JabatanFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Cari jabatan, atau kode/nama kompetensi"), required=False, max_length=100
    )


class DictionaryImportForm(forms.Form):
    file = forms.FileField(
        label=_("Berkas XLSX kamus kompetensi"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "Lembar Kompetensi (kode, nama, jenis, definisi, level_1 sampai level_5) dan "
            "lembar Standar (jabatan, kode_kompetensi, level). Paling besar %(mb)d MB."
        ) % {"mb": MAX_BYTES // (1024 * 1024)}
