"""A worker killed mid-job (SIGKILL to its whole process group: an OOM kill, a node lost)
and a new one started: the job finishes, and exactly once. Real Celery workers on Redis
(acks_late, a short visibility timeout so the unacknowledged message comes back within
seconds), real PostgreSQL, real ffmpeg. To be sure the kill lands mid-job, the import and
the certificate are held on a row lock the test takes; the transcode is caught while its
ffmpeg runs."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from lms.certificates.models import Certificate, CertificateSequence
from lms.certificates.tasks import certificate_issue_task
from lms.learning import services as learning
from lms.learning.models import JPEntry
from lms.people.models import Employee, EmployeeImport
from lms.people.tasks import employee_import_run_task
from lms.videos.models import Video
from lms.videos.storage import HLS_ROOT, video_storage
from lms.videos.tasks import transcode
from tests.factories import EmployeeFactory, valid_nip
from tests.people.test_import import csv_bytes, row
from tests.reliability.conftest import Worker, row_locked, send, wait_for
from tests.videos.clips import make_clip
from tests.videos.conftest import store_source
from tests.videos.test_worker import ffmpeg_running_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    from tests.conftest import on_postgres

    if not on_postgres():
        pytest.skip("PostgreSQL: the test holds a row lock to catch the task mid-way")


def queue_name(kind: str) -> str:
    return f"rel-{kind}-{uuid.uuid4().hex[:8]}"


def test_transcode_killed_mid_job_gives_one_ladder(
    workers: Callable[..., Worker], tmp_path: Path
) -> None:
    from tests.conftest import ensure_wagtail_root

    ensure_wagtail_root()
    video = store_source(make_clip(tmp_path / "kuliah.mp4", width=854, height=480, seconds=12))
    queue = queue_name("transcode")
    first = workers(queue, SINAU_X264_PRESET="ultrafast")
    send(transcode, (video.pk, str(video.job_id)), queue)

    def transcoding() -> bool:
        video.refresh_from_db()
        return video.status == Video.Status.TRANSCODING and bool(ffmpeg_running_for(video))

    wait_for(transcoding, 60, "ffmpeg to run")
    first.kill()  # the worker and its ffmpeg, at once
    assert ffmpeg_running_for(video) == []
    workers(queue, SINAU_X264_PRESET="ultrafast")

    def finished() -> bool:
        video.refresh_from_db()
        return video.status in (Video.Status.READY, Video.Status.FAILED)

    wait_for(finished, 90, "the redelivered transcode to finish")
    assert video.status == Video.Status.READY, video.failure_reason
    assert video.attempts == 2  # the killed run, the one that finished
    # Exactly once: one ladder, one job folder in storage, no ffmpeg left over.
    assert list(video.renditions.values_list("height", flat=True)) == [240, 360, 480]
    folders, _files = video_storage().listdir(f"{HLS_ROOT}/{video.pk}/")
    assert folders == [video.hls_prefix.rstrip("/").rsplit("/", 1)[1]]
    assert ffmpeg_running_for(video) == []


def test_import_killed_mid_write_applies_its_rows_once(
    pemda: dict[str, Any], workers: Callable[..., Worker]
) -> None:
    existing = EmployeeFactory.create(org_unit=pemda["unit_a"], full_name="Nama Lama")
    new_nips = [valid_nip(sequence=60 + i) for i in range(3)]
    rows = [row(nip, f"Pegawai Baru {i}", "Dinas Pendidikan > Bidang SD")
            for i, nip in enumerate(new_nips)]  # fmt: skip
    rows.append(row(existing.nip, "Nama Baru", "Dinas Pendidikan > Bidang SD"))
    job = EmployeeImport(original_name="pegawai.csv", dry_run=False, requested_by=None)
    job.file.save("pegawai.csv", ContentFile(csv_bytes(rows)), save=False)
    job.save()
    before = Employee.objects.count()
    queue = queue_name("import")
    first = workers(queue)
    # The import waits on the existing employee's row, its other rows already written
    # inside its transaction; then its worker dies.
    with row_locked("people_employee", "id = %s", (existing.pk,)) as someone_waits:
        send(employee_import_run_task, (job.pk,), queue)
        wait_for(someone_waits, 60, "the import to reach the locked row")
        job.refresh_from_db()
        assert job.status == EmployeeImport.Status.RUNNING
        first.kill()
    workers(queue)

    def finished() -> bool:
        job.refresh_from_db()
        return job.is_finished

    wait_for(finished, 60, "the redelivered import to finish")
    assert job.status == EmployeeImport.Status.DONE, job.failure
    # Every row once: three new employees, one renamed; the result says so.
    assert Employee.objects.count() == before + 3
    assert Employee.objects.filter(nip__in=new_nips).count() == 3
    existing.refresh_from_db()
    assert existing.full_name == "Nama Baru"
    assert (job.created_count, job.updated_count, job.error_count) == (3, 1, 0)


def test_certificate_issue_killed_mid_job_issues_one_certificate(
    pemda: dict[str, Any], course_with: Callable[..., Any], workers: Callable[..., Worker]
) -> None:
    course = course_with([("text", "<p>Bacaan</p>")], title="Kursus Sertifikat")
    learner = pemda["learner"]
    enrolment = learning.enrolment_complete(
        enrolment=learning.enrolment_request(actor=learner, course=course), actor=None
    )
    year = timezone.localdate().year
    CertificateSequence.objects.get_or_create(year=year, defaults={"last": 0})
    queue = queue_name("certificate")
    first = workers(queue)
    # The issue waits for the year's number, the enrolment already locked; its worker dies.
    with row_locked("certificates_certificatesequence", "year = %s", (year,)) as someone_waits:
        send(certificate_issue_task, (enrolment.pk,), queue)
        wait_for(someone_waits, 60, "the issue to wait for its number")
        first.kill()
    assert not Certificate.objects.exists()
    workers(queue)

    def rendered() -> Certificate | None:
        return Certificate.objects.filter(enrolment=enrolment, rendered_at__isnull=False).first()

    certificate = wait_for(rendered, 60, "the redelivered issue to finish")
    # One certificate, the year's first number (the killed run's number was given back),
    # its PDF in storage, and the course's JP in the ledger once.
    assert Certificate.objects.count() == 1
    assert certificate.sequence == 1
    assert CertificateSequence.objects.get(year=year).last == 1
    assert certificate.pdf.storage.exists(certificate.pdf.name)
    assert certificate.pdf.storage.listdir(str(Path(certificate.pdf.name).parent))[1] == [
        Path(certificate.pdf.name).name
    ]
    entries = JPEntry.objects.filter(employee=learner, source_id=enrolment.pk)
    assert entries.count() == 1
    assert entries.get().jp == course.jp_credited
    assert certificate.issued_at > timezone.now() - dt.timedelta(minutes=5)
