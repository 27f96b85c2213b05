"""Scoring, answer keys and validation of every question kind: plain functions, no database.

The property tests draw valid questions of each kind and check that the key
(``correct_response``) always earns full marks, and that whatever a browser might post
scores between 0 and 1 without raising.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lms.assessments.scoring import (
    KINDS,
    MAX_TEXT_CHARS,
    correct_response,
    feedback_for,
    normalise_text,
    parse_number,
    score,
    validate,
)

D = Decimal

SAMPLES: dict[str, dict[str, Any]] = {
    "single": {
        "choices": [
            {"id": "a", "text": "<p>Pancasila</p>", "fraction": 100, "feedback": "Tepat."},
            {"id": "b", "text": "<p>UUD 1945</p>", "fraction": "50", "feedback": ""},
            {"id": "c", "text": "<p>Sumpah Pemuda</p>", "fraction": -50, "feedback": "Bukan."},
        ]
    },
    "multiple": {
        "rule": "sum",
        "choices": [
            {"id": "a", "text": "Berorientasi pelayanan", "fraction": 50, "feedback": "Ya."},
            {"id": "b", "text": "Akuntabel", "fraction": "50", "feedback": ""},
            {"id": "c", "text": "Birokratis", "fraction": -100, "feedback": "Bukan nilai."},
            {"id": "d", "text": "Lamban", "fraction": "-50", "feedback": ""},
        ],
    },
    "truefalse": {
        "correct": True,
        "feedback_true": "Betul.",
        "feedback_false": "Satu JP 45 menit.",
    },
    "short": {
        "answers": [
            {"text": "Pancasila", "fraction": 100, "feedback": "Tepat."},
            {"text": "Panca*", "fraction": 50, "feedback": "Hampir."},
            {"text": "*", "fraction": 0, "feedback": "Coba lagi."},
        ],
        "case_sensitive": False,
    },
    "numeric": {
        "answers": [
            {"value": 3.14, "tolerance": 0.01, "fraction": 100, "feedback": "Tepat."},
            {"value": "3", "tolerance": "0,5", "fraction": 50, "feedback": "Kurang teliti."},
        ]
    },
    "matching": {
        "pairs": [
            {"id": "1", "prompt": "Ibu kota Jawa Tengah", "answer": "Semarang"},
            {"id": "2", "prompt": "Ibu kota Jawa Timur", "answer": "Surabaya"},
            {"id": "3", "prompt": "Ibu kota Jawa Barat", "answer": "Bandung"},
        ],
        "distractors": ["Yogyakarta"],
    },
}


def codes(kind: str, data: Any) -> list[str]:
    """The error codes validate() raises (empty when the data is valid)."""
    try:
        validate(kind, data)
    except ValidationError as exc:
        error = exc
    else:
        return []
    assert error.messages
    assert all(isinstance(message, str) and message for message in error.messages)
    return [str(item.code) for item in error.error_list]


# --- numbers and text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3,14", D("3.14")),
        ("3.14", D("3.14")),
        (" 3,14 ", D("3.14")),
        ("-2,5", D("-2.5")),
        ("\u22122,5", D("-2.5")),
        ("+7", D("7")),
        (",5", D("0.5")),
        ("5,", D("5")),
        ("１２,５", D("12.5")),
        ("1e3", D("1000")),
        ("2,5E-2", D("0.025")),
        ("1.000", D("1")),
        ("1,000", D("1")),
        (42, D("42")),
        (3.14, D("3.14")),
        (0.1, D("0.1")),
        (D("2.50"), D("2.5")),
    ],
)
def test_parse_number_reads(value: Any, expected: Decimal) -> None:
    assert parse_number(value) == expected


def test_parse_number_keeps_a_floats_short_form() -> None:
    assert str(parse_number(0.1)) == "0.1"


@pytest.mark.parametrize(
    "value",
    [
        "1.000,5",
        "1,000.5",
        "1.000.000",
        "1 000",
        "1_000",
        "",
        "  ",
        ",",
        "-",
        "abc",
        "3,14 m",
        "NaN",
        "nan",
        "inf",
        "Infinity",
        "-Infinity",
        "1e",
        "1e99999",
        "٣",
        "1" * 101,
        True,
        False,
        None,
        float("nan"),
        float("inf"),
        float("-inf"),
        D("NaN"),
        D("Infinity"),
        [3],
        {"value": 3},
        b"3",
    ],
)
def test_parse_number_rejects(value: Any) -> None:
    assert parse_number(value) is None


@pytest.mark.parametrize(
    ("text", "case_sensitive", "expected"),
    [
        ("  Pancasila  ", False, "pancasila"),
        ("Bhinneka\t\n  Tunggal   Ika", False, "bhinneka tunggal ika"),
        ("Pancasila.", False, "pancasila"),
        ("Pancasila ?!", False, "pancasila"),
        ("Pancasila . . .", False, "pancasila"),
        ("Dr. Soetomo", False, "dr. soetomo"),
        ("ＡＳＮ", False, "asn"),
        ("Straße", False, "strasse"),
        ("ASN", True, "ASN"),
        ("  ASN  Pusat. ", True, "ASN Pusat"),
        ("...", False, ""),
        ("", False, ""),
    ],
)
def test_normalise_text(text: str, case_sensitive: bool, expected: str) -> None:
    assert normalise_text(text, case_sensitive=case_sensitive) == expected


# --- single choice -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [("a", D("1")), ("b", D("0.5")), ("c", D("0")), ("x", D("0")), (None, D("0"))],
)
def test_single_choice(response: Any, expected: Decimal) -> None:
    assert score("single", SAMPLES["single"], response) == expected


def test_single_choice_result_has_four_places() -> None:
    data = {"choices": [{"id": "a", "fraction": "33.33333"}, {"id": "b", "fraction": 100}]}
    result = score("single", data, "a")
    assert result == D("0.3333")
    assert result.as_tuple().exponent == -4


# --- multiple choice -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (["a", "b"], D("1")),
        (["b", "a"], D("1")),
        (["a"], D("0.5")),
        (["a", "b", "d"], D("0.5")),  # a wrong tick costs
        (["a", "d"], D("0")),
        (["a", "b", "c", "d"], D("0")),  # ticking everything does not pay
        (["c", "d"], D("0")),  # clamped at 0, not negative
        ([], D("0")),
        (("a", "b"), D("1")),
    ],
)
def test_multiple_sum(response: Any, expected: Decimal) -> None:
    assert score("multiple", SAMPLES["multiple"], response) == expected


def test_multiple_sum_is_the_default_rule() -> None:
    data = {key: value for key, value in SAMPLES["multiple"].items() if key != "rule"}
    assert score("multiple", data, ["a"]) == D("0.5")


def test_multiple_sum_is_clamped_at_one() -> None:
    data = {"choices": [{"id": "a", "fraction": 100}, {"id": "b", "fraction": 100}]}
    assert score("multiple", data, ["a", "b"]) == D("1")


def test_multiple_sum_thirds_add_up_to_one() -> None:
    third = {"fraction": "33.33333"}
    data = {
        "rule": "sum",
        "choices": [{"id": "a", **third}, {"id": "b", **third}, {"id": "c", **third}],
    }
    assert score("multiple", data, ["a", "b", "c"]) == D("1")
    assert score("multiple", data, ["a", "b"]) == D("0.6667")


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (["a", "b"], D("1")),
        (["a"], D("0")),
        (["a", "b", "d"], D("0")),
        ([], D("0")),
    ],
)
def test_multiple_all_or_nothing(response: Any, expected: Decimal) -> None:
    data = {**SAMPLES["multiple"], "rule": "all_or_nothing"}
    assert score("multiple", data, response) == expected


def test_multiple_unknown_rule_scores_zero() -> None:
    assert score("multiple", {**SAMPLES["multiple"], "rule": "best"}, ["a", "b"]) == 0


@pytest.mark.parametrize(
    "response",
    [["a", "a"], ["a", "x"], ["a", 1], "ab", "a", {"a": True}, ["a"] * 100_000, [["a"]], None],
)
def test_multiple_malformed_scores_zero(response: Any) -> None:
    assert score("multiple", SAMPLES["multiple"], response) == 0


# --- true / false --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("correct", "response", "expected"),
    [
        (True, True, D("1")),
        (True, False, D("0")),
        (False, False, D("1")),
        (False, True, D("0")),
        (True, 1, D("0")),
        (True, "true", D("0")),
        (True, None, D("0")),
        (False, 0, D("0")),
    ],
)
def test_truefalse(correct: bool, response: Any, expected: Decimal) -> None:
    assert score("truefalse", {"correct": correct}, response) == expected


# --- short answer --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("Pancasila", D("1")),
        ("  pancasila ", D("1")),
        ("PANCASILA.", D("1")),
        ("ＰＡＮＣＡＳＩＬＡ", D("1")),
        ("Pancasakti", D("0.5")),  # Panca*: the wildcard answer
        ("Panca", D("0.5")),  # a star also matches nothing
        ("Pan casila", D("0")),
        ("Garuda", D("0")),  # only the catch-all matches, worth 0
        ("", D("0")),
        ("   ", D("0")),
        (None, D("0")),
        (12, D("0")),
        (["Pancasila"], D("0")),
        ("Pancasila" * (MAX_TEXT_CHARS // 9 + 1), D("0")),
    ],
)
def test_short_answer(response: Any, expected: Decimal) -> None:
    assert score("short", SAMPLES["short"], response) == expected


def test_short_answer_best_fraction_wins_whatever_the_order() -> None:
    data = {
        "answers": [
            {"text": "Panca*", "fraction": 50},
            {"text": "Pancasila", "fraction": 100},
            {"text": "*sila", "fraction": 80},
        ]
    }
    assert score("short", data, "pancasila") == D("1")
    assert score("short", data, "Trisila") == D("0.8")


def test_short_answer_case_sensitive() -> None:
    data = {"answers": [{"text": "ASN", "fraction": 100}], "case_sensitive": True}
    assert score("short", data, " ASN ") == D("1")
    assert score("short", data, "asn") == D("0")


@pytest.mark.parametrize(
    ("pattern", "response", "matches"),
    [
        ("*sila", "Pancasila", True),
        ("Bhinneka * Ika", "Bhinneka Tunggal Ika", True),
        ("Bhinneka * Ika", "Bhinneka Ika", False),
        ("a*b*c", "abc", True),
        ("a*b*c", "aXbYc", True),
        ("a*b*c", "acb", False),
        ("a*a", "a", False),
        ("a*a", "aa", True),
        ("5\\*3", "5*3", True),
        ("5\\*3", "5x3", False),
        ("*", "apa saja", True),
    ],
)
def test_short_answer_wildcards(pattern: str, response: str, matches: bool) -> None:
    data = {"answers": [{"text": pattern, "fraction": 100}]}
    assert score("short", data, response) == (D("1") if matches else D("0"))


def test_short_answer_negative_fraction_scores_zero() -> None:
    data = {"answers": [{"text": "Orde Baru", "fraction": -50}, {"text": "X", "fraction": 100}]}
    assert score("short", data, "orde baru") == 0


def test_short_answer_wildcards_on_a_long_answer() -> None:
    # The pattern a backtracking regular expression would choke on (matching is linear,
    # see _wildcard_match; its speed is not asserted here).
    data = {"answers": [{"text": "*a*a*a*a*a*a*b", "fraction": 100}]}
    assert score("short", data, "a" * MAX_TEXT_CHARS) == 0
    assert score("short", data, "a" * (MAX_TEXT_CHARS - 1) + "b") == 1


# --- numeric -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("3,14", D("1")),
        ("3.14", D("1")),
        (3.14, D("1")),
        ("3,15", D("1")),  # exactly at the tolerance boundary counts
        ("3,13", D("1")),
        (3.15, D("1")),
        ("3,1500001", D("0.5")),  # just past it: only the looser answer
        ("3,5", D("0.5")),  # its boundary
        ("2,5", D("0.5")),
        ("3,50001", D("0")),
        (3, D("0.5")),
        ("tiga", D("0")),
        ("", D("0")),
        (None, D("0")),
        (True, D("0")),
        (float("nan"), D("0")),
        ("1e9999", D("0")),
        ([3.14], D("0")),
    ],
)
def test_numeric(response: Any, expected: Decimal) -> None:
    assert score("numeric", SAMPLES["numeric"], response) == expected


def test_numeric_without_tolerance_is_exact() -> None:
    data = {"answers": [{"value": 20, "fraction": 100}]}
    assert score("numeric", data, "20,0") == D("1")
    assert score("numeric", data, "20,0001") == D("0")
    assert score("numeric", data, -20) == D("0")


def test_correct_response_writes_long_whole_numbers_compactly() -> None:
    data = {"answers": [{"value": 10**200, "fraction": 100}]}
    assert correct_response("numeric", data) == "1E+200"
    assert score("numeric", data, "1E+200") == 1


def test_numeric_huge_numbers_do_not_raise() -> None:
    data = {"answers": [{"value": "1e-9999", "tolerance": 0, "fraction": 100}]}
    assert score("numeric", data, "1e9999") == 0
    assert score("numeric", data, D("1E+999999")) == 0


# --- matching ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ({"1": "Semarang", "2": "Surabaya", "3": "Bandung"}, D("1")),
        ({"1": " Semarang ", "2": "Surabaya", "3": "Bandung"}, D("1")),
        ({"1": "Semarang", "2": "Surabaya", "3": "Yogyakarta"}, D("0.6667")),
        ({"1": "Semarang", "2": "Bandung", "3": "Surabaya"}, D("0.3333")),
        ({"1": "Semarang"}, D("0.3333")),  # the others left unanswered
        ({"1": "Semarang", "2": None, "3": None}, D("0.3333")),
        ({"1": "semarang", "2": "Surabaya", "3": "Bandung"}, D("0.6667")),  # as listed
        ({}, D("0")),
        ({"1": "Semarang", "9": "Surabaya"}, D("0")),  # an unknown prompt
        ({"1": "Semarang", "2": 7}, D("0")),
        ({1: "Semarang"}, D("0")),
        ({str(n): "Semarang" for n in range(1000)}, D("0")),
        (["Semarang", "Surabaya", "Bandung"], D("0")),
        ("Semarang", D("0")),
        (None, D("0")),
    ],
)
def test_matching(response: Any, expected: Decimal) -> None:
    assert score("matching", SAMPLES["matching"], response) == expected


def test_matching_two_prompts_may_share_an_answer() -> None:
    data = {
        "pairs": [
            {"id": "1", "prompt": "Ibu kota Jawa Tengah", "answer": "Semarang"},
            {"id": "2", "prompt": "Kota Lumpia", "answer": "Semarang"},
        ]
    }
    assert score("matching", data, {"1": "Semarang", "2": "Semarang"}) == D("1")


# --- malformed input everywhere ------------------------------------------------------------

# No booleans: True and False are the answers to a true/false question.
JUNK: list[Any] = [
    None,
    0,
    -1,
    1.5,
    float("nan"),
    "",
    "a" * (MAX_TEXT_CHARS + 1),
    [],
    [None],
    ["a"] * 10_000,
    {},
    {"a": ["b"]},
    object(),
    b"a",
    D("NaN"),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("response", JUNK)
def test_malformed_responses_score_zero(kind: str, response: Any) -> None:
    assert score(kind, SAMPLES[kind], response) == 0
    assert feedback_for(kind, SAMPLES[kind], response) == []


@pytest.mark.parametrize("kind", [*KINDS, "essay", "", None, 3])
@pytest.mark.parametrize("data", [None, [], "x", {}, {"choices": "a"}, {"answers": [None, 1]}])
def test_broken_data_scores_zero(kind: Any, data: Any) -> None:
    assert score(kind, data, "a") == 0
    assert feedback_for(kind, data, "a") == []


def test_unknown_kind_scores_zero() -> None:
    assert score("essay", SAMPLES["short"], "Pancasila") == 0
    assert correct_response("essay", SAMPLES["short"]) is None


# --- the key and feedback ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("single", "a"),
        ("multiple", ["a", "b"]),
        ("truefalse", True),
        ("short", "Pancasila"),
        ("numeric", "3.14"),
        ("matching", {"1": "Semarang", "2": "Surabaya", "3": "Bandung"}),
    ],
)
def test_correct_response(kind: str, expected: Any) -> None:
    assert correct_response(kind, SAMPLES[kind]) == expected
    assert score(kind, SAMPLES[kind], expected) == 1


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [("Panca*", "Panca"), ("Bhinneka * Ika", "Bhinneka x Ika"), ("5\\*3", "5*3")],
)
def test_correct_response_fills_wildcards(pattern: str, expected: str) -> None:
    data = {"answers": [{"text": pattern, "fraction": 100}]}
    assert correct_response("short", data) == expected
    assert score("short", data, expected) == 1


def test_correct_response_all_or_nothing() -> None:
    data = {**SAMPLES["multiple"], "rule": "all_or_nothing"}
    assert score("multiple", data, correct_response("multiple", data)) == 1


def test_correct_response_is_none_without_a_right_answer() -> None:
    assert correct_response("single", {"choices": [{"id": "a", "fraction": 0}]}) is None
    assert correct_response("truefalse", {}) is None
    assert correct_response("multiple", {"choices": [{"id": "a", "fraction": -10}]}) is None
    assert correct_response("matching", {"pairs": []}) is None
    assert correct_response("short", {"answers": []}) is None
    assert correct_response("numeric", {"answers": [{"value": 1, "fraction": -10}]}) is None


@pytest.mark.parametrize(
    ("kind", "response", "expected"),
    [
        ("single", "a", ["Tepat."]),
        ("single", "b", []),  # its feedback is empty
        ("single", "c", ["Bukan."]),
        ("multiple", ["c", "a", "d"], ["Ya.", "Bukan nilai."]),  # in the order shown
        ("multiple", [], []),
        ("truefalse", True, ["Betul."]),
        ("truefalse", False, ["Satu JP 45 menit."]),
        ("short", "pancasila", ["Tepat."]),
        ("short", "Pancaroba", ["Hampir."]),
        ("short", "Garuda", ["Coba lagi."]),  # the catch-all
        ("numeric", "3,14", ["Tepat."]),
        ("numeric", "2,9", ["Kurang teliti."]),
        ("numeric", "9", []),
        ("matching", {"1": "Semarang"}, []),
    ],
)
def test_feedback_for(kind: str, response: Any, expected: list[str]) -> None:
    assert feedback_for(kind, SAMPLES[kind], response) == expected


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_samples_are_valid(kind: str) -> None:
    assert codes(kind, SAMPLES[kind]) == []


def test_validate_all_or_nothing_needs_no_sum() -> None:
    data = {
        "rule": "all_or_nothing",
        "choices": [{"id": "a", "text": "A", "fraction": 1}, {"id": "b", "text": "B"}],
    }
    assert codes("multiple", data) == []


def choices(*fractions: Any) -> list[dict[str, Any]]:
    return [
        {"id": chr(ord("a") + n), "text": f"Pilihan {n}", "fraction": fraction}
        for n, fraction in enumerate(fractions)
    ]


@pytest.mark.parametrize(
    ("kind", "data", "code"),
    [
        ("essay", {}, "unknown_kind"),
        ("single", None, "invalid_data"),
        ("single", [], "invalid_data"),
        ("single", {}, "too_few_choices"),
        ("single", {"choices": []}, "too_few_choices"),
        ("single", {"choices": choices(100)}, "too_few_choices"),
        ("single", {"choices": [*choices(100), "b"]}, "invalid_item"),
        ("single", {"choices": choices(50, 0)}, "no_full_marks"),
        ("single", {"choices": choices(100, 150)}, "fraction_out_of_range"),
        ("single", {"choices": choices(100, -101)}, "fraction_out_of_range"),
        ("single", {"choices": choices(100, "banyak")}, "invalid_fraction"),
        ("single", {"choices": choices(100, True)}, "invalid_fraction"),
        ("single", {"choices": [*choices(100), {"id": "a", "text": "A"}]}, "duplicate_id"),
        ("single", {"choices": [*choices(100), {"id": "", "text": "X"}]}, "missing_id"),
        ("single", {"choices": [*choices(100), {"id": 2, "text": "X"}]}, "missing_id"),
        ("single", {"choices": [*choices(100), {"id": "z", "text": " "}]}, "empty_text"),
        ("single", {"choices": [*choices(100), {"id": "z", "text": None}]}, "empty_text"),
        (
            "single",
            {"choices": [*choices(100), {"id": "z", "text": "X", "feedback": 3}]},
            "invalid_feedback",
        ),
        ("multiple", {"choices": choices(50, 40)}, "fractions_not_100"),
        ("multiple", {"choices": choices(100, 100)}, "fractions_not_100"),
        ("multiple", {"rule": "sum", "choices": choices(0, -100)}, "fractions_not_100"),
        ("multiple", {"rule": "best", "choices": choices(50, 50)}, "unknown_rule"),
        ("multiple", {"rule": "all_or_nothing", "choices": choices(0, -5)}, "no_correct_choice"),
        ("truefalse", {}, "missing_correct"),
        ("truefalse", {"correct": "true"}, "missing_correct"),
        ("truefalse", {"correct": 1}, "missing_correct"),
        ("truefalse", {"correct": True, "feedback_false": None}, "invalid_feedback"),
        ("short", {}, "no_answers"),
        ("short", {"answers": []}, "no_answers"),
        ("short", {"answers": [{"text": "ASN", "fraction": 90}]}, "no_full_marks"),
        ("short", {"answers": [{"text": " .. ", "fraction": 100}]}, "empty_text"),
        ("short", {"answers": [{"text": 5, "fraction": 100}]}, "empty_text"),
        ("short", {"answers": [{"text": "*", "fraction": 100}]}, "wildcard_only"),
        (
            "short",
            {"answers": [{"text": "ASN", "fraction": 100}], "case_sensitive": "ya"},
            "invalid_case_sensitive",
        ),  # noqa: E501
        ("short", {"answers": [{"text": "ASN", "fraction": 200}]}, "fraction_out_of_range"),
        ("numeric", {"answers": []}, "no_answers"),
        ("numeric", {"answers": [{"fraction": 100}]}, "invalid_value"),
        ("numeric", {"answers": [{"value": "dua puluh", "fraction": 100}]}, "invalid_value"),
        ("numeric", {"answers": [{"value": "1.000,5", "fraction": 100}]}, "invalid_value"),
        ("numeric", {"answers": [{"value": 10**101 + 1, "fraction": 100}]}, "value_too_long"),
        (
            "numeric",
            {"answers": [{"value": 20, "tolerance": -1, "fraction": 100}]},
            "negative_tolerance",
        ),  # noqa: E501
        (
            "numeric",
            {"answers": [{"value": 20, "tolerance": "x", "fraction": 100}]},
            "invalid_tolerance",
        ),  # noqa: E501
        ("numeric", {"answers": [{"value": 20, "fraction": 50}]}, "no_full_marks"),
        ("matching", {}, "too_few_pairs"),
        ("matching", {"pairs": [{"id": "1", "prompt": "A", "answer": "B"}]}, "too_few_pairs"),
        ("matching", {"pairs": [{"id": "1", "prompt": "A", "answer": "B"}, 2]}, "invalid_item"),
        (
            "matching",
            {
                "pairs": [
                    {"id": "1", "prompt": "A", "answer": "B"},
                    {"id": "1", "prompt": "C", "answer": "D"},
                ]
            },
            "duplicate_id",
        ),  # noqa: E501
        (
            "matching",
            {"pairs": [{"id": "1", "prompt": "A", "answer": "B"}, {"prompt": "C", "answer": "D"}]},
            "missing_id",
        ),  # noqa: E501
        (
            "matching",
            {
                "pairs": [
                    {"id": "1", "prompt": "A", "answer": "B"},
                    {"id": "2", "prompt": " a. ", "answer": "D"},
                ]
            },
            "duplicate_prompt",
        ),  # noqa: E501
        (
            "matching",
            {
                "pairs": [
                    {"id": "1", "prompt": "A", "answer": "B"},
                    {"id": "2", "prompt": "", "answer": "D"},
                ]
            },
            "empty_prompt",
        ),  # noqa: E501
        (
            "matching",
            {"pairs": [{"id": "1", "prompt": "A", "answer": "B"}, {"id": "2", "prompt": "C"}]},
            "empty_answer",
        ),  # noqa: E501
        ("matching", {**SAMPLES["matching"], "distractors": "Yogyakarta"}, "invalid_distractors"),
        ("matching", {**SAMPLES["matching"], "distractors": [None]}, "invalid_distractors"),
        ("matching", {**SAMPLES["matching"], "distractors": [" "]}, "empty_distractor"),
        ("matching", {**SAMPLES["matching"], "distractors": ["Bandung"]}, "distractor_is_answer"),
    ],
)
def test_validate_rejects(kind: str, data: Any, code: str) -> None:
    assert code in codes(kind, data)


def test_validate_reports_every_problem_in_indonesian() -> None:
    data = {
        "choices": [
            {"id": "a", "text": "A", "fraction": 50},
            {"id": "a", "text": "", "fraction": 500},
        ]
    }
    with pytest.raises(ValidationError) as caught:
        validate("single", data)
    assert caught.value.messages == [
        "Kode pilihan “a” dipakai lebih dari sekali.",
        "Teks pilihan nomor 2 kosong.",
        "Nilai pilihan nomor 2 harus antara -100% dan 100%, bukan 500%.",
        "Paling sedikit satu pilihan harus bernilai 100%.",
    ]


def test_validate_names_the_sum_it_found() -> None:
    with pytest.raises(ValidationError) as caught:
        validate("multiple", {"choices": choices(50, "20,5", -100)})
    assert caught.value.messages == ["Jumlah nilai pilihan yang benar harus 100% (sekarang 70.5%)."]


# --- properties ----------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.decimals()
    | st.text(max_size=30)
    | st.sampled_from(["a", "b", "c", "1", "2", "3,14", "Pancasila", "Semarang"]),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=20,
)

fraction_forms = st.sampled_from([int, float, str, "comma"])


def written(number: Decimal, form: Any) -> Any:
    """A number as an author's JSON might hold it."""
    if form == "comma":
        return str(number).replace(".", ",")
    if form is int and number == number.to_integral_value():
        return int(number)
    if form is float:
        return float(number)
    return str(number)


