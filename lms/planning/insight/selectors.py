"""Reads that turn AKPK gaps into decisions: the courses to recommend to an employee, the
gaps no course covers yet (what to author or procure), the competency map of the OPDs and
the Pemda, and an employee's competency profile for talent management.

Which AKPK counts: one the supervisor has assessed (status ``assessed``). A self-assessment
alone is the employee's claim, not yet a gap the Pemda plans against. Within it an item
counts when its current level is known and the jabatan's standard names the competency
(``required_level > 0``): a development wish without a standard is never a gap.

Recommendation ranking (``recommended_courses``), for the courses that take a gap
competency above the employee's current level:

1. the levels of gap the course closes, summed over the gap competencies it builds: for
   each, ``min(course level, required level) - current level`` (a course above the
   standard closes no more than the gap);
2. then the highest priority among the gaps it closes (tinggi > sedang > rendah);
3. then fewer JP first: the same gap closed in less learning time, away from work for less;
   the yearly JP target is met by the total of all courses, not by picking the longest;
4. then the title.

The course page, never a number, is where a learner decides; the ranking only orders them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, IntegerField, Max, Prefetch, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import CompetencyType, CoursePage, EnrolmentPolicy
from lms.certificates.models import Certificate
from lms.learning.models import Enrolment, ExternalTraining, JPYearTotal
from lms.learning.selectors import jp_target_for
from lms.people.models import Employee, OrgUnit
from lms.people.selectors import Scope
from lms.planning.models import AKPK, AKPKItem, Competency, CourseCompetency, Priority

ASSESSED = AKPK.Status.ASSESSED
RECOMMENDATION_LIMIT = 6
MAP_PAGE_SIZE = 30
PROFILE_AKPK_YEARS = 3
PROFILE_JP_YEARS = 5
PRIORITY_RANK: dict[str, int] = {Priority.HIGH: 3, Priority.MEDIUM: 2, Priority.LOW: 1}
PRIORITY_BY_RANK = {rank: priority for priority, rank in PRIORITY_RANK.items()}
PRIORITY_CASE = Case(
    *(When(priority=p, then=Value(rank)) for p, rank in PRIORITY_RANK.items()),
    default=Value(0),
    output_field=IntegerField(),
)
ONE_PLACE = Decimal("0.1")
TWO_PLACES = Decimal("0.01")


def priority_rank(priority: str) -> int:
    return PRIORITY_RANK.get(priority, 0)


def priority_label(rank: int) -> str:
    """The priority's name ("Tinggi", "Sedang", "Rendah"), or "" when no gap carried one."""
    priority = PRIORITY_BY_RANK.get(rank)
    return str(Priority(priority).label) if priority else ""


def _ratio(part: int, whole: int, places: Decimal = ONE_PLACE) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(places, rounding=ROUND_HALF_UP)


def _published_courses() -> Any:
    # What the catalogue shows: live and not behind a view restriction (a PageQuerySet).
    return CoursePage.objects.live().public()


def _target_paths(course_ids: Iterable[int]) -> dict[int, list[str]]:
    """The OPDs (or units) each course is meant for, as tree paths; absent: everyone."""
    through = CoursePage.target_org_units.through
    paths: dict[int, list[str]] = {}
    rows = through.objects.filter(coursepage_id__in=list(course_ids)).values_list(
        "coursepage_id", "orgunit__path"
    )
    for course_id, path in rows:
        paths.setdefault(course_id, []).append(path)
    return paths


def assessed_items(*, scope: Scope, year: int) -> QuerySet[AKPKItem]:
    """The AKPK items the map and the gap list count: assessed AKPKs of the year of active
    employees in the viewer's scope (by the unit the AKPK was opened in), with a known
    current level against a standard."""
    if not scope.is_admin_scope:
        return AKPKItem.objects.none()
    return AKPKItem.objects.filter(
        scope.unit_q("akpk__org_unit__"),
        akpk__year=year,
        akpk__status=ASSESSED,
        akpk__employee__is_active=True,
        gap__isnull=False,
        required_level__gt=0,
        competency__is_active=True,
    )


