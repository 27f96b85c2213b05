"""Actions on quizzes: start or resume an attempt, save an answer, submit, close what ran out
of time, grade, regrade, import questions.

Scoring happens here only (``scoring.score``), on the frozen copy each attempt drew. Time is
the server's: every action takes ``now`` (the tests pass a controlled clock) and an answer
after the deadline is refused, the attempt then closed and graded as it stood.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import nh3
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms.people.models import Employee

from .formats import FormatError, parse_aiken, parse_gift, parse_xlsx, to_gift
from .models import (
    Attempt,
    AttemptQuestion,
    Question,
    QuestionBank,
    QuestionCategory,
    Quiz,
    QuizResult,
)
from .scoring import score
from .selectors import quiz_uses

logger = logging.getLogger(__name__)

HUNDRED = Decimal("100")
TWO_PLACES = Decimal("0.01")
# A response bigger than this is not an answer (a short answer is a few words).
MAX_TEXT_ANSWER = 500


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _percent(marks: Decimal, max_marks: Decimal) -> Decimal:
    if max_marks <= 0:
        return Decimal("0.00")
    return (HUNDRED * marks / max_marks).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


# --- Starting ---------------------------------------------------------------------------


def _draw(quiz: Quiz, rng: random.Random) -> list[tuple[Question, Decimal]]:
    """The questions an attempt gets, in quiz order: fixed ones, and for each draw rule as
    many distinct questions from its category as it asks for (never one twice)."""
    drawn: list[tuple[Question, Decimal]] = []
    used: set[int] = set()
    rules = list(quiz.rules.select_related("question", "category"))
    if not rules:
        raise ValidationError(_("Kuis ini belum berisi soal."))
    for rule in rules:
        if rule.question is not None:
            if rule.question.pk in used:
                continue
            used.add(rule.question.pk)
            drawn.append((rule.question, rule.mark or rule.question.default_mark))
            continue
        assert rule.category is not None  # the check constraint holds one or the other
        pool = [q for q in rule.category.questions.order_by("pk") if q.pk not in used]
        if len(pool) < rule.draw_count:
            raise ValidationError(
                _(
                    "Kuis ini belum siap: kategori %(category)s berisi %(have)s soal, "
                    "padahal diambil %(want)s. Hubungi instruktur."
                )
                % {"category": rule.category.name, "have": len(pool), "want": rule.draw_count}
            )
        for question in rng.sample(pool, rule.draw_count):
            used.add(question.pk)
            drawn.append((question, rule.mark or question.default_mark))
    return drawn


def _display_order(question: Question, rng: random.Random, shuffle: bool) -> list[str]:
    """The order options are shown in, frozen for the attempt (ids for choices, answer
    texts for matching)."""
    data = question.data
    if question.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        order = [str(c["id"]) for c in data.get("choices", [])]
    elif question.kind == Question.Kind.MATCHING:
        order = [str(p["answer"]) for p in data.get("pairs", [])]
        order += [str(d) for d in data.get("distractors", [])]
        order = list(dict.fromkeys(order))
        shuffle = True  # answers in key order would give the matching away
    else:
        return []
    if shuffle:
        rng.shuffle(order)
    return order


def _may_take(actor: Employee, quiz: Quiz, now: dt.datetime) -> None:
    if not quiz_uses(employee=actor, quiz=quiz):
        raise PermissionDenied(_("Anda tidak terdaftar di kursus yang memuat kuis ini."))
    if quiz.opens_at and now < quiz.opens_at:
        raise ValidationError(_("Kuis ini belum dibuka."))
    if quiz.closes_at and now >= quiz.closes_at:
        raise ValidationError(_("Kuis ini sudah ditutup."))


def attempt_start(
    *, actor: Employee, quiz: Quiz, now: dt.datetime | None = None, seed: int | None = None
) -> Attempt:
    """The learner's open attempt (resumed, from any device), or a new one with its questions
    drawn and frozen. Refused past the attempt limit, outside the quiz's dates, or for
    whoever is not enrolled where the quiz is used."""
    now = _now(now)
    _may_take(actor, quiz, now)
    current = Attempt.objects.filter(
        quiz=quiz, employee=actor, state=Attempt.State.IN_PROGRESS
    ).first()
    if current is not None:
        if current.deadline is None or now < current.deadline:
            return current
        attempt_close(attempt=current, now=now)
    finished = Attempt.objects.filter(quiz=quiz, employee=actor).count()
    if quiz.max_attempts is not None and finished >= quiz.max_attempts:
        # The count may include an attempt another request opened after the look above
        # (a double click): that open attempt is this learner's, not a refusal.
        current = Attempt.objects.filter(
            quiz=quiz, employee=actor, state=Attempt.State.IN_PROGRESS
        ).first()
        if current is not None and (current.deadline is None or now < current.deadline):
            return current
        raise ValidationError(
            _("Anda sudah memakai semua %(n)s percobaan untuk kuis ini.") % {"n": quiz.max_attempts}
        )
    # The system's generator unless a test fixes the seed: a learner must not be able to
    # work out another's draw.
    rng = random.SystemRandom() if seed is None else random.Random(seed)  # noqa: S311
    drawn = _draw(quiz, rng)
    if quiz.shuffle_questions:
        rng.shuffle(drawn)
    deadline = None
    if quiz.time_limit_minutes:
        deadline = now + dt.timedelta(minutes=quiz.time_limit_minutes)
    if quiz.closes_at and (deadline is None or quiz.closes_at < deadline):
        deadline = quiz.closes_at
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                quiz=quiz, employee=actor, number=finished + 1, started_at=now,
                deadline=deadline, max_marks=sum((m for _q, m in drawn), Decimal("0")),
            )  # fmt: skip
            AttemptQuestion.objects.bulk_create(
                AttemptQuestion(
                    attempt=attempt,
                    position=position,
                    question=question,
                    question_version=question.version,
                    kind=question.kind,
                    stem=question.stem,
                    general_feedback=question.general_feedback,
                    data=question.data,
                    order=_display_order(question, rng, quiz.shuffle_choices),
                    max_mark=mark,
                )  # fmt: skip
                for position, (question, mark) in enumerate(drawn, start=1)
            )
    except IntegrityError:
        # Another request (a second tab, a double click) started one at the same moment:
        # the constraints let one through; that one is the learner's attempt.
        current = Attempt.objects.filter(
            quiz=quiz, employee=actor, state=Attempt.State.IN_PROGRESS
        ).first()
        if current is None:
            raise ValidationError(
                _("Anda sudah memakai semua %(n)s percobaan untuk kuis ini.")
                % {"n": quiz.max_attempts}
            ) from None
        return current
    logger.info("quiz attempt started", extra={"attempt_id": attempt.pk, "quiz_id": quiz.pk})
    return attempt


# --- Answering --------------------------------------------------------------------------


def clean_response(slot: AttemptQuestion, response: Any) -> Any:
    """The response in the shape its kind takes, or ValidationError saying what is wrong.
    None clears the answer."""
    if response is None:
        return None
    kind, data = slot.kind, slot.data
    if kind == Question.Kind.SINGLE:
        if not isinstance(response, str) or response not in slot.order:
            raise ValidationError(_("Pilih salah satu pilihan yang ada."))
        return response
    if kind == Question.Kind.MULTIPLE:
        if not isinstance(response, list) or not all(isinstance(r, str) for r in response):
            raise ValidationError(_("Jawaban harus berupa daftar pilihan."))
        if not set(response) <= set(slot.order):
            raise ValidationError(_("Pilih hanya dari pilihan yang ada."))
        return sorted(set(response), key=slot.order.index)
    if kind == Question.Kind.TRUE_FALSE:
        if not isinstance(response, bool):
            raise ValidationError(_("Jawab benar atau salah."))
        return response
    if kind in (Question.Kind.SHORT, Question.Kind.NUMERIC):
        if isinstance(response, bool) or not isinstance(response, str | int | float):
            raise ValidationError(_("Jawaban harus berupa teks."))
        text = str(response).strip()
        if len(text) > MAX_TEXT_ANSWER:
            raise ValidationError(
                _("Jawaban terlalu panjang (paling banyak %(n)s karakter).")
                % {"n": MAX_TEXT_ANSWER}
            )
        return text
    if kind == Question.Kind.MATCHING:
        prompts = {str(p["id"]) for p in data.get("pairs", [])}
        if not isinstance(response, dict) or not set(response) <= prompts:
            raise ValidationError(_("Jodohkan hanya pernyataan yang ada."))
        if not all(isinstance(v, str) and v in slot.order for v in response.values()):
            raise ValidationError(_("Pilih pasangan dari daftar yang ada."))
        return {k: response[k] for k in sorted(response)}
    raise ValidationError(_("Jenis soal tidak dikenal."))


def _own_open_attempt(actor: Employee, attempt_id: int, now: dt.datetime) -> Attempt:
    """The attempt, locked; refused if it is not the actor's or no longer open (closing it
    first if its time ran out)."""
    attempt = Attempt.objects.select_for_update().get(pk=attempt_id)
    if attempt.employee_id != actor.pk:
        raise PermissionDenied(_("Ini bukan percobaan Anda."))
    if not attempt.is_open:
        raise ValidationError(_("Percobaan ini sudah selesai; jawaban tidak dapat diubah."))
    return attempt


class TimeUp(ValidationError):
    """The answer came after the attempt's deadline: not accepted; the attempt is closed."""


