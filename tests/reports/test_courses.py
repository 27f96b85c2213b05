"""Course reports: the figures of a small fixture equal the ones worked out by hand below;
an OPD admin sees only their subtree's learners, whatever filter, URL or download they try;
learners get 403; the query count does not grow with the number of learners."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone
from openpyxl import load_workbook

import lms.urls
from courses.models import CoursePage, ModulePage
from lms.assessments.models import Quiz, QuizResult
from lms.learning.models import Enrolment, ModuleProgress
from lms.people.models import Employee
from lms.people.selectors import scope_for
from lms.reports import course_views
from lms.reports import courses as report
from lms.reports import urls as reports_urls
from tests.factories import EmployeeFactory

# Until the reports app includes these pages, the tests mount them in the "reports"
# namespace beside whatever it already has.
_mine = {p.name for p in course_views.urlpatterns}
urlpatterns = [
    path(
        "laporan/",
        include(
            (
                course_views.urlpatterns
                + [p for p in reports_urls.urlpatterns if getattr(p, "name", None) not in _mine],
                "reports",
            )
        ),
    ),
    *lms.urls.urlpatterns,
]
pytestmark = pytest.mark.urls(__name__)

S = Enrolment.Status
NOW = timezone.now()
THIS_YEAR = timezone.localdate().year
LAST_YEAR = THIS_YEAR - 1


def streamed(response: Any) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def downloaded(response: Any) -> str:
    """A CSV download's text (the response streams it)."""
    return streamed(response).decode("utf-8-sig")


def client_for(user: Employee) -> Client:
    client = Client()
    client.force_login(user)
    return client


def enrol(employee: Employee, course: CoursePage, status: str, **fields: Any) -> Enrolment:
    if status == S.COMPLETED:
        fields.setdefault("completed_at", NOW)
    return Enrolment.objects.create(
        employee=employee, course=course, status=status, source="self", **fields
    )


def progress(enrolment: Enrolment, module: ModulePage, done: bool) -> None:
    ModuleProgress.objects.create(
        enrolment=enrolment, module=module, started_at=NOW, completed_at=NOW if done else None
    )


def result(employee: Employee, quiz: Quiz, score: str) -> None:
    QuizResult.objects.create(
        quiz=quiz, employee=employee, score=Decimal(score), passed=Decimal(score) >= 60,
        graded_at=NOW,
    )  # fmt: skip


@pytest.fixture
def fixture(pemda: dict[str, Any], course_with: Callable[..., CoursePage]) -> dict[str, Any]:
    """Course "Etika": three modules (the second shows a quiz), a pre-test and a post-test.

    | learner | OPD | enrolment(s) this year | modules done (opened) | pre | post | module quiz |
    | a0 | A | completed | 1, 2, 3 | 40 | 80 | 90 |
    | a1 | A | withdrawn, then active | 1 (2) | 50 | - | 60 |
    | a2 | A | withdrawn | (1) | - | - | - |
    | b0 | B | completed | 1, 2, 3 | 60 | 100 | 70 |
    | b1 | B | pending (not a learner) | | | | |
    | b2 | B | rejected (not a learner) | | | | |
    | lama | A | last year, completed | 1 | 20 | 30 | - |
    """
    pre, post, module_quiz = (Quiz.objects.create(title=t) for t in ("Pre", "Post", "Modul 2"))
    course = course_with(
        [("text", "<p>Satu</p>")],
        [("text", "<p>Dua</p>"), ("quiz", {"quiz": module_quiz, "required_to_pass": True})],
        [("text", "<p>Tiga</p>")],
        title="Kursus Etika",
        pre_test=pre,
        post_test=post,
    )
    m1, m2, m3 = course.modules()
    empty = course_with([("text", "<p>Isi</p>")], title="Kursus Kosong")
    a0, a1, a2 = pemda["staff_a"]
    b0, b1, b2 = pemda["staff_b"]
    lama = EmployeeFactory.create(org_unit=pemda["unit_a"], full_name="Pegawai Lama")

    e = enrol(a0, course, S.COMPLETED)
    for m in (m1, m2, m3):
        progress(e, m, done=True)
    old = enrol(a1, course, S.WITHDRAWN)
    progress(old, m1, done=False)
    e = enrol(a1, course, S.ACTIVE)
    progress(e, m1, done=True)
    progress(e, m2, done=False)
    e = enrol(a2, course, S.WITHDRAWN)
    progress(e, m1, done=False)
    e = enrol(b0, course, S.COMPLETED)
    for m in (m1, m2, m3):
        progress(e, m, done=True)
    enrol(b1, course, S.PENDING)
    enrol(b2, course, S.REJECTED)
    e = enrol(lama, course, S.COMPLETED)
    progress(e, m1, done=True)
    Enrolment.objects.filter(pk=e.pk).update(
        created_at=dt.datetime(LAST_YEAR, 6, 1, 9, tzinfo=timezone.get_current_timezone())
    )
    for who, p, q, mq in ((a0, "40", "80", "90"), (a1, "50", None, "60"), (b0, "60", "100", "70"),
                          (lama, "20", "30", None)):  # fmt: skip
        result(who, pre, p)
        if q:
            result(who, post, q)
        if mq:
            result(who, module_quiz, mq)
    return {**pemda, "course": course, "empty": empty, "modules": (m1, m2, m3), "lama": lama}


