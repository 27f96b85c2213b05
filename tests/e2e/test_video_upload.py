"""An instructor uploads a video in the Wagtail admin, in Chromium: picks a generated clip,
the link drops once mid-upload and the script resumes, the progress bar reaches 100 %, and
the video is in the listing, transcoded by the real task (run eagerly here, in the request
that queues it, instead of by a worker)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Request, Route, expect

from courses.authoring import authoring_setup
from lms.celery import app as celery_app
from lms.people.demo import DemoAccount
from lms.videos.models import Video, VideoUpload
from lms.videos.storage import video_storage
from tests.support import BUCKET
from tests.videos.clips import make_clip

from .conftest import Tab
from .test_journeys import log_in
from .test_learning_journey import assert_clean

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

INSTRUCTOR = "Instruktur"
SCREENSHOTS = Path("/tmp")  # noqa: S108 - looked at by a person after the run


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """The transcode task runs inside the request that queues it: no broker, no worker."""
    conf: Any = celery_app.conf
    before = conf.task_always_eager
    conf.task_always_eager = True
    yield
    conf.task_always_eager = before


def shoot(tab: Tab, name: str) -> None:
    tab.screenshot(name)
    tab.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_instructor_uploads_a_video_and_sees_it_listed(
    tab: Tab,
    demo: dict[str, DemoAccount],
    settings: Any,
    tmp_path: Path,
    eager_celery: None,
) -> None:
    authoring_setup()  # as seed_demo does: the instructors' group gets its permissions
    # Small chunks, so that a small clip still goes in several of them.
    settings.SINAU_VIDEO_CHUNK_BYTES = 64 * 1024
    clip = make_clip(tmp_path / "Kuliah_Etika_ASN.mp4", width=320, height=240, seconds=2)
    puts: list[str] = []

    def seen(request: Request) -> None:
        if request.method == "PUT":
            puts.append(request.headers.get("content-range", ""))

    dropped: list[str] = []

    def drop_the_third_chunk(route: Route) -> None:
        # The link fails once mid-upload: the script asks where to resume and carries on.
        if route.request.method == "PUT" and len(puts) >= 3 and not dropped:
            dropped.append(route.request.headers.get("content-range", ""))
            route.abort("connectionreset")
        else:
            route.continue_()

    page = tab.page
    page.on("request", seen)
    page.route("**/video/unggah/**", drop_the_third_chunk)
    log_in(tab, demo[INSTRUCTOR].nip)
    tab.open("/admin/snippets/videos/video/")
    page.get_by_role("link", name="Unggah video").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Unggah video")

    page.get_by_label("Berkas video").set_input_files(str(clip))
    # The title is offered from the file name; the instructor makes it nicer.
    expect(page.get_by_label("Judul")).to_have_value("Kuliah Etika ASN")
    page.get_by_label("Judul").fill("Kuliah Etika ASN (rekaman kelas)")
    page.get_by_role("button", name="Unggah", exact=True).click()

    expect(page.locator("[data-percent]")).to_have_text("100%", timeout=60_000)
    expect(page.locator("progress[data-progress]")).to_have_js_property("value", 100)
    expect(page.locator("p[role=status][data-status]")).to_contain_text(
        "Selesai. Video “Kuliah Etika ASN (rekaman kelas)” masuk antrean", timeout=60_000
    )
    shoot(tab, "video-upload-done")
    assert puts[0].startswith("bytes 0-")
    assert len(dropped) == 1
    assert puts.count(dropped[0]) == 2, puts  # the dropped chunk was sent again

    video = Video.objects.get()
    assert video.title == "Kuliah Etika ASN (rekaman kelas)"
    assert video.owner is not None
    assert video.owner.nip == demo[INSTRUCTOR].nip
    with video_storage().open(video.source, "rb") as stored:
        assert hashlib.sha256(stored.read()).digest() == hashlib.sha256(clip.read_bytes()).digest()
    assert VideoUpload.objects.get().status == VideoUpload.Status.COMPLETE
    # Nothing kept for resuming once the upload is done.
    kept = page.evaluate("Object.keys(localStorage)")
    assert not [key for key in kept if key.startswith("sinau-video-upload:")], kept

    page.get_by_role("link", name="Lihat daftar video").click()
    row = page.locator("table.listing tbody tr", has_text="Kuliah Etika ASN (rekaman kelas)")
    expect(row).to_have_count(1)
    video.refresh_from_db()
    assert video.status == Video.Status.READY, video.failure_reason
    expect(row).to_contain_text("Siap")
    expect(row).to_contain_text("240p")
    expect(row).to_contain_text("0:02")
    shoot(tab, "video-listing")
    assert_clean(tab)


def test_on_s3_the_browser_sends_the_parts_straight_to_the_bucket(
    tab: Tab,
    demo: dict[str, DemoAccount],
    on_s3: Any,
    settings: Any,
    tmp_path: Path,
    eager_celery: None,
) -> None:
    authoring_setup()
    settings.SINAU_VIDEO_CHUNK_BYTES = 1024 * 1024  # parts are 5 MiB all the same
    # Two parts (S3's minimum is 5 MiB). Not a video: the transcoder says so, in the listing.
    fake = tmp_path / "rekaman_rusak.mp4"
    fake.write_bytes(os.urandom(5 * 1024 * 1024 + 4321))
    to_bucket: list[str] = []
    page = tab.page
    bucket = on_s3.meta.endpoint_url
    page.on(
        "request",
        lambda request: (
            to_bucket.append(request.method) if request.url.startswith(bucket) else None
        ),
    )
    log_in(tab, demo[INSTRUCTOR].nip)
    tab.open("/admin/snippets/videos/video/add/")
    page.get_by_label("Berkas video").set_input_files(str(fake))
    page.get_by_label("Judul").fill("Rekaman rusak")
    page.get_by_role("button", name="Unggah", exact=True).click()
    expect(page.locator("p[role=status][data-status]")).to_contain_text(
        "Selesai. Video “Rekaman rusak”", timeout=60_000
    )
    expect(page.locator("[data-percent]")).to_have_text("100%")
    assert to_bucket.count("PUT") == 2, to_bucket

    video = Video.objects.get()
    stored = on_s3.get_object(Bucket=BUCKET, Key=video.source)["Body"].read()
    assert stored == fake.read_bytes()
    page.get_by_role("link", name="Lihat daftar video").click()
    row = page.locator("table.listing tbody tr", has_text="Rekaman rusak")
    expect(row).to_contain_text("Gagal")
    video.refresh_from_db()
    assert video.failure_reason
    expect(row).to_contain_text(video.failure_reason[:40])
    shoot(tab, "video-upload-s3-failed")
    assert_clean(tab)