def latest_year(*, scope: Scope) -> int:
    """The latest year with an assessed AKPK in scope (this year when there is none): the
    year the planning pages open on."""
    current = timezone.localdate().year
    if not scope.is_admin_scope:
        return current
    found = (
        AKPK.objects.filter(scope.unit_q("org_unit__"), status=ASSESSED)
        .order_by()
        .aggregate(year=Max("year"))["year"]
    )
    return found or current


def opds_in_scope(*, scope: Scope) -> QuerySet[OrgUnit]:
    """The OPDs the viewer may pick in a filter (an admin of a single bidang has none: the
    pages then cover their bidang)."""
    if not scope.is_admin_scope:
        return OrgUnit.objects.none()
    return (
        OrgUnit.objects.filter(scope.unit_q(), kind=OrgUnit.Kind.OPD)
        .only("pk", "name", "path", "depth", "kind")
        .order_by("name", "path")
    )


# --- Recommendations --------------------------------------------------------------------


@dataclass(frozen=True)
class GapClosed:
    """One gap competency a course builds: from the current level towards the standard."""

    competency: Competency
    current_level: int
    required_level: int
    course_level: int
    priority: str

    @property
    def levels(self) -> int:
        return min(self.course_level, self.required_level) - self.current_level

    @property
    def reached_level(self) -> int:
        return min(self.course_level, self.required_level)

    @property
    def closes_all(self) -> bool:
        return self.course_level >= self.required_level

    @property
    def priority_label(self) -> str:
        return priority_label(priority_rank(self.priority))


@dataclass
class Recommendation:
    course: CoursePage
    closes: list[GapClosed]
    # An open (pending or active) enrolment: the learner continues rather than enrols.
    enrolment: Enrolment | None = None

    @property
    def score(self) -> int:
        return sum(g.levels for g in self.closes)

    @property
    def top_priority(self) -> int:
        return max((priority_rank(g.priority) for g in self.closes), default=0)

    @property
    def enrolled(self) -> bool:
        return self.enrolment is not None

    def sort_key(self) -> tuple[Any, ...]:
        return (
            -self.score,
            -self.top_priority,
            self.course.jp_credited,
            self.course.title.casefold(),
            self.course.pk,
        )


@dataclass
class Recommendations:
    """What the dashboard shows: the AKPK read (None: no assessed AKPK yet), its gaps, the
    ranked courses, and the gaps none of the courses builds."""

    akpk: AKPK | None = None
    gaps: list[AKPKItem] = field(default_factory=list)
    courses: list[Recommendation] = field(default_factory=list)
    uncovered: list[AKPKItem] = field(default_factory=list)

    def __iter__(self) -> Iterator[Recommendation]:
        return iter(self.courses)

    def __len__(self) -> int:
        return len(self.courses)


def _open_to(employee: Employee, course: CoursePage, paths: Sequence[str], now: Any) -> bool:
    """Whether the employee could enrol: the course is meant for their OPD and jabatan kind
    (an empty target means everyone, as in the catalogue), takes self-enrolment, and its
    enrolment has not closed."""
    kinds = course.target_jabatan_kinds or []
    if kinds and employee.jabatan_kind not in kinds:
        return False
    if paths:
        unit = employee.org_unit if employee.org_unit_id else None
        if unit is None or not any(unit.path.startswith(p) for p in paths):
            return False
    if course.enrolment_policy == EnrolmentPolicy.ASSIGNED:
        return False
    return not (course.enrolment_closes and now >= course.enrolment_closes)


