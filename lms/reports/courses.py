"""Course reports: who enrolled in each course, who completed it, how they scored, where
they stopped. Every figure counts only the learners in the viewer's scope (an OPD admin's
subtree; everyone for auditors and superusers), whatever filter or course is asked for.

The figures are grouped counts and averages computed by the database: a page costs the
same handful of queries for ten learners or a hundred thousand.

Definitions (the page says them too):
- *learners*: distinct employees with an enrolment that was admitted (active, completed or
  withdrawn; pending requests and rejections are not learning); with a year, enrolments
  made in that year (Asia/Jakarta), however long they took to finish;
- *completed*: of those learners, the ones whose enrolment is completed; the *rate* is
  completed / learners;
- *average quiz score*: the mean of the learners' graded results (``QuizResult``, 0-100)
  on the course's quizzes: those shown in its modules and its post-test (the pre-test
  measures what they knew before, so it is left out);
- *pre/post-test*: over the learners with a result on both, the mean pre-test, the mean
  post-test and the mean gain (post - pre), as the quiz reports compute it
  (``lms.assessments.reports.gain_summary``), per course and within scope;
- *drop-off*: per module, in the course's order, how many learners opened it and how many
  completed it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import ReferenceIndex

from courses.models import CoursePage, ModulePage
from lms.assessments.models import Quiz, QuizResult
from lms.learning.models import Enrolment, ModuleProgress
from lms.people.models import OrgUnit
from lms.people.selectors import Scope

TWO_PLACES = Decimal("0.01")
ONE_PLACE = Decimal("0.1")
# Admitted to the course: pending requests and rejections never started learning.
LEARNING_STATUSES = (
    Enrolment.Status.ACTIVE,
    Enrolment.Status.COMPLETED,
    Enrolment.Status.WITHDRAWN,
)


# --- Filters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseFilters:
    """What the viewer narrowed the figures to; the scope is applied on top, always."""

    year: int | None = None
    org_unit: OrgUnit | None = None


def unit_choices(*, scope: Scope) -> QuerySet[OrgUnit]:
    """The units the viewer may filter by: the OPDs in their scope, and the roots of their
    scope themselves (an admin of one bidang has no OPD below them)."""
    if not scope.is_admin_scope:
        return OrgUnit.objects.none()
    units = OrgUnit.objects.filter(scope.unit_q())
    if scope.everything:
        return units.filter(kind=OrgUnit.Kind.OPD).order_by("name", "path")
    return units.filter(Q(kind=OrgUnit.Kind.OPD) | Q(path__in=scope.unit_paths)).order_by(
        "name", "path"
    )


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The year in the Pemda's time zone, as a range the (course, status) index can use."""
    zone = timezone.get_current_timezone()
    return (
        dt.datetime(year, 1, 1, tzinfo=zone),
        dt.datetime(year + 1, 1, 1, tzinfo=zone),
    )


def learning_enrolments(*, scope: Scope, filters: CourseFilters) -> QuerySet[Enrolment]:
    """The enrolments every figure is computed from: admitted ones, of learners in scope,
    narrowed by the filters. Nothing outside the scope can be asked for: the scope's own
    condition is always there, a filter only narrows it further."""
    if not scope.is_admin_scope:
        return Enrolment.objects.none()
    qs = Enrolment.objects.filter(status__in=LEARNING_STATUSES).filter(
        scope.unit_q("employee__org_unit__")
    )
    if filters.org_unit is not None:
        qs = qs.filter(filters.org_unit.subtree_filter("employee__org_unit__"))
    if filters.year:
        start, end = _year_bounds(filters.year)
        qs = qs.filter(created_at__gte=start, created_at__lt=end)
    return qs


