"""The upload API on local storage: chunks, resume, refusals, completion, cleanup.

Requests go through the real views with the test client, as the admin's upload script
sends them: JSON to start and finish, raw bytes with Content-Range for each chunk.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import io
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lms.people.models import Employee, Role
from lms.people.services import role_grant
from lms.videos import uploads
from lms.videos.models import Video, VideoUpload
from lms.videos.storage import UPLOAD_ROOT, local_path, video_storage
from tests.factories import EmployeeFactory

START = "/video/unggah/"
KIB = 1024


def instructor(name: str = "Ani Widyaiswara") -> Employee:
    employee = EmployeeFactory.create(full_name=name)
    role_grant(actor=None, employee=employee, role=Role.INSTRUCTOR, reason="uji")
    return employee


def login(user: Employee) -> Client:
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    return client


def payload(content: bytes, **extra: Any) -> dict[str, Any]:
    return {
        "title": "Kuliah Integritas", "filename": "kuliah integritas.mp4",
        "size": len(content), "content_type": "video/mp4", **extra,
    }  # fmt: skip


def start(client: Client, data: dict[str, Any]) -> Any:
    return client.post(START, data, content_type="application/json")


def put_chunk(client: Client, url: str, content: bytes, first: int, end: int) -> Any:
    return client.put(
        url,
        content[first:end],
        content_type="application/octet-stream",
        headers={"Content-Range": f"bytes {first}-{end - 1}/{len(content)}"},
    )


def part_file(upload_id: str) -> Path:
    path = local_path(f"{UPLOAD_ROOT}/{upload_id}.part")
    assert path is not None
    return path


class DroppedLink(io.RawIOBase):
    """A request body whose connection resets after ``data``, as a WSGI server reports it."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if not self.data:
            raise ConnectionResetError("the client went away")
        piece, self.data = self.data[:size], self.data[size:]
        return piece


@pytest.fixture
def content() -> bytes:
    # Not a real video: the transcoder judges content, the upload only carries bytes.
    return os.urandom(300 * KIB + 123)


@pytest.fixture
def small_chunks(settings: Any) -> None:
    settings.SINAU_VIDEO_CHUNK_BYTES = 100 * KIB


@pytest.fixture
def ani(db: None) -> Employee:
    return instructor()


# --- the whole journey ----------------------------------------------------------------


@pytest.mark.usefixtures("small_chunks")
def test_chunked_upload_resumes_after_an_interruption_and_completes(
    ani: Employee, content: bytes, django_assert_max_num_queries: Any
) -> None:
    client = login(ani)
    with django_assert_max_num_queries(8):
        response = start(client, payload(content))
    assert response.status_code == 201, response.json()
    state = response.json()
    assert state["mode"] == "local"
    assert state["chunk_size"] == 100 * KIB
    assert state["received"] == 0
    chunk_url = state["chunk_url"]
    assert chunk_url == reverse("videos:upload_chunk", args=[state["id"]])

    with django_assert_max_num_queries(6):
        first = put_chunk(client, chunk_url, content, 0, 100 * KIB)
    assert first.status_code == 200, first.json()
    assert first.json()["received"] == 100 * KIB

    # The link drops halfway through the second chunk: the bytes that arrived are kept.
    dropped: dict[str, Any] = {"wsgi.input": DroppedLink(content[100 * KIB : 150 * KIB])}
    cut = client.put(
        chunk_url,
        content[100 * KIB : 200 * KIB],
        content_type="application/octet-stream",
        headers={"Content-Range": f"bytes {100 * KIB}-{200 * KIB - 1}/{len(content)}"},
        **dropped,
    )
    assert cut.status_code == 409
    assert cut.json()["received"] == 150 * KIB
    assert part_file(state["id"]).read_bytes() == content[: 150 * KIB]

    # After a page reload the script asks where to carry on, and does.
    with django_assert_max_num_queries(5):
        asked = client.get(chunk_url)
    assert asked.status_code == 200
    offset = asked.json()["received"]
    assert offset == 150 * KIB
    assert client.head(chunk_url).status_code == 200
    while offset < len(content):
        end = min(offset + 100 * KIB, len(content))
        response = put_chunk(client, chunk_url, content, offset, end)
        assert response.status_code == 200, response.json()
        offset = response.json()["received"]
    assert offset == len(content)

    # Constant, whatever the size: the Video row, its transcode job, the reference index.
    with django_assert_max_num_queries(22):
        done = client.post(state["complete_url"])
    assert done.status_code == 200, done.json()
    body = done.json()
    video = Video.objects.get(pk=body["video_id"])
    assert body["status"] == "queued"
    assert body["admin_url"] == reverse("wagtailsnippets_videos_video:inspect", args=[video.pk])
    assert video.status == Video.Status.QUEUED
    assert video.job_id is not None
    assert video.owner == ani
    assert video.title == "Kuliah Integritas"
    assert video.original_filename == "kuliah integritas.mp4"
    assert video.size_bytes == len(content)
    assert video.source == f"videos/sources/{state['id']}/kuliah_integritas.mp4"
    with video_storage().open(video.source, "rb") as stored:
        assert hashlib.sha256(stored.read()).digest() == hashlib.sha256(content).digest()
    assert not part_file(state["id"]).exists()  # moved, not copied

    upload = VideoUpload.objects.get(pk=state["id"])
    assert upload.status == VideoUpload.Status.COMPLETE
    assert upload.video == video
    assert upload.received_bytes == len(content)

    # A retried "finish" (the answer was lost) gives the same video, not a second one.
    again = client.post(state["complete_url"])
    assert again.status_code == 200
    assert again.json()["video_id"] == video.pk
    assert Video.objects.count() == 1
    # And a late chunk changes nothing.
    late = put_chunk(client, chunk_url, content, 0, 100 * KIB)
    assert late.status_code == 409
    assert late.json()["received"] == len(content)
    assert client.get(chunk_url).json()["video_id"] == video.pk


