"""Quiz attempts through the API: start or resume, questions without their key, answers by
their place in the frozen order, submit and grade, review only when the quiz allows it;
someone else's attempt is a 404; refusals in the one error body change nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from courses.models import CoursePage
from lms.assessments.models import Attempt, AttemptQuestion, Quiz, QuizResult
from lms.learning import services
from lms.learning.models import Enrolment
from lms.people.models import Employee
from tests.api.conftest import error_of
from tests.assessments.conftest import KINDS


def quiz_url(quiz: Quiz | int | str) -> str:
    return f"/api/v1/quizzes/{quiz if isinstance(quiz, int | str) else quiz.pk}/"


def start_url(quiz: Quiz) -> str:
    return reverse("api:quiz_attempt_start", kwargs={"quiz_id": quiz.pk})


def attempt_url(attempt_id: int, what: str = "") -> str:
    return f"/api/v1/attempts/{attempt_id}/" + (f"{what}/" if what else "")


@pytest.fixture
def enrolment(course: CoursePage, learner: Employee) -> Enrolment:
    return services.enrolment_request(actor=learner, course=course)


def place(question: dict[str, Any], text: str) -> str:
    """The value of the option whose label shows ``text``."""
    return next(o["value"] for o in question["options"] if text in o["label"])


def right_answers(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a learner who knows the answers sends, read off the questions as shown."""
    answers = []
    for q in questions:
        kind = q["kind"]
        if kind == "single":
            response: Any = place(q, "Pancasila")
        elif kind == "multiple":
            response = [place(q, "Berorientasi pelayanan"), place(q, "Akuntabel")]
        elif kind == "truefalse":
            response = "true"
        elif kind == "short":
            response = "ASN"
        elif kind == "numeric":
            response = "20"
        else:
            by_prompt = {p["text"]: p["value"] for p in q["prompts"]}
            response = {
                by_prompt["Ibu kota Jawa Tengah"]: place(q, "Semarang"),
                by_prompt["Ibu kota Jawa Timur"]: place(q, "Surabaya"),
            }
        answers.append({"position": q["position"], "response": response})
    return answers


def test_quiz_detail_and_the_whole_attempt(
    api: APIClient,
    learner: Employee,
    quiz: Quiz,
    enrolment: Enrolment,
    django_assert_max_num_queries: Any,
) -> None:
    with django_assert_max_num_queries(12):
        data = api.get(quiz_url(quiz)).json()
    assert (data["title"], data["question_count"], data["can_start"]) == ("Kuis Wawasan", 6, True)
    assert data["attempts"] == []
    assert data["open_attempt"] is None
    assert data["result"] is None
    with django_assert_max_num_queries(25):
        started = api.post(start_url(quiz))
    assert started.status_code == 201, started.content.decode()
    attempt = started.json()
    assert attempt["state"] == "in_progress"
    assert attempt["unanswered"] == 6
    assert attempt["score"] is None
    assert attempt["review_allowed"] is False
    questions = attempt["questions"]
    assert [q["kind"] for q in questions] == list(KINDS)
    # Never the key: no fractions, no feedback, no author's option ids, no review.
    text = json.dumps(questions)
    for secret in ("fraction", "Tepat.", "Itu konstitusi.", "feedback"):
        assert secret not in text
    assert all(q["review"] is None for q in questions)
    assert [o["value"] for o in questions[0]["options"]] == ["1", "2", "3"]
    # Resumed, not started again.
    again = api.post(start_url(quiz))
    assert again.status_code == 200
    assert again.json()["id"] == attempt["id"]
    with django_assert_max_num_queries(12):
        saved = api.put(
            attempt_url(attempt["id"], "answers"),
            {"answers": right_answers(questions)},
            format="json",
        )
    assert saved.status_code == 200, saved.content.decode()
    assert saved.json() == {"saved": 6, "unanswered": 0}
    shown = api.get(attempt_url(attempt["id"])).json()
    assert shown["questions"][0]["options"][int(place(questions[0], "Pancasila")) - 1]["checked"]
    assert shown["questions"][3]["text"] == "ASN"
    with django_assert_max_num_queries(40):
        submitted = api.post(attempt_url(attempt["id"], "submit"))
    assert submitted.status_code == 200, submitted.content.decode()
    result = submitted.json()
    assert result["state"] == "submitted"
    assert result["score"] == "100.00"
    assert result["passed"] is True
    assert result["review_allowed"] is True  # the default: right after submitting
    first = result["questions"][0]
    assert first["review"]["outcome"] == "right"
    assert "Pancasila" in first["review"]["correct"][0]
    assert QuizResult.objects.get(employee=learner, quiz=quiz).passed
    # Submitting again changes nothing.
    assert api.post(attempt_url(attempt["id"], "submit")).json()["score"] == "100.00"
    detail = api.get(quiz_url(quiz)).json()
    assert detail["result"] == {"score": "100.00", "passed": True}
    assert [a["state"] for a in detail["attempts"]] == ["submitted"]


def test_review_never_hides_the_questions_after_submitting(
    api: APIClient, quiz: Quiz, enrolment: Enrolment
) -> None:
    Quiz.objects.filter(pk=quiz.pk).update(review=Quiz.Review.NEVER)
    attempt_id = api.post(start_url(quiz)).json()["id"]
    result = api.post(attempt_url(attempt_id, "submit")).json()
    assert result["score"] == "0.00"
    assert result["review_allowed"] is False
    assert result["questions"] == []
    assert api.get(attempt_url(attempt_id)).json()["questions"] == []