def _latest_per_learner(enrolments: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
    """One enrolment per learner and course (the newest of those chosen), so that a learner
    who enrolled twice weighs once in the score averages (results are per learner)."""
    newer = enrolments.filter(
        employee_id=OuterRef("employee_id"), course_id=OuterRef("course_id"), pk__gt=OuterRef("pk")
    )
    return enrolments.filter(~Exists(newer))


# --- Figures ----------------------------------------------------------------------------


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def _two(value: Any) -> Decimal | None:
    # SQLite answers an average as a float and PostgreSQL as a long Decimal: both are
    # brought to the two places every score is shown with.
    if value is None:
        return None
    return Decimal(str(value)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass
class CourseFigures:
    course_id: int
    title: str = ""
    live: bool = True
    learners: int = 0
    completed: int = 0
    withdrawn: int = 0
    avg_score: Decimal | None = None
    scored: int = 0  # quiz results behind avg_score
    has_pre_post: bool = False
    paired: int = 0  # learners with both a pre-test and a post-test result
    mean_pre: Decimal | None = None
    mean_post: Decimal | None = None
    mean_gain: Decimal | None = None

    @property
    def rate(self) -> Decimal | None:
        return _rate(self.completed, self.learners)

    @property
    def in_progress(self) -> int:
        return self.learners - self.completed - self.withdrawn


def course_quiz_ids(courses: Sequence[CoursePage]) -> dict[int, set[int]]:
    """Each course's scored quizzes: the quizzes shown in its modules (found through
    Wagtail's reference index, as the quiz reports do) and its post-test. Two queries."""
    result: dict[int, set[int]] = {c.pk: set() for c in courses}
    if not courses:
        return result
    for c in courses:
        if c.post_test_id:
            result[c.pk].add(c.post_test_id)
    under = Q(pk__in=[])
    for c in courses:
        under |= Q(path__startswith=c.path, depth=c.depth + 1)
    modules = dict(ModulePage.objects.filter(under).values_list("pk", "path"))
    if not modules:
        return result
    by_path = {c.path: c.pk for c in courses}
    refs = ReferenceIndex.objects.filter(
        content_type__app_label="courses",
        content_type__model="modulepage",
        object_id__in=[str(pk) for pk in modules],
        to_content_type=ContentType.objects.get_for_model(Quiz),
    ).values_list("object_id", "to_object_id")
    for module_id, quiz_id in refs:
        if not (module_id.isdigit() and quiz_id.isdigit()):
            continue
        path = modules.get(int(module_id))
        course_id = by_path.get(path[: -ModulePage.steplen]) if path else None
        if course_id is not None:
            result[course_id].add(int(quiz_id))
    return result


def _score_subquery(quiz_field: str) -> Subquery:
    return Subquery(
        QuizResult.objects.filter(
            employee_id=OuterRef("employee_id"), quiz_id=OuterRef(quiz_field)
        ).values("score")[:1]
    )


def course_figures(
    *, scope: Scope, filters: CourseFilters, courses: Sequence[CoursePage]
) -> dict[int, CourseFigures]:
    """The figures of these courses (a page of the list, or one course), in five queries
    whatever the number of learners."""
    figures = {
        c.pk: CourseFigures(
            course_id=c.pk, title=c.title, live=c.live,
            has_pre_post=bool(c.pre_test_id and c.post_test_id),
        )
        for c in courses
    }  # fmt: skip
    if not courses:
        return figures
    ids = list(figures)
    base = learning_enrolments(scope=scope, filters=filters).filter(course_id__in=ids)
    latest = _latest_per_learner(base)

    def has(status: str) -> Exists:
        return Exists(
            base.filter(
                employee_id=OuterRef("employee_id"), course_id=OuterRef("course_id"), status=status
            )
        )

    # One row per learner and course; a learner counts as completed if any of their
    # enrolments is, as learning if one is active, as withdrawn otherwise.
    counts = (
        latest.annotate(done=has(Enrolment.Status.COMPLETED), going=has(Enrolment.Status.ACTIVE))
        .order_by()
        .values("course_id")
        .annotate(
            learners=Count("pk"),
            completed=Count("pk", filter=Q(done=True)),
            learning=Count("pk", filter=Q(done=False, going=True)),
        )
    )
    for row in counts:
        f = figures[row["course_id"]]
        f.learners, f.completed = row["learners"], row["completed"]
        f.withdrawn = f.learners - f.completed - row["learning"]
    quizzes = {cid: q for cid, q in course_quiz_ids(courses).items() if q}
    if quizzes:
        which = Q(pk__in=[])
        for cid, quiz_ids in quizzes.items():
            which |= Q(course_id=cid, employee__quiz_results__quiz_id__in=quiz_ids)
        # filter() before annotate(): the average runs over the joined results kept here.
        scores = (
            latest.filter(which)
            .order_by()
            .values("course_id")
            .annotate(avg=Avg("employee__quiz_results__score"), n=Count("employee__quiz_results"))
        )
        for row in scores:
            figures[row["course_id"]].avg_score = _two(row["avg"])
            figures[row["course_id"]].scored = row["n"]
    paired_ids = [cid for cid, f in figures.items() if f.has_pre_post]
    if paired_ids:
        both = Q(pre__isnull=False, post__isnull=False)
        gains = (
            latest.filter(course_id__in=paired_ids)
            .annotate(pre=_score_subquery("course__pre_test_id"))
            .annotate(post=_score_subquery("course__post_test_id"))
            .order_by()
            .values("course_id")
            .annotate(
                paired=Count("pk", filter=both),
                mean_pre=Avg("pre", filter=both),
                mean_post=Avg("post", filter=both),
                mean_gain=Avg(F("post") - F("pre"), filter=both),
            )
        )
        for row in gains:
            f = figures[row["course_id"]]
            f.paired = row["paired"]
            f.mean_pre, f.mean_post = _two(row["mean_pre"]), _two(row["mean_post"])
            f.mean_gain = _two(row["mean_gain"])
    return figures


def reported_courses() -> QuerySet[CoursePage]:
    """The courses a report lists: the published ones, and any other that has enrolments
    (a course taken down keeps its history). Not scoped: the catalogue is public; the
    figures beside each course are."""
    has_enrolments = Exists(Enrolment.objects.filter(course_id=OuterRef("pk")))
    return (
        CoursePage.objects.filter(Q(live=True) | Q(has_enrolments))
        .only("pk", "title", "live", "path", "depth", "pre_test_id", "post_test_id")
        .order_by("title", "pk")
    )


def course_rows(
    *, scope: Scope, filters: CourseFilters, courses: Sequence[CoursePage]
) -> list[CourseFigures]:
    """Figures for a page of ``reported_courses``, in its order."""
    figures = course_figures(scope=scope, filters=filters, courses=courses)
    return [figures[c.pk] for c in courses]


def course_rows_all(
    *, scope: Scope, filters: CourseFilters, chunk: int = 200
) -> Iterator[CourseFigures]:
    """Every listed course's figures, a chunk of courses at a time (for the download)."""
    courses = reported_courses()
    start = 0
    while True:
        batch = list(courses[start : start + chunk])
        yield from course_rows(scope=scope, filters=filters, courses=batch)
        if len(batch) < chunk:
            return
        start += chunk


# --- One course -------------------------------------------------------------------------


@dataclass
class OpdRow:
    """One OPD's learners in a course (or, for staff placed above every OPD or with no
    unit, their own unit or "no unit")."""

    key: str
    name: str
    learners: int = 0
    completed: int = 0

    @property
    def rate(self) -> Decimal | None:
        return _rate(self.completed, self.learners)


@dataclass
class ModuleRow:
    position: int
    module_id: int
    title: str
    required: bool
    started: int = 0
    completed: int = 0
    of_learners: int = 0  # the course's learners, for the percentages

    @property
    def started_rate(self) -> Decimal | None:
        return _rate(self.started, self.of_learners)

    @property
    def completed_rate(self) -> Decimal | None:
        return _rate(self.completed, self.of_learners)


@dataclass
class CourseReport:
    course: CoursePage
    figures: CourseFigures
    opds: list[OpdRow] = field(default_factory=list)
    modules: list[ModuleRow] = field(default_factory=list)


def opd_lookup(paths: Iterable[str]) -> dict[str, OrgUnit]:
    """Unit path -> the OPD it lies in (the deepest OPD on its path). One query."""
    step = OrgUnit.steplen
    wanted = {p[: step * d] for p in paths for d in range(1, len(p) // step + 1)}
    if not wanted:
        return {}
    opds = {
        u.path: u
        for u in OrgUnit.objects.filter(path__in=wanted, kind=OrgUnit.Kind.OPD).only(
            "pk", "path", "name", "kind", "depth"
        )
    }
    found: dict[str, OrgUnit] = {}
    for p in paths:
        for d in range(len(p) // step, 0, -1):
            unit = opds.get(p[: step * d])
            if unit is not None:
                found[p] = unit
                break
    return found


def opd_breakdown(*, scope: Scope, filters: CourseFilters, course: CoursePage) -> list[OpdRow]:
    """Learners and completions per OPD (two queries: the counts grouped by unit, then the
    OPDs those units lie in). Sorted by OPD name; "no unit" last."""
    grouped = (
        learning_enrolments(scope=scope, filters=filters)
        .filter(course_id=course.pk)
        .order_by()
        .values("employee__org_unit__path", "employee__org_unit__name")
        .annotate(
            learners=Count("employee_id", distinct=True),
            completed=Count(
                "employee_id", distinct=True, filter=Q(status=Enrolment.Status.COMPLETED)
            ),
        )
    )
    rows = list(grouped)
    opds = opd_lookup([p for r in rows if (p := r["employee__org_unit__path"])])
    groups: dict[str, OpdRow] = {}
    for r in rows:
        path = r["employee__org_unit__path"]
        if path is None:
            key, name = "", _("Tanpa unit kerja")
        elif path in opds:
            key, name = opds[path].path, opds[path].name
        else:  # above every OPD (BKPSDM staff at the Pemda): their own unit
            key, name = path, r["employee__org_unit__name"]
        group = groups.setdefault(key, OpdRow(key=key, name=name))
        # An employee sits in one unit: distinct counts per unit add up per OPD.
        group.learners += r["learners"]
        group.completed += r["completed"]
    return sorted(groups.values(), key=lambda g: (g.key == "", g.name.casefold(), g.key))


def module_dropoff(
    *, scope: Scope, filters: CourseFilters, course: CoursePage, learners: int
) -> list[ModuleRow]:
    """Per live module in the course's order: learners who opened it and who completed it
    (two queries)."""
    modules = list(
        ModulePage.objects.child_of(course)
        .live()
        .order_by("path")
        .values_list("pk", "title", "required_for_completion")
    )
    rows = [
        ModuleRow(position=i, module_id=pk, title=title, required=req, of_learners=learners)
        for i, (pk, title, req) in enumerate(modules, start=1)
    ]
    if not rows:
        return rows
    base = learning_enrolments(scope=scope, filters=filters).filter(course_id=course.pk)
    counts = (
        ModuleProgress.objects.filter(enrolment__in=base, module_id__in=[r.module_id for r in rows])
        .order_by()
        .values("module_id")
        .annotate(
            started=Count("enrolment__employee_id", distinct=True),
            completed=Count(
                "enrolment__employee_id", distinct=True, filter=Q(completed_at__isnull=False)
            ),
        )
    )
    by_module = {r.module_id: r for r in rows}
    for c in counts:
        row = by_module[c["module_id"]]
        row.started, row.completed = c["started"], c["completed"]
    return rows


def course_report(*, scope: Scope, filters: CourseFilters, course: CoursePage) -> CourseReport:
    figures = course_figures(scope=scope, filters=filters, courses=[course])[course.pk]
    return CourseReport(
        course=course,
        figures=figures,
        opds=opd_breakdown(scope=scope, filters=filters, course=course),
        modules=module_dropoff(
            scope=scope, filters=filters, course=course, learners=figures.learners
        ),
    )


# --- Tables for download ------------------------------------------------------------------


def _num(value: Decimal | None) -> Decimal | str:
    return "" if value is None else value


def course_list_table(rows: Iterable[CourseFigures]) -> tuple[list[str], Iterator[list[Any]]]:
    header = [
        _("Kursus"), _("Terbit"), _("Peserta"), _("Selesai"), _("Mengundurkan diri"),
        _("Tingkat penyelesaian (%)"), _("Rata-rata nilai kuis"), _("Peserta pre/post-test"),
        _("Rata-rata pre-test"), _("Rata-rata post-test"), _("Kenaikan rata-rata"),
    ]  # fmt: skip

    def body() -> Iterator[list[Any]]:
        for f in rows:
            yield [
                f.title, _("ya") if f.live else _("tidak"), f.learners, f.completed,
                f.withdrawn, _num(f.rate), _num(f.avg_score),
                f.paired if f.has_pre_post else "", _num(f.mean_pre), _num(f.mean_post),
                _num(f.mean_gain),
            ]  # fmt: skip

    return header, body()


def opd_table(rows: Iterable[OpdRow]) -> tuple[list[str], Iterator[list[Any]]]:
    header = [_("OPD"), _("Peserta"), _("Selesai"), _("Tingkat penyelesaian (%)")]
    return header, ([r.name, r.learners, r.completed, _num(r.rate)] for r in rows)


def module_table(rows: Iterable[ModuleRow]) -> tuple[list[str], Iterator[list[Any]]]:
    header = [
        _("Urutan"), _("Modul"), _("Wajib"), _("Membuka"), _("Membuka (%)"), _("Menyelesaikan"),
        _("Menyelesaikan (%)"),
    ]  # fmt: skip
    return header, (
        [
            r.position,
            r.title,
            _("ya") if r.required else _("tidak"),
            r.started,
            _num(r.started_rate),
            r.completed,
            _num(r.completed_rate),
        ]  # fmt: skip
        for r in rows
    )
