"""Attendance by rotating QR code, the instructor's sign-off, what it credits, and the
minimum attendance a classroom course asks for (services; the pages: test_attendance_views)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from lms.classroom import qr, services
from lms.classroom.models import Attendance, Session
from lms.learning.models import Enrolment, JPEntry, JPYearTotal
from lms.learning.selectors import completion_check


def admit(cohort: Any, *people: Any) -> list[Enrolment]:
    return [
        Enrolment.objects.create(employee=p, course=cohort.course, cohort=cohort, source="self")
        for p in people
    ]


def check_in(person: Any, session: Session, at: dt.datetime | None = None, **kw: Any) -> Any:
    at = at or timezone.now()
    code = qr.code_for(session, now=at).code
    return services.attendance_check_in(actor=person, code=code, now=at, **kw)


def move_to_past(session: Session, days: int) -> Session:
    start = timezone.now() - dt.timedelta(days=days, hours=3)
    Session.objects.filter(pk=session.pk).update(
        starts_at=start, ends_at=start + dt.timedelta(hours=2)
    )
    session.refresh_from_db()
    return session


def test_a_participant_checks_in_on_time_or_late(classroom: dict[str, Any]) -> None:
    first = classroom["sessions"][0]
    on_time, late = classroom["staff_a"][0], classroom["staff_a"][1]
    admit(classroom["cohort"], on_time, late)
    arrived = check_in(on_time, first)
    assert arrived.status == Attendance.Status.PRESENT
    assert arrived.method == Attendance.Method.QR
    # The grace is 15 minutes from the start; the session began ten minutes ago.
    later = first.starts_at + dt.timedelta(minutes=first.late_after_minutes + 1)
    assert check_in(late, first, at=later).status == Attendance.Status.LATE


def test_an_expired_code_is_refused(classroom: dict[str, Any]) -> None:
    first, learner = classroom["sessions"][0], classroom["learner"]
    admit(classroom["cohort"], learner)
    seconds = qr.step_seconds()
    old = qr.code_for(first, now=timezone.now() - dt.timedelta(seconds=3 * seconds)).code
    with pytest.raises(ValidationError, match="kedaluwarsa"):
        services.attendance_check_in(actor=learner, code=old)
    # A code from the step before is still good: a phone needs a moment to open it.
    recent = qr.code_for(first, now=timezone.now() - dt.timedelta(seconds=seconds)).code
    assert services.attendance_check_in(actor=learner, code=recent).attended
    assert not Attendance.objects.exclude(employee=learner).exists()


def test_a_replayed_code_is_refused(classroom: dict[str, Any]) -> None:
    first, learner = classroom["sessions"][0], classroom["learner"]
    admit(classroom["cohort"], learner)
    now = timezone.now()
    code = qr.code_for(first, now=now).code
    arrived = services.attendance_check_in(actor=learner, code=code, now=now)
    with pytest.raises(ValidationError, match="sudah Anda pakai"):
        services.attendance_check_in(actor=learner, code=code, now=now, leaving=True)
    with pytest.raises(ValidationError, match="sudah Anda pakai"):
        services.attendance_check_in(actor=learner, code=code, now=now)
    # The next code shown in the room records going home, once.
    later = now + dt.timedelta(seconds=qr.step_seconds())
    left = check_in(learner, first, at=later, leaving=True)
    assert left.left_at == later
    assert left.left_early
    assert left.checked_in_at == arrived.checked_in_at
    with pytest.raises(ValidationError, match="sudah Anda pakai"):
        check_in(learner, first, at=later, leaving=True)


def test_a_code_only_ever_records_whoever_is_logged_in(classroom: dict[str, Any]) -> None:
    first = classroom["sessions"][0]
    holder, friend = classroom["staff_a"][0], classroom["staff_a"][1]
    admit(classroom["cohort"], holder, friend)
    code = qr.code_for(first).code
    services.attendance_check_in(actor=holder, code=code)
    # The same code in the friend's hands records the friend, and nobody else.
    services.attendance_check_in(actor=friend, code=code)
    recorded = dict(Attendance.objects.values_list("employee_id", "method"))
    assert recorded == {holder.pk: "qr", friend.pk: "qr"}


def test_forged_and_foreign_codes_are_refused(classroom: dict[str, Any]) -> None:
    first, second = classroom["sessions"][:2]
    learner = classroom["learner"]
    admit(classroom["cohort"], learner)
    code = qr.code_for(first).code
    session_id, step, mac = code.split("-")
    forged = f"{session_id}-{step}-{'0' * 20 if mac != '0' * 20 else '1' * 20}"
    other_session = f"{second.pk}-{step}-{mac}"
    for bad in (forged, other_session, "", "abc", f"{session_id}-{step}", "9" * 30):
        with pytest.raises(ValidationError, match="tidak dikenal"):
            services.attendance_check_in(actor=learner, code=bad)
    assert not Attendance.objects.exists()


def test_only_participants_and_only_during_the_session(classroom: dict[str, Any]) -> None:
    first, second = classroom["sessions"][:2]
    outsider, learner = classroom["staff_b"][0], classroom["learner"]
    admit(classroom["cohort"], learner)
    with pytest.raises(PermissionDenied, match="bukan peserta"):
        check_in(outsider, first)
    with pytest.raises(ValidationError, match="Presensi dibuka"):
        check_in(learner, second)  # tomorrow's session
    with pytest.raises(ValidationError, match="sudah selesai"):
        check_in(learner, first, at=first.ends_at + dt.timedelta(minutes=1))
    # Anyone may check in to a session open to all.
    assert check_in(outsider, classroom["weekly"][0]).attended
    # A pending enrolment is not a place yet.
    pending = classroom["staff_a"][2]
    Enrolment.objects.create(
        employee=pending, course=classroom["course"], cohort=classroom["cohort"],
        source="self", status=Enrolment.Status.PENDING,
    )  # fmt: skip
    with pytest.raises(PermissionDenied):
        check_in(pending, first)


def test_a_signed_off_list_is_closed(classroom: dict[str, Any]) -> None:
    first, learner = classroom["sessions"][0], classroom["learner"]
    instructor = classroom["instructor"]
    admit(classroom["cohort"], learner)
    services.session_sign_off(actor=instructor, session=first)
    with pytest.raises(ValidationError, match="ditandatangani"):
        check_in(learner, first)
    with pytest.raises(ValidationError, match="ditandatangani"):
        services.attendance_mark(
            actor=instructor, session=first, employee=learner, status="present"
        )


def test_who_may_run_a_session(classroom: dict[str, Any]) -> None:
    first = classroom["sessions"][0]
    for person in ("learner", "admin_a", "auditor"):
        with pytest.raises(PermissionDenied):
            services.session_sign_off(actor=classroom[person], session=first)
    assert services.can_run(classroom["instructor"], first)
    assert services.can_run(classroom["superuser"], first)


def test_the_instructor_marks_late_arrival_and_early_leave(classroom: dict[str, Any]) -> None:
    first, learner = classroom["sessions"][0], classroom["learner"]
    admit(classroom["cohort"], learner)
    left = first.starts_at + dt.timedelta(hours=1)
    marked = services.attendance_mark(
        actor=classroom["instructor"], session=first, employee=learner, status="late",
        left_at=left, note="izin pulang: rapat dinas",
    )  # fmt: skip
    assert (marked.status, marked.left_early, marked.method) == ("late", True, "instructor")
    with pytest.raises(ValidationError):
        services.attendance_mark(
            actor=classroom["instructor"], session=first, employee=learner, status="present",
            left_at=first.ends_at + dt.timedelta(hours=1),
        )  # fmt: skip
    with pytest.raises(ValidationError, match="bukan peserta"):
        services.attendance_mark(
            actor=classroom["instructor"], session=first, employee=classroom["staff_b"][0],
            status="present",
        )  # fmt: skip
    marked.refresh_from_db()
    assert marked.left_at == left  # the refused marks changed nothing


def test_minimum_attendance_completes_the_course_and_credits_it_once(
    classroom: dict[str, Any],
) -> None:
    cohort, course, instructor = classroom["cohort"], classroom["course"], classroom["instructor"]
    learner = classroom["learner"]
    (enrolment,) = admit(cohort, learner)
    sessions = [move_to_past(s, days=10 - i) for i, s in enumerate(classroom["sessions"])]
    for session in sessions[:2]:
        services.attendance_mark(
            actor=instructor, session=session, employee=learner, status="present"
        )
        services.session_sign_off(actor=instructor, session=session)
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.ACTIVE
    assert completion_check(enrolment=enrolment).missing == [
        "Kehadiran minimal 75%: baru 2 dari 4 sesi"
    ]
    # Attendance on a list not yet signed off does not count.
    services.attendance_mark(actor=instructor, session=sessions[2], employee=learner, status="late")
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.ACTIVE
    services.session_sign_off(actor=instructor, session=sessions[2])
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.COMPLETED
    entries = JPEntry.objects.filter(employee=learner)
    assert [(e.source_type, e.source_id, e.jp) for e in entries] == [
        ("course_completion", enrolment.pk, course.jp_credited)
    ]
    services.session_sign_off(actor=instructor, session=sessions[3])
    assert JPEntry.objects.filter(employee=learner).count() == 1


def test_a_programme_credits_each_session_once_within_its_yearly_cap(
    classroom: dict[str, Any],
) -> None:
    instructor, learner = classroom["instructor"], classroom["learner"]
    weekly = [move_to_past(s, days=30 - 7 * i) for i, s in enumerate(classroom["weekly"])]
    weekly = [s for s in weekly if s.starts_at.year == timezone.now().year] or weekly
    credited = []
    for session in weekly:
        services.attendance_mark(
            actor=instructor, session=session, employee=learner, status="present"
        )
        services.session_sign_off(actor=instructor, session=session)
        services.session_sign_off(actor=instructor, session=session)  # twice: nothing more
        credited.append(Attendance.objects.get(session=session, employee=learner).jp_credited)
    # 2 JP a session, at most 5 JP a year from this programme.
    expected = [Decimal(2), Decimal(2), Decimal(1), Decimal(0)][: len(weekly)]
    assert credited == expected
    total = JPYearTotal.objects.get(employee=learner, year=weekly[0].starts_at.year).total
    assert total == sum(expected)
    entries = JPEntry.objects.filter(employee=learner, source_type="session_attendance")
    assert entries.count() == sum(1 for c in expected if c > 0)
    assert {e.jenis.code for e in entries if e.jenis} == {23}  # komunitas belajar


def test_absent_people_and_cohort_sessions_credit_nothing_themselves(
    classroom: dict[str, Any],
) -> None:
    instructor = classroom["instructor"]
    absent, learner = classroom["staff_a"][1], classroom["learner"]
    admit(classroom["cohort"], learner)
    open_session = classroom["weekly"][0]
    services.attendance_mark(
        actor=instructor, session=open_session, employee=absent, status="absent"
    )
    services.session_sign_off(actor=instructor, session=open_session)
    services.attendance_mark(
        actor=instructor, session=classroom["sessions"][0], employee=learner, status="present"
    )
    services.session_sign_off(actor=instructor, session=classroom["sessions"][0])
    assert not JPEntry.objects.exists()


def test_a_session_cannot_be_signed_off_before_it_starts(classroom: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="setelah sesi dimulai"):
        services.session_sign_off(actor=classroom["instructor"], session=classroom["weekly"][1])
    assert Session.objects.get(pk=classroom["weekly"][1].pk).signed_off_at is None


def test_session_credit_goes_to_the_siasn_export(classroom: dict[str, Any]) -> None:
    from lms.people.selectors import Scope
    from lms.reports.siasn import siasn_rows

    session, learner = classroom["weekly"][0], classroom["learner"]
    services.attendance_mark(
        actor=classroom["instructor"], session=session, employee=learner, status="present"
    )
    services.session_sign_off(actor=classroom["instructor"], session=session)
    year = timezone.localdate(session.starts_at).year
    (row,) = siasn_rows(scope=Scope(everything=True), year=year)
    assert (row.nip, row.nama, row.jenis_code, row.jp) == (
        learner.nip, session.title, 23, Decimal(2)
    )  # fmt: skip
    assert row.mulai == row.selesai == timezone.localdate(session.starts_at)


def test_a_phone_that_had_to_log_in_first_keeps_its_scan_for_a_while(
    classroom: dict[str, Any], settings: Any
) -> None:
    first, learner = classroom["sessions"][0], classroom["learner"]
    admit(classroom["cohort"], learner)
    scanned = timezone.now() - dt.timedelta(seconds=90)
    code = qr.code_for(first, now=scanned).code  # long expired by now
    with pytest.raises(ValidationError, match="kedaluwarsa"):
        services.attendance_check_in(actor=learner, code=code)
    too_long_ago = timezone.now() - dt.timedelta(
        seconds=settings.SINAU_ATTENDANCE_SCAN_GRACE_SECONDS + 1
    )
    with pytest.raises(ValidationError, match="kedaluwarsa"):
        services.attendance_check_in(
            actor=learner, code=qr.code_for(first, now=too_long_ago).code, scanned_at=too_long_ago
        )
    # Seen fresh 90 seconds ago by the server (before the login): accepted, once.
    arrived = services.attendance_check_in(actor=learner, code=code, scanned_at=scanned)
    assert arrived.attended
    with pytest.raises(ValidationError, match="sudah Anda pakai"):
        services.attendance_check_in(actor=learner, code=code, scanned_at=scanned)
