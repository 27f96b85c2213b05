"""The learner's calendar: the dashboard's "Jadwal mendatang", the calendar page, the
secret iCalendar feed and its reset, and the session reminders by email."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from lms.classroom.calendar.reminders import session_reminders
from lms.classroom.calendar.selectors import upcoming_for
from lms.classroom.models import Attendance, CalendarFeed, Cohort, Session, SessionMode
from lms.classroom.services import cohort_enrol
from lms.learning.models import Enrolment
from lms.reports.models import ReminderSent
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(classroom: dict[str, Any]) -> dict[str, Any]:
    """The learner takes part in the angkatan; a second angkatan of the same course, with
    a session of its own, has nobody of theirs."""
    learner = classroom["learner"]
    enrolment = cohort_enrol(actor=learner, cohort=classroom["cohort"])
    assert enrolment.status == Enrolment.Status.ACTIVE
    today = timezone.localdate()
    other = Cohort.objects.create(
        course=classroom["course"], name="Angkatan II", starts_on=today,
        ends_on=today + dt.timedelta(days=10),
    )  # fmt: skip
    secret = Session.objects.create(
        cohort=other, title="Sesi Angkatan Lain", venue="Gedung Rahasia",
        starts_at=timezone.now() + dt.timedelta(hours=5),
        ends_at=timezone.now() + dt.timedelta(hours=7), jp=Decimal("2"),
    )  # fmt: skip
    return {**classroom, "enrolment": enrolment, "other_cohort": other, "secret": secret}


def feed_url(feed: CalendarFeed) -> str:
    return reverse("classroom:calendar_feed", kwargs={"token": feed.token})


def local_hm(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def parse(body: bytes) -> dict[str, Any]:
    calendar = Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


# --- Selector ------------------------------------------------------------------------------


def test_upcoming_for_mixes_sessions_and_deadlines_in_order(
    room: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    learner, enrolment = room["learner"], room["enrolment"]
    enrolment.due_date = timezone.localdate() + dt.timedelta(days=2)
    enrolment.save()
    room["sessions"][3].cancelled_at = timezone.now()
    room["sessions"][3].save()
    with django_assert_max_num_queries(2):
        items = upcoming_for(learner, now=timezone.now())
        titles = [(i.kind, i.title) for i in items]
        # What the pages show of each comes with it: no query per session.
        about = {i.session.cohort.course.title for i in items if i.session and i.session.cohort}
        assert about == {"Pelatihan Kepemimpinan Pengawas"}
    sessions = [t for k, t in titles if k == "session"]
    assert sessions[:3] == ["Sesi 1", "Kamis Belajar #1", "Sesi 2"]
    assert "Sesi 4" not in sessions  # cancelled
    assert "Sesi Angkatan Lain" not in sessions  # not their angkatan
    assert ("due", "Pelatihan Kepemimpinan Pengawas") in titles
    assert ("cohort_end", "Pelatihan Kepemimpinan Pengawas") in titles
    keys = [i.sort_key for i in items]
    assert keys == sorted(keys)


def test_pending_enrolment_shows_no_cohort_sessions(room: dict[str, Any]) -> None:
    other = room["staff_a"][1]
    Enrolment.objects.create(
        employee=other, course=room["course"], cohort=room["other_cohort"],
        status=Enrolment.Status.PENDING, source=Enrolment.Source.SELF,
    )  # fmt: skip
    titles = [i.title for i in upcoming_for(other, now=timezone.now())]
    assert "Sesi Angkatan Lain" not in titles
    assert "Sesi 1" not in titles
    assert "Kamis Belajar #1" in titles  # open to all


# --- Dashboard and calendar page ----------------------------------------------------------


def test_dashboard_shows_next_sessions_of_own_cohort_only(
    client: Client, room: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client.force_login(room["learner"])
    with django_assert_max_num_queries(14):
        response = client.get(reverse("learning:dashboard"))
    page = response.content.decode()
    assert "Jadwal mendatang" in page
    second = room["sessions"][1]
    assert "Sesi 2" in page
    assert "Aula BKPSDM" in page
    assert f"{local_hm(second.starts_at)}–{local_hm(second.ends_at)} WIB" in page
    assert "Sesi Angkatan Lain" not in page
    assert "Gedung Rahasia" not in page
    assert "Presensi dibuka sekarang" in page  # session 1 began ten minutes ago
    assert reverse("classroom:calendar") in page
    # The next five only: the programme's second session (a week ahead) comes sixth.
    assert "Sesi 4" in page
    assert "Kamis Belajar #2" not in page


def test_dashboard_for_the_other_cohort(client: Client, room: dict[str, Any]) -> None:
    outsider = room["staff_b"][0]
    Enrolment.objects.create(
        employee=outsider, course=room["course"], cohort=room["other_cohort"],
        status=Enrolment.Status.ACTIVE, source=Enrolment.Source.ASSIGNED,
    )  # fmt: skip
    client.force_login(outsider)
    page = client.get(reverse("learning:dashboard")).content.decode()
    assert "Sesi Angkatan Lain" in page
    assert "Gedung Rahasia" in page
    assert "Sesi 2" not in page


def test_calendar_page_lists_by_week_and_offers_the_feed(
    client: Client, room: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    learner = room["learner"]
    client.force_login(learner)
    client.get(reverse("classroom:calendar"))  # makes the feed once
    with django_assert_max_num_queries(8):
        response = client.get(reverse("classroom:calendar"))
    page = response.content.decode()
    assert response.status_code == 200
    feed = CalendarFeed.objects.get(employee=learner)
    assert f"http://testserver{feed_url(feed)}" in page
    assert f"webcal://testserver{feed_url(feed)}" in page
    assert "Minggu mulai Senin" in page
    for title in ("Sesi 1", "Sesi 4", "Kamis Belajar #4"):
        assert title in page
    assert "Sesi Angkatan Lain" not in page
    assert reverse("classroom:calendar_reset") in page


def test_calendar_page_query_count_does_not_grow(client: Client, room: dict[str, Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(room["learner"])
    enrolment = room["enrolment"]
    enrolment.due_date = timezone.localdate()  # a deadline heads every first page
    enrolment.save()
    client.get(reverse("classroom:calendar"))

    feed = CalendarFeed.objects.get(employee=room["learner"])

    def count(url: str = reverse("classroom:calendar")) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    few_in_feed = count(feed_url(feed))
    now = timezone.now()
    for i in range(40):
        Session.objects.create(
            cohort=room["cohort"], title=f"Tambahan {i}", venue="Aula",
            starts_at=now + dt.timedelta(days=1, hours=i), jp=Decimal("1"),
            ends_at=now + dt.timedelta(days=1, hours=i, minutes=30),
        )  # fmt: skip
    assert count() == few
    assert count(feed_url(feed)) == few_in_feed
    page = client.get(reverse("classroom:calendar") + "?halaman=2").content.decode()
    assert "Halaman 2 dari" in page


def test_calendar_needs_login(client: Client, db: None) -> None:
    response = client.get(reverse("classroom:calendar"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("people:login"))


# --- Feed ------------------------------------------------------------------------------------


def test_feed_parses_with_events_in_utc(
    client: Client, room: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    learner, enrolment = room["learner"], room["enrolment"]
    due = timezone.localdate() + dt.timedelta(days=9)
    enrolment.due_date = due
    enrolment.save()
    now = timezone.now()
    past = Session.objects.create(
        title="Sesi Terbuka Lalu", mode=SessionMode.DARING,
        meeting_url="https://zoom.example.go.id/j/123",
        starts_at=now - dt.timedelta(days=20), ends_at=now - dt.timedelta(days=20, hours=-2),
        jp=Decimal("1"),
    )  # fmt: skip
    too_old = Session.objects.create(
        title="Sesi Lama Sekali", starts_at=now - dt.timedelta(days=40),
        ends_at=now - dt.timedelta(days=40, hours=-2), jp=Decimal("1"),
    )  # fmt: skip
    cancelled = room["sessions"][2]
    cancelled.cancelled_at = now
    cancelled.save()
    feed = CalendarFeed.objects.create(employee=learner)
    client.logout()  # calendar apps fetch without logging in
    with django_assert_max_num_queries(5):
        response = client.get(feed_url(feed))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = parse(response.content)
    second = room["sessions"][1]
    event = events[f"session-{second.pk}@127.0.0.1"]
    assert event.decoded("DTSTART") == second.starts_at.replace(microsecond=0)
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    in_utc = second.starts_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{in_utc}".encode() in response.content
    assert event.decoded("DTEND") == second.ends_at.replace(microsecond=0)
    assert str(event["SUMMARY"]) == "Sesi 2"
    assert str(event["LOCATION"]) == "Aula BKPSDM"
    description = str(event["DESCRIPTION"])
    assert "Angkatan I" in description
    assert "Pelatihan Kepemimpinan Pengawas" in description
    assert "2 JP" in description
    assert "Widyaiswara Utama" in description
    assert str(event["URL"]).startswith("http://testserver/")
    assert str(events[f"session-{cancelled.pk}@127.0.0.1"]["STATUS"]) == "CANCELLED"
    online = events[f"session-{past.pk}@127.0.0.1"]
    assert str(online["LOCATION"]) == "https://zoom.example.go.id/j/123"
    assert "Sesi terbuka untuk umum" in str(online["DESCRIPTION"])
    weekly = events[f"session-{room['weekly'][0].pk}@127.0.0.1"]
    assert "Program Kamis Belajar" in str(weekly["DESCRIPTION"])
    assert str(weekly["LOCATION"]) == "Ruang Rapat Sekda"  # the programme's venue
    assert f"session-{too_old.pk}@127.0.0.1" not in events
    assert f"session-{room['secret'].pk}@127.0.0.1" not in events
    deadline = events[f"due-{enrolment.pk}@127.0.0.1"]
    assert deadline.decoded("DTSTART") == due  # all day: a date, not a time
    assert deadline.decoded("DTEND") == due + dt.timedelta(days=1)
    assert "Tenggat kursus" in str(deadline["SUMMARY"])
    assert f"cohort-end-{enrolment.pk}@127.0.0.1" in events
    # Fetched again: the same UIDs, so calendar apps update rather than duplicate.
    assert set(parse(client.get(feed_url(feed)).content)) == set(events)


def test_feed_of_another_person_holds_only_theirs(client: Client, room: dict[str, Any]) -> None:
    outsider = room["staff_b"][0]
    feed = CalendarFeed.objects.create(employee=outsider)
    events = parse(client.get(feed_url(feed)).content)
    assert f"session-{room['sessions'][1].pk}@127.0.0.1" not in events
    assert f"session-{room['secret'].pk}@127.0.0.1" not in events
    assert f"session-{room['weekly'][1].pk}@127.0.0.1" in events  # open to all
    assert not any(uid.startswith(("due-", "cohort-end-")) for uid in events)


def test_unknown_token_is_404(client: Client, room: dict[str, Any]) -> None:
    response = client.get(reverse("classroom:calendar_feed", kwargs={"token": "tidak-ada"}))
    assert response.status_code == 404


def test_reset_makes_a_new_address_and_the_old_one_404(
    client: Client, room: dict[str, Any]
) -> None:
    learner = room["learner"]
    client.force_login(learner)
    client.get(reverse("classroom:calendar"))
    old = CalendarFeed.objects.get(employee=learner)
    assert client.get(feed_url(old)).status_code == 200
    assert client.get(reverse("classroom:calendar_reset")).status_code == 405
    response = client.post(reverse("classroom:calendar_reset"), follow=True)
    assert response.status_code == 200
    assert "alamat lama tidak berlaku lagi" in response.content.decode()
    new = CalendarFeed.objects.get(employee=learner)
    assert new.token != old.token
    assert feed_url(new) in response.content.decode()
    assert client.get(feed_url(old)).status_code == 404
    client.logout()
    assert client.get(feed_url(new)).status_code == 200


def test_reset_needs_login(client: Client, db: None) -> None:
    response = client.post(reverse("classroom:calendar_reset"))
    assert response.status_code == 302
    assert not CalendarFeed.objects.exists()


def test_feed_of_a_deactivated_employee_is_404(client: Client, room: dict[str, Any]) -> None:
    learner = room["learner"]
    feed = CalendarFeed.objects.create(employee=learner)
    learner.is_active = False
    learner.save()
    assert client.get(feed_url(feed)).status_code == 404


# --- Reminders --------------------------------------------------------------------------------


def sent_to(subject_part: str) -> set[str]:
    return {m.to[0] for m in mail.outbox if subject_part in m.subject}


def test_reminders_go_once_per_threshold_to_participants_only(
    room: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    learner = room["learner"]
    pending = room["staff_a"][1]
    Enrolment.objects.create(
        employee=pending, course=room["course"], cohort=room["cohort"],
        status=Enrolment.Status.PENDING, source=Enrolment.Source.SELF,
    )  # fmt: skip
    second = room["sessions"][1]  # starts in 23 h 50 min
    now = timezone.now()
    result = session_reminders(now=now)
    assert sent_to("Sesi 2") == {learner.email}
    message = next(m for m in mail.outbox if "Sesi 2" in m.subject)
    assert "Yth." in message.body
    assert "Aula BKPSDM" in message.body
    local = timezone.localtime(second.starts_at)
    assert local.strftime("%H:%M") in message.body
    assert "WIB" in message.body
    assert "Presensi" in message.body
    assert result.sent == len(mail.outbox)
    assert ReminderSent.objects.filter(
        kind=ReminderSent.Kind.SESSION, employee=learner, subject_id=second.pk, period="24h"
    ).exists()

    # Again, fifteen minutes later: nothing new.
    mail.outbox.clear()
    with django_assert_max_num_queries(6):
        again = session_reminders(now=now + dt.timedelta(minutes=15))
    assert mail.outbox == []
    assert again.sent == 0
    assert again.already >= 1

    # Fifty minutes before it starts: the 1-hour reminder, once.
    later = second.starts_at - dt.timedelta(minutes=50)
    session_reminders(now=later)
    session_reminders(now=later + dt.timedelta(minutes=15))
    assert sent_to("Sesi 2") == {learner.email}
    assert len([m for m in mail.outbox if "Sesi 2" in m.subject]) == 1
    assert "Segera dimulai" in next(m.subject for m in mail.outbox if "Sesi 2" in m.subject)
    assert pending.email not in {m.to[0] for m in mail.outbox}


def test_no_reminder_for_a_cancelled_session(room: dict[str, Any]) -> None:
    second = room["sessions"][1]
    second.cancelled_at = timezone.now()
    second.save()
    session_reminders(now=timezone.now())
    assert sent_to("Sesi 2") == set()


def test_no_reminder_for_another_cohort(room: dict[str, Any]) -> None:
    session_reminders(now=timezone.now())
    assert sent_to("Sesi Angkatan Lain") == set()  # nobody of theirs is in it
    outsider = room["staff_b"][0]
    Enrolment.objects.create(
        employee=outsider, course=room["course"], cohort=room["other_cohort"],
        status=Enrolment.Status.ACTIVE, source=Enrolment.Source.ASSIGNED,
    )  # fmt: skip
    session_reminders(now=timezone.now())
    assert sent_to("Sesi Angkatan Lain") == {outsider.email}


def test_programme_reminds_its_regulars_and_one_off_nobody(room: dict[str, Any]) -> None:
    regular = room["staff_b"][0]
    weekly = room["weekly"]
    Attendance.objects.create(
        session=weekly[0], employee=regular, status=Attendance.Status.PRESENT,
        method=Attendance.Method.QR, checked_in_at=weekly[0].starts_at,
    )  # fmt: skip
    absent = room["staff_b"][1]
    Attendance.objects.create(
        session=weekly[0], employee=absent, status=Attendance.Status.ABSENT,
        method=Attendance.Method.INSTRUCTOR,
    )  # fmt: skip
    at = weekly[1].starts_at - dt.timedelta(minutes=30)
    Session.objects.create(
        title="Seminar Sekali", venue="Pendopo", starts_at=at + dt.timedelta(minutes=20),
        ends_at=at + dt.timedelta(hours=2), jp=Decimal("1"),
    )  # fmt: skip
    session_reminders(now=at)
    assert sent_to("Kamis Belajar #2") == {regular.email}
    body = next(m.body for m in mail.outbox if "Kamis Belajar #2" in m.subject)
    assert "Tempat: Ruang Rapat Sekda" in body
    assert sent_to("Seminar Sekali") == set()
    # The programme's first session had no earlier one: no regulars to remind then.
    assert ReminderSent.objects.filter(subject_id=weekly[0].pk).count() == 0


def test_reminder_query_count_is_bounded(
    room: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    second = room["sessions"][1]
    people = [EmployeeFactory.create() for _ in range(2)]
    for person in people:
        Enrolment.objects.create(
            employee=person, course=room["course"], cohort=room["cohort"],
            status=Enrolment.Status.ACTIVE, source=Enrolment.Source.ASSIGNED,
        )  # fmt: skip
    at = second.starts_at - dt.timedelta(hours=2)
    session_reminders(now=at)
    assert len(sent_to("Sesi 2")) == 3
    # Read queries stay the same however many people there are; only the sends add one
    # insert each (with its savepoint).
    mail.outbox.clear()
    ReminderSent.objects.all().delete()
    with django_assert_max_num_queries(6 + 3 * 3):
        session_reminders(now=at)
    assert len(sent_to("Sesi 2")) == 3


def test_methods(client: Client, room: dict[str, Any]) -> None:
    feed = CalendarFeed.objects.create(employee=room["learner"])
    assert client.post(feed_url(feed)).status_code == 405
    client.force_login(room["learner"])
    assert client.post(reverse("classroom:calendar")).status_code == 405
    assert client.get(reverse("classroom:calendar_reset")).status_code == 405
    assert CalendarFeed.objects.get(employee=room["learner"]).token == feed.token
