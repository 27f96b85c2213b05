"""Concurrent imports of one file create each NIP once (real PostgreSQL, real threads)."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
from django.db import connection

from lms.people.models import Employee, OrgUnit
from lms.people.services import ImportResult, employees_import
from tests.factories import valid_nip
from tests.people.test_import import csv_bytes, row

pytestmark = pytest.mark.postgres


@pytest.fixture
def on_postgres(transactional_db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (set DATABASE_URL)")


def test_four_simultaneous_imports_of_one_file_create_each_employee_once(on_postgres: None) -> None:
    data = csv_bytes(
        [row(valid_nip(sequence=i), f"Pegawai {i}", f"Dinas {i % 3} > Bidang {i % 2}")
         for i in range(1, 201)]
    )  # fmt: skip
    barrier = threading.Barrier(4)
    results: list[ImportResult] = []
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            result = employees_import(
                actor=None, fileobj=io.BytesIO(data), filename="sama.csv", dry_run=False
            )
            results.append(result)
        except BaseException as exc:  # collected and re-raised in the main thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures
    assert len(results) == 4
    assert Employee.objects.count() == 200
    assert sum(r.created for r in results) == 200  # one import created them, the rest saw them
    assert sorted(r.created for r in results) == [0, 0, 0, 200]
    assert OrgUnit.objects.filter(depth=1).count() == 1  # one Pemda, not four
    assert OrgUnit.objects.count() == 1 + 3 + 6


def test_concurrent_imports_of_different_files_both_land(on_postgres: None) -> None:
    files: list[Any] = [
        csv_bytes([row(valid_nip(sequence=i), f"A {i}", "Dinas A") for i in range(1, 51)]),
        csv_bytes([row(valid_nip(sequence=i), f"B {i}", "Dinas B") for i in range(51, 101)]),
    ]
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def worker(data: bytes) -> None:
        try:
            barrier.wait()
            employees_import(actor=None, fileobj=io.BytesIO(data), filename="x.csv", dry_run=False)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures
    assert Employee.objects.count() == 100
    assert OrgUnit.objects.filter(depth=1).count() == 1
