"""A learner plays a really transcoded video through hls.js in Chromium: picks a quality,
pauses, comes back to where they were, plays to the end, and the module shows complete
(the server's ModuleProgress and the course's enrolment say so too)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Locator, Request, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from courses.models import CatalogueIndexPage, CoursePage, ModulePage
from lms.learning import services
from lms.learning.models import Enrolment, ModuleProgress
from lms.people.demo import DemoAccount
from lms.people.models import Employee
from lms.videos.models import Video, VideoWatch
from tests.videos.clips import make_clip
from tests.videos.conftest import store_source, transcode_now

from .conftest import DESKTOP, PHONE, Tab
from .test_journeys import LEARNER, assert_fits, log_in
from .test_learning_journey import assert_clean

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HLS_JS = Path(settings.BASE_DIR) / "static" / "vendor" / "hls.light.min.js"
SCREENSHOTS = Path("/tmp")  # noqa: S108 - where the lead looks at them; also test-artifacts/


@pytest.fixture
def lecture(transactional_db: None, tmp_path: Path) -> Video:
    """A 4-second 640x360 clip with sound, transcoded for real (240p and 360p rungs)."""
    if not HLS_JS.exists():
        pytest.fail(f"{HLS_JS} is missing: run `make vendor` (hls.js from npm)")
    video = store_source(make_clip(tmp_path / "kuliah.mp4", seconds=4), title="Kuliah Integritas")
    assert transcode_now(video) == "ready", video.failure_reason
    return video


def video_course(video: Video) -> tuple[CoursePage, ModulePage]:
    catalogue = CatalogueIndexPage.objects.get()
    course = CoursePage(
        title="Integritas dalam Video", slug="integritas-video", summary="Satu modul video.",
        jp_credited=Decimal("1"),
    )  # fmt: skip
    catalogue.add_child(instance=course)
    course.save_revision().publish()
    module = ModulePage(title="Menonton kuliah", slug="kuliah")
    course.add_child(instance=module)
    module.body = [
        ("text", "<p>Tonton kuliah singkat ini sampai selesai.</p>"),
        ("video", {"video": video, "caption": "Kuliah 1: nilai dasar"}),
    ]
    module.save_revision().publish()
    return course, ModulePage.objects.get(pk=module.pk)


def shoot(tab: Tab, name: str) -> None:
    tab.screenshot(name)
    tab.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def play(tab: Tab, video: Locator) -> None:
    """Start the video (muted, as autoplay rules want) and see the time move; if it does not,
    fail with what the media element and hls.js said rather than hang on play()."""
    start = video.evaluate(
        "v => { v.muted = true; v.play().catch(e => console.error('play: ' + e));"
        " return v.currentTime; }"
    )
    try:
        tab.page.wait_for_function(
            "(t) => document.querySelector('.video-player video').currentTime > t + 0.2",
            arg=start,
        )
    except PlaywrightTimeoutError:
        state = video.evaluate(
            "v => ({readyState: v.readyState, networkState: v.networkState, t: v.currentTime,"
            " paused: v.paused, error: v.error && v.error.message, buffered: Array.from("
            "{length: v.buffered.length}, (_, i) => [v.buffered.start(i), v.buffered.end(i)])})"
        )
        raise AssertionError(
            f"the video does not play: {state}; console: {tab.console[-20:]}"
        ) from None


def test_learner_watches_a_video_to_the_end_and_the_module_completes(
    tab: Tab, demo: dict[str, DemoAccount], lecture: Video, live_server: Any
) -> None:
    page = tab.page
    learner = Employee.objects.get(nip=demo[LEARNER].nip)
    course, module = video_course(lecture)
    enrolment = services.enrolment_request(actor=learner, course=course)
    # The rate limit stays on (the player copes with it), and so does the write-behind:
    # what the assertions read from the database was written through by a pause or the end.
    playlists: list[str] = []

    def seen(request: Request) -> None:
        if request.url.endswith(".m3u8"):
            playlists.append(request.url)

    page.on("request", seen)
    log_in(tab, demo[LEARNER].nip)
    tab.open(module.url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Menonton kuliah")
    video = page.locator(".video-player video")
    progress = page.locator("[data-video-progress]")
    expect(progress).to_have_text("Sudah ditonton 0%; modul selesai setelah 90% ditonton.")
    expect(page.get_by_text("Modul ini selesai setelah Anda menonton minimal 90%")).to_be_visible()
    expect(page.get_by_role("button", name="Tandai selesai")).to_have_count(0)

    # hls.js (not the browser's own HLS) plays it, and offers the ladder's rungs.
    quality = page.get_by_label("Kualitas")
    expect(quality).to_be_visible()
    options = quality.locator("option")
    expect(options).to_have_count(3)
    assert options.all_inner_texts()[1:] == ["360p", "240p"]
    assert page.evaluate("window.Hls.isSupported()") is True
    assert video.evaluate("v => v.src.startsWith('blob:')") is True
    # Once the first picture is there, choosing a rung switches now: its segment is fetched
    # at once.
    page.wait_for_function("() => document.querySelector('.video-player video').readyState >= 2")
    with page.expect_request(re.compile(r"/240p/seg_\d+\.ts$")):
        quality.select_option(label="240p")
    shoot(tab, "video-module-before-play")

    # Play a little, pause: the server credits it and remembers the place. The first
    # heartbeat goes out as playing starts: it starts the server's clock.
    with page.expect_response(re.compile(r"/tonton/$")) as first:
        play(tab, video)
    assert first.value.status == 200
    assert first.value.json()["watched_seconds"] == 0
    page.wait_for_function("() => document.querySelector('.video-player video').currentTime >= 1.5")
    video.evaluate("v => v.pause()")
    expect(progress).to_have_text(re.compile(r"^Sudah ditonton [1-9]\d%"), timeout=15_000)
    watch = VideoWatch.objects.get(employee=learner, video=lecture)
    assert watch.watched_seconds >= 1.4
    assert watch.last_position >= 1.5
    assert watch.completed_at is None

    # Back later: the player starts where the learner left off. The learner picks 360p as
    # soon as the menu is there, while the first segment may still be on its way.
    tab.open(module.url)
    expect(quality.locator("option")).to_have_count(3)
    quality.select_option(label="360p")
    page.wait_for_function("() => document.querySelector('.video-player video').readyState >= 1")
    page.wait_for_function(
        "(at) => Math.abs(document.querySelector('.video-player video').currentTime - at) < 0.6",
        arg=watch.last_position,
    )

    # To the end (skipping would earn nothing; the first seconds were watched already).
    play(tab, video)
    page.wait_for_function(
        "() => document.querySelector('.video-player video').ended", timeout=20_000
    )
    expect(page.locator(".video-player")).to_have_class(
        re.compile(r"\bis-complete\b"), timeout=15_000
    )
    expect(progress).to_have_text("✓ Selesai ditonton (100%).")
    expect(page.locator("[data-module-completed]")).to_be_visible()
    expect(page.locator("[data-module-completed]")).to_have_text("✓ Modul ini selesai.")
    shoot(tab, "video-module-watched")

    progress_row = ModuleProgress.objects.get(enrolment=enrolment, module=module)
    assert progress_row.completed_at is not None
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.COMPLETED
    watch.refresh_from_db()
    assert watch.completed_at is not None
    assert watch.watched_seconds >= 0.9 * (lecture.duration_seconds or 0)

    # The page as it is now served says so too, at both widths.
    tab.open(module.url)
    expect(page.locator(".status-completed").first).to_contain_text(
        "Anda menyelesaikan modul ini pada"
    )
    page.set_viewport_size(PHONE)
    assert_fits(tab)
    shoot(tab, "video-module-completed-360")
    page.set_viewport_size(DESKTOP)
    assert any("/master.m3u8" in url for url in playlists), playlists
    assert_clean(tab)
