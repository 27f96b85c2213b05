"""A full media disk: MEDIA_ROOT is a real 1 MiB filesystem (tmpfs, mounted for the test).
An upload bigger than the free space gets a clear message, not a 500, and leaves nothing
behind: no row, no half-written file."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from lms.learning.models import ExternalTraining
from lms.people.models import EmployeeImport
from lms.videos.models import Video, VideoUpload
from tests.learning.test_external import PDF, form_data
from tests.people.test_import import HEADER
from tests.videos.test_upload import instructor, payload, put_chunk, start

FULL = "Ruang penyimpanan server penuh"


@pytest.fixture
def small_disk(settings: Any) -> Iterator[Path]:
    """MEDIA_ROOT (the test's own folder) with a 1 MiB tmpfs mounted on it."""
    media = Path(settings.MEDIA_ROOT)
    mounted = subprocess.run(  # noqa: S603 - fixed arguments
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(media)],  # noqa: S607
        capture_output=True, text=True,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {mounted.stderr.strip()}")
    try:
        yield media
    finally:
        subprocess.run(["umount", "-l", str(media)], check=False)  # noqa: S603, S607


def files_in(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def client_for(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_an_employee_file_bigger_than_the_free_space(
    pemda: dict[str, Any], small_disk: Path
) -> None:
    line = ",".join(["199001012015031001", "Nama Panjang Sekali"] + [""] * (len(HEADER) - 2))
    data = (",".join(HEADER) + "\n" + (line + "\n") * 30_000).encode()
    assert len(data) > 1024 * 1024
    response = client_for(pemda["admin_a"]).post(
        reverse("people:import_new"),
        {"file": SimpleUploadedFile("pegawai.csv", data, content_type="text/csv")},
    )
    assert response.status_code == 200
    assert FULL in response.content.decode()
    assert not EmployeeImport.objects.exists()
    assert files_in(small_disk) == []


def test_evidence_bigger_than_the_free_space(
    pemda: dict[str, Any], small_disk: Path, seminar: Any
) -> None:
    evidence = SimpleUploadedFile(
        "sertifikat.pdf", PDF + b"0" * (1536 * 1024), content_type="application/pdf"
    )
    response = client_for(pemda["learner"]).post(
        reverse("learning:external_create"), form_data(seminar, evidence=evidence)
    )
    assert response.status_code == 200
    assert FULL in response.content.decode()
    assert not ExternalTraining.objects.exists()
    assert files_in(small_disk) == []


def test_a_video_bigger_than_the_free_space_is_refused_at_the_start(
    db: None, small_disk: Path
) -> None:
    client = client_for(instructor())
    response = start(client, payload(b"", size=2 * 1024 * 1024))
    assert response.status_code == 507
    assert "Ruang penyimpanan server tidak cukup" in response.json()["error"]
    assert not VideoUpload.objects.exists()
    assert files_in(small_disk) == []


def test_a_disk_that_fills_during_a_video_upload(db: None, small_disk: Path) -> None:
    """Someone else fills the disk between the start and the chunk: the chunk is refused
    with the reason; what arrived is kept and counted, so the upload resumes later."""
    content = os.urandom(600 * 1024)
    client = client_for(instructor())
    state = start(client, payload(content)).json()
    filler = small_disk / "filler.bin"
    with filler.open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC  # noqa: PT017 - the disk is full now
    response = put_chunk(client, state["chunk_url"], content, 0, len(content))
    assert response.status_code == 507
    assert FULL in response.json()["error"]
    upload = VideoUpload.objects.get()
    assert upload.status == VideoUpload.Status.OPEN
    part = next(p for p in small_disk.rglob("*.part"))
    assert upload.received_bytes == part.stat().st_size < len(content)
    assert not Video.objects.exists()
    # Space again: the upload resumes from what the server has and completes.
    filler.unlink()
    received = upload.received_bytes
    assert put_chunk(client, state["chunk_url"], content, received, len(content)).status_code == 200
    assert client.post(state["complete_url"]).status_code == 200
    video = Video.objects.get()
    assert video.size_bytes == len(content)
