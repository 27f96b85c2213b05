"""JP compliance for BKPSDM and OPD admins: who met the year's target, per OPD, per unit,
per employee; always within the viewer's scope, whatever filter or unit is asked for.

Every figure comes from the ledger's aggregates (``JPYearTotal``, ``JPMonthTotal``) and the
people tables, never from the ledger's entries, and is computed by the database in grouped
queries: a page costs the same dozen queries for fifty employees or a hundred thousand.

Definitions (the page says them too):
- *ASN*: active employees (``is_active``) in scope who match the filters;
- *target*: the year's minimum for the employee's employment type (``JPTarget``, as
  ``lms.learning.selectors.jp_target_for`` reads it: the type's own row, else the row for
  all types, else ``SINAU_JP_TARGET``); *met*: the year's total >= the target;
- *mean* and *median* JP: over all those ASN, the ones with no hours counting as 0;
- *JP per competency type and form*: sums of the yearly totals' columns;
- *courses completed*: completed enrolments whose completion falls in the year (Pemda time);
- *external JP verified* and *verifications waiting*: external trainings that ended in the
  year, verified (their JP) or still submitted (how many).

Grouping: a row per OPD (or, on a unit's page, per child unit). The database groups by the
first characters of the unit's tree path (as long as the longest group's path), which names
the group an employee's unit lies in; the groups are then added up here. A median cannot be
added up: it is computed per group by the database (on PostgreSQL ``percentile_cont``, in
the same single pass as the sums and the Pemda's row, by GROUPING SETS; on the embedded
SQLite a window over the ranked totals reads the one or two middle rows of each group),
and, for a group that collects several path prefixes (staff placed above every OPD), by
one more query of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DecimalField,
    F,
    FilteredRelation,
    FloatField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms.learning.models import Enrolment, ExternalTraining, JPMonthTotal, JPTarget
from lms.people.models import Employee, EmploymentType, OrgUnit
from lms.people.selectors import Scope

from .models import ReportExport

ZERO = Decimal("0.00")
TWO_PLACES = Decimal("0.01")
ONE_PLACE = Decimal("0.1")
JP_FIELD: DecimalField[Decimal, Decimal] = DecimalField(max_digits=10, decimal_places=2)
TYPE_COLUMNS = ("teknis", "manajerial", "sosial_kultural", "pemerintahan")
FORM_COLUMNS = ("klasikal", "non_klasikal")
# The JP distribution: [low, high) in JP; the last has no upper bound.
BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 0), (0, 5), (5, 10), (10, 15), (15, 20), (20, None),
)  # fmt: skip
SORTS = {
    "jp": ("jp", "full_name", "nip"),
    "-jp": ("-jp", "full_name", "nip"),
    "nama": ("full_name", "nip"),
    "-nama": ("-full_name", "-nip"),
}
MONTHS = (
    gettext_lazy("Jan"), gettext_lazy("Feb"), gettext_lazy("Mar"), gettext_lazy("Apr"),
    gettext_lazy("Mei"), gettext_lazy("Jun"), gettext_lazy("Jul"), gettext_lazy("Agu"),
    gettext_lazy("Sep"), gettext_lazy("Okt"), gettext_lazy("Nov"), gettext_lazy("Des"),
)  # fmt: skip


# Export jobs of these pages (the SIASN export has its own kind and pages).
KIND_EMPLOYEES = "kepatuhan_pegawai"
EXPORT_KINDS = (KIND_EMPLOYEES,)


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


class Median(Aggregate):
    """PostgreSQL's exact median (interpolated between the two middle values)."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


# --- Filters and the population -------------------------------------------------------


