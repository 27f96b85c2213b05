"""Video heartbeats through the API: the site's crediting rules (distinct seconds, no faster
than the clock), the watch ticket bound to the token or the session, refusals in the one
error body that change nothing, the minimum interval and the ``heartbeat`` rate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import F
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from courses.models import CoursePage, ModulePage
from lms.learning import services
from lms.learning.models import Enrolment, ModuleProgress
from lms.people.models import Employee
from lms.videos.models import Video, VideoWatch
from tests.api.conftest import error_of, make_video, modules


@pytest.fixture(autouse=True)
def _write_every_heartbeat(settings: Any) -> None:
    # Heartbeats are seconds apart only in simulated time; the interval has its own test.
    settings.SINAU_HEARTBEAT_MIN_SECONDS = 0
    settings.SINAU_WATCH_FLUSH_SECONDS = 0


@pytest.fixture
def video(db: None) -> Video:
    return make_video()


@pytest.fixture
def video_course(course_with: Callable[..., CoursePage], video: Video) -> CoursePage:
    return course_with(
        [("text", "<p>Pengantar</p>"), ("video", {"video": video, "caption": "Materi"})],
        title="Kursus Video",
    )


@pytest.fixture
def enrolment(video_course: CoursePage, learner: Employee) -> Enrolment:
    return services.enrolment_request(actor=learner, course=video_course)


def url(video: Video | int | str) -> str:
    pk = video if isinstance(video, int | str) else video.pk
    return f"/api/v1/videos/{pk}/heartbeat/"


def beat(client: APIClient, video: Video | int, module: ModulePage | int, **body: Any) -> Any:
    payload = {"module": module if isinstance(module, int) else module.pk, **body}
    return client.post(url(video), payload, format="json")


def earlier(employee: Employee, video: Video, seconds: float) -> None:
    """As if the previous heartbeat (written through) came ``seconds`` ago."""
    VideoWatch.objects.filter(employee=employee, video=video).update(
        last_heartbeat_at=F("last_heartbeat_at") - dt.timedelta(seconds=seconds)
    )


def test_heartbeats_credit_distinct_seconds_and_complete_the_module(
    api: APIClient,
    learner: Employee,
    video: Video,
    video_course: CoursePage,
    enrolment: Enrolment,
    django_assert_max_num_queries: Any,
) -> None:
    module = modules(video_course)[0]
    with django_assert_max_num_queries(12):
        first = beat(api, video, module)
    assert first.status_code == 200, first.content.decode()
    data = first.json()
    assert isinstance(data.pop("ticket"), str)
    assert data == {
        "watched_seconds": 0.0, "percent": 0, "completed": False, "resume_at": 0.0,
        "credited_seconds": 0.0, "module_completed": False,
    }  # fmt: skip
    earlier(learner, video, 12)
    # Without the ticket the database decides (the ticket path has its own test).
    response = beat(api, video, module, intervals=[[0, 10], [5, 12]], position=12)
    assert response.status_code == 200
    assert response.json()["watched_seconds"] == 12.0
    assert VideoWatch.objects.get(employee=learner).intervals == [[0, 12]]
    # A claim to the whole video at once gets only what the clock allows.
    earlier(learner, video, 5)
    response = beat(api, video, module, intervals=[[0, 60]], position=60)
    assert response.json()["watched_seconds"] < 60
    for _round in range(10):
        earlier(learner, video, 120)
        response = beat(api, video, module, intervals=[[0, 60]], position=60, final=True)
    assert response.json()["completed"] is True
    assert response.json()["module_completed"] is True
    progress = ModuleProgress.objects.get(enrolment=enrolment, module=module)
    assert progress.completed_at is not None


def test_a_ticket_binds_to_the_token_and_not_to_another_client(
    token_client: Callable[[Employee | None], APIClient],
    session_client: Callable[[Employee], APIClient],
    learner: Employee,
    video: Video,
    video_course: CoursePage,
    enrolment: Enrolment,
    django_assert_max_num_queries: Any,
    settings: Any,
) -> None:
    settings.SINAU_WATCH_FLUSH_SECONDS = 300
    module = modules(video_course)[0]
    api = token_client(learner)
    ticket = beat(api, video, module).json()["ticket"]
    # With its ticket, a heartbeat reads nothing but the token (knox: the token and its
    # owner's expired ones), no watch, no enrolment.
    with django_assert_max_num_queries(2):
        response = beat(api, video, module, intervals=[[0, 2]], position=2, ticket=ticket)
    assert response.status_code == 200
    assert response.json()["watched_seconds"] > 0
    # The same ticket from a session is not valid there: the database decides instead.
    browser = session_client(learner)
    response = beat(browser, video, module, intervals=[[0, 2]], position=2, ticket=ticket)
    assert response.status_code == 200


def test_not_enrolled_is_403_and_nothing_is_recorded(
    token_client: Callable[[Employee | None], APIClient],
    colleague: Employee,
    video: Video,
    video_course: CoursePage,
    enrolment: Enrolment,
) -> None:
    response = beat(token_client(colleague), video, modules(video_course)[0])
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "permission_denied"
    assert error["detail"] == "Anda tidak terdaftar di kursus yang memuat video ini."
    assert not VideoWatch.objects.exists()


def test_unknown_video_or_module_and_unplayable_videos(
    api: APIClient, video: Video, video_course: CoursePage, enrolment: Enrolment
) -> None:
    module = modules(video_course)[0]
    for video_id in (999999, "abc", "9" * 30):
        response = api.post(url(video_id), {"module": module.pk}, format="json")
        assert response.status_code == 404, video_id
        assert error_of(response)["type"] == "client_error"
    # A module that does not show the video.
    assert beat(api, video, 10**15).status_code == 403
    Video.objects.filter(pk=video.pk).update(hls_prefix="")
    response = beat(api, video, module)
    assert response.status_code == 409
    assert error_of(response)["detail"] == "Video ini belum siap diputar."
    assert not VideoWatch.objects.exists()


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({}, "module"),
        ({"module": "satu"}, "module"),
        ({"module": "5"}, "module"),
        ({"module": True}, "module"),
        ({"module": 0}, "module"),
        ({"module": 10**30}, "module"),
        ({"intervals": "semua"}, "intervals"),
        ({"intervals": [[5, 1]]}, "intervals"),
        ({"intervals": [[0, 1, 2]]}, "intervals"),
        ({"intervals": [[True, 2]]}, "intervals"),
        ({"intervals": [[0, 1]] * 51}, "intervals"),
        ({"position": -1}, "position"),
        ({"position": "jauh"}, "position"),
        ({"position": "1.5"}, "position"),
        ({"final": 1}, "final"),
        ({"final": "mungkin"}, "final"),
        ({"ticket": 5}, "ticket"),
        ({"intervals": [[0, 500]]}, "non_field_errors"),
    ],
)
def test_bad_input_is_400_and_changes_nothing(
    api: APIClient,
    video: Video,
    video_course: CoursePage,
    enrolment: Enrolment,
    body: dict[str, Any],
    attr: str,
) -> None:
    payload = {"module": modules(video_course)[0].pk, **body} if body else {}
    response = api.post(url(video), payload, format="json")
    assert response.status_code == 400, response.content.decode()
    error = error_of(response)
    assert (error["type"], error["attr"]) == ("validation_error", attr)
    assert not VideoWatch.objects.exclude(intervals=[]).exists()


def test_malformed_json_is_400(api: APIClient, video: Video, enrolment: Enrolment) -> None:
    response = api.post(url(video), "{no", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_too_soon_is_429_with_retry_after(
    settings: Any, api: APIClient, learner: Employee, video: Video, video_course: CoursePage,
    enrolment: Enrolment,
) -> None:  # fmt: skip
    settings.SINAU_HEARTBEAT_MIN_SECONDS = 60
    module = modules(video_course)[0]
    ticket = beat(api, video, module).json()["ticket"]
    response = beat(api, video, module, intervals=[[0, 5]], ticket=ticket)
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    error = error_of(response)
    assert error["code"] == "throttled"
    assert "Terlalu sering" in error["detail"]
    assert VideoWatch.objects.get(employee=learner).watched_seconds == 0


def test_the_heartbeat_rate_is_its_own(
    monkeypatch: pytest.MonkeyPatch,
    api: APIClient,
    video: Video,
    video_course: CoursePage,
    enrolment: Enrolment,
) -> None:
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "heartbeat", "2/min")
    module = modules(video_course)[0]
    assert beat(api, video, module).status_code == 200
    assert beat(api, video, module).status_code == 200
    response = beat(api, video, module)
    assert response.status_code == 429
    assert error_of(response)["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    # Other endpoints keep their own budget.
    assert api.get(reverse("api:course_list")).status_code == 200


def test_anonymous_is_401(video: Video, video_course: CoursePage) -> None:
    response = APIClient().post(url(video), {"module": 1}, format="json")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
