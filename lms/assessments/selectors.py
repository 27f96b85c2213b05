"""Reads about quizzes: who may take one and where, what an attempt shows, results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import IntegerField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from wagtail.models import ReferenceIndex

from courses.models import CoursePage, ModulePage
from lms.people.models import Employee

from .models import Attempt, AttemptQuestion, Quiz, QuizResult

# Enrolments that open a course's modules (as in lms.learning.selectors.module_access).
TAKING_STATUSES = ("active", "completed")


def quizzes_passed(*, employee: Employee, quiz_ids: Iterable[int]) -> set[int]:
    """Of these quizzes, the ones the employee has a passing graded result for."""
    ids = set(quiz_ids)
    if not ids:
        return set()
    return set(
        QuizResult.objects.filter(employee=employee, quiz_id__in=ids, passed=True)
        .values_list("quiz_id", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class QuizUse:
    """Where a learner takes a quiz: a live module showing it, or a course's pre/post-test,
    in a live course they are enrolled in."""

    course: CoursePage
    module: ModulePage | None
    enrolment_id: int


def modules_showing(quiz: Quiz) -> QuerySet[ModulePage]:
    """Module pages whose stored body holds a block with this quiz, found through Wagtail's
    reference index (kept up to date on every page save)."""
    refs = (
        ReferenceIndex.get_references_to(quiz)
        .filter(content_type__app_label="courses", content_type__model="modulepage")
        .annotate(page_id=Cast("object_id", IntegerField()))
        .values("page_id")
    )
    return ModulePage.objects.filter(pk__in=refs)


def quiz_uses(*, employee: Employee, quiz: Quiz) -> list[QuizUse]:
    """The places the employee may take the quiz as a learner (empty: they may not)."""
    from lms.learning.models import Enrolment

    modules = list(modules_showing(quiz).filter(live=True).only("id", "path", "title"))
    parent_paths = {m.path[: -ModulePage.steplen]: m for m in modules}
    enrolments = (
        Enrolment.objects.filter(employee=employee, status__in=TAKING_STATUSES, course__live=True)
        .filter(
            Q(course__path__in=parent_paths) | Q(course__pre_test=quiz) | Q(course__post_test=quiz)
        )
        .select_related("course")
        .order_by("-created_at")
    )
    uses: list[QuizUse] = []
    seen: set[int] = set()
    for enrolment in enrolments:
        course = enrolment.course
        if course.pk in seen:
            continue  # the newest enrolment in a course speaks for it
        seen.add(course.pk)
        module = parent_paths.get(course.path)
        uses.append(QuizUse(course=course, module=module, enrolment_id=enrolment.pk))
    return uses


def attempts_of(*, employee: Employee, quiz: Quiz) -> QuerySet[Attempt]:
    return Attempt.objects.filter(employee=employee, quiz=quiz).order_by("number")


def open_attempt(*, employee: Employee, quiz: Quiz) -> Attempt | None:
    return Attempt.objects.filter(
        employee=employee, quiz=quiz, state=Attempt.State.IN_PROGRESS
    ).first()


def review_allowed(*, attempt: Attempt, now: dt.datetime | None = None) -> bool:
    """Whether the learner may see the key and the feedback of a finished attempt."""
    if attempt.is_open:
        return False
    quiz = attempt.quiz
    if quiz.review == Quiz.Review.AFTER_SUBMIT:
        return True
    if quiz.review == Quiz.Review.AFTER_CLOSE:
        return quiz.closes_at is not None and (now or timezone.now()) >= quiz.closes_at
    return False


def attempt_questions(*, attempt: Attempt) -> list[AttemptQuestion]:
    return list(attempt.questions.all())


def result_of(*, employee: Employee, quiz: Quiz) -> QuizResult | None:
    return QuizResult.objects.filter(employee=employee, quiz=quiz).first()


def attempt_summary(attempt: Attempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "state": attempt.state,
        "score": attempt.score,
        "started_at": attempt.started_at,
        "finished_at": attempt.finished_at,
    }


@dataclass(frozen=True)
class PrePostGain:
    """A course's pre-test and post-test results for one learner."""

    course: CoursePage
    pre: Decimal | None
    post: Decimal | None

    @property
    def difference(self) -> Decimal | None:
        if self.pre is None or self.post is None:
            return None
        return self.post - self.pre


def pre_post_gains(*, employee: Employee, quiz: Quiz, uses: Iterable[QuizUse]) -> list[PrePostGain]:
    """Pre-test → post-test for each course that pairs this quiz with another (one query)."""
    courses = [
        use.course
        for use in uses
        if use.course.pre_test_id
        and use.course.post_test_id
        and quiz.pk in (use.course.pre_test_id, use.course.post_test_id)
    ]
    if not courses:
        return []
    ids = {c.pre_test_id for c in courses} | {c.post_test_id for c in courses}
    scores = dict(
        QuizResult.objects.filter(employee=employee, quiz_id__in=ids).values_list(
            "quiz_id", "score"
        )
    )
    return [
        PrePostGain(course=c, pre=scores.get(c.pre_test_id), post=scores.get(c.post_test_id))
        for c in courses
    ]


def question_count(quiz: Quiz) -> int:
    """How many questions an attempt draws (fixed ones once, plus each draw's count)."""
    rules = list(quiz.rules.values_list("question_id", "draw_count"))
    fixed = {question_id for question_id, _count in rules if question_id is not None}
    return len(fixed) + sum(count for question_id, count in rules if question_id is None)
