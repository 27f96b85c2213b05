"""The import admin page: upload, preview, apply, with a real Celery worker doing the work."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from lms.celery import app as celery_app
from lms.people.models import Employee, EmployeeImport
from tests.factories import valid_nip
from tests.people.test_import import csv_bytes, row
from tests.support import start_worker, stop_worker, worker_env

ROOT = Path(__file__).resolve().parents[2]


def upload(client: Client, data: bytes, name: str = "pegawai.csv", **fields: Any) -> Any:
    return client.post(
        reverse("people:import_new"),
        {"file": SimpleUploadedFile(name, data, content_type="text/csv"), **fields},
    )


def test_wrong_file_type_is_refused_on_the_form(client: Client, pemda: dict[str, Any]) -> None:
    client.force_login(pemda["admin_a"])
    response = upload(client, b"%PDF-1.4", name="pegawai.pdf")
    assert response.status_code == 200
    assert "Hanya berkas .csv dan .xlsx" in response.content.decode()
    assert EmployeeImport.objects.count() == 0


def test_missing_file_is_refused_on_the_form(client: Client, pemda: dict[str, Any]) -> None:
    client.force_login(pemda["admin_a"])
    response = client.post(reverse("people:import_new"), {"dry_run": "on"})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert EmployeeImport.objects.count() == 0


def test_oversized_file_is_refused(client: Client, pemda: dict[str, Any], settings: Any) -> None:
    settings.SINAU_IMPORT_MAX_BYTES = 100
    client.force_login(pemda["admin_a"])
    response = upload(client, b"NIP,NAMA\n" + b"x" * 200)
    assert "terlalu besar" in response.content.decode()
    assert EmployeeImport.objects.count() == 0


def test_import_pages_query_counts(
    client: Client, pemda: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    from django.core.files.base import ContentFile

    client.force_login(pemda["admin_a"])
    for i in range(3):
        job = EmployeeImport(original_name=f"{i}.csv", requested_by=pemda["admin_a"])
        job.file.save(f"{i}.csv", ContentFile(b"NIP\n"))
    client.get("/")
    with django_assert_max_num_queries(8):
        assert client.get(reverse("people:import_new")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("people:import_detail", args=[job.pk])).status_code == 200


@pytest.fixture
def celery_worker(transactional_db: None, settings: Any) -> Iterator[str]:
    """A real worker process (not eager mode) on a queue of its own, sharing the test database."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    old_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    worker = start_worker(queue, worker_env(settings.MEDIA_ROOT))
    try:
        yield queue
    finally:
        celery_app.conf.task_default_queue = old_queue
        stop_worker(worker)


def wait_finished(pk: int, timeout: float = 90) -> EmployeeImport:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = EmployeeImport.objects.get(pk=pk)
        if job.is_finished:
            return job
        time.sleep(0.3)
    raise AssertionError(f"import {pk} did not finish: {EmployeeImport.objects.get(pk=pk).status}")


def test_preview_then_apply_through_a_real_worker(
    celery_worker: str, client: Client, pemda: dict[str, Any]
) -> None:
    client.force_login(pemda["admin_a"])
    rows = [
        row(valid_nip(sequence=31), "Guru Baru Satu", "Dinas Pendidikan > Bidang SD"),
        row(valid_nip(sequence=32), "Guru Baru Dua", "Dinas Pendidikan > Bidang SMP"),
        row("123", "NIP Pendek", "Dinas Pendidikan"),
    ]
    response = upload(client, csv_bytes(rows), dry_run="on")
    assert response.status_code == 302
    preview = wait_finished(EmployeeImport.objects.latest("created_at").pk)
    assert (preview.status, preview.dry_run, preview.created_count) == ("done", True, 2)
    assert not Employee.objects.filter(full_name__startswith="Guru Baru").exists()
    page = client.get(reverse("people:import_detail", args=[preview.pk])).content.decode()
    assert "Jalankan impor ini" in page
    assert "18 digit" in page  # the bad row's reason, with its row number
    assert "<td>4</td>" in page

    response = client.post(reverse("people:import_apply", args=[preview.pk]))
    applied = wait_finished(int(response["Location"].rstrip("/").split("/")[-1]))
    assert (applied.status, applied.dry_run, applied.created_count) == ("done", False, 2)
    assert Employee.objects.filter(full_name__startswith="Guru Baru").count() == 2
    assert applied.requested_by == pemda["admin_a"]


def _reset_producer_pools() -> None:
    # Celery caches producers per broker URL on first publish; a test that swaps the URL
    # must drop them, or later publishes would keep talking to the swapped-in broker.
    app: Any = celery_app
    app._pool = None
    app.amqp._producer_pool = None


def test_upload_while_the_broker_is_down_keeps_the_job_queued(
    client: Client, pemda: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    conf: Any = celery_app.conf
    original, old_retry = conf.get("broker_write_url"), conf.task_publish_retry
    # A real unreachable broker (nothing listens on port 1), with no publish retries. The
    # write URL, because Celery lets a CELERY_BROKER_URL environment variable beat broker_url.
    conf.broker_write_url, conf.task_publish_retry = "redis://127.0.0.1:1/0", False
    _reset_producer_pools()
    client.force_login(pemda["admin_a"])
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = upload(client, csv_bytes([row(valid_nip(sequence=51), "X", "Dinas")]))
    finally:
        conf.broker_write_url, conf.task_publish_retry = original, old_retry
        _reset_producer_pools()
    assert response.status_code == 302
    # The job waits, queued, for the sweep to send it once the broker is back
    # (tests/reliability/test_broker_down.py).
    job = EmployeeImport.objects.get()
    assert (job.status, job.failure) == ("queued", "")
    assert client.get(response["Location"]).status_code == 200
