"""Exactly once under real concurrency (PostgreSQL): a session's JP per attendee, a
programme's yearly cap per person, one attendance per person and session."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from lms.classroom import qr, services
from lms.classroom.models import Attendance, Session
from lms.learning.models import JPEntry, JPYearTotal
from tests.classroom.conftest import make_classroom
from tests.classroom.test_attendance_services import move_to_past
from tests.conftest import ensure_wagtail_root, make_catalogue
from tests.factories import make_pemda
from tests.support import at_once

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_classroom(transactional_db: None) -> dict[str, Any]:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (set DATABASE_URL)")
    ensure_wagtail_root()
    return make_classroom(make_catalogue(), make_pemda())


def test_signing_off_one_session_many_times_at_once_credits_each_attendee_once(
    pg_classroom: dict[str, Any],
) -> None:
    session, instructor = pg_classroom["weekly"][0], pg_classroom["instructor"]
    people = [*pg_classroom["staff_a"], *pg_classroom["staff_b"]]
    for person in people:
        services.attendance_mark(
            actor=instructor, session=session, employee=person, status="present"
        )
    _results, failures = at_once(
        8, lambda _i: services.session_sign_off(actor=instructor, session=session).pk
    )
    assert failures == []
    entries = JPEntry.objects.filter(source_type="session_attendance")
    assert sorted(entries.values_list("employee_id", flat=True)) == sorted(p.pk for p in people)
    assert {e.jp for e in entries} == {Decimal(2)}
    for person in people:
        assert JPYearTotal.objects.get(employee=person).total == Decimal(2)


def test_a_programme_cap_holds_when_its_sessions_are_signed_off_at_once(
    pg_classroom: dict[str, Any],
) -> None:
    instructor = pg_classroom["instructor"]
    people = pg_classroom["staff_a"]
    weekly = [move_to_past(s, days=22 - 7 * i) for i, s in enumerate(pg_classroom["weekly"])]
    year = weekly[-1].starts_at.year
    weekly = [s for s in weekly if s.starts_at.year == year]
    for session in weekly:
        for person in people:
            services.attendance_mark(
                actor=instructor, session=session, employee=person, status="present"
            )
    _results, failures = at_once(
        len(weekly), lambda i: services.session_sign_off(actor=instructor, session=weekly[i]).pk
    )
    assert failures == []
    cap = pg_classroom["series"].yearly_jp_cap
    for person in people:
        total = JPYearTotal.objects.get(employee=person, year=year).total
        assert total == min(cap, Decimal(2) * len(weekly))
        credited = Attendance.objects.filter(employee=person).values_list("jp_credited", flat=True)
        assert sum(c or Decimal(0) for c in credited) == total
    assert (
        Session.objects.filter(signed_off_at__isnull=True, pk__in=[s.pk for s in weekly]).count()
        == 0
    )


def test_one_code_scanned_many_times_at_once_records_one_arrival(
    pg_classroom: dict[str, Any],
) -> None:
    session, learner = pg_classroom["weekly"][0], pg_classroom["learner"]
    now = timezone.now()
    code = qr.code_for(session, now=now).code
    results, failures = at_once(
        10, lambda _i: services.attendance_check_in(actor=learner, code=code, now=now).pk
    )
    assert len(results) == 1
    assert len(failures) == 9
    assert all("sudah Anda pakai" in str(f) for f in failures), failures
    assert Attendance.objects.filter(session=session, employee=learner).count() == 1
