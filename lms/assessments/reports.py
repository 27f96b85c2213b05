"""Reads behind the quiz reports in the admin: who may see which report, a quiz's results per
learner, one learner's attempts, the input of the item analysis, the pre/post-test gain.

Plain functions like the selectors; every page of rows costs a fixed number of queries (the
OPD of each learner on a page is looked up once for the whole page).

Who sees a quiz's results: superusers, holders of ``assessments.view_quizresult`` (BKPSDM
staff given it in the admin), auditors (they read everything and change nothing), and the
instructors of a course that uses the quiz, in a module or as its pre- or post-test. The
model permission on quizzes is not the key: instructors hold "change quiz" to author, and
that must not open every other course's results to them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    CharField,
    Count,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Cast
from wagtail.models import ReferenceIndex

from courses.models import CoursePage, ModulePage
from lms.people.models import Employee, OrgUnit
from lms.people.selectors import scope_for

from .models import Attempt, AttemptQuestion, Question, Quiz, QuizResult
from .scoring import normalise_text
from .selectors import modules_showing
from .statistics import ItemResponse, Sitting

TWO_PLACES = Decimal("0.01")
# Enrolments that never started do not make someone a learner of the course.
NOT_LEARNING = ("rejected",)


# --- Who may see what -------------------------------------------------------------------


def sees_all_results(user: Any) -> bool:
    """Superusers, holders of "view quiz result" and auditors see every quiz's reports.

    Kept on the user object: the menu and the view both ask, once per request."""
    cached = getattr(user, "_sinau_sees_all_results", None)
    if cached is not None:
        return bool(cached)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    answer = bool(
        user.is_superuser
        or user.has_perm("assessments.view_quizresult")
        or scope_for(user).everything
    )
    user._sinau_sees_all_results = answer
    return answer


def courses_using(quiz: Quiz) -> QuerySet[CoursePage]:
    """The courses that use the quiz: in a module's body, or as their pre- or post-test."""
    module_paths = modules_showing(quiz).values_list("path", flat=True)
    parents = {path[: -ModulePage.steplen] for path in module_paths}
    return CoursePage.objects.filter(
        Q(path__in=parents) | Q(pre_test=quiz) | Q(post_test=quiz)
    ).order_by("path")


