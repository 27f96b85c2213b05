"""Reads for evaluations: who may evaluate what, the questions a form asks, and the
results, aggregated. Results never carry a person who answered: responses have none, and
receipts (who answered) are only read to know what is still due."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.learning.models import Enrolment
from lms.people.models import Employee

from ..models import (
    Attendance,
    Cohort,
    EvaluationAnswer,
    EvaluationReceipt,
    EvaluationResponse,
    Questionnaire,
    QuestionnaireItem,
    Session,
)

# How long after an angkatan ends (or an open session starts) the dashboard reminds the
# learner to evaluate it; the form itself stays open after that.
DUE_DAYS = 30
DUE_LIMIT = 10
ADMITTED = (Enrolment.Status.ACTIVE, Enrolment.Status.COMPLETED)
LIKERT = QuestionnaireItem.Kind.LIKERT
COMMENT = QuestionnaireItem.Kind.COMMENT


def min_responses() -> int:
    return int(settings.SINAU_EVALUATION_MIN_RESPONSES)


def mean(value: float | Decimal | None) -> Decimal | None:
    """A mean score to two decimals (half up), the way results are shown and exported."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- The form ---------------------------------------------------------------------------


def question_key(item_id: int, instructor_id: int | None = None) -> str:
    return f"q{item_id}" if instructor_id is None else f"q{item_id}_{instructor_id}"


@dataclass(frozen=True)
class Question:
    key: str
    item: QuestionnaireItem
    instructor: Employee | None = None


@dataclass
class EvaluationForm:
    """The questions, in order: the course's once, then each instructor's once per
    instructor."""

    questionnaire: Questionnaire
    course_questions: list[Question]
    instructor_sections: list[tuple[Employee, list[Question]]] = field(default_factory=list)

    @property
    def questions(self) -> list[Question]:
        return [
            *self.course_questions,
            *(q for _instructor, qs in self.instructor_sections for q in qs),
        ]


def chosen_questionnaire(
    *, cohort: Cohort | None = None, session: Session | None = None
) -> Questionnaire | None:
    """The questionnaire the angkatan or the session's programme names, if any."""
    if cohort is not None:
        return cohort.questionnaire
    if session is not None and session.series is not None:
        return session.series.questionnaire
    return None


def instructors_for(*, cohort: Cohort | None = None, session: Session | None = None) -> list[Any]:
    """Who is evaluated: the angkatan's instructors and those of its sessions; a session's
    instructor (or its programme's)."""
    if cohort is not None:
        return list(
            Employee.objects.filter(
                Q(cohorts_taught=cohort)
                | Q(sessions_taught__cohort=cohort, sessions_taught__cancelled_at__isnull=True)
            )
            .distinct()
            .order_by("full_name", "pk")
        )
    assert session is not None
    if session.instructor is not None:
        return [session.instructor]
    if session.series is not None and session.series.instructor is not None:
        return [session.series.instructor]
    return []


def evaluation_form(
    *, questionnaire: Questionnaire, cohort: Cohort | None = None, session: Session | None = None
) -> EvaluationForm:
    items = list(questionnaire.items.order_by("sort_order", "pk"))
    about_course = [i for i in items if i.about == QuestionnaireItem.About.COURSE]
    about_instructor = [i for i in items if i.about == QuestionnaireItem.About.INSTRUCTOR]
    form = EvaluationForm(
        questionnaire=questionnaire,
        course_questions=[Question(question_key(i.pk), i) for i in about_course],
    )
    if about_instructor:
        for person in instructors_for(cohort=cohort, session=session):
            form.instructor_sections.append(
                (
                    person,
                    [Question(question_key(i.pk, person.pk), i, person) for i in about_instructor],
                )
            )
    return form


# --- Who may evaluate -------------------------------------------------------------------


