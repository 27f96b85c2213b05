"""The duplicate check between OPD training proposals, as pure functions: planted duplicates
are found, planted non-duplicates pass, and each threshold holds at its edge. The stored
pairs (created, updated, removed on resubmission) are tested in test_proposals.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from lms.planning.models import jabatan_key
from lms.planning.proposals import duplicates as d

YEAR = 2031
TEK01, TEK02, TEK03, MAN01 = 1, 2, 3, 4


def facts(
    id_: int,
    *,
    opd: int,
    title: str,
    competencies: set[int],
    jabatan: list[str],
    starts: tuple[int, int],
    ends: tuple[int, int],
    year: int = YEAR,
) -> d.ProposalFacts:
    return d.ProposalFacts(
        id=id_, opd_id=opd, year=year, title=title, competency_ids=frozenset(competencies),
        jabatan_keys=frozenset(jabatan_key(j) for j in jabatan),
        starts_on=dt.date(year, *starts), ends_on=dt.date(year, *ends),
    )  # fmt: skip


# OPD 1's finance training for treasurers in March.
KEUANGAN = facts(
    1, opd=1, title="Pelatihan Pengelolaan Keuangan Daerah", competencies={TEK01},
    jabatan=["Bendahara Pengeluaran", "Analis Keuangan"], starts=(3, 10), ends=(3, 14),
)  # fmt: skip


# --- Planted duplicates --------------------------------------------------------------------------


def test_the_same_programme_under_another_name_in_another_opd_is_found() -> None:
    bimtek = facts(
        2, opd=2, title="Bimtek pengelolaan keuangan daerah bagi bendahara",
        competencies={TEK01}, jabatan=["bendahara  pengeluaran"], starts=(3, 12), ends=(3, 13),
    )  # fmt: skip
    match = d.compare(KEUANGAN, bimtek)
    assert match is not None
    assert match.codes() == ["competencies", "participants", "schedule", "title"]
    reasons = {r["code"]: r["value"] for r in match.reasons}
    assert reasons == {"competencies": 1.0, "participants": 0.5, "schedule": 0, "title": 0.75}
    # 0.4 * 1 + 0.25 * 0.75 + 0.2 * 0.5 + 0.15 * 1
    assert match.score == Decimal("0.838")
    assert d.compare(bimtek, KEUANGAN) == match  # symmetric


def codes(a: d.ProposalFacts, b: d.ProposalFacts) -> list[str] | None:
    match = d.compare(a, b)
    return None if match is None else match.codes()


def test_strong_competency_overlap_with_one_other_signal_is_enough() -> None:
    base = replace(KEUANGAN, id=2, opd_id=2, title="Penatausahaan Aset", jabatan_keys=frozenset())
    far: dict[str, Any] = {"starts_on": dt.date(YEAR, 9, 1), "ends_on": dt.date(YEAR, 9, 3)}
    # Only the schedule meets (within 30 days of the March training).
    near = replace(base, starts_on=dt.date(YEAR, 4, 13), ends_on=dt.date(YEAR, 4, 14))
    assert codes(KEUANGAN, near) == ["competencies", "schedule"]
    # Only the participants meet.
    same_people = replace(base, jabatan_keys=frozenset({"bendahara pengeluaran"}), **far)
    assert codes(KEUANGAN, same_people) == ["competencies", "participants"]
    # Only the title meets (half the distinctive words).
    similar = replace(base, title="Diklat Pengelolaan Keuangan Desa", **far)
    assert codes(KEUANGAN, similar) == ["competencies", "title"]
    # Nothing but the competency: two programmes for the same competency are allowed.
    assert d.compare(KEUANGAN, replace(base, **far)) is None


def test_near_identical_titles_are_found_whatever_else_differs() -> None:
    other = facts(
        2, opd=2, title="DIKLAT: Pengelolaan Keuangan Daerah 2031", competencies={MAN01},
        jabatan=["Kepala Seksi"], starts=(10, 1), ends=(10, 3),
    )  # fmt: skip
    match = d.compare(KEUANGAN, other)
    assert match is not None
    assert match.codes() == ["title_identical"]
    # A typo does not hide it either.
    typo = replace(other, title="Pelatihan Pengelolan Keuangan Daerah")
    assert codes(KEUANGAN, typo) == ["title_identical"]


# --- Planted non-duplicates ----------------------------------------------------------------------


def test_same_competency_but_other_people_other_months_other_title_passes() -> None:
    other = facts(
        2, opd=2, title="Workshop Penyusunan Laporan Keuangan SKPD", competencies={TEK01},
        jabatan=["Kepala Seksi"], starts=(9, 1), ends=(9, 5),
    )  # fmt: skip
    assert d.compare(KEUANGAN, other) is None


def test_the_same_opds_own_proposals_are_never_compared() -> None:
    twin = replace(KEUANGAN, id=2)
    assert d.compare(KEUANGAN, twin) is None


def test_another_years_proposal_is_never_compared() -> None:
    next_year = replace(
        KEUANGAN, id=2, opd_id=2, year=YEAR + 1,
        starts_on=dt.date(YEAR + 1, 3, 10), ends_on=dt.date(YEAR + 1, 3, 14),
    )  # fmt: skip
    assert d.compare(KEUANGAN, next_year) is None


def test_similar_title_with_no_competency_in_common_passes() -> None:
    """Decided: a title only half alike is a weak signal, so with no competency shared (and
    the same people, the same week) the pair is not flagged. Only a near-identical title
    flags a pair on its own (test above)."""
    other = facts(
        2, opd=2, title="Pelatihan Pengelolaan Keuangan Desa", competencies={MAN01},
        jabatan=["Bendahara Pengeluaran"], starts=(3, 10), ends=(3, 14),
    )  # fmt: skip
    assert d.compare(KEUANGAN, other) is None


def test_like_sounding_short_titles_are_not_near_identical() -> None:
    skp = facts(
        1, opd=1, title="Bimtek Penyusunan SKP", competencies={TEK02},
        jabatan=["Analis"], starts=(5, 1), ends=(5, 2),
    )  # fmt: skip
    sop = facts(
        2, opd=2, title="Bimtek Penyusunan SOP", competencies={TEK03},
        jabatan=["Analis"], starts=(5, 1), ends=(5, 2),
    )  # fmt: skip
    words, chars = d.title_similarity(skp.title, sop.title)
    assert chars > 0.9  # alike on characters ...
    assert words == pytest.approx(1 / 3)  # ... but one word of three differs
    assert d.compare(skp, sop) is None


# --- Measures and thresholds ---------------------------------------------------------------------


def test_titles_drop_generic_words_punctuation_case_and_numbers() -> None:
    assert d.title_words("Bimtek: Pengelolaan KEUANGAN daerah, bagi Bendahara (2031)") == [
        "pengelolaan", "keuangan", "daerah", "bendahara",
    ]  # fmt: skip
    assert d.title_key("Pelatihan dan Workshop untuk di tentang") == ""


def test_jaccard_of_empty_sides_is_zero() -> None:
    assert d.jaccard(set(), {1}) == 0
    assert d.jaccard({1, 2}, {2, 3}) == pytest.approx(1 / 3)
    assert d.word_jaccard([], ["a"]) == 0
    assert d.char_ratio([], ["a"]) == 0


def test_days_apart() -> None:
    day = dt.date
    assert d.days_apart(day(2031, 3, 1), day(2031, 3, 5), day(2031, 3, 5), day(2031, 3, 9)) == 0
    assert d.days_apart(day(2031, 3, 1), day(2031, 3, 5), day(2031, 4, 4), day(2031, 4, 9)) == 30
    assert d.days_apart(day(2031, 4, 4), day(2031, 4, 9), day(2031, 3, 1), day(2031, 3, 5)) == 30
    assert d.schedule_closeness(0) == 1
    assert d.schedule_closeness(d.SCHEDULE_FADE_DAYS) == 0


@pytest.mark.parametrize(
    ("ends", "flagged"),
    [((4, 13), True), ((4, 14), False)],  # 30 and 31 days after 14 March
)
def test_schedule_window_edge(ends: tuple[int, int], flagged: bool) -> None:
    assert d.SCHEDULE_NEAR_DAYS == 30
    start = dt.date(YEAR, *ends)
    other = replace(
        KEUANGAN, id=2, opd_id=2, title="Penatausahaan Aset", jabatan_keys=frozenset(),
        starts_on=start, ends_on=start + dt.timedelta(days=2),
    )  # fmt: skip
    assert (d.compare(KEUANGAN, other) is not None) is flagged


@pytest.mark.parametrize(
    ("competencies", "flagged"),
    [({TEK01, TEK02}, True), ({TEK01, TEK02, TEK03}, False)],  # Jaccard 1/2 and 1/3
)
def test_competency_threshold_edge(competencies: set[int], flagged: bool) -> None:
    assert d.COMPETENCY_STRONG == 0.5
    other = replace(
        KEUANGAN, id=2, opd_id=2, title="Penatausahaan Aset",
        competency_ids=frozenset(competencies),
    )  # fmt: skip
    assert (d.compare(KEUANGAN, other) is not None) is flagged


@pytest.mark.parametrize(
    ("jabatan", "flagged"),
    [
        (["Bendahara Pengeluaran"], True),  # 1 of 2: 1/2
        (["Bendahara Pengeluaran", "Kepala Seksi"], True),  # 1 of 3: 1/3, at the threshold
        (["Bendahara Pengeluaran", "Kepala Seksi", "Lurah"], False),  # 1 of 4
    ],
)
def test_participants_threshold_edge(jabatan: list[str], flagged: bool) -> None:
    other = replace(
        KEUANGAN, id=2, opd_id=2, title="Penatausahaan Aset",
        jabatan_keys=frozenset(jabatan_key(j) for j in jabatan),
        starts_on=dt.date(YEAR, 9, 1), ends_on=dt.date(YEAR, 9, 2),
    )  # fmt: skip
    assert (d.compare(KEUANGAN, other) is not None) is flagged


def test_title_thresholds() -> None:
    # Four of five words: near-identical when the characters agree too.
    words, chars = d.title_similarity(
        "Pengelolaan Keuangan Daerah Bagi Bendahara Pembantu",
        "Pengelolaan Keuangan Daerah Bendahara",
    )
    assert words == pytest.approx(0.8)
    assert d.titles_near_identical(words, chars)
    # Three of four: similar, not near-identical.
    words, chars = d.title_similarity(KEUANGAN.title, "Pengelolaan Keuangan Daerah Bendahara")
    assert words == pytest.approx(0.75)
    assert words >= d.TITLE_SIMILAR
    assert not d.titles_near_identical(words, chars)


def test_score_stays_within_zero_and_one_and_reasons_read_in_words() -> None:
    twin = replace(KEUANGAN, id=2, opd_id=2)
    match = d.compare(KEUANGAN, twin)
    assert match is not None
    assert match.score == Decimal("1.000")
    texts = [d.describe(r) for r in match.reasons]
    assert texts[0].startswith("Judul hampir sama")
    assert d.describe({"code": "schedule", "value": 12}) == "Jadwal berselang 12 hari"
    assert d.describe({"code": "schedule", "value": 0}) == "Jadwal bersamaan"
    assert d.describe({"code": "participants", "value": 0.5}) == "Jabatan sasaran beririsan 50%"
    assert d.describe({"code": "competencies", "value": "rusak"}) == "Kompetensi beririsan 0%"
    assert d.describe({"code": "lain"}) == "lain"