def recommended_courses(
    *, employee: Employee, year: int | None = None, limit: int = RECOMMENDATION_LIMIT
) -> Recommendations:
    """The published courses that build the employee's gap competencies above their current
    level, ranked by the gap they close (see the module's docstring), from the assessed AKPK
    of ``year`` (default: the latest). Completed courses are left out; one the employee is
    taking is kept and marked. At most six queries, whatever the catalogue's size."""
    akpks = AKPK.objects.filter(employee=employee, status=ASSESSED)
    if year is not None:
        akpks = akpks.filter(year=year)
    akpk = akpks.order_by("-year").first()
    if akpk is None:
        return Recommendations()
    items = (
        akpk.items.filter(
            gap__gt=0,
            current_level__isnull=False,
            required_level__gt=0,
            competency__is_active=True,
        )
        .select_related("competency")
        .order_by("-gap", "competency__code")
    )
    gaps = {item.competency_id: item for item in items}
    result = Recommendations(akpk=akpk, gaps=list(gaps.values()))
    if not gaps:
        return result
    above_current = Q(pk__in=[])
    for competency_id, item in gaps.items():
        above_current |= Q(competency_id=competency_id, level__gt=item.current_level)
    links = CourseCompetency.objects.filter(above_current, course__in=_published_courses())
    courses: dict[int, CoursePage] = {}
    closes: dict[int, list[GapClosed]] = {}
    for link in links.select_related("course").order_by("course_id", "pk"):
        item = gaps[link.competency_id]
        courses.setdefault(link.course_id, link.course)
        closes.setdefault(link.course_id, []).append(
            GapClosed(
                competency=item.competency,
                current_level=item.current_level or 0,
                required_level=item.required_level,
                course_level=link.level,
                priority=item.priority,
            )
        )
    if not courses:
        result.uncovered = result.gaps
        return result
    completed: set[int] = set()
    open_enrolments: dict[int, Enrolment] = {}
    taken = Enrolment.objects.filter(
        employee=employee,
        course_id__in=list(courses),
        status__in=[Enrolment.Status.COMPLETED, *Enrolment.OPEN_STATUSES],
    ).only("pk", "course_id", "status", "employee_id")
    for row in taken:
        if row.status == Enrolment.Status.COMPLETED:
            completed.add(row.course_id)
        else:
            open_enrolments[row.course_id] = row
    targets = _target_paths(pk for pk, c in courses.items() if pk not in open_enrolments)
    now = timezone.now()
    found: list[Recommendation] = []
    for course_id, course in courses.items():
        if course_id in completed:
            continue
        enrolment = open_enrolments.get(course_id)
        if enrolment is None and not _open_to(employee, course, targets.get(course_id, []), now):
            continue
        ordered = sorted(closes[course_id], key=lambda g: (-g.levels, g.competency.code))
        found.append(Recommendation(course=course, closes=ordered, enrolment=enrolment))
    found.sort(key=Recommendation.sort_key)
    built = {g.competency.pk for r in found for g in r.closes}
    result.courses = found[:limit]
    result.uncovered = [item for item in result.gaps if item.competency_id not in built]
    return result


# --- Gaps no course covers ----------------------------------------------------------------


@dataclass
class UncoveredGap:
    """A competency in which an OPD's employees have gaps that no published course meant for
    that OPD takes up to their standard."""

    opd: OrgUnit | None
    competency: Competency
    employees: int = 0
    gap_sum: int = 0
    required_level: int = 0
    priority: int = 0
    # The highest level a published course for the OPD reaches (None: no course at all).
    course_level: int | None = None

    @property
    def opd_name(self) -> str:
        return self.opd.name if self.opd is not None else _("Tanpa OPD")

    @property
    def average_gap(self) -> Decimal | None:
        return _ratio(self.gap_sum, self.employees, TWO_PLACES)

    @property
    def priority_label(self) -> str:
        return priority_label(self.priority)


def _serves(paths: Sequence[str], opd_path: str | None) -> bool:
    """A course serves an OPD when it targets nobody in particular, the OPD itself (or a unit
    above it), or a unit inside it."""
    if not paths:
        return True
    if opd_path is None:
        return False
    return any(opd_path.startswith(p) or p.startswith(opd_path) for p in paths)