def evaluation_refusal(
    *,
    employee: Employee,
    cohort: Cohort | None = None,
    session: Session | None = None,
    now: dt.datetime | None = None,
) -> str:
    """Why this person may not evaluate the angkatan or session ("" when they may)."""
    now = now or timezone.now()
    if cohort is not None:
        admitted = Enrolment.objects.filter(
            employee=employee, cohort=cohort, status__in=ADMITTED
        ).exists()
        if not admitted:
            return _("Evaluasi ini hanya untuk peserta %(cohort)s.") % {"cohort": cohort.name}
        begun = cohort.ends_on < timezone.localdate(now) or (
            cohort.sessions.filter(starts_at__lte=now, cancelled_at__isnull=True).exists()
        )
        if not begun:
            return _("Evaluasi angkatan ini dibuka setelah sesi pertamanya dimulai.")
        return ""
    assert session is not None
    if session.cohort_id is not None:
        return _("Sesi angkatan dievaluasi bersama angkatannya.")
    attended = Attendance.objects.filter(
        session=session, employee=employee, status__in=Attendance.ATTENDED
    ).exists()
    if not attended:
        return _("Evaluasi sesi ini hanya untuk peserta yang tercatat hadir.")
    return ""


def already_evaluated(
    *, employee: Employee, cohort: Cohort | None = None, session: Session | None = None
) -> bool:
    if cohort is not None:
        return EvaluationReceipt.objects.filter(employee=employee, cohort=cohort).exists()
    return EvaluationReceipt.objects.filter(employee=employee, session=session).exists()


@dataclass(frozen=True)
class DueEvaluation:
    kind: str  # "cohort" or "session"
    pk: int
    title: str
    subtitle: str
    when: dt.date


def evaluations_due(employee: Employee, now: dt.datetime | None = None) -> list[DueEvaluation]:
    """The angkatan and open sessions this person may evaluate and has not, recent ones
    first (those that ended within ``DUE_DAYS``), at most ``DUE_LIMIT`` of each. Two
    queries."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    cohorts = (
        Cohort.objects.filter(
            enrolments__employee=employee,
            enrolments__status__in=ADMITTED,
            ends_on__gte=today - dt.timedelta(days=DUE_DAYS),
        )
        .filter(
            Q(ends_on__lt=today)
            | Q(sessions__starts_at__lte=now, sessions__cancelled_at__isnull=True)
        )
        .exclude(
            pk__in=EvaluationReceipt.objects.filter(employee=employee, cohort__isnull=False).values(
                "cohort_id"
            )
        )
        .select_related("course")
        .distinct()
        .order_by("-ends_on", "pk")[:DUE_LIMIT]
    )
    sessions = (
        Session.objects.filter(
            cohort__isnull=True,
            cancelled_at__isnull=True,
            attendances__employee=employee,
            attendances__status__in=Attendance.ATTENDED,
            starts_at__lte=now,
            starts_at__gte=now - dt.timedelta(days=DUE_DAYS),
        )
        .exclude(
            pk__in=EvaluationReceipt.objects.filter(
                employee=employee, session__isnull=False
            ).values("session_id")
        )
        .order_by("-starts_at", "pk")[:DUE_LIMIT]
    )
    due = [DueEvaluation("cohort", c.pk, c.course.title, c.name, c.ends_on) for c in cohorts] + [
        DueEvaluation(
            "session",
            s.pk,
            s.title,
            "",
            timezone.localdate(s.starts_at),
        )
        for s in sessions
    ]
    return sorted(due, key=lambda d: d.when, reverse=True)


# --- Results for BKPSDM -----------------------------------------------------------------


def result_years() -> list[int]:
    years = set(EvaluationResponse.objects.values_list("year", flat=True).distinct())
    years.add(timezone.localdate().year)
    return sorted(years, reverse=True)


@dataclass
class ItemMean:
    text: str
    n: int
    mean: Decimal | None


@dataclass
class ResultRow:
    """One instructor's, or one angkatan's or session's, results."""

    key: Any
    label: str
    detail: str
    n: int
    mean: Decimal | None
    items: list[ItemMean] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    shown: bool = True


