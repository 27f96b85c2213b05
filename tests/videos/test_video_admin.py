"""Videos in the Wagtail admin: the listing, the upload page, "Proses ulang", the chooser."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from django.test import Client
from django.urls import reverse

from lms.people.models import Employee, Role
from lms.people.services import role_grant
from lms.videos.models import Rendition, Video, VideoUpload
from tests.factories import EmployeeFactory

LIST = reverse("wagtailsnippets_videos_video:list")
UPLOAD = reverse("wagtailsnippets_videos_video:add")
CHOOSER = "/admin/snippets/choose/videos/video/"
ADMIN_HOME = "/admin/"


def reprocess_url(video: Video) -> str:
    return reverse("wagtailsnippets_videos_video:reprocess", args=[video.pk])


def instructor(name: str) -> Employee:
    employee = EmployeeFactory.create(full_name=name)
    role_grant(actor=None, employee=employee, role=Role.INSTRUCTOR, reason="uji")
    return employee


def login(user: Employee) -> Client:
    client = Client()
    client.force_login(user)
    return client


def denied(response: Any) -> bool:
    """Wagtail answers a page the user may not see with a redirect to the admin home."""
    return response.status_code == 302 and response["Location"] == ADMIN_HOME


def make_video(owner: Employee | None, title: str, **fields: Any) -> Video:
    defaults: dict[str, Any] = {"source": f"videos/sources/{uuid.uuid4()}/v.mp4"}
    return Video.objects.create(owner=owner, title=title, **{**defaults, **fields})


def ladder(video: Video, *heights: int) -> None:
    for height in heights:
        Rendition.objects.create(
            video=video, height=height, width=height * 16 // 9, bitrate=height * 2000,
            playlist_path=f"videos/hls/{video.pk}/x/{height}p/index.m3u8",
        )  # fmt: skip


def rows(html: bytes) -> dict[str, str]:
    """Title -> the row's text, whitespace squeezed."""
    soup = BeautifulSoup(html, "html.parser")
    found = {}
    for row in soup.select("table.listing tbody tr"):
        cells = [" ".join(td.get_text(" ", strip=True).split()) for td in row.find_all("td")]
        title = next(c for c in cells if c)
        found[title.split(" ")[0]] = " | ".join(cells)
    return found


@pytest.fixture
def ani(db: None) -> Employee:
    return instructor("Ani Widyaiswara")


@pytest.fixture
def videos(ani: Employee, pemda: dict[str, Any]) -> dict[str, Video]:
    ready = make_video(ani, "Siap", status=Video.Status.READY, duration_seconds=754.4)
    ladder(ready, 240, 360, 480, 720)
    busy = make_video(
        ani, "Proses", status=Video.Status.TRANSCODING, progress_percent=42,
        hls_prefix="videos/hls/x/old/",
    )  # fmt: skip
    ladder(busy, 360)
    broken = make_video(
        pemda["superuser"], "Rusak", status=Video.Status.FAILED,
        failure_reason="Berkas ini tidak berisi gambar video yang dapat dibaca.",
    )  # fmt: skip
    long = make_video(None, "Panjang", status=Video.Status.QUEUED, duration_seconds=3725)
    return {"ready": ready, "busy": busy, "broken": broken, "long": long}


# --- the listing --------------------------------------------------------------------------


