"""Courses recommended from an employee's AKPK gaps: what is recommended, in which order,
and the "Kursus yang direkomendasikan untuk Anda" section of the learner's dashboard.

The learner (EmployeeFactory: jabatan "Analis", fungsional, in OPD A) is measured against
the Analis standard: TEK-01 3, TEK-02 4, MAN-01 3, MAN-02 2, SK-01 2.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from courses.models import CoursePage, EnrolmentPolicy
from lms.learning.models import Enrolment
from lms.people.models import Employee
from lms.planning.insight.selectors import recommended_courses
from lms.planning.models import AKPK, AKPKItem, Competency, CourseCompetency, Priority

YEAR = 2026
# Gaps: TEK-01 2 (1 -> 3), TEK-02 1 (3 -> 4), SK-01 1 (1 -> 2); none in MAN-01 and MAN-02.
LEVELS = {"TEK-01": 1, "TEK-02": 3, "MAN-01": 3, "MAN-02": 2, "SK-01": 1}


@pytest.fixture
def course_building(
    course_with: Callable[..., CoursePage], dictionary: dict[str, Competency]
) -> Callable[..., CoursePage]:
    """``course_building("Judul", {"TEK-01": 3}, **course fields)``: a live course and the
    levels it builds (rows of the page's ``competency_levels`` inline)."""

    def make(title: str, levels: dict[str, int], jp: str = "", **fields: Any) -> CoursePage:
        course = course_with(title=title, **fields)
        if jp:
            course.jp_credited = Decimal(jp)
            course.save()
        for code, level in levels.items():
            CourseCompetency(course=course, competency=dictionary[code], level=level).save()
        return course

    return make


@pytest.fixture
def learner(pemda: dict[str, Any], make_akpk: Callable[..., AKPK]) -> Employee:
    employee: Employee = pemda["learner"]
    make_akpk(employee, YEAR, LEVELS)
    return employee


def titles(employee: Employee, **kwargs: Any) -> list[str]:
    return [r.course.title for r in recommended_courses(employee=employee, **kwargs)]


def complete(employee: Employee, course: CoursePage) -> Enrolment:
    return Enrolment.objects.create(
        employee=employee, course=course, status=Enrolment.Status.COMPLETED,
        source=Enrolment.Source.SELF, completed_at=timezone.now(),
    )  # fmt: skip


# --- Ranking ---------------------------------------------------------------------------


def test_a_course_closing_two_levels_ranks_above_one_closing_one(
    learner: Employee, course_building: Callable[..., CoursePage]
) -> None:
    course_building("Analisis Kebijakan Lanjut", {"TEK-02": 4})  # closes 1 (3 -> 4)
    course_building("Keuangan Daerah Menengah", {"TEK-01": 3})  # closes 2 (1 -> 3)
    found = recommended_courses(employee=learner)
    assert [r.course.title for r in found] == [
        "Keuangan Daerah Menengah",
        "Analisis Kebijakan Lanjut",
    ]
    assert [r.score for r in found] == [2, 1]
    closes = found.courses[0].closes
    assert [(g.competency.code, g.levels, g.current_level, g.reached_level) for g in closes] == [
        ("TEK-01", 2, 1, 3)
    ]


def test_a_course_above_the_standard_closes_only_the_gap(
    learner: Employee, course_building: Callable[..., CoursePage]
) -> None:
    course_building("Keuangan Daerah Ahli", {"TEK-01": 5})  # standard 3: still 2 levels
    [rec] = recommended_courses(employee=learner)
    assert rec.score == 2
    assert rec.closes[0].closes_all


def test_a_course_not_above_the_current_level_is_not_recommended(
    learner: Employee, course_building: Callable[..., CoursePage]
) -> None:
    course_building("Analisis Kebijakan Dasar", {"TEK-02": 3})  # current is already 3
    course_building("Integritas", {"MAN-01": 4})  # no gap in MAN-01
    course_building("Tanpa Kamus", {})
    assert titles(learner) == []


def test_a_course_closing_two_gap_competencies_sums_them(
    learner: Employee, course_building: Callable[..., CoursePage]
) -> None:
    course_building("Keuangan Daerah Menengah", {"TEK-01": 3})  # 2
    course_building("Kebijakan dan Anggaran", {"TEK-01": 2, "TEK-02": 4, "MAN-01": 5})  # 1 + 1
    course_building("Kebijakan Anggaran dan Kebangsaan", {"TEK-01": 3, "SK-01": 2})  # 2 + 1
    found = recommended_courses(employee=learner)
    assert [(r.course.title, r.score) for r in found] == [
        ("Kebijakan Anggaran dan Kebangsaan", 3),
        ("Kebijakan dan Anggaran", 2),  # a tie: same priority and JP, then the title
        ("Keuangan Daerah Menengah", 2),
    ]
    # The competency without a gap (MAN-01) is not among what it closes.
    assert [g.competency.code for g in found.courses[1].closes] == ["TEK-01", "TEK-02"]


def test_equal_gaps_rank_by_priority_then_fewer_jp_then_title(
    learner: Employee, course_building: Callable[..., CoursePage]
) -> None:
    AKPKItem.objects.filter(akpk__employee=learner, competency__code="SK-01").update(
        priority=Priority.HIGH
    )
    AKPKItem.objects.filter(akpk__employee=learner, competency__code="TEK-02").update(
        priority=Priority.LOW
    )
    course_building("B Kebijakan", {"TEK-02": 4}, jp="2")  # 1 level, rendah
    course_building("A Kebangsaan", {"SK-01": 2}, jp="8")  # 1 level, tinggi
    course_building("C Kebangsaan Singkat", {"SK-01": 2}, jp="3")  # 1 level, tinggi
    course_building("D Kebangsaan Singkat", {"SK-01": 2}, jp="3")
    assert titles(learner) == [
        "C Kebangsaan Singkat",
        "D Kebangsaan Singkat",
        "A Kebangsaan",
        "B Kebijakan",
    ]


def test_the_limit_keeps_the_best(
    learner: Employee, course_building: Callable[..., CoursePage]
) -> None:
    course_building("Satu Level", {"SK-01": 2})
    course_building("Dua Level", {"TEK-01": 3})
    assert titles(learner, limit=1) == ["Dua Level"]


# --- What is left out ----------------------------------------------------------------------


def test_completed_courses_are_left_out_and_open_ones_marked(
    learner: Employee, course_building: Callable[..., CoursePage], pemda: dict[str, Any]
) -> None:
    done = course_building("Sudah Selesai", {"TEK-01": 3})
    taking = course_building("Sedang Diikuti", {"TEK-02": 4})
    course_building("Belum Diikuti", {"SK-01": 2})
    complete(learner, done)
    Enrolment.objects.create(
        employee=learner, course=taking, status=Enrolment.Status.ACTIVE,
        source=Enrolment.Source.SELF,
    )  # fmt: skip
    # Someone else's completion changes nothing for the learner.
    complete(pemda["staff_a"][1], taking)
    found = recommended_courses(employee=learner)
    assert [(r.course.title, r.enrolled) for r in found] == [
        ("Belum Diikuti", False),
        ("Sedang Diikuti", True),
    ]
    # The gap a completed course builds is still a gap no remaining course covers.
    assert [i.competency.code for i in found.uncovered] == ["TEK-01"]


def test_unpublished_and_private_courses_are_left_out(
    learner: Employee, course_building: Callable[..., CoursePage]
) -> None:
    course_building("Draf", {"TEK-01": 3}, live=False)
    withdrawn = course_building("Ditarik", {"TEK-01": 3})
    withdrawn.unpublish()
    from wagtail.models import PageViewRestriction

    private = course_building("Khusus Login Lain", {"TEK-01": 3})
    PageViewRestriction.objects.create(page=private, restriction_type="password", password="x")
    course_building("Terbit", {"TEK-01": 3})
    assert titles(learner) == ["Terbit"]


def test_courses_meant_for_another_opd_or_jabatan_kind_are_left_out(
    learner: Employee, course_building: Callable[..., CoursePage], pemda: dict[str, Any]
) -> None:
    for_b = course_building("Untuk Dinas Kesehatan", {"TEK-01": 3})
    for_b.target_org_units.set([pemda["opd_b"]])
    for_b.save()
    for_a = course_building("Untuk Dinas Pendidikan", {"TEK-01": 3})
    for_a.target_org_units.set([pemda["opd_a"]])
    for_a.save()
    for_unit_a = course_building("Untuk Bidang SD", {"TEK-01": 3})
    for_unit_a.target_org_units.set([pemda["unit_a"]])
    for_unit_a.save()
    course_building("Untuk Struktural", {"TEK-01": 3}, target_jabatan_kinds=["struktural"])
    course_building("Untuk Fungsional", {"TEK-01": 3}, target_jabatan_kinds=["fungsional"])
    course_building("Hanya Penugasan", {"TEK-01": 3}, enrolment_policy=EnrolmentPolicy.ASSIGNED)
    closed = timezone.now() - dt.timedelta(days=1)
    course_building("Pendaftaran Ditutup", {"TEK-01": 3}, enrolment_closes=closed)
    assert sorted(titles(learner)) == [
        "Untuk Bidang SD",
        "Untuk Dinas Pendidikan",
        "Untuk Fungsional",
    ]


def test_an_assigned_course_the_learner_is_taking_is_kept(
    learner: Employee, course_building: Callable[..., CoursePage], pemda: dict[str, Any]
) -> None:
    assigned = course_building(
        "Penugasan OPD Lain", {"TEK-01": 3}, enrolment_policy=EnrolmentPolicy.ASSIGNED
    )
    assigned.target_org_units.set([pemda["opd_b"]])
    assigned.save()
    Enrolment.objects.create(
        employee=learner, course=assigned, status=Enrolment.Status.ACTIVE,
        source=Enrolment.Source.ASSIGNED,
    )  # fmt: skip
    [rec] = recommended_courses(employee=learner)
    assert rec.enrolled


# --- Which AKPK ---------------------------------------------------------------------------


def test_only_an_assessed_akpk_counts_and_the_latest_by_default(
    pemda: dict[str, Any],
    make_akpk: Callable[..., AKPK],
    course_building: Callable[..., CoursePage],
) -> None:
    employee = pemda["staff_a"][1]
    course_building("Keuangan", {"TEK-01": 3})
    course_building("Kebijakan", {"TEK-02": 4})
    make_akpk(employee, YEAR, {"TEK-01": 3, "TEK-02": 3}, status=AKPK.Status.SELF_SUBMITTED)
    assert recommended_courses(employee=employee).akpk is None
    make_akpk(employee, YEAR - 1, {"TEK-01": 1, "TEK-02": 4})
    make_akpk(employee, YEAR - 2, {"TEK-01": 3, "TEK-02": 2})
    found = recommended_courses(employee=employee)
    assert found.akpk is not None
    assert found.akpk.year == YEAR - 1
    assert titles(employee) == ["Keuangan"]
    assert titles(employee, year=YEAR - 2) == ["Kebijakan"]
    assert recommended_courses(employee=employee, year=YEAR).akpk is None


def test_no_gap_no_course(
    pemda: dict[str, Any],
    make_akpk: Callable[..., AKPK],
    course_building: Callable[..., CoursePage],
) -> None:
    employee = pemda["staff_a"][2]
    course_building("Keuangan", {"TEK-01": 5})
    make_akpk(employee, YEAR, {"TEK-01": 3, "TEK-02": 4, "MAN-01": 3, "MAN-02": 2, "SK-01": 2})
    found = recommended_courses(employee=employee)
    assert found.akpk is not None
    assert found.gaps == []
    assert list(found) == []


def test_recommendations_read_a_bounded_number_of_queries(
    learner: Employee,
    course_building: Callable[..., CoursePage],
    pemda: dict[str, Any],
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(12):
        course = course_building(f"Kursus {n:02d}", {"TEK-01": 2 + n % 2, "SK-01": 2})
        if n % 3 == 0:
            course.target_org_units.set([pemda["opd_a"]])
            course.save()
        if n % 4 == 0:
            complete(learner, course)
    learner = Employee.objects.get(pk=learner.pk)
    with django_assert_max_num_queries(7):
        found = recommended_courses(employee=learner)
        assert len(found) == 6
        assert [g.competency.code for r in found for g in r.closes]


# --- The dashboard ------------------------------------------------------------------------


def test_dashboard_lists_recommended_courses(
    client: Client, learner: Employee, course_building: Callable[..., CoursePage]
) -> None:
    course = course_building("Keuangan Daerah Menengah", {"TEK-01": 3})
    course_building("Kebangsaan", {"SK-01": 2})
    client.force_login(learner)
    response = client.get(reverse("learning:dashboard"))
    assert response.status_code == 200
    section = BeautifulSoup(response.content, "html.parser").find(
        "section", attrs={"aria-labelledby": "rekomendasi"}
    )
    assert section is not None
    text = " ".join(section.get_text(" ").split())
    assert "Kursus yang direkomendasikan untuk Anda" in text
    assert "Pengelolaan keuangan daerah: menutup kesenjangan 2 level" in text
    assert "Perekat bangsa: menutup kesenjangan 1 level" in text
    # The largest gap first, with a link to the course.
    links = [a["href"] for a in section.select(".recommendation-list > li > a")]
    assert links[0] == course.url
    # TEK-02's gap has no course.
    assert "Belum ada kursus untuk kesenjangan: Analisis kebijakan publik." in text


def test_dashboard_without_an_assessed_akpk_prompts(client: Client, pemda: dict[str, Any]) -> None:
    client.force_login(pemda["learner"])
    response = client.get(reverse("learning:dashboard"))
    page = " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())
    assert "Rekomendasi kursus disusun dari kesenjangan kompetensi pada AKPK Anda" in page
    try:
        akpk_url = reverse("planning:akpk_mine")
    except NoReverseMatch:  # the AKPK pages may not be wired yet
        akpk_url = None
    if akpk_url:
        assert f'href="{akpk_url}"' in response.content.decode()


def test_dashboard_query_count_does_not_grow_with_recommendations(
    client: Client,
    learner: Employee,
    course_building: Callable[..., CoursePage],
    django_assert_max_num_queries: Any,
) -> None:
    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("learning:dashboard"))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    client.force_login(learner)
    course_building("Kursus 1", {"TEK-01": 3})
    count()
    few = count()
    for n in range(2, 9):
        course_building(f"Kursus {n}", {"TEK-01": 2, "TEK-02": 4, "SK-01": 2})
    many = count()
    assert many == few
    # The schedule and the evaluations due take two queries each (tests/classroom).
    with django_assert_max_num_queries(19):
        client.get(reverse("learning:dashboard"))


def test_dashboard_marks_courses_being_taken(
    client: Client, learner: Employee, course_building: Callable[..., CoursePage]
) -> None:
    taking = course_building("Sedang Diikuti", {"TEK-01": 3})
    waiting = course_building("Menunggu Izin", {"TEK-02": 4})
    for course, status in ((taking, "active"), (waiting, "pending")):
        Enrolment.objects.create(
            employee=learner, course=course, status=status, source=Enrolment.Source.SELF
        )
    client.force_login(learner)
    soup = BeautifulSoup(client.get(reverse("learning:dashboard")).content, "html.parser")
    items = {
        li.a.get_text(strip=True): li for li in soup.select(".recommendation-list > li") if li.a
    }
    assert "sedang Anda ikuti" in items["Sedang Diikuti"].get_text()
    button = items["Sedang Diikuti"].select_one("a.button")
    assert button is not None
    assert button.get_text(strip=True) == "Lanjutkan"
    assert "pendaftaran menunggu persetujuan" in items["Menunggu Izin"].get_text()
    assert items["Menunggu Izin"].select_one("a.button") is None
