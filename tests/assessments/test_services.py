"""Attempts through the services: draws frozen, answers saved as given, the server's clock
enforced, submitting twice grading once, limits held under concurrency, grading methods,
regrades, and a pass completing the module and the course."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from courses.models import CoursePage, ModulePage
from lms.assessments import selectors, services
from lms.assessments.models import (
    Attempt,
    Question,
    QuestionBank,
    QuestionCategory,
    Quiz,
    QuizResult,
    QuizRule,
)
from lms.learning.models import Enrolment, ModuleProgress
from lms.people.models import Employee
from tests.assessments.conftest import KINDS, answer_all, right_answers
from tests.support import at_once

T0 = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_an_attempt_freezes_its_questions_and_resumes_anywhere(
    quiz: Quiz, enrolment: Enrolment, learner: Employee, questions: dict[str, Question]
) -> None:
    attempt = services.attempt_start(actor=learner, quiz=quiz, now=T0)
    slots = list(attempt.questions.all())
    assert [s.kind for s in slots] == list(KINDS)
    assert attempt.max_marks == len(KINDS)
    # The instructor edits a question meanwhile: the attempt keeps what it drew.
    single = questions["single"]
    single.data = {**single.data, "choices": [{**c, "fraction": 0} for c in single.data["choices"]]}
    single.stem = "<p>Diubah</p>"
    single.save()
    assert attempt.questions.get(kind="single").stem == KINDS["single"]["stem"]
    # Another device asks to start: the same attempt, with what was answered so far.
    services.attempt_answer(actor=learner, attempt=attempt, position=1, response="a", now=at(1))
    again = services.attempt_start(actor=learner, quiz=quiz, now=at(2))
    assert again.pk == attempt.pk
    assert again.questions.get(position=1).response == "a"


def test_all_right_passes_and_completes_the_module_and_the_course(
    quiz: Quiz, enrolment: Enrolment, learner: Employee, module: ModulePage
) -> None:
    attempt = services.attempt_start(actor=learner, quiz=quiz, now=T0)
    answer_all(attempt, learner, right_answers(), now=at(1))
    finished = services.attempt_submit(actor=learner, attempt=attempt, now=at(2))
    assert finished.state == Attempt.State.SUBMITTED
    assert finished.score == Decimal("100.00")
    result = QuizResult.objects.get(quiz=quiz, employee=learner)
    assert (result.score, result.passed) == (Decimal("100.00"), True)
    assert ModuleProgress.objects.get(enrolment=enrolment, module=module).completed_at
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.COMPLETED


def test_each_kind_is_scored_on_the_server_with_partial_credit(
    quiz: Quiz, enrolment: Enrolment, learner: Employee
) -> None:
    attempt = services.attempt_start(actor=learner, quiz=quiz, now=T0)
    answers = {kind: spec["wrong"] for kind, spec in KINDS.items()}
    answers["multiple"] = ["a", "c"]  # one right (+50), one wrong (-100): clamped to 0
    answers["matching"] = {"1": "Semarang", "2": "Bandung"}  # half the pairs
    answer_all(attempt, learner, answers, now=at(1))
    finished = services.attempt_submit(actor=learner, attempt=attempt, now=at(2))
    marks = {s.kind: s.mark for s in finished.questions.all()}
    assert marks == {
        "single": Decimal("0.00"), "multiple": Decimal("0.00"), "truefalse": Decimal("0.00"),
        "short": Decimal("0.00"), "numeric": Decimal("0.00"), "matching": Decimal("0.50"),
    }  # fmt: skip
    assert finished.score == Decimal("8.33")
    assert QuizResult.objects.get(quiz=quiz, employee=learner).passed is False


def test_bad_answers_are_refused_with_a_message_and_change_nothing(
    quiz: Quiz, enrolment: Enrolment, learner: Employee, pemda: dict[str, Any]
) -> None:
    attempt = services.attempt_start(actor=learner, quiz=quiz, now=T0)
    positions = {s.kind: s.position for s in attempt.questions.all()}
    bad: list[tuple[str, Any, str]] = [
        ("single", "z", "Pilih salah satu"),
        ("single", ["a"], "Pilih salah satu"),
        ("multiple", "a", "daftar pilihan"),
        ("multiple", ["a", "z"], "hanya dari pilihan"),
        ("truefalse", "benar", "benar atau salah"),
        ("short", "x" * 501, "terlalu panjang"),
        ("numeric", {"v": 1}, "berupa teks"),
        ("matching", {"9": "Semarang"}, "pernyataan yang ada"),
        ("matching", {"1": "Jakarta"}, "daftar yang ada"),
    ]
    for kind, response, message in bad:
        with pytest.raises(ValidationError, match=message):
            services.attempt_answer(
                actor=learner, attempt=attempt, position=positions[kind], response=response,
                now=at(1),
            )  # fmt: skip
    assert not attempt.questions.filter(answered_at__isnull=False).exists()
    with pytest.raises(ValidationError, match="tidak ada"):
        services.attempt_answer(actor=learner, attempt=attempt, position=99, response="a")
    with pytest.raises(PermissionDenied):
        services.attempt_answer(
            actor=pemda["staff_b"][0], attempt=attempt, position=1, response="a", now=at(1)
        )


def test_the_deadline_is_the_servers(
    quiz_with: Callable[..., Quiz],
    course_with: Callable[..., CoursePage],
    learner: Employee,
) -> None:
    quiz = quiz_with("single", "truefalse", time_limit_minutes=10, title="Kuis Berwaktu")
    course = course_with([("quiz", {"quiz": quiz, "required_to_pass": True})], title="Berwaktu")
    from lms.learning import services as learning

    learning.enrolment_request(actor=learner, course=course)
    attempt = services.attempt_start(actor=learner, quiz=quiz, now=T0)
    assert attempt.deadline == at(10)
    services.attempt_answer(actor=learner, attempt=attempt, position=1, response="a", now=at(9))
    # A second after the deadline: not saved, and the attempt is closed and graded as it was.
    with pytest.raises(services.TimeUp, match="Waktu habis"):
        services.attempt_answer(
            actor=learner,
            attempt=attempt,
            position=2,
            response=True,
            now=at(10) + dt.timedelta(seconds=1),
        )
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.EXPIRED
    assert attempt.finished_at == at(10)
    assert attempt.questions.get(position=2).response is None
    assert attempt.score == Decimal("50.00")
    # Submitting after that changes nothing.
    again = services.attempt_submit(actor=learner, attempt=attempt, now=at(11))
    assert (again.state, again.score) == (Attempt.State.EXPIRED, Decimal("50.00"))


def test_an_attempt_left_open_is_closed_and_graded_at_its_deadline(
    quiz_with: Callable[..., Quiz], course_with: Callable[..., CoursePage], learner: Employee
) -> None:
    quiz = quiz_with("single", time_limit_minutes=5, title="Kuis Lima Menit")
    course = course_with([("quiz", {"quiz": quiz, "required_to_pass": True})], title="Lima")
    from lms.learning import services as learning

    learning.enrolment_request(actor=learner, course=course)
    attempt = services.attempt_start(actor=learner, quiz=quiz, now=T0)
    services.attempt_answer(actor=learner, attempt=attempt, position=1, response="a", now=at(2))
    assert services.attempts_close_expired(now=at(4)) == 0
    assert services.attempts_close_expired(now=at(6)) == 1
    attempt.refresh_from_db()
    assert (attempt.state, attempt.score, attempt.finished_at) == (
        Attempt.State.EXPIRED, Decimal("100.00"), at(5),
    )  # fmt: skip
    assert QuizResult.objects.get(quiz=quiz, employee=learner).passed is True
    assert services.attempts_close_expired(now=at(7)) == 0


def test_attempt_limit_and_grading_methods(
    quiz_with: Callable[..., Quiz], course_with: Callable[..., CoursePage], learner: Employee
) -> None:
    quiz = quiz_with("single", "truefalse", max_attempts=3, grading=Quiz.Grading.HIGHEST)
    course = course_with([("quiz", {"quiz": quiz, "required_to_pass": False})], title="Tiga")
    from lms.learning import services as learning

    learning.enrolment_request(actor=learner, course=course)
    rounds: list[dict[str, Any]] = [
        {"single": "a", "truefalse": True}, {"single": "a"}, {"truefalse": False},
    ]  # fmt: skip
    for minute, answers in enumerate(rounds):
        attempt = services.attempt_start(actor=learner, quiz=quiz, now=at(10 * minute))
        answer_all(attempt, learner, answers, now=at(10 * minute + 1))
        services.attempt_submit(actor=learner, attempt=attempt, now=at(10 * minute + 2))
    scores = list(Attempt.objects.filter(quiz=quiz).values_list("score", flat=True))
    assert scores == [Decimal("100.00"), Decimal("50.00"), Decimal("0.00")]
    with pytest.raises(ValidationError, match="semua 3 percobaan"):
        services.attempt_start(actor=learner, quiz=quiz, now=at(40))
    expected = {
        Quiz.Grading.HIGHEST: Decimal("100.00"),
        Quiz.Grading.LAST: Decimal("0.00"),
        Quiz.Grading.AVERAGE: Decimal("50.00"),
    }
    for grading, score in expected.items():
        Quiz.objects.filter(pk=quiz.pk).update(grading=grading)
        quiz.refresh_from_db()
        result = services.result_update(employee_id=learner.pk, quiz=quiz)
        assert result is not None
        assert result.score == score


def test_draw_rules_take_distinct_questions_and_freeze_them(
    bank: QuestionBank,
    course_with: Callable[..., CoursePage],
    learner: Employee,
    pemda: dict[str, Any],
) -> None:
    pool = QuestionCategory.objects.create(bank=bank, name="Kumpulan")
    for number in range(10):
        Question.objects.create(
            bank=bank, category=pool, kind="truefalse", stem=f"<p>Pernyataan {number}</p>",
            data={"correct": number % 2 == 0},
        )  # fmt: skip
    quiz = Quiz.objects.create(title="Kuis Acak")
    QuizRule.objects.create(quiz=quiz, category=pool, draw_count=4, sort_order=0)
    course = course_with([("quiz", {"quiz": quiz, "required_to_pass": False})], title="Acak")
    from lms.learning import services as learning

    draws = set()
    for person in [learner, *pemda["staff_a"][1:4]]:
        learning.enrolment_request(actor=person, course=course)
        attempt = services.attempt_start(actor=person, quiz=quiz, now=T0)
        drawn = [s.question_id or 0 for s in attempt.questions.all()]
        assert len(drawn) == len(set(drawn)) == 4
        assert set(drawn) <= set(pool.questions.values_list("pk", flat=True))
        draws.add(tuple(sorted(drawn)))
        # Frozen: asking again (resume) gives the same questions.
        again = services.attempt_start(actor=person, quiz=quiz, now=at(1))
        assert [s.question_id for s in again.questions.all()] == drawn
    assert len(draws) > 1  # four learners, 210 possible draws: not all the same
    QuizRule.objects.filter(quiz=quiz).update(draw_count=11)
    stranger = pemda["staff_b"][0]
    learning.enrolment_request(actor=stranger, course=course)
    with pytest.raises(ValidationError, match="berisi 10 soal, padahal diambil 11"):
        services.attempt_start(actor=stranger, quiz=quiz, now=T0)


def test_whoever_is_not_enrolled_may_not_start(
    quiz: Quiz, course: CoursePage, pemda: dict[str, Any]
) -> None:
    with pytest.raises(PermissionDenied):
        services.attempt_start(actor=pemda["staff_b"][0], quiz=quiz)
    assert not Attempt.objects.exists()


def test_regrade_after_a_question_is_fixed(
    quiz: Quiz, enrolment: Enrolment, learner: Employee, questions: dict[str, Question]
) -> None:
    attempt = services.attempt_start(actor=learner, quiz=quiz, now=T0)
    answers = right_answers()
    answers["single"] = "b"  # the key said "a"; the instructor finds "b" was right too
    answer_all(attempt, learner, answers, now=at(1))
    services.attempt_submit(actor=learner, attempt=attempt, now=at(2))
    assert QuizResult.objects.get(quiz=quiz, employee=learner).score == Decimal("83.33")
    single = questions["single"]
    single.data = {
        "choices": [
            {**c, "fraction": 100 if c["id"] in "ab" else 0} for c in single.data["choices"]
        ]
    }
    services.question_save(question=single)
    assert single.version == 2
    assert services.question_regrade(question=single, now=at(60)) == 1
    attempt.refresh_from_db()
    assert attempt.score == Decimal("100.00")
    assert attempt.questions.get(kind="single").question_version == 2
    assert QuizResult.objects.get(quiz=quiz, employee=learner).score == Decimal("100.00")


def test_review_follows_the_quiz_policy(
    quiz: Quiz, enrolment: Enrolment, learner: Employee
) -> None:
    attempt = services.attempt_start(actor=learner, quiz=quiz, now=T0)
    assert selectors.review_allowed(attempt=attempt) is False  # never while open
    services.attempt_submit(actor=learner, attempt=attempt, now=at(1))
    attempt.refresh_from_db()
    assert selectors.review_allowed(attempt=attempt) is True
    Quiz.objects.filter(pk=quiz.pk).update(review=Quiz.Review.NEVER)
    attempt.quiz.refresh_from_db()
    assert selectors.review_allowed(attempt=attempt) is False
    Quiz.objects.filter(pk=quiz.pk).update(review=Quiz.Review.AFTER_CLOSE, closes_at=at(30))
    attempt.quiz.refresh_from_db()
    assert selectors.review_allowed(attempt=attempt, now=at(29)) is False
    assert selectors.review_allowed(attempt=attempt, now=at(30)) is True


# --- concurrency (PostgreSQL) -----------------------------------------------------------


@pytest.mark.postgres
def test_concurrent_starts_and_submits_respect_the_limit_and_grade_once(
    transactional_db: None,
    quiz_with: Callable[..., Quiz],
    course_with: Callable[..., CoursePage],
    learner: Employee,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (set DATABASE_URL)")
    quiz = quiz_with("single", "truefalse", max_attempts=2, title="Kuis Dua Kali")
    course = course_with([("quiz", {"quiz": quiz, "required_to_pass": True})], title="Dua")
    from lms.learning import services as learning

    learning.enrolment_request(actor=learner, course=course)
    first = services.attempt_start(actor=learner, quiz=quiz)
    answer_all(first, learner, right_answers())
    # Eight submits at once (double clicks, retries): graded once.
    results, failures = at_once(8, lambda _i: services.attempt_submit(actor=learner, attempt=first))
    assert not failures, failures
    assert {a.pk for a in results} == {first.pk}
    assert Attempt.objects.get(pk=first.pk).score == Decimal("100.00")
    assert QuizResult.objects.filter(quiz=quiz, employee=learner).count() == 1
    # Eight starts at once with one attempt left: one attempt, shared by all eight.
    results, failures = at_once(8, lambda _i: services.attempt_start(actor=learner, quiz=quiz))
    assert not failures, failures
    assert len({a.pk for a in results}) == 1
    assert Attempt.objects.filter(quiz=quiz, employee=learner).count() == 2
    second = results[0]
    services.attempt_submit(actor=learner, attempt=second)
    results, failures = at_once(4, lambda _i: services.attempt_start(actor=learner, quiz=quiz))
    assert results == []
    assert all(isinstance(f, ValidationError) for f in failures)
    assert Attempt.objects.filter(quiz=quiz, employee=learner).count() == 2


def test_the_open_attempt_is_one_per_learner_even_without_a_limit(
    quiz: Quiz, enrolment: Enrolment, learner: Employee
) -> None:
    attempt = services.attempt_start(actor=learner, quiz=quiz, now=T0)
    assert Attempt.objects.filter(state=Attempt.State.IN_PROGRESS).count() == 1
    services.attempt_submit(actor=learner, attempt=attempt, now=at(1))
    second = services.attempt_start(actor=learner, quiz=quiz, now=at(2))
    assert second.number == 2
    assert second.started_at == at(2)
    assert timezone.is_aware(second.started_at)


# --- import -----------------------------------------------------------------------------

FILES = __import__("pathlib").Path(__file__).parent / "files"


def test_an_import_with_a_bad_entry_stores_nothing_and_says_where(bank: QuestionBank) -> None:
    report = services.questions_import(
        bank=bank, content=(FILES / "mixed.gift.txt").read_bytes(), fmt="gift"
    )
    assert report.created == 0
    assert not report.ok
    assert all(error.line > 0 for error in report.errors)
    assert not Question.objects.filter(bank=bank).exists()
    report = services.questions_import(
        bank=bank, content=(FILES / "mixed.aiken.txt").read_bytes(), fmt="aiken"
    )
    assert report.created == 0
    assert not Question.objects.filter(bank=bank).exists()


def test_a_good_import_stores_every_entry_with_its_html_made_safe(bank: QuestionBank) -> None:
    gift = (
        "$CATEGORY: Integritas\n\n"
        "::Gratifikasi::[html]<p onclick='x()'>Gratifikasi wajib dilaporkan ke"
        "<script>alert(1)</script></p> {\n=KPK#<img src=x onerror=y>Tepat\n~Polisi\n}\n\n"
        "::JP::Satu JP berapa menit? {#45}\n"
    )
    report = services.questions_import(bank=bank, content=gift.encode(), fmt="gift")
    assert (report.created, report.errors) == (2, [])
    first, second = Question.objects.filter(bank=bank).order_by("pk")
    assert first.category is not None
    assert first.category.name == "Integritas"
    assert "<script" not in first.stem
    assert "onclick" not in first.stem
    assert "Gratifikasi wajib dilaporkan" in first.stem
    feedback = [c["feedback"] for c in first.data["choices"]]
    assert not any("onerror" in f for f in feedback)
    assert second.kind == Question.Kind.NUMERIC
    # And back out: the export reads in again as the same questions.
    exported = services.questions_export_gift(bank=bank)
    other = QuestionBank.objects.create(title="Salinan")
    assert services.questions_import(bank=other, content=exported.encode(), fmt="gift").ok
    assert [q.kind for q in other.questions.order_by("pk")] == ["single", "numeric"]
    assert other.questions.filter(category__name="Integritas").count() == 2  # GIFT: until the next


def test_an_unknown_format_is_refused(bank: QuestionBank) -> None:
    report = services.questions_import(bank=bank, content=b"x", fmt="docx")
    assert report.errors[0].message == "Format berkas tidak dikenal."


def test_question_html_keeps_the_editors_images_and_page_links(bank: QuestionBank) -> None:
    """The rich-text editor stores images and page links in Wagtail's own tags: they stay;
    scripts and javascript: links go."""
    question = Question(
        bank=bank, kind="truefalse", data={"correct": True},
        stem='<p>Lihat <a linktype="page" id="3">pedoman</a></p>'
        '<embed embedtype="image" id="5" format="fullwidth" alt="Bagan"/>'
        '<p><a href="javascript:alert(1)">klik</a><script>alert(2)</script></p>',
    )  # fmt: skip
    services.question_save(question=question)
    question.refresh_from_db()
    assert '<a linktype="page" id="3"' in question.stem
    assert '<embed embedtype="image" id="5" format="fullwidth" alt="Bagan">' in question.stem
    assert "javascript:" not in question.stem
    assert "<script" not in question.stem