def uncovered_gaps(*, scope: Scope, year: int, opd: OrgUnit | None = None) -> list[UncoveredGap]:
    """For each OPD in scope (or only ``opd``), the competencies with gaps that no published
    course reaches: an employee's gap is covered when a course meant for their OPD builds
    the competency to at least the level their standard requires. Ordered by OPD, then the
    highest priority, the number of employees and the competency's code. Six queries."""
    items = assessed_items(scope=scope, year=year).filter(gap__gt=0)
    if opd is not None:
        items = items.filter(akpk__opd=opd)
    rows = list(
        items.values("akpk__opd_id", "competency_id", "required_level")
        .annotate(n=Count("pk"), gap_sum=Sum("gap"), priority=Max(PRIORITY_CASE))
        .order_by()
    )
    if not rows:
        return []
    competency_ids = {r["competency_id"] for r in rows}
    offers = list(
        CourseCompetency.objects.filter(
            competency_id__in=competency_ids, course__in=_published_courses()
        ).values_list("course_id", "competency_id", "level")
    )
    targets = _target_paths({course_id for course_id, _c, _l in offers})
    opds = OrgUnit.objects.only("pk", "name", "path").in_bulk(
        {r["akpk__opd_id"] for r in rows if r["akpk__opd_id"] is not None}
    )
    competencies = Competency.objects.in_bulk(competency_ids)
    best: dict[tuple[int | None, int], int] = {}
    for opd_id in [*opds, None]:
        opd_path = opds[opd_id].path if opd_id is not None else None
        for course_id, competency_id, level in offers:
            if _serves(targets.get(course_id, []), opd_path):
                key = (opd_id, competency_id)
                best[key] = max(best.get(key, 0), level)
    found: dict[tuple[int | None, int], UncoveredGap] = {}
    for row in rows:
        key = (row["akpk__opd_id"], row["competency_id"])
        reached = best.get(key)
        if reached is not None and reached >= row["required_level"]:
            continue
        gap = found.get(key)
        if gap is None:
            gap = found[key] = UncoveredGap(
                opd=opds.get(key[0]) if key[0] is not None else None,
                competency=competencies[key[1]],
                course_level=reached,
            )
        gap.employees += row["n"]
        gap.gap_sum += row["gap_sum"] or 0
        gap.required_level = max(gap.required_level, row["required_level"])
        gap.priority = max(gap.priority, row["priority"] or 0)
    return sorted(
        found.values(),
        key=lambda g: (
            g.opd is None,
            g.opd_name.casefold(),
            -g.priority,
            -g.employees,
            g.competency.code,
        ),
    )


def uncovered_header() -> list[str]:
    return [
        _("OPD"), _("Kode kompetensi"), _("Kompetensi"), _("Jenis kompetensi"),
        _("Pegawai dengan kesenjangan"), _("Rata-rata kesenjangan"), _("Level standar tertinggi"),
        _("Prioritas tertinggi"), _("Level tertinggi kursus tersedia"),
    ]  # fmt: skip


def uncovered_rows(gaps: Iterable[UncoveredGap]) -> Iterator[list[Any]]:
    for g in gaps:
        yield [
            g.opd_name, g.competency.code, g.competency.name,
            g.competency.get_competency_type_display(), g.employees, g.average_gap,
            g.required_level, g.priority_label, g.course_level,
        ]  # fmt: skip


# --- The competency map ----------------------------------------------------------------


# Shares of assessed employees with a gap, as colour bands; the legend repeats them in
# words and every cell shows its figure, so colour is never the only signal.
HEAT_BANDS: list[tuple[Decimal, int]] = [
    (Decimal("80"), 5),
    (Decimal("60"), 4),
    (Decimal("40"), 3),
    (Decimal("20"), 2),
    (Decimal("0.01"), 1),
]


def heat_legend() -> list[tuple[str, str]]:
    # Placeholders, not literal "20% - ...": gettext would read "% -d" as a format.
    between = _("%(low)s%% sampai di bawah %(high)s%%")
    return [
        ("heat-none", _("Belum ada pegawai yang dinilai")),
        ("heat-0", _("Tidak ada kesenjangan")),
        ("heat-1", _("Di bawah %(high)s%%") % {"high": 20}),
        ("heat-2", between % {"low": 20, "high": 40}),
        ("heat-3", between % {"low": 40, "high": 60}),
        ("heat-4", between % {"low": 60, "high": 80}),
        ("heat-5", _("%(low)s%% atau lebih") % {"low": 80}),
    ]


