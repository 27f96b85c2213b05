"""Learner quiz pages: the quiz, an attempt (answers saved as they are given), the result.

Thin: parse, check, call one service or selector, render. The page never carries the answer
key: a frozen question is shown through ``_shown`` (stem, option texts in the frozen order,
prompts), and an option travels as its place in that order, not as the author's id (ids such
as "a" would give away which choice was written first). Refusals are messages or JSON
errors, never 500s.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.rich_text import RichText

from lms.people.models import Employee

from . import scoring, selectors, services
from .models import Attempt, AttemptQuestion, Question, Quiz

Kind = Question.Kind
# One answer is a few words or a handful of choices; anything bigger is not an answer.
MAX_ANSWER_BODY = 16 * 1024
TRUE_FALSE = {"true": True, "false": False}


def _viewer(request: HttpRequest) -> Employee:
    return request.user  # type: ignore[return-value]


def _when(moment: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _own_attempt(request: HttpRequest, attempt_id: int) -> Attempt:
    """The viewer's attempt; someone else's is a 404, not a hint that it exists."""
    return get_object_or_404(
        Attempt.objects.select_related("quiz"), pk=attempt_id, employee=_viewer(request)
    )


def _late(attempt: Attempt, now: dt.datetime | None = None) -> bool:
    return (
        attempt.is_open
        and attempt.deadline is not None
        and (now or timezone.now()) > attempt.deadline
    )


def _still_open(attempt: Attempt) -> bool:
    return Attempt.objects.filter(pk=attempt.pk, state=Attempt.State.IN_PROGRESS).exists()


def _error_text(exc: ValidationError) -> str:
    """A refusal in one line; per-question errors say which question."""
    if hasattr(exc, "error_dict"):
        return " ".join(
            _("Soal %(n)s: %(error)s") % {"n": key, "error": " ".join(errors)}
            for key, errors in exc.message_dict.items()
        )
    return " ".join(exc.messages)


# --- What the learner sees of a frozen question ------------------------------------------


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


def _answered(response: Any) -> bool:
    return response not in (None, "", [], {})


def _choice_texts(slot: AttemptQuestion) -> dict[str, str]:
    data = slot.data if isinstance(slot.data, Mapping) else {}
    return {
        str(choice.get("id")): str(choice.get("text", ""))
        for choice in data.get("choices", [])
        if isinstance(choice, Mapping)
    }


def _pairs(slot: AttemptQuestion) -> list[Mapping[str, Any]]:
    data = slot.data if isinstance(slot.data, Mapping) else {}
    return [pair for pair in data.get("pairs", []) if isinstance(pair, Mapping)]


def _shown(slot: AttemptQuestion) -> ShownQuestion:
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
            for place, pair in enumerate(_pairs(slot), start=1)
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
        answered=_answered(response),
    )


def _pick(items: Sequence[str], place: Any, message: str) -> str:
    """The item at a place (from 1) the page sent, or ValidationError."""
    if isinstance(place, bool) or not isinstance(place, str | int):
        raise ValidationError(message)
    text = str(place)
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= len(items)):
        raise ValidationError(message)
    return items[int(text) - 1]


def _response_from(slot: AttemptQuestion, raw: Any) -> Any:
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
        pair_ids = [str(pair.get("id")) for pair in _pairs(slot)]
        matched: dict[str, str] = {}
        for prompt, answer in raw.items():
            pair_id = _pick(pair_ids, prompt, _("Jodohkan hanya pernyataan yang ada."))
            if answer not in ("", None):
                matched[pair_id] = _pick(slot.order, answer, _("Pilih pasangan dari daftar."))
        return matched or None
    return raw


def _form_value(post: QueryDict, slot: AttemptQuestion) -> Any:
    name = f"q{slot.position}"
    if slot.kind == Kind.MULTIPLE:
        return post.getlist(name)
    if slot.kind == Kind.MATCHING:
        count = len(_pairs(slot))
        return {str(place): post.get(f"{name}-{place}", "") for place in range(1, count + 1)}
    return post.get(name)


def _posted(post: QueryDict, slots: Mapping[int, AttemptQuestion]) -> dict[int, Any]:
    """The answers a page without JavaScript posted: every question it showed ("shown"),
    an untouched control meaning no answer."""
    responses: dict[int, Any] = {}
    errors: dict[str, list[str]] = {}
    for raw in post.getlist("shown")[: len(slots)]:
        if not (raw.isascii() and raw.isdigit()) or int(raw) not in slots:
            raise ValidationError(_("Soal nomor %(n)s tidak ada.") % {"n": raw[:10]})
        slot = slots[int(raw)]
        try:
            responses[slot.position] = _response_from(slot, _form_value(post, slot))
        except ValidationError as exc:
            errors[str(slot.position)] = exc.messages
    if errors:
        raise ValidationError(errors)
    return responses


def _slots(attempt: Attempt) -> dict[int, AttemptQuestion]:
    return {slot.position: slot for slot in selectors.attempt_questions(attempt=attempt)}


# --- The quiz ------------------------------------------------------------------------------


def _start_refusal(
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
        return _("Kuis ini dibuka pada %(when)s.") % {"when": _when(quiz.opens_at)}
    if quiz.closes_at and now >= quiz.closes_at:
        return _("Kuis ini sudah ditutup pada %(when)s.") % {"when": _when(quiz.closes_at)}
    if any(attempt.is_open for attempt in attempts):
        return ""
    if quiz.max_attempts is not None and len(attempts) >= quiz.max_attempts:
        return _("Anda sudah memakai semua %(n)s percobaan untuk kuis ini.") % {
            "n": quiz.max_attempts
        }
    if question_count == 0:
        return _("Kuis ini belum berisi soal.")
    return ""


@login_required
def quiz_detail(request: HttpRequest, quiz_id: int) -> HttpResponse:
    quiz = get_object_or_404(Quiz, pk=quiz_id)
    viewer = _viewer(request)
    uses = selectors.quiz_uses(employee=viewer, quiz=quiz)
    attempts = list(selectors.attempts_of(employee=viewer, quiz=quiz))
    if not uses and not attempts:
        raise PermissionDenied(_("Anda tidak terdaftar di kursus yang memuat kuis ini."))
    now = timezone.now()
    late = [attempt for attempt in attempts if _late(attempt, now)]
    for attempt in late:
        # Time ran out while the learner was away: it is graded as it stood.
        services.attempt_close(attempt=attempt, now=now)
    if late:
        attempts = list(selectors.attempts_of(employee=viewer, quiz=quiz))
    question_count = selectors.question_count(quiz)
    open_attempt = next((attempt for attempt in attempts if attempt.is_open), None)
    use = uses[0] if uses else None
    return render(
        request,
        "assessments/quiz.html",
        {
            "quiz": quiz,
            "use": use,
            "back": (use.module or use.course) if use else None,
            "attempts": attempts,
            "open_attempt": open_attempt,
            "attempts_left": (
                None if quiz.max_attempts is None else max(0, quiz.max_attempts - len(attempts))
            ),
            "result": selectors.result_of(employee=viewer, quiz=quiz),
            "question_count": question_count,
            "refusal": _start_refusal(
                quiz=quiz, uses=uses, attempts=attempts, question_count=question_count, now=now
            ),
            "gains": selectors.pre_post_gains(employee=viewer, quiz=quiz, uses=uses),
        },
    )


@login_required
@require_POST
def quiz_start(request: HttpRequest, quiz_id: int) -> HttpResponse:
    quiz = get_object_or_404(Quiz, pk=quiz_id)
    try:
        # Not enrolled: PermissionDenied, and the 403 page says why.
        attempt = services.attempt_start(actor=_viewer(request), quiz=quiz)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("assessments:quiz", quiz_id=quiz.pk)
    return redirect("assessments:attempt", attempt_id=attempt.pk)


# --- An attempt ----------------------------------------------------------------------------


def _page_number(raw: str | None, count: int) -> int:
    if raw and raw.isascii() and raw.isdigit():
        return min(max(int(raw), 1), max(count, 1))
    return 1


def _clock(attempt: Attempt) -> dict[str, str] | None:
    """The deadline and the server's now for the timer: the page counts down from the
    difference, so a wrong clock on the learner's phone changes nothing."""
    if attempt.deadline is None:
        return None

    def iso(moment: dt.datetime) -> str:
        return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    return {"deadline": iso(attempt.deadline), "now": iso(timezone.now())}