def test_one_chunk_upload_by_a_superuser(pemda: dict[str, Any], content: bytes) -> None:
    client = login(pemda["superuser"])
    state = start(client, payload(content, title="  Satu potong  ")).json()
    assert put_chunk(client, state["chunk_url"], content, 0, len(content)).status_code == 200
    done = client.post(state["complete_url"]).json()
    video = Video.objects.get(pk=done["video_id"])
    assert done["admin_url"] == reverse("wagtailsnippets_videos_video:edit", args=[video.pk])
    assert video.title == "Satu potong"
    with video_storage().open(video.source, "rb") as stored:
        assert stored.read() == content


# --- refusals: a clear message, nothing changes ---------------------------------------


@pytest.mark.usefixtures("small_chunks")
def test_a_chunk_at_the_wrong_offset_is_refused_and_changes_nothing(
    ani: Employee, content: bytes
) -> None:
    client = login(ani)
    state = start(client, payload(content)).json()
    put_chunk(client, state["chunk_url"], content, 0, 100 * KIB)
    before = part_file(state["id"]).read_bytes()

    for first in (0, 50 * KIB, 200 * KIB):
        response = put_chunk(client, state["chunk_url"], content, first, first + 100 * KIB)
        assert response.status_code == 409
        body = response.json()
        assert body["received"] == 100 * KIB
        assert "Lanjutkan dari byte 102400" in body["error"]
    assert part_file(state["id"]).read_bytes() == before
    assert VideoUpload.objects.get(pk=state["id"]).received_bytes == 100 * KIB


def test_a_chunk_racing_another_is_refused_until_that_one_is_written(
    ani: Employee, content: bytes
) -> None:
    client = login(ani)
    state = start(client, payload(content)).json()
    # Another request (a retry racing its original) is writing this upload's part file.
    with open(part_file(state["id"]), "ab") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX)
        busy = put_chunk(client, state["chunk_url"], content, 0, 1000)
        assert busy.status_code == 409
        assert "sedang ditulis" in busy.json()["error"]
        assert busy.json()["received"] == 0
    assert put_chunk(client, state["chunk_url"], content, 0, 1000).status_code == 200