def attempt_answer(
    *,
    actor: Employee,
    attempt: Attempt,
    position: int,
    response: Any,
    now: dt.datetime | None = None,
    slot: AttemptQuestion | None = None,
) -> AttemptQuestion:
    """Save one answer as it is given (a dropped connection loses nothing; another device
    resumes with it). After the deadline nothing is saved and the attempt is closed.

    ``slot``: the question at ``position``, if the caller read it already (what it shows
    never changes during an attempt; the answer is written under the attempt's lock)."""
    now = _now(now)
    with transaction.atomic():
        locked = _own_open_attempt(actor, attempt.pk, now)
        if locked.deadline is None or now <= locked.deadline:
            if slot is None or slot.attempt_id != locked.pk or slot.position != position:
                slot = locked.questions.filter(position=position).first()
            if slot is None:
                raise ValidationError(_("Soal nomor %(n)s tidak ada.") % {"n": position})
            slot.response = clean_response(slot, response)
            slot.answered_at = now
            AttemptQuestion.objects.filter(pk=slot.pk).update(
                response=slot.response, answered_at=now
            )
            return slot
    attempt_close(attempt=attempt, now=now)
    raise TimeUp(_("Waktu habis; jawaban setelah batas waktu tidak diterima."))


def attempt_answers_save(
    *,
    actor: Employee,
    attempt: Attempt,
    responses: dict[int, Any],
    now: dt.datetime | None = None,
) -> int:
    """Save several answers at once (a page with all questions); all or none. Returns how
    many were saved."""
    now = _now(now)
    with transaction.atomic():
        locked = _own_open_attempt(actor, attempt.pk, now)
        if locked.deadline is None or now <= locked.deadline:
            slots = {s.position: s for s in locked.questions.filter(position__in=responses)}
            missing = set(responses) - set(slots)
            if missing:
                raise ValidationError(_("Soal nomor %(n)s tidak ada.") % {"n": min(missing)})
            errors: dict[str, list[str]] = {}
            for position, response in responses.items():
                try:
                    slots[position].response = clean_response(slots[position], response)
                except ValidationError as exc:
                    errors[str(position)] = exc.messages
                slots[position].answered_at = now
            if errors:
                raise ValidationError(errors)
            AttemptQuestion.objects.bulk_update(slots.values(), ["response", "answered_at"])
            return len(slots)
    attempt_close(attempt=attempt, now=now)
    raise TimeUp(_("Waktu habis; jawaban setelah batas waktu tidak diterima."))


