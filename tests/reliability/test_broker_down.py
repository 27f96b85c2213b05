"""The broker is down while people upload: the upload of a video and of an employee file
still succeeds (the row saved, queued); once a broker is back, the beat sweeps send the
waiting work and a real worker does it. The broker that is down is a real unreachable one
(nothing listens on port 1), not a patched client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from lms.celery import app as celery_app
from lms.people.models import Employee, EmployeeImport
from lms.people.tasks import employee_imports_sweep
from lms.videos.models import Video
from lms.videos.storage import video_storage
from lms.videos.tasks import videos_sweep
from tests.factories import valid_nip
from tests.people.test_import import csv_bytes, row
from tests.reliability.conftest import BROKER_URL, Worker, send, wait_for
from tests.videos.clips import make_clip
from tests.videos.test_upload import payload, put_chunk, start

pytestmark = pytest.mark.django_db(transaction=True)


def point_producers_at(url: str | None) -> None:
    """Where this process publishes: ``broker_write_url`` (a CELERY_BROKER_URL variable
    beats broker_url), with the producer pools dropped (Celery caches them per URL)."""
    conf: Any = celery_app.conf
    conf.broker_write_url = url
    app: Any = celery_app
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down() -> Iterator[Callable[[], None]]:
    """The broker is unreachable until the test calls the fixture's value."""
    conf: Any = celery_app.conf
    original, retry = conf.get("broker_write_url"), conf.task_publish_retry
    conf.task_publish_retry = False
    point_producers_at("redis://127.0.0.1:1/0")
    try:
        yield lambda: point_producers_at(BROKER_URL)
    finally:
        conf.task_publish_retry = retry
        point_producers_at(original)


def test_uploads_are_accepted_with_the_broker_down_and_done_once_it_is_back(
    pemda: dict[str, Any],
    broker_down: Callable[[], None],
    workers: Callable[..., Worker],
    tmp_path: Path,
) -> None:
    from tests.conftest import ensure_wagtail_root

    ensure_wagtail_root()
    # A video, through the upload API as the admin's script sends it.
    # BKPSDM's superuser uploads both: a transactional test may run after another one's
    # flush took the role groups' permissions (migration data) away.
    uploader = Client()
    uploader.force_login(pemda["superuser"])
    content = make_clip(tmp_path / "kuliah.mp4", width=320, height=240, seconds=1).read_bytes()
    state = start(uploader, payload(content)).json()
    assert put_chunk(uploader, state["chunk_url"], content, 0, len(content)).status_code == 200
    response = uploader.post(state["complete_url"])
    assert response.status_code == 200, response.content
    video = Video.objects.get(pk=response.json()["video_id"])
    assert video.status == Video.Status.QUEUED
    assert video.queued_at is None  # not on any broker yet: the sweep's to send
    assert video_storage().exists(video.source)
    # An employee file, through the import page.
    admin = Client()
    admin.force_login(pemda["superuser"])
    nip = valid_nip(sequence=71)
    response = admin.post(
        reverse("people:import_new"),
        {"file": SimpleUploadedFile(
            "pegawai.csv", csv_bytes([row(nip, "Pegawai Antre", "Dinas Pendidikan > Bidang SD")]),
            content_type="text/csv",
        )},
    )  # fmt: skip
    assert response.status_code == 302
    job = EmployeeImport.objects.get()
    assert job.status == EmployeeImport.Status.QUEUED
    assert admin.get(response["Location"]).status_code == 200

    # The broker is back; a worker runs; beat's sweeps come round.
    broker_back = broker_down
    broker_back()
    workers("default,transcode", SINAU_X264_PRESET="ultrafast", SINAU_IMPORT_REQUEUE_AFTER="0")
    send(videos_sweep, (), "default")
    send(employee_imports_sweep, (), "default")

    def done() -> bool:
        video.refresh_from_db()
        job.refresh_from_db()
        return video.status == Video.Status.READY and job.is_finished

    wait_for(done, 90, "the queued work to be done")
    assert job.status == EmployeeImport.Status.DONE
    assert Employee.objects.get(nip=nip).full_name == "Pegawai Antre"
    assert video.renditions.count() >= 1
    assert video.attempts == 1
