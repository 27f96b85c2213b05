"""A room checking in at once: rotating-QR check-ins per second when everyone in the room
scans the same session's code together, and the instructor's sign-off that credits each
attendee's JP.

Run: ``.venv/bin/python -m bench.attendance`` (PostgreSQL on 127.0.0.1:5432 as
``postgres``, or the server in ``BENCH_DATABASE_URL``).

- *room*: ``--people`` learners (300 by default, a large aula) check in to one open session
  through ``attendance_check_in`` from ``--threads`` threads at once, each scanning the code
  shown at that moment. Every check-in takes the session's row lock (so that a sign-off
  cannot slip between the checks and the write), so they queue on it. The baseline, in the
  same run, is the same number of check-ins spread over as many sessions, one person each:
  the same work without the shared lock. Their ratio is what the lock costs a full room.
- *sign-off*: ``session_sign_off`` of that session (every attendee credited through
  ``jp_credit``: entry, yearly totals, audit, in one transaction). The baseline is
  ``jp_credit`` called directly for as many new sources.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import threading
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from bench._common import django_on_fresh_database, machine_info, rate, timed, write_results

NAME = "attendance"
DB_NAME = "sinau_bench_attendance"


def _nip(i: int) -> str:
    birth = dt.date(1970, 1, 1) + dt.timedelta(days=i)
    return f"{birth:%Y%m%d}199503{1 + i % 2}{i % 1000:03d}"


def _setup(people: int) -> tuple[Any, list[Any], list[Any], list[Any], list[Any]]:
    from django.utils import timezone

    from lms.classroom.models import Series, Session
    from lms.people.models import Employee
    from lms.people.services import pemda_root_get_or_create

    root = pemda_root_get_or_create()
    opd = root.add_child(name="Dinas Uji", kind="opd")
    staff = Employee.objects.bulk_create(
        Employee(nip=_nip(i), full_name=f"Pegawai {i}", org_unit=opd, password="!")
        for i in range(2 * people + 1)
    )
    instructor, room, spread = staff[0], staff[1 : people + 1], staff[people + 1 :]
    now = timezone.now()
    today = timezone.localdate()
    series = Series.objects.create(
        title="Kamis Belajar", first_on=today, last_on=today, start_time=dt.time(8),
        end_time=dt.time(10), jp_per_session=Decimal(2), instructor=instructor,
    )  # fmt: skip

    def session(title: str) -> Any:
        return Session(
            series=series, title=title, starts_at=now - dt.timedelta(minutes=5),
            ends_at=now + dt.timedelta(hours=2), jp=Decimal(2), instructor=instructor,
        )  # fmt: skip

    hall = Session.objects.bulk_create([session("Aula")])
    singles = Session.objects.bulk_create([session(f"Ruang {i}") for i in range(people)])
    return instructor, room, spread, hall * people, singles


def _burst(people: list[Any], sessions: list[Any], threads: int) -> tuple[float, list[float]]:
    """Everyone at once: (wall seconds, each check-in's seconds)."""
    from django.db import connection

    from lms.classroom import qr, services

    barrier = threading.Barrier(threads)
    latencies: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work(part: int) -> None:
        mine: list[float] = []
        try:
            barrier.wait()
            for i in range(part, len(people), threads):
                start = time.perf_counter()
                code = qr.code_for(sessions[i]).code  # the code on the screen right now
                services.attendance_check_in(actor=people[i], code=code)
                mine.append(time.perf_counter() - start)
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()
            with lock:
                latencies.extend(mine)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - start
    if failures:
        raise SystemExit(f"check-ins failed: {failures[:3]}")
    return wall, latencies


def _direct_credits(people: list[Any], first_source: int) -> None:
    from django.utils import timezone

    from lms.learning.services import jp_credit

    today = timezone.localdate()
    for i, person in enumerate(people):
        jp_credit(
            employee_id=person.pk, jp=Decimal(2), competency_type="teknis", form="klasikal",
            source_type="external_training", source_id=first_source + i, earned_on=today,
        )  # fmt: skip


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args(argv)

    with django_on_fresh_database(DB_NAME, settings_module="bench._settings"):
        from lms.classroom import services
        from lms.classroom.models import Attendance
        from lms.learning.models import JPEntry

        instructor, room, spread, hall, singles = _setup(args.people)
        # The spread first, then the room: a warm cache favours the second, the subject.
        spread_s, spread_lat = _burst(spread, singles, args.threads)
        room_s, room_lat = _burst(room, hall, args.threads)
        present = Attendance.objects.filter(session=hall[0]).count()

        _, direct_s = timed(lambda: _direct_credits(spread, 10_000_000))
        session, sign_off_s = timed(
            lambda: services.session_sign_off(actor=instructor, session=hall[0])
        )
        credited = JPEntry.objects.filter(source_type="session_attendance").count()

        figures = {
            "people": args.people,
            "threads": args.threads,
            "room_checkins_per_second": round(rate(args.people, room_s), 1),
            "room_seconds": round(room_s, 2),
            "room_checkin_ms_p50": _ms(room_lat, 0.5),
            "room_checkin_ms_p95": _ms(room_lat, 0.95),
            "room_present": present,
            "sign_off_seconds": round(sign_off_s, 2),
            "sign_off_credits_per_second": round(rate(credited, sign_off_s), 1),
            "credited": credited,
        }
        baseline = {
            "spread_checkins_per_second": round(rate(args.people, spread_s), 1),
            "spread_seconds": round(spread_s, 2),
            "spread_checkin_ms_p50": _ms(spread_lat, 0.5),
            "spread_checkin_ms_p95": _ms(spread_lat, 0.95),
            "direct_credits_per_second": round(rate(args.people, direct_s), 1),
        }
        ratio = {
            "room_vs_spread_seconds": round(room_s / spread_s, 2),
            "sign_off_vs_direct_credits_seconds": round(sign_off_s / direct_s, 2),
        }
        machine = machine_info()
        assert session.signed_off_at is not None
    print(f"room of {args.people}, {args.threads} threads: {figures['room_checkins_per_second']}"
          f" check-ins/s ({figures['room_seconds']} s; p50 {figures['room_checkin_ms_p50']} ms,"
          f" p95 {figures['room_checkin_ms_p95']} ms); spread over {args.people} sessions:"
          f" {baseline['spread_checkins_per_second']}/s")  # fmt: skip
    print(f"sign-off crediting {credited}: {figures['sign_off_seconds']} s"
          f" ({figures['sign_off_credits_per_second']}/s; direct jp_credit"
          f" {baseline['direct_credits_per_second']}/s)")  # fmt: skip
    print(f"ratio: {ratio}")
    path = write_results(NAME, figures=figures, baseline=baseline, ratio=ratio, machine=machine)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
