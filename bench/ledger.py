"""The JP ledger: credits per second through ``jp_credit``, and the time and query count to
load one employee's competency record when they hold ten years of history.

Run: ``.venv/bin/python -m bench.ledger`` (PostgreSQL on 127.0.0.1:5432 as ``postgres``, or
the server in ``BENCH_DATABASE_URL``).

The ledger is filled first as a Pemda's would be after a decade: 2,000 employees with
``--history`` entries each spread over ten years (100,000 rows by default), and one
employee, the one whose record is loaded, with ``--own`` entries a year for ten years.

- *credits*: ``jp_credit`` for new sources, one after another (each checks the source is
  new, inserts the entry, moves the yearly total and writes the audit log, in one
  transaction), and the same from 8 threads at once. The baseline, measured in the same
  run, is the bare insert of the same row (``JPEntry.objects.create`` in its own
  transaction, none of the checks, no total, no audit).
- *record*: ``GET /rekam-kompetensi/`` as the employee with ten years, through Django's
  test client (the whole middleware stack, the template, a session), median of repeated
  loads, with the number of SQL queries one load makes. The baseline is the same page for
  an employee with a single entry: with the yearly aggregate the ten years should cost
  about what one entry costs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from bench._common import django_on_fresh_database, machine_info, rate, timed, write_results

NAME = "ledger"
DB_NAME = "sinau_bench_ledger"
EMPLOYEES = 2000
YEARS = 10
SEED = 20_261_124
THREADS = 8
BATCH = 5000
COMPETENCY = ("teknis", "manajerial", "sosial_kultural", "pemerintahan")
FORMS = ("klasikal", "non_klasikal")


def _today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


def _nip(i: int) -> str:
    birth = dt.date(1965, 1, 1) + dt.timedelta(days=i)
    return f"{birth:%Y%m%d}199003{1 + i % 2}{i % 1000:03d}"


def _entry_fields(rng: random.Random, year: int) -> dict[str, Any]:
    return {
        "year": year,
        "jp": Decimal(rng.choice(("1", "2", "2.5", "4", "8", "20"))),
        "competency_type": rng.choice(COMPETENCY),
        "form": rng.choice(FORMS),
        "earned_on": dt.date(year, rng.randint(1, 12), rng.randint(1, 28)),
    }


def _fill(history: int, own: int) -> tuple[Any, Any, list[Any]]:
    """The employees and a decade of ledger; the yearly totals rebuilt from the entries by
    the ledger's own rule (one SQL statement), as a migration from an older system would."""
    from django.db import connection

    from lms.learning.models import JPEntry
    from lms.people.models import Employee
    from lms.people.services import pemda_root_get_or_create

    rng = random.Random(SEED)
    root = pemda_root_get_or_create()
    opd = root.add_child(name="Dinas Uji", kind="opd")
    people = Employee.objects.bulk_create(
        Employee(nip=_nip(i), full_name=f"Pegawai {i}", org_unit=opd, password="!")
        for i in range(EMPLOYEES + 2)
    )
    veteran, newcomer, staff = people[0], people[1], people[2:]
    this_year = _today().year
    years = range(this_year - YEARS + 1, this_year + 1)
    source = 0

    def rows() -> Any:
        nonlocal source
        for employee in staff:
            for _ in range(history):
                source += 1
                yield JPEntry(
                    employee=employee, source_type="external_training", source_id=source,
                    **_entry_fields(rng, rng.choice(years)),
                )  # fmt: skip
        for year in years:
            for _ in range(own):
                source += 1
                yield JPEntry(
                    employee=veteran, source_type="external_training", source_id=source,
                    **_entry_fields(rng, year),
                )  # fmt: skip
        source += 1
        yield JPEntry(
            employee=newcomer, source_type="external_training", source_id=source,
            **_entry_fields(rng, this_year),
        )  # fmt: skip

    batch: list[Any] = []
    for entry in rows():
        batch.append(entry)
        if len(batch) == BATCH:
            JPEntry.objects.bulk_create(batch)
            batch = []
    JPEntry.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO learning_jpyeartotal (employee_id, year, total, klasikal, non_klasikal,
                teknis, manajerial, sosial_kultural, pemerintahan, entries)
            SELECT employee_id, year, SUM(jp),
                COALESCE(SUM(jp) FILTER (WHERE form = 'klasikal'), 0),
                COALESCE(SUM(jp) FILTER (WHERE form = 'non_klasikal'), 0),
                COALESCE(SUM(jp) FILTER (WHERE competency_type = 'teknis'), 0),
                COALESCE(SUM(jp) FILTER (WHERE competency_type = 'manajerial'), 0),
                COALESCE(SUM(jp) FILTER (WHERE competency_type = 'sosial_kultural'), 0),
                COALESCE(SUM(jp) FILTER (WHERE competency_type = 'pemerintahan'), 0),
                COUNT(*)
            FROM learning_jpentry GROUP BY employee_id, year
            """
        )
        cursor.execute("ANALYZE")
    return veteran, newcomer, staff


def _credit_serial(staff: list[Any], count: int, start: int) -> int:
    from lms.learning import services

    today = _today()
    for i in range(count):
        services.jp_credit(
            employee_id=staff[i % len(staff)].pk, jp=Decimal("2"), competency_type="teknis",
            form="non_klasikal", source_type="mentoring", source_id=start + i, earned_on=today,
            jenis_code=15,
        )  # fmt: skip
    return count


def _bare_insert(staff: list[Any], count: int, start: int) -> int:
    from django.db import transaction

    from lms.learning.models import JPEntry

    today = _today()
    for i in range(count):
        with transaction.atomic():
            JPEntry.objects.create(
                employee_id=staff[i % len(staff)].pk, year=today.year, jp=Decimal("2"),
                competency_type="teknis", form="non_klasikal", source_type="course_completion",
                source_id=start + i, earned_on=today,
            )  # fmt: skip
    return count


def _threaded(work: Any, staff: list[Any], count: int, start: int) -> float:
    """``count`` calls split over THREADS threads, each on its own connection; wall-clock
    seconds from the first call to the last."""
    from django.db import connection

    share = count // THREADS
    barrier = threading.Barrier(THREADS + 1)

    def run(n: int) -> None:
        try:
            barrier.wait()
            work(staff[n::THREADS], share, start + n * share)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    barrier.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - began


def _record_loads(employee: Any, loads: int) -> tuple[float, int, int]:
    """Median milliseconds of ``loads`` page loads, the queries of one, and its status."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client(HTTP_HOST="localhost")
    client.force_login(employee)
    url = reverse("learning:competency_record")
    status = client.get(url).status_code  # warm the templates and the session
    samples = []
    for _ in range(loads):
        began = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - began) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(samples), len(queries), status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=50, help="entries per other employee")
    parser.add_argument("--own", type=int, default=60, help="entries a year, the veteran")
    parser.add_argument("--credits", type=int, default=2000)
    parser.add_argument("--loads", type=int, default=100)
    args = parser.parse_args(argv)

    with django_on_fresh_database(DB_NAME, settings_module="bench._settings"):
        from lms.learning.models import JPEntry, JPYearTotal

        (veteran, newcomer, staff), fill_s = timed(lambda: _fill(args.history, args.own))
        rows = JPEntry.objects.count()
        print(f"ledger filled: {rows:,} entries in {fill_s:.1f} s")

        # Baseline and subject alternate so that a noisy neighbour hurts both alike.
        n = args.credits
        _bare_insert(staff, 200, 10_000_000)  # warm-up
        _credit_serial(staff, 200, 20_000_000)
        _, bare_s = timed(lambda: _bare_insert(staff, n, 30_000_000))
        _, credit_s = timed(lambda: _credit_serial(staff, n, 40_000_000))
        bare_mt_s = _threaded(_bare_insert, staff, n, 50_000_000)
        credit_mt_s = _threaded(_credit_serial, staff, n, 60_000_000)

        record_ms, record_queries, status = _record_loads(veteran, args.loads)
        one_ms, one_queries, _status = _record_loads(newcomer, args.loads)
        own_entries = JPEntry.objects.filter(employee=veteran).count()
        years = JPYearTotal.objects.filter(employee=veteran).count()

        figures = {
            "ledger_entries": rows,
            "credits_per_second": round(rate(n, credit_s), 1),
            "credits_per_second_8_threads": round(rate(n - n % THREADS, credit_mt_s), 1),
            "record_load_ms_ten_years": round(record_ms, 2),
            "record_queries_ten_years": record_queries,
            "record_status": status,
            "veteran_entries": own_entries,
            "veteran_years": years,
        }
        baseline = {
            "bare_inserts_per_second": round(rate(n, bare_s), 1),
            "bare_inserts_per_second_8_threads": round(rate(n - n % THREADS, bare_mt_s), 1),
            "record_load_ms_one_entry": round(one_ms, 2),
            "record_queries_one_entry": one_queries,
        }
        ratio = {
            "credit_to_bare_insert": round(
                figures["credits_per_second"] / baseline["bare_inserts_per_second"], 3
            ),
            "credit_to_bare_insert_8_threads": round(
                figures["credits_per_second_8_threads"]
                / baseline["bare_inserts_per_second_8_threads"],
                3,
            ),
            "record_ten_years_to_one_entry": round(record_ms / one_ms, 3),
        }
        machine = machine_info()
    path = write_results(NAME, figures=figures, baseline=baseline, ratio=ratio, machine=machine)
    print(f"credits: {figures['credits_per_second']}/s (bare insert "
          f"{baseline['bare_inserts_per_second']}/s, "
          f"ratio {ratio['credit_to_bare_insert']})")  # fmt: skip
    print(f"credits, {THREADS} threads: {figures['credits_per_second_8_threads']}/s (bare "
          f"{baseline['bare_inserts_per_second_8_threads']}/s, "
          f"ratio {ratio['credit_to_bare_insert_8_threads']})")  # fmt: skip
    print(f"record with {own_entries} entries over {years} years: {record_ms:.2f} ms, "
          f"{record_queries} queries (one entry: {one_ms:.2f} ms, {one_queries} queries; "
          f"ratio {ratio['record_ten_years_to_one_entry']})")  # fmt: skip
    print(f"wrote {path}")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