def figures(viewer: Employee, course: CoursePage, **filters: Any) -> report.CourseFigures:
    return report.course_figures(
        scope=scope_for(viewer), filters=report.CourseFilters(**filters), courses=[course]
    )[course.pk]


# --- Figures against the hand-computed ones ------------------------------------------------------


def test_course_figures_for_the_whole_pemda_this_year(fixture: dict[str, Any]) -> None:
    f = figures(fixture["auditor"], fixture["course"], year=THIS_YEAR)
    # a0, a1 (once, though enrolled twice), a2, b0; pending and rejected are not learners.
    assert (f.learners, f.completed, f.in_progress, f.withdrawn) == (4, 2, 1, 1)
    assert f.rate == Decimal("50.0")
    # Module quiz and post-test results of a0 (90, 80), a1 (60), b0 (70, 100): 400 / 5.
    assert (f.avg_score, f.scored) == (Decimal("80.00"), 5)
    # a0 40 -> 80 and b0 60 -> 100; a1 has no post-test.
    assert (f.paired, f.mean_pre, f.mean_post, f.mean_gain) == (
        2, Decimal("50.00"), Decimal("90.00"), Decimal("40.00"),
    )  # fmt: skip


def test_year_filter_counts_enrolments_made_that_year(fixture: dict[str, Any]) -> None:
    f = figures(fixture["auditor"], fixture["course"], year=LAST_YEAR)
    assert (f.learners, f.completed, f.rate) == (1, 1, Decimal("100.0"))
    assert (f.avg_score, f.mean_pre, f.mean_post, f.mean_gain) == (
        Decimal("30.00"), Decimal("20.00"), Decimal("30.00"), Decimal("10.00"),
    )  # fmt: skip
    every = figures(fixture["auditor"], fixture["course"])
    assert (every.learners, every.completed, every.rate) == (5, 3, Decimal("60.0"))


def test_opd_admin_figures_count_their_subtree_only(fixture: dict[str, Any]) -> None:
    f = figures(fixture["admin_a"], fixture["course"], year=THIS_YEAR)
    assert (f.learners, f.completed, f.withdrawn, f.rate) == (3, 1, 1, Decimal("33.3"))
    # a0 (90, 80) and a1 (60): 230 / 3.
    assert f.avg_score == Decimal("76.67")
    assert (f.paired, f.mean_gain) == (1, Decimal("40.00"))
    # Filtering by the neighbour's OPD narrows the admin's scope to nothing, never widens it.
    f = figures(fixture["admin_a"], fixture["course"], year=THIS_YEAR, org_unit=fixture["opd_b"])
    assert (f.learners, f.completed, f.avg_score, f.paired) == (0, 0, None, 0)