def test_listing_shows_each_videos_state(
    pemda: dict[str, Any], videos: dict[str, Video], django_assert_max_num_queries: Any
) -> None:
    client = login(pemda["superuser"])
    client.get(LIST)  # warm per-process caches (content types, site root)
    with django_assert_max_num_queries(20):
        response = client.get(LIST)
    assert response.status_code == 200
    found = rows(response.content)
    assert set(found) == {"Siap", "Proses", "Rusak", "Panjang"}
    assert "Siap" in found["Siap"]
    assert "12:34" in found["Siap"]
    assert "240p–720p" in found["Siap"]
    assert "Ani Widyaiswara" in found["Siap"]
    assert "Diproses 42%" in found["Proses"]
    assert "Versi sebelumnya tetap diputar." in found["Proses"]
    assert "360p" in found["Proses"]
    assert "Gagal Berkas ini tidak berisi gambar video yang dapat dibaca." in found["Rusak"]
    assert "1:02:05" in found["Panjang"]
    assert "Menunggu" in found["Panjang"]

    # More videos, same number of queries: rungs and owners are fetched once per page.
    for i in range(12):
        video = make_video(pemda["superuser"], f"Tambahan{i}", status=Video.Status.READY)
        ladder(video, 240, 360)
    with django_assert_max_num_queries(20):
        assert client.get(LIST).status_code == 200

    upload_button = BeautifulSoup(response.content, "html.parser").find("a", href=UPLOAD)
    assert upload_button is not None
    assert "Unggah video" in upload_button.get_text()


def test_listing_filters_and_searches(pemda: dict[str, Any], videos: dict[str, Video]) -> None:
    client = login(pemda["superuser"])
    assert set(rows(client.get(LIST, {"status": "failed"}).content)) == {"Rusak"}
    assert set(rows(client.get(LIST, {"q": "panj"}).content)) == {"Panjang"}
    assert client.get(LIST, {"ordering": "-duration_seconds"}).status_code == 200


def test_instructors_list_videos_and_reprocess_only_their_own(
    ani: Employee, videos: dict[str, Video]
) -> None:
    client = login(ani)
    response = client.get(LIST)
    assert response.status_code == 200
    assert reprocess_url(videos["ready"]).encode() in response.content
    assert reprocess_url(videos["broken"]).encode() not in response.content
    inspect = reverse("wagtailsnippets_videos_video:inspect", args=[videos["broken"].pk])
    assert client.get(inspect).status_code == 200
    # Renaming and deleting stay with editors who hold "change video" / "delete video".
    edit = reverse("wagtailsnippets_videos_video:edit", args=[videos["ready"].pk])
    assert denied(client.get(edit))


def test_editor_renames_a_video(pemda: dict[str, Any], videos: dict[str, Video]) -> None:
    client = login(pemda["superuser"])
    edit = reverse("wagtailsnippets_videos_video:edit", args=[videos["ready"].pk])
    assert client.get(edit).status_code == 200
    assert client.post(edit, {"title": "Siap tayang"}).status_code == 302
    videos["ready"].refresh_from_db()
    assert videos["ready"].title == "Siap tayang"
    assert videos["ready"].status == Video.Status.READY  # nothing else moved


def test_learners_do_not_see_the_video_admin(
    pemda: dict[str, Any], videos: dict[str, Video]
) -> None:
    learner = login(pemda["learner"])
    for url in (LIST, UPLOAD, reprocess_url(videos["ready"]), CHOOSER):
        assert learner.get(url).status_code == 302, url
        assert "/admin/login/" in learner.get(url)["Location"], url
    assert Client().get(LIST).status_code == 302


# --- the upload page ----------------------------------------------------------------------


def test_upload_page_for_an_instructor(ani: Employee, django_assert_max_num_queries: Any) -> None:
    VideoUpload.objects.create(
        owner=ani, title="Setengah jalan", filename="kuliah.mp4", size_bytes=10 * 1024**2,
        received_bytes=5 * 1024**2, storage_key="videos/uploads/x.part",
    )  # fmt: skip
    client = login(ani)
    client.get(UPLOAD)
    with django_assert_max_num_queries(15):
        response = client.get(UPLOAD)
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    form = soup.find("form", attrs={"data-video-upload": True})
    assert isinstance(form, Tag)
    assert form["data-start-url"] == "/video/unggah/"
    assert form.find("input", attrs={"name": "csrfmiddlewaretoken"}) is not None
    file_input = form.find("input", attrs={"type": "file"})
    assert isinstance(file_input, Tag)
    assert ".mp4" in str(file_input["accept"])
    assert form.find("progress") is not None
    assert soup.find("script", src="/static/js/video-upload.js") is not None
    texts = soup.find("script", id="video-upload-text")
    assert isinstance(texts, Tag)
    assert texts["type"] == "application/json"
    assert not [s for s in soup.find_all("script") if s.string and not s.get("type")], "inline JS"
    text = soup.get_text(" ", strip=True)
    assert "Unggahan yang belum selesai" in text
    assert "Setengah jalan" in text
    assert "connect-src 'self'" in response["Content-Security-Policy"]


