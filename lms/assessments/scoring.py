"""Scoring quiz questions: pure functions over a question's ``kind`` and ``data`` JSON.

The data shapes (one per kind) are those of ``Question.data``:

- ``single``: ``{"choices": [{"id", "text", "fraction", "feedback"}, ...]}``; the response is
  a choice id.
- ``multiple``: the same choices plus ``"rule"``: ``"sum"`` (the default) or
  ``"all_or_nothing"``; the response is a list of choice ids.
- ``truefalse``: ``{"correct": bool, "feedback_true", "feedback_false"}``; the response is a
  bool.
- ``short``: ``{"answers": [{"text", "fraction", "feedback"}, ...], "case_sensitive": bool}``;
  the response is text.
- ``numeric``: ``{"answers": [{"value", "tolerance", "fraction", "feedback"}, ...]}``; the
  response is a number or text such as ``"3,14"``.
- ``matching``: ``{"pairs": [{"id", "prompt", "answer"}, ...], "distractors": [...]}``; the
  response maps prompt ids to the chosen answer text.

Fractions are percentages from -100 to 100 (Moodle's convention), as numbers or strings;
``score`` returns the share of the question's mark earned, a ``Decimal`` from 0 to 1 with four
places. Arithmetic is ``Decimal`` throughout, so a boundary such as "3,15 within 0.01 of 3.14"
is decided exactly rather than by binary floating point.

``score`` never raises: it runs while a learner submits, on whatever the browser sent, so a
malformed or missing response earns 0. Data is checked when an author saves it
(``validate``); should broken data still reach ``score``, the broken parts earn nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Context, Decimal, DecimalException, localcontext
from typing import Any, NamedTuple, TypeVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SINGLE = "single"
MULTIPLE = "multiple"
TRUEFALSE = "truefalse"
SHORT = "short"
NUMERIC = "numeric"
MATCHING = "matching"
KINDS: tuple[str, ...] = (SINGLE, MULTIPLE, TRUEFALSE, SHORT, NUMERIC, MATCHING)

RULE_SUM = "sum"
RULE_ALL_OR_NOTHING = "all_or_nothing"
RULES: tuple[str, ...] = (RULE_SUM, RULE_ALL_OR_NOTHING)

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
PLACES = Decimal("0.0001")

# Responses longer than these are junk, not answers: the caps keep scoring cheap whatever is
# posted.
MAX_NUMBER_CHARS = 100
MAX_TEXT_CHARS = 10_000

# Stripped from the end of short answers: "Pancasila." is the same answer as "Pancasila".
TRAILING_PUNCTUATION = " .,;:!?"
WILDCARD = "*"


# --- numbers and text -----------------------------------------------------------------------


def parse_number(value: Any) -> Decimal | None:
    """The number a learner (or an author) wrote, or ``None`` if it is not one.

    Accepts ints, floats and Decimals (a float becomes the Decimal of its shortest repr, so
    ``3.14`` is exactly 3.14), and text made of an optional sign, digits with at most one
    decimal separator, and an optional exponent (``"1e3"``). The decimal separator may be a
    comma (Indonesian usage) or a dot, so ``"3,14"`` and ``"3.14"`` are the same number.
    Thousands separators are not understood: ``"1.000,5"`` is rejected, and ``"1.000"`` or
    ``"1,000"`` read as one, not a thousand (quiz pages should ask for numbers without them).
    Surrounding whitespace, full-width digits and the Unicode minus sign are tolerated.
    Booleans, NaN and infinities are not numbers.
    """
    number: Decimal
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        if len(value) > MAX_NUMBER_CHARS:
            return None
        text = unicodedata.normalize("NFKC", value).strip().replace("\u2212", "-")
        if not _is_plain_number(text):
            return None
        number = Decimal(text.replace(",", "."))
    else:
        return None
    return number if number.is_finite() else None


def _is_plain_number(text: str) -> bool:
    """Sign, digits with at most one separator (comma or dot), then an optional exponent.

    Hand-written rather than ``Decimal(text)`` because Decimal also takes "NaN", "Infinity",
    underscores and non-ASCII digits, none of which a learner means as a number.
    """
    mantissa, _e, exponent = text.replace("E", "e").partition("e")
    if _e:
        digits = exponent[1:] if exponent[:1] in "+-" else exponent
        if not (1 <= len(digits) <= 4 and digits.isascii() and digits.isdigit()):
            return False
    if mantissa[:1] in ("+", "-"):
        mantissa = mantissa[1:]
    whole, _separator, decimals = mantissa.replace(",", ".").partition(".")
    if not (whole or decimals):
        return False
    return all(part == "" or (part.isascii() and part.isdigit()) for part in (whole, decimals))


def normalise_text(text: str, *, case_sensitive: bool = False) -> str:
    """Text reduced to what a short answer is compared on.

    NFKC (full-width letters, ligatures and compatibility forms become plain ones), runs of
    whitespace collapse to one space, surrounding whitespace and trailing ``.,;:!?`` go, and
    case is folded unless the question is case-sensitive.
    """
    text = unicodedata.normalize("NFKC", text)
    if not case_sensitive:
        # Folding can produce text NFKC would write differently; normalising again keeps the
        # function idempotent, which matching an answer against itself relies on.
        text = unicodedata.normalize("NFKC", text.casefold())
    return " ".join(text.split()).rstrip(TRAILING_PUNCTUATION)


def _wildcard_segments(pattern: str) -> list[str]:
    """The literal pieces of a short answer between its unescaped ``*`` (``\\*`` is a star)."""
    segments: list[list[str]] = [[]]
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and pattern.startswith(WILDCARD, index + 1):
            segments[-1].append(WILDCARD)
            index += 2
            continue
        if char == WILDCARD:
            segments.append([])
        else:
            segments[-1].append(char)
        index += 1
    return ["".join(segment) for segment in segments]


def _wildcard_match(segments: list[str], text: str) -> bool:
    """Whether ``text`` is the segments with anything (maybe nothing) between them.

    Leftmost matching of each middle segment is enough for star-only patterns, and it runs
    in linear passes, unlike a regular expression of ``.*`` that can backtrack for ever.
    """
    if len(segments) == 1:
        return text == segments[0]
    head, *middle, tail = segments
    if len(text) < len(head) + len(tail) or not text.startswith(head) or not text.endswith(tail):
        return False
    position, end = len(head), len(text) - len(tail)
    for segment in middle:
        found = text.find(segment, position, end)
        if found < 0:
            return False
        position = found + len(segment)
    return True


# --- reading the data (leniently: validate() is the strict reader) -----------------------


class _Choice(NamedTuple):
    id: str
    fraction: Decimal
    feedback: str


class _ShortAnswer(NamedTuple):
    text: str
    segments: list[str]
    fraction: Decimal
    feedback: str


class _NumericAnswer(NamedTuple):
    value: Decimal
    tolerance: Decimal
    fraction: Decimal
    feedback: str


class _Pair(NamedTuple):
    id: str
    answer: str
    key: str


def _items(data: Any, key: str) -> list[Mapping[str, Any]]:
    if not isinstance(data, Mapping):
        return []
    items = data.get(key)
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, Mapping)]


def _fraction(item: Mapping[str, Any]) -> Decimal:
    """A fraction as a share of 1, held to -1..1 so that broken data cannot pay more."""
    number = parse_number(item.get("fraction", 0))
    if number is None:
        return ZERO
    return max(-ONE, min(ONE, number / HUNDRED))


def _text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key, "")
    return value if isinstance(value, str) else ""


def _choices(data: Any) -> list[_Choice]:
    choices: list[_Choice] = []
    seen: set[str] = set()
    for item in _items(data, "choices"):
        choice_id = item.get("id")
        if isinstance(choice_id, str) and choice_id and choice_id not in seen:
            seen.add(choice_id)
            choices.append(_Choice(choice_id, _fraction(item), _text(item, "feedback")))
    return choices


def _case_sensitive(data: Any) -> bool:
    return isinstance(data, Mapping) and data.get("case_sensitive") is True


def _short_answers(data: Any) -> list[_ShortAnswer]:
    case_sensitive = _case_sensitive(data)
    answers: list[_ShortAnswer] = []
    for item in _items(data, "answers"):
        text = item.get("text")
        if not isinstance(text, str):
            continue
        pattern = normalise_text(text, case_sensitive=case_sensitive)
        if pattern:
            answers.append(
                _ShortAnswer(
                    text, _wildcard_segments(pattern), _fraction(item), _text(item, "feedback")
                )
            )
    return answers


def _numeric_answers(data: Any) -> list[_NumericAnswer]:
    answers: list[_NumericAnswer] = []
    for item in _items(data, "answers"):
        value = parse_number(item.get("value"))
        tolerance = parse_number(item.get("tolerance", 0))
        if value is not None and tolerance is not None:
            answers.append(
                _NumericAnswer(value, tolerance, _fraction(item), _text(item, "feedback"))
            )
    return answers


def _pairs(data: Any) -> list[_Pair]:
    pairs: list[_Pair] = []
    seen: set[str] = set()
    for item in _items(data, "pairs"):
        pair_id, answer = item.get("id"), item.get("answer")
        if not (isinstance(pair_id, str) and pair_id and isinstance(answer, str)):
            continue
        key = normalise_text(answer, case_sensitive=True)
        if key and pair_id not in seen:
            seen.add(pair_id)
            pairs.append(_Pair(pair_id, answer, key))
    return pairs


def _rule(data: Any) -> Any:
    return data.get("rule", RULE_SUM) if isinstance(data, Mapping) else None


# --- matching a response to the data -----------------------------------------------------


def _chosen_choice(data: Any, response: Any) -> _Choice | None:
    if not isinstance(response, str):
        return None
    return next((choice for choice in _choices(data) if choice.id == response), None)


def _chosen_set(choices: list[_Choice], response: Any) -> set[str] | None:
    """The ids ticked, or ``None`` unless the response lists distinct ids of this question
    (a browser never sends anything else, so whatever else arrives earns nothing)."""
    if not isinstance(response, list | tuple | set | frozenset) or len(response) > len(choices):
        return None
    ids = {choice.id for choice in choices}
    chosen: set[str] = set()
    for item in response:
        if not isinstance(item, str) or item not in ids or item in chosen:
            return None
        chosen.add(item)
    return chosen


_Answer = TypeVar("_Answer", _ShortAnswer, _NumericAnswer)


def _best(matches: Iterable[_Answer]) -> _Answer | None:
    """The first of the answers with the highest fraction (Moodle: the best match wins)."""
    best: _Answer | None = None
    for answer in matches:
        if best is None or answer.fraction > best.fraction:
            best = answer
    return best


def _short_match(data: Any, response: Any) -> _ShortAnswer | None:
    if not isinstance(response, str) or len(response) > MAX_TEXT_CHARS:
        return None
    text = normalise_text(response, case_sensitive=_case_sensitive(data))
    if not text:
        return None
    answers = _short_answers(data)
    return _best(answer for answer in answers if _wildcard_match(answer.segments, text))


def _within(number: Decimal, answer: _NumericAnswer) -> bool:
    try:
        # Exact for anything parse_number lets through, however many digits it has.
        with localcontext() as context:
            context.prec = 2 * MAX_NUMBER_CHARS
            return abs(number - answer.value) <= answer.tolerance
    except DecimalException:  # beyond Decimal's exponent range: no learner means that
        return False


def _numeric_match(data: Any, response: Any) -> _NumericAnswer | None:
    number = parse_number(response)
    if number is None:
        return None
    return _best(answer for answer in _numeric_answers(data) if _within(number, answer))


# --- scoring -----------------------------------------------------------------------------


def _single_score(data: Any, response: Any) -> Decimal:
    choice = _chosen_choice(data, response)
    return choice.fraction if choice else ZERO


def _multiple_score(data: Any, response: Any) -> Decimal:
    choices = _choices(data)
    chosen = _chosen_set(choices, response)
    if chosen is None:
        return ZERO
    rule = _rule(data)
    if rule == RULE_SUM:
        # A wrong tick carries a negative fraction, so ticking everything does not pay.
        return sum((choice.fraction for choice in choices if choice.id in chosen), ZERO)
    if rule == RULE_ALL_OR_NOTHING:
        correct = {choice.id for choice in choices if choice.fraction > 0}
        return ONE if correct and chosen == correct else ZERO
    return ZERO


def _truefalse_score(data: Any, response: Any) -> Decimal:
    correct = data.get("correct") if isinstance(data, Mapping) else None
    if isinstance(correct, bool) and isinstance(response, bool):
        return ONE if response is correct else ZERO
    return ZERO


def _short_score(data: Any, response: Any) -> Decimal:
    answer = _short_match(data, response)
    return answer.fraction if answer else ZERO


def _numeric_score(data: Any, response: Any) -> Decimal:
    answer = _numeric_match(data, response)
    return answer.fraction if answer else ZERO


def _matching_score(data: Any, response: Any) -> Decimal:
    pairs = _pairs(data)
    if not pairs or not isinstance(response, Mapping) or len(response) > len(pairs):
        return ZERO
    expected = {pair.id: pair.key for pair in pairs}
    right = 0
    for pair_id, answer in response.items():
        if pair_id not in expected:
            return ZERO
        if answer is None:  # that prompt left unanswered
            continue
        if not isinstance(answer, str) or len(answer) > MAX_TEXT_CHARS:
            return ZERO
        if normalise_text(answer, case_sensitive=True) == expected[pair_id]:
            right += 1
    return Decimal(right) / Decimal(len(pairs))


_SCORERS: dict[str, Callable[[Any, Any], Decimal]] = {
    SINGLE: _single_score,
    MULTIPLE: _multiple_score,
    TRUEFALSE: _truefalse_score,
    SHORT: _short_score,
    NUMERIC: _numeric_score,
    MATCHING: _matching_score,
}


def score(kind: str, data: Mapping[str, Any], response: Any) -> Decimal:
    """The share of the mark a response earns: a ``Decimal`` from 0 to 1, four places.

    Half-way cases round up, so a "sum" question whose right choices carry 33.33333% each
    pays exactly 1 for all three. Never raises; anything malformed earns 0.
    """
    scorer = _SCORERS.get(kind) if isinstance(kind, str) else None
    raw = scorer(data, response) if scorer else ZERO
    return max(ZERO, min(ONE, raw)).quantize(PLACES, rounding=ROUND_HALF_UP)


def correct_response(kind: str, data: Mapping[str, Any]) -> Any:
    """A response that earns full marks (shown on review pages), in the shape ``score`` takes.

    ``None`` when the data allows no right answer, which ``validate`` rejects. Numbers come
    back as text with a dot (``"3.14"``); short answers as the author wrote them, with the
    wildcards filled in when that is needed to match.
    """
    if kind == SINGLE:
        choices = _choices(data)
        best = max(choices, key=lambda choice: choice.fraction, default=None)
        return best.id if best is not None and best.fraction > 0 else None
    if kind == MULTIPLE:
        return [choice.id for choice in _choices(data) if choice.fraction > 0] or None
    if kind == TRUEFALSE:
        correct = data.get("correct") if isinstance(data, Mapping) else None
        return correct if isinstance(correct, bool) else None
    if kind == SHORT:
        return _short_correct(data)
    if kind == NUMERIC:
        numeric = _best(_numeric_answers(data))
        return _written(numeric.value) if numeric is not None and numeric.fraction > 0 else None
    if kind == MATCHING:
        return {pair.id: pair.answer for pair in _pairs(data)} or None
    return None


def _written(number: Decimal) -> str:
    """A number as text that ``parse_number`` reads back exactly."""
    text = str(number)
    if len(text) <= MAX_NUMBER_CHARS:
        return text
    # A whole number prints every digit; its trailing zeros can move into the exponent
    # (1E+100), exactly, with as much precision as it has digits.
    return str(number.normalize(Context(prec=len(number.as_tuple().digits))))


def _short_correct(data: Any) -> str | None:
    best = _best(_short_answers(data))
    if best is None or best.fraction <= 0:
        return None
    case_sensitive = _case_sensitive(data)
    # The author's own text reads best; the normalised pattern is the fallback when Unicode
    # normalisation makes the two differ. A filled-in character is needed when removing the
    # star would merge what it separates ("a * b" needs more than "a  b").
    candidates = [
        filler.join(segments)
        for filler in ("", "x", "0", "-")
        for segments in (_wildcard_segments(best.text), best.segments)
    ]
    for candidate in candidates:
        text = normalise_text(candidate, case_sensitive=case_sensitive)
        if text and _wildcard_match(best.segments, text):
            return candidate
    return candidates[0]


def feedback_for(kind: str, data: Mapping[str, Any], response: Any) -> list[str]:
    """The author's feedback on this particular response (not the general feedback).

    For a single choice, the chosen one's; for multiple choices, each ticked one's in the
    order shown; for true/false, the one written for the value picked; for short and numeric
    answers, the answer that decided the score. Matching has none. Empty ones are left out.
    """
    found: list[str] = []
    if kind == SINGLE:
        choice = _chosen_choice(data, response)
        found = [choice.feedback] if choice else []
    elif kind == MULTIPLE:
        choices = _choices(data)
        chosen = _chosen_set(choices, response) or set()
        found = [choice.feedback for choice in choices if choice.id in chosen]
    elif kind == TRUEFALSE and isinstance(data, Mapping) and isinstance(response, bool):
        found = [_text(data, "feedback_true" if response else "feedback_false")]
    elif kind == SHORT:
        short = _short_match(data, response)
        found = [short.feedback] if short else []
    elif kind == NUMERIC:
        numeric = _numeric_match(data, response)
        found = [numeric.feedback] if numeric else []
    return [feedback for feedback in found if feedback.strip()]


# --- validation --------------------------------------------------------------------------


class _Errors:
    """Collects every problem, so that an author sees them all at once.

    A message with a literal percent sign always takes a parameter: Django interpolates
    only when there are parameters, so only then is ``%%`` turned into ``%``.
    """

    def __init__(self) -> None:
        self.errors: list[ValidationError] = []

    def add(self, message: str, code: str, **params: Any) -> None:
        self.errors.append(ValidationError(message, code=code, params=params or None))


def validate(kind: str, data: Mapping[str, Any]) -> None:
    """Raise ``ValidationError`` (listing every problem, in Indonesian) unless ``data`` is a
    well-formed question of ``kind`` that a learner can answer for full marks.

    Each error carries a ``code`` (``no_full_marks``, ``duplicate_id``, ...) for callers and
    tests; numbered items count from 1, as authors see them.
    """
    errors = _Errors()
    if kind not in KINDS:
        errors.add(_("Jenis soal tidak dikenal: “%(kind)s”."), "unknown_kind", kind=kind)
    elif not isinstance(data, Mapping):
        errors.add(_("Data soal tidak valid: harus berupa objek JSON."), "invalid_data")
    elif kind in (SINGLE, MULTIPLE):
        _validate_choices(kind, data, errors)
    elif kind == TRUEFALSE:
        _validate_truefalse(data, errors)
    elif kind == SHORT:
        _validate_short(data, errors)
    elif kind == NUMERIC:
        _validate_numeric(data, errors)
    else:
        _validate_matching(data, errors)
    if errors.errors:
        raise ValidationError(errors.errors)


def _numbered(
    data: Mapping[str, Any], key: str, errors: _Errors, invalid: str
) -> list[tuple[int, Mapping[str, Any]]]:
    """The objects listed under ``key`` with their numbers; entries that are not objects are
    recorded as errors and left out."""
    items = data.get(key)
    if not isinstance(items, list):
        return []
    numbered: list[tuple[int, Mapping[str, Any]]] = []
    for number, item in enumerate(items, start=1):
        if isinstance(item, Mapping):
            numbered.append((number, item))
        else:
            errors.add(invalid, "invalid_item", number=number)
    return numbered


def _check_fraction(item: Mapping[str, Any], what: str, number: int, errors: _Errors) -> Decimal:
    """The fraction (in percent) when it is a number from -100 to 100; otherwise 0, and the
    reason recorded. A missing fraction is 0: a wrong option."""
    fraction = parse_number(item.get("fraction", 0))
    if fraction is None:
        errors.add(
            _("Nilai %(what)s nomor %(number)s harus berupa angka."),
            "invalid_fraction",
            what=what,
            number=number,
        )
        return ZERO
    if not -HUNDRED <= fraction <= HUNDRED:
        errors.add(
            _("Nilai %(what)s nomor %(number)s harus antara -100%% dan 100%%, bukan %(value)s%%."),
            "fraction_out_of_range",
            what=what,
            number=number,
            value=fraction,
        )
        return ZERO
    return fraction


def _check_feedback(item: Mapping[str, Any], key: str, what: str, errors: _Errors) -> None:
    if not isinstance(item.get(key, ""), str):
        errors.add(_("Umpan balik %(what)s harus berupa teks."), "invalid_feedback", what=what)


def _check_full_marks(fractions: list[Decimal], what: str, errors: _Errors) -> None:
    if HUNDRED not in fractions:
        errors.add(
            _("Paling sedikit satu %(what)s harus bernilai %(full)s%%."),
            "no_full_marks",
            what=what,
            full=100,
        )


def _validate_choices(kind: str, data: Mapping[str, Any], errors: _Errors) -> None:
    what = _("pilihan")
    choices = _numbered(
        data, "choices", errors, _("Pilihan nomor %(number)s tidak valid: harus berupa objek.")
    )
    if len(choices) < 2:
        errors.add(
            _("Soal pilihan harus punya paling sedikit dua pilihan jawaban."), "too_few_choices"
        )
    seen: set[str] = set()
    fractions: list[Decimal] = []
    for number, choice in choices:
        choice_id = choice.get("id")
        if not isinstance(choice_id, str) or not choice_id.strip():
            errors.add(
                _("Pilihan nomor %(number)s tidak punya kode (id)."), "missing_id", number=number
            )
        elif choice_id in seen:
            errors.add(
                _("Kode pilihan “%(id)s” dipakai lebih dari sekali."), "duplicate_id", id=choice_id
            )
        else:
            seen.add(choice_id)
        text = choice.get("text")
        if not isinstance(text, str) or not text.strip():
            errors.add(_("Teks pilihan nomor %(number)s kosong."), "empty_text", number=number)
        fractions.append(_check_fraction(choice, what, number, errors))
        _check_feedback(choice, "feedback", _("pilihan nomor %d") % number, errors)
    if not choices:
        return
    if kind == SINGLE:
        _check_full_marks(fractions, what, errors)
        return
    rule = data.get("rule", RULE_SUM)
    if rule not in RULES:
        errors.add(
            _("Aturan penilaian “%(rule)s” tidak dikenal; pilih “sum” atau “all_or_nothing”."),
            "unknown_rule",
            rule=rule,
        )
    elif rule == RULE_SUM:
        total = sum((fraction for fraction in fractions if fraction > 0), ZERO)
        # Held to four places like a score, so thirds written as 33.33333 add up to 100.
        if (total / HUNDRED).quantize(PLACES, rounding=ROUND_HALF_UP) != ONE:
            errors.add(
                _("Jumlah nilai pilihan yang benar harus 100%% (sekarang %(total)s%%)."),
                "fractions_not_100",
                total=total,
            )
    elif not any(fraction > 0 for fraction in fractions):
        errors.add(
            _("Paling sedikit satu pilihan harus benar (nilainya lebih dari nol)."),
            "no_correct_choice",
        )


def _validate_truefalse(data: Mapping[str, Any], errors: _Errors) -> None:
    if not isinstance(data.get("correct"), bool):
        errors.add(
            _("Kunci jawaban harus diisi: benar (true) atau salah (false)."), "missing_correct"
        )
    _check_feedback(data, "feedback_true", _("untuk jawaban benar"), errors)
    _check_feedback(data, "feedback_false", _("untuk jawaban salah"), errors)


def _validate_short(data: Mapping[str, Any], errors: _Errors) -> None:
    what = _("jawaban")
    case_sensitive = data.get("case_sensitive", False)
    if not isinstance(case_sensitive, bool):
        errors.add(
            _("Pilihan peka huruf besar/kecil harus true atau false."), "invalid_case_sensitive"
        )
        case_sensitive = False
    answers = _numbered(
        data, "answers", errors, _("Jawaban nomor %(number)s tidak valid: harus berupa objek.")
    )
    if not answers:
        errors.add(_("Soal isian singkat harus punya paling sedikit satu jawaban."), "no_answers")
        return
    fractions: list[Decimal] = []
    for number, answer in answers:
        fraction = _check_fraction(answer, what, number, errors)
        fractions.append(fraction)
        _check_feedback(answer, "feedback", _("jawaban nomor %d") % number, errors)
        text = answer.get("text")
        pattern = (
            normalise_text(text, case_sensitive=case_sensitive) if isinstance(text, str) else ""
        )
        if not pattern:
            errors.add(_("Teks jawaban nomor %(number)s kosong."), "empty_text", number=number)
        elif fraction > 0 and not "".join(_wildcard_segments(pattern)).strip():
            errors.add(
                _(
                    "Jawaban nomor %(number)s hanya berisi tanda * sehingga cocok dengan "
                    "jawaban apa pun; nilainya harus 0%%."
                ),
                "wildcard_only",
                number=number,
            )
    _check_full_marks(fractions, what, errors)


def _validate_numeric(data: Mapping[str, Any], errors: _Errors) -> None:
    what = _("jawaban")
    answers = _numbered(
        data, "answers", errors, _("Jawaban nomor %(number)s tidak valid: harus berupa objek.")
    )
    if not answers:
        errors.add(_("Soal angka harus punya paling sedikit satu jawaban."), "no_answers")
        return
    fractions: list[Decimal] = []
    for number, answer in answers:
        fractions.append(_check_fraction(answer, what, number, errors))
        _check_feedback(answer, "feedback", _("jawaban nomor %d") % number, errors)
        value = parse_number(answer.get("value"))
        if value is None:
            errors.add(
                _("Jawaban nomor %(number)s harus berisi bilangan."), "invalid_value", number=number
            )
        elif parse_number(_written(value)) is None:
            # correct_response() writes the value out, and it must read back as a number.
            errors.add(
                _("Bilangan pada jawaban nomor %(number)s terlalu panjang."),
                "value_too_long",
                number=number,
            )
        tolerance = parse_number(answer.get("tolerance", 0))
        if tolerance is None:
            errors.add(
                _("Toleransi jawaban nomor %(number)s harus berupa bilangan."),
                "invalid_tolerance",
                number=number,
            )
        elif tolerance < 0:
            errors.add(
                _("Toleransi jawaban nomor %(number)s tidak boleh negatif."),
                "negative_tolerance",
                number=number,
            )
    _check_full_marks(fractions, what, errors)


def _validate_matching(data: Mapping[str, Any], errors: _Errors) -> None:
    pairs = _numbered(
        data, "pairs", errors, _("Pasangan nomor %(number)s tidak valid: harus berupa objek.")
    )
    if len(pairs) < 2:
        errors.add(_("Soal menjodohkan harus punya paling sedikit dua pasangan."), "too_few_pairs")
    seen_ids: set[str] = set()
    seen_prompts: set[str] = set()
    answers: set[str] = set()
    for number, pair in pairs:
        pair_id = pair.get("id")
        if not isinstance(pair_id, str) or not pair_id.strip():
            errors.add(
                _("Pasangan nomor %(number)s tidak punya kode (id)."), "missing_id", number=number
            )
        elif pair_id in seen_ids:
            errors.add(
                _("Kode pasangan “%(id)s” dipakai lebih dari sekali."), "duplicate_id", id=pair_id
            )
        else:
            seen_ids.add(pair_id)
        prompt = pair.get("prompt")
        prompt_key = normalise_text(prompt) if isinstance(prompt, str) else ""
        if not prompt_key:
            errors.add(
                _("Pertanyaan pasangan nomor %(number)s kosong."), "empty_prompt", number=number
            )
        elif prompt_key in seen_prompts:
            # Two prompts that read the same cannot be told apart, so neither can be answered.
            errors.add(
                _("Pertanyaan pasangan nomor %(number)s sama dengan pasangan lain."),
                "duplicate_prompt",
                number=number,
            )
        else:
            seen_prompts.add(prompt_key)
        answer = pair.get("answer")
        answer_key = normalise_text(answer, case_sensitive=True) if isinstance(answer, str) else ""
        if answer_key:
            answers.add(answer_key)
        else:
            errors.add(
                _("Jawaban pasangan nomor %(number)s kosong."), "empty_answer", number=number
            )
    distractors = data.get("distractors", [])
    if not isinstance(distractors, list) or not all(isinstance(d, str) for d in distractors):
        errors.add(_("Pengecoh harus berupa daftar teks."), "invalid_distractors")
        return
    for distractor in distractors:
        key = normalise_text(distractor, case_sensitive=True)
        if not key:
            errors.add(_("Pengecoh tidak boleh kosong."), "empty_distractor")
        elif key in answers:
            # The same text in the list twice, once right and once wrong, would only confuse.
            errors.add(
                _("Pengecoh “%(text)s” sama dengan salah satu jawaban yang benar."),
                "distractor_is_answer",
                text=distractor,
            )
