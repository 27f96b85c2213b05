"""Angkatan as learners and admins meet them: the course page lists them, a learner joins
one within its window and capacity (or asks, or is told it is by assignment only), retakes
a course in a later year in a new angkatan, reads the schedule and their own attendance,
and an admin assigns people into an angkatan within its capacity."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from courses.models import CoursePage, EnrolmentPolicy
from lms.classroom.models import Attendance, Cohort, Session
from lms.classroom.services import cohort_enrol
from lms.learning import services as learning
from lms.learning.models import Enrolment, JPEntry
from tests.classroom.conftest import make_classroom
from tests.conftest import ensure_wagtail_root
from tests.factories import EmployeeFactory, make_pemda
from tests.support import at_once


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _join(client: Any, cohort: Cohort) -> Any:
    return client.post(f"/angkatan/{cohort.pk}/daftar/", follow=True)


# --- Joining: window, capacity, policy ---------------------------------------------------


def test_joining_an_open_cohort_makes_an_active_enrolment(
    classroom: dict[str, Any], client: Any
) -> None:
    learner, cohort = classroom["learner"], classroom["cohort"]
    client.force_login(learner)
    response = _join(client, cohort)
    assert response.status_code == 200
    assert any("Anda terdaftar di Angkatan I" in m for m in _messages(response))
    enrolment = Enrolment.objects.get(employee=learner, course=classroom["course"])
    assert enrolment.cohort == cohort
    assert enrolment.status == Enrolment.Status.ACTIVE
    # A second click is the same enrolment, not a second one or an error.
    _join(client, cohort)
    assert Enrolment.objects.filter(employee=learner).count() == 1


def test_join_is_post_only(classroom: dict[str, Any], client: Any) -> None:
    client.force_login(classroom["learner"])
    assert client.get(f"/angkatan/{classroom['cohort'].pk}/daftar/").status_code == 405
    assert client.post(f"/angkatan/{classroom['cohort'].pk}/").status_code == 405
    assert not Enrolment.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"enrolment_opens": dt.timedelta(days=2)}, "Pendaftaran angkatan ini dibuka"),
        ({"enrolment_closes": dt.timedelta(days=-1)}, "Pendaftaran angkatan ini sudah ditutup"),
        ({"ends_on": -1}, "Pendaftaran angkatan ini sudah ditutup"),
    ],
    ids=["before-window-opens", "after-window-closes", "after-cohort-ended"],
)
def test_joining_outside_the_window_is_refused_with_a_message(
    classroom: dict[str, Any], client: Any, change: dict[str, Any], message: str
) -> None:
    cohort: Cohort = classroom["cohort"]
    now = timezone.now()
    if "enrolment_opens" in change:
        cohort.enrolment_opens = now + change["enrolment_opens"]
    if "enrolment_closes" in change:
        cohort.enrolment_opens = now - dt.timedelta(days=5)
        cohort.enrolment_closes = now + change["enrolment_closes"]
    if "ends_on" in change:
        cohort.starts_on = timezone.localdate() - dt.timedelta(days=10)
        cohort.ends_on = timezone.localdate() - dt.timedelta(days=1)
    cohort.save()
    client.force_login(classroom["learner"])
    response = _join(client, cohort)
    assert response.status_code == 200
    assert any(message in m for m in _messages(response)), _messages(response)
    assert not Enrolment.objects.exists()


def test_a_full_cohort_refuses_the_next_learner(classroom: dict[str, Any], client: Any) -> None:
    cohort: Cohort = classroom["cohort"]  # capacity 3
    for employee in classroom["staff_b"]:
        cohort_enrol(actor=employee, cohort=cohort)
    client.force_login(classroom["learner"])
    page = client.get(f"/angkatan/{cohort.pk}/").content.decode()
    assert "Kuota sudah penuh." in page
    assert "Daftar angkatan ini" not in page
    response = _join(client, cohort)
    assert "Kuota angkatan ini sudah penuh." in _messages(response)
    assert not Enrolment.objects.filter(employee=classroom["learner"]).exists()


def test_an_approval_cohort_makes_a_pending_request(classroom: dict[str, Any], client: Any) -> None:
    cohort: Cohort = classroom["cohort"]
    cohort.enrolment_policy = EnrolmentPolicy.APPROVAL
    cohort.save()
    client.force_login(classroom["learner"])
    response = _join(client, cohort)
    assert any("menunggu persetujuan" in m for m in _messages(response))
    enrolment = Enrolment.objects.get(employee=classroom["learner"])
    assert enrolment.status == Enrolment.Status.PENDING
    assert enrolment.cohort == cohort
    assert "Menunggu persetujuan" in response.content.decode()


def test_an_assigned_only_cohort_refuses_self_enrolment(
    classroom: dict[str, Any], client: Any
) -> None:
    cohort: Cohort = classroom["cohort"]
    cohort.enrolment_policy = EnrolmentPolicy.ASSIGNED
    cohort.save()
    client.force_login(classroom["learner"])
    response = _join(client, cohort)
    assert any("hanya dapat diikuti melalui penugasan" in m for m in _messages(response))
    assert not Enrolment.objects.exists()


def test_the_old_course_wide_enrolment_refuses_a_course_with_cohorts(
    classroom: dict[str, Any], client: Any
) -> None:
    client.force_login(classroom["learner"])
    response = client.post(f"/kursus/{classroom['course'].pk}/daftar/", follow=True)
    assert response.status_code == 200
    assert any("pilih angkatan yang Anda ikuti" in m for m in _messages(response))
    assert not Enrolment.objects.exists()


def test_unknown_or_unpublished_cohorts_are_404(classroom: dict[str, Any], client: Any) -> None:
    client.force_login(classroom["learner"])
    assert client.get("/angkatan/999999/").status_code == 404
    assert client.post("/angkatan/999999/daftar/").status_code == 404
    course: CoursePage = classroom["course"]
    course.unpublish()
    assert client.get(f"/angkatan/{classroom['cohort'].pk}/").status_code == 404
    assert client.post(f"/angkatan/{classroom['cohort'].pk}/daftar/").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(classroom: dict[str, Any], client: Any) -> None:
    cohort = classroom["cohort"]
    assert client.get(f"/angkatan/{cohort.pk}/").status_code == 302
    assert client.post(f"/angkatan/{cohort.pk}/daftar/").status_code == 302
    assert not Enrolment.objects.exists()


# --- Retaking in a later year -----------------------------------------------------------


def _last_years_completion(classroom: dict[str, Any]) -> tuple[Enrolment, JPEntry]:
    """The learner took the course in last year's angkatan and completed it then."""
    today = timezone.localdate()
    last_year = today.year - 1
    old = Cohort.objects.create(
        course=classroom["course"], name=f"Angkatan I {last_year}",
        enrolment_policy=EnrolmentPolicy.OPEN,
        starts_on=dt.date(last_year, 3, 1), ends_on=dt.date(last_year, 3, 20),
    )  # fmt: skip
    enrolment = Enrolment.objects.create(
        employee=classroom["learner"], course=classroom["course"], cohort=old,
        source=Enrolment.Source.SELF, status=Enrolment.Status.ACTIVE,
    )  # fmt: skip
    # What completing it then did: the enrolment completed, the course's JP credited on
    # that day (the ledger is append-only, so the entry is made as it was then).
    completed_at = dt.datetime(last_year, 3, 20, 8, tzinfo=dt.UTC)
    Enrolment.objects.filter(pk=enrolment.pk).update(
        status=Enrolment.Status.COMPLETED, completed_at=completed_at
    )
    course = classroom["course"]
    entry, _created = learning.jp_credit(
        employee_id=enrolment.employee_id, jp=course.jp_credited,
        competency_type=course.competency_type, form=course.training_form,
        source_type=JPEntry.Source.COURSE, source_id=enrolment.pk,
        earned_on=dt.date(last_year, 3, 20), note=course.title,
    )  # fmt: skip
    enrolment.refresh_from_db()
    return enrolment, entry