@pytest.mark.usefixtures("small_chunks")
def test_a_malformed_chunk_is_refused_with_a_message(ani: Employee, content: bytes) -> None:
    client = login(ani)
    state = start(client, payload(content)).json()
    url = state["chunk_url"]
    total = len(content)
    cases = [
        ({}, content[:10], "Content-Range tidak valid"),
        ({"Content-Range": "bytes=0-9/10"}, content[:10], "Content-Range tidak valid"),
        ({"Content-Range": f"bytes 0-9/{total + 1}"}, content[:10], "tidak sama dengan ukuran"),
        ({"Content-Range": f"bytes 9-0/{total}"}, content[:10], "Rentang byte"),
        ({"Content-Range": f"bytes 0-{total}/{total}"}, content, "Rentang byte"),
        ({"Content-Range": f"bytes 0-19/{total}"}, content[:10], "Panjang isi"),
        ({"Content-Range": f"bytes 0-{200 * KIB - 1}/{total}"}, content[: 200 * KIB], "terlalu"),
    ]
    for headers, body, message in cases:
        response = client.put(url, body, content_type="application/octet-stream", headers=headers)
        assert response.status_code == 400, headers
        assert message in response.json()["error"], (headers, response.json())
    assert part_file(state["id"]).stat().st_size == 0
    assert client.patch(url).status_code == 405


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "Judul video wajib diisi."),
        ({"title": "x" * 256}, "paling panjang 255"),
        ({"filename": None}, "Nama berkas wajib diisi."),
        ({"size": 0}, "kosong"),
        ({"size": "100"}, "Ukuran berkas wajib diisi"),
        ({"size": True}, "Ukuran berkas wajib diisi"),
        ({"size": 5 * 1024**3}, "terlalu besar"),
        ({"filename": "materi.pdf", "content_type": "application/pdf"}, "bukan berkas video"),
        ({"filename": "rekaman", "content_type": ""}, "bukan berkas video"),
    ],
)
def test_bad_start_requests_get_a_message_and_make_nothing(
    ani: Employee, settings: Any, change: dict[str, Any], message: str
) -> None:
    settings.SINAU_VIDEO_MAX_BYTES = 4 * 1024**3
    response = start(login(ani), {**payload(b"x" * 1000), **change})
    assert response.status_code == 400
    assert message in response.json()["error"], response.json()
    assert not VideoUpload.objects.exists()


def test_video_content_types_and_names_are_accepted(ani: Employee) -> None:
    client = login(ani)
    for filename, content_type in [
        ("rekaman.MOV", ""),
        ("rekaman hp.3gp", "video/3gpp"),
        ("tanpa-ekstensi", "video/webm"),
        ("rekaman.mkv", "application/octet-stream"),
    ]:
        data = payload(b"x" * 10, filename=filename, content_type=content_type)
        assert start(client, data).status_code == 201, filename


def test_start_needs_json(ani: Employee) -> None:
    client = login(ani)
    for body, content_type in [(b"title=x", "application/x-www-form-urlencoded"), (b"[1]", "")]:
        response = client.post(START, body, content_type=content_type or "application/json")
        assert response.status_code == 400
        assert "JSON" in response.json()["error"]
    assert client.get(START).status_code == 405


def test_a_full_disk_is_refused_before_any_byte_travels(ani: Employee, settings: Any) -> None:
    settings.SINAU_VIDEO_MAX_BYTES = 10**18
    response = start(login(ani), payload(b"", size=10**17))
    assert response.status_code == 507
    assert "Ruang penyimpanan server tidak cukup" in response.json()["error"]
    assert not VideoUpload.objects.exists()


def test_finishing_early_is_refused_with_the_offset(ani: Employee, content: bytes) -> None:
    client = login(ani)
    state = start(client, payload(content)).json()
    put_chunk(client, state["chunk_url"], content, 0, 1000)
    response = client.post(state["complete_url"])
    assert response.status_code == 409
    assert response.json()["received"] == 1000
    assert "belum lengkap" in response.json()["error"]
    assert not Video.objects.exists()
    assert VideoUpload.objects.get(pk=state["id"]).status == VideoUpload.Status.OPEN


# --- who may -------------------------------------------------------------------------------


def test_only_the_uploader_sees_an_upload(pemda: dict[str, Any], content: bytes) -> None:
    ani, budi = instructor("Ani"), instructor("Budi")
    state = start(login(ani), payload(content)).json()
    other = login(budi)
    superuser = login(pemda["superuser"])
    for client in (other, superuser):
        assert client.get(state["chunk_url"]).status_code == 404
        assert put_chunk(client, state["chunk_url"], content, 0, 100).status_code == 404
        assert client.delete(state["chunk_url"]).status_code == 404
        response = client.post(state["complete_url"])
        assert response.status_code == 404
        assert response.json()["error"] == "Unggahan tidak ditemukan."
    assert part_file(state["id"]).stat().st_size == 0
    missing = reverse("videos:upload_chunk", args=[uuid.uuid4()])
    assert login(ani).get(missing).status_code == 404


