"""The demo's quizzes: a bank with every kind of question, a timed graded quiz in the sample
course's last module, a pre-test and post-test; all found again on a second run."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from wagtail.models import Revision

from courses.models import CoursePage
from lms.assessments import scoring, services
from lms.assessments.demo import QUIZ_TITLE, seed_demo_quizzes
from lms.assessments.models import Question, QuestionBank, Quiz, QuizRule
from lms.assessments.selectors import quiz_uses
from lms.learning import services as learning


def _counts() -> dict[str, int]:
    return {
        "banks": QuestionBank.objects.count(),
        "questions": Question.objects.count(),
        "quizzes": Quiz.objects.count(),
        "rules": QuizRule.objects.count(),
        "revisions": Revision.objects.count(),
    }


def test_seeding_twice_creates_nothing_twice(home: CoursePage) -> None:
    first = seed_demo_quizzes(course=home)
    counts = _counts()
    assert seed_demo_quizzes(course=home) == first
    assert _counts() == counts
    assert counts["banks"] == 1
    assert counts["quizzes"] == 3


def test_the_bank_has_every_kind_and_every_key_scores_full_marks(home: CoursePage) -> None:
    seed_demo_quizzes(course=home)
    bank = QuestionBank.objects.get(title="Bank Soal Integritas ASN")
    assert bank.course is None  # shared
    questions = list(bank.questions.all())
    assert len(questions) == 8
    assert {q.kind for q in questions} == set(Question.Kind.values)
    for question in questions:
        scoring.validate(question.kind, question.data)
        right = scoring.correct_response(question.kind, question.data)
        assert scoring.score(question.kind, question.data, right) == 1, question.name
    multiple = next(q for q in questions if q.kind == Question.Kind.MULTIPLE)
    assert multiple.data["rule"] == "sum"
    everything = [c["id"] for c in multiple.data["choices"]]
    assert scoring.score("multiple", multiple.data, everything) < 1  # ticking all does not pay


def test_the_graded_quiz_is_timed_and_required_in_the_last_module(
    home: CoursePage, pemda: dict[str, Any]
) -> None:
    quiz = seed_demo_quizzes(course=home)
    assert quiz.title == QUIZ_TITLE
    assert (quiz.kind, quiz.time_limit_minutes, quiz.max_attempts) == ("graded", 10, 3)
    assert quiz.pass_mark == Decimal("70")
    assert quiz.layout == Quiz.Layout.ONE_PER_PAGE
    kinds = [rule.question.kind for rule in quiz.rules.select_related("question") if rule.question]
    assert sorted(kinds) == sorted(Question.Kind.values)

    *others, last = home.modules()
    assert [b.block_type for b in last.body] == ["text", "quiz"]
    assert last.quiz_ids() == {quiz.pk}
    assert not any(m.quiz_ids() for m in others)
    assert not last.has_unpublished_changes

    # Published, so Wagtail's reference index tells the quiz where it is used.
    learner = pemda["learner"]
    enrolment = learning.enrolment_request(actor=learner, course=home)
    [use] = quiz_uses(employee=learner, quiz=quiz)
    assert (use.course.pk, use.module.pk if use.module else None) == (home.pk, last.pk)

    # The course completes when the quiz is passed, the other modules being done.
    for module in others:
        learning.module_mark_done(actor=learner, enrolment=enrolment, module=module)
    attempt = services.attempt_start(actor=learner, quiz=quiz)
    for slot in attempt.questions.all():
        services.attempt_answer(
            actor=learner, attempt=attempt, position=slot.position,
            response=scoring.correct_response(slot.kind, slot.data),
        )  # fmt: skip
    assert services.attempt_submit(actor=learner, attempt=attempt).score == Decimal("100")
    enrolment.refresh_from_db()
    assert enrolment.status == enrolment.Status.COMPLETED


def test_the_course_has_a_pre_test_and_a_post_test_from_the_bank(home: CoursePage) -> None:
    seed_demo_quizzes(course=home)
    course = CoursePage.objects.get(pk=home.pk)
    assert course.pre_test is not None
    assert course.post_test is not None
    assert (course.pre_test.kind, course.post_test.kind) == ("pre_test", "post_test")
    assert course.pre_test.review == Quiz.Review.NEVER  # the post-test draws the same bank
    for test in (course.pre_test, course.post_test):
        rules = list(test.rules.select_related("category__bank"))
        assert all(
            r.category and r.category.bank.title == "Bank Soal Integritas ASN" for r in rules
        )
        assert sum(r.draw_count for r in rules) == 5
    # Saved through a revision: the next edit in the admin starts from it.
    latest = course.get_latest_revision_as_object()
    assert (latest.pre_test_id, latest.post_test_id) == (course.pre_test_id, course.post_test_id)
