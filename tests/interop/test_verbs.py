"""launched, progressed and scored: each statement comes from the service where its event
happens, in that transaction, keyed by the event so a repeat makes no second statement,
and passes the xAPI 1.0.3 statement rules (with registration and context activities)."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lms.assessments import services as assessments
from lms.assessments.models import Question, QuestionBank, Quiz, QuizRule
from lms.interop import xapi
from lms.interop.models import OutboxMessage
from lms.interop.xapi import PROGRESS_EXTENSION, statement_problems
from lms.learning import services as learning
from lms.learning.models import Enrolment
from tests.assessments.conftest import KINDS

WHEN = dt.datetime(2026, 11, 24, 3, 15, tzinfo=dt.UTC)
NIP = "198507142010011003"
SITE = "https://sinau.example.go.id"
COURSE = f"{SITE}/katalog/integritas/"
MODULE = f"{COURSE}modul-1/"


@pytest.fixture
def lrs_on(settings: Any) -> None:
    """An LRS is configured (statements are written; nothing is delivered in these tests)."""
    settings.SINAU_XAPI_LRS_URL = "http://127.0.0.1:9/xapi"
    settings.SINAU_PUBLIC_URL = SITE
    settings.SINAU_HR_OUTBOX = False


def statements() -> list[dict[str, Any]]:
    return [m.payload for m in OutboxMessage.objects.filter(kind=OutboxMessage.Kind.XAPI)]


def verbs() -> list[str]:
    return [s["verb"]["id"].rsplit("/", 1)[1] for s in statements()]


def keys() -> list[str]:
    return list(
        OutboxMessage.objects.filter(kind=OutboxMessage.Kind.XAPI).values_list(
            "dedupe_key", flat=True
        )
    )


def parents(stmt: dict[str, Any]) -> list[str]:
    return [a["id"] for a in stmt["context"].get("contextActivities", {}).get("parent", [])]


def make_quiz(title: str, kind: str = Quiz.Kind.GRADED) -> Quiz:
    bank = QuestionBank.objects.create(title=f"Bank {title}")
    spec = KINDS["truefalse"]
    question = Question.objects.create(
        bank=bank, kind="truefalse", name="Soal", stem=spec["stem"], data=spec["data"]
    )
    quiz = Quiz.objects.create(title=title, kind=kind, shuffle_questions=False)
    QuizRule.objects.create(quiz=quiz, sort_order=0, question=question)
    return quiz


def take(learner: Any, quiz: Quiz, *, right: bool) -> Any:
    attempt = assessments.attempt_start(actor=learner, quiz=quiz)
    if right:
        slot = attempt.questions.get()
        assessments.attempt_answer(
            actor=learner, attempt=attempt, position=slot.position,
            response=KINDS["truefalse"]["right"],
        )  # fmt: skip
    return assessments.attempt_submit(actor=learner, attempt=attempt)


# --- The statements themselves -----------------------------------------------------------


def test_launched_names_the_module_under_its_course_in_the_enrolment() -> None:
    registration = xapi.registration_for(12)
    stmt = xapi.module_launched(
        nip=NIP, module_url=MODULE, title="Modul 1", course_url=COURSE, launched_at=WHEN,
        registration=registration,
    )  # fmt: skip
    assert statement_problems(stmt) == []
    assert stmt["verb"] == {"id": "http://adlnet.gov/expapi/verbs/launched",
                            "display": {"en-US": "launched"}}  # fmt: skip
    assert stmt["object"]["id"] == MODULE
    assert stmt["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/module"
    assert parents(stmt) == [COURSE]
    assert stmt["context"]["registration"] == registration
    assert stmt["timestamp"] == "2026-11-24T03:15:00.000Z"
    assert "result" not in stmt


def test_progressed_carries_cmi5_progress_as_an_integer_percent() -> None:
    stmt = xapi.course_progressed(
        nip=NIP, course_url=COURSE, title="Integritas", percent=67, module_url=MODULE,
        progressed_at=WHEN, registration=xapi.registration_for(12),
    )  # fmt: skip
    assert statement_problems(stmt) == []
    assert stmt["verb"]["id"] == "http://adlnet.gov/expapi/verbs/progressed"
    assert stmt["object"]["id"] == COURSE
    assert stmt["result"] == {"extensions": {PROGRESS_EXTENSION: 67}}
    assert stmt["context"]["contextActivities"] == {
        "other": [{"objectType": "Activity", "id": MODULE}]
    }


def test_scored_has_a_score_and_no_verdict() -> None:
    stmt = xapi.attempt_graded(
        nip=NIP, quiz_url=f"{SITE}/kuis/3/", title="Pre-test", passed=None,
        score_percent=Decimal("62.5"), marks=Decimal("5"), max_marks=Decimal("8"),
        finished_at=WHEN, course_urls=[COURSE],
    )  # fmt: skip
    assert statement_problems(stmt) == []
    assert stmt["verb"]["id"] == "http://adlnet.gov/expapi/verbs/scored"
    assert stmt["result"] == {
        "score": {"scaled": 0.625, "raw": 5, "min": 0, "max": 8}, "completion": True,
    }  # fmt: skip
    assert parents(stmt) == [COURSE]
    assert "registration" not in stmt["context"]


def test_registration_is_a_stable_uuid_per_enrolment(settings: Any) -> None:
    settings.SINAU_PUBLIC_URL = SITE
    first = xapi.registration_for(12)
    assert first == xapi.registration_for(12) != xapi.registration_for(13)
    assert uuid.UUID(first).version == 5


def launched() -> dict[str, Any]:
    return xapi.module_launched(
        nip=NIP, module_url=MODULE, title="Modul 1", course_url=COURSE, launched_at=WHEN,
        registration=xapi.registration_for(1),
    )  # fmt: skip


def progressed() -> dict[str, Any]:
    return xapi.course_progressed(
        nip=NIP, course_url=COURSE, title="Integritas", percent=50, module_url=MODULE,
        progressed_at=WHEN,
    )  # fmt: skip


def broken(stmt: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    stmt = copy.deepcopy(stmt)
    change(stmt)
    return stmt


def _set(path: list[str], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(stmt: dict[str, Any]) -> None:
        node = stmt
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


CA = ["context", "contextActivities"]
EXT = ["result", "extensions"]


@pytest.mark.parametrize(
    ("make", "change", "problem"),
    [
        (progressed, _set([*EXT, PROGRESS_EXTENSION], 101),
         "result.extensions progress must be an integer from 0 to 100"),
        (progressed, _set([*EXT, PROGRESS_EXTENSION], 33.3),
         "result.extensions progress must be an integer from 0 to 100"),
        (progressed, _set([*EXT, PROGRESS_EXTENSION], True),
         "result.extensions progress must be an integer from 0 to 100"),
        (progressed, _set([*EXT, "progress"], 50),
         "result.extensions: 'progress' is not an IRI"),
        (progressed, _set(EXT, [50]), "result.extensions must be an object"),
        (launched, _set([*CA, "parent"], [{"objectType": "Activity", "id": "kursus 1"}]),
         "context.contextActivities.parent: an Activity id must be an IRI"),
        (launched, _set([*CA, "parent"], [{"objectType": "Agent", "id": COURSE}]),
         "context.contextActivities.parent must hold Activity objects"),
        (launched, _set([*CA, "parent"], ["https://sinau.example.go.id/k/"]),
         "context.contextActivities.parent must hold Activity objects"),
        (launched, _set([*CA, "course"], [{"id": COURSE}]),
         "context.contextActivities: unknown key 'course'"),
        (launched, _set(CA, [COURSE]), "context.contextActivities must be an object"),
        (launched, _set(["context", "registration"], "pendaftaran-1"),
         "context.registration must be a UUID"),
        (launched, _set(["context", "extensions"], {"opd": "Dinas Pendidikan"}),
         "context.extensions: 'opd' is not an IRI"),
    ],
)  # fmt: skip
def test_the_new_rules_name_their_problem(make: Any, change: Any, problem: str) -> None:
    assert problem in statement_problems(broken(make(), change))


def test_a_single_context_activity_object_is_valid_too() -> None:
    # The specification lets a producer give one Activity instead of an array.
    stmt = broken(launched(), _set([*CA, "parent"], {"objectType": "Activity", "id": COURSE}))
    assert statement_problems(stmt) == []
    stmt = broken(progressed(), _set([*EXT, PROGRESS_EXTENSION], 0))
    assert statement_problems(stmt) == []


# --- launched: the first visit of a module in an enrolment -----------------------------------


def test_opening_a_module_launches_it_once_per_enrolment(
    pemda: dict[str, Any], course_with: Any, lrs_on: None, client: Client
) -> None:
    course = course_with([("text", "<p>Bacaan</p>")], [("text", "<p>Lagi</p>")],
                         title="Kursus Integritas")  # fmt: skip
    learner = pemda["learner"]
    enrolment = learning.enrolment_request(actor=learner, course=course)
    first, second = list(course.modules())
    client.force_login(learner)
    assert client.get(first.url).status_code == 200
    (stmt,) = statements()
    assert statement_problems(stmt) == []
    assert stmt["verb"]["id"] == xapi.VERBS["launched"]
    assert stmt["actor"]["account"] == {"homePage": SITE, "name": learner.nip}
    assert stmt["object"]["id"] == f"{SITE}{first.url}"
    assert stmt["object"]["definition"]["name"] == {"id-ID": "Modul 1"}
    assert parents(stmt) == [f"{SITE}{course.url}"]
    assert stmt["context"]["registration"] == xapi.registration_for(enrolment.pk)
    assert keys() == [f"xapi:launched:{enrolment.pk}:{first.pk}"]

    # Opening it again writes nothing at all: no statement, no row.
    with CaptureQueriesContext(connection) as queries:
        assert client.get(first.url).status_code == 200
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]  # fmt: skip
    assert not [w for w in writes if "interop_" in w or "learning_moduleprogress" in w], writes
    assert len(statements()) == 1

    # Another module is another launch.
    assert client.get(second.url).status_code == 200
    assert verbs() == ["launched", "launched"]
    # The service called again for the first module (another device) adds nothing either.
    learning.module_start(actor=learner, enrolment=enrolment, module=first)
    assert len(statements()) == 2


def test_a_retake_is_a_new_registration_and_launches_again(
    pemda: dict[str, Any], course_with: Any, lrs_on: None
) -> None:
    course = course_with([("text", "<p>Bacaan</p>")], title="Kursus Ulang")
    learner = pemda["learner"]
    (module,) = list(course.modules())
    first = learning.enrolment_request(actor=learner, course=course)
    learning.module_start(actor=learner, enrolment=first, module=module)
    learning.enrolment_withdraw(actor=learner, enrolment=first)
    again = learning.enrolment_request(actor=learner, course=course)
    learning.module_start(actor=learner, enrolment=again, module=module)
    launches = [s for s in statements() if s["verb"]["id"] == xapi.VERBS["launched"]]
    assert [s["context"]["registration"] for s in launches] == [
        xapi.registration_for(first.pk), xapi.registration_for(again.pk),
    ]  # fmt: skip


def test_an_editor_previewing_a_module_launches_nothing(
    pemda: dict[str, Any], course_with: Any, lrs_on: None, client: Client
) -> None:
    course = course_with([("text", "<p>Bacaan</p>")], title="Kursus Pratinjau")
    (module,) = list(course.modules())
    client.force_login(pemda["superuser"])  # sees every module without enrolling
    assert client.get(module.url).status_code == 200
    assert statements() == []


# --- progressed: a module's completion recorded ----------------------------------------------


def test_completing_modules_reports_progress_then_completion(
    pemda: dict[str, Any], course_with: Any, lrs_on: None
) -> None:
    course = course_with([("text", "<p>Satu</p>")], [("text", "<p>Dua</p>")],
                         title="Kursus Dua Modul")  # fmt: skip
    learner = pemda["learner"]
    enrolment = learning.enrolment_request(actor=learner, course=course)
    first, second = list(course.modules())
    learning.module_start(actor=learner, enrolment=enrolment, module=first)
    learning.module_mark_done(actor=learner, enrolment=enrolment, module=first, seconds_spent=60)
    # Marked done again (a second click): time is counted, no second statement.
    learning.module_mark_done(actor=learner, enrolment=enrolment, module=first, seconds_spent=60)
    learning.module_mark_done(actor=learner, enrolment=enrolment, module=second)
    assert verbs() == ["launched", "progressed", "progressed", "completed"]
    all_statements = statements()
    for stmt in all_statements:
        assert statement_problems(stmt) == []
        assert stmt["context"]["registration"] == xapi.registration_for(enrolment.pk)
    one, two = all_statements[1], all_statements[2]
    assert one["object"]["id"] == two["object"]["id"] == f"{SITE}{course.url}"
    assert one["result"]["extensions"][PROGRESS_EXTENSION] == 50
    assert two["result"]["extensions"][PROGRESS_EXTENSION] == 100
    assert one["context"]["contextActivities"]["other"][0]["id"] == f"{SITE}{first.url}"
    assert two["context"]["contextActivities"]["other"][0]["id"] == f"{SITE}{second.url}"
    assert keys() == [
        f"xapi:launched:{enrolment.pk}:{first.pk}",
        f"xapi:progressed:{enrolment.pk}:{first.pk}",
        f"xapi:progressed:{enrolment.pk}:{second.pk}",
        f"xapi:completed:{enrolment.pk}",
    ]


def test_progress_counts_the_required_modules(
    pemda: dict[str, Any], course_with: Any, lrs_on: None
) -> None:
    course = course_with([("text", "<p>Wajib</p>")], [("text", "<p>Pengayaan</p>")],
                         [("text", "<p>Wajib juga</p>")], title="Kursus Pilihan")  # fmt: skip
    optional = list(course.modules())[1]
    optional.required_for_completion = False
    optional.save_revision().publish()
    learner = pemda["learner"]
    enrolment = learning.enrolment_request(actor=learner, course=course)
    first, optional, third = list(course.modules())
    learning.module_mark_done(actor=learner, enrolment=enrolment, module=optional)
    learning.module_mark_done(actor=learner, enrolment=enrolment, module=first)
    progress = [s["result"]["extensions"][PROGRESS_EXTENSION] for s in statements()]
    assert progress == [0, 50]  # the optional module moves nothing the course counts
    assert Enrolment.objects.get(pk=enrolment.pk).status == Enrolment.Status.ACTIVE


def test_a_quiz_pass_completing_its_module_reports_progress_once(
    pemda: dict[str, Any], course_with: Any, lrs_on: None
) -> None:
    quiz = make_quiz("Kuis Modul")
    course = course_with([("quiz", {"quiz": quiz, "required_to_pass": True})],
                         [("text", "<p>Penutup</p>")], title="Kursus Kuis Modul")  # fmt: skip
    learner = pemda["learner"]
    enrolment = learning.enrolment_request(actor=learner, course=course)
    module = next(iter(course.modules()))
    take(learner, quiz, right=True)
    # Asked again (the next heartbeat, another pass): completed already, nothing new.
    learning.module_requirements_met(actor=learner, enrolment=enrolment, module=module)
    take(learner, quiz, right=True)
    assert verbs() == ["passed", "progressed", "passed"]
    progress = statements()[1]
    assert progress["result"]["extensions"][PROGRESS_EXTENSION] == 50
    assert progress["context"]["contextActivities"]["other"][0]["id"] == f"{SITE}{module.url}"


def test_no_lrs_no_launched_or_progressed(
    pemda: dict[str, Any], course_with: Any, settings: Any
) -> None:
    settings.SINAU_XAPI_LRS_URL = ""
    course = course_with([("text", "<p>Bacaan</p>")], title="Kursus Tanpa LRS")
    learner = pemda["learner"]
    enrolment = learning.enrolment_request(actor=learner, course=course)
    (module,) = list(course.modules())
    learning.module_start(actor=learner, enrolment=enrolment, module=module)
    learning.module_mark_done(actor=learner, enrolment=enrolment, module=module)
    assert not OutboxMessage.objects.filter(kind=OutboxMessage.Kind.XAPI).exists()


# --- scored, passed, failed: one statement per graded attempt ---------------------------------


@pytest.mark.parametrize(
    ("kind", "right", "verb"),
    [
        (Quiz.Kind.GRADED, True, "passed"),
        (Quiz.Kind.POST_TEST, False, "failed"),
        (Quiz.Kind.PRACTICE, False, "scored"),
        (Quiz.Kind.PRE_TEST, True, "scored"),
    ],
)
def test_each_graded_attempt_makes_one_statement_by_the_quiz_kind(
    pemda: dict[str, Any], course_with: Any, lrs_on: None, kind: str, right: bool, verb: str
) -> None:
    quiz = make_quiz(f"Kuis {kind}", kind=kind)
    course = course_with([("quiz", {"quiz": quiz, "required_to_pass": False})],
                         title=f"Kursus {kind}")  # fmt: skip
    learner = pemda["learner"]
    enrolment = learning.enrolment_request(actor=learner, course=course)
    attempt = take(learner, quiz, right=right)
    assessments.attempt_submit(actor=learner, attempt=attempt)  # again: graded once
    (message,) = OutboxMessage.objects.filter(dedupe_key__startswith="xapi:graded:")
    assert message.dedupe_key == f"xapi:graded:{attempt.pk}"
    stmt = message.payload
    assert statement_problems(stmt) == []
    assert stmt["verb"]["id"] == xapi.VERBS[verb]
    assert stmt["object"]["definition"]["type"] == xapi.ACTIVITY_TYPES["assessment"]
    assert stmt["object"]["id"] == f"{SITE}/kuis/{quiz.pk}/"
    score = {"scaled": 1, "raw": 1, "min": 0, "max": 1} if right else {
        "scaled": 0, "raw": 0, "min": 0, "max": 1}  # fmt: skip
    assert stmt["result"]["score"] == score
    assert stmt["result"]["completion"] is True
    if verb == "scored":
        assert "success" not in stmt["result"]  # a pre-test is no failure
    else:
        assert stmt["result"]["success"] is right
    assert parents(stmt) == [f"{SITE}{course.url}"]
    assert stmt["context"]["registration"] == xapi.registration_for(enrolment.pk)


def test_a_quiz_used_by_two_courses_names_both_and_no_single_registration(
    pemda: dict[str, Any], course_with: Any, lrs_on: None
) -> None:
    quiz = make_quiz("Kuis Bersama")
    courses = [
        course_with([("quiz", {"quiz": quiz, "required_to_pass": False})], title=title)
        for title in ("Kursus Satu", "Kursus Dua")
    ]
    learner = pemda["learner"]
    for course in courses:
        learning.enrolment_request(actor=learner, course=course)
    take(learner, quiz, right=False)
    (stmt,) = statements()
    assert statement_problems(stmt) == []
    assert sorted(parents(stmt)) == sorted(f"{SITE}{c.url}" for c in courses)
    assert "registration" not in stmt["context"]