def test_a_course_completed_last_year_is_retaken_in_this_years_cohort(
    classroom: dict[str, Any], client: Any
) -> None:
    old, entry = _last_years_completion(classroom)
    before = (old.status, old.completed_at, old.cohort_id, entry.jp, entry.year, entry.earned_on)
    client.force_login(classroom["learner"])
    response = _join(client, classroom["cohort"])
    assert any("Anda terdaftar di" in m for m in _messages(response)), _messages(response)
    new = Enrolment.objects.filter(employee=classroom["learner"]).exclude(pk=old.pk).get()
    assert new.cohort == classroom["cohort"]
    assert new.status == Enrolment.Status.ACTIVE
    old.refresh_from_db()
    entry.refresh_from_db()
    assert (
        old.status, old.completed_at, old.cohort_id, entry.jp, entry.year, entry.earned_on
    ) == before  # fmt: skip
    assert JPEntry.objects.filter(employee=classroom["learner"]).count() == 1


def test_a_course_completed_this_year_is_not_retaken(
    classroom: dict[str, Any], client: Any
) -> None:
    learner = classroom["learner"]
    enrolment = cohort_enrol(actor=learner, cohort=classroom["cohort"])
    learning.enrolment_complete(enrolment=enrolment, actor=None)
    second = Cohort.objects.create(
        course=classroom["course"], name="Angkatan II", enrolment_policy=EnrolmentPolicy.OPEN,
        starts_on=timezone.localdate(), ends_on=timezone.localdate() + dt.timedelta(days=9),
    )  # fmt: skip
    client.force_login(learner)
    page = client.get(f"/angkatan/{second.pk}/").content.decode()
    assert "Anda sudah menyelesaikan kursus ini tahun ini." in page
    response = _join(client, second)
    assert any("ulangi tahun depan" in m for m in _messages(response))
    assert Enrolment.objects.filter(employee=learner).count() == 1