# --- Finishing and grading --------------------------------------------------------------


def _grade(attempt: Attempt) -> None:
    """Score every frozen question of the attempt and total it (the attempt is locked)."""
    slots = list(attempt.questions.all())
    marks = Decimal("0")
    for slot in slots:
        slot.fraction = score(slot.kind, slot.data, slot.response)
        slot.mark = (slot.max_mark * slot.fraction).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
        marks += slot.mark
    AttemptQuestion.objects.bulk_update(slots, ["fraction", "mark"])
    attempt.marks = marks
    attempt.max_marks = sum((s.max_mark for s in slots), Decimal("0"))
    attempt.score = _percent(marks, attempt.max_marks)


def _finish(attempt_id: int, *, state: str, now: dt.datetime) -> tuple[Attempt, bool]:
    """Grade and close the attempt once; (the attempt, whether this call closed it)."""
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().select_related("quiz").get(pk=attempt_id)
        if not attempt.is_open:
            return attempt, False  # submitted twice, or closed by the clock: graded once
        _grade(attempt)
        attempt.state = state
        attempt.finished_at = min(now, attempt.deadline) if attempt.deadline else now
        attempt.save(
            update_fields=["state", "finished_at", "marks", "max_marks", "score", "updated_at"]
        )
        result_update(employee_id=attempt.employee_id, quiz=attempt.quiz, now=now)
        from lms.interop.services import xapi_attempt_graded  # the app sits above this one

        xapi_attempt_graded(attempt=attempt)  # nothing unless an LRS is configured
    return attempt, True


