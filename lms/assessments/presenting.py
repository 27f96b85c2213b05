"""What a learner sees of a quiz and an attempt, shared by the quiz pages and the API:
the frozen questions without their key, the review once it is allowed, a response read
from what a page (or a client) sent, and why an attempt cannot start now. Nothing here
writes; the services do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from wagtail.rich_text import RichText

from . import scoring, selectors
from .models import Attempt, AttemptQuestion, Question, Quiz

Kind = Question.Kind
TRUE_FALSE = {"true": True, "false": False}


def when(moment: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def is_late(attempt: Attempt, now: dt.datetime | None = None) -> bool:
    return (
        attempt.is_open
        and attempt.deadline is not None
        and (now or timezone.now()) > attempt.deadline
    )


def still_open(attempt: Attempt) -> bool:
    return Attempt.objects.filter(pk=attempt.pk, state=Attempt.State.IN_PROGRESS).exists()


def error_text(exc: ValidationError) -> str:
    """A refusal in one line; per-question errors say which question."""
    if hasattr(exc, "error_dict"):
        return " ".join(
            _("Soal %(n)s: %(error)s") % {"n": key, "error": " ".join(errors)}
            for key, errors in exc.message_dict.items()
        )
    return " ".join(exc.messages)


@dataclass(frozen=True)
class Option:
    value: str  # what the form sends back: the place in the frozen order, from 1
    label: RichText | str
    checked: bool


@dataclass(frozen=True)
class Prompt:
    value: str  # its place among the pairs, from 1
    text: str
    chosen: str  # the value of the option chosen for it, "" for none


@dataclass(frozen=True)
class ShownQuestion:
    position: int
    kind: str
    stem: RichText
    max_mark: Decimal
    options: list[Option]  # single, multiple, true/false; the answers a matching prompt takes
    prompts: list[Prompt]  # matching
    text: str  # short, numeric
    answered: bool


def answered(response: Any) -> bool:
    return response not in (None, "", [], {})


def _choice_texts(slot: AttemptQuestion) -> dict[str, str]:
    data = slot.data if isinstance(slot.data, Mapping) else {}
    return {
        str(choice.get("id")): str(choice.get("text", ""))
        for choice in data.get("choices", [])
        if isinstance(choice, Mapping)
    }


def matching_pairs(slot: AttemptQuestion) -> list[Mapping[str, Any]]:
    data = slot.data if isinstance(slot.data, Mapping) else {}
    return [pair for pair in data.get("pairs", []) if isinstance(pair, Mapping)]


def shown_question(slot: AttemptQuestion) -> ShownQuestion:
    """The question as the attempt page shows it: nothing of the key, fractions or feedback."""
    response = slot.response
    options: list[Option] = []
    prompts: list[Prompt] = []
    text = ""
    if slot.kind in (Kind.SINGLE, Kind.MULTIPLE):
        texts = _choice_texts(slot)
        chosen = set(response) if isinstance(response, list) else {str(response)}
        options = [
            Option(str(place), RichText(texts.get(choice_id, "")), choice_id in chosen)
            for place, choice_id in enumerate(slot.order, start=1)
        ]
    elif slot.kind == Kind.TRUE_FALSE:
        options = [
            Option("true", _("Benar"), response is True),
            Option("false", _("Salah"), response is False),
        ]
    elif slot.kind == Kind.MATCHING:
        options = [Option(str(place), str(a), False) for place, a in enumerate(slot.order, 1)]
        place_of = {answer: str(place) for place, answer in enumerate(slot.order, start=1)}
        chosen_for = response if isinstance(response, Mapping) else {}
        prompts = [
            Prompt(
                str(place),
                str(pair.get("prompt", "")),
                place_of.get(chosen_for.get(str(pair.get("id"))), ""),
            )
            for place, pair in enumerate(matching_pairs(slot), start=1)
        ]
    elif response is not None:
        text = str(response)
    return ShownQuestion(
        position=slot.position,
        kind=slot.kind,
        stem=RichText(slot.stem),
        max_mark=slot.max_mark,
        options=options,
        prompts=prompts,
        text=text,
        answered=answered(response),
    )


def _pick(items: Sequence[str], place: Any, message: str) -> str:
    """The item at a place (from 1) the page sent, or ValidationError."""
    if isinstance(place, bool) or not isinstance(place, str | int):
        raise ValidationError(message)
    text = str(place)
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= len(items)):
        raise ValidationError(message)
    return items[int(text) - 1]


def response_from_page(slot: AttemptQuestion, raw: Any) -> Any:
    """The response in the service's terms from what the page sent (places in the frozen
    order, "true"/"false", text); ValidationError when it names nothing on the page."""
    if raw is None:
        return None
    pick = _("Pilih salah satu pilihan yang ada.")
    if slot.kind == Kind.SINGLE:
        return _pick(slot.order, raw, pick) if raw != "" else None
    if slot.kind == Kind.MULTIPLE:
        if not isinstance(raw, list) or len(raw) > len(slot.order):
            raise ValidationError(_("Jawaban harus berupa daftar pilihan."))
        return [_pick(slot.order, place, pick) for place in raw]
    if slot.kind == Kind.TRUE_FALSE:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw in TRUE_FALSE:
            return TRUE_FALSE[raw]
        if raw == "":
            return None
        raise ValidationError(_("Jawab benar atau salah."))
    if slot.kind in (Kind.SHORT, Kind.NUMERIC):
        if isinstance(raw, str) and not raw.strip():
            return None
        return raw  # the service checks its type and length
    if slot.kind == Kind.MATCHING:
        if not isinstance(raw, Mapping):
            raise ValidationError(_("Jodohkan hanya pernyataan yang ada."))
        pair_ids = [str(pair.get("id")) for pair in matching_pairs(slot)]
        matched: dict[str, str] = {}
        for prompt, answer in raw.items():
            pair_id = _pick(pair_ids, prompt, _("Jodohkan hanya pernyataan yang ada."))
            if answer not in ("", None):
                matched[pair_id] = _pick(slot.order, answer, _("Pilih pasangan dari daftar."))
        return matched or None
    return raw


def start_refusal(
    *,
    quiz: Quiz,
    uses: Sequence[selectors.QuizUse],
    attempts: Sequence[Attempt],
    question_count: int,
    now: dt.datetime,
) -> str:
    """Why the learner cannot start (or resume) now, "" if they can: the reasons
    ``services.attempt_start`` would give, said before the button is pressed."""
    if not uses:
        return _("Anda tidak lagi terdaftar di kursus yang memuat kuis ini.")
    if quiz.opens_at and now < quiz.opens_at:
        return _("Kuis ini dibuka pada %(when)s.") % {"when": when(quiz.opens_at)}
    if quiz.closes_at and now >= quiz.closes_at:
        return _("Kuis ini sudah ditutup pada %(when)s.") % {"when": when(quiz.closes_at)}
    if any(attempt.is_open for attempt in attempts):
        return ""
    if quiz.max_attempts is not None and len(attempts) >= quiz.max_attempts:
        return _("Anda sudah memakai semua %(n)s percobaan untuk kuis ini.") % {
            "n": quiz.max_attempts
        }
    if question_count == 0:
        return _("Kuis ini belum berisi soal.")
    return ""


@dataclass(frozen=True)
class ReviewedQuestion:
    position: int
    stem: RichText
    given: list[RichText | str]
    correct: list[RichText | str]
    feedback: list[RichText]
    general_feedback: RichText | None
    mark: Decimal | None
    max_mark: Decimal
    outcome: str  # "right", "partial" or "wrong"


def _answer_lines(slot: AttemptQuestion, response: Any) -> list[RichText | str]:
    """A response as the learner reads it: option texts, not ids."""
    if not answered(response):
        return []
    if slot.kind in (Kind.SINGLE, Kind.MULTIPLE):
        texts = _choice_texts(slot)
        ids = response if isinstance(response, list) else [response]
        shown = [choice_id for choice_id in slot.order if choice_id in ids]
        return [RichText(texts.get(str(choice_id), str(choice_id))) for choice_id in shown]
    if slot.kind == Kind.TRUE_FALSE:
        return [_("Benar") if response is True else _("Salah")]
    if slot.kind == Kind.MATCHING and isinstance(response, Mapping):
        return [
            f"{pair.get('prompt', '')} → {response.get(str(pair.get('id'))) or '—'}"
            for pair in matching_pairs(slot)
        ]
    return [str(response)]


def reviewed_question(slot: AttemptQuestion) -> ReviewedQuestion:
    fraction = slot.fraction or Decimal("0")
    return ReviewedQuestion(
        position=slot.position,
        stem=RichText(slot.stem),
        given=_answer_lines(slot, slot.response),
        correct=_answer_lines(slot, scoring.correct_response(slot.kind, slot.data)),
        feedback=[
            RichText(text) for text in scoring.feedback_for(slot.kind, slot.data, slot.response)
        ],
        general_feedback=RichText(slot.general_feedback) if slot.general_feedback else None,
        mark=slot.mark,
        max_mark=slot.max_mark,
        outcome="right" if fraction >= 1 else "partial" if fraction > 0 else "wrong",
    )