# --- The cohort page --------------------------------------------------------------------


def test_cohort_page_shows_the_schedule_and_own_attendance(
    classroom: dict[str, Any], client: Any, django_assert_max_num_queries: Any
) -> None:
    learner, cohort = classroom["learner"], classroom["cohort"]
    cohort.description = "Bawa laptop dan SKP tahun lalu."
    cohort.save()
    enrolment = cohort_enrol(actor=learner, cohort=cohort)
    first, second, *_rest = classroom["sessions"]
    Attendance.objects.create(
        session=first, employee=learner, status=Attendance.Status.LATE,
        method=Attendance.Method.QR, checked_in_at=first.starts_at + dt.timedelta(minutes=20),
        left_at=first.starts_at + dt.timedelta(hours=1),
    )  # fmt: skip
    Session.objects.filter(pk=first.pk).update(signed_off_at=timezone.now())
    client.force_login(learner)
    with django_assert_max_num_queries(20):
        response = client.get(f"/angkatan/{cohort.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Bawa laptop dan SKP tahun lalu." in page
    for session in classroom["sessions"]:
        assert session.title in page
    assert "Aula BKPSDM" in page
    assert "Widyaiswara Utama" in page
    # Times in the Pemda's zone: the page shows the local wall clock of each start.
    local = timezone.localtime(second.starts_at)
    assert local.strftime("%H:%M") in page
    assert "Terlambat" in page
    assert "pulang lebih awal" in page
    assert "Belum" in page
    # 1 of 4 sessions attended (signed off) against the course's 75% minimum.
    assert "Kehadiran: 1 dari 4 sesi (25%)." in page
    assert "Minimal untuk kelulusan: 75%." in page
    assert "Belum terpenuhi." in page
    assert enrolment.status == Enrolment.Status.ACTIVE


def test_cohort_page_query_count_does_not_grow_with_sessions(
    classroom: dict[str, Any], client: Any, django_assert_max_num_queries: Any
) -> None:
    learner, cohort = classroom["learner"], classroom["cohort"]
    cohort_enrol(actor=learner, cohort=cohort)
    base = classroom["sessions"][0]
    for i in range(30):
        session = Session.objects.create(
            cohort=cohort, title=f"Tambahan {i}", starts_at=base.starts_at + dt.timedelta(days=i),
            ends_at=base.ends_at + dt.timedelta(days=i), jp=Decimal("1"),
            instructor=EmployeeFactory.create(),
        )  # fmt: skip
        Attendance.objects.create(
            session=session, employee=learner, status="present", method="instructor"
        )
    client.force_login(learner)
    with django_assert_max_num_queries(20):
        response = client.get(f"/angkatan/{cohort.pk}/")
    assert "Tambahan 29" in response.content.decode()


def test_another_learner_sees_the_schedule_but_no_attendance_column(
    classroom: dict[str, Any], client: Any
) -> None:
    cohort_enrol(actor=classroom["learner"], cohort=classroom["cohort"])
    client.force_login(classroom["staff_b"][0])
    page = client.get(f"/angkatan/{classroom['cohort'].pk}/").content.decode()
    assert "Sesi 1" in page
    assert "Kehadiran Anda" not in page
    assert "Daftar angkatan ini" in page


# --- The course page --------------------------------------------------------------------


def test_course_page_lists_current_cohorts_and_hides_the_course_wide_button(
    classroom: dict[str, Any], client: Any, django_assert_max_num_queries: Any
) -> None:
    course: CoursePage = classroom["course"]
    Cohort.objects.create(
        course=course, name="Angkatan Lama", enrolment_policy=EnrolmentPolicy.OPEN,
        starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2020, 1, 10),
    )  # fmt: skip
    upcoming = Cohort.objects.create(
        course=course, name="Angkatan II", enrolment_policy=EnrolmentPolicy.ASSIGNED,
        starts_on=timezone.localdate() + dt.timedelta(days=40),
        ends_on=timezone.localdate() + dt.timedelta(days=50), capacity=25,
    )  # fmt: skip
    client.force_login(classroom["staff_b"][0])
    with django_assert_max_num_queries(40):
        response = client.get(course.url)
    page = response.content.decode()
    assert response.status_code == 200
    assert classroom["cohort"].name in page
    assert "Angkatan II" in page
    assert "Angkatan Lama" not in page  # over
    assert "3 peserta, sisa 3 tempat" in page
    assert "25 peserta, sisa 25 tempat" in page
    assert "Widyaiswara Utama" in page
    assert "4 sesi" in page
    assert "Hanya melalui penugasan oleh admin OPD atau BKPSDM." in page
    assert f'action="/angkatan/{classroom["cohort"].pk}/daftar/"' in page
    assert f'action="/angkatan/{upcoming.pk}/daftar/"' not in page
    assert "Ajukan pendaftaran" not in page  # the course-wide button
    assert "Daftar kursus ini" not in page


