"""Question files in and out: Moodle GIFT, Aiken and the Sinau XLSX template.

Pure text work, no database. Each parser returns the questions it could read and a
``FormatError`` (with its line, or row for XLSX) for each entry it could not, so the caller
decides whether to refuse the whole file or take the good part. No parser raises on bad
input: an upload is untrusted text.

``data`` follows the shape ``scoring`` grades (see ``Question.data``). Texts shown as HTML
(stems, choices, feedback) are escaped and wrapped in ``<p>`` unless a GIFT entry says
``[html]``; such HTML is passed on as written, so whoever stores it must sanitise it.
Texts compared with a learner's answer (short answers, matching prompts and answers) stay
plain.

GIFT rule for choice questions (Moodle's, sharpened): one choice must be fully right
(``=`` or ``%100%``) for a single-answer question; when no choice is fully right but two or
more carry positive weights, or several ``=`` answers are mixed with weights, it is a
multiple-answer question graded by the sum of weights (Moodle's rule), where each ``=``
answer is worth an equal share of 100%.
"""

from __future__ import annotations

import html
import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .scoring import validate

logger = logging.getLogger(__name__)

MAX_BYTES = 2 * 1024 * 1024
MAX_QUESTIONS = 5000
MAX_NAME = 255
MAX_CATEGORY = 255
MAX_CHOICES = 50
# A 2 MB XLSX can inflate to gigabytes of XML; real question sheets stay far below this.
# zipfile never inflates a member past its declared size, so the declared total bounds it.
MAX_XLSX_UNZIPPED = 64 * 1024 * 1024
# Blank rows are skipped but still read; past this a sheet is padding, not questions.
MAX_XLSX_ROWS = 4 * MAX_QUESTIONS
MAX_NUMBER = Decimal("1e15")
MAX_MARK = Decimal("9999.99")  # Question.default_mark has 6 digits, 2 after the point
MAX_XLSX_COLUMNS = 50
FULL = Decimal(100)
# Shares of 100% are written to five places (33.33333), as Moodle does.
SHARE_QUANTUM = Decimal("0.00001")


@dataclass
class ParsedQuestion:
    kind: str
    name: str
    stem: str
    data: dict[str, Any]
    general_feedback: str = ""
    line: int = 0  # where the entry starts (the row for XLSX), 1-based
    category: str | None = None
    default_mark: Decimal | None = None  # only the XLSX template has a column for it


@dataclass
class FormatError:
    line: int  # 1-based; 0 when the file as a whole is refused
    message: str


class QuestionLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def stem(self) -> str: ...
    @property
    def data(self) -> Any: ...
    @property
    def general_feedback(self) -> str: ...


TextFormat = Callable[[str], str]


class _Invalid(Exception):
    """One entry cannot be read; the message is for the instructor who wrote it."""


Result = tuple[list[ParsedQuestion], list[FormatError]]


# --- shared helpers ---------------------------------------------------------------------


def decode_text(content: bytes) -> str:
    """An uploaded text file as text: UTF-8 (with or without BOM), UTF-16 with BOM, or the
    Windows code page Word and Notepad save in. Never fails."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16", errors="replace")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1")


def _too_big(size: int) -> FormatError:
    return FormatError(
        0,
        _(
            "Berkas terlalu besar (%(size)s KB, batasnya %(limit)s KB). Bagi soal ke "
            "beberapa berkas."
        )
        % {"size": size // 1024, "limit": MAX_BYTES // 1024},
    )


def _too_many() -> FormatError:
    return FormatError(
        0,
        _("Berkas berisi lebih dari %(limit)s soal. Bagi soal ke beberapa berkas.")
        % {"limit": MAX_QUESTIONS},
    )


def _no_questions() -> FormatError:
    return FormatError(0, _("Berkas tidak berisi soal. Periksa format berkasnya."))


def _unreadable(line: int) -> FormatError:
    if not line:
        return FormatError(0, _("Berkas ini tidak dapat dibaca. Periksa formatnya."))
    return FormatError(
        line, _("Soal ini tidak dapat dibaca. Periksa penulisannya, atau tulis ulang soalnya.")
    )


def _as_text(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = decode_text(text)
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _to_html(text: str) -> str:
    """Plain text as HTML: escaped, blank lines make paragraphs, line ends make <br/>."""
    text = text.strip()
    if not text:
        return ""
    paragraphs = [p.strip() for p in re.split(r"\n[ \t]*\n", text) if p.strip()]
    return "".join(
        "<p>" + "<br/>".join(html.escape(line.strip()) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )


def _num(value: Decimal) -> int | float:
    """JSON-friendly: whole numbers as int, the rest as float."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")


def _number(raw: str) -> Decimal:
    text = raw.strip().replace(" ", "")
    # Indonesian writes 3,14; only a lone comma is read as the decimal mark.
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if len(text) > 40 or not _NUMBER.fullmatch(text):
        raise _Invalid(
            _(
                "'%(text)s' bukan angka. Tulis angka dengan titik atau koma desimal tanpa "
                "pemisah ribuan, misalnya 3.14 atau 3,14."
            )
            % {"text": _clip(raw)}
        )
    value = Decimal(text)
    if abs(value) > MAX_NUMBER:
        raise _Invalid(_("Angka %(text)s terlalu besar.") % {"text": _clip(raw)})
    return value


