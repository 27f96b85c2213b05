"""Learner quiz pages: the quiz, an attempt (answers saved as they are given), the result.

Thin: parse, check, call one service or selector, render. The page never carries the answer
key: a frozen question is shown through ``shown_question`` (stem, option texts in the frozen order,
prompts), and an option travels as its place in that order, not as the author's id (ids such
as "a" would give away which choice was written first). Refusals are messages or JSON
errors, never 500s.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from lms.people.models import Employee

from . import selectors, services
from .models import Attempt, AttemptQuestion, Question, Quiz
from .presenting import (
    answered,
    error_text,
    is_late,
    matching_pairs,
    response_from_page,
    reviewed_question,
    shown_question,
    start_refusal,
    still_open,
)

Kind = Question.Kind
# One answer is a few words or a handful of choices; anything bigger is not an answer.
MAX_ANSWER_BODY = 16 * 1024


def _viewer(request: HttpRequest) -> Employee:
    return request.user  # type: ignore[return-value]


def _own_attempt(request: HttpRequest, attempt_id: int) -> Attempt:
    """The viewer's attempt; someone else's is a 404, not a hint that it exists."""
    return get_object_or_404(
        Attempt.objects.select_related("quiz"), pk=attempt_id, employee=_viewer(request)
    )


# --- What the learner sees of a frozen question ------------------------------------------


def _form_value(post: QueryDict, slot: AttemptQuestion) -> Any:
    name = f"q{slot.position}"
    if slot.kind == Kind.MULTIPLE:
        return post.getlist(name)
    if slot.kind == Kind.MATCHING:
        count = len(matching_pairs(slot))
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
            responses[slot.position] = response_from_page(slot, _form_value(post, slot))
        except ValidationError as exc:
            errors[str(slot.position)] = exc.messages
    if errors:
        raise ValidationError(errors)
    return responses


def _slots(attempt: Attempt) -> dict[int, AttemptQuestion]:
    return {slot.position: slot for slot in selectors.attempt_questions(attempt=attempt)}


# --- The quiz ------------------------------------------------------------------------------


@login_required
def quiz_detail(request: HttpRequest, quiz_id: int) -> HttpResponse:
    quiz = get_object_or_404(Quiz, pk=quiz_id)
    viewer = _viewer(request)
    uses = selectors.quiz_uses(employee=viewer, quiz=quiz)
    attempts = list(selectors.attempts_of(employee=viewer, quiz=quiz))
    if not uses and not attempts:
        raise PermissionDenied(_("Anda tidak terdaftar di kursus yang memuat kuis ini."))
    now = timezone.now()
    late = [attempt for attempt in attempts if is_late(attempt, now)]
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
            "refusal": start_refusal(
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
        messages.error(request, error_text(exc))
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
    shown = [shown_question(slots[position]) for position in sorted(slots)]
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
    if is_late(attempt):
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
        messages.error(request, error_text(exc))
        return _to_result(attempt)
    except ValidationError as exc:
        if not still_open(attempt):
            return _to_result(attempt)
        return _render_attempt(
            request, attempt, slots, page=page, error=error_text(exc), status=400
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
        return _refuse(error_text(exc), 400)
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
            response=response_from_page(slot, raw), slot=slot,
        )  # fmt: skip
    except services.TimeUp as exc:
        return _refuse(error_text(exc), 409, closed=True)
    except ValidationError as exc:
        if not still_open(attempt):
            return _refuse(_("Percobaan ini sudah selesai."), 409, closed=True)
        return _refuse(error_text(exc), 400)
    return JsonResponse({"saved": True, "position": position, "answered": answered(saved.response)})


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
            if still_open(attempt):
                page = _page_number(request.POST.get("soal"), len(slots))
                return _render_attempt(
                    request, attempt, slots, page=page, error=error_text(exc), status=400
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


@login_required
def attempt_result(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _own_attempt(request, attempt_id)
    if attempt.is_open:
        if not is_late(attempt):
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
            "questions": [reviewed_question(slot) for slot in slots],
        },
    )