@dataclass(frozen=True)
class Cell:
    """Assessed employees in one competency and OPD, how many have a gap and its size."""

    assessed: int = 0
    with_gap: int = 0
    gap_sum: int = 0

    @property
    def share(self) -> Decimal | None:
        """Percent of the assessed employees who have a gap."""
        if not self.assessed:
            return None
        return (Decimal(100 * self.with_gap) / self.assessed).quantize(
            ONE_PLACE, rounding=ROUND_HALF_UP
        )

    @property
    def average_gap(self) -> Decimal | None:
        """Mean gap of those who have one (its depth; the share is its breadth)."""
        return _ratio(self.gap_sum, self.with_gap, TWO_PLACES)

    @property
    def heat(self) -> str:
        share = self.share
        if share is None:
            return "heat-none"
        for floor, band in HEAT_BANDS:
            if share >= floor:
                return f"heat-{band}"
        return "heat-0"

    def __add__(self, other: Cell) -> Cell:
        return Cell(
            self.assessed + other.assessed,
            self.with_gap + other.with_gap,
            self.gap_sum + other.gap_sum,
        )


@dataclass(frozen=True)
class MapColumn:
    opd: OrgUnit | None
    label: str


@dataclass
class MapRow:
    competency: Competency
    cells: list[Cell]
    total: Cell


@dataclass
class CompetencyMap:
    year: int
    competency_type: str
    columns: list[MapColumn]
    rows: list[MapRow]
    total_label: str
    page: Page[Competency] | None = None


def map_competencies(*, competency_type: str = "") -> QuerySet[Competency]:
    qs = Competency.objects.filter(is_active=True)
    if competency_type:
        qs = qs.filter(competency_type=competency_type)
    return qs.order_by("competency_type", "code")


def competency_map(
    *,
    scope: Scope,
    year: int,
    competency_type: str = "",
    page_number: Any = None,
    per_page: int | None = MAP_PAGE_SIZE,
) -> CompetencyMap:
    """Gaps by competency (rows) and OPD (columns), with a column for the whole scope (the
    Pemda for BKPSDM). The figures come from one GROUP BY over the AKPK items of the page's
    competencies; ``per_page`` None gives every competency (the download). Four queries
    with a page, whatever the number of OPDs and employees."""
    competencies_qs = map_competencies(competency_type=competency_type)
    page: Page[Competency] | None = None
    if per_page is None:
        competencies = list(competencies_qs)
    else:
        page = Paginator(competencies_qs, per_page).get_page(page_number)
        competencies = list(page.object_list)
    figures: dict[tuple[int, int | None], Cell] = {}
    if competencies:
        rows = (
            assessed_items(scope=scope, year=year)
            .filter(competency_id__in=[c.pk for c in competencies])
            .values("competency_id", "akpk__opd_id")
            .annotate(
                assessed=Count("pk"),
                with_gap=Count("pk", filter=Q(gap__gt=0)),
                gap_sum=Sum("gap", filter=Q(gap__gt=0)),
            )
            .order_by()
        )
        for row in rows:
            figures[(row["competency_id"], row["akpk__opd_id"])] = Cell(
                row["assessed"], row["with_gap"], row["gap_sum"] or 0
            )
    columns: list[MapColumn] = []
    if scope.is_admin_scope:
        # Every OPD in scope, with or without data (an empty column says its AKPK is not
        # in yet), and the OPD of an admin scoped to one of its units.
        data_opds = {opd_id for _c, opd_id in figures if opd_id is not None}
        units = OrgUnit.objects.filter(
            (Q(kind=OrgUnit.Kind.OPD) & scope.unit_q()) | Q(pk__in=data_opds)
        )
        columns = [
            MapColumn(opd=u, label=u.name)
            for u in units.only("pk", "name", "path").order_by("name", "path")
        ]
    if any(opd_id is None for _c, opd_id in figures):
        columns.append(MapColumn(opd=None, label=_("Tanpa OPD")))
    map_rows = []
    for competency in competencies:
        cells = [
            figures.get((competency.pk, col.opd.pk if col.opd else None), Cell()) for col in columns
        ]
        total = sum(cells, Cell())
        map_rows.append(MapRow(competency=competency, cells=cells, total=total))
    return CompetencyMap(
        year=year,
        competency_type=competency_type,
        columns=columns,
        rows=map_rows,
        total_label=_("Pemda") if scope.everything else _("Seluruh lingkup Anda"),
        page=page,
    )


def map_header() -> list[str]:
    return [
        _("Kode kompetensi"), _("Kompetensi"), _("Jenis kompetensi"), _("OPD"),
        _("Pegawai dinilai"), _("Pegawai dengan kesenjangan"), _("Persentase dengan kesenjangan"),
        _("Rata-rata kesenjangan (yang senjang)"), _("Jumlah level kesenjangan"),
    ]  # fmt: skip