def test_course_page_query_count_does_not_grow_with_cohorts(
    classroom: dict[str, Any], client: Any, django_assert_max_num_queries: Any
) -> None:
    course: CoursePage = classroom["course"]
    for i in range(8):
        cohort = Cohort.objects.create(
            course=course, name=f"Angkatan {i + 2}", enrolment_policy=EnrolmentPolicy.OPEN,
            starts_on=timezone.localdate(), ends_on=timezone.localdate() + dt.timedelta(days=9),
        )  # fmt: skip
        cohort.instructors.add(classroom["instructor"], EmployeeFactory.create())
    client.force_login(classroom["learner"])
    with django_assert_max_num_queries(40):
        response = client.get(course.url)
    assert "Angkatan 9" in response.content.decode()


def test_course_page_shows_my_cohort_once_enrolled(classroom: dict[str, Any], client: Any) -> None:
    cohort_enrol(actor=classroom["learner"], cohort=classroom["cohort"])
    client.force_login(classroom["learner"])
    page = client.get(classroom["course"].url).content.decode()
    assert "Anda terdaftar di angkatan ini." in page
    assert f'href="/angkatan/{classroom["cohort"].pk}/"' in page


def test_a_self_paced_course_keeps_its_own_button(
    classroom: dict[str, Any], client: Any, catalogue: Any
) -> None:
    course = CoursePage(
        title="Mandiri", slug="mandiri", summary="Tanpa angkatan", jp_credited=Decimal("2"),
        enrolment_policy=EnrolmentPolicy.OPEN,
    )  # fmt: skip
    catalogue.add_child(instance=course)
    client.force_login(classroom["learner"])
    page = client.get(course.url).content.decode()
    assert "Daftar kursus ini" in page
    assert 'id="angkatan"' not in page


# --- Assignment into a cohort ------------------------------------------------------------


def _assign(client: Any, course: CoursePage, cohort: Cohort | None, nips: list[str]) -> Any:
    return client.post(
        "/kelola/penugasan/",
        {"course": course.pk, "cohort": cohort.pk if cohort else "", "nips": "\n".join(nips)},
    )


def test_assignment_into_a_cohort_within_its_capacity(
    classroom: dict[str, Any], client: Any, django_assert_max_num_queries: Any
) -> None:
    cohort: Cohort = classroom["cohort"]
    cohort.capacity = 2
    cohort.enrolment_policy = EnrolmentPolicy.ASSIGNED
    cohort.save()
    client.force_login(classroom["admin_a"])
    with django_assert_max_num_queries(20):
        form_page = client.get("/kelola/penugasan/")
    assert classroom["cohort"].name in form_page.content.decode()
    staff = classroom["staff_a"]
    response = _assign(client, classroom["course"], cohort, [e.nip for e in staff])
    assert response.status_code == 200
    page = response.content.decode()
    assert "Tidak mendapat tempat (kuota penuh)" in page
    enrolled = Enrolment.objects.filter(cohort=cohort, status=Enrolment.Status.ACTIVE)
    assert enrolled.count() == 2
    assert all(e.source == Enrolment.Source.ASSIGNED for e in enrolled)
    over = response.context["result"].over_capacity
    assert len(over) == 1


def test_assignment_of_a_cohort_course_needs_an_angkatan(
    classroom: dict[str, Any], client: Any
) -> None:
    client.force_login(classroom["admin_a"])
    response = _assign(client, classroom["course"], None, [classroom["learner"].nip])
    assert response.status_code == 200
    assert "Kursus ini berjalan per angkatan: pilih angkatannya." in response.content.decode()
    assert not Enrolment.objects.exists()