def test_not_enrolled_is_403_and_starts_nothing(
    token_client: Callable[[Employee | None], APIClient], colleague: Employee, quiz: Quiz
) -> None:
    client = token_client(colleague)
    for response in (client.get(quiz_url(quiz)), client.post(start_url(quiz))):
        assert response.status_code == 403
        error = error_of(response)
        assert error["code"] == "permission_denied"
        assert error["detail"] == "Anda tidak terdaftar di kursus yang memuat kuis ini."
    assert not Attempt.objects.exists()


@pytest.mark.parametrize("quiz_id", ["999999", "abc", "9" * 25])
def test_unknown_quizzes_are_404(api: APIClient, enrolment: Enrolment, quiz_id: str) -> None:
    response = api.get(quiz_url(quiz_id))
    assert response.status_code == 404
    assert error_of(response)["detail"] == "Kuis tidak ditemukan."


def test_someone_elses_attempt_is_404(
    token_client: Callable[[Employee | None], APIClient],
    api: APIClient,
    colleague: Employee,
    quiz: Quiz,
    enrolment: Enrolment,
) -> None:
    attempt_id = api.post(start_url(quiz)).json()["id"]
    client = token_client(colleague)
    for response in (
        client.get(attempt_url(attempt_id)),
        client.put(attempt_url(attempt_id, "answers"), {"answers": []}, format="json"),
        client.post(attempt_url(attempt_id, "submit")),
    ):
        assert response.status_code == 404
        assert error_of(response)["detail"] == "Percobaan ini tidak ditemukan."
    assert Attempt.objects.get().state == Attempt.State.IN_PROGRESS


@pytest.mark.parametrize(
    "answers",
    [
        "semua benar",
        [],
        [{"position": 1}],
        [{"position": "1", "response": "1"}],
        [{"position": 0, "response": "1"}],
        [{"position": 2**40, "response": "1"}],
        [{"position": 99, "response": "1"}],
        [{"position": 1, "response": "9"}],
        [{"position": 1, "response": "1"}, {"position": 3, "response": "mungkin"}],
        [{"position": 6, "response": ["1"]}],
    ],
)
def test_bad_answers_are_400_and_save_nothing(
    api: APIClient, quiz: Quiz, enrolment: Enrolment, answers: Any
) -> None:
    attempt_id = api.post(start_url(quiz)).json()["id"]
    response = api.post(attempt_url(attempt_id, "answers"), {"answers": answers}, format="json")
    assert response.status_code == 400, response.content.decode()
    error = error_of(response)
    assert (error["type"], error["attr"]) == ("validation_error", "answers")
    assert not AttemptQuestion.objects.filter(answered_at__isnull=False).exists()


def test_a_finished_attempt_takes_no_answers(
    api: APIClient, quiz: Quiz, enrolment: Enrolment
) -> None:
    attempt_id = api.post(start_url(quiz)).json()["id"]
    api.post(attempt_url(attempt_id, "submit"))
    response = api.put(
        attempt_url(attempt_id, "answers"),
        {"answers": [{"position": 1, "response": "1"}]},
        format="json",
    )
    assert response.status_code == 409
    assert error_of(response)["detail"] == "Percobaan ini sudah selesai."
    assert not AttemptQuestion.objects.filter(answered_at__isnull=False).exists()


def test_time_up_closes_the_attempt(api: APIClient, quiz: Quiz, enrolment: Enrolment) -> None:
    Quiz.objects.filter(pk=quiz.pk).update(time_limit_minutes=5)
    attempt_id = api.post(start_url(quiz)).json()["id"]
    Attempt.objects.filter(pk=attempt_id).update(
        deadline=Attempt.objects.get(pk=attempt_id).started_at - dt.timedelta(seconds=1)
    )
    response = api.put(
        attempt_url(attempt_id, "answers"),
        {"answers": [{"position": 1, "response": "1"}]},
        format="json",
    )
    assert response.status_code == 409
    assert "Waktu habis" in error_of(response)["detail"]
    assert Attempt.objects.get(pk=attempt_id).state == Attempt.State.EXPIRED


def test_the_attempt_limit_is_409(api: APIClient, quiz: Quiz, enrolment: Enrolment) -> None:
    Quiz.objects.filter(pk=quiz.pk).update(max_attempts=1)
    attempt_id = api.post(start_url(quiz)).json()["id"]
    api.post(attempt_url(attempt_id, "submit"))
    detail = api.get(quiz_url(quiz)).json()
    assert detail["can_start"] is False
    assert detail["attempts_left"] == 0
    response = api.post(start_url(quiz))
    assert response.status_code == 409
    assert error_of(response)["detail"] == "Anda sudah memakai semua 1 percobaan untuk kuis ini."
    assert Attempt.objects.count() == 1


def test_passing_the_quiz_completes_its_module(
    api: APIClient, learner: Employee, course: CoursePage, quiz: Quiz, enrolment: Enrolment
) -> None:
    attempt = api.post(start_url(quiz)).json()
    api.put(
        attempt_url(attempt["id"], "answers"),
        {"answers": right_answers(attempt["questions"])},
        format="json",
    )
    api.post(attempt_url(attempt["id"], "submit"))
    progress = api.get(
        reverse("api:my_enrolment_detail", kwargs={"enrolment_id": enrolment.pk})
    ).json()
    assert [m["completed_at"] is not None for m in progress["modules"]] == [False, True, False]
