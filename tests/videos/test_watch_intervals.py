"""The interval arithmetic behind watch tracking, proven with property tests (hypothesis):
merging is exact, idempotent and order-independent; watching a part twice counts once;
skipping ahead earns only what is watched; one heartbeat never credits more than its budget.

Intervals are drawn on a grid of quarter seconds so that a brute-force set of points (the
midpoints of the grid cells) decides coverage exactly; a second family uses free floats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.videos.watching import (
    COMPLETION_TOLERANCE_SECONDS,
    MAX_GAP_SECONDS,
    MAX_PLAYBACK_RATE,
    SLACK_SECONDS,
    credit,
    heartbeat_budget,
    merge,
    normalise,
    resume_point,
    subtract,
    take_first,
    threshold_reached,
    total_length,
    watched_percent,
)

STEP = 0.25
GRID = 240  # cells: a 60-second video
DURATION = GRID * STEP

Pairs = list[tuple[float, float]]


@st.composite
def grid_interval(draw: st.DrawFn, cells: int = GRID + 20) -> tuple[float, float]:
    """An interval on the quarter-second grid; may run past the duration, may be empty."""
    a = draw(st.integers(min_value=0, max_value=cells))
    b = draw(st.integers(min_value=0, max_value=cells))
    return (a * STEP, b * STEP)


grid_lists = st.lists(grid_interval(), max_size=25)
float_intervals = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=DURATION, allow_nan=False),
        st.floats(min_value=0, max_value=DURATION, allow_nan=False),
    ),
    max_size=25,
)


def cells_of(intervals: Sequence[Sequence[float]], duration: float | None = None) -> set[int]:
    """Brute force: the grid cells whose midpoint some interval covers."""
    upper = math.inf if duration is None else duration
    return {
        cell
        for cell in range(GRID + 40)
        for start, end in intervals
        if start <= (cell + 0.5) * STEP < end and (cell + 0.5) * STEP < upper
    }


def assert_normal(result: Pairs) -> None:
    for start, end in result:
        assert start < end
    for (_s1, e1), (s2, _e2) in zip(result, result[1:], strict=False):
        assert e1 < s2, result  # sorted, apart: touching intervals would have been joined


# --- normalise / merge ------------------------------------------------------------------


@given(grid_lists)
def test_normalised_is_sorted_apart_and_covers_exactly_the_union(intervals: Pairs) -> None:
    result = normalise(intervals)
    assert_normal(result)
    assert cells_of(result) == cells_of(intervals)
    assert total_length(result) == pytest.approx(len(cells_of(intervals)) * STEP)


@given(grid_lists)
def test_clipped_to_the_duration_never_longer_than_the_video(intervals: Pairs) -> None:
    result = normalise(intervals, DURATION)
    assert_normal(result)
    assert all(0 <= s < e <= DURATION for s, e in result)
    assert cells_of(result) == cells_of(intervals, DURATION)
    assert total_length(result) <= DURATION


@given(float_intervals, st.floats(min_value=0, max_value=DURATION, allow_nan=False))
def test_any_point_is_covered_after_merging_iff_it_was_before(
    intervals: Pairs, point: float
) -> None:
    result = normalise(intervals)
    assert_normal(result)
    before = any(s <= point < e for s, e in intervals)
    after = any(s <= point < e for s, e in result)
    assert before == after


@given(grid_lists)
def test_merging_is_idempotent(intervals: Pairs) -> None:
    once = normalise(intervals, DURATION)
    assert normalise(once, DURATION) == once
    assert merge(once, once, duration=DURATION) == once


@given(grid_lists, st.randoms(use_true_random=False))
def test_merging_does_not_depend_on_order(intervals: Pairs, rng: object) -> None:
    shuffled = list(intervals)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert normalise(shuffled) == normalise(intervals)


@given(grid_lists, grid_lists)
def test_merge_is_commutative_and_the_union(a: Pairs, b: Pairs) -> None:
    assert merge(a, b) == merge(b, a)
    assert cells_of(merge(a, b)) == cells_of(a) | cells_of(b)


@given(grid_lists)
def test_watching_the_same_part_twice_counts_once(intervals: Pairs) -> None:
    once = total_length(intervals)
    assert total_length(merge(intervals, intervals)) == pytest.approx(once)
    assert total_length(intervals + intervals) == pytest.approx(once)


@given(grid_lists, grid_lists)
def test_merged_total_is_at_most_the_sum_and_at_least_each_part(a: Pairs, b: Pairs) -> None:
    both = total_length(merge(a, b))
    assert both <= total_length(a) + total_length(b) + 1e-9
    assert both >= max(total_length(a), total_length(b)) - 1e-9


@given(
    st.integers(min_value=1, max_value=100),
    st.integers(min_value=0, max_value=50),
    st.integers(min_value=1, max_value=40),
)
def test_skipping_ahead_earns_only_what_is_watched_there(
    watched: int, gap: int, length: int
) -> None:
    """Watched [0, w); then a jump far ahead and [s, s+L) watched there: w + L, no more."""
    start = watched + 1 + gap
    result = merge([(0, watched)], [(start, start + length)])
    assert total_length(result) == watched + length
    assert result == [(0, watched), (start, start + length)]


# --- subtract / take_first / credit -----------------------------------------------------


@given(grid_lists, grid_lists)
def test_subtract_leaves_exactly_the_new_part(a: Pairs, b: Pairs) -> None:
    result = subtract(a, b)
    assert_normal(result)
    assert cells_of(result) == cells_of(a) - cells_of(b)


@given(grid_lists, st.floats(min_value=0, max_value=2 * DURATION, allow_nan=False))
def test_take_first_keeps_the_earliest_seconds_up_to_the_budget(
    intervals: Pairs, budget: float
) -> None:
    result = take_first(intervals, budget)
    assert_normal(result)
    whole = total_length(intervals)
    assert total_length(result) == pytest.approx(min(budget, whole))
    # The earliest: whatever was dropped lies after everything kept.
    dropped = subtract(intervals, result)
    if result and dropped:
        assert dropped[0][0] >= result[-1][1] - 1e-9


@settings(max_examples=300)
@given(grid_lists, grid_lists, st.floats(min_value=0, max_value=DURATION, allow_nan=False))
def test_one_heartbeat_credits_at_most_its_budget_and_only_what_was_sent(
    watched: Pairs, incoming: Pairs, budget: float
) -> None:
    known = normalise(watched, DURATION)
    result = credit(known, incoming, budget=budget, duration=DURATION)
    assert_normal(result)
    gained = total_length(result) - total_length(known)
    assert -1e-9 <= gained <= budget + 1e-9
    # Nothing watched is lost; nothing not sent is credited.
    assert cells_of(known) <= cells_of(result)
    assert cells_of(result) <= cells_of(known) | cells_of(incoming, DURATION)
    assert total_length(result) <= DURATION
    # With budget enough for all of it, the heartbeat is credited in full.
    full = credit(known, incoming, budget=DURATION, duration=DURATION)
    assert cells_of(full) == cells_of(known) | cells_of(incoming, DURATION)


@given(grid_lists)
def test_sending_the_same_heartbeat_again_credits_nothing(intervals: Pairs) -> None:
    first = credit([], intervals, budget=DURATION, duration=DURATION)
    again = credit(first, intervals, budget=DURATION, duration=DURATION)
    assert again == first


def test_a_claim_to_the_whole_video_gets_only_the_budget() -> None:
    budget = heartbeat_budget(10)
    result = credit([], [(0, 600)], budget=budget, duration=600)
    assert result == [(0, budget)]
    assert budget == MAX_PLAYBACK_RATE * (10 + SLACK_SECONDS)


# --- budget, threshold, resume ----------------------------------------------------------


@given(st.one_of(st.none(), st.floats(min_value=-1e6, max_value=1e9, allow_nan=False)))
def test_budget_grows_with_time_up_to_the_longest_gap(elapsed: float | None) -> None:
    budget = heartbeat_budget(elapsed)
    assert budget >= MAX_PLAYBACK_RATE * SLACK_SECONDS
    assert budget <= MAX_PLAYBACK_RATE * (MAX_GAP_SECONDS + SLACK_SECONDS)
    if elapsed is not None and 0 <= elapsed <= MAX_GAP_SECONDS:
        assert budget == pytest.approx(MAX_PLAYBACK_RATE * (elapsed + SLACK_SECONDS))


@pytest.mark.parametrize(
    ("watched", "duration", "percent", "reached"),
    [
        (89.0, 100.0, 90, False),
        (90.0, 100.0, 90, True),
        (100.0 - COMPLETION_TOLERANCE_SECONDS, 100.0, 100, True),
        (99.0, 100.0, 100, False),
        (0.0, 0.0, 90, False),
        (5.0, None, 90, False),
        (1.0, 100.0, 1, True),
    ],
)
def test_threshold(watched: float, duration: float | None, percent: int, reached: bool) -> None:
    assert threshold_reached(watched_seconds=watched, duration=duration, percent=percent) is reached


def test_percent_rounds_down_and_stays_in_range() -> None:
    assert watched_percent(99.4, 100) == 99
    assert watched_percent(99.6, 100) == 100  # within the ladder's tolerance of the end
    assert watched_percent(100, 100) == 100
    assert watched_percent(150, 100) == 100
    assert watched_percent(5, None) == 0


def test_resume_point_starts_again_near_the_end() -> None:
    assert resume_point(42.34, 600) == 42.3
    assert resume_point(594.9, 600) == 594.9
    assert resume_point(597, 600) == 0
    assert resume_point(2.5, 4) == 2.5  # a short clip: only its last tenth restarts
    assert resume_point(3.7, 4) == 0
    assert resume_point(0, 600) == 0
    assert resume_point(3, None) == 0