def _render_attempt(
    request: HttpRequest,
    attempt: Attempt,
    slots: Mapping[int, AttemptQuestion],
    *,
    page: int,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    shown = [_shown(slots[position]) for position in sorted(slots)]
    one_per_page = attempt.quiz.layout == Quiz.Layout.ONE_PER_PAGE
    questions = shown[page - 1 : page] if one_per_page else shown
    return render(
        request,
        "assessments/attempt.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "questions": questions,
            "all_questions": shown,
            "one_per_page": one_per_page,
            "page": page,
            "count": len(shown),
            "previous": page - 1 if one_per_page and page > 1 else None,
            "next": page + 1 if one_per_page and page < len(shown) else None,
            "unanswered": sum(1 for question in shown if not question.answered),
            "clock": _clock(attempt),
            "error": error,
        },
        status=status,
    )


def _to_result(attempt: Attempt) -> HttpResponse:
    return redirect("assessments:result", attempt_id=attempt.pk)


@login_required
@require_http_methods(["GET", "POST"])
def attempt_page(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _own_attempt(request, attempt_id)
    if _late(attempt):
        services.attempt_close(attempt=attempt)
        messages.info(request, _("Waktu habis; percobaan ditutup dan dinilai."))
        return _to_result(attempt)
    if not attempt.is_open:
        return _to_result(attempt)
    slots = _slots(attempt)
    if request.method == "GET":
        return _render_attempt(
            request, attempt, slots, page=_page_number(request.GET.get("soal"), len(slots))
        )
    # Without JavaScript: the form saves the questions it showed, then goes where asked.
    page = _page_number(request.POST.get("soal"), len(slots))
    try:
        services.attempt_answers_save(
            actor=_viewer(request), attempt=attempt, responses=_posted(request.POST, slots)
        )
    except services.TimeUp as exc:
        messages.error(request, _error_text(exc))
        return _to_result(attempt)
    except ValidationError as exc:
        if not _still_open(attempt):
            return _to_result(attempt)
        return _render_attempt(
            request, attempt, slots, page=page, error=_error_text(exc), status=400
        )
    messages.success(request, _("Jawaban tersimpan."))
    target = _page_number(request.POST.get("ke") or str(page), len(slots))
    url = reverse("assessments:attempt", kwargs={"attempt_id": attempt.pk})
    return redirect(f"{url}?soal={target}#soal-{target}" if target > 1 else url)


def _refuse(message: str, status: int, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _parse_answer(body: bytes) -> tuple[int, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError(_("Data jawaban bukan JSON yang sah.")) from None
    if not isinstance(data, dict) or "response" not in data:
        raise ValidationError(_("Data jawaban harus berisi nomor soal dan jawabannya."))
    position = data.get("position")
    # Bounded: a number past what the database holds would fail there, not here.
    if isinstance(position, bool) or not isinstance(position, int) or not 0 < position < 2**31:
        raise ValidationError(_("Nomor soal tidak sah."))
    return position, data["response"]


@require_POST
def attempt_answer(request: HttpRequest, attempt_id: int) -> JsonResponse:
    """One answer as it is given (``static/js/quiz.js``): JSON ``{position, response}``."""
    viewer = request.user
    if not isinstance(viewer, Employee):
        # JSON, not a redirect to the login page: the caller is a script.
        return _refuse(_("Sesi Anda sudah berakhir; masuk lagi untuk menyimpan jawaban."), 403)
    if len(request.body) > MAX_ANSWER_BODY:
        return _refuse(_("Jawaban terlalu besar."), 400)
    try:
        position, raw = _parse_answer(request.body)
    except ValidationError as exc:
        if not Attempt.objects.filter(pk=attempt_id, employee=viewer).exists():
            return _refuse(_("Percobaan ini tidak ditemukan."), 404)
        return _refuse(_error_text(exc), 400)
    # The question and its attempt in one read: this runs for every answer of everyone.
    slot = (
        AttemptQuestion.objects.select_related("attempt")
        .filter(attempt_id=attempt_id, attempt__employee=viewer, position=position)
        .first()
    )
    if slot is None:
        attempt = Attempt.objects.filter(pk=attempt_id, employee=viewer).first()
        if attempt is None:
            return _refuse(_("Percobaan ini tidak ditemukan."), 404)
        if not attempt.is_open:
            return _refuse(_("Percobaan ini sudah selesai."), 409, closed=True)
        return _refuse(_("Soal nomor %(n)s tidak ada.") % {"n": position}, 400)
    attempt = slot.attempt
    if not attempt.is_open:
        return _refuse(_("Percobaan ini sudah selesai."), 409, closed=True)
    try:
        saved = services.attempt_answer(
            actor=viewer, attempt=attempt, position=position,
            response=_response_from(slot, raw), slot=slot,
        )  # fmt: skip
    except services.TimeUp as exc:
        return _refuse(_error_text(exc), 409, closed=True)
    except ValidationError as exc:
        if not _still_open(attempt):
            return _refuse(_("Percobaan ini sudah selesai."), 409, closed=True)
        return _refuse(_error_text(exc), 400)
    return JsonResponse(
        {"saved": True, "position": position, "answered": _answered(saved.response)}
    )


@login_required
@require_POST
def attempt_submit(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Submit ("Kumpulkan"): saves what the page showed (if it sent any), then submits and grades.
    Submitting twice only shows the result again."""
    attempt = _own_attempt(request, attempt_id)
    if not attempt.is_open:
        return _to_result(attempt)
    viewer = _viewer(request)
    if "shown" in request.POST:
        slots = _slots(attempt)
        try:
            services.attempt_answers_save(
                actor=viewer, attempt=attempt, responses=_posted(request.POST, slots)
            )
        except services.TimeUp:
            pass  # closed as it stood at the deadline; the message below says so
        except ValidationError as exc:
            if _still_open(attempt):
                page = _page_number(request.POST.get("soal"), len(slots))
                return _render_attempt(
                    request, attempt, slots, page=page, error=_error_text(exc), status=400
                )
    finished = services.attempt_submit(actor=viewer, attempt=attempt)
    if finished.state == Attempt.State.EXPIRED:
        messages.info(
            request,
            _(
                "Waktu habis; percobaan ditutup dan dinilai dengan jawaban yang tersimpan "
                "sebelum batas waktu."
            ),
        )
    else:
        messages.success(request, _("Jawaban Anda sudah dikumpulkan dan dinilai."))
    return _to_result(finished)


# --- The result ----------------------------------------------------------------------------


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
    if not _answered(response):
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
            for pair in _pairs(slot)
        ]
    return [str(response)]


def _reviewed(slot: AttemptQuestion) -> ReviewedQuestion:
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


@login_required
def attempt_result(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _own_attempt(request, attempt_id)
    if attempt.is_open:
        if not _late(attempt):
            return redirect("assessments:attempt", attempt_id=attempt.pk)
        attempt = services.attempt_close(attempt=attempt)
    quiz = attempt.quiz
    review = selectors.review_allowed(attempt=attempt)
    slots = selectors.attempt_questions(attempt=attempt) if review else []
    return render(
        request,
        "assessments/result.html",
        {
            "attempt": attempt,
            "quiz": quiz,
            "passed": attempt.score is not None and attempt.score >= quiz.pass_mark,
            "result": selectors.result_of(employee=_viewer(request), quiz=quiz),
            "review": review,
            "questions": [_reviewed(slot) for slot in slots],
        },
    )
