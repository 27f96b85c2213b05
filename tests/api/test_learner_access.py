"""Every learner endpoint needs a login (401 in the one error body, by token or session
alike), and the schema describes the answers each one gives."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.api.conftest import error_of

ENDPOINTS = [
    ("get", "/api/v1/courses/"),
    ("get", "/api/v1/courses/1/"),
    ("post", "/api/v1/courses/1/enrol/"),
    ("get", "/api/v1/me/enrolments/"),
    ("get", "/api/v1/me/enrolments/1/"),
    ("post", "/api/v1/me/enrolments/1/withdraw/"),
    ("post", "/api/v1/me/enrolments/1/modules/2/start/"),
    ("post", "/api/v1/me/enrolments/1/modules/2/done/"),
    ("post", "/api/v1/videos/1/heartbeat/"),
    ("get", "/api/v1/quizzes/1/"),
    ("post", "/api/v1/quizzes/1/attempts/"),
    ("get", "/api/v1/attempts/1/"),
    ("put", "/api/v1/attempts/1/answers/"),
    ("post", "/api/v1/attempts/1/answers/"),
    ("post", "/api/v1/attempts/1/submit/"),
    ("get", "/api/v1/me/record/"),
    ("get", "/api/v1/me/record/entries/"),
    ("get", "/api/v1/me/external-trainings/"),
    ("post", "/api/v1/me/external-trainings/"),
    ("get", "/api/v1/me/external-trainings/1/"),
    ("post", "/api/v1/me/external-trainings/1/resubmit/"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_anonymous_is_401_everywhere(db: None, method: str, url: str) -> None:
    response = getattr(APIClient(), method)(url)
    assert response.status_code == 401
    error = error_of(response)
    assert (error["type"], error["code"], error["attr"]) == (
        "client_error", "not_authenticated", None
    )  # fmt: skip
    assert response["WWW-Authenticate"].startswith("Token")


def test_a_bad_token_is_401(db: None) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nonsense")
    response = client.get("/api/v1/me/record/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"


def test_wrong_methods_are_405(api: APIClient) -> None:
    response = api.delete("/api/v1/me/record/")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        ("/api/v1/courses/", "get", {"200", "400", "401", "404", "429"}),
        ("/api/v1/courses/{course_id}/enrol/", "post", {"201", "401", "404", "409", "429"}),
        (
            "/api/v1/videos/{video_id}/heartbeat/",
            "post",
            {"200", "400", "401", "403", "404", "409", "415", "429"},
        ),  # fmt: skip
        ("/api/v1/quizzes/{quiz_id}/attempts/", "post", {"200", "201", "403", "404", "409"}),
        ("/api/v1/attempts/{attempt_id}/answers/", "put", {"200", "400", "404", "409"}),
        ("/api/v1/me/record/", "get", {"200", "400", "401"}),
        ("/api/v1/me/external-trainings/", "post", {"201", "400", "401", "415"}),
    ],
)
def test_the_schema_documents_the_answers(
    schema: dict[str, Any], path: str, method: str, codes: set[str]
) -> None:
    operation = schema["paths"][path][method]
    assert codes <= set(operation["responses"]), sorted(operation["responses"])
    ids = [p for p in operation.get("parameters", []) if p["in"] == "path"]
    assert all(p["schema"]["type"] == "integer" for p in ids)
