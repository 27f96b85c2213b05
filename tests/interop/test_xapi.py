"""xAPI 1.0.3 statements: what Sinau builds passes the statement rules, and the validator
finds what breaks them; completion and grading write their statements to the outbox."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

from lms.interop import xapi
from lms.interop.models import OutboxMessage
from lms.interop.xapi import statement_problems

WHEN = dt.datetime(2026, 11, 24, 3, 15, tzinfo=dt.UTC)
NIP = "198507142010011003"
BAD_TIME = "timestamp must be an ISO 8601 date and time with a time zone"


def completed() -> dict[str, Any]:
    return xapi.course_completed(
        nip=NIP, course_id=7, course_url="https://sinau.example.go.id/katalog/integritas/",
        title="Integritas ASN", completed_at=WHEN,
    )  # fmt: skip


def graded(passed: bool = True) -> dict[str, Any]:
    return xapi.attempt_graded(
        nip=NIP, quiz_url="https://sinau.example.go.id/kuis/3/", title="Post-test",
        passed=passed, score_percent=Decimal("85.50") if passed else Decimal("40"),
        marks=Decimal("17.10") if passed else Decimal("8"), max_marks=Decimal("20"),
        finished_at=WHEN,
    )  # fmt: skip


def test_completed_statement_is_valid_and_shaped() -> None:
    stmt = completed()
    assert statement_problems(stmt) == []
    assert uuid.UUID(stmt["id"]).version == 4
    assert stmt["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert stmt["actor"]["account"]["name"] == NIP
    assert stmt["object"]["id"] == "https://sinau.example.go.id/katalog/integritas/"
    assert stmt["result"] == {"completion": True, "success": True}
    assert stmt["timestamp"] == "2026-11-24T03:15:00.000Z"
    assert stmt["context"]["platform"] == "Sinau"
    assert completed()["id"] != stmt["id"]  # a new statement, a new id


@pytest.mark.parametrize("passed", [True, False])
def test_graded_statement_is_passed_or_failed_with_its_score(passed: bool) -> None:
    stmt = graded(passed)
    assert statement_problems(stmt) == []
    verb = "passed" if passed else "failed"
    assert stmt["verb"]["id"] == f"http://adlnet.gov/expapi/verbs/{verb}"
    score = stmt["result"]["score"]
    if passed:
        assert score == {"scaled": 0.855, "raw": 17.1, "min": 0, "max": 20}
    else:
        assert score == {"scaled": 0.4, "raw": 8, "min": 0, "max": 20}
    assert stmt["result"]["success"] is passed


def broken(path: str, value: Any) -> dict[str, Any]:
    stmt = copy.deepcopy(graded())
    *parents, last = path.split(".")
    node = stmt
    for key in parents:
        node = node[key]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return stmt


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("actor", KeyError, "actor is required"),
        ("verb", KeyError, "verb is required"),
        ("object", KeyError, "object is required"),
        ("id", "not-a-uuid", "id must be a UUID"),
        ("verb.id", "completed", "verb.id must be an IRI"),
        ("verb.id", "http://adlnet.gov/expapi/verbs/ passed", "verb.id must be an IRI"),
        ("object.id", "", "object.id must be an IRI"),
        ("actor.mbox", "mailto:a@example.go.id",
         "actor must have exactly one inverse functional identifier"),
        ("actor.account.homePage", "sinau", "actor.account.homePage must be an IRL"),
        ("actor.account.name", "", "actor.account.name is required"),
        ("result.score.scaled", 1.5, "result.score.scaled must be between -1 and 1"),
        ("result.score.scaled", "0.5", "result.score.scaled must be a number"),
        ("result.score.raw", 21, "result.score.raw must not be above max"),
        ("result.score.raw", -1, "result.score.raw must not be below min"),
        ("result.score.min", 20, "result.score.min must be less than max"),
        ("result.success", "yes", "result.success must be a boolean"),
        ("result.duration", "90 minutes", "result.duration must be an ISO 8601 duration"),
        ("timestamp", "24/11/2026 10:15", BAD_TIME),
        ("timestamp", "2026-11-24T10:15:00", BAD_TIME),
        ("timestamp", "2026-13-24T10:15:00Z", BAD_TIME),
        ("context.language", "bahasa indonesia", "context.language must be an RFC 5646 tag"),
        ("version", "2.0.0", "version must be 1.0.x"),
        ("verdict", "ok", "unknown property 'verdict'"),
    ],
)  # fmt: skip
def test_broken_statements_name_their_problem(path: str, value: Any, problem: str) -> None:
    assert problem in statement_problems(broken(path, value))


def test_valid_edge_values() -> None:
    stmt = graded()
    stmt["result"]["score"]["scaled"] = -1
    stmt["result"]["duration"] = "PT1H30M"
    stmt["timestamp"] = "2026-11-24T10:15:00+07:00"
    del stmt["id"]  # optional: the LRS assigns one
    assert statement_problems(stmt) == []
    assert statement_problems([]) == ["a statement must be a JSON object"]


def test_no_lrs_no_statements(pemda: dict[str, Any], course_with: Any) -> None:
    from lms.learning import services

    course = course_with([("text", "<p>Bacaan</p>")], title="Kursus Tanpa LRS")
    enrolment = services.enrolment_request(actor=pemda["learner"], course=course)
    services.enrolment_complete(enrolment=enrolment, actor=None)
    assert not OutboxMessage.objects.filter(kind=OutboxMessage.Kind.XAPI).exists()


def test_completion_writes_a_valid_completed_statement(
    pemda: dict[str, Any], course_with: Any, settings: Any
) -> None:
    from lms.learning import services

    settings.SINAU_XAPI_LRS_URL = "http://127.0.0.1:9/xapi"
    settings.SINAU_PUBLIC_URL = "https://sinau.example.go.id"
    course = course_with([("text", "<p>Bacaan</p>")], title="Kursus LRS")
    learner = pemda["learner"]
    enrolment = services.enrolment_request(actor=learner, course=course)
    services.enrolment_complete(enrolment=enrolment, actor=None)
    services.enrolment_complete(enrolment=enrolment, actor=None)  # again: no second one
    message = OutboxMessage.objects.get(kind=OutboxMessage.Kind.XAPI)
    stmt = message.payload
    assert statement_problems(stmt) == []
    assert message.dedupe_key == f"xapi:completed:{enrolment.pk}"
    assert stmt["verb"]["id"] == xapi.VERBS["completed"]
    account = {"homePage": "https://sinau.example.go.id", "name": learner.nip}
    assert stmt["actor"]["account"] == account
    assert stmt["object"]["id"].startswith("https://sinau.example.go.id/")
    assert stmt["object"]["id"].endswith(f"{course.slug}/")


def test_grading_writes_passed_and_failed_statements(
    pemda: dict[str, Any], settings: Any, course_with: Any
) -> None:
    from lms.assessments import services as assessments
    from lms.assessments.models import Question, QuestionBank, Quiz, QuizRule
    from tests.assessments.conftest import KINDS

    settings.SINAU_XAPI_LRS_URL = "http://127.0.0.1:9/xapi"
    bank = QuestionBank.objects.create(title="Bank")
    spec = KINDS["truefalse"]
    question = Question.objects.create(
        bank=bank, kind="truefalse", name="Soal", stem=spec["stem"], data=spec["data"]
    )
    quiz = Quiz.objects.create(title="Kuis xAPI", shuffle_questions=False)
    QuizRule.objects.create(quiz=quiz, sort_order=0, question=question)
    learner = pemda["learner"]
    course = course_with([("quiz", {"quiz": quiz, "required_to_pass": True})], title="Kursus Kuis")
    from lms.learning import services as learning

    learning.enrolment_request(actor=learner, course=course)
    first = assessments.attempt_start(actor=learner, quiz=quiz)
    assessments.attempt_submit(actor=learner, attempt=first)  # nothing answered: failed
    second = assessments.attempt_start(actor=learner, quiz=quiz)
    slot = second.questions.get()
    assessments.attempt_answer(actor=learner, attempt=second, position=slot.position,
                               response=spec["right"])  # fmt: skip
    assessments.attempt_submit(actor=learner, attempt=second)
    assessments.attempt_submit(actor=learner, attempt=second)  # twice: graded once
    statements = [m.payload for m in OutboxMessage.objects.filter(kind=OutboxMessage.Kind.XAPI)]
    # The pass completes the module (progress: 100%), then the course.
    verbs = [s["verb"]["id"].rsplit("/", 1)[1] for s in statements]
    assert verbs == ["failed", "passed", "progressed", "completed"]
    statements = statements[:2]
    for stmt in statements:
        assert statement_problems(stmt) == []
        assert stmt["object"]["id"].endswith(f"/{quiz.pk}/")
    assert statements[0]["result"]["score"]["scaled"] == 0
    assert statements[1]["result"]["score"]["scaled"] == 1