def test_upload_page_on_s3_lets_the_browser_reach_the_bucket(
    on_s3: Any, pemda: dict[str, Any]
) -> None:
    response = login(pemda["superuser"]).get(UPLOAD)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    connect = next(d for d in policy.split(";") if d.strip().startswith("connect-src"))
    assert on_s3.meta.endpoint_url in connect
    # Only this page: the rest of the admin keeps connect-src 'self'.
    other = login(pemda["superuser"]).get(LIST)["Content-Security-Policy"]
    assert on_s3.meta.endpoint_url not in other


def test_upload_page_needs_add_video(pemda: dict[str, Any]) -> None:
    # The auditor reaches the admin but holds no video permission.
    assert denied(login(pemda["auditor"]).get(UPLOAD))


# --- "Proses ulang" -----------------------------------------------------------------------


def test_reprocess_queues_a_fresh_transcode(
    ani: Employee, videos: dict[str, Video], django_assert_max_num_queries: Any
) -> None:
    video = videos["ready"]
    client = login(ani)
    page = client.get(reprocess_url(video))
    assert page.status_code == 200
    assert "Ya, proses ulang" in page.content.decode()
    video.refresh_from_db()
    assert video.status == Video.Status.READY  # a GET changes nothing

    with django_assert_max_num_queries(15):
        response = client.post(reprocess_url(video))
    assert response.status_code == 302
    assert response["Location"] == LIST
    video.refresh_from_db()
    assert video.status == Video.Status.QUEUED
    assert video.job_id is not None
    messages = [str(m).strip() for m in response.wsgi_request._messages]  # type: ignore[attr-defined]
    assert "Siap masuk antrean untuk diproses ulang." in messages


def test_reprocess_is_refused_to_others(pemda: dict[str, Any], videos: dict[str, Video]) -> None:
    budi = instructor("Budi Widyaiswara")
    video = videos["broken"]
    before = (video.status, video.job_id)
    for user in (budi, pemda["auditor"]):
        client = login(user)
        assert denied(client.get(reprocess_url(video)))
        assert denied(client.post(reprocess_url(video)))
    video.refresh_from_db()
    assert (video.status, video.job_id) == before
    assert login(pemda["superuser"]).post(reprocess_url(video)).status_code == 302
    video.refresh_from_db()
    assert video.status == Video.Status.QUEUED
    missing = reverse("wagtailsnippets_videos_video:reprocess", args=[999_999])
    assert login(pemda["superuser"]).get(missing).status_code == 404


def test_reprocess_without_a_source_says_why(pemda: dict[str, Any]) -> None:
    video = make_video(None, "Tanpa sumber", source="")
    response = login(pemda["superuser"]).post(reprocess_url(video), follow=True)
    assert "tidak punya berkas sumber" in response.content.decode()
    video.refresh_from_db()
    assert video.status == Video.Status.UPLOADED


# --- choosing a video for a module --------------------------------------------------------


def test_instructors_still_choose_videos_in_module_blocks(
    ani: Employee, videos: dict[str, Video]
) -> None:
    response = login(ani).get(CHOOSER)
    assert response.status_code == 200
    assert "Siap" in response.json()["html"]
    chosen = login(ani).get(f"{CHOOSER}chosen/{videos['ready'].pk}/")
    assert chosen.status_code == 200
    assert chosen.json()["result"]["id"] == str(videos["ready"].pk)