def test_anonymous_and_learners_cannot_upload(pemda: dict[str, Any], content: bytes) -> None:
    state = start(login(instructor()), payload(content)).json()
    anonymous = Client()
    learner = login(pemda["learner"])
    auditor = login(pemda["auditor"])
    for client, message in [
        (anonymous, "silakan masuk"),
        (learner, "tidak berhak"),
        (auditor, "tidak berhak"),
    ]:
        response = start(client, payload(content))
        assert response.status_code == 403
        assert message in response.json()["error"]
        assert client.get(state["chunk_url"]).status_code == 403
        assert put_chunk(client, state["chunk_url"], content, 0, 100).status_code == 403
        assert client.post(state["complete_url"]).status_code == 403
    assert VideoUpload.objects.count() == 1


def test_the_api_needs_the_csrf_token(ani: Employee, content: bytes) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(ani)
    assert start(client, payload(content)).status_code == 403
    assert not VideoUpload.objects.exists()


# --- cancel and cleanup ---------------------------------------------------------------------


def test_cancel_removes_the_part_file(ani: Employee, content: bytes) -> None:
    client = login(ani)
    state = start(client, payload(content)).json()
    put_chunk(client, state["chunk_url"], content, 0, 1000)
    assert client.delete(state["chunk_url"]).json() == {"status": "abandoned"}
    assert not part_file(state["id"]).exists()
    assert VideoUpload.objects.get(pk=state["id"]).status == VideoUpload.Status.ABANDONED
    gone = put_chunk(client, state["chunk_url"], content, 1000, 2000)
    assert gone.status_code == 410
    assert "dibatalkan" in gone.json()["error"]
    assert client.get(state["chunk_url"]).status_code == 410
    assert client.post(state["complete_url"]).status_code == 410
    assert client.delete(state["chunk_url"]).status_code == 200  # already gone: no harm


def test_cleanup_removes_uploads_idle_for_a_day(ani: Employee, content: bytes) -> None:
    client = login(ani)
    stale = start(client, payload(content, title="Lama")).json()
    fresh = start(client, payload(content, title="Baru")).json()
    finished = start(client, payload(content, title="Selesai")).json()
    put_chunk(client, finished["chunk_url"], content, 0, len(content))
    client.post(finished["complete_url"])
    day_ago = timezone.now() - dt.timedelta(hours=25)
    VideoUpload.objects.filter(pk__in=[stale["id"], finished["id"]]).update(updated_at=day_ago)

    out = io.StringIO()
    call_command("videos_upload_cleanup", stdout=out)
    assert "1 unfinished upload(s) removed" in out.getvalue()
    assert VideoUpload.objects.get(pk=stale["id"]).status == VideoUpload.Status.ABANDONED
    assert not part_file(stale["id"]).exists()
    assert VideoUpload.objects.get(pk=fresh["id"]).status == VideoUpload.Status.OPEN
    assert part_file(fresh["id"]).exists()
    assert VideoUpload.objects.get(pk=finished["id"]).status == VideoUpload.Status.COMPLETE
    video = Video.objects.get()
    assert video_storage().exists(video.source)
    # Running it again finds nothing more.
    assert uploads.uploads_cleanup() == []


# --- small pieces ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("Kuliah 1 (final).MP4", "Kuliah_1_final.mp4"),
        ("Pelatihan – bab 1.mov", "Pelatihan__bab_1.mov"),
        ("C:\\Users\\ani\\Video\\rekaman.mkv", "rekaman.mkv"),
        ("../../etc/passwd", "passwd.bin"),
        ("....mp4", "video.mp4"),
        ("日本語.webm", "video.webm"),
    ],
)
def test_safe_filename(name: str, safe: str) -> None:
    assert uploads.safe_filename(name) == safe


def test_s3_chunk_size_respects_the_minimum_part_and_the_part_count(settings: Any) -> None:
    settings.SINAU_VIDEO_CHUNK_BYTES = 1024
    assert uploads.upload_chunk_size(size_bytes=10, mode="s3") == 5 * 1024 * 1024
    big = 100 * 1024**3
    chunk = uploads.upload_chunk_size(size_bytes=big, mode="s3")
    assert chunk % (1024 * 1024) == 0
    assert big / chunk <= 10_000