def _clip(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _choice_id(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def _share(count: int) -> Decimal:
    return (FULL / count).quantize(SHARE_QUANTUM)


def _checked(question: ParsedQuestion) -> ParsedQuestion:
    """The question, if its answer key is one ``scoring`` accepts (the rule authors meet
    when they save a question by hand)."""
    choices = question.data.get("choices")
    if isinstance(choices, list) and len(choices) > MAX_CHOICES:
        raise _Invalid(
            _("Soal ini punya lebih dari %(limit)s pilihan. Kurangi pilihannya.")
            % {"limit": MAX_CHOICES}
        )
    try:
        validate(question.kind, question.data)
    except ValidationError as exc:
        raise _Invalid(" ".join(exc.messages)) from exc
    return question


# --- GIFT -------------------------------------------------------------------------------

# Escaped characters become private-use placeholders while the entry is split, as Moodle
# does with its "&&058;" markers; the placeholders are removed from the input first.
_ESCAPABLE = "\\~=#{}:"
_PLACEHOLDER = {char: chr(0xE000 + i) for i, char in enumerate(_ESCAPABLE)}
_RESTORE = str.maketrans({v: k for k, v in _PLACEHOLDER.items()})
_STRIP_PLACEHOLDERS = str.maketrans(dict.fromkeys(range(0xE000, 0xE000 + len(_ESCAPABLE))))
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)
_FORMAT_RE = re.compile(r"\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT_RE = re.compile(r"%\s*(-?\d{1,3}(?:[.,]\d{1,20})?)\s*%")
_WEIGHT_LIKE_RE = re.compile(r"%[-+\d.,\s]*%")
_CATEGORY_RE = re.compile(r"\$CATEGORY:(.*)", re.IGNORECASE)
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


def _protect(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        char = match.group(1)
        if char == "n":
            return "\n"
        return _PLACEHOLDER.get(char, match.group(0))

    return _ESCAPE_RE.sub(replace, text.translate(_STRIP_PLACEHOLDERS))


def _restore(text: str) -> str:
    return text.translate(_RESTORE)


def _gift_escape(text: str) -> str:
    out = text.replace("\r", "")
    out = out.replace("\\", "\\\\")
    for char in "~=#{}:":
        out = out.replace(char, "\\" + char)
    return out.replace("\n", "\\n")


def _gift_blocks(text: str) -> list[list[tuple[int, str]]]:
    """Entries as lists of (line number, stripped line); blank lines end an entry and
    comment lines vanish without ending one (as in Moodle)."""
    blocks: list[list[tuple[int, str]]] = []
    block: list[tuple[int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            if block:
                blocks.append(block)
                block = []
        elif not line.startswith("//"):
            block.append((number, line))
    if block:
        blocks.append(block)
    return blocks


def _category_path(raw: str) -> str | None:
    path = raw.strip()
    # Moodle writes "$course$/top/Name"; the context and its root mean nothing here.
    path = re.sub(r"^\$[A-Za-z0-9_]*\$/?", "", path)
    path = re.sub(r"^top(?:/|$)", "", path)
    return path.strip() or None


def parse_gift(text: str | bytes) -> Result:
    """Read a Moodle GIFT file; see the module docstring for the choice-question rule."""
    try:
        return _parse_gift(_as_text(text))
    except Exception:  # a parser bug must not become a server error on an upload
        logger.exception("GIFT parser failed")
        return [], [_unreadable(0)]


def _parse_gift(text: str) -> Result:
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_BYTES:
        return [], [_too_big(size)]
    entries: list[tuple[int, str, str | None]] = []
    errors: list[FormatError] = []
    category: str | None = None
    for block in _gift_blocks(text):
        index = 0
        while index < len(block) and (match := _CATEGORY_RE.match(block[index][1])):
            path = _category_path(match.group(1))
            if path is not None and len(path) > MAX_CATEGORY:
                errors.append(
                    FormatError(
                        block[index][0],
                        _("Nama kategori lebih dari %(limit)s karakter. Persingkat namanya.")
                        % {"limit": MAX_CATEGORY},
                    )
                )
            else:
                category = path
            index += 1
        if index < len(block):
            lines = block[index:]
            entries.append((lines[0][0], "\n".join(line for _n, line in lines), category))
        if len(entries) > MAX_QUESTIONS:
            return [], [_too_many()]
    questions: list[ParsedQuestion] = []
    for line, entry, entry_category in entries:
        try:
            question = _gift_entry(entry, line)
        except _Invalid as exc:
            errors.append(FormatError(line, str(exc)))
            continue
        except Exception:  # one odd entry must not hide the report on the others
            logger.exception("GIFT entry at line %s failed", line)
            errors.append(_unreadable(line))
            continue
        question.category = entry_category
        questions.append(question)
    errors.sort(key=lambda e: e.line)
    if not questions and not errors:
        errors.append(_no_questions())
    return questions, errors


def _gift_entry(entry: str, line: int) -> ParsedQuestion:
    rest = _protect(entry).strip()
    name = ""
    if rest.startswith("::"):
        end = rest.find("::", 2)
        if end == -1:
            raise _Invalid(
                _(
                    "Judul soal diawali '::' tetapi tidak ditutup dengan '::'. Tulis judul "
                    "seperti ::Judul soal:: lalu pertanyaannya."
                )
            )
        name = _restore(rest[2:end]).strip()
        rest = rest[end + 2 :].strip()
        if len(name) > MAX_NAME:
            raise _Invalid(
                _("Judul soal lebih dari %(limit)s karakter. Persingkat judulnya.")
                % {"limit": MAX_NAME}
            )
    fmt = "moodle"
    if match := _FORMAT_RE.match(rest):
        fmt = match.group(1).lower()
        rest = rest[match.end() :].strip()

    open_at = rest.find("{")
    if open_at == -1:
        if "}" in rest:
            raise _Invalid(
                _("Ada '}' tanpa '{'. Tulis \\} bila kurung kurawal itu bagian dari teks.")
            )
        raise _Invalid(
            _(
                "Tidak ada blok jawaban {…}. Soal deskripsi (teks tanpa jawaban) belum "
                "didukung: tambahkan jawaban di dalam kurung kurawal atau hapus teks ini."
            )
        )
    close_at = rest.find("}", open_at + 1)
    if close_at == -1:
        raise _Invalid(
            _(
                "Kurung kurawal '{' tidak ditutup dengan '}'. Tutup blok jawabannya; ingat "
                "bahwa baris kosong memisahkan soal, jadi tidak boleh ada di dalam satu soal."
            )
        )
    after = rest[close_at + 1 :]
    if "{" in rest[open_at + 1 : close_at] or "{" in after or "}" in after:
        raise _Invalid(
            _(
                "Soal ini berisi lebih dari satu blok jawaban {…}. Satu soal hanya boleh "
                "punya satu blok; tulis \\{ dan \\} untuk kurung kurawal di dalam teks, dan "
                "pisahkan soal dengan baris kosong."
            )
        )
    # Text after the block makes a "missing word" question: the block leaves a gap.
    stem_text = rest[:open_at] + ("_____" + after if after.strip() else "")
    answer = rest[open_at + 1 : close_at].strip()
    if not rest[:open_at].strip() and not after.strip():
        raise _Invalid(_("Teks pertanyaan kosong. Tulis pertanyaannya sebelum blok jawaban {…}."))

    def fmt_text(raw: str) -> str:
        text = _restore(raw).strip()
        return text if fmt == "html" else _to_html(text)

    general_feedback = ""
    if (feedback_at := answer.find("####")) != -1:
        general_feedback = fmt_text(answer[feedback_at + 4 :])
        answer = answer[:feedback_at].strip()

    if not answer:
        raise _Invalid(
            _(
                "Soal esai ({}) belum didukung. Hapus soal ini atau ubah menjadi jenis soal "
                "lain, misalnya isian singkat {=jawaban}."
            )
        )
    if answer.startswith("#"):
        kind, data = "numeric", _gift_numeric(answer[1:], fmt_text)
    elif "~" in answer:
        kind, data = _gift_choices(answer, fmt_text)
    # An arrow in feedback alone does not make a matching question.
    elif "=" in answer and any("->" in chunk.split("#", 1)[0] for chunk in _equal_chunks(answer)):
        kind, data = "matching", _gift_matching(answer)
    elif answer.split("#", 1)[0].strip() in _TRUE_FALSE:
        kind, data = "truefalse", _gift_truefalse(answer, fmt_text)
    else:
        kind, data = "short", _gift_short(answer, fmt_text)
    return _checked(
        ParsedQuestion(
            kind=kind,
            name=name,
            stem=fmt_text(stem_text),
            data=data,
            general_feedback=general_feedback,
            line=line,
        )
    )


def _weight(chunk: str) -> tuple[Decimal | None, str]:
    """A leading ``%50%`` as a Decimal, and what follows it."""
    chunk = chunk.strip()
    if match := _WEIGHT_RE.match(chunk):
        value = Decimal(match.group(1).replace(",", "."))
        if abs(value) <= FULL:
            return value, chunk[match.end() :]
        shown = match.group(0)
    elif like := _WEIGHT_LIKE_RE.match(chunk):
        shown = like.group(0)
    else:
        return None, chunk
    raise _Invalid(
        _(
            "Bobot '%(weight)s' tidak valid. Tulis bobot sebagai persen antara -100 dan 100, "
            "misalnya %(example)s."
        )
        % {"weight": _clip(_restore(shown)), "example": "~%50%"}
    )


def _split_feedback(chunk: str) -> tuple[str, str]:
    text, _sep, feedback = chunk.partition("#")
    return text.strip(), feedback.strip()


def _gift_choices(answer: str, fmt_text: TextFormat) -> tuple[str, dict[str, Any]]:
    parts = re.split(r"([~=])", answer)
    if parts[0].strip():
        raise _Invalid(
            _("Pilihan '%(text)s' tidak diawali '=' (benar) atau '~' (salah).")
            % {"text": _clip(_restore(parts[0]))}
        )
    # (marked '=', explicit weight, text, feedback)
    raw: list[tuple[bool, Decimal | None, str, str]] = []
    for marker, chunk in zip(parts[1::2], parts[2::2], strict=True):
        weight, body = _weight(chunk)
        text, feedback = _split_feedback(body)
        if not text:
            raise _Invalid(_("Ada pilihan jawaban yang kosong. Tulis teks setelah '=' atau '~'."))
        raw.append((marker == "=" and weight is None, weight, text, feedback))
    equals = sum(1 for eq, *_rest in raw if eq)
    weighted = any(weight is not None for _eq, weight, *_rest in raw)
    fractions = [
        (FULL if eq else Decimal(0)) if weight is None else weight for eq, weight, *_r in raw
    ]
    positives = [f for f in fractions if f > 0]
    if not positives:
        raise _Invalid(
            _(
                "Tidak ada jawaban benar. Tandai jawaban benar dengan '=' atau beri bobot "
                "positif, misalnya %(example)s."
            )
            % {"example": "~%50%"}
        )
    multiple = (equals >= 2 and weighted) or (FULL not in fractions and len(positives) >= 2)
    if multiple and equals:
        fractions = [
            _share(equals) if eq else f for (eq, *_r), f in zip(raw, fractions, strict=True)
        ]
    choices = [
        {
            "id": _choice_id(i),
            "text": fmt_text(text),
            "fraction": _num(fraction),
            "feedback": fmt_text(feedback),
        }
        for i, ((_eq, _w, text, feedback), fraction) in enumerate(zip(raw, fractions, strict=True))
    ]
    if multiple:
        return "multiple", {"choices": choices, "rule": "sum"}
    return "single", {"choices": choices}


def _gift_truefalse(answer: str, fmt_text: TextFormat) -> dict[str, Any]:
    head, wrong, right = ([*answer.split("#", 2), "", ""])[:3]
    correct = _TRUE_FALSE[head.strip()]
    wrong, right = fmt_text(wrong), fmt_text(right)
    # Moodle's order is "#feedback for the wrong answer#feedback for the right one".
    return {
        "correct": correct,
        "feedback_true": right if correct else wrong,
        "feedback_false": wrong if correct else right,
    }


def _equal_chunks(answer: str) -> list[str]:
    chunks = answer.split("=")
    if not chunks[0].strip():
        chunks = chunks[1:]
    return chunks


def _gift_short(answer: str, fmt_text: TextFormat) -> dict[str, Any]:
    answers = []
    for chunk in _equal_chunks(answer):
        weight, body = _weight(chunk)
        text, feedback = _split_feedback(body)
        if not text:
            raise _Invalid(
                _("Ada jawaban isian yang kosong. Tulis jawaban setelah '=', misalnya %(example)s.")
                % {"example": "{=Pancasila}"}
            )
        answers.append(
            {
                "text": _restore(text),
                "fraction": _num(FULL if weight is None else weight),
                "feedback": fmt_text(feedback),
            }
        )
    return {"answers": answers, "case_sensitive": False}


def _gift_numeric(answer: str, fmt_text: TextFormat) -> dict[str, Any]:
    if "~" in answer:
        raise _Invalid(
            _(
                "Umpan balik untuk jawaban salah (~) pada soal angka belum didukung. Hapus "
                "bagian '~…', atau pindahkan isinya ke umpan balik umum (####)."
            )
        )
    answers = []
    for chunk in _equal_chunks(answer):
        weight, body = _weight(chunk)
        text, feedback = _split_feedback(body)
        if not text:
            raise _Invalid(
                _("Soal angka tidak punya jawaban. Tulis misalnya %(example)s.")
                % {"example": "{#3.14:0.01} / {#1..5}"}
            )
        value, tolerance = _value_tolerance(_restore(text), ":")
        answers.append(
            {
                "value": _num(value),
                "tolerance": _num(tolerance),
                "fraction": _num(FULL if weight is None else weight),
                "feedback": fmt_text(feedback),
            }
        )
    if not answers:
        raise _Invalid(
            _("Soal angka tidak punya jawaban. Tulis misalnya %(example)s.")
            % {"example": "{#3.14:0.01} / {#1..5}"}
        )
    return {"answers": answers}


def _value_tolerance(text: str, separator: str) -> tuple[Decimal, Decimal]:
    """``3.14:0.01``, ``1..5`` or ``3.14`` as (value, tolerance)."""
    if text.find("..") > 0:
        low_text, _sep, high_text = text.partition("..")
        low, high = _number(low_text), _number(high_text)
        if low > high:
            raise _Invalid(
                _("Rentang %(text)s terbalik. Tulis nilai terkecil lebih dulu, misalnya 1..5.")
                % {"text": _clip(text)}
            )
        return (low + high) / 2, (high - low) / 2
    if separator in text:
        value_text, _sep, tolerance_text = text.partition(separator)
        value, tolerance = _number(value_text), _number(tolerance_text)
        if tolerance < 0:
            raise _Invalid(_("Toleransi %(text)s negatif.") % {"text": _clip(text)})
        return value, tolerance
    return _number(text), Decimal(0)


def _gift_matching(answer: str) -> dict[str, Any]:
    pairs: list[dict[str, str]] = []
    distractors: list[str] = []
    for chunk in _equal_chunks(answer):
        left, arrow, right = chunk.partition("->")
        prompt, reply = _restore(left).strip(), _restore(right).strip()
        if not arrow:
            raise _Invalid(
                _("Pasangan '%(text)s' tidak memakai '->'. Tulis pasangan seperti %(example)s.")
                % {"text": _clip(_restore(chunk)), "example": "=Jawa Tengah -> Semarang"}
            )
        if not reply:
            raise _Invalid(
                _("Pasangan '%(text)s' tidak punya jawaban setelah '->'.")
                % {"text": _clip(_restore(chunk))}
            )
        if prompt:
            pairs.append({"id": str(len(pairs) + 1), "prompt": prompt, "answer": reply})
        else:
            distractors.append(reply)
    if len(pairs) < 2:
        raise _Invalid(
            _("Soal menjodohkan perlu minimal dua pasangan, misalnya %(example)s.")
            % {"example": "{=Jawa Tengah -> Semarang =Jawa Barat -> Bandung}"}
        )
    return {"pairs": pairs, "distractors": distractors}


def to_gift(questions: Iterable[QuestionLike]) -> str:
    """Questions as a GIFT file that ``parse_gift`` (and Moodle) reads back.

    What GIFT cannot say is lost: ``case_sensitive`` of short answers, the mark, and the
    all-or-nothing rule (written as equal weights: right answers share 100%, wrong ones
    share -100%). A category is written when the question has one, as a string or as an
    object with a ``name``.
    """
    entries: list[str] = []
    current: str | None = None
    for question in questions:
        category = getattr(question, "category", None)
        if category is not None and not isinstance(category, str):
            category = getattr(category, "name", None)
        category = " ".join(category.split()) if isinstance(category, str) else None
        if (category or None) != current:
            current = category or None
            entries.append(f"$CATEGORY: {current or ''}".rstrip())
        entries.append(_gift_question(question))
    return "\n\n".join(entries) + "\n" if entries else ""


def _gift_question(question: QuestionLike) -> str:
    kind, data = question.kind, question.data or {}
    head = f"::{_gift_escape(question.name)}::" if question.name else ""
    head += "[html]" + _gift_escape(question.stem)
    if kind == "single":
        body = _gift_choices_out(data.get("choices", []), weights_only=False)
    elif kind == "multiple":
        choices = data.get("choices", [])
        if data.get("rule") == "all_or_nothing":
            choices = _all_or_nothing_weights(choices)
        body = _gift_choices_out(choices, weights_only=True)
    elif kind == "truefalse":
        correct = bool(data.get("correct"))
        right = data.get("feedback_true" if correct else "feedback_false") or ""
        wrong = data.get("feedback_false" if correct else "feedback_true") or ""
        body = "TRUE" if correct else "FALSE"
        if right or wrong:
            body += f"#{_gift_escape(wrong)}#{_gift_escape(right)}"
    elif kind == "short":
        body = " ".join(
            "="
            + _weight_out(answer.get("fraction"), str(answer.get("text", "")))
            + _gift_escape(str(answer.get("text", "")))
            + _feedback_out(answer.get("feedback"))
            for answer in data.get("answers", [])
        )
    elif kind == "numeric":
        body = "#" + " ".join(
            "="
            + _weight_out(answer.get("fraction"), "")
            + f"{_number_out(answer.get('value'))}:{_number_out(answer.get('tolerance'))}"
            + _feedback_out(answer.get("feedback"))
            for answer in data.get("answers", [])
        )
    elif kind == "matching":
        items = [
            f"={_gift_escape(p.get('prompt', ''))} -> {_gift_escape(p.get('answer', ''))}"
            for p in data.get("pairs", [])
        ]
        items += [f"= -> {_gift_escape(d)}" for d in data.get("distractors", [])]
        body = " ".join(items)
    else:
        raise ValueError(f"unknown question kind {kind!r}")
    if question.general_feedback:
        body += " ####" + _gift_escape(question.general_feedback)
    return f"{head} {{{body}}}"


def _all_or_nothing_weights(choices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    right = [c for c in choices if (_decimal(c.get("fraction")) or 0) > 0]
    wrong = len(choices) - len(right)
    return [
        {
            **c,
            "fraction": _num(_share(len(right)))
            if c in right
            else (_num(-_share(wrong)) if wrong else 0),
        }
        for c in choices
    ]


def _gift_choices_out(choices: list[dict[str, Any]], *, weights_only: bool) -> str:
    fractions = [_decimal(c.get("fraction")) or Decimal(0) for c in choices]
    # "=" reads as 100% only when no other weight is written (see the parsing rule).
    plain = (
        not weights_only
        and set(fractions) <= {Decimal(0), FULL}
        and Decimal(0) in fractions
        and not any(str(c.get("text", "")).startswith("%") for c in choices)
    )
    items = []
    for choice, fraction in zip(choices, fractions, strict=True):
        text = str(choice.get("text", ""))
        if plain and fraction == FULL and not text.startswith("%"):
            prefix = "="
        elif fraction == 0 and not text.startswith("%"):
            prefix = "~"
        else:
            prefix = "~%" + format(fraction.normalize(), "f") + "%"
        items.append(prefix + _gift_escape(text) + _feedback_out(choice.get("feedback")))
    return " ".join(items)


def _weight_out(fraction: Any, text: str) -> str:
    value = _decimal(fraction)
    if value is None:
        value = FULL
    if value == FULL and not text.startswith("%"):
        return ""
    return "%" + format(value.normalize(), "f") + "%"


def _number_out(value: Any) -> str:
    number = _decimal(value)
    return "0" if number is None else str(number)


def _feedback_out(feedback: Any) -> str:
    return f"#{_gift_escape(str(feedback))}" if feedback else ""


# --- Aiken ------------------------------------------------------------------------------

_AIKEN_OPTION = re.compile(r"([A-Z])[.)](?:\s+(.*))?$")
_AIKEN_ANSWER = re.compile(r"ANSWER\s*:\s*(.*)$", re.IGNORECASE)


@dataclass
class _AikenEntry:
    line: int
    text: list[str]
    options: list[tuple[str, str]]


def parse_aiken(text: str | bytes) -> Result:
    """Read an Aiken file: question lines, options ``A.``/``A)``, then ``ANSWER: B``."""
    try:
        return _parse_aiken(_as_text(text))
    except Exception:  # a parser bug must not become a server error on an upload
        logger.exception("Aiken parser failed")
        return [], [_unreadable(0)]


def _parse_aiken(text: str) -> Result:
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_BYTES:
        return [], [_too_big(size)]
    questions: list[ParsedQuestion] = []
    errors: list[FormatError] = []
    entry: _AikenEntry | None = None
    orphan = False  # inside a run of options/ANSWER lines that belong to no question

    def missing_answer(entry: _AikenEntry) -> FormatError:
        return FormatError(
            entry.line,
            _(
                "Soal ini tidak punya baris ANSWER. Tambahkan baris seperti 'ANSWER: B' "
                "setelah pilihan terakhir."
            ),
        )

    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        option = _AIKEN_OPTION.match(line)
        answer = _AIKEN_ANSWER.match(line)
        if entry is None and (option or answer):
            if not orphan:
                errors.append(
                    FormatError(
                        number,
                        _(
                            "Baris pilihan atau ANSWER ini tidak punya pertanyaan. Tulis "
                            "pertanyaannya di baris sebelum pilihan A."
                        ),
                    )
                )
            orphan = True
        elif entry is not None and answer:
            try:
                questions.append(_aiken_question(entry, answer.group(1)))
            except _Invalid as exc:
                errors.append(FormatError(entry.line, str(exc)))
            entry = None
        elif entry is not None and option:
            entry.options.append((option.group(1), (option.group(2) or "").strip()))
        else:
            orphan = False
            if entry is None:
                entry = _AikenEntry(number, [line], [])
            elif entry.options:
                errors.append(missing_answer(entry))
                entry = _AikenEntry(number, [line], [])
            else:
                entry.text.append(line)
        if len(questions) + len(errors) > MAX_QUESTIONS:
            return [], [_too_many()]
    if entry is not None:
        errors.append(missing_answer(entry))
    if not questions and not errors:
        errors.append(_no_questions())
    return questions, errors


def _aiken_question(entry: _AikenEntry, answer: str) -> ParsedQuestion:
    letters = [letter for letter, _text in entry.options]
    if len(entry.options) < 2:
        raise _Invalid(_("Soal perlu minimal dua pilihan, ditulis seperti 'A. …' dan 'B. …'."))
    for letter, option_text in entry.options:
        if letters.count(letter) > 1:
            raise _Invalid(
                _("Huruf pilihan %(letter)s dipakai dua kali. Beri tiap pilihan huruf sendiri.")
                % {"letter": letter}
            )
        if not option_text:
            raise _Invalid(_("Pilihan %(letter)s kosong.") % {"letter": letter})
    key = answer.strip().rstrip(".)").strip().upper()
    if len(key) != 1 or not key.isalpha():
        raise _Invalid(
            _("Kunci 'ANSWER: %(answer)s' tidak valid. Tulis satu huruf, misalnya 'ANSWER: B'.")
            % {"answer": _clip(answer)}
        )
    if key not in letters:
        raise _Invalid(
            _("Kunci 'ANSWER: %(answer)s' tidak ada di pilihan (%(letters)s).")
            % {"answer": key, "letters": ", ".join(letters)}
        )
    choices = [
        {
            "id": letter.lower(),
            "text": _to_html(option_text),
            "fraction": 100 if letter == key else 0,
            "feedback": "",
        }
        for letter, option_text in entry.options
    ]
    return _checked(
        ParsedQuestion(
            kind="single",
            name="",
            stem=_to_html("\n".join(entry.text)),
            data={"choices": choices},
            line=entry.line,
        )
    )


# --- XLSX template ----------------------------------------------------------------------

OPTION_LETTERS = "abcdef"
XLSX_COLUMNS = (
    "jenis",
    "pertanyaan",
    *(f"pilihan_{letter}" for letter in OPTION_LETTERS),
    "kunci",
    "bobot",
    "umpan_balik",
    "kategori",
)
XLSX_REQUIRED = ("jenis", "pertanyaan", "kunci")
XLSX_KINDS = {
    "pg": "single",
    "pg_banyak": "multiple",
    "benar_salah": "truefalse",
    "isian": "short",
    "angka": "numeric",
    "menjodohkan": "matching",
}
_TRUE_WORDS = {"benar", "true", "ya"}
_FALSE_WORDS = {"salah", "false", "tidak"}
XLSX_SHEET = "Soal"
_XLSX_EXAMPLES = (
    {
        "jenis": "pg",
        "pertanyaan": "Ibu kota Provinsi Jawa Tengah adalah …",
        "pilihan_a": "Surabaya",
        "pilihan_b": "Semarang",
        "pilihan_c": "Bandung",
        "pilihan_d": "Yogyakarta",
        "kunci": "B",
        "bobot": 1,
        "umpan_balik": "Semarang adalah ibu kota Provinsi Jawa Tengah.",
        "kategori": "Wawasan Kebangsaan",
    },
    {
        "jenis": "benar_salah",
        "pertanyaan": "Pancasila ditetapkan sebagai dasar negara pada 18 Agustus 1945.",
        "kunci": "benar",
        "bobot": 1,
        "kategori": "Wawasan Kebangsaan",
    },
)
_XLSX_GUIDE = (
    ("jenis", "kunci", "contoh kunci"),
    ("pg", "satu huruf pilihan yang benar", "B"),
    ("pg_banyak", "huruf pilihan yang benar (minimal dua), dipisah koma", "A,C"),
    ("benar_salah", "benar atau salah; kolom pilihan dikosongkan", "benar"),
    ("isian", "jawaban yang diterima, dipisah |", "Pancasila|Panca Sila"),
    ("angka", "nilai±toleransi, atau rentang min..maks; dipisah |", "3,14±0,01"),
    (
        "menjodohkan",
        "pernyataan=>jawaban, dipisah |; isi pilihan_a-f untuk jawaban pengecoh",
        "Jateng=>Semarang|Jabar=>Bandung",
    ),
)


def _header_key(value: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(value or "").strip().lower())


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "benar" if value else "salah"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_xlsx(content: bytes) -> Result:
    """Read the XLSX template (sheet "Soal", else the first sheet); rows are lines."""
    try:
        return _parse_xlsx(content)
    except Exception:  # a parser bug must not become a server error on an upload
        logger.exception("XLSX question parser failed")
        return [], [_unreadable(0)]


def _not_xlsx() -> Result:
    return [], [
        FormatError(0, _("Berkas rusak atau bukan XLSX. Simpan ulang sebagai .xlsx dari templat."))
    ]


def _parse_xlsx(content: bytes) -> Result:
    if len(content) > MAX_BYTES:
        return [], [_too_big(len(content))]
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except Exception:  # zipfile raises many types on a damaged archive
        return _not_xlsx()
    if unzipped > MAX_XLSX_UNZIPPED:
        message = _(
            "Isi berkas XLSX terlalu besar setelah dibuka (lebih dari %(limit)s MB). Hapus "
            "gambar dan lembar lain, atau bagi soal ke beberapa berkas."
        ) % {"limit": MAX_XLSX_UNZIPPED // (1024 * 1024)}
        return [], [FormatError(0, message)]

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises KeyError, ValueError, its own types…
        return _not_xlsx()
    try:
        names = workbook.sheetnames
        sheet = workbook[XLSX_SHEET] if XLSX_SHEET in names else workbook.worksheets[0]
        return _read_rows(sheet.iter_rows(max_col=MAX_XLSX_COLUMNS, values_only=True))
    except _Invalid as exc:
        return [], [FormatError(1, str(exc))]
    except Exception:  # a damaged sheet fails while its rows are read
        logger.info("XLSX question sheet unreadable", exc_info=True)
        return _not_xlsx()
    finally:
        workbook.close()


def _read_rows(rows: Iterator[tuple[Any, ...]]) -> Result:
    header = next(rows, None)
    if header is None:
        return [], [_no_questions()]
    columns: dict[str, int] = {}
    for index, value in enumerate(header):
        columns.setdefault(_header_key(value), index)
    missing = [c for c in XLSX_REQUIRED if c not in columns]
    if missing:
        raise _Invalid(
            _(
                "Kolom wajib tidak ditemukan: %(columns)s. Baris pertama harus judul kolom "
                "seperti pada templat."
            )
            % {"columns": ", ".join(missing)}
        )
    questions: list[ParsedQuestion] = []
    errors: list[FormatError] = []
    for number, values in enumerate(rows, start=2):
        if number > MAX_XLSX_ROWS:
            return [], [
                FormatError(
                    0,
                    _("Lembar soal lebih dari %(limit)s baris. Hapus baris kosong di bawah soal.")
                    % {"limit": MAX_XLSX_ROWS},
                )
            ]
        row = {
            name: _cell(values[index]) if index < len(values) else ""
            for name, index in columns.items()
        }
        if not any(row.get(c) for c in XLSX_COLUMNS):
            continue
        try:
            questions.append(_xlsx_question(row, number))
        except _Invalid as exc:
            errors.append(FormatError(number, str(exc)))
        if len(questions) + len(errors) > MAX_QUESTIONS:
            return [], [_too_many()]
    if not questions and not errors:
        errors.append(_no_questions())
    return questions, errors


def _xlsx_question(row: dict[str, str], number: int) -> ParsedQuestion:
    jenis = _header_key(row.get("jenis"))
    kind = XLSX_KINDS.get(jenis)
    if kind is None:
        raise _Invalid(
            _("Jenis '%(jenis)s' tidak dikenal. Pilih salah satu: %(kinds)s.")
            % {"jenis": _clip(row.get("jenis", "")), "kinds": ", ".join(XLSX_KINDS)}
        )
    stem = row.get("pertanyaan", "")
    if not stem:
        raise _Invalid(_("Kolom pertanyaan kosong."))
    key = row.get("kunci", "")
    if not key:
        raise _Invalid(_("Kolom kunci kosong. Lihat lembar Petunjuk untuk cara menulis kunci."))
    options = [(letter, row.get(f"pilihan_{letter}", "")) for letter in OPTION_LETTERS]
    options = [(letter, text) for letter, text in options if text]
    if kind in ("single", "multiple"):
        data = _xlsx_choices(kind, options, key)
    elif options and kind != "matching":
        raise _Invalid(
            _("Jenis %(jenis)s tidak memakai kolom pilihan; kosongkan kolom pilihan_a-f.")
            % {"jenis": jenis}
        )
    elif kind == "truefalse":
        word = key.strip().lower()
        if word not in _TRUE_WORDS | _FALSE_WORDS:
            raise _Invalid(_("Kunci benar_salah harus 'benar' atau 'salah'."))
        data = {"correct": word in _TRUE_WORDS, "feedback_true": "", "feedback_false": ""}
    elif kind == "short":
        answers = [a.strip() for a in key.split("|")]
        if not all(answers):
            raise _Invalid(_("Ada jawaban isian yang kosong di kolom kunci (periksa tanda |)."))
        data = {
            "answers": [{"text": a, "fraction": 100, "feedback": ""} for a in answers],
            "case_sensitive": False,
        }
    elif kind == "numeric":
        data = {"answers": [_xlsx_number(part) for part in key.split("|")]}
    else:
        data = _xlsx_matching(key, [text for _letter, text in options])
    mark: Decimal | None = None
    if raw_mark := row.get("bobot", ""):
        mark = _decimal(raw_mark.replace(",", "."))
        if (
            mark is None
            or not Decimal("0.01") <= mark <= MAX_MARK
            or mark != mark.quantize(Decimal("0.01"))
        ):
            raise _Invalid(
                _("Bobot '%(mark)s' tidak valid. Tulis angka positif, misalnya 1 atau 2,5.")
                % {"mark": _clip(raw_mark)}
            )
        mark = mark.quantize(Decimal("0.01"))
    category = row.get("kategori", "") or None
    if category is not None and len(category) > MAX_CATEGORY:
        raise _Invalid(
            _("Nama kategori lebih dari %(limit)s karakter. Persingkat namanya.")
            % {"limit": MAX_CATEGORY}
        )
    return _checked(
        ParsedQuestion(
            kind=kind,
            name="",
            stem=_to_html(stem),
            data=data,
            general_feedback=_to_html(row.get("umpan_balik", "")),
            line=number,
            category=category,
            default_mark=mark,
        )
    )


def _xlsx_choices(kind: str, options: list[tuple[str, str]], key: str) -> dict[str, Any]:
    if len(options) < 2:
        raise _Invalid(_("Soal pilihan ganda perlu minimal dua pilihan (kolom pilihan_a-f)."))
    letters = [letter for letter, _text in options]
    keys = [k.lower() for k in re.split(r"[\s,;]+", key.strip()) if k]
    for k in keys:
        if k not in letters:
            raise _Invalid(
                _("Kunci '%(key)s' tidak menunjuk pilihan yang terisi (%(letters)s).")
                % {"key": _clip(k.upper()), "letters": ", ".join(x.upper() for x in letters)}
            )
    right = set(keys)
    if kind == "single" and len(keys) != 1:
        raise _Invalid(
            _("Kunci pg harus satu huruf. Untuk beberapa jawaban benar pakai jenis pg_banyak.")
        )
    if kind == "multiple" and len(right) < 2:
        raise _Invalid(
            _("Kunci pg_banyak perlu minimal dua huruf, misalnya A,C. Untuk satu jawaban pakai pg.")
        )
    wrong = len(letters) - len(right)

    def fraction(letter: str) -> int | float:
        if kind == "single":
            return 100 if letter in right else 0
        # Right answers share 100%, wrong ones -100%: ticking everything earns nothing.
        return _num(_share(len(right)) if letter in right else -_share(wrong))

    choices = [
        {"id": letter, "text": _to_html(text), "fraction": fraction(letter), "feedback": ""}
        for letter, text in options
    ]
    return {"choices": choices, "rule": "sum"} if kind == "multiple" else {"choices": choices}


def _xlsx_number(part: str) -> dict[str, Any]:
    text = part.strip().replace("+/-", "±").replace("+-", "±")
    if not text:
        raise _Invalid(_("Ada jawaban angka yang kosong di kolom kunci (periksa tanda |)."))
    value, tolerance = _value_tolerance(text, "±")
    return {"value": _num(value), "tolerance": _num(tolerance), "fraction": 100, "feedback": ""}


def _xlsx_matching(key: str, extra: list[str]) -> dict[str, Any]:
    pairs: list[dict[str, str]] = []
    distractors = list(extra)
    for part in key.split("|"):
        left, arrow, right = part.partition("=>")
        if not arrow:
            raise _Invalid(
                _("Pasangan '%(text)s' tidak memakai '=>'. Tulis seperti %(example)s.")
                % {"text": _clip(part), "example": "Jawa Tengah=>Semarang|Jawa Barat=>Bandung"}
            )
        prompt, answer = left.strip(), right.strip()
        if not answer:
            raise _Invalid(
                _("Pasangan '%(text)s' tidak punya jawaban setelah '=>'.") % {"text": _clip(part)}
            )
        if prompt:
            pairs.append({"id": str(len(pairs) + 1), "prompt": prompt, "answer": answer})
        else:
            distractors.append(answer)
    return {"pairs": pairs, "distractors": distractors}


def xlsx_template() -> bytes:
    """The XLSX template instructors download: a "Soal" sheet with two examples and a
    "Petunjuk" sheet explaining each kind's key."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = XLSX_SHEET
    sheet.append(list(XLSX_COLUMNS))
    for example in _XLSX_EXAMPLES:
        sheet.append([example.get(column, None) for column in XLSX_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    widths = {"pertanyaan": 50, "kunci": 20, "umpan_balik": 40, "kategori": 24}
    for index, column in enumerate(XLSX_COLUMNS):
        sheet.column_dimensions[get_column_letter(index + 1)].width = widths.get(column, 16)
    kinds = DataValidation(type="list", formula1='"' + ",".join(XLSX_KINDS) + '"')
    kinds.add(f"A2:A{MAX_QUESTIONS + 1}")
    sheet.add_data_validation(kinds)

    guide = workbook.create_sheet("Petunjuk")
    for row in _XLSX_GUIDE:
        guide.append(list(row))
    guide.append([])
    for note in (
        _("Satu baris satu soal; baris pertama lembar Soal adalah judul kolom, jangan diubah."),
        _("bobot: nilai soal (kosong = 1). kategori: nama kategori di bank soal (boleh kosong)."),
        _("Angka memakai titik atau koma desimal tanpa pemisah ribuan, misalnya 3,14."),
    ):
        guide.append([note])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    guide.column_dimensions["A"].width = 16
    guide.column_dimensions["B"].width = 60
    guide.column_dimensions["C"].width = 34

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
