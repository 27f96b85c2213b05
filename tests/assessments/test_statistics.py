"""Item analysis on small, hand-worked examples; the arithmetic is in the comments."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import pytest

from lms.assessments.statistics import (
    ItemResponse,
    ItemStatistics,
    QuizStatistics,
    Sitting,
    analyse,
)

Row = Mapping[str, tuple[str, str | None]]  # slot key -> (fraction, response key)


def sittings(*rows: Row, max_mark: str = "1") -> list[Sitting]:
    """Attempts whose total is the sum of their item marks out of the sum of max marks."""
    result = []
    for number, row in enumerate(rows, start=1):
        items = {
            key: ItemResponse(
                fraction=Decimal(fraction), max_mark=Decimal(max_mark), response_key=answer
            )
            for key, (fraction, answer) in row.items()
        }
        marks = sum((item.fraction * item.max_mark for item in items.values()), Decimal(0))
        total = marks / (Decimal(max_mark) * len(items)) if items else Decimal(0)
        result.append(Sitting(attempt_id=number, total_fraction=total, items=items))
    return result


def scores(*rows: tuple[int | str, ...], max_mark: str = "1") -> list[Sitting]:
    """Rows of fractions for items q1, q2, ... with no response keys."""
    return sittings(
        *({f"q{i}": (str(f), None) for i, f in enumerate(row, start=1)} for row in rows),
        max_mark=max_mark,
    )


# Five learners, three questions (1 mark each):
#   learner  q1  q2  q3   total
#   1        1   1   1     3
#   2        1   1   0.5   2.5
#   3        1   1   0     2
#   4        0   1   0.5   1.5
#   5        0   1   0     1
FIVE = sittings(
    {"q1": ("1", "a"), "q2": ("1", "true"), "q3": ("1", "pancasila")},
    {"q1": ("1", "a"), "q2": ("1", "true"), "q3": ("0.5", "panca")},
    {"q1": ("1", "a"), "q2": ("1", "true"), "q3": ("0", None)},
    {"q1": ("0", "b"), "q2": ("1", "true"), "q3": ("0.5", "panca")},
    {"q1": ("0", None), "q2": ("1", "true"), "q3": ("0", "uud")},
)


@pytest.fixture(scope="module")
def five() -> tuple[QuizStatistics, dict[str, ItemStatistics]]:
    return analyse(FIVE)


def test_facility_and_item_spread(five: tuple[QuizStatistics, dict[str, ItemStatistics]]) -> None:
    _, items = five
    assert list(items) == ["q1", "q2", "q3"]
    assert [item.attempts for item in items.values()] == [5, 5, 5]
    # q1: mean 3/5; sample variance of 1,1,1,0,0 = 1.2 / 4 = 0.3, sqrt = 0.5477.
    assert items["q1"].facility == 60.0
    assert items["q1"].standard_deviation == 54.77
    # q3: mean 2/5; squared deviations .36 .01 .16 .01 .16 = 0.7, / 4 = 0.175, sqrt = 0.4183.
    assert items["q3"].facility == 40.0
    assert items["q3"].standard_deviation == 41.83


def test_good_item_discriminates_positively(
    five: tuple[QuizStatistics, dict[str, ItemStatistics]],
) -> None:
    q1 = five[1]["q1"]
    # q1 deviations .4 .4 .4 -.6 -.6; rest of the test (q2 + q3) 2 1.5 1 1.5 1, mean 1.4,
    # deviations .6 .1 -.4 .1 -.4. Sum of products 0.3; sums of squares 1.2 and 0.7.
    # r = 0.3 / sqrt(1.2 x 0.7) = 0.3273.
    assert q1.discrimination_index == 32.73
    # Both sorted: -.6 -.6 .4 .4 .4 against -.4 -.4 .1 .1 .6 gives 0.8; 0.3 / 0.8 = 37.5%.
    assert q1.discriminative_efficiency == 37.5


def test_item_everybody_gets_right_does_not_discriminate(
    five: tuple[QuizStatistics, dict[str, ItemStatistics]],
) -> None:
    q2 = five[1]["q2"]
    assert q2.facility == 100.0
    assert q2.standard_deviation == 0.0
    assert q2.discrimination_index is None
    assert q2.discriminative_efficiency is None


def test_option_distribution_counts(five: tuple[QuizStatistics, dict[str, ItemStatistics]]) -> None:
    _, items = five
    # Most chosen first; a tie goes by key with the unanswered bucket last.
    assert list(items["q1"].options.items()) == [("a", 3), ("b", 1), (None, 1)]
    assert list(items["q2"].options.items()) == [("true", 5), (None, 0)]
    assert list(items["q3"].options.items()) == [
        ("panca", 2),
        ("pancasila", 1),
        ("uud", 1),
        (None, 1),
    ]


def test_quiz_figures(five: tuple[QuizStatistics, dict[str, ItemStatistics]]) -> None:
    quiz, _ = five
    # Totals 3 2.5 2 1.5 1 out of 3: 100 83.33 66.67 50 33.33 percent.
    assert quiz.attempts == 5
    assert quiz.mean == 66.67
    assert quiz.median == 66.67
    # Deviations (100/6) x 2 1 0 -1 -2: SD = (100/6) x sqrt(10/4) = 26.35.
    assert quiz.standard_deviation == 26.35
    # Symmetric, so no skew. In units of 100/6: m2 = 10/5, m4 = 34/5; k2 = 2.5,
    # k4 = 25 x (6 x 6.8 - 3 x 4 x 4) / 24 = -7.5; kurtosis = -7.5 / 2.5^2 = -1.2.
    assert quiz.skewness == 0.0
    assert quiz.kurtosis == -1.2
    # Item variances .3 + 0 + .175 = .475; total-mark variance 2.5 / 4 = .625.
    # alpha = 3/2 x (1 - .475 / .625) = .36; error ratio sqrt(.64) = 80%; SE = .8 x 26.35.
    assert quiz.internal_consistency == 36.0
    assert quiz.error_ratio == 80.0
    assert quiz.standard_error == 21.08


def test_item_that_weak_learners_get_right_discriminates_negatively() -> None:
    _, items = analyse(scores((1, 1, 1, 0), (1, 1, 0, 0), (1, 0, 0, 1), (0, 0, 0, 1)))
    q4 = items["q4"]
    # q4 deviations -.5 -.5 .5 .5 against rest 3 2 1 0 (deviations 1.5 .5 -.5 -1.5):
    # covariance sum -2, r = -2 / sqrt(1 x 5) = -0.8944.
    assert q4.discrimination_index == -89.44
    # The best pairing of the same marks would give +2, so the efficiency is -100%.
    assert q4.discriminative_efficiency == -100.0
    assert items["q1"].discrimination_index is not None
    assert items["q1"].discrimination_index > 0


def test_cronbach_alpha_on_a_guttman_scale() -> None:
    # The textbook perfect scale: each learner gets the easier items right and no harder one.
    # Item variances 1/4, 1/3, 1/4 (sum 5/6); totals 3 2 1 0, variance 5/3.
    # alpha = 3/2 x (1 - (5/6) / (5/3)) = 0.75.
    quiz, _ = analyse(scores((1, 1, 1), (1, 1, 0), (1, 0, 0), (0, 0, 0)))
    assert quiz.internal_consistency == 75.0
    assert quiz.error_ratio == 50.0
    # Totals 100 66.67 33.33 0 percent: SD 43.03, half of it is the standard error.
    assert quiz.standard_deviation == 43.03
    assert quiz.standard_error == 21.52


def test_cronbach_alpha_equals_kr20_for_right_or_wrong_items() -> None:
    rows = [
        (1, 1, 1, 1, 0),
        (1, 1, 1, 0, 0),
        (1, 0, 1, 0, 1),
        (1, 1, 0, 0, 0),
        (0, 1, 0, 0, 0),
        (1, 0, 0, 0, 0),
    ]
    quiz, _ = analyse(scores(*rows))
    # Kuder-Richardson 20 with population variances: k/(k-1) x (1 - sum p q / var).
    n, k = len(rows), len(rows[0])
    p = [sum(row[i] for row in rows) / n for i in range(k)]
    totals = [sum(row) for row in rows]
    mean = sum(totals) / n
    variance = sum((t - mean) ** 2 for t in totals) / n
    kr20 = k / (k - 1) * (1 - sum(x * (1 - x) for x in p) / variance)
    assert quiz.internal_consistency == round(100 * kr20, 2)


def test_skewness_and_kurtosis_of_a_lopsided_quiz() -> None:
    # Scores 0 0 0 100: mean 25, median 0, deviations 25 x (-1 -1 -1 3).
    # m2 = 3, m3 = 6, m4 = 21 (units of 25); k2 = 4, k3 = 16 x 6 / 6 = 16, skewness 16 / 8 = 2;
    # k4 = 16 x (5 x 21 - 3 x 3 x 9) / 6 = 64, kurtosis 64 / 16 = 4.
    quiz, items = analyse(scores((0,), (0,), (0,), (1,)))
    assert (quiz.mean, quiz.median, quiz.standard_deviation) == (25.0, 0.0, 50.0)
    assert (quiz.skewness, quiz.kurtosis) == (2.0, 4.0)
    # A single question has no "rest of the test" and no internal consistency.
    assert quiz.internal_consistency is None
    assert quiz.standard_error is None
    assert items["q1"].discrimination_index is None


def test_no_attempts() -> None:
    quiz, items = analyse([])
    assert quiz == QuizStatistics(
        attempts=0,
        mean=None,
        median=None,
        standard_deviation=None,
        skewness=None,
        kurtosis=None,
        internal_consistency=None,
        error_ratio=None,
        standard_error=None,
    )
    assert items == {}


def test_one_attempt() -> None:
    quiz, items = analyse(scores((1, "0.5", 0)))
    assert (quiz.attempts, quiz.mean, quiz.median) == (1, 50.0, 50.0)
    assert quiz.standard_deviation is None
    assert quiz.skewness is None
    assert quiz.internal_consistency is None
    q2 = items["q2"]
    assert (q2.attempts, q2.facility) == (1, 50.0)
    assert q2.standard_deviation is None
    assert q2.discrimination_index is None
    assert q2.discriminative_efficiency is None


def test_everybody_scores_the_same() -> None:
    quiz, items = analyse(scores((1, 0, 1), (1, 0, 1), (1, 0, 1), (1, 0, 1)))
    assert (quiz.mean, quiz.median, quiz.standard_deviation) == (66.67, 66.67, 0.0)
    assert quiz.skewness is None
    assert quiz.kurtosis is None
    assert quiz.internal_consistency is None
    assert quiz.error_ratio is None
    assert quiz.standard_error is None
    for item in items.values():
        assert item.standard_deviation == 0.0
        assert item.discrimination_index is None
        assert item.discriminative_efficiency is None
    assert items["q2"].facility == 0.0


def test_two_attempts_have_no_skewness_but_an_alpha() -> None:
    quiz, _ = analyse(scores((1, 1), (0, 0)))
    assert quiz.standard_deviation == 70.71
    assert quiz.skewness is None
    assert quiz.kurtosis is None
    # Two perfectly agreeing items: alpha = 2 x (1 - (1/2 + 1/2) / 2) = 1.
    assert quiz.internal_consistency == 100.0
    assert quiz.standard_error == 0.0


def test_questions_drawn_at_random() -> None:
    # Keyed by question id, attempts see different questions: each item counts only the
    # attempts that had it, and alpha, which needs the same items everywhere, is None.
    drawn = sittings(
        {"q1": ("1", "a"), "q2": ("1", "a")},
        {"q1": ("0", "b"), "q3": ("0", None)},
        {"q2": ("1", "a"), "q3": ("1", "c")},
        {"q1": ("1", "a"), "q3": ("0", "d")},
    )
    quiz, items = analyse(drawn)
    assert quiz.attempts == 4
    assert quiz.internal_consistency is None
    assert {key: item.attempts for key, item in items.items()} == {"q1": 3, "q2": 2, "q3": 3}
    assert items["q1"].facility == 66.67
    assert sum(items["q3"].options.values()) == 3


def test_doubling_every_mark_changes_nothing() -> None:
    # Every figure is a percentage, a correlation or a ratio of variances: scale-free.
    rows = [(1, 1, 1, 0), (1, 1, 0, 0), (1, 0, 0, 1), (0, 0, 0, 1)]
    assert analyse(scores(*rows, max_mark="2")) == analyse(scores(*rows))