def quiz_ids_taught(user: Any) -> set[int]:
    """The quizzes used by the courses the user teaches (three queries)."""
    courses = list(
        CoursePage.objects.filter(instructors=user).values_list(
            "path", "pre_test_id", "post_test_id"
        )
    )
    if not courses:
        return set()
    ids = {quiz_id for _path, *tests in courses for quiz_id in tests if quiz_id is not None}
    under = Q(pk__in=[])
    for path, *_tests in courses:
        under |= Q(path__startswith=path, depth=len(path) // ModulePage.steplen + 1)
    modules = ModulePage.objects.filter(under).annotate(key=Cast("pk", CharField())).values("key")
    refs = ReferenceIndex.objects.filter(
        content_type__app_label="courses",
        content_type__model="modulepage",
        object_id__in=modules,
        to_content_type=ContentType.objects.get_for_model(Quiz),
    ).values_list("to_object_id", flat=True)
    ids.update(int(ref) for ref in refs if ref.isdigit())
    return ids


def may_view_quiz(user: Any, quiz: Quiz) -> bool:
    if sees_all_results(user):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return courses_using(quiz).filter(instructors=user).exists()


def may_view_course(user: Any, course: CoursePage) -> bool:
    if sees_all_results(user):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return CoursePage.objects.filter(pk=course.pk, instructors=user).exists()


def may_regrade(user: Any, quiz: Quiz) -> bool:
    """A regrade rewrites scores: for those who see the quiz's results and may edit
    questions (auditors read only)."""
    return bool(user.has_perm("assessments.change_question")) and may_view_quiz(user, quiz)


def sees_any_report(user: Any) -> bool:
    if sees_all_results(user):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return CoursePage.objects.filter(instructors=user).exists()


def reportable_quizzes(user: Any) -> QuerySet[Quiz]:
    """The quizzes whose reports the user may open, with how many learners and finished
    attempts each has."""
    quizzes = Quiz.objects.all()
    if not sees_all_results(user):
        quizzes = quizzes.filter(pk__in=quiz_ids_taught(user))
    finished = ~Q(attempts__state=Attempt.State.IN_PROGRESS)
    return quizzes.annotate(
        learner_count=Count("attempts__employee", distinct=True),
        finished_count=Count("attempts", filter=finished, distinct=True),
    ).order_by("title", "pk")


def gain_courses(user: Any) -> QuerySet[CoursePage]:
    """Courses with both a pre-test and a post-test whose gain the user may see."""
    courses = CoursePage.objects.filter(pre_test__isnull=False, post_test__isnull=False)
    if not sees_all_results(user):
        courses = courses.filter(instructors=user)
    return courses.select_related("pre_test", "post_test").order_by("title", "pk")


# --- OPD of each learner ----------------------------------------------------------------


def opd_names(units: Iterable[OrgUnit | None]) -> dict[int, str]:
    """Unit id -> the name of the OPD it belongs to (the unit itself if it is one; its own
    name when it sits above every OPD, as BKPSDM staff at the Pemda do). One query."""
    known = [u for u in units if u is not None]
    step = OrgUnit.steplen
    prefixes = {u.path[: step * depth] for u in known for depth in range(1, u.depth + 1)}
    if not prefixes:
        return {}
    opds = dict(
        OrgUnit.objects.filter(path__in=prefixes, kind=OrgUnit.Kind.OPD).values_list("path", "name")
    )
    names: dict[int, str] = {}
    for unit in known:
        found = [opds[p] for d in range(unit.depth, 0, -1) if (p := unit.path[: step * d]) in opds]
        names[unit.pk] = found[0] if found else unit.name
    return names


def _two(value: Decimal | None) -> Decimal | None:
    # Scores read through a subquery come back unscaled on SQLite (100, not 100.00).
    return None if value is None else Decimal(value).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _opd_of(employee: Employee, names: dict[int, str]) -> str:
    return names.get(employee.org_unit_id or 0, "") if employee.org_unit_id else ""


# --- Results of a quiz ------------------------------------------------------------------


@dataclass(frozen=True)
class LearnerResult:
    employee: Employee
    opd: str
    attempts: int
    grade: Decimal | None  # by the quiz's grading method (QuizResult), None before grading
    passed: bool | None
    last_attempt_at: dt.datetime | None


def quiz_learners(quiz: Quiz) -> QuerySet[Employee]:
    """Everyone who attempted the quiz, annotated with their attempts and graded result."""
    result = QuizResult.objects.filter(quiz=quiz, employee=OuterRef("pk"))
    return (
        Employee.objects.filter(quiz_attempts__quiz=quiz)
        .annotate(
            attempt_count=Count("quiz_attempts"),
            last_attempt_at=Max("quiz_attempts__started_at"),
            grade=Subquery(result.values("score")[:1]),
            grade_passed=Subquery(result.values("passed")[:1]),
        )
        .select_related("org_unit")
        .order_by("full_name", "nip")
    )


def learner_results(employees: Sequence[Employee]) -> list[LearnerResult]:
    """Rows for a page of ``quiz_learners`` (one query for their OPDs)."""
    names = opd_names(e.org_unit for e in employees)
    return [
        LearnerResult(
            employee=e,
            opd=_opd_of(e, names),
            attempts=e.attempt_count,  # type: ignore[attr-defined]
            grade=_two(e.grade),  # type: ignore[attr-defined]
            passed=e.grade_passed,  # type: ignore[attr-defined]
            last_attempt_at=e.last_attempt_at,  # type: ignore[attr-defined]
        )
        for e in employees
    ]


def learner_results_all(quiz: Quiz, chunk: int = 500) -> Iterator[LearnerResult]:
    """Every learner's row, a chunk at a time (for the CSV download)."""
    learners = quiz_learners(quiz)
    start = 0
    while True:
        employees = list(learners[start : start + chunk])
        yield from learner_results(employees)
        if len(employees) < chunk:
            return
        start += chunk


def learner_attempts(quiz: Quiz, employee: Employee) -> list[Attempt]:
    """The learner's attempts on the quiz with their frozen questions (two queries)."""
    return list(
        Attempt.objects.filter(quiz=quiz, employee=employee)
        .prefetch_related("questions")
        .order_by("number")
    )


def quiz_learner(quiz: Quiz, employee_id: int) -> Employee | None:
    """The employee if they attempted the quiz."""
    return (
        Employee.objects.filter(pk=employee_id, quiz_attempts__quiz=quiz)
        .select_related("org_unit")
        .first()
    )


# --- Item analysis ----------------------------------------------------------------------


def response_key(kind: str, response: Any, *, case_sensitive: bool = False) -> str | None:
    """What a response counts as in the option distribution (None: left blank)."""
    if response is None or response == "" or response == [] or response == {}:
        return None
    if kind == Question.Kind.SINGLE:
        return str(response)
    if kind == Question.Kind.MULTIPLE:
        return ",".join(sorted(str(r) for r in response)) if isinstance(response, list) else None
    if kind == Question.Kind.TRUE_FALSE:
        return "benar" if response is True else "salah" if response is False else None
    if kind == Question.Kind.SHORT:
        return normalise_text(str(response), case_sensitive=case_sensitive) or None
    if kind == Question.Kind.NUMERIC:
        return normalise_text(str(response)) or None
    if kind == Question.Kind.MATCHING:
        if not isinstance(response, dict):
            return None
        return ";".join(f"{k}={response[k]}" for k in sorted(response)) or None
    return str(response)


def item_key(question_id: int | None, position: int) -> str:
    """Items are keyed by question id, so random draws still give per-question figures; a
    question deleted since keeps its slot's place."""
    return str(question_id) if question_id is not None else f"slot-{position}"


def analysis_sittings(quiz: Quiz) -> list[Sitting]:
    """The quiz's finished attempts as ``statistics.Sitting``s (two queries)."""
    finished = ~Q(state=Attempt.State.IN_PROGRESS)
    totals = {
        pk: (marks / max_marks if marks is not None and max_marks else Decimal("0"))
        for pk, marks, max_marks in Attempt.objects.filter(finished, quiz=quiz)
        .order_by("pk")
        .values_list("pk", "marks", "max_marks")
    }
    items: dict[int, dict[str, ItemResponse]] = {pk: {} for pk in totals}
    slots = (
        AttemptQuestion.objects.filter(attempt_id__in=list(totals))
        .order_by("attempt_id", "position")
        .values_list(
            "attempt_id", "question_id", "position", "kind", "fraction", "max_mark",
            "response", "data__case_sensitive",
        )
    )  # fmt: skip
    for attempt_id, question_id, position, kind, fraction, max_mark, response, case in slots:
        items[attempt_id][item_key(question_id, position)] = ItemResponse(
            fraction=fraction if fraction is not None else Decimal("0"),
            max_mark=max_mark,
            response_key=response_key(kind, response, case_sensitive=bool(case)),
        )
    return [Sitting(attempt_id=pk, total_fraction=t, items=items[pk]) for pk, t in totals.items()]


def quiz_question(quiz: Quiz, question_id: int) -> Question | None:
    """The question if the quiz holds it (a rule names it, or an attempt drew it)."""
    drawn = AttemptQuestion.objects.filter(attempt__quiz=quiz, question_id=question_id)
    return (
        Question.objects.filter(pk=question_id)
        .filter(Q(pk__in=quiz.rules.values("question_id")) | Q(pk__in=drawn.values("question_id")))
        .first()
    )


def attempts_to_regrade(question: Question) -> int:
    """How many finished attempts a regrade of the question would touch (in every quiz)."""
    return (
        Attempt.objects.filter(questions__question=question)
        .exclude(state=Attempt.State.IN_PROGRESS)
        .distinct()
        .count()
    )


# --- Pre/post-test gain -----------------------------------------------------------------


@dataclass(frozen=True)
class GainRow:
    employee: Employee
    opd: str
    pre: Decimal | None
    post: Decimal | None

    @property
    def gain(self) -> Decimal | None:
        if self.pre is None or self.post is None:
            return None
        return self.post - self.pre


@dataclass(frozen=True)
class GainSummary:
    learners: int  # with a result on either test
    paired: int  # with both
    mean_pre: Decimal | None
    mean_post: Decimal | None
    mean_gain: Decimal | None  # over the learners with both results


def gain_learners(course: CoursePage) -> QuerySet[Employee]:
    """The course's learners with a result on its pre- or post-test, with both scores."""
    if course.pre_test_id is None or course.post_test_id is None:
        return Employee.objects.none()
    enrolled = course.enrolments.exclude(status__in=NOT_LEARNING).values("employee_id")

    def score(quiz_id: int) -> Subquery:
        return Subquery(
            QuizResult.objects.filter(quiz_id=quiz_id, employee=OuterRef("pk")).values("score")[:1]
        )

    return (
        Employee.objects.filter(pk__in=enrolled)
        .annotate(pre_score=score(course.pre_test_id), post_score=score(course.post_test_id))
        .filter(Q(pre_score__isnull=False) | Q(post_score__isnull=False))
        .select_related("org_unit")
        .order_by("full_name", "nip")
    )


def gain_rows(employees: Sequence[Employee]) -> list[GainRow]:
    names = opd_names(e.org_unit for e in employees)
    return [
        GainRow(
            employee=e,
            opd=_opd_of(e, names),
            pre=_two(e.pre_score),  # type: ignore[attr-defined]
            post=_two(e.post_score),  # type: ignore[attr-defined]
        )
        for e in employees
    ]


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal("0")) / len(values)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def gain_summary(course: CoursePage) -> GainSummary:
    """Means over every learner of the course (one query), not just the page shown."""
    scores = [
        (_two(pre), _two(post))
        # Annotations the type checker cannot see through the QuerySet[Employee] type.
        for pre, post in gain_learners(course).values_list("pre_score", "post_score")  # type: ignore[misc]
    ]
    paired = [(pre, post) for pre, post in scores if pre is not None and post is not None]
    return GainSummary(
        learners=len(scores),
        paired=len(paired),
        mean_pre=_mean([pre for pre, _post in paired]),
        mean_post=_mean([post for _pre, post in paired]),
        mean_gain=_mean([post - pre for pre, post in paired]),
    )