def test_assignment_refuses_an_angkatan_of_another_course(
    classroom: dict[str, Any], client: Any, catalogue: Any
) -> None:
    other = CoursePage(title="Lain", slug="lain", summary="x", jp_credited=Decimal("1"))
    catalogue.add_child(instance=other)
    client.force_login(classroom["admin_a"])
    response = _assign(client, other, classroom["cohort"], [classroom["learner"].nip])
    assert "Angkatan ini bukan angkatan Lain." in response.content.decode()
    assert not Enrolment.objects.exists()


def test_assignment_of_a_self_paced_course_still_works_without_angkatan(
    classroom: dict[str, Any], client: Any, catalogue: Any
) -> None:
    other = CoursePage(title="Lain", slug="lain", summary="x", jp_credited=Decimal("1"))
    catalogue.add_child(instance=other)
    client.force_login(classroom["admin_a"])
    _assign(client, other, None, [classroom["learner"].nip])
    assert Enrolment.objects.get(employee=classroom["learner"]).cohort is None


# --- Concurrency (PostgreSQL) -----------------------------------------------------------


@pytest.fixture
def pg_classroom(transactional_db: None) -> dict[str, Any]:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (set DATABASE_URL)")
    from wagtail.models import Page, Site

    from courses.models import CatalogueIndexPage, HomePage

    ensure_wagtail_root()
    home = HomePage(title="Sinau", slug="sinau-uji")
    Page.get_first_root_node().add_child(instance=home)
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "root_page": home}
    )
    catalogue = CatalogueIndexPage(title="Katalog kursus", slug="katalog")
    home.add_child(instance=catalogue)
    return make_classroom(catalogue, make_pemda())


@pytest.mark.postgres
def test_many_learners_joining_at_once_never_exceed_capacity(
    pg_classroom: dict[str, Any],
) -> None:
    cohort: Cohort = pg_classroom["cohort"]  # capacity 3
    learners = [EmployeeFactory.create() for _ in range(12)]
    results, failures = at_once(12, lambda i: cohort_enrol(actor=learners[i], cohort=cohort).pk)
    assert len(results) == 3
    assert len(failures) == 9
    assert all("Kuota angkatan ini sudah penuh." in str(f) for f in failures), failures
    assert Enrolment.objects.filter(cohort=cohort).count() == 3


# --- Demo -------------------------------------------------------------------------------


def test_the_demo_classroom_is_ready_and_a_second_run_changes_nothing(
    db: None, client: Any
) -> None:
    from courses.demo import seed_demo_catalogue
    from lms.classroom.demo import seed_demo_classroom
    from lms.classroom.models import Series
    from lms.people.demo import ACCOUNTS, seed_demo_pemda

    ensure_wagtail_root()
    seed_demo_pemda(employees=20)
    seed_demo_catalogue()
    learner = next(a for a in ACCOUNTS if a.label == "Peserta")
    first = seed_demo_classroom(learner_nip=learner.nip)
    counts = (Cohort.objects.count(), Session.objects.count(), Enrolment.objects.count())
    second = seed_demo_classroom(learner_nip=learner.nip)
    assert first is not None
    assert second is not None
    assert (Cohort.objects.count(), Session.objects.count(), Enrolment.objects.count()) == counts
    cohort = first.cohort
    assert cohort.name == f"Angkatan I {timezone.localdate().year}"
    sessions = list(cohort.sessions.order_by("starts_at"))
    assert len(sessions) == 4
    now = timezone.now()
    assert sessions[0].starts_at <= now < sessions[0].ends_at  # running now
    instructor = next(a for a in ACCOUNTS if a.label == "Instruktur")
    assert first.instructor is not None
    assert first.instructor.nip == instructor.nip
    assert cohort.instructors.filter(nip=instructor.nip).exists()
    assert sessions[0].instructor == first.instructor
    series = Series.objects.get(title="Kamis Belajar")
    assert series.yearly_jp_cap == Decimal("24")
    assert series.sessions.count() == 13
    assert all(timezone.localtime(s.starts_at).weekday() == 3 for s in series.sessions.all())
    me = Enrolment.objects.get(employee__nip=learner.nip, course=first.course)
    assert (me.cohort, me.status) == (cohort, Enrolment.Status.ACTIVE)
    client.force_login(me.employee)
    page = client.get(f"/angkatan/{cohort.pk}/").content.decode()
    assert "Sesi 1: Penyusunan SKP" in page
    assert "Sedang berlangsung" in page