def attempt_submit(*, actor: Employee, attempt: Attempt, now: dt.datetime | None = None) -> Attempt:
    """Submit and grade the attempt. Submitting twice grades once. Answers saved before the
    deadline count; one submitted after it closes the attempt as expired."""
    now = _now(now)
    if attempt.employee_id != actor.pk:
        raise PermissionDenied(_("Ini bukan percobaan Anda."))
    state = Attempt.State.SUBMITTED
    if attempt.deadline is not None and now > attempt.deadline:
        state = Attempt.State.EXPIRED
    finished, closed_now = _finish(attempt.pk, state=state, now=now)
    if closed_now:
        _after_result(actor, finished)
    return finished


def attempt_close(*, attempt: Attempt, now: dt.datetime | None = None) -> Attempt:
    """Close an attempt whose time ran out, graded as it stood at its deadline."""
    finished, closed_now = _finish(attempt.pk, state=Attempt.State.EXPIRED, now=_now(now))
    if closed_now:
        _after_result(finished.employee, finished)
    return finished


def attempts_close_expired(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Close and grade the attempts left open past their deadline (the periodic task)."""
    now = _now(now)
    ids = list(
        Attempt.objects.filter(state=Attempt.State.IN_PROGRESS, deadline__lt=now)
        .order_by("deadline")
        .values_list("pk", flat=True)[:limit]
    )
    for attempt in Attempt.objects.filter(pk__in=ids).select_related("employee"):
        attempt_close(attempt=attempt, now=now)
    return len(ids)


def _grade_of(quiz: Quiz, scores: Sequence[Decimal]) -> Decimal:
    if quiz.grading == Quiz.Grading.LAST:
        return scores[-1]
    if quiz.grading == Quiz.Grading.AVERAGE:
        return (sum(scores, Decimal("0")) / len(scores)).quantize(
            TWO_PLACES, rounding=ROUND_HALF_UP
        )
    return max(scores)


def result_update(
    *, employee_id: int, quiz: Quiz, now: dt.datetime | None = None
) -> QuizResult | None:
    """The learner's result on the quiz by its grading method over their finished attempts
    (the one row completion rules read)."""
    scores = [
        score
        for score in Attempt.objects.filter(quiz=quiz, employee_id=employee_id)
        .exclude(state=Attempt.State.IN_PROGRESS)
        .order_by("number")
        .values_list("score", flat=True)
        if score is not None
    ]
    if not scores:
        QuizResult.objects.filter(quiz=quiz, employee_id=employee_id).delete()
        return None
    grade = _grade_of(quiz, scores)
    result, _created = QuizResult.objects.update_or_create(
        quiz=quiz, employee_id=employee_id,
        defaults={"score": grade, "passed": grade >= quiz.pass_mark, "graded_at": _now(now)},
    )  # fmt: skip
    return result


def _after_result(actor: Employee, attempt: Attempt) -> None:
    """A pass completes what it completes (modules requiring the quiz, a post-test)."""
    from lms.learning.services import quiz_passed

    result = QuizResult.objects.filter(quiz=attempt.quiz, employee=actor).first()
    if result is not None and result.passed:
        quiz_passed(actor=actor, quiz_id=attempt.quiz_id)


# --- Regrading --------------------------------------------------------------------------


def question_regrade(*, question: Question, now: dt.datetime | None = None) -> int:
    """After a question is fixed: every finished attempt that drew it takes the fixed key
    and is graded again, and the learners' results follow. Returns the attempts regraded."""
    now = _now(now)
    attempt_ids = set(
        AttemptQuestion.objects.filter(question=question)
        .exclude(attempt__state=Attempt.State.IN_PROGRESS)
        .values_list("attempt_id", flat=True)
    )
    touched: set[tuple[int, int]] = set()
    for attempt_id in sorted(attempt_ids):
        with transaction.atomic():
            attempt = Attempt.objects.select_for_update().select_related("quiz").get(pk=attempt_id)
            for slot in attempt.questions.filter(question=question):
                slot.data = question.data
                slot.question_version = question.version
                slot.save(update_fields=["data", "question_version"])
            _grade(attempt)
            attempt.save(update_fields=["marks", "max_marks", "score", "updated_at"])
            touched.add((attempt.employee_id, attempt.quiz_id))
    for employee_id, quiz_id in touched:
        quiz = Quiz.objects.get(pk=quiz_id)
        result = result_update(employee_id=employee_id, quiz=quiz, now=now)
        if result is not None and result.passed:
            from lms.learning.services import quiz_passed

            quiz_passed(actor=Employee.objects.get(pk=employee_id), quiz_id=quiz_id)
    return len(attempt_ids)


# --- Questions --------------------------------------------------------------------------

# What a question's texts may hold: the rich-text editor's features, nothing that runs. The
# editor stores images as <embed embedtype="image" id=…> and page links as
# <a linktype="page" id=…> (Wagtail expands them when the text is shown), so those stay.
ALLOWED_TAGS = {
    "p", "br", "b", "strong", "i", "em", "ol", "ul", "li", "a", "img", "embed", "code", "pre",
    "sup", "sub", "table", "thead", "tbody", "tr", "th", "td", "h2", "h3", "h4",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "linktype", "id"},
    "img": {"src", "alt", "width", "height"},
    "embed": {"embedtype", "id", "format", "alt"},
}
# Texts inside ``Question.data`` that are shown as HTML (options, their feedback).
HTML_KEYS = ("text", "feedback", "feedback_true", "feedback_false", "prompt", "answer")


