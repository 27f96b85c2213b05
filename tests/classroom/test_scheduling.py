"""A recurring programme's sessions follow its pattern: weekly, monthly (a month without
the day has none), at the Pemda's wall-clock times, once however often it is saved."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from wagtail.models import ModelLogEntry

from lms.classroom.models import Attendance, Series, Session, SessionMode
from lms.classroom.scheduling import MAX_SESSIONS, series_dates, series_schedule

JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")


def _series(**fields: Any) -> Series:
    values: dict[str, Any] = {
        "title": "Kamis Belajar",
        "recurrence": Series.Recurrence.WEEKLY,
        "first_on": dt.date(2026, 1, 1),
        "last_on": dt.date(2026, 1, 29),
        "start_time": dt.time(13, 30),
        "end_time": dt.time(15),
        "mode": SessionMode.HYBRID,
        "venue": "Ruang Rapat Sekda",
        "jp_per_session": Decimal("2"),
    }
    values.update(fields)
    return Series.objects.create(**values)


def _local_starts(series: Series) -> list[tuple[dt.date, dt.time]]:
    return [
        (s.starts_at.astimezone(JAKARTA).date(), s.starts_at.astimezone(JAKARTA).time())
        for s in Session.objects.filter(series=series).order_by("starts_at")
    ]


def test_weekly_every_seven_days_from_first_to_last(pemda: dict[str, Any]) -> None:
    series = _series()
    created = series_schedule(actor=pemda["superuser"], series=series)
    assert [d for d, _t in _local_starts(series)] == [
        dt.date(2026, 1, 1), dt.date(2026, 1, 8), dt.date(2026, 1, 15),
        dt.date(2026, 1, 22), dt.date(2026, 1, 29),
    ]  # fmt: skip
    assert len(created) == 5
    session = created[0]
    assert session.jp == Decimal("2")
    assert session.venue == "Ruang Rapat Sekda"
    assert session.mode == SessionMode.HYBRID
    assert session.title.startswith("Kamis Belajar")
    assert session.cohort_id is None


def test_times_are_the_pemdas_wall_clock_stored_aware(pemda: dict[str, Any], settings: Any) -> None:
    settings.TIME_ZONE = "Asia/Jakarta"
    series = _series(last_on=dt.date(2026, 1, 1))
    (session,) = series_schedule(actor=pemda["superuser"], series=series)
    session.refresh_from_db()
    assert timezone.is_aware(session.starts_at)
    # 13:30 WIB is 06:30 UTC.
    assert session.starts_at == dt.datetime(2026, 1, 1, 6, 30, tzinfo=dt.UTC)
    assert session.ends_at == dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)
    assert _local_starts(series) == [(dt.date(2026, 1, 1), dt.time(13, 30))]


def test_another_pemda_zone_moves_the_instant_not_the_wall_clock(
    pemda: dict[str, Any], settings: Any
) -> None:
    settings.TIME_ZONE = "Asia/Jayapura"  # WIT, UTC+9
    series = _series(last_on=dt.date(2026, 1, 1))
    (session,) = series_schedule(actor=pemda["superuser"], series=series)
    session.refresh_from_db()
    assert session.starts_at == dt.datetime(2026, 1, 1, 4, 30, tzinfo=dt.UTC)


def test_monthly_on_the_same_day_skipping_months_without_it(pemda: dict[str, Any]) -> None:
    series = _series(
        recurrence=Series.Recurrence.MONTHLY,
        first_on=dt.date(2026, 1, 31),
        last_on=dt.date(2026, 8, 31),
    )
    series_schedule(actor=pemda["superuser"], series=series)
    # February, April and June have no 31st: no session then, none moved to another day.
    assert [d for d, _t in _local_starts(series)] == [
        dt.date(2026, 1, 31), dt.date(2026, 3, 31), dt.date(2026, 5, 31),
        dt.date(2026, 7, 31), dt.date(2026, 8, 31),
    ]  # fmt: skip


def test_monthly_on_an_ordinary_day_crosses_the_year() -> None:
    dates = series_dates(
        recurrence=Series.Recurrence.MONTHLY,
        first_on=dt.date(2026, 11, 15),
        last_on=dt.date(2027, 2, 14),
    )
    assert dates == [dt.date(2026, 11, 15), dt.date(2026, 12, 15), dt.date(2027, 1, 15)]


def test_leap_day_monthly_has_sessions_only_in_months_with_a_29th() -> None:
    dates = series_dates(
        recurrence=Series.Recurrence.MONTHLY,
        first_on=dt.date(2028, 1, 29),
        last_on=dt.date(2029, 3, 1),
    )
    assert dt.date(2028, 2, 29) in dates
    assert all(d.day == 29 for d in dates)
    assert dt.date(2029, 2, 28) not in dates
    assert len(dates) == 13  # 2028: twelve months; 2029: January (no 29 February)


def test_running_twice_creates_nothing_new(pemda: dict[str, Any]) -> None:
    series = _series()
    first = series_schedule(actor=pemda["superuser"], series=series)
    again = series_schedule(actor=pemda["superuser"], series=series)
    assert len(first) == 5
    assert again == []
    assert Session.objects.filter(series=series).count() == 5
    entries = ModelLogEntry.objects.filter(action="sinau.session.schedule")
    assert entries.count() == 2
    assert entries.order_by("pk").first().data["created"] == 5


def test_editing_the_programme_updates_open_sessions_and_keeps_attended_ones(
    pemda: dict[str, Any],
) -> None:
    series = _series()
    series_schedule(actor=pemda["superuser"], series=series)
    sessions = list(Session.objects.filter(series=series).order_by("starts_at"))
    attended = sessions[-1]  # 29 January: someone came
    Attendance.objects.create(
        session=attended, employee=pemda["learner"], status="present", method="instructor"
    )
    signed = sessions[0]
    signed.signed_off_at = timezone.now()
    signed.save()
    series.last_on = dt.date(2026, 1, 15)  # shortened: 22 and 29 January leave the pattern
    series.venue = "Aula BKPSDM"
    series.jp_per_session = Decimal("1.5")
    series.save()
    created = series_schedule(actor=pemda["superuser"], series=series)
    assert created == []
    remaining = {s.starts_at.astimezone(JAKARTA).date(): s for s in series.sessions.all()}
    # 22 January had nobody: removed. 29 January had an attendance: kept.
    assert sorted(remaining) == [
        dt.date(2026, 1, 1), dt.date(2026, 1, 8), dt.date(2026, 1, 15), dt.date(2026, 1, 29),
    ]  # fmt: skip
    assert remaining[dt.date(2026, 1, 8)].venue == "Aula BKPSDM"
    assert remaining[dt.date(2026, 1, 8)].jp == Decimal("1.5")
    # The signed-off session is a record: untouched.
    assert remaining[dt.date(2026, 1, 1)].venue == "Ruang Rapat Sekda"
    assert remaining[dt.date(2026, 1, 1)].jp == Decimal("2")


def test_a_pattern_of_too_many_sessions_is_refused(pemda: dict[str, Any]) -> None:
    series = _series(last_on=dt.date(2026, 1, 1) + dt.timedelta(weeks=MAX_SESSIONS + 5))
    with pytest.raises(ValidationError):
        series_schedule(actor=pemda["superuser"], series=series)
    assert not Session.objects.filter(series=series).exists()


def test_admin_saving_a_programme_schedules_it(pemda: dict[str, Any], client: Any) -> None:
    client.force_login(pemda["superuser"])
    response = client.post(
        "/admin/program-berulang/new/",
        {
            "title": "Jumat Literasi",
            "description": "",
            "recurrence": "weekly",
            "first_on": "2026-02-06",
            "last_on": "2026-02-27",
            "start_time": "08:00",
            "end_time": "09:30",
            "mode": "klasikal",
            "venue": "Perpustakaan Daerah",
            "meeting_url": "",
            "jp_per_session": "1",
            "yearly_jp_cap": "",
            "competency_type": "teknis",
            "jenis_diklat": "",
            "instructor": "",
            "questionnaire": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    series = Series.objects.get(title="Jumat Literasi")
    assert series.sessions.count() == 4
    edit = f"/admin/program-berulang/edit/{series.pk}/"
    page = client.get(edit)
    assert page.status_code == 200
    # Saving again (one week longer) adds just the new date.
    data = {
        "title": "Jumat Literasi", "description": "", "recurrence": "weekly",
        "first_on": "2026-02-06", "last_on": "2026-03-06", "start_time": "08:00",
        "end_time": "09:30", "mode": "klasikal", "venue": "Perpustakaan Daerah",
        "meeting_url": "", "jp_per_session": "1", "yearly_jp_cap": "",
        "competency_type": "teknis", "jenis_diklat": "", "instructor": "", "questionnaire": "",
    }  # fmt: skip
    assert client.post(edit, data).status_code == 302
    assert series.sessions.count() == 5


def test_admin_refuses_a_pattern_too_long_on_the_form(pemda: dict[str, Any], client: Any) -> None:
    client.force_login(pemda["superuser"])
    response = client.post(
        "/admin/program-berulang/new/",
        {
            "title": "Terlalu Panjang", "recurrence": "weekly", "first_on": "2026-01-01",
            "last_on": "2040-01-01", "start_time": "08:00", "end_time": "09:00",
            "mode": "klasikal", "jp_per_session": "1", "competency_type": "teknis",
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert "perpendek rentangnya" in response.content.decode()
    assert not Series.objects.filter(title="Terlalu Panjang").exists()


def test_admin_pages_are_for_bkpsdm(pemda: dict[str, Any], client: Any) -> None:
    client.force_login(pemda["admin_a"])
    for url in ("/admin/angkatan/", "/admin/program-berulang/", "/admin/sesi/"):
        response = client.get(url)
        assert response.status_code in (302, 403), url
    client.force_login(pemda["superuser"])
    for url in ("/admin/angkatan/", "/admin/program-berulang/", "/admin/sesi/"):
        assert client.get(url).status_code == 200, url


def test_admin_manages_cohorts_and_sessions(
    classroom: dict[str, Any], client: Any, django_assert_max_num_queries: Any
) -> None:
    from lms.classroom.models import Cohort
    from lms.people.models import Role
    from lms.people.services import role_grant

    role_grant(actor=None, employee=classroom["instructor"], role=Role.INSTRUCTOR, reason="uji")
    client.force_login(classroom["superuser"])
    for url in ("/admin/angkatan/new/", "/admin/sesi/new/", "/admin/program-berulang/new/"):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get("/admin/angkatan/new/").content.decode()
    assert "Widyaiswara Utama" in page  # an instructor to choose
    assert "Guru Andalas 0" not in page  # not an instructor
    response = client.post(
        "/admin/angkatan/new/",
        {
            "course": classroom["course"].pk, "name": "Angkatan II", "description": "",
            "starts_on": "2026-03-01", "ends_on": "2026-03-10", "enrolment_policy": "open",
            "enrolment_opens": "", "enrolment_closes": "", "capacity": "20",
            "instructors": [classroom["instructor"].pk], "questionnaire": "",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    cohort = Cohort.objects.get(name="Angkatan II")
    assert list(cohort.instructors.all()) == [classroom["instructor"]]
    with django_assert_max_num_queries(40):
        assert client.get("/admin/angkatan/?q=Angkatan").status_code == 200
    with django_assert_max_num_queries(40):
        assert client.get("/admin/sesi/").status_code == 200
    # Ends before it starts: the form says so, nothing is saved.
    response = client.post(
        "/admin/angkatan/new/",
        {
            "course": classroom["course"].pk, "name": "Angkatan III", "starts_on": "2026-03-10",
            "ends_on": "2026-03-01", "enrolment_policy": "open",
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert not Cohort.objects.filter(name="Angkatan III").exists()


def test_admin_cannot_delete_a_session_someone_attended(
    classroom: dict[str, Any], client: Any
) -> None:
    session = classroom["sessions"][0]
    Attendance.objects.create(
        session=session, employee=classroom["learner"], status="present", method="qr"
    )
    client.force_login(classroom["superuser"])
    response = client.post(f"/admin/sesi/delete/{session.pk}/", follow=True)
    assert response.status_code == 200
    assert "tidak dapat dihapus" in response.content.decode()
    assert Session.objects.filter(pk=session.pk).exists()
    assert Attendance.objects.filter(session=session).exists()


def test_admin_deletes_a_programme_with_its_unattended_sessions_only(
    classroom: dict[str, Any], client: Any
) -> None:
    series = classroom["series"]
    client.force_login(classroom["superuser"])
    attended = classroom["weekly"][0]
    Attendance.objects.create(
        session=attended, employee=classroom["learner"], status="present", method="qr"
    )
    response = client.post(f"/admin/program-berulang/delete/{series.pk}/", follow=True)
    assert response.status_code == 200
    assert "tidak dapat dihapus" in response.content.decode()
    assert Session.objects.filter(series=series).count() == 4  # nothing half-deleted
    Attendance.objects.all().delete()
    client.post(f"/admin/program-berulang/delete/{series.pk}/")
    assert not Series.objects.filter(pk=series.pk).exists()
    assert not Session.objects.filter(series_id=series.pk).exists()


def test_admin_delete_page_of_a_programme_offers_to_delete(
    classroom: dict[str, Any], client: Any
) -> None:
    client.force_login(classroom["superuser"])
    response = client.get(f"/admin/program-berulang/delete/{classroom['series'].pk}/")
    assert response.status_code == 200
    assert f'action="/admin/program-berulang/delete/{classroom["series"].pk}/"' in (
        response.content.decode()
    )