def map_table_rows(cmap: CompetencyMap) -> Iterator[list[Any]]:
    """One row per competency and OPD (then the whole scope): the long shape a pivot table
    turns into the map again, or into any other cut."""
    for row in cmap.rows:
        c = row.competency
        head = [c.code, c.name, c.get_competency_type_display()]
        pairs = [*zip(cmap.columns, row.cells, strict=True), (None, row.total)]
        for column, cell in pairs:
            label = column.label if column is not None else cmap.total_label
            yield [*head, label, cell.assessed, cell.with_gap, cell.share, cell.average_gap,
                   cell.gap_sum]  # fmt: skip


# --- Competency profile -----------------------------------------------------------------


@dataclass(frozen=True)
class JPYear:
    year: int
    total: JPYearTotal | None
    target: Decimal

    @property
    def jp(self) -> Decimal:
        return self.total.total if self.total else Decimal("0")

    @property
    def met(self) -> bool:
        return self.jp >= self.target

    def part(self, name: str) -> Decimal:
        return getattr(self.total, name) if self.total else Decimal("0")


@dataclass
class CompetencyProfile:
    """One employee, for talent decisions: who they are, their AKPK levels in the latest
    years, their hours against the target, and what they completed and had verified."""

    employee: Employee
    opd: OrgUnit | None
    akpks: list[AKPK]
    jp_years: list[JPYear]
    completed: list[Enrolment]
    certificates: dict[int, str]  # enrolment id -> number of its valid certificate
    external: list[ExternalTraining]

    @property
    def latest(self) -> AKPK | None:
        return self.akpks[0] if self.akpks else None

    @property
    def certificate_count(self) -> int:
        return len(self.certificates)


def competency_profile(
    *,
    employee: Employee,
    akpk_years: int = PROFILE_AKPK_YEARS,
    jp_years: int = PROFILE_JP_YEARS,
) -> CompetencyProfile:
    """The profile from the stored aggregates: AKPK items with their stored gaps, the yearly
    JP totals (never a sum over the ledger) against each year's target, completed courses
    with their valid certificates, verified external training. Bounded: about a dozen
    queries, five of them the yearly targets."""
    unit = employee.org_unit if employee.org_unit_id else None
    opd = unit.opd_node() if unit is not None else None
    akpks = list(
        AKPK.objects.filter(employee=employee)
        .select_related("opd", "org_unit", "assessed_by")
        .prefetch_related(Prefetch("items", queryset=AKPKItem.objects.select_related("competency")))
        .order_by("-year")[:akpk_years]
    )
    current = timezone.localdate().year
    years = list(range(current, current - jp_years, -1))
    totals = {t.year: t for t in JPYearTotal.objects.filter(employee=employee, year__in=years)}
    jp = [
        JPYear(
            year=y,
            total=totals.get(y),
            target=jp_target_for(employment_type=employee.employment_type, year=y).minimum,
        )
        for y in years
    ]
    completed = list(
        Enrolment.objects.filter(employee=employee, status=Enrolment.Status.COMPLETED)
        .select_related("course")
        .order_by("-completed_at")
    )
    certificates = dict(
        Certificate.objects.filter(employee=employee, status=Certificate.Status.VALID).values_list(
            "enrolment_id", "number"
        )
    )
    external = list(
        ExternalTraining.objects.filter(employee=employee, status=ExternalTraining.Status.VERIFIED)
        .select_related("jenis")
        .order_by("-ended_on", "-pk")
    )
    return CompetencyProfile(
        employee=employee,
        opd=opd,
        akpks=akpks,
        jp_years=jp,
        completed=completed,
        certificates=certificates,
        external=external,
    )


def _type_label(value: str) -> str:
    return str(dict(CompetencyType.choices).get(value, value))


