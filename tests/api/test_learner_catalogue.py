"""The catalogue and enrolment through the API: what a learner sees and may do, the one
error body for every refusal, bounded queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from courses.models import CoursePage, EnrolmentPolicy
from lms.learning import services
from lms.learning.models import Enrolment, JenisDiklat
from lms.people.models import Employee
from tests.api.conftest import error_of, modules

LIST = reverse("api:course_list")


def detail(course: CoursePage | int | str) -> str:
    pk = course if isinstance(course, int | str) else course.pk
    return f"/api/v1/courses/{pk}/"


def enrol_url(course: CoursePage) -> str:
    return reverse("api:course_enrol", kwargs={"course_id": course.pk})


@pytest.fixture
def three(course_with: Callable[..., CoursePage]) -> dict[str, CoursePage]:
    return {
        "etika": course_with(
            [("text", "<p>Satu</p>")], title="Etika Pelayanan", competency_type="sosial_kultural"
        ),
        "keuangan": course_with(
            [("text", "<p>Dua</p>")], title="Keuangan Daerah", training_form="klasikal"
        ),
        "arsip": course_with(
            [("text", "<p>Tiga</p>")],
            title="Kearsipan Digital",
            jenis_diklat=JenisDiklat.objects.get(code=8),
        ),  # fmt: skip
    }


def titles(response: Any) -> list[str]:
    assert response.status_code == 200, response.content.decode()
    return [c["title"] for c in response.json()["results"]]


def test_anonymous_gets_401_in_the_standard_body(db: None) -> None:
    response = APIClient().get(LIST)
    assert response.status_code == 401
    error = error_of(response)
    assert error["type"] == "client_error"
    assert error["code"] == "not_authenticated"


def test_the_catalogue_lists_published_courses_by_title(
    api: APIClient, three: dict[str, CoursePage], django_assert_max_num_queries: Any
) -> None:
    three["arsip"].unpublish()
    with django_assert_max_num_queries(12):
        response = api.get(LIST)
    assert titles(response) == ["Etika Pelayanan", "Keuangan Daerah"]
    first = response.json()["results"][0]
    assert first["jp"] == "2.00"
    assert first["competency_type"] == "sosial_kultural"
    assert first["jenis"] == 16  # e-learning: what its completion is credited under
    assert first["url"].startswith("http")
    assert response.json()["count"] == 2


def test_filters_search_and_jenis(api: APIClient, three: dict[str, CoursePage]) -> None:
    assert titles(api.get(LIST, {"competency_type": "sosial_kultural"})) == ["Etika Pelayanan"]
    assert titles(api.get(LIST, {"training_form": "klasikal"})) == ["Keuangan Daerah"]
    assert titles(api.get(LIST, {"jenis": 13})) == ["Keuangan Daerah"]
    assert titles(api.get(LIST, {"jenis": 8})) == ["Kearsipan Digital"]
    assert titles(api.get(LIST, {"jenis": 16})) == ["Etika Pelayanan"]
    assert titles(api.get(LIST, {"q": "kearsipan"})) == ["Kearsipan Digital"]
    assert titles(api.get(LIST, {"q": "kearsipan", "jenis": "16"})) == []
    page = api.get(LIST, {"page_size": 2, "page": 2}).json()
    assert page["count"] == 3
    assert [c["title"] for c in page["results"]] == ["Keuangan Daerah"]


@pytest.mark.parametrize(
    ("params", "attr"),
    [
        ({"competency_type": "sihir"}, "competency_type"),
        ({"jenis": "abc"}, "jenis"),
        ({"jenis": "9" * 40}, "jenis"),
        ({"jp_min": "banyak"}, "jp_min"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(
    api: APIClient, three: dict[str, CoursePage], params: dict[str, str], attr: str
) -> None:
    response = api.get(LIST, params)
    assert response.status_code == 400
    error = error_of(response)
    assert error["type"] == "validation_error"
    assert error["attr"] == attr


def test_a_page_past_the_end_is_404(api: APIClient, three: dict[str, CoursePage]) -> None:
    response = api.get(LIST, {"page": 99})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_course_detail_shows_modules_and_my_progress(
    api: APIClient, learner: Employee, course: CoursePage, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(25):
        data = api.get(detail(course)).json()
    assert [m["title"] for m in data["modules"]] == ["Modul 1", "Modul 2", "Modul 3"]
    assert data["enrolment"] is None
    assert data["can_enrol"] is True
    assert data["enrol_block_reason"] == ""
    assert data["body"] == ""
    enrolment = services.enrolment_request(actor=learner, course=course)
    services.module_mark_done(actor=learner, enrolment=enrolment, module=modules(course)[0])
    data = api.get(detail(course)).json()
    assert data["enrolment"]["id"] == enrolment.pk
    assert data["enrolment"]["status"] == "active"
    assert [m["completed"] for m in data["modules"]] == [True, False, False]
    assert (data["modules_done"], data["modules_required"], data["percent"]) == (1, 2, 50)
    assert data["can_enrol"] is False


@pytest.mark.parametrize("course_id", ["999999", "abc", "-1", "1.5", "9" * 30])
def test_unknown_or_malformed_course_ids_are_404(
    api: APIClient, course: CoursePage, course_id: str
) -> None:
    response = api.get(detail(course_id))
    assert response.status_code == 404
    assert error_of(response)["detail"] == "Kursus tidak ditemukan."
    assert api.post(f"/api/v1/courses/{course_id}/enrol/").status_code == 404


def test_an_unpublished_course_is_404(api: APIClient, course: CoursePage) -> None:
    course.unpublish()
    assert api.get(detail(course)).status_code == 404
    assert api.post(enrol_url(course)).status_code == 404
    assert not Enrolment.objects.exists()


def test_enrol_creates_an_active_enrolment_once(
    api: APIClient, learner: Employee, course: CoursePage, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(15):
        response = api.post(enrol_url(course))
    assert response.status_code == 201, response.content.decode()
    data = response.json()
    assert data["status"] == "active"
    assert data["source"] == "self"
    assert data["course"] == {"id": course.pk, "title": "Etika ASN"}
    again = api.post(enrol_url(course))
    assert again.status_code == 409
    error = error_of(again)
    assert (error["type"], error["code"]) == ("client_error", "conflict")
    assert error["detail"] == "Anda sudah terdaftar di kursus ini."
    assert Enrolment.objects.filter(employee=learner).count() == 1


def test_enrol_with_approval_is_pending(api: APIClient, course: CoursePage) -> None:
    CoursePage.objects.filter(pk=course.pk).update(enrolment_policy=EnrolmentPolicy.APPROVAL)
    response = api.post(enrol_url(course))
    assert response.status_code == 201
    assert response.json()["status"] == "pending"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"enrolment_policy": EnrolmentPolicy.ASSIGNED}, "hanya dapat diikuti melalui penugasan"),
        ({"capacity": 0}, "Kuota kursus ini sudah penuh."),
        ({"enrolment_closes": "past"}, "Pendaftaran sudah ditutup"),
        ({"enrolment_opens": "future"}, "Pendaftaran dibuka"),
    ],
)
def test_refused_enrolments_are_409_with_the_reason_and_change_nothing(
    api: APIClient, course: CoursePage, change: dict[str, Any], message: str
) -> None:
    now = timezone.now()
    moments = {"past": now - dt.timedelta(days=1), "future": now + dt.timedelta(days=1)}
    CoursePage.objects.filter(pk=course.pk).update(
        **{k: moments.get(v, v) if isinstance(v, str) else v for k, v in change.items()}
    )
    response = api.post(enrol_url(course))
    assert response.status_code == 409
    assert message in error_of(response)["detail"]
    assert not Enrolment.objects.exists()


def test_a_course_completed_this_year_cannot_be_enrolled_again(
    api: APIClient, learner: Employee, course: CoursePage
) -> None:
    enrolment = services.enrolment_request(actor=learner, course=course)
    services.enrolment_complete(enrolment=enrolment, actor=None)
    response = api.post(enrol_url(course))
    assert response.status_code == 409
    assert error_of(response)["detail"] == (
        "Anda sudah menyelesaikan kursus ini tahun ini; ulangi tahun depan."
    )


def test_session_login_works_too(
    session_client: Callable[[Employee], APIClient], learner: Employee, course: CoursePage
) -> None:
    client = session_client(learner)
    assert client.get(LIST).status_code == 200
    assert client.post(enrol_url(course)).status_code == 201
    assert Enrolment.objects.get().employee == learner
    assert Decimal(client.get(LIST).json()["results"][0]["jp"]) == Decimal("2")