def test_opd_breakdown_and_module_dropoff(fixture: dict[str, Any]) -> None:
    scope = scope_for(fixture["auditor"])
    filters = report.CourseFilters(year=THIS_YEAR)
    detail = report.course_report(scope=scope, filters=filters, course=fixture["course"])
    assert [(r.name, r.learners, r.completed, r.rate) for r in detail.opds] == [
        ("Dinas Kesehatan", 1, 1, Decimal("100.0")),
        ("Dinas Pendidikan", 3, 1, Decimal("33.3")),
    ]
    assert [(m.position, m.title, m.started, m.completed) for m in detail.modules] == [
        (1, "Modul 1", 4, 3), (2, "Modul 2", 3, 2), (3, "Modul 3", 2, 2),
    ]  # fmt: skip
    assert detail.modules[0].completed_rate == Decimal("75.0")

    mine = report.course_report(
        scope=scope_for(fixture["admin_a"]), filters=filters, course=fixture["course"]
    )
    assert [(r.name, r.learners, r.completed) for r in mine.opds] == [("Dinas Pendidikan", 3, 1)]
    assert [(m.started, m.completed) for m in mine.modules] == [(3, 2), (2, 1), (1, 1)]


def test_a_course_without_learners_shows_no_rate(fixture: dict[str, Any]) -> None:
    f = figures(fixture["auditor"], fixture["empty"])
    assert (f.learners, f.rate, f.avg_score, f.has_pre_post) == (0, None, None, False)


# --- Pages and downloads ------------------------------------------------------------------------


def test_list_page_shows_the_figures(fixture: dict[str, Any]) -> None:
    response = client_for(fixture["auditor"]).get(reverse("reports:course_list"))
    assert response.status_code == 200
    rows = {f.title: f for f in response.context["rows"]}
    assert set(rows) == {"Kursus Etika", "Kursus Kosong"}
    assert (rows["Kursus Etika"].learners, rows["Kursus Etika"].completed) == (4, 2)
    text = response.content.decode()
    assert "50,0%" in text
    assert "80,00" in text
    assert "50,00 → 90,00" in text


