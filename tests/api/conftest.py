"""Clients of the API (token or session), and the learner's world: a course with modules, a
quiz over one question of every kind, a video. The quiz fixtures are the assessment
tests' own (imported, so the two suites agree on what a question is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from courses.models import CoursePage, ModulePage
from lms.assessments.models import Quiz
from lms.people.models import Employee
from lms.videos.models import Video
from tests.assessments.conftest import bank, questions, quiz_with  # noqa: F401  (fixtures)

VIDEO_SECONDS = 60.0


@pytest.fixture
def learner(pemda: dict[str, Any]) -> Employee:
    return pemda["learner"]


@pytest.fixture
def colleague(pemda: dict[str, Any]) -> Employee:
    """Another learner in the same unit: their data must stay out of the learner's answers."""
    return pemda["staff_a"][1]


def api_client_for(employee: Employee | None) -> APIClient:
    """A client authenticated by a new API token of the employee (``None``: anonymous)."""
    client = APIClient()
    if employee is not None:
        _token, key = AuthToken.objects.create(user=employee)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def token_client(db: None) -> Callable[[Employee | None], APIClient]:
    """``token_client(employee)``: see ``api_client_for``."""
    return api_client_for


@pytest.fixture
def session_client(db: None) -> Callable[[Employee], APIClient]:
    """``session_client(employee)``: a client logged in to the site (the session cookie)."""

    def make(employee: Employee) -> APIClient:
        client = APIClient()
        client.force_login(employee)
        return client

    return make


@pytest.fixture
def api(token_client: Callable[[Employee | None], APIClient], learner: Employee) -> APIClient:
    return token_client(learner)


def error_of(response: Any) -> dict[str, Any]:
    """The one error body: its type, and the first error's code, detail and attr."""
    body = response.json()
    assert set(body) == {"type", "errors"}, body
    assert body["errors"], body
    assert all(set(e) == {"code", "detail", "attr"} for e in body["errors"]), body
    return {"type": body["type"], **body["errors"][0]}


def make_video(title: str = "Kuliah Integritas", *, duration: float = VIDEO_SECONDS) -> Video:
    """A video with a ladder playing, as the transcoder leaves it (only the row matters)."""
    return Video.objects.create(
        title=title, status=Video.Status.READY, duration_seconds=duration,
        hls_prefix="videos/hls/0/siap/",
    )  # fmt: skip


@pytest.fixture
def quiz(quiz_with: Callable[..., Quiz]) -> Quiz:  # noqa: F811
    return quiz_with()


@pytest.fixture
def course(course_with: Callable[..., CoursePage], quiz: Quiz) -> CoursePage:
    """Three modules: text only; text and a required quiz; text, not required."""
    course = course_with(
        [("text", "<p>Pengantar</p>")],
        [("text", "<p>Bacaan</p>"), ("quiz", {"quiz": quiz, "required_to_pass": True})],
        [("text", "<p>Bacaan tambahan</p>")],
        title="Etika ASN",
    )
    optional = list(course.modules())[2]
    ModulePage.objects.filter(pk=optional.pk).update(required_for_completion=False)
    return course


def modules(course: CoursePage) -> list[ModulePage]:
    return list(course.modules())