@dataclass(frozen=True)
class ComplianceFilters:
    """What the viewer narrowed the figures to; the scope is applied on top, always."""

    year: int
    employment_type: str = ""
    jabatan_kind: str = ""
    golongan: str = ""

    def as_params(self) -> dict[str, Any]:
        """The filters as stored in an export job (and read back by ``from_params``)."""
        return {
            "year": self.year,
            "employment_type": self.employment_type,
            "jabatan_kind": self.jabatan_kind,
            "golongan": self.golongan,
        }

    def employee_q(self, prefix: str = "") -> Q:
        q = Q()
        if self.employment_type:
            q &= Q(**{f"{prefix}employment_type": self.employment_type})
        if self.jabatan_kind:
            q &= Q(**{f"{prefix}jabatan_kind": self.jabatan_kind})
        if self.golongan:
            q &= Q(**{f"{prefix}golongan": self.golongan})
        return q


def current_year() -> int:
    return timezone.localdate().year


def population_q(
    *, scope: Scope, filters: ComplianceFilters, unit: OrgUnit | None = None, prefix: str = ""
) -> Q:
    """The employees counted: active, in scope, matching the filters, in the unit's subtree.
    ``prefix`` reaches the employee from another table ("employee__"). Nothing outside the
    scope can be asked for: the scope's condition is always there; the rest only narrows."""
    if not scope.is_admin_scope:
        return Q(pk__in=[])
    q = Q(**{f"{prefix}is_active": True}) & scope.unit_q(f"{prefix}org_unit__")
    q &= filters.employee_q(prefix)
    if unit is not None:
        q &= unit.subtree_filter(f"{prefix}org_unit__")
    return q


def unit_in_scope(*, scope: Scope, unit_id: int) -> OrgUnit | None:
    """The unit if the viewer's scope covers it (None otherwise: a neighbour's unit and a
    unit that does not exist look the same)."""
    if not scope.is_admin_scope:
        return None
    return OrgUnit.objects.filter(scope.unit_q(), pk=unit_id).first()


# --- Targets --------------------------------------------------------------------------


@dataclass(frozen=True)
class YearTargets:
    """The year's minimum per employment type, read once, with the same precedence as
    ``jp_target_for``: the type's own row, else the row for all types, else the default."""

    year: int
    minimum: dict[str, Decimal]

    def for_type(self, employment_type: str) -> Decimal:
        return self.minimum.get(employment_type, self.minimum[""])

    def case(self, prefix: str = "") -> Case:
        """The target of each row's employee, as SQL (one CASE, no query per employee)."""
        whens = [
            When(**{f"{prefix}employment_type": kind}, then=Value(self.minimum[kind]))
            for kind in EmploymentType.values
            if self.minimum[kind] != self.minimum[""]
        ]
        return Case(*whens, default=Value(self.minimum[""]), output_field=JP_FIELD)

    def distinct(self) -> list[tuple[str, Decimal]]:
        """For the page: each employment type's label and target."""
        labels = dict(EmploymentType.choices)
        return [(str(labels[k]), self.minimum[k]) for k in EmploymentType.values]


def year_targets(year: int) -> YearTargets:
    rows = {t.employment_type: t.minimum for t in JPTarget.objects.filter(year=year)}
    default = rows.get("", Decimal(settings.SINAU_JP_TARGET))
    minimum = {"": default}
    for kind in EmploymentType.values:
        minimum[kind] = rows.get(kind, default)
    return YearTargets(year=year, minimum=minimum)


# --- Figures --------------------------------------------------------------------------


