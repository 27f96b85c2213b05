"""With S3 settings, files go to S3-compatible storage (moto's server on loopback, not a mock)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from django.core.files.base import ContentFile
from django.test import Client

from lms.people.models import Employee, EmployeeImport
from lms.people.services import employee_import_run
from tests.factories import valid_nip
from tests.people.test_import import csv_bytes, row

BUCKET = "sinau-media"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - moto from our own venv
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


def s3_storage(endpoint: str) -> dict[str, Any]:
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BUCKET, "endpoint_url": endpoint, "region_name": "us-east-1",
            "access_key": "test", "secret_key": "test", "addressing_style": "path",
            "default_acl": None, "file_overwrite": False,
        },
    }  # fmt: skip


@pytest.fixture
def on_s3(s3_endpoint: str, settings: Any) -> Any:
    client = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(s3_endpoint)}
    return client


@pytest.mark.django_db
def test_import_file_is_stored_on_s3_and_read_back_by_the_job(on_s3: Any) -> None:
    job = EmployeeImport(original_name="pegawai.csv", dry_run=False)
    data = csv_bytes([row(valid_nip(sequence=61), "Sari S3", "Dinas Kominfo")])
    job.file.save("pegawai.csv", ContentFile(data))
    stored = on_s3.get_object(Bucket=BUCKET, Key=job.file.name)["Body"].read()
    assert stored == data
    done = employee_import_run(job_id=job.pk)
    assert done is not None
    assert (done.status, done.created_count) == ("done", 1)
    assert Employee.objects.filter(full_name="Sari S3").exists()


def test_healthz_checks_s3(client: Client, db: None, on_s3: Any, settings: Any) -> None:
    assert client.get("/healthz").json()["checks"]["storage"]["ok"] is True
    # An endpoint where nothing listens: the probe reports it.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(f"http://127.0.0.1:{_free_port()}"),
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["ok"] is False