def test_detail_page_and_its_downloads(fixture: dict[str, Any]) -> None:
    client = client_for(fixture["auditor"])
    course = fixture["course"]
    response = client.get(reverse("reports:course_detail", kwargs={"course_id": course.pk}))
    assert response.status_code == 200
    assert "Dinas Kesehatan" in response.content.decode()
    url = reverse("reports:course_detail_export", kwargs={"course_id": course.pk, "table": "modul"})
    response = client.get(url, {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(downloaded(response))))
    assert rows[0][:2] == ["Urutan", "Modul"]
    assert [r[:4] + [r[5]] for r in rows[1:]] == [
        ["1", "Modul 1", "ya", "4", "3"], ["2", "Modul 2", "ya", "3", "2"],
        ["3", "Modul 3", "ya", "2", "2"],
    ]  # fmt: skip
    url = reverse("reports:course_detail_export", kwargs={"course_id": course.pk, "table": "opd"})
    response = client.get(url, {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(streamed(response))).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert [v[:3] for v in values[1:]] == [["Dinas Kesehatan", 1, 1], ["Dinas Pendidikan", 3, 1]]


def test_list_download_has_every_course(fixture: dict[str, Any]) -> None:
    response = client_for(fixture["auditor"]).get(
        reverse("reports:course_list_export"), {"format": "csv", "tahun": ""}
    )
    rows = list(csv.reader(io.StringIO(downloaded(response))))
    by_title = {r[0]: r for r in rows[1:]}
    assert by_title["Kursus Etika"][2:6] == ["5", "3", "1", "60.0"]
    assert by_title["Kursus Kosong"][2:6] == ["0", "0", "0", ""]


def test_opd_admin_cannot_reach_the_neighbours_learners(fixture: dict[str, Any]) -> None:
    client = client_for(fixture["admin_a"])
    course = fixture["course"]
    detail = reverse("reports:course_detail", kwargs={"course_id": course.pk})
    page = client.get(detail).content.decode()
    assert "Dinas Pendidikan" in page
    assert "Dinas Kesehatan" not in page
    # The neighbour's OPD as a filter: refused, nothing of theirs shown.
    for url in (reverse("reports:course_list"), detail):
        response = client.get(url, {"opd": fixture["opd_b"].pk})
        assert response.status_code == 400
        assert "Dinas Kesehatan" not in response.content.decode()
    for table in ("opd", "modul"):
        url = reverse(
            "reports:course_detail_export", kwargs={"course_id": course.pk, "table": table}
        )
        assert client.get(url, {"format": "csv", "opd": fixture["opd_b"].pk}).status_code == 400
        body = downloaded(client.get(url, {"format": "csv", "tahun": ""}))
        assert "Dinas Kesehatan" not in body
    body = downloaded(
        client.get(reverse("reports:course_list_export"), {"format": "csv", "tahun": ""})
    )
    rows = {r[0]: r for r in csv.reader(io.StringIO(body))}
    # a0, a1, a2 and lama: b0's completion is not theirs to count.
    assert rows["Kursus Etika"][2:4] == ["4", "2"]


def test_learners_and_strangers_are_kept_out(fixture: dict[str, Any]) -> None:
    course = fixture["course"]
    urls = [
        reverse("reports:course_list"),
        reverse("reports:course_list_export") + "?format=csv",
        reverse("reports:course_detail", kwargs={"course_id": course.pk}),
        reverse("reports:course_detail_export", kwargs={"course_id": course.pk, "table": "opd"}),
    ]
    learner = client_for(fixture["learner"])
    for url in urls:
        assert learner.get(url).status_code == 403
        assert Client().get(url).status_code == 302  # to the login page


def test_bad_input_is_a_clear_answer_not_an_error(fixture: dict[str, Any]) -> None:
    client = client_for(fixture["auditor"])
    course = fixture["course"]
    assert (
        client.get(reverse("reports:course_detail", kwargs={"course_id": 999999})).status_code
        == 404
    )
    assert client.get("/laporan/kursus/99999999999999999999/").status_code == 404
    url = reverse("reports:course_detail_export", kwargs={"course_id": course.pk, "table": "x"})
    assert client.get(url).status_code == 404
    assert client.get(reverse("reports:course_list_export"), {"format": "pdf"}).status_code == 404
    response = client.get(reverse("reports:course_list"), {"tahun": "abc", "halaman": "999"})
    assert response.status_code == 400
    assert "Pilih" in response.content.decode()
    assert client.get(reverse("reports:course_list"), {"halaman": "999"}).status_code == 200


def test_query_count_does_not_grow_with_learners(
    fixture: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client = client_for(fixture["auditor"])
    course = fixture["course"]
    urls = [
        reverse("reports:course_list"),
        reverse("reports:course_detail", kwargs={"course_id": course.pk}),
        reverse("reports:course_detail_export", kwargs={"course_id": course.pk, "table": "opd"}),
    ]

    def counts() -> list[int]:
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    counts()  # the first request fills caches (content types, the site)
    before = counts()
    m1 = fixture["modules"][0]
    for i in range(15):
        unit = fixture["unit_a"] if i % 2 else fixture["unit_b"]
        who = EmployeeFactory.create(org_unit=unit)
        e = enrol(who, course, S.COMPLETED if i % 3 else S.ACTIVE)
        progress(e, m1, done=True)
        result(who, course.post_test, "75")
    assert counts() == before
    with django_assert_max_num_queries(12):
        client.get(urls[0])
    with django_assert_max_num_queries(16):
        client.get(urls[1])