def _dec(value: Any, places: Decimal = TWO_PLACES) -> Decimal:
    # SQLite answers sums as floats and PostgreSQL as Decimals: both to the shown places.
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(places, rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    """One row of the compliance table (a group), or the totals above it."""

    asn: int = 0
    met: int = 0
    jp_sum: Decimal = ZERO
    median: Decimal | None = None
    teknis: Decimal = ZERO
    manajerial: Decimal = ZERO
    sosial_kultural: Decimal = ZERO
    pemerintahan: Decimal = ZERO
    klasikal: Decimal = ZERO
    non_klasikal: Decimal = ZERO
    courses_completed: int = 0
    external_jp: Decimal = ZERO
    pending: int = 0

    @property
    def percent(self) -> Decimal | None:
        if not self.asn:
            return None
        return (Decimal(self.met) * 100 / self.asn).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)

    @property
    def mean(self) -> Decimal | None:
        if not self.asn:
            return None
        return (self.jp_sum / self.asn).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)

    @property
    def not_met(self) -> int:
        return self.asn - self.met

    def add(self, other: Figures) -> None:
        """Add another part's additive figures (never the median)."""
        for name in (
            "asn", "met", "jp_sum", *TYPE_COLUMNS, *FORM_COLUMNS, "courses_completed",
            "external_jp", "pending",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def by_type(self) -> list[tuple[str, Decimal]]:
        from courses.models import CompetencyType

        labels = dict(CompetencyType.choices)
        return [(str(labels[k]), getattr(self, k)) for k in TYPE_COLUMNS]

    def by_form(self) -> list[tuple[str, Decimal]]:
        from courses.models import TrainingForm

        labels = dict(TrainingForm.choices)
        return [(str(labels[k]), getattr(self, k)) for k in FORM_COLUMNS]


@dataclass
class Group:
    """A row of the table: an OPD (or a child unit), or the staff placed directly in a unit
    above them (``rest``), or those with no unit at all (``unit`` None)."""

    key: str | None
    unit: OrgUnit | None
    label: str
    rest: bool = False
    figures: Figures = field(default_factory=Figures)
    keys: set[str | None] = field(default_factory=set)

    @property
    def drillable(self) -> bool:
        return self.unit is not None and not self.rest


def _group_for(key: str | None, groups: Sequence[Group]) -> Group | None:
    """The deepest group whose path the key starts with (groups are sorted deepest first)."""
    for group in groups:
        if group.key is None:
            if key is None:
                return group
        elif key is not None and key.startswith(group.key):
            return group
    return None


def _jp_annotated(qs: QuerySet[Employee], year: int, targets: YearTargets) -> QuerySet[Employee]:
    """Employees with the year's aggregate joined (LEFT: no hours is 0 JP) and their target."""
    return qs.annotate(
        yt=FilteredRelation("jp_years", condition=Q(jp_years__year=year)),
    ).annotate(
        jp=Coalesce(F("yt__total"), Value(ZERO), output_field=JP_FIELD),
        target=targets.case(),
    )


def _medians_by_window(qs: QuerySet[Employee], partition: Any | None) -> dict[Any, Decimal]:
    """The median JP per partition key (or overall with None), by ranking the totals in the
    database and reading only the one or two middle rows of each partition."""
    partition_by = [F("part")] if partition is not None else None
    ranked = (
        qs.annotate(part=partition if partition is not None else Value(""))
        .annotate(
            rn=Window(RowNumber(), partition_by=partition_by, order_by=[F("jp").asc()]),
            n=Window(Count("pk"), partition_by=partition_by),
        )
        .filter(Q(rn=(F("n") + 1) / 2) | Q(rn=(F("n") + 2) / 2))
    )
    middle: dict[Any, list[Decimal]] = {}
    for part, jp in ranked.values_list("part", "jp"):
        middle.setdefault(part, []).append(_dec(jp))
    return {k: _dec(sum(v) / len(v)) for k, v in middle.items()}


def _median_of(qs: QuerySet[Employee]) -> Decimal | None:
    if on_postgres():
        value = qs.aggregate(m=Median("jp"))["m"]
        return None if value is None else _dec(value)
    return _medians_by_window(qs, None).get("")


@dataclass
class Breakdown:
    """The figures of one level: the totals, then one row per group."""

    totals: Figures
    groups: list[Group]
    histogram: list[tuple[str, int]]


def _histogram_aggregates() -> dict[str, Any]:
    counts: dict[str, Any] = {}
    for i, (low, high) in enumerate(BUCKETS):
        if high == low:
            cond = Q(jp__lte=low)
        elif high is None:
            cond = Q(jp__gte=low)
        else:
            cond = Q(jp__gte=low, jp__lt=high) if low else Q(jp__gt=low, jp__lt=high)
        counts[f"b{i}"] = Count("pk", filter=cond)
    return counts


def bucket_labels() -> list[str]:
    """Short labels for the chart's axis: "0", "<5", "5–10" ... "≥20" (each range holds its
    lower bound, not its upper one; the page says so)."""
    labels = []
    for low, high in BUCKETS:
        if high == low:
            labels.append(str(low))
        elif high is None:
            labels.append(f"≥{low}")
        elif not low:
            labels.append(f"<{high}")
        else:
            labels.append(f"{low}–{high}")
    return labels


SUM_COLUMNS = (*TYPE_COLUMNS, *FORM_COLUMNS)


def _people_figures(
    annotated: QuerySet[Employee], key: Any
) -> tuple[dict[str | None, Figures], dict[str | None, Decimal | None], dict[str, Any]]:
    """Per path prefix: ASN, met, the sums and the median; overall: the distribution's
    buckets and the median. On PostgreSQL one scan (GROUPING SETS: each prefix, and all);
    elsewhere a grouped query, an aggregate and two window queries for the medians."""
    if on_postgres():
        return _people_figures_grouping_sets(annotated, key)
    by_key: dict[str | None, Figures] = {}
    sums: dict[str, Any] = {
        "asn": Count("pk"),
        "met": Count("pk", filter=Q(jp__gte=F("target"))),
        "jp_sum": Sum("jp"),
        **{c: Sum(f"yt__{c}") for c in SUM_COLUMNS},
    }
    for row in annotated.annotate(k=key).values("k").annotate(**sums).order_by():
        by_key[row["k"]] = _figures_from(row)
    medians: dict[str | None, Decimal | None] = {}
    overall: dict[str, Any] = annotated.aggregate(**_histogram_aggregates())
    overall["median"] = None
    if by_key:
        medians.update(_medians_by_window(annotated, key))
        overall["median"] = _medians_by_window(annotated, None).get("")
    return by_key, medians, overall


def _figures_from(row: dict[str, Any]) -> Figures:
    figures = Figures(asn=row["asn"], met=row["met"], jp_sum=_dec(row["jp_sum"]))
    for c in SUM_COLUMNS:
        setattr(figures, c, _dec(row[c]))
    return figures


def _bucket_sql(column: str) -> list[str]:
    """The distribution's buckets as SQL conditions on a column (constants only)."""
    conditions = []
    for low, high in BUCKETS:
        if high == low:
            conditions.append(f"{column} <= {low}")
        elif high is None:
            conditions.append(f"{column} >= {low}")
        elif not low:
            conditions.append(f"{column} > 0 AND {column} < {high}")
        else:
            conditions.append(f"{column} >= {low} AND {column} < {high}")
    return conditions


def _people_figures_grouping_sets(
    annotated: QuerySet[Employee], key: Any
) -> tuple[dict[str | None, Figures], dict[str | None, Decimal | None], dict[str, Any]]:
    # Django's own SQL for one row per employee (the scope, the filters, the joins and
    # their parameters), aggregated around it: the per-prefix rows and the Pemda's row in
    # the one pass over the employees that the page cannot do without.
    people = (
        annotated.annotate(
            k=key,
            **{
                f"c_{c}": Coalesce(F(f"yt__{c}"), Value(ZERO), output_field=JP_FIELD)
                for c in SUM_COLUMNS
            },
        )
        .order_by()
        .values("k", "jp", "target", *(f"c_{c}" for c in SUM_COLUMNS))
    )
    inner, params = people.query.sql_with_params()
    sums = ", ".join(f'SUM(p."c_{c}") AS "{c}"' for c in SUM_COLUMNS)
    buckets = ", ".join(
        f"COUNT(*) FILTER (WHERE {cond}) AS b{i}" for i, cond in enumerate(_bucket_sql('p."jp"'))
    )
    sql = (
        'SELECT p."k", GROUPING(p."k") AS is_total, COUNT(*) AS asn, '  # noqa: S608
        'COUNT(*) FILTER (WHERE p."jp" >= p."target") AS met, SUM(p."jp") AS jp_sum, '
        f"{sums}, "
        'percentile_cont(0.5) WITHIN GROUP (ORDER BY p."jp") AS median, '
        f"{buckets} "
        f'FROM ({inner}) AS p GROUP BY GROUPING SETS ((p."k"), ())'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    by_key: dict[str | None, Figures] = {}
    medians: dict[str | None, Decimal | None] = {}
    overall: dict[str, Any] = {"median": None, **{f"b{i}": 0 for i in range(len(BUCKETS))}}
    for row in rows:
        median = None if row["median"] is None else _dec(row["median"])
        if row["is_total"]:
            overall = {**row, "median": median}
            continue
        by_key[row["k"]] = _figures_from(row)
        medians[row["k"]] = median
    return by_key, medians, overall


def _breakdown(
    *,
    scope: Scope,
    filters: ComplianceFilters,
    groups: list[Group],
    unit: OrgUnit | None,
    targets: YearTargets,
) -> Breakdown:
    """Figures per group and in total, in a fixed number of grouped queries."""
    year = filters.year
    people = Employee.objects.filter(population_q(scope=scope, filters=filters, unit=unit))
    annotated = _jp_annotated(people, year, targets)
    # No unit in scope at all: a prefix of any length gives "no unit" (NULL) for everyone.
    length = max((len(g.key) for g in groups if g.key), default=OrgUnit.steplen)
    deepest_first = sorted(groups, key=lambda g: -len(g.key or ""))

    def key_expr(prefix: str = "") -> Any:
        return Substr(f"{prefix}org_unit__path", 1, length)

    by_key, medians, overall = _people_figures(annotated, key_expr())
    start, end = year_bounds(year)
    completed = (
        Enrolment.objects.filter(
            population_q(scope=scope, filters=filters, unit=unit, prefix="employee__"),
            status=Enrolment.Status.COMPLETED, completed_at__gte=start, completed_at__lt=end,
        )
        .annotate(k=key_expr("employee__"))
        .values("k")
        .annotate(n=Count("pk"))
        .order_by()
    )  # fmt: skip
    for row in completed:
        by_key.setdefault(row["k"], Figures()).courses_completed = row["n"]
    external = (
        ExternalTraining.objects.filter(
            population_q(scope=scope, filters=filters, unit=unit, prefix="employee__"),
            ended_on__gte=dt.date(year, 1, 1), ended_on__lte=dt.date(year, 12, 31),
            status__in=[ExternalTraining.Status.VERIFIED, ExternalTraining.Status.SUBMITTED],
        )
        .annotate(k=key_expr("employee__"))
        .values("k")
        .annotate(
            jp=Sum("jp", filter=Q(status=ExternalTraining.Status.VERIFIED)),
            pending=Count("pk", filter=Q(status=ExternalTraining.Status.SUBMITTED)),
        )
        .order_by()
    )  # fmt: skip
    for row in external:
        figures = by_key.setdefault(row["k"], Figures())
        figures.external_jp, figures.pending = _dec(row["jp"]), row["pending"]

    totals = Figures()
    for key, figures in by_key.items():
        totals.add(figures)
        group = _group_for(key, deepest_first)
        if group is None:  # cannot happen within the scope; never count anyone twice
            continue
        group.figures.add(figures)
        group.keys.add(key)
    for group in groups:
        if len(group.keys) == 1:
            group.figures.median = medians.get(next(iter(group.keys)))
        elif group.keys:
            # Several prefixes (staff above every OPD, in units that are not OPDs): its own
            # query, over this group's subtree without the deeper groups inside it.
            own = group.key or ""
            qs = annotated.filter(org_unit__path__startswith=own)
            for other in groups:
                if other.key and other.key != own and other.key.startswith(own):
                    qs = qs.exclude(org_unit__path__startswith=other.key)
            group.figures.median = _median_of(qs)

    totals.median = overall["median"]
    labels = bucket_labels()
    histogram = [(labels[i], overall[f"b{i}"] or 0) for i in range(len(BUCKETS))]
    return Breakdown(totals=totals, groups=groups, histogram=histogram)


def year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The year in the Pemda's time zone, as a range an index can use."""
    zone = timezone.get_current_timezone()
    return dt.datetime(year, 1, 1, tzinfo=zone), dt.datetime(year + 1, 1, 1, tzinfo=zone)


# --- The pages ------------------------------------------------------------------------


@dataclass
class ComplianceReport:
    filters: ComplianceFilters
    targets: YearTargets
    totals: Figures
    rows: list[Group]
    histogram: list[tuple[str, int]]
    monthly: list[tuple[str, Decimal]]
    unit: OrgUnit | None = None
    trail: list[OrgUnit] = field(default_factory=list)

    @property
    def year(self) -> int:
        return self.filters.year


def _dashboard_groups(scope: Scope) -> list[Group]:
    """The OPDs in scope, plus the roots of the scope itself (for an auditor the Pemda; for
    an OPD admin their OPD or unit) to hold anyone placed above every OPD."""
    units = OrgUnit.objects.filter(scope.unit_q())
    if scope.everything:
        units = units.filter(Q(kind=OrgUnit.Kind.OPD) | Q(depth=1))
    else:
        units = units.filter(Q(kind=OrgUnit.Kind.OPD) | Q(path__in=scope.unit_paths))
    found = list(units.only("pk", "path", "depth", "name", "kind").order_by("path"))
    groups = []
    for u in found:
        # A unit holding other rows (the Pemda above its OPDs) is a row for the staff
        # placed in it directly; one holding none (an OPD, or the bidang an admin is scoped
        # to) is a row like any other, with its own page.
        holds_others = any(o.path != u.path and o.path.startswith(u.path) for o in found)
        if not holds_others:
            groups.append(Group(key=u.path, unit=u, label=u.name))
            continue
        if u.kind == OrgUnit.Kind.OPD:
            label = _("Langsung di %(unit)s") % {"unit": u.name}
        else:
            label = _("Langsung di %(unit)s (di luar OPD)") % {"unit": u.name}
        groups.append(Group(key=u.path, unit=u, label=label, rest=True))
    if scope.everything:
        groups.append(Group(key=None, unit=None, label=_("Tanpa unit kerja"), rest=True))
    return groups


def _unit_groups(unit: OrgUnit) -> list[Group]:
    """The unit's children, plus the unit itself for staff placed directly in it."""
    groups = [
        Group(key=child.path, unit=child, label=child.name)
        for child in unit.get_children().only("pk", "path", "depth", "name", "kind")
    ]
    groups.append(
        Group(key=unit.path, unit=unit, label=_("Langsung di %(unit)s") % {"unit": unit.name},
              rest=True)
    )  # fmt: skip
    return groups


def _order_rows(groups: list[Group]) -> list[Group]:
    """Units by name; the "directly here" and "no unit" rows last, and only if they hold
    anyone (an OPD with nobody matching the filters still shows, with zeros)."""
    named = sorted((g for g in groups if not g.rest), key=lambda g: (g.label.casefold(), g.key))
    rest = [g for g in groups if g.rest and g.figures.asn]
    return named + rest


def _sum_by_month(months: QuerySet[JPMonthTotal]) -> Iterator[tuple[int, Decimal]]:
    for row in months.values("month").annotate(jp=Sum("total")).order_by():
        yield row["month"], _dec(row["jp"])


def monthly_trend(
    *, scope: Scope, filters: ComplianceFilters, unit: OrgUnit | None = None
) -> list[tuple[str, Decimal]]:
    """JP credited per month of the year (by the date earned), from the monthly totals."""
    months = JPMonthTotal.objects.filter(year=filters.year)
    by_month: dict[int, Decimal] = {}
    if scope.everything and unit is None and not filters.employee_q():
        # The whole Pemda unfiltered (BKPSDM's first screen): every month row of the year,
        # less those of the few inactive employees; no join of the year's rows with every
        # employee just to keep nearly all of them.
        for month, jp in _sum_by_month(months):
            by_month[month] = by_month.get(month, ZERO) + jp
        for month, jp in _sum_by_month(months.filter(employee__is_active=False)):
            by_month[month] = by_month.get(month, ZERO) - jp
    else:
        population = population_q(scope=scope, filters=filters, unit=unit, prefix="employee__")
        by_month = dict(_sum_by_month(months.filter(population)))
    return [(str(MONTHS[m - 1]), by_month.get(m, ZERO)) for m in range(1, 13)]


def compliance_report(
    *, scope: Scope, filters: ComplianceFilters, unit: OrgUnit | None = None
) -> ComplianceReport:
    """The dashboard (``unit`` None: the OPDs in scope) or one unit's page (its children).
    The caller has checked the unit is in scope (``unit_in_scope``)."""
    groups = _dashboard_groups(scope) if unit is None else _unit_groups(unit)
    targets = year_targets(filters.year)
    breakdown = _breakdown(scope=scope, filters=filters, groups=groups, unit=unit, targets=targets)
    trail: list[OrgUnit] = []
    if unit is not None:
        trail = [a for a in unit.get_ancestors() if scope.covers_path(a.path)]
    return ComplianceReport(
        filters=filters,
        targets=targets,
        totals=breakdown.totals,
        rows=_order_rows(breakdown.groups),
        histogram=breakdown.histogram,
        monthly=monthly_trend(scope=scope, filters=filters, unit=unit),
        unit=unit,
        trail=trail,
    )


# --- Employees ------------------------------------------------------------------------


def employee_compliance(
    *,
    scope: Scope,
    filters: ComplianceFilters,
    unit: OrgUnit | None = None,
    sort: str = "jp",
    targets: YearTargets | None = None,
) -> QuerySet[Employee]:
    """Employees with their year's JP (``jp``), per type and form (``yt__...``), target
    (``target``) and whether they met it (``met``), sorted; to paginate or to export."""
    targets = targets or year_targets(filters.year)
    people = Employee.objects.filter(population_q(scope=scope, filters=filters, unit=unit))
    qs = _jp_annotated(people, filters.year, targets).annotate(
        met=Case(When(jp__gte=F("target"), then=Value(True)), default=Value(False))
    )
    return qs.select_related("org_unit").order_by(*SORTS.get(sort, SORTS["jp"]))


def _opd_names(scope: Scope) -> dict[str, str]:
    """Path of every OPD in scope -> its name (one query; a few hundred rows at most)."""
    return dict(
        OrgUnit.objects.filter(scope.unit_q(), kind=OrgUnit.Kind.OPD).values_list("path", "name")
    )


def _opd_of(path: str, opds: dict[str, str]) -> str:
    step = OrgUnit.steplen
    for depth in range(len(path) // step, 0, -1):
        name = opds.get(path[: depth * step])
        if name is not None:
            return name
    return ""


# --- Tables for download ----------------------------------------------------------------


def _num(value: Decimal | None) -> Decimal | str:
    return "" if value is None else value


def group_header() -> list[str]:
    return [
        _("Unit"), _("ASN"), _("Memenuhi target"), _("Belum memenuhi"), _("Kepatuhan (%)"),
        _("Rata-rata JP"), _("Median JP"), _("Kursus selesai"), _("JP eksternal terverifikasi"),
        _("Menunggu verifikasi"),
    ]  # fmt: skip


def _group_cells(label: str, f: Figures) -> list[Any]:
    return [
        label, f.asn, f.met, f.not_met, _num(f.percent), _num(f.mean), _num(f.median),
        f.courses_completed, f.external_jp, f.pending,
    ]  # fmt: skip


def group_table(report: ComplianceReport) -> tuple[list[str], Iterator[list[Any]]]:
    def body() -> Iterator[list[Any]]:
        for g in report.rows:
            yield _group_cells(g.label, g.figures)
        yield _group_cells(_("Jumlah"), report.totals)

    return group_header(), body()


def jp_kind_header() -> list[str]:
    return [
        _("Unit"), _("Jumlah JP"), _("Teknis"), _("Manajerial"), _("Sosial kultural"),
        _("Pemerintahan"), _("Klasikal"), _("Non-klasikal"),
    ]  # fmt: skip


def _jp_kind_cells(label: str, f: Figures) -> list[Any]:
    return [label, f.jp_sum, *(getattr(f, c) for c in (*TYPE_COLUMNS, *FORM_COLUMNS))]


def jp_kind_table(report: ComplianceReport) -> tuple[list[str], Iterator[list[Any]]]:
    def body() -> Iterator[list[Any]]:
        for g in report.rows:
            yield _jp_kind_cells(g.label, g.figures)
        yield _jp_kind_cells(_("Jumlah"), report.totals)

    return jp_kind_header(), body()


def histogram_table(report: ComplianceReport) -> tuple[list[str], Iterator[list[Any]]]:
    return [_("Rentang JP"), _("Jumlah ASN")], ([label, n] for label, n in report.histogram)


def monthly_table(report: ComplianceReport) -> tuple[list[str], Iterator[list[Any]]]:
    return [_("Bulan"), _("JP dikreditkan")], ([m, jp] for m, jp in report.monthly)


def employee_header() -> list[str]:
    return [
        _("NIP"), _("Nama"), _("Jenis pegawai"), _("Golongan"), _("Jabatan"), _("Jenis jabatan"),
        _("OPD"), _("Unit kerja"), _("JP"), _("Teknis"), _("Manajerial"), _("Sosial kultural"),
        _("Pemerintahan"), _("Klasikal"), _("Non-klasikal"), _("Target JP"), _("Status"),
    ]  # fmt: skip


EMPLOYEE_EXPORT_CHUNK = 5000


def employee_rows(
    *, scope: Scope, filters: ComplianceFilters, unit: OrgUnit | None = None, sort: str = "jp"
) -> tuple[int, Iterator[list[Any]]]:
    """The employee list as table rows, and how many there are: tuples straight from the
    database, a chunk at a time, so a hundred thousand rows keep memory flat."""
    qs = employee_compliance(scope=scope, filters=filters, unit=unit, sort=sort)
    total = qs.count()
    opds = _opd_names(scope)
    kinds = dict(EmploymentType.choices)
    from lms.people.models import JabatanKind

    jabatan_kinds = dict(JabatanKind.choices)
    met_label, not_met_label = _("Memenuhi"), _("Belum memenuhi")
    columns = (
        "nip", "gelar_depan", "full_name", "gelar_belakang", "employment_type", "golongan",
        "jabatan", "jabatan_kind", "org_unit__path", "org_unit__name", "jp",
        *(f"yt__{c}" for c in (*TYPE_COLUMNS, *FORM_COLUMNS)), "target", "met",
    )  # fmt: skip

    def body() -> Iterator[list[Any]]:
        for row in qs.values_list(*columns).iterator(chunk_size=EMPLOYEE_EXPORT_CHUNK):
            (nip, depan, name, belakang, kind, golongan, jabatan, jkind, path, unit_name,
             jp, *parts, target, met) = row  # fmt: skip
            full = f"{depan} {name}".strip()
            if belakang:
                full = f"{full}, {belakang}"
            yield [
                nip, full, str(kinds.get(kind, kind)), golongan, jabatan,
                str(jabatan_kinds.get(jkind, jkind)), _opd_of(path, opds) if path else "",
                unit_name or "", _dec(jp), *(_dec(p) for p in parts), _dec(target),
                met_label if met else not_met_label,
            ]  # fmt: skip

    return total, body()


def employee_count(*, scope: Scope, filters: ComplianceFilters, unit: OrgUnit | None = None) -> int:
    return Employee.objects.filter(population_q(scope=scope, filters=filters, unit=unit)).count()


# --- Export jobs ------------------------------------------------------------------------


def exports_of(*, viewer: Employee) -> QuerySet[ReportExport]:
    """The viewer's own compliance exports, newest first: a file is its requester's alone."""
    return ReportExport.objects.filter(requested_by=viewer, kind__in=EXPORT_KINDS).order_by(
        "-created_at", "-pk"
    )


def export_percent(job: ReportExport) -> int:
    if job.status == ReportExport.Status.READY:
        return 100
    return min(100, int(job.done * 100 / job.total)) if job.total else 0
