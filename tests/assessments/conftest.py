"""A course whose module holds a quiz, a bank with one question of every kind, a learner."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from courses.models import CoursePage, ModulePage
from lms.assessments.models import Question, QuestionBank, QuestionCategory, Quiz, QuizRule
from lms.learning import services as learning
from lms.learning.models import Enrolment
from lms.people.models import Employee

KINDS: dict[str, dict[str, Any]] = {
    "single": {
        "stem": "<p>Dasar negara Indonesia adalah</p>",
        "data": {
            "choices": [
                {"id": "a", "text": "Pancasila", "fraction": 100, "feedback": "Tepat."},
                {"id": "b", "text": "UUD 1945", "fraction": 0, "feedback": "Itu konstitusi."},
                {"id": "c", "text": "Bhinneka Tunggal Ika", "fraction": 0, "feedback": ""},
            ]
        },
        "right": "a",
        "wrong": "b",
    },
    "multiple": {
        "stem": "<p>Nilai dasar ASN BerAKHLAK meliputi</p>",
        "data": {
            "rule": "sum",
            "choices": [
                {"id": "a", "text": "Berorientasi pelayanan", "fraction": 50, "feedback": ""},
                {"id": "b", "text": "Akuntabel", "fraction": 50, "feedback": ""},
                {"id": "c", "text": "Birokratis", "fraction": -100, "feedback": ""},
            ],
        },
        "right": ["a", "b"],
        "wrong": ["c"],
    },
    "truefalse": {
        "stem": "<p>Satu JP sama dengan 45 menit.</p>",
        "data": {"correct": True, "feedback_true": "", "feedback_false": ""},
        "right": True,
        "wrong": False,
    },
    "short": {
        "stem": "<p>Singkatan dari Aparatur Sipil Negara?</p>",
        "data": {"answers": [{"text": "ASN", "fraction": 100, "feedback": ""}]},
        "right": " asn ",
        "wrong": "PNS",
    },
    "numeric": {
        "stem": "<p>Berapa JP minimal per tahun?</p>",
        "data": {"answers": [{"value": 20, "tolerance": 0, "fraction": 100, "feedback": ""}]},
        "right": "20",
        "wrong": "19",
    },
    "matching": {
        "stem": "<p>Jodohkan</p>",
        "data": {
            "pairs": [
                {"id": "1", "prompt": "Ibu kota Jawa Tengah", "answer": "Semarang"},
                {"id": "2", "prompt": "Ibu kota Jawa Timur", "answer": "Surabaya"},
            ],
            "distractors": ["Bandung"],
        },
        "right": {"1": "Semarang", "2": "Surabaya"},
        "wrong": {"1": "Bandung", "2": "Semarang"},
    },
}


@pytest.fixture
def bank(db: None) -> QuestionBank:
    return QuestionBank.objects.create(title="Bank Wawasan Kebangsaan")


@pytest.fixture
def questions(bank: QuestionBank) -> dict[str, Question]:
    category = QuestionCategory.objects.create(bank=bank, name="Dasar")
    return {
        kind: Question.objects.create(
            bank=bank,
            category=category,
            kind=kind,
            name=f"Soal {kind}",
            stem=spec["stem"],
            data=spec["data"],
        )  # fmt: skip
        for kind, spec in KINDS.items()
    }


@pytest.fixture
def quiz_with(questions: dict[str, Question]) -> Callable[..., Quiz]:
    """A quiz over the given question kinds (all of them by default), in that order."""

    def make(*kinds: str, **fields: Any) -> Quiz:
        fields.setdefault("shuffle_questions", False)
        quiz = Quiz.objects.create(title=fields.pop("title", "Kuis Wawasan"), **fields)
        for order, kind in enumerate(kinds or KINDS):
            QuizRule.objects.create(quiz=quiz, sort_order=order, question=questions[kind])
        return quiz

    return make


@pytest.fixture
def quiz(quiz_with: Callable[..., Quiz]) -> Quiz:
    return quiz_with()


@pytest.fixture
def course(course_with: Callable[..., CoursePage], quiz: Quiz) -> CoursePage:
    return course_with(
        [("text", "<p>Bacaan</p>"), ("quiz", {"quiz": quiz, "required_to_pass": True})],
        title="Kursus Kuis",
    )


@pytest.fixture
def module(course: CoursePage) -> ModulePage:
    return ModulePage.objects.child_of(course).get()


@pytest.fixture
def learner(pemda: dict[str, Any]) -> Employee:
    return pemda["learner"]


@pytest.fixture
def enrolment(course: CoursePage, learner: Employee) -> Enrolment:
    return learning.enrolment_request(actor=learner, course=course)


def right_answers() -> dict[str, Any]:
    return {kind: spec["right"] for kind, spec in KINDS.items()}


def answer_all(attempt: Any, learner: Employee, answers: dict[str, Any], **kw: Any) -> None:
    from lms.assessments import services

    for slot in attempt.questions.all():
        if slot.kind in answers:
            services.attempt_answer(
                actor=learner, attempt=attempt, position=slot.position,
                response=answers[slot.kind], **kw,
            )  # fmt: skip


__all__ = ["KINDS", "Decimal", "answer_all", "right_answers"]
