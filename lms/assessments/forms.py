"""Admin forms for question banks, questions, quizzes and question imports.

A question is saved through ``services.question_save`` (HTML sanitised, key checked, version
bumped when the key changes); the key's problems, as ``scoring.validate`` words them, are
shown on the key field where the author fixes them.
"""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm

from . import formats, services
from .models import Question

KEY_HELP = gettext_lazy(
    "Kunci jawaban dalam JSON, bentuknya menurut jenis soal. "
    'Pilihan ganda (satu jawaban): {"choices": [{"id": "a", "text": "Pancasila", '
    '"fraction": 100, "feedback": ""}, {"id": "b", "text": "UUD 1945", "fraction": 0, '
    '"feedback": ""}]}. '
    'Pilihan ganda (banyak jawaban): sama, ditambah "rule": "sum" (jumlah bobot; pilihan '
    'salah diberi bobot negatif) atau "all_or_nothing". '
    'Benar/salah: {"correct": true, "feedback_true": "", "feedback_false": ""}. '
    'Isian singkat: {"answers": [{"text": "ASN", "fraction": 100, "feedback": ""}], '
    '"case_sensitive": false}; tanda * dalam jawaban berarti teks apa saja. '
    'Angka: {"answers": [{"value": 3.14, "tolerance": 0.01, "fraction": 100, '
    '"feedback": ""}]}. '
    'Menjodohkan: {"pairs": [{"id": "1", "prompt": "Ibu kota Jawa Tengah", '
    '"answer": "Semarang"}], "distractors": ["Bandung"]}. '
    '"fraction" adalah bobot dalam persen (-100 sampai 100); satu jawaban harus bernilai 100.'
)


class KeyField(forms.JSONField):
    """The key as indented JSON: authors read and edit it by hand."""

    widget = forms.Textarea(attrs={"rows": 14, "class": "quiz-admin-key", "spellcheck": "false"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)

    def to_python(self, value: Any) -> Any:
        # An emptied box is an empty key: ``validate`` then says what is missing, in words.
        converted = super().to_python(value)
        return {} if converted is None else converted


class QuestionForm(WagtailAdminModelForm):
    data = KeyField(label=gettext_lazy("Kunci dan pilihan"), required=False, help_text=KEY_HELP)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        bank, category = cleaned.get("bank"), cleaned.get("category")
        if bank is not None and category is not None and category.bank_id != bank.pk:
            self.add_error(
                "category", _("Kategori ini milik bank soal lain: pilih kategori dari bank ini.")
            )
        return cleaned

    def _post_clean(self) -> None:
        super()._post_clean()
        # ``Question.clean`` checks the key and Django files its errors under the form as a
        # whole; they belong to the key field. A question of no valid kind has no key to check.
        key_errors = self._errors.pop(NON_FIELD_ERRORS, None)
        if key_errors and "kind" not in self._errors and "data" not in self._errors:
            self.add_error("data", ValidationError(list(key_errors)))

    def save(self, commit: bool = True) -> Question:
        question: Question = self.instance
        if not commit:
            self.save_m2m = self._save_m2m
            return question
        services.question_save(question=question)
        self._save_m2m()  # the competency tags
        return question


class QuizRuleForm(WagtailAdminModelForm):
    """One rule of a quiz: a question, or a category to draw from, not both."""

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        question, category = cleaned.get("question"), cleaned.get("category")
        # Errors on the fields keep the database's constraint from repeating them in English.
        if question is not None and category is not None:
            self.add_error(
                "category", _("Pilih soal atau kategori untuk diacak, tidak keduanya sekaligus.")
            )
        elif question is None and category is None and not self.has_error("question"):
            self.add_error("question", _("Pilih satu soal, atau kategori untuk diacak."))
        return cleaned


class QuizForm(WagtailAdminModelForm):
    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens is not None and closes is not None and closes <= opens:
            self.add_error("closes_at", _("Waktu ditutup harus sesudah waktu dibuka."))
        return cleaned


# --- Importing questions ----------------------------------------------------------------

IMPORT_EXTENSIONS = {"gift": (".txt", ".gift"), "aiken": (".txt",), "xlsx": (".xlsx",)}
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class QuestionImportForm(forms.Form):
    format = forms.ChoiceField(
        label=gettext_lazy("Format berkas"),
        choices=list(services.IMPORT_FORMATS.items()),
        initial="gift",
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=gettext_lazy("Berkas soal"),
        help_text=gettext_lazy(
            "Paling besar 2 MB. Semua soal dalam berkas diimpor, atau tidak sama sekali bila "
            "ada yang salah."
        ),
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        fmt, upload = cleaned.get("format"), cleaned.get("file")
        if not fmt or upload is None:
            return cleaned
        suffix = PurePath(upload.name or "").suffix.lower()
        allowed = IMPORT_EXTENSIONS[fmt]
        if suffix not in allowed:
            self.add_error(
                "file",
                _("Berkas %(format)s harus berakhiran %(allowed)s; berkas ini %(name)s.")
                % {
                    "format": services.IMPORT_FORMATS[fmt],
                    "allowed": " atau ".join(allowed),
                    "name": upload.name,
                },
            )
            return cleaned
        if upload.size is not None and upload.size > formats.MAX_BYTES:
            self.add_error(
                "file",
                _("Berkas terlalu besar (%(size)s KB, batasnya %(limit)s KB). Bagi soal ke "
                  "beberapa berkas.")
                % {"size": upload.size // 1024, "limit": formats.MAX_BYTES // 1024},
            )  # fmt: skip
            return cleaned
        content = upload.read(formats.MAX_BYTES + 1)
        if not content.strip():
            self.add_error("file", _("Berkas ini kosong."))
        elif fmt != "xlsx" and b"\x00" in content and not content.startswith(UTF16_BOMS):
            # A spreadsheet, a Word document or a PDF picked by mistake: not text at all.
            self.add_error(
                "file",
                _("Berkas ini bukan berkas teks. Simpan soal sebagai teks biasa (.txt), "
                  "atau pilih format Templat Excel untuk berkas .xlsx."),
            )  # fmt: skip
        elif fmt == "xlsx" and not content.startswith(b"PK"):
            self.add_error(
                "file",
                _("Berkas rusak atau bukan XLSX. Simpan ulang sebagai .xlsx dari templat."),
            )
        cleaned["content"] = content
        return cleaned
