"""Item analysis for a quiz: the figures of Moodle's quiz statistics report, from plain data.

Pure Python on purpose (no models, no queries): a selector loads the finished attempts,
turns them into `Sitting`s and calls `analyse()`; the report view only renders the result.

The formulas are Moodle's, from "Quiz statistics calculations" (docs.moodle.org/dev/
Quiz_statistics_calculations) and the code that implements them
(question/classes/statistics/questions/calculator.php for the items,
mod/quiz/report/statistics/classes/calculator.php for the quiz):

* An item's mark is its fraction times its max mark; an attempt's total mark is the sum of
  its item marks, and the "rest of the test" for an item is that total minus the item's mark.
* Variances and covariances divide by n - 1 (sample statistics), as Moodle does.
* Facility = mean fraction x 100. Item SD = sample SD of the fraction x 100 (Moodle: SD of
  the mark / max mark, the same thing while a question keeps its max mark).
* Discrimination index = 100 x cov(mark, rest) / sqrt(var(mark) x var(rest)).
* Discriminative efficiency = 100 x cov(mark, rest) / cov_max, where cov_max pairs the
  item marks and rest marks each sorted ascending: the largest covariance the two observed
  distributions could have.
* Quiz mean, median and SD are of the attempts' totals in percent. Skewness k3 / k2^1.5 and
  kurtosis k4 / k2^2 use the unbiased cumulants (the same as a spreadsheet's SKEW and KURT).
* Coefficient of internal consistency (Cronbach's alpha, in percent)
  = 100 x p / (p - 1) x (1 - sum of item mark variances / variance of the total mark);
  error ratio = 100 x sqrt(1 - alpha); standard error = error ratio x SD / 100.
  Moodle only shows these from three attempts on (they sit inside its skewness branch);
  alpha is defined from two, so it is given from two.

Numbers are floats: these are descriptive statistics full of square roots and ratios, not
money or credit, so Decimal would buy nothing but friction. The inputs stay Decimal (they
come from the attempt rows) and are converted once; every output is rounded to 2 decimals,
and a figure that is undefined for the data (too few attempts, no spread) is None rather
than an error or a NaN.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

# Float sums of identical marks can leave a variance of 1e-33 instead of 0; anything this
# small is "no spread" (marks are at most a few hundred, so real variances are far larger).
_ZERO = 1e-9


@dataclass(frozen=True, slots=True)
class ItemResponse:
    """One question as one attempt answered it."""

    fraction: Decimal  # 0..1 of the question's mark
    max_mark: Decimal
    # What was answered, for the option distribution: the chosen choice id, "true", the
    # normalised short answer, a numeric value... None when the question was left blank.
    response_key: str | None = None


@dataclass(frozen=True, slots=True)
class Sitting:
    """One finished attempt.

    `total_fraction` is the attempt's overall result as a fraction 0..1 of its maximum
    (Attempt.marks / Attempt.max_marks): the quiz mean, median, SD, skewness and kurtosis are
    of this, in percent, as Moodle reports them of the attempt's sumgrades. The item figures
    and the internal consistency use the item marks instead, so they stay consistent with
    each other even if a total was adjusted by hand.

    `items` is keyed by whatever identifies a question across attempts. Question ids give
    per-question figures even when questions are drawn at random; slot positions (Moodle's
    choice) keep every attempt on the same keys, which the internal consistency needs.
    """

    attempt_id: int
    total_fraction: Decimal
    items: Mapping[str, ItemResponse] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ItemStatistics:
    slot_key: str
    attempts: int  # attempts that contained this item
    facility: float | None  # percent
    standard_deviation: float | None  # percent of the max mark
    discrimination_index: float | None  # percent, -100..100
    discriminative_efficiency: float | None  # percent
    # Response key (None = not answered) -> count, most frequent first, ties by key with the
    # unanswered bucket last. The None bucket is always there, possibly with 0; choices
    # nobody picked are not (the data only knows what was answered).
    options: dict[str | None, int]


@dataclass(frozen=True, slots=True)
class QuizStatistics:
    attempts: int
    mean: float | None  # percent
    median: float | None  # percent
    standard_deviation: float | None  # percent
    skewness: float | None
    kurtosis: float | None
    internal_consistency: float | None  # Cronbach's alpha, percent
    error_ratio: float | None  # percent
    standard_error: float | None  # percent


def analyse(sittings: Sequence[Sitting]) -> tuple[QuizStatistics, dict[str, ItemStatistics]]:
    """Quiz-level and per-item statistics for these finished attempts.

    Items come out in the order they first appear in the sittings. Never raises on thin
    data: what cannot be computed is None.
    """
    item_marks = [
        {key: float(item.fraction) * float(item.max_mark) for key, item in s.items.items()}
        for s in sittings
    ]
    totals = [math.fsum(marks.values()) for marks in item_marks]
    items = {
        key: _item_statistics(key, sittings, item_marks, totals)
        for key in dict.fromkeys(key for s in sittings for key in s.items)
    }
    return _quiz_statistics(sittings, item_marks, totals), items


def _quiz_statistics(
    sittings: Sequence[Sitting], item_marks: list[dict[str, float]], totals: list[float]
) -> QuizStatistics:
    n = len(sittings)
    scores = [100 * float(s.total_fraction) for s in sittings]
    mean = median = sd = skewness = kurtosis = cic = error_ratio = standard_error = None
    if n:
        mean = math.fsum(scores) / n
        ordered = sorted(scores)
        median = (ordered[(n - 1) // 2] + ordered[n // 2]) / 2
    if mean is not None and n > 1:
        deviations = [x - mean for x in scores]
        power2 = math.fsum(d**2 for d in deviations)
        sd = math.sqrt(power2 / (n - 1))
        m2 = power2 / n
        k2 = n * m2 / (n - 1)
        if k2 > _ZERO and n > 2:
            m3 = math.fsum(d**3 for d in deviations) / n
            skewness = n * n * m3 / ((n - 1) * (n - 2)) / k2**1.5
        if k2 > _ZERO and n > 3:
            m4 = math.fsum(d**4 for d in deviations) / n
            k4 = n * n * ((n + 1) * m4 - 3 * (n - 1) * m2 * m2) / ((n - 1) * (n - 2) * (n - 3))
            kurtosis = k4 / (k2 * k2)
        alpha = _cronbach_alpha(item_marks, totals)
        if alpha is not None:
            cic = 100 * alpha
            # alpha <= 1 in exact arithmetic; the max() keeps float noise out of the sqrt.
            error_ratio = 100 * math.sqrt(max(0.0, 1 - alpha))
            standard_error = error_ratio * sd / 100
    return QuizStatistics(
        attempts=n,
        mean=_round(mean),
        median=_round(median),
        standard_deviation=_round(sd),
        skewness=_round(skewness),
        kurtosis=_round(kurtosis),
        internal_consistency=_round(cic),
        error_ratio=_round(error_ratio),
        standard_error=_round(standard_error),
    )


def _cronbach_alpha(item_marks: list[dict[str, float]], totals: list[float]) -> float | None:
    """Alpha over the item marks, or None when it is undefined: fewer than two attempts or
    two items, no spread in the totals, or attempts that did not all see the same items (an
    item missing from some attempts has no variance to put in the sum)."""
    if len(item_marks) < 2:
        return None
    keys = item_marks[0].keys()
    p = len(keys)
    if p < 2 or any(marks.keys() != keys for marks in item_marks):
        return None
    total_variance = _variance(totals)
    if total_variance <= _ZERO:
        return None
    item_variance = math.fsum(_variance([marks[key] for marks in item_marks]) for key in keys)
    return p / (p - 1) * (1 - item_variance / total_variance)


def _item_statistics(
    key: str,
    sittings: Sequence[Sitting],
    item_marks: list[dict[str, float]],
    totals: list[float],
) -> ItemStatistics:
    fractions: list[float] = []
    marks: list[float] = []
    rest: list[float] = []
    answers: Counter[str | None] = Counter()
    for sitting, sitting_marks, total in zip(sittings, item_marks, totals, strict=True):
        item = sitting.items.get(key)
        if item is None:
            continue
        fractions.append(float(item.fraction))
        marks.append(sitting_marks[key])
        rest.append(total - sitting_marks[key])
        answers[item.response_key] += 1
    n = len(marks)
    sd = discrimination = efficiency = None
    if n > 1:
        sd = 100 * math.sqrt(_variance(fractions))
        mark_variance, rest_variance = _variance(marks), _variance(rest)
        covariance = _covariance(marks, rest)
        if mark_variance > _ZERO and rest_variance > _ZERO:
            discrimination = 100 * covariance / math.sqrt(mark_variance * rest_variance)
        # The rearrangement inequality makes this the largest covariance any pairing of the
        # same marks could reach; it is 0 exactly when either side has no spread.
        covariance_max = _covariance(sorted(marks), sorted(rest))
        if covariance_max > _ZERO:
            efficiency = 100 * covariance / covariance_max
    answers.setdefault(None, 0)
    options = dict(sorted(answers.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or "")))
    return ItemStatistics(
        slot_key=key,
        attempts=n,
        facility=_round(100 * math.fsum(fractions) / n) if n else None,
        standard_deviation=_round(sd),
        discrimination_index=_round(discrimination),
        discriminative_efficiency=_round(efficiency),
        options=options,
    )


def _variance(values: Sequence[float]) -> float:
    return _covariance(values, values)


def _covariance(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Sample covariance (n - 1); the callers make sure n > 1."""
    n = len(xs)
    mean_x, mean_y = math.fsum(xs) / n, math.fsum(ys) / n
    return math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / (n - 1)


def _round(value: float | None) -> float | None:
    # Adding 0.0 turns a rounded -0.0 into 0.0, which nobody wants to read in a report.
    return None if value is None else round(value, 2) + 0.0