@st.composite
def choice_questions(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    ids = draw(
        st.lists(st.text("abcdefgh", min_size=1, max_size=3), min_size=2, max_size=6, unique=True)
    )
    n = len(ids)
    wrong = st.sampled_from([D(-100), D(-50), D("-33.33333"), D(0)])
    if kind == "single":
        fractions = draw(
            st.lists(
                st.sampled_from([D(-100), D(-25), D(0), D(50), D(100)]), min_size=n, max_size=n
            )
        )
        fractions[draw(st.integers(0, n - 1))] = D(100)
        rule = None
    else:
        rule = draw(st.sampled_from(["sum", "all_or_nothing"]))
        right = draw(st.integers(1, n))
        if draw(st.booleans()) and right == 3:
            parts = [D("33.33333")] * 3
        else:
            cuts = sorted(
                draw(
                    st.lists(
                        st.integers(1, 99), min_size=right - 1, max_size=right - 1, unique=True
                    )
                )
            )
            parts = [D(b - a) for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
        fractions = parts + draw(st.lists(wrong, min_size=n - right, max_size=n - right))
        fractions = draw(st.permutations(fractions))
    form = draw(fraction_forms)
    data: dict[str, Any] = {
        "choices": [
            {"id": choice_id, "text": f"<p>{choice_id}</p>", "fraction": written(fraction, form)}
            for choice_id, fraction in zip(ids, fractions, strict=True)
        ]
    }
    if rule is not None:
        data["rule"] = rule
    return data


answer_texts = st.text(min_size=1, max_size=20) | st.text(
    "ab AB*\\.,!?é\u0301ß", min_size=1, max_size=12
)


@st.composite
def short_questions(draw: st.DrawFn) -> dict[str, Any]:
    texts = draw(st.lists(answer_texts, min_size=1, max_size=4))
    fractions = draw(
        st.lists(st.sampled_from([0, -50, 50, 100]), min_size=len(texts), max_size=len(texts))
    )
    fractions[draw(st.integers(0, len(texts) - 1))] = 100
    return {
        "answers": [
            {"text": text, "fraction": f} for text, f in zip(texts, fractions, strict=True)
        ],
        "case_sensitive": draw(st.booleans()),
    }


numbers = st.decimals(min_value=-(10**6), max_value=10**6, places=4, allow_nan=False) | st.floats(
    allow_nan=False, allow_infinity=False
).map(lambda f: D(repr(f)))


@st.composite
def numeric_questions(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, 3))
    answers = []
    for n in range(count):
        value = draw(numbers)
        tolerance = draw(st.decimals(min_value=0, max_value=10, places=3))
        answers.append(
            {
                "value": written(value, draw(fraction_forms)),
                "tolerance": written(tolerance, draw(fraction_forms)),
                "fraction": 100 if n == 0 else draw(st.sampled_from([0, 50, 100])),
            }
        )
    return {"answers": draw(st.permutations(answers))}


@st.composite
def matching_questions(draw: st.DrawFn) -> dict[str, Any]:
    prompts = draw(st.lists(st.text(min_size=1, max_size=10), min_size=2, max_size=5, unique=True))
    answers = draw(
        st.lists(st.text(min_size=1, max_size=10), min_size=len(prompts), max_size=len(prompts))
    )
    return {
        "pairs": [
            {"id": str(n), "prompt": prompt, "answer": answer}
            for n, (prompt, answer) in enumerate(zip(prompts, answers, strict=True), start=1)
        ],
        "distractors": draw(st.lists(st.text(min_size=1, max_size=10), max_size=2)),
    }


def questions() -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    return st.one_of(
        choice_questions("single").map(lambda d: ("single", d)),
        choice_questions("multiple").map(lambda d: ("multiple", d)),
        st.booleans().map(lambda b: ("truefalse", {"correct": b})),
        short_questions().map(lambda d: ("short", d)),
        numeric_questions().map(lambda d: ("numeric", d)),
        matching_questions().map(lambda d: ("matching", d)),
    )


def valid(kind: str, data: dict[str, Any]) -> bool:
    try:
        validate(kind, data)
    except ValidationError:
        return False
    return True


PROPERTY = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much]
)


