"""With S3 settings, files go to S3-compatible storage (moto's server on loopback, not a mock)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from lms.people.models import Employee, EmployeeImport
from lms.people.services import employee_import_run
from tests.factories import valid_nip
from tests.people.test_import import csv_bytes, row
from tests.support import BUCKET, free_port, s3_storage


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
        "default": s3_storage(f"http://127.0.0.1:{free_port()}"),
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["ok"] is False
