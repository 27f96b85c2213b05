"""The upload API on S3 (moto's server over real HTTP): parts go straight to the bucket
through presigned URLs, Django only opens, lists and completes the multipart upload."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from typing import Any

import pytest
import requests
from botocore.config import Config
from django.test import Client
from django.utils import timezone

from lms.people.models import Employee, Role
from lms.people.services import role_grant
from lms.videos import uploads
from lms.videos.models import Video, VideoUpload
from tests.factories import EmployeeFactory
from tests.support import BUCKET, free_port, s3_storage

MIB = 1024 * 1024
START = "/video/unggah/"


@pytest.fixture
def ani(db: None) -> Employee:
    employee = EmployeeFactory.create(full_name="Ani Widyaiswara")
    role_grant(actor=None, employee=employee, role=Role.INSTRUCTOR, reason="uji")
    return employee


@pytest.fixture(autouse=True)
def _small_chunks(settings: Any) -> None:
    # Below S3's minimum part size: the upload must still use 5 MiB parts.
    settings.SINAU_VIDEO_CHUNK_BYTES = MIB


@pytest.fixture
def client(ani: Employee) -> Client:
    client = Client()
    client.force_login(ani)
    return client


@pytest.fixture(scope="module")
def content() -> bytes:
    return os.urandom(2 * 5 * MIB + 1234)  # three parts: 5 MiB, 5 MiB, 1234 bytes


def start(client: Client, content: bytes) -> dict[str, Any]:
    response = client.post(
        START,
        {"title": "Kuliah di S3", "filename": "Kuliah S3.mp4", "size": len(content)},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    return dict(response.json())


def send_part(url: str, content: bytes, number: int, chunk: int) -> None:
    # What the browser does: a plain PUT of the bytes to the presigned URL.
    body = content[(number - 1) * chunk : number * chunk]
    response = requests.put(
        url, data=body, headers={"Content-Type": "application/octet-stream"}, timeout=30
    )
    assert response.status_code == 200, response.text


def open_uploads(s3: Any) -> list[str]:
    return [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])]


def test_parts_go_straight_to_the_bucket_and_complete_into_the_source(
    on_s3: Any, client: Client, ani: Employee, content: bytes, django_assert_max_num_queries: Any
) -> None:
    state = start(client, content)
    assert state["mode"] == "s3"
    assert state["chunk_size"] == 5 * MIB  # S3's minimum part size
    assert state["parts_total"] == 3
    assert state["parts_done"] == []
    upload = VideoUpload.objects.get(pk=state["id"])
    assert upload.storage_key == f"videos/sources/{state['id']}/Kuliah_S3.mp4"
    assert upload.s3_upload_id in open_uploads(on_s3)

    with django_assert_max_num_queries(6):
        urls = client.get(state["chunk_url"], {"parts": "1-3"}).json()["part_urls"]
    assert set(urls) == {"1", "2", "3"}
    assert all(url.startswith(on_s3.meta.endpoint_url) for url in urls.values())
    send_part(urls["1"], content, 1, state["chunk_size"])
    send_part(urls["3"], content, 3, state["chunk_size"])

    # A reload in the middle: the server lists what the bucket holds.
    resumed = client.get(state["chunk_url"]).json()
    assert resumed["parts_done"] == [1, 3]
    assert resumed["received"] == 5 * MIB + 1234
    early = client.post(state["complete_url"])
    assert early.status_code == 409
    assert "belum lengkap" in early.json()["error"]

    fresh = client.get(state["chunk_url"], {"parts": "2"}).json()["part_urls"]
    send_part(fresh["2"], content, 2, state["chunk_size"])

    with django_assert_max_num_queries(22):
        done = client.post(state["complete_url"])
    assert done.status_code == 200, done.json()
    video = Video.objects.get(pk=done.json()["video_id"])
    assert video.status == Video.Status.QUEUED
    assert video.owner == ani
    assert video.source == upload.storage_key
    stored = on_s3.get_object(Bucket=BUCKET, Key=video.source)["Body"].read()
    assert hashlib.sha256(stored).digest() == hashlib.sha256(content).digest()
    assert upload.s3_upload_id not in open_uploads(on_s3)

    # Finishing twice gives the same video; asking for part URLs now is refused.
    assert client.post(state["complete_url"]).json()["video_id"] == video.pk
    assert Video.objects.count() == 1
    assert client.get(state["chunk_url"]).json()["received"] == len(content)
    assert client.get(state["chunk_url"], {"parts": "1"}).status_code == 200


def test_bad_part_requests_are_refused(on_s3: Any, client: Client, content: bytes) -> None:
    state = start(client, content)
    for parts in ("0-1", "2-4", "3-1", "a", "1-99999"):
        response = client.get(state["chunk_url"], {"parts": parts})
        assert response.status_code == 400, parts
        assert response.json()["error"]
    # Chunks are for local storage; on S3 the bytes never pass through Django.
    put = client.put(
        state["chunk_url"], b"abc", content_type="application/octet-stream",
        headers={"Content-Range": f"bytes 0-2/{len(content)}"},
    )  # fmt: skip
    assert put.status_code == 400
    assert "S3" in put.json()["error"]


def test_cancel_and_cleanup_abort_the_multipart_upload(
    on_s3: Any, client: Client, content: bytes
) -> None:
    cancelled = start(client, content)
    stale = start(client, content)
    fresh = start(client, content)
    assert client.delete(cancelled["chunk_url"]).status_code == 200
    VideoUpload.objects.filter(pk=stale["id"]).update(
        updated_at=timezone.now() - dt.timedelta(days=2)
    )
    assert [u.pk for u in uploads.uploads_cleanup()] == [VideoUpload.objects.get(pk=stale["id"]).pk]

    still_open = open_uploads(on_s3)
    ids = {
        key: VideoUpload.objects.get(pk=state["id"]).s3_upload_id
        for key, state in {"cancelled": cancelled, "stale": stale, "fresh": fresh}.items()
    }
    assert ids["cancelled"] not in still_open
    assert ids["stale"] not in still_open
    assert ids["fresh"] in still_open
    assert client.get(stale["chunk_url"]).status_code == 410
    assert client.post(stale["complete_url"]).status_code == 410


def test_an_unreachable_bucket_is_a_503_not_a_500(
    on_s3: Any, client: Client, content: bytes, settings: Any
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(
            f"http://127.0.0.1:{free_port()}",
            client_config=Config(retries={"max_attempts": 1}, connect_timeout=1),
        ),
    }
    response = client.post(
        START,
        {"title": "Kuliah", "filename": "kuliah.mp4", "size": len(content)},
        content_type="application/json",
    )
    assert response.status_code == 503
    assert "tidak dapat dihubungi" in response.json()["error"]
    assert not VideoUpload.objects.exists()