def clean_html(text: str) -> str:
    """Question HTML as it may be shown to learners: imported files ([html] in GIFT) and
    hand-written keys can carry scripts and event handlers; they are removed here."""
    return nh3.clean(
        text, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https"},
        link_rel="noopener noreferrer",
    )  # fmt: skip


def _clean_data(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: clean_html(v) if k in HTML_KEYS and isinstance(v, str) else _clean_data(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_clean_data(v) for v in value]
    return value


def _clean_question(question: Question) -> None:
    question.stem = clean_html(question.stem)
    question.general_feedback = clean_html(question.general_feedback)
    question.data = _clean_data(question.data)


def question_save(*, question: Question) -> Question:
    """Save a question after checking its key; an edit of the key bumps its version."""
    _clean_question(question)
    question.full_clean()
    if question.pk is not None:
        before = Question.objects.filter(pk=question.pk).values_list("data", flat=True).first()
        if before is not None and before != question.data:
            question.version += 1
    question.save()
    return question


def category_for(*, bank: QuestionBank, name: str | None) -> QuestionCategory | None:
    if not name:
        return None
    category, _created = QuestionCategory.objects.get_or_create(bank=bank, name=name[:255])
    return category


# --- Import and export ------------------------------------------------------------------

IMPORT_FORMATS = {
    "gift": gettext_lazy("Moodle GIFT (.txt, .gift)"),
    "aiken": gettext_lazy("Aiken (.txt)"),
    "xlsx": gettext_lazy("Templat Excel Sinau (.xlsx)"),
}


@dataclass(frozen=True)
class ImportReport:
    created: int
    errors: list[FormatError]

    @property
    def ok(self) -> bool:
        return not self.errors


def questions_import(*, bank: QuestionBank, content: bytes, fmt: str) -> ImportReport:
    """Import a file of questions into the bank: every entry, or none. Errors come back
    with the line (the row, for XLSX) and what to fix; then nothing is stored."""
    if fmt == "gift":
        parsed, errors = parse_gift(content)
    elif fmt == "aiken":
        parsed, errors = parse_aiken(content)
    elif fmt == "xlsx":
        parsed, errors = parse_xlsx(content)
    else:
        return ImportReport(0, [FormatError(0, _("Format berkas tidak dikenal."))])
    if errors:
        return ImportReport(0, errors)
    problems: list[FormatError] = []
    with transaction.atomic():
        for entry in parsed:
            question = Question(
                bank=bank, category=category_for(bank=bank, name=entry.category),
                kind=entry.kind, name=entry.name[:255], stem=entry.stem,
                general_feedback=entry.general_feedback, data=entry.data,
                default_mark=entry.default_mark or Decimal("1"),
            )  # fmt: skip
            try:
                question_save(question=question)
            except ValidationError as exc:
                problems.append(FormatError(entry.line, " ".join(exc.messages)))
        if problems:
            transaction.set_rollback(True)
            return ImportReport(0, problems)
    logger.info("questions imported", extra={"bank_id": bank.pk, "count": len(parsed)})
    return ImportReport(len(parsed), [])


def questions_export_gift(*, bank: QuestionBank) -> str:
    """The bank's questions as a GIFT file (categories as ``$CATEGORY`` lines)."""
    parts: list[str] = []
    category: str | None = None
    for question in bank.questions.select_related("category").order_by("category__name", "pk"):
        name = question.category.name if question.category else None
        if name != category and name:
            parts.append(f"$CATEGORY: {name}\n")
        category = name
        parts.append(to_gift([question]))
    return "\n".join(parts)