def _item_means(rows: Iterable[dict[str, Any]], key: str) -> dict[Any, list[ItemMean]]:
    grouped: dict[Any, list[ItemMean]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(ItemMean(row["item__text"], row["n"], mean(row["mean"])))
    return grouped


def instructor_results(*, year: int) -> QuerySet[Any]:
    """One row per evaluated instructor in the year: responses that rate them and their
    mean over every Likert answer about them (rows are dicts; see ``fill_instructors``)."""
    return (
        EvaluationAnswer.objects.filter(response__year=year, instructor__isnull=False)
        .values("instructor", "instructor__full_name", "instructor__nip")
        .annotate(n=Count("response", distinct=True), mean=Avg("score"))
        .order_by("instructor__full_name", "instructor")
    )


def fill_instructors(rows: Iterable[dict[str, Any]], *, year: int) -> list[ResultRow]:
    """The page's instructors with their per-item means: one query."""
    rows = list(rows)
    ids = [r["instructor"] for r in rows]
    per_item = _item_means(
        EvaluationAnswer.objects.filter(
            response__year=year, instructor_id__in=ids, item__kind=LIKERT, score__isnull=False
        )
        .values("instructor", "item", "item__text", "item__questionnaire", "item__sort_order")
        .annotate(n=Count("id"), mean=Avg("score"))
        .order_by("instructor", "item__questionnaire", "item__sort_order", "item"),
        "instructor",
    )
    return [
        ResultRow(
            key=r["instructor"],
            label=r["instructor__full_name"],
            detail=r["instructor__nip"],
            n=r["n"],
            mean=mean(r["mean"]),
            items=per_item.get(r["instructor"], []),
        )  # fmt: skip
        for r in rows
    ]


def target_results(*, year: int) -> QuerySet[Any]:
    """One row per evaluated angkatan or open session in the year: its responses and the
    mean of the Likert answers about the course or session."""
    return (
        EvaluationResponse.objects.filter(year=year)
        .values(
            "cohort",
            "cohort__name",
            "cohort__course__title",
            "session",
            "session__title",
            "session__starts_at",
        )  # fmt: skip
        .annotate(
            n=Count("id", distinct=True),
            mean=Avg(
                "answers__score",
                filter=Q(answers__item__about=QuestionnaireItem.About.COURSE),
            ),
        )
        .order_by("cohort__course__title", "cohort__name", "session__starts_at", "session")
    )


def _target_label(row: dict[str, Any], prefix: str = "") -> tuple[str, str]:
    if row[f"{prefix}cohort"] is not None:
        return row[f"{prefix}cohort__course__title"], row[f"{prefix}cohort__name"]
    starts = row[f"{prefix}session__starts_at"]
    when = timezone.localtime(starts).date().isoformat() if starts else ""
    return row[f"{prefix}session__title"], when


def _target_key(row: dict[str, Any], prefix: str = "") -> tuple[str, int]:
    if row[f"{prefix}cohort"] is not None:
        return ("cohort", row[f"{prefix}cohort"])
    return ("session", row[f"{prefix}session"])


def fill_targets(rows: Iterable[dict[str, Any]], *, year: int) -> list[ResultRow]:
    """The page's angkatan and sessions with their per-item means (course items): one
    query."""
    rows = list(rows)
    cohort_ids = [r["cohort"] for r in rows if r["cohort"] is not None]
    session_ids = [r["session"] for r in rows if r["session"] is not None]
    answers = (
        EvaluationAnswer.objects.filter(
            Q(response__cohort_id__in=cohort_ids) | Q(response__session_id__in=session_ids),
            response__year=year,
            item__about=QuestionnaireItem.About.COURSE,
            item__kind=LIKERT,
            score__isnull=False,
        )
        .values(
            "response__cohort",
            "response__session",
            "item",
            "item__text",
            "item__questionnaire",
            "item__sort_order",
        )  # fmt: skip
        .annotate(n=Count("id"), mean=Avg("score"))
        .order_by("item__questionnaire", "item__sort_order", "item")
    )
    per_item: dict[Any, list[ItemMean]] = defaultdict(list)
    for a in answers:
        per_item[_target_key(a, "response__")].append(
            ItemMean(a["item__text"], a["n"], mean(a["mean"]))
        )
    result = []
    for r in rows:
        label, detail = _target_label(r)
        key = _target_key(r)
        result.append(
            ResultRow(
                key=key,
                label=label,
                detail=detail,
                n=r["n"],
                mean=mean(r["mean"]),
                items=per_item.get(key, []),
            )  # fmt: skip
        )
    return result


def comment_list(*, year: int) -> QuerySet[Any]:
    """Every comment of the year with what it is about, never who wrote it; sorted by
    course or session, then instructor, then text (not in the order they came)."""
    return (
        EvaluationAnswer.objects.filter(response__year=year, item__kind=COMMENT)
        .exclude(comment="")
        .values(
            "comment",
            "item__text",
            "instructor__full_name",
            "response__cohort",
            "response__cohort__name",
            "response__cohort__course__title",
            "response__session",
            "response__session__title",
            "response__session__starts_at",
        )  # fmt: skip
        .order_by(
            "response__cohort__course__title",
            "response__cohort__name",
            "response__session__title",
            "response__session__starts_at",
            "instructor__full_name",
            "item__text",
            "comment",
        )  # fmt: skip
    )


def comment_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for r in rows:
        label, detail = _target_label(r, "response__")
        result.append(
            {
                "target": label,
                "detail": detail,
                "about": r["instructor__full_name"] or "",
                "item": r["item__text"],
                "comment": r["comment"],
            }  # fmt: skip
        )
    return result


# --- An instructor's own results ---------------------------------------------------------


def instructor_own_results(*, instructor: Employee) -> QuerySet[Any]:
    """The angkatan and sessions whose responses rate this instructor, recent first (dict
    rows; ``fill_own`` adds what may be shown)."""
    return (
        EvaluationResponse.objects.filter(answers__instructor=instructor)
        .values(
            "year",
            "cohort",
            "cohort__name",
            "cohort__course__title",
            "session",
            "session__title",
            "session__starts_at",
        )  # fmt: skip
        .distinct()
        .order_by("-year", "cohort__course__title", "cohort__name", "-session__starts_at")
    )


def fill_own(rows: Iterable[dict[str, Any]], *, instructor: Employee) -> list[ResultRow]:
    """Per angkatan or session: how many responded (all of them, the crowd each answer
    hides in) and, only when at least the minimum did, the means of the items about this
    instructor and the comments about them, sorted. Three queries."""
    rows = list(rows)
    cohort_ids = [r["cohort"] for r in rows if r["cohort"] is not None]
    session_ids = [r["session"] for r in rows if r["session"] is not None]
    of_targets = Q(response__cohort_id__in=cohort_ids) | Q(response__session_id__in=session_ids)
    counts = {
        _target_key(c): c["n"]
        for c in EvaluationResponse.objects.filter(
            Q(cohort_id__in=cohort_ids) | Q(session_id__in=session_ids)
        )
        .values("cohort", "session")
        .annotate(n=Count("id"))
        .order_by()
    }
    minimum = min_responses()
    shown = [k for k, n in counts.items() if n >= minimum]
    shown_q = Q(pk__in=[])
    for kind, pk in shown:
        shown_q |= Q(**{f"response__{kind}_id": pk})
    answers = (
        EvaluationAnswer.objects.filter(of_targets, shown_q, instructor=instructor)
        .values(
            "response__cohort",
            "response__session",
            "item",
            "item__text",
            "item__kind",
            "item__questionnaire",
            "item__sort_order",
        )  # fmt: skip
        .annotate(n=Count("id"), mean=Avg("score"))
        .filter(item__kind=LIKERT)
        .order_by("item__questionnaire", "item__sort_order", "item")
    )
    per_item: dict[Any, list[ItemMean]] = defaultdict(list)
    overall: dict[Any, list[tuple[int, float]]] = defaultdict(list)
    for a in answers:
        key = _target_key(a, "response__")
        per_item[key].append(ItemMean(a["item__text"], a["n"], mean(a["mean"])))
        overall[key].append((a["n"], a["mean"]))
    comments: dict[Any, list[str]] = defaultdict(list)
    for c in (
        EvaluationAnswer.objects.filter(of_targets, shown_q, instructor=instructor)
        .filter(item__kind=COMMENT)
        .exclude(comment="")
        .values("response__cohort", "response__session", "comment")
        .order_by("comment")
    ):
        comments[_target_key(dict(c), "response__")].append(c["comment"])
    result = []
    for r in rows:
        key = _target_key(r)
        label, detail = _target_label(r)
        n = counts.get(key, 0)
        weighted = overall.get(key, [])
        total = sum(count for count, _m in weighted)
        overall_mean = (
            mean(sum(Decimal(str(m)) * count for count, m in weighted) / total) if total else None
        )
        result.append(
            ResultRow(
                key=key,
                label=label,
                detail=detail,
                n=n,
                mean=overall_mean,
                items=per_item.get(key, []),
                comments=comments.get(key, []),
                shown=n >= minimum,
            )  # fmt: skip
        )
    return result