@PROPERTY
@given(questions())
def test_the_key_always_earns_full_marks(question: tuple[str, dict[str, Any]]) -> None:
    kind, data = question
    # Choice, true/false and numeric questions are drawn valid; texts may be rejected.
    if kind in ("single", "multiple", "truefalse", "numeric"):
        validate(kind, data)
    else:
        assume(valid(kind, data))
    assert score(kind, data, correct_response(kind, data)) == 1


@PROPERTY
@given(questions(), json_values)
def test_any_response_scores_between_zero_and_one(
    question: tuple[str, dict[str, Any]], response: Any
) -> None:
    kind, data = question
    result = score(kind, data, response)
    assert D(0) <= result <= D(1)
    assert result.as_tuple().exponent == -4
    assert all(isinstance(text, str) for text in feedback_for(kind, data, response))


@PROPERTY
@given(choice_questions("multiple"), st.data())
def test_sum_rule_is_the_clamped_sum_of_ticks(data: dict[str, Any], draw: st.DataObject) -> None:
    data = {**data, "rule": "sum"}
    ticked = draw.draw(st.sets(st.sampled_from([c["id"] for c in data["choices"]])))
    total = sum(
        (parse_number(c["fraction"]) or D(0) for c in data["choices"] if c["id"] in ticked), D(0)
    )
    expected = max(D(0), min(D(1), total / 100)).quantize(D("0.0001"))
    assert score("multiple", data, sorted(ticked)) == expected


@PROPERTY
@given(st.sampled_from([*KINDS, "essay"]), json_values, json_values)
def test_broken_data_never_raises(kind: str, data: Any, response: Any) -> None:
    assert D(0) <= score(kind, data, response) <= D(1)
    feedback_for(kind, data, response)
    correct_response(kind, data)
    valid(kind, data)  # raises nothing but ValidationError


@settings(deadline=None)
@given(st.text(max_size=40), st.booleans())
def test_normalise_text_is_idempotent(text: str, case_sensitive: bool) -> None:
    once = normalise_text(text, case_sensitive=case_sensitive)
    assert normalise_text(once, case_sensitive=case_sensitive) == once


@settings(deadline=None)
@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=6, min_value=-(10**9), max_value=10**9
    )
)
def test_parse_number_reads_both_separators(number: Decimal) -> None:
    plain = format(number, "f")
    assert parse_number(plain) == number
    assert parse_number(plain.replace(".", ",")) == number
