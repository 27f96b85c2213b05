"""My enrolments and progress through the API: my own only (someone else's id is a 404),
per-module progress, starting and finishing modules as the pages do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from courses.models import CoursePage, EnrolmentPolicy
from lms.assessments.models import Quiz, QuizResult
from lms.learning import services
from lms.learning.models import Enrolment, JPEntry, ModuleProgress
from lms.people.models import Employee
from tests.api.conftest import error_of, modules

LIST = reverse("api:my_enrolment_list")


def detail(enrolment: Enrolment | int) -> str:
    pk = enrolment if isinstance(enrolment, int) else enrolment.pk
    return reverse("api:my_enrolment_detail", kwargs={"enrolment_id": pk})


def action(enrolment: Enrolment, module: Any, what: str) -> str:
    return reverse(
        f"api:module_{what}", kwargs={"enrolment_id": enrolment.pk, "module_id": module.pk}
    )


@pytest.fixture
def enrolment(course: CoursePage, learner: Employee) -> Enrolment:
    return services.enrolment_request(actor=learner, course=course)


def test_i_see_my_enrolments_only(
    api: APIClient,
    learner: Employee,
    colleague: Employee,
    course: CoursePage,
    course_with: Callable[..., CoursePage],
    django_assert_max_num_queries: Any,
) -> None:
    mine = services.enrolment_request(actor=learner, course=course)
    other_course = course_with([("text", "<p>x</p>")], title="Kursus Lain")
    services.enrolment_request(actor=colleague, course=course)
    services.enrolment_request(actor=colleague, course=other_course)
    withdrawn = services.enrolment_request(actor=learner, course=other_course)
    services.enrolment_withdraw(actor=learner, enrolment=withdrawn)
    with django_assert_max_num_queries(6):
        response = api.get(LIST)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [withdrawn.pk, mine.pk]
    assert rows[1]["course"] == {"id": course.pk, "title": "Etika ASN"}
    assert rows[0]["status_label"] == "Mengundurkan diri"
    active = api.get(LIST, {"status": "active"}).json()["results"]
    assert [r["id"] for r in active] == [mine.pk]
    year = mine.created_at.year
    assert len(api.get(LIST, {"year": year}).json()["results"]) == 2
    assert api.get(LIST, {"year": year - 1}).json()["results"] == []


@pytest.mark.parametrize(
    ("params", "attr"),
    [({"status": "lulus"}, "status"), ({"year": "dua ribu"}, "year"), ({"year": 99999}, "year")],
)
def test_bad_filters_are_400(
    api: APIClient, enrolment: Enrolment, params: dict[str, Any], attr: str
) -> None:
    response = api.get(LIST, params)
    assert response.status_code == 400
    assert error_of(response)["attr"] == attr


def test_enrolment_detail_has_progress_per_module(
    api: APIClient,
    learner: Employee,
    course: CoursePage,
    enrolment: Enrolment,
    django_assert_max_num_queries: Any,
) -> None:
    first = modules(course)[0]
    services.module_start(actor=learner, enrolment=enrolment, module=first)
    services.module_mark_done(actor=learner, enrolment=enrolment, module=first, seconds_spent=120)
    with django_assert_max_num_queries(10):
        response = api.get(detail(enrolment))
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "active"
    assert [m["title"] for m in data["modules"]] == ["Modul 1", "Modul 2", "Modul 3"]
    assert data["modules"][0]["completed_at"] is not None
    assert data["modules"][0]["time_spent_seconds"] == 120
    assert data["modules"][1]["started_at"] is None
    assert data["modules"][2]["required_for_completion"] is False
    assert (data["modules_done"], data["modules_required"], data["percent"]) == (1, 2, 50)
    assert data["missing"] == ["Modul: Modul 2"]


def test_someone_elses_enrolment_is_404_like_none(
    token_client: Callable[[Employee | None], APIClient],
    colleague: Employee,
    course: CoursePage,
    enrolment: Enrolment,
) -> None:
    client = token_client(colleague)
    for url in (
        detail(enrolment),
        detail(10**17),
        "/api/v1/me/enrolments/abc/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert error_of(response)["detail"] == "Pendaftaran tidak ditemukan."
    first = modules(course)[0]
    assert client.post(action(enrolment, first, "start")).status_code == 404
    assert client.post(action(enrolment, first, "done")).status_code == 404
    assert not ModuleProgress.objects.exists()


def test_start_then_mark_done_completes_the_course(
    api: APIClient,
    learner: Employee,
    course: CoursePage,
    enrolment: Enrolment,
    quiz: Quiz,
    django_assert_max_num_queries: Any,
) -> None:
    first, second, _third = modules(course)
    with django_assert_max_num_queries(12):
        response = api.post(action(enrolment, first, "start"))
    assert response.status_code == 200, response.content.decode()
    assert response.json()["completed_at"] is None
    enrolment.refresh_from_db()
    assert enrolment.started_at is not None
    with django_assert_max_num_queries(25):
        response = api.post(action(enrolment, first, "done"), {"seconds": 300}, format="json")
    assert response.status_code == 200, response.content.decode()
    data = response.json()
    assert data["time_spent_seconds"] == 300
    assert data["course_completed"] is False
    # The quiz module waits for the pass.
    refused = api.post(action(enrolment, second, "done"))
    assert refused.status_code == 409
    assert error_of(refused)["detail"] == "Modul ini selesai setelah Anda lulus kuisnya."
    assert not ModuleProgress.objects.filter(module=second, completed_at__isnull=False).exists()
    QuizResult.objects.create(
        quiz=quiz, employee=learner, score=100, passed=True, graded_at=enrolment.created_at
    )
    response = api.post(action(enrolment, second, "done"))
    assert response.status_code == 200
    assert response.json()["course_completed"] is True
    assert response.json()["enrolment_status"] == "completed"
    assert JPEntry.objects.filter(employee=learner).count() == 1


def test_bad_seconds_are_400_and_change_nothing(
    api: APIClient, course: CoursePage, enrolment: Enrolment
) -> None:
    first = modules(course)[0]
    for seconds in (-1, "lama", 10**12, True):
        response = api.post(action(enrolment, first, "done"), {"seconds": seconds}, format="json")
        assert response.status_code == 400, seconds
        error = error_of(response)
        assert (error["type"], error["attr"]) == ("validation_error", "seconds")
    assert not ModuleProgress.objects.exists()


def test_a_module_of_another_course_is_404(
    api: APIClient,
    enrolment: Enrolment,
    course_with: Callable[..., CoursePage],
) -> None:
    other = course_with([("text", "<p>x</p>")], title="Kursus Lain")
    response = api.post(action(enrolment, modules(other)[0], "start"))
    assert response.status_code == 404
    assert error_of(response)["detail"] == "Modul tidak ditemukan di kursus ini."
    assert not ModuleProgress.objects.exists()


def test_a_pending_enrolment_cannot_start_modules(
    api: APIClient, learner: Employee, course: CoursePage
) -> None:
    CoursePage.objects.filter(pk=course.pk).update(enrolment_policy=EnrolmentPolicy.APPROVAL)
    course.refresh_from_db()
    pending = services.enrolment_request(actor=learner, course=course)
    assert pending.status == Enrolment.Status.PENDING
    response = api.post(action(pending, modules(course)[0], "start"))
    assert response.status_code == 409
    assert error_of(response)["detail"] == "Pendaftaran Anda belum aktif."
    assert not ModuleProgress.objects.exists()


def test_an_admin_sees_only_their_own_enrolments(
    token_client: Callable[[Employee | None], APIClient],
    pemda: dict[str, Any],
    enrolment: Enrolment,
) -> None:
    for role in ("admin_a", "auditor", "superuser"):
        client = token_client(pemda[role])
        assert client.get(LIST).json()["results"] == [], role
        assert client.get(detail(enrolment)).status_code == 404, role


def test_withdraw_my_enrolment_once(
    api: APIClient,
    token_client: Callable[[Employee | None], APIClient],
    colleague: Employee,
    enrolment: Enrolment,
    django_assert_max_num_queries: Any,
) -> None:
    url = reverse("api:my_enrolment_withdraw", kwargs={"enrolment_id": enrolment.pk})
    assert token_client(colleague).post(url).status_code == 404
    with django_assert_max_num_queries(10):
        response = api.post(url, {"reason": "Pindah tugas"}, format="json")
    assert response.status_code == 200, response.content.decode()
    assert response.json()["status"] == "withdrawn"
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.decision_note) == ("withdrawn", "Pindah tugas")
    again = api.post(url)
    assert again.status_code == 409
    assert error_of(again)["detail"] == "Pendaftaran ini tidak aktif."
    too_long = api.post(url, {"reason": "x" * 501}, format="json")
    assert too_long.status_code == 400
    assert error_of(too_long)["attr"] == "reason"