def profile_sheets(profile: CompetencyProfile) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The profile as workbook sheets (title, header, rows): identity, AKPK, JP, history."""
    e = profile.employee
    unit = e.org_unit if e.org_unit_id else None
    identity = [
        [_("NIP"), e.nip],
        [_("Nama"), e.name_with_gelar],
        [_("Jenis pegawai"), e.get_employment_type_display()],
        [_("Golongan"), e.get_golongan_display() if e.golongan else ""],
        [_("Jabatan"), e.jabatan],
        [_("Jenis jabatan"), e.get_jabatan_kind_display() if e.jabatan_kind else ""],
        [_("OPD"), profile.opd.name if profile.opd else ""],
        [_("Unit kerja"), unit.name if unit else ""],
        [_("Predikat kinerja terakhir"),
         profile.latest.get_performance_rating_display() if profile.latest else ""],
        [_("Kursus Sinau selesai"), len(profile.completed)],
        [_("Sertifikat sah"), profile.certificate_count],
        [_("Pelatihan eksternal terverifikasi"), len(profile.external)],
        [_("Disusun"), timezone.now()],
    ]  # fmt: skip
    akpk_rows = [
        [
            a.year,
            a.get_status_display(),
            a.get_performance_rating_display(),
            a.jabatan,
            i.competency.code,
            i.competency.name,
            i.competency.get_competency_type_display(),
            i.required_level or None,
            i.self_level,
            i.supervisor_level,
            i.centre_level,
            i.current_level,
            i.get_current_source_display(),
            i.gap,
            i.get_priority_display(),
            i.development_note,
        ]
        for a in profile.akpks
        for i in a.items.all()
    ]
    jp_rows = [
        [
            y.year,
            y.jp,
            y.target,
            y.met,
            y.part("teknis"),
            y.part("manajerial"),
            y.part("sosial_kultural"),
            y.part("pemerintahan"),
            y.part("klasikal"),
            y.part("non_klasikal"),
        ]
        for y in profile.jp_years
    ]
    history: list[list[Any]] = [
        [
            _("Kursus Sinau"),
            e_.course.title,
            "",
            e_.completed_at,
            e_.course.jp_credited,
            _type_label(e_.course.competency_type),
            profile.certificates.get(e_.pk, ""),
        ]
        for e_ in profile.completed
    ]
    history += [
        [
            _("Pelatihan eksternal"),
            t.title,
            t.organiser,
            t.ended_on,
            t.jp,
            _type_label(t.competency_type),
            t.certificate_number,
        ]
        for t in profile.external
    ]
    return [
        (_("Profil"), [_("Keterangan"), _("Isi")], identity),
        (_("AKPK"), akpk_header(), akpk_rows),
        (_("JP"), jp_header(), jp_rows),
        (_("Riwayat"), history_header(), history),
    ]


def akpk_header() -> list[str]:
    return [
        _("Tahun"), _("Status AKPK"), _("Predikat kinerja"), _("Jabatan"), _("Kode kompetensi"),
        _("Kompetensi"), _("Jenis kompetensi"), _("Level standar"), _("Penilaian diri"),
        _("Penilaian atasan"), _("Assessment center"), _("Level saat ini"), _("Sumber level"),
        _("Kesenjangan"), _("Prioritas"), _("Kebutuhan pengembangan"),
    ]  # fmt: skip


def jp_header() -> list[str]:
    return [
        _("Tahun"), _("JP"), _("Target JP"), _("Memenuhi target"), _("Teknis"), _("Manajerial"),
        _("Sosial kultural"), _("Pemerintahan"), _("Klasikal"), _("Non-klasikal"),
    ]  # fmt: skip


def history_header() -> list[str]:
    return [
        _("Asal"), _("Judul"), _("Penyelenggara"), _("Selesai"), _("JP"), _("Jenis kompetensi"),
        _("Nomor sertifikat"),
    ]  # fmt: skip


# --- Profiles of an OPD, for the analyst ---------------------------------------------------


def profile_population(*, scope: Scope, opd: OrgUnit | None = None) -> QuerySet[Employee]:
    """Active employees in scope (in ``opd``'s subtree when given), by where they work now."""
    if not scope.is_admin_scope:
        return Employee.objects.none()
    qs = Employee.objects.filter(scope.unit_q("org_unit__"), is_active=True)
    if opd is not None:
        qs = qs.filter(opd.subtree_filter("org_unit__"))
    return qs


def profiles_header(year: int) -> list[str]:
    return [
        _("NIP"), _("Nama"), _("Jenis pegawai"), _("Golongan"), _("Jabatan"), _("Jenis jabatan"),
        _("OPD"), _("Unit kerja"), _("Tahun AKPK"), _("Status AKPK"), _("Predikat kinerja"),
        _("JP %(year)s") % {"year": year}, _("Target JP %(year)s") % {"year": year},
        _("Memenuhi target"), _("Kursus Sinau selesai"), _("Sertifikat sah"),
        _("Pelatihan eksternal terverifikasi"), _("Kode kompetensi"), _("Kompetensi"),
        _("Jenis kompetensi"), _("Level standar"), _("Penilaian diri"), _("Penilaian atasan"),
        _("Assessment center"), _("Level saat ini"), _("Sumber level"), _("Kesenjangan"),
        _("Prioritas"), _("Kebutuhan pengembangan"),
    ]  # fmt: skip


def _counts(qs: QuerySet[Any]) -> dict[int, int]:
    return dict(qs.values("employee_id").annotate(n=Count("pk")).values_list("employee_id", "n"))


def profiles_rows(*, scope: Scope, year: int, opd: OrgUnit | None = None) -> Iterator[list[Any]]:
    """One row per employee and AKPK competency of ``year`` (an employee without an AKPK
    that year gets one row with the competency columns empty): the long shape an HR analyst
    filters and pivots (competencies as columns, OPDs as rows, levels or gaps as values).
    The employee's figures repeat on each of their rows. Bounded: about ten queries, the
    related rows read by subqueries over the same population, never per employee."""
    people = profile_population(scope=scope, opd=opd)
    employees = list(
        people.select_related("org_unit").order_by("org_unit__path", "full_name", "nip")
    )
    opd_names = dict(OrgUnit.objects.filter(kind=OrgUnit.Kind.OPD).values_list("path", "name"))
    step = OrgUnit.steplen
    akpks = {
        a.employee_id: a
        for a in AKPK.objects.filter(employee__in=people, year=year).prefetch_related(
            Prefetch("items", queryset=AKPKItem.objects.select_related("competency"))
        )
    }
    totals = dict(
        JPYearTotal.objects.filter(employee__in=people, year=year).values_list(
            "employee_id", "total"
        )
    )
    completed = _counts(
        Enrolment.objects.filter(employee__in=people, status=Enrolment.Status.COMPLETED)
    )
    certificates = _counts(
        Certificate.objects.filter(employee__in=people, status=Certificate.Status.VALID)
    )
    external = _counts(
        ExternalTraining.objects.filter(
            employee__in=people, status=ExternalTraining.Status.VERIFIED
        )
    )
    targets: dict[str, Decimal] = {}
    for e in employees:
        if e.employment_type not in targets:
            targets[e.employment_type] = jp_target_for(
                employment_type=e.employment_type, year=year
            ).minimum
        path = e.org_unit.path if e.org_unit else ""
        opd_name = next(
            (opd_names[path[:d]] for d in range(len(path), 0, -step) if path[:d] in opd_names),
            "",
        )
        jp = totals.get(e.pk, Decimal("0"))
        target = targets[e.employment_type]
        akpk = akpks.get(e.pk)
        head = [
            e.nip, e.name_with_gelar, e.get_employment_type_display(), e.golongan, e.jabatan,
            e.get_jabatan_kind_display() if e.jabatan_kind else "", opd_name,
            e.org_unit.name if e.org_unit else "",
            akpk.year if akpk else None,
            akpk.get_status_display() if akpk else _("Belum ada AKPK"),
            akpk.get_performance_rating_display() if akpk else "",
            jp, target, jp >= target, completed.get(e.pk, 0), certificates.get(e.pk, 0),
            external.get(e.pk, 0),
        ]  # fmt: skip
        items = list(akpk.items.all()) if akpk else []
        if not items:
            yield [*head, *([None] * 12)]
            continue
        for i in items:
            yield [
                *head, i.competency.code, i.competency.name,
                i.competency.get_competency_type_display(), i.required_level or None,
                i.self_level, i.supervisor_level, i.centre_level, i.current_level,
                i.get_current_source_display(), i.gap, i.get_priority_display(),
                i.development_note,
            ]  # fmt: skip
