"""Watch tracking through its endpoint: heartbeats credit distinct seconds only, no faster
than the wall clock allows; the course's share completes the video module once (and the
course with it); who may not watch is refused; bad input changes nothing; bounded queries.

Time is simulated by moving the watch's last heartbeat back, never by sleeping. Most tests
write every heartbeat through to the database (``SINAU_WATCH_FLUSH_SECONDS = 0``) so that
they can read it there; the write-behind has tests of its own, at the end.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import CoursePage, ModulePage
from lms.assessments.models import Quiz, QuizResult
from lms.learning import services
from lms.learning.models import Enrolment, ModuleProgress
from lms.people.models import Employee
from lms.videos.models import Video, VideoWatch
from lms.videos.selectors import watch_access
from lms.videos.watching import (
    MAX_INTERVALS,
    MAX_PLAYBACK_RATE,
    SLACK_SECONDS,
    watch_context,
    watch_ticket,
    watch_ticket_read,
    watch_ticket_sign,
    write_budget,
)
from tests.support import at_once

DURATION = 60.0


@pytest.fixture(autouse=True)
def _no_rate_limit(settings: Any) -> None:
    # Heartbeats here are seconds apart only in simulated time; the limit has its own test.
    settings.SINAU_HEARTBEAT_MIN_SECONDS = 0
    settings.SINAU_WATCH_FLUSH_SECONDS = 0


# --- building a course with videos ------------------------------------------------------


def make_video(title: str = "Kuliah Integritas", *, duration: float = DURATION) -> Video:
    """A video with a ladder playing (as the transcoder leaves it); the heartbeat reads
    only the row, the files are the playback tests' business."""
    return Video.objects.create(
        title=title, status=Video.Status.READY, duration_seconds=duration,
        hls_prefix="videos/hls/0/siap/",
    )  # fmt: skip


def modules(course: CoursePage) -> list[ModulePage]:
    return list(course.modules())


@pytest.fixture
def video() -> Video:
    return make_video()


@pytest.fixture
def learner(pemda: dict[str, Any]) -> Employee:
    return pemda["learner"]


@pytest.fixture
def learner_client(client: Client, learner: Employee) -> Client:
    client.force_login(learner)
    return client


@pytest.fixture
def course(course_with: Callable[..., CoursePage], video: Video) -> CoursePage:
    """One module with one video, one text module that is not required."""
    return course_with(
        [("text", "<p>Pengantar</p>"), ("video", {"video": video, "caption": "Materi"})],
        [("text", "<p>Bacaan tambahan</p>")],
    )


@pytest.fixture
def enrolment(course: CoursePage, learner: Employee) -> Enrolment:
    enrolment = services.enrolment_request(actor=learner, course=course)
    assert enrolment.status == Enrolment.Status.ACTIVE
    # Only the video module is required: watching it completes the course.
    ModulePage.objects.filter(pk=modules(course)[1].pk).update(required_for_completion=False)
    return enrolment


def url(video: Video) -> str:
    return reverse("videos:heartbeat", kwargs={"video_id": video.pk})


def beat(
    client: Client,
    video: Video,
    module: ModulePage | int,
    intervals: list[list[float]] | None = None,
    position: float = 0,
    *,
    ticket: str = "",
    final: bool = False,
) -> Any:
    payload = {
        "module": module if isinstance(module, int) else module.pk,
        "intervals": intervals or [],
        "position": position,
        "final": final,
        "ticket": ticket,
    }
    return client.post(url(video), json.dumps(payload), content_type="application/json")


def earlier(employee: Employee, video: Video, seconds: float) -> None:
    """As if the heartbeats written to the table so far came ``seconds`` earlier (the tests
    without a ticket write every heartbeat, so: as if the previous one came ``seconds`` ago)."""
    VideoWatch.objects.filter(employee=employee, video=video).update(
        last_heartbeat_at=F("last_heartbeat_at") - dt.timedelta(seconds=seconds)
    )


def watch_of(employee: Employee, video: Video) -> VideoWatch:
    return VideoWatch.objects.get(employee=employee, video=video)


def watch_in_steps(
    client: Client, learner: Employee, video: Video, module: ModulePage, until: float
) -> Any:
    """Play from 0 to ``until`` in 10-second heartbeats, 10 seconds apart, as the player does."""
    response = beat(client, video, module)  # the play button: starts the clock
    end = 0.0
    while end < until:
        end = min(end + 10, until)
        earlier(learner, video, 10)
        response = beat(client, video, module, [[0, end]], position=end)
        assert response.status_code == 200, response.content
    return response


# --- crediting ------------------------------------------------------------------------


def test_heartbeats_credit_what_was_played_and_remember_the_position(
    learner_client: Client,
    learner: Employee,
    video: Video,
    course: CoursePage,
    enrolment: Enrolment,
) -> None:
    module = modules(course)[0]
    response = beat(learner_client, video, module)
    assert response.status_code == 200, response.content.decode()
    data = response.json()
    assert isinstance(data.pop("ticket"), str)  # checked in the database: a ticket for next time
    assert data == {
        "watched_seconds": 0.0, "percent": 0, "completed": False, "resume_at": 0.0,
        "credited_seconds": 0.0, "module_completed": False,
    }  # fmt: skip
    earlier(learner, video, 12)
    response = beat(learner_client, video, module, [[0, 10.5], [20, 21.5]], position=21.5)
    data = response.json()
    assert data["watched_seconds"] == 12.0
    assert data["percent"] == 20
    assert data["resume_at"] == 21.5
    assert data["completed"] is False
    watch = watch_of(learner, video)
    assert watch.intervals == [[0, 10.5], [20, 21.5]]
    assert watch.last_position == 21.5
    assert watch.completed_at is None


def test_watching_the_same_part_twice_counts_once(
    learner_client: Client,
    learner: Employee,
    video: Video,
    course: CoursePage,
    enrolment: Enrolment,
) -> None:
    module = modules(course)[0]
    beat(learner_client, video, module)
    earlier(learner, video, 20)
    assert beat(learner_client, video, module, [[0, 20]]).json()["watched_seconds"] == 20
    for _again in range(3):
        earlier(learner, video, 20)
        data = beat(learner_client, video, module, [[0, 20], [5, 15]]).json()
        assert data["watched_seconds"] == 20
        assert data["credited_seconds"] == 0


def test_skipping_ahead_earns_only_what_is_watched_there(
    learner_client: Client,
    learner: Employee,
    video: Video,
    course: CoursePage,
    enrolment: Enrolment,
) -> None:
    module = modules(course)[0]
    beat(learner_client, video, module)
    earlier(learner, video, 10)
    beat(learner_client, video, module, [[0, 10]], position=10)
    # A seek to 50 s and ten seconds played there: 10 + 10, not 60.
    earlier(learner, video, 10)
    data = beat(learner_client, video, module, [[0, 10], [50, 60]], position=60).json()
    assert data["watched_seconds"] == 20
    assert data["completed"] is False
    assert watch_of(learner, video).intervals == [[0, 10], [50, 60]]


def test_a_claim_to_the_whole_video_gets_only_what_the_clock_allows(
    learner_client: Client,
    learner: Employee,
    video: Video,
    course: CoursePage,
    enrolment: Enrolment,
) -> None:
    module = modules(course)[0]
    # No earlier heartbeat: the slack only.
    data = beat(learner_client, video, module, [[0, DURATION]]).json()
    assert data["watched_seconds"] == pytest.approx(MAX_PLAYBACK_RATE * SLACK_SECONDS, abs=0.1)
    # Ten seconds later: at most twice ten (plus the slack) more, the earliest seconds first.
    earlier(learner, video, 10)
    data = beat(learner_client, video, module, [[0, DURATION]]).json()
    expected = MAX_PLAYBACK_RATE * SLACK_SECONDS + MAX_PLAYBACK_RATE * (10 + SLACK_SECONDS)
    assert data["watched_seconds"] == pytest.approx(expected, abs=0.5)
    [[start, end]] = watch_of(learner, video).intervals
    assert start == 0
    assert end == pytest.approx(expected, abs=0.5)
    # A day away does not bank a day: the gap counts as two minutes at most.
    earlier(learner, video, 86_400)
    data = beat(learner_client, video, module, [[0, DURATION]]).json()
    assert data["watched_seconds"] == DURATION  # 60 s fit in what two minutes allow
    assert data["completed"] is True


def test_reaching_the_share_completes_the_video_module_and_the_course_once(
    learner_client: Client,
    learner: Employee,
    video: Video,
    course: CoursePage,
    enrolment: Enrolment,
) -> None:
    module = modules(course)[0]
    data = watch_in_steps(learner_client, learner, video, module, until=50).json()
    assert data["completed"] is False
    assert not ModuleProgress.objects.filter(completed_at__isnull=False).exists()
    earlier(learner, video, 10)
    data = beat(learner_client, video, module, [[0, 54]], position=54).json()  # 90% of 60 s
    data.pop("ticket")
    assert data == {
        "watched_seconds": 54.0, "percent": 90, "completed": True, "resume_at": 54.0,
        "credited_seconds": 4.0, "module_completed": True,
    }  # fmt: skip
    watch = watch_of(learner, video)
    progress = ModuleProgress.objects.get(enrolment=enrolment, module=module)
    enrolment.refresh_from_db()
    assert watch.completed_at is not None
    assert progress.completed_at is not None
    assert enrolment.status == Enrolment.Status.COMPLETED
    # Watching on changes none of those dates.
    earlier(learner, video, 10)
    data = beat(learner_client, video, module, [[0, 60]], position=60).json()
    assert data["percent"] == 100
    assert data["resume_at"] == 0  # at the end: the next visit starts again
    assert watch_of(learner, video).completed_at == watch.completed_at
    assert ModuleProgress.objects.get(pk=progress.pk).completed_at == progress.completed_at
    assert Enrolment.objects.get(pk=enrolment.pk).completed_at == enrolment.completed_at


def test_the_share_is_set_per_course(
    learner_client: Client,
    learner: Employee,
    video: Video,
    course: CoursePage,
    enrolment: Enrolment,
) -> None:
    CoursePage.objects.filter(pk=course.pk).update(video_watch_percent=50)
    module = modules(course)[0]
    data = watch_in_steps(learner_client, learner, video, module, until=20).json()
    assert data["completed"] is False
    data = watch_in_steps(learner_client, learner, video, module, until=30).json()
    assert data["completed"] is True
    assert data["module_completed"] is True


def test_a_module_with_two_videos_needs_both(
    learner_client: Client, learner: Employee, course_with: Callable[..., CoursePage]
) -> None:
    first, second = make_video("Bagian 1"), make_video("Bagian 2", duration=20)
    course = course_with([("video", {"video": first}), ("video", {"video": second})])
    enrolment = services.enrolment_request(actor=learner, course=course)
    module = modules(course)[0]
    data = watch_in_steps(learner_client, learner, first, module, until=60).json()
    assert data["completed"] is True
    assert data["module_completed"] is False
    data = watch_in_steps(learner_client, learner, second, module, until=20).json()
    assert data["module_completed"] is True
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.COMPLETED


def test_a_module_with_a_video_and_a_required_quiz_needs_both(
    learner_client: Client, learner: Employee, video: Video, course_with: Callable[..., CoursePage]
) -> None:
    quiz = Quiz.objects.create(title="Kuis Integritas")
    course = course_with(
        [("video", {"video": video}), ("quiz", {"quiz": quiz, "required_to_pass": True})]
    )
    enrolment = services.enrolment_request(actor=learner, course=course)
    module = modules(course)[0]
    data = watch_in_steps(learner_client, learner, video, module, until=60).json()
    assert data["completed"] is True
    assert data["module_completed"] is False
    assert "Tandai selesai" not in learner_client.get(module.url).content.decode()
    QuizResult.objects.create(
        quiz=quiz, employee=learner, score=Decimal("80"), passed=True, graded_at=timezone.now()
    )
    # Watched and passed: now the learner may tick it off.
    assert "Tandai selesai" in learner_client.get(module.url).content.decode()
    services.module_mark_done(actor=learner, enrolment=enrolment, module=module)
    assert ModuleProgress.objects.get(enrolment=enrolment, module=module).completed_at


def test_mark_done_does_not_complete_a_video_module(
    learner_client: Client,
    learner: Employee,
    video: Video,
    course: CoursePage,
    enrolment: Enrolment,
) -> None:
    module = modules(course)[0]
    page = learner_client.get(module.url).content.decode()
    assert "Tandai selesai" not in page
    assert "menonton minimal 90% dari setiap videonya" in page
    response = learner_client.post(
        reverse("learning:module_done", kwargs={"module_id": module.pk}), follow=True
    )
    assert "setelah Anda menonton minimal 90% videonya" in response.content.decode()
    assert ModuleProgress.objects.get(enrolment=enrolment, module=module).completed_at is None


# --- refusals -------------------------------------------------------------------------


def test_refused_for_whoever_may_not_watch_and_nothing_is_recorded(
    client: Client,
    pemda: dict[str, Any],
    video: Video,
    course: CoursePage,
    course_with: Callable[..., CoursePage],
) -> None:
    module = modules(course)[0]
    # Not logged in: JSON, not the login page.
    response = beat(client, video, module, [[0, 5]])
    assert response.status_code == 403
    assert "masuk lagi" in response.json()["error"]
    # Logged in, not enrolled.
    stranger = pemda["staff_b"][0]
    client.force_login(stranger)
    response = beat(client, video, module, [[0, 5]])
    assert response.status_code == 403
    assert response.json()["error"] == "Anda tidak terdaftar di kursus yang memuat video ini."
    # Enrolment pending approval, or withdrawn: still no.
    enrolment = Enrolment.objects.create(
        employee=stranger, course=course, source="self", status=Enrolment.Status.PENDING
    )
    assert beat(client, video, module, [[0, 5]]).status_code == 403
    Enrolment.objects.filter(pk=enrolment.pk).update(status=Enrolment.Status.WITHDRAWN)
    assert beat(client, video, module, [[0, 5]]).status_code == 403
    # Enrolled in another course, naming a module there that does not show this video.
    other = course_with([("text", "<p>Lain</p>")], title="Kursus Lain")
    services.enrolment_request(actor=stranger, course=other)
    assert beat(client, video, modules(other)[0], [[0, 5]]).status_code == 403
    # Enrolled here, but naming the module without the video, or no module at all.
    Enrolment.objects.filter(pk=enrolment.pk).update(status=Enrolment.Status.ACTIVE)
    assert beat(client, video, modules(course)[1], [[0, 5]]).status_code == 403
    assert beat(client, video, 999_999, [[0, 5]]).status_code == 403
    # An author previewing (a superuser, not enrolled): allowed to watch, nothing to credit.
    client.force_login(pemda["superuser"])
    response = beat(client, video, module, [[0, 5]])
    assert response.status_code == 403
    assert "hanya dicatat untuk peserta" in response.json()["error"]
    assert not VideoWatch.objects.exists()


def test_where_a_heartbeat_is_credited_agrees_with_who_may_watch(
    pemda: dict[str, Any], video: Video, course_with: Callable[..., CoursePage]
) -> None:
    """The heartbeat's one-query rule gives the answers of ``watch_access`` (its learner
    uses), whatever the enrolment, the module and the publishing state."""
    shown = course_with(
        [("video", {"video": video})], [("text", "<p>Tanpa video</p>")], title="Kursus Tayang"
    )
    hidden = course_with([("video", {"video": video})], title="Kursus Draf")
    module_hidden = modules(hidden)[0]
    hidden.unpublish()
    people = pemda["staff_a"] + pemda["staff_b"]
    statuses = ["active", "completed", "pending", "withdrawn", "rejected", None]
    for person, status in zip(people, statuses, strict=False):
        for course in (shown, hidden):
            if status is not None:
                Enrolment.objects.create(
                    employee=person, course=course, source="self", status=status,
                    completed_at=timezone.now() if status == "completed" else None,
                )  # fmt: skip
    # A module taken down, in a course still live, for the last one.
    loose = course_with([("video", {"video": video})], title="Kursus Modul Turun")
    services.enrolment_request(actor=people[-1], course=loose)
    modules(loose)[0].unpublish()
    candidates = [*modules(shown), module_hidden, *ModulePage.objects.child_of(loose)]
    answers = []
    for person in [*people, pemda["superuser"]]:
        uses = {u.module.pk for u in watch_access(viewer=person, video=video).uses}
        for module in candidates:
            context = watch_context(employee=person, video_id=video.pk, module_id=module.pk)
            assert (context is not None) == (module.pk in uses), (person, module, status)
            answers.append(context is not None)
    assert any(answers)
    assert not all(answers)


def test_unknown_or_unplayable_videos_and_wrong_methods(
    learner_client: Client, video: Video, course: CoursePage, enrolment: Enrolment
) -> None:
    module = modules(course)[0]
    missing = learner_client.post(
        reverse("videos:heartbeat", kwargs={"video_id": 999_999}),
        json.dumps({"module": module.pk, "intervals": [[0, 5]], "position": 5}),
        content_type="application/json",
    )
    assert missing.status_code == 404
    assert missing.json()["error"] == "Video tidak ditemukan."
    assert learner_client.get(url(video)).status_code == 405
    Video.objects.filter(pk=video.pk).update(hls_prefix="", status=Video.Status.TRANSCODING)
    response = beat(learner_client, video, module, [[0, 5]])
    assert response.status_code == 409
    assert response.json()["error"] == "Video ini belum siap diputar."
    assert not VideoWatch.objects.exists()


def test_csrf_is_required(
    learner: Employee, video: Video, course: CoursePage, enrolment: Enrolment
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    assert beat(client, video, modules(course)[0], [[0, 5]]).status_code == 403
    assert not VideoWatch.objects.exists()


GOOD = {"module": 1, "intervals": [[0, 5]], "position": 5}
BAD_INPUT: list[tuple[str | bytes, str]] = [
    (b"{", "bukan JSON"),
    (b"\xff\xfe", "bukan JSON"),
    (b"[1, 2]", "objek JSON"),
    (json.dumps({**GOOD, "module": "1"}), "Modul tidak disebutkan"),
    (json.dumps({**GOOD, "module": True}), "Modul tidak disebutkan"),
    (json.dumps({"intervals": [[0, 5]]}), "Modul tidak disebutkan"),
    (json.dumps({**GOOD, "intervals": "0-5"}), "paling banyak 50 pasang"),
    (
        json.dumps({**GOOD, "intervals": [[i, i + 0.5] for i in range(MAX_INTERVALS + 1)]}),
        "paling banyak",
    ),
    (json.dumps({**GOOD, "intervals": [[0, 1, 2]]}), "pasangan [mulai, akhir]"),
    (json.dumps({**GOOD, "intervals": [{"start": 0, "end": 1}]}), "pasangan [mulai, akhir]"),
    (json.dumps({**GOOD, "intervals": [[5, 5]]}), "0 ≤ mulai < akhir"),
    (json.dumps({**GOOD, "intervals": [[6, 5]]}), "0 ≤ mulai < akhir"),
    (json.dumps({**GOOD, "intervals": [[-1, 5]]}), "0 ≤ mulai < akhir"),
    (json.dumps({**GOOD, "intervals": [[0, DURATION + 3]]}), "≤ durasi video (60.0 detik)"),
    (json.dumps({**GOOD, "intervals": [["0", "5"]]}), "0 ≤ mulai < akhir"),
    (json.dumps({**GOOD, "intervals": [[False, True]]}), "0 ≤ mulai < akhir"),
    (b'{"module": 1, "intervals": [[0, NaN]], "position": 0}', "0 ≤ mulai < akhir"),
    (b'{"module": 1, "intervals": [[0, Infinity]], "position": 0}', "0 ≤ mulai < akhir"),
    (b'{"module": 1, "intervals": [[0, 1e999]], "position": 0}', "0 ≤ mulai < akhir"),
    (json.dumps({**GOOD, "position": -1}), "Posisi pemutaran"),
    (json.dumps({**GOOD, "position": DURATION + 3}), "Posisi pemutaran"),
    (json.dumps({**GOOD, "position": None}), "Posisi pemutaran"),
    (json.dumps({**GOOD, "intervals": [[0, 1]] * 7000}), "terlalu besar"),
]


def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    learner_client: Client,
    learner: Employee,
    video: Video,
    course: CoursePage,
    enrolment: Enrolment,
) -> None:
    module = modules(course)[0]
    beat(learner_client, video, module, [[0, 2]], position=2)
    before = watch_of(learner, video)
    earlier(learner, video, 30)
    for body, message in BAD_INPUT:
        raw = body.encode() if isinstance(body, str) else body
        raw = raw.replace(b'"module": 1,', f'"module": {module.pk},'.encode())
        response = learner_client.post(url(video), raw, content_type="application/json")
        assert response.status_code == 400, (body, response.content)
        assert message in response.json()["error"], (body, response.json())
        after = watch_of(learner, video)
        assert (after.intervals, after.watched_seconds, after.last_position) == (
            before.intervals,
            before.watched_seconds,
            before.last_position,
        ), body


def test_heartbeats_are_rate_limited_per_learner_and_video(
    settings: Any,
    learner_client: Client,
    learner: Employee,
    pemda: dict[str, Any],
    video: Video,
    course: CoursePage,
    enrolment: Enrolment,
    course_with: Callable[..., CoursePage],
) -> None:
    settings.SINAU_HEARTBEAT_MIN_SECONDS = 60
    module = modules(course)[0]
    other_video = make_video("Bagian lain")
    colleague = pemda["staff_a"][1]
    assert beat(learner_client, video, module).status_code == 200
    response = beat(learner_client, video, module, [[0, 5]])
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "Terlalu sering" in response.json()["error"]
    assert watch_of(learner, video).watched_seconds == 0
    # Another video, or another learner, has its own allowance.
    other = course_with([("video", {"video": other_video})], title="Kursus Dua")
    services.enrolment_request(actor=learner, course=other)
    assert beat(learner_client, other_video, modules(other)[0]).status_code == 200
    services.enrolment_request(actor=colleague, course=course)
    client = Client()
    client.force_login(colleague)
    assert beat(client, video, module).status_code == 200


def test_heartbeat_query_count_is_bounded(
    learner_client: Client,
    learner: Employee,
    video: Video,
    course: CoursePage,
    enrolment: Enrolment,
    django_assert_max_num_queries: Any,
) -> None:
    module = modules(course)[0]
    beat(learner_client, video, module)
    earlier(learner, video, 10)
    # Without a ticket (and writing every heartbeat through, as these tests do): session,
    # user, where to credit it and the watch so far (one query each), then the locked read
    # and the write (and, on PostgreSQL, the commit that does not wait for the disk). With
    # a ticket, between writes, none: see the write-behind tests below.
    with django_assert_max_num_queries(9):
        assert beat(learner_client, video, module, [[0, 10]]).status_code == 200
    # The heartbeat that completes the module and the course does more (the course's JP go
    # into the ledger, its yearly and monthly totals and the audit log), still bounded.
    earlier(learner, video, 60)
    with django_assert_max_num_queries(55):
        data = beat(learner_client, video, module, [[0, 60]]).json()
    assert data["module_completed"] is True


# --- the module page --------------------------------------------------------------------


def state_of(page: str) -> dict[str, Any]:
    start = page.index('<script id="video-state" type="application/json">') + len(
        '<script id="video-state" type="application/json">'
    )
    return dict(json.loads(page[start : page.index("</script>", start)]))


def test_the_module_page_renders_the_player_with_where_to_resume(
    learner_client: Client,
    learner: Employee,
    video: Video,
    course: CoursePage,
    enrolment: Enrolment,
    django_assert_max_num_queries: Any,
) -> None:
    module = modules(course)[0]
    learner_client.get(module.url)
    with django_assert_max_num_queries(26):
        page = learner_client.get(module.url).content.decode()
    assert "data-video-player" in page
    assert f'data-src="{reverse("videos:master", kwargs={"video_id": video.pk})}"' in page
    assert f'data-heartbeat="{url(video)}"' in page
    assert f'data-module="{module.pk}"' in page
    assert "vendor/hls.light.min.js" in page
    assert "js/video-player.js" in page
    assert "<script>" not in page  # nothing inline: the CSP allows files from 'self' only
    state = state_of(page)
    ticket = state["videos"][str(video.pk)].pop("ticket")
    assert state == {
        "tracking": True,
        "threshold": 90,
        "videos": {str(video.pk): {"percent": 0, "completed": False, "resume_at": 0.0}},
    }
    assert isinstance(ticket, str)
    assert len(ticket) > 40
    watch_in_steps(learner_client, learner, video, module, until=30)
    beat(learner_client, video, module, [[0, 30]], position=31.25)
    state = state_of(learner_client.get(module.url).content.decode())
    state["videos"][str(video.pk)].pop("ticket")
    assert state["videos"][str(video.pk)] == {"percent": 50, "completed": False, "resume_at": 31.2}
    watch_in_steps(learner_client, learner, video, module, until=60)
    page = learner_client.get(module.url).content.decode()
    assert "Anda menyelesaikan modul ini pada" in page
    assert state_of(page)["videos"][str(video.pk)]["completed"] is True


def test_an_editor_preview_plays_without_tracking(
    client: Client, pemda: dict[str, Any], video: Video, course: CoursePage
) -> None:
    client.force_login(pemda["superuser"])
    page = client.get(modules(course)[0].url).content.decode()
    assert "data-video-player" in page
    assert "Pratinjau penyunting" in page
    assert state_of(page) == {"tracking": False, "threshold": 90, "videos": {}}


def test_unplayable_videos_show_their_notice_and_no_player(
    learner_client: Client, video: Video, course: CoursePage, enrolment: Enrolment
) -> None:
    Video.objects.filter(pk=video.pk).update(
        hls_prefix="", status=Video.Status.FAILED, failure_reason="rusak"
    )
    page = learner_client.get(modules(course)[0].url).content.decode()
    assert "gagal diproses dan belum dapat diputar" in page
    assert "data-video-player" not in page


def test_a_transcoded_video_plays_for_the_learner_and_counts(
    learner_client: Client,
    learner: Employee,
    ready_video: Video,
    course_with: Callable[..., CoursePage],
) -> None:
    """The real ladder: the page's player points at a master playlist the learner may fetch,
    and a heartbeat over the whole (probed) duration completes the module."""
    course = course_with([("video", {"video": ready_video})])
    services.enrolment_request(actor=learner, course=course)
    module = modules(course)[0]
    page = learner_client.get(module.url).content.decode()
    master = reverse("videos:master", kwargs={"video_id": ready_video.pk})
    assert f'data-src="{master}"' in page
    response = learner_client.get(master)
    assert response.status_code == 200
    assert response.content.startswith(b"#EXTM3U")
    duration = ready_video.duration_seconds
    assert duration is not None
    beat(learner_client, ready_video, module)
    earlier(learner, ready_video, duration)
    data = beat(learner_client, ready_video, module, [[0, duration]], position=duration).json()
    assert data["completed"] is True
    assert data["module_completed"] is True


# --- concurrency ------------------------------------------------------------------------


@pytest.mark.postgres
def test_simultaneous_heartbeats_earn_no_more_than_one(
    transactional_db: None,
    learner: Employee,
    video: Video,
    course: CoursePage,
    enrolment: Enrolment,
) -> None:
    """Eight heartbeats at once, each claiming the whole video (a script, or tabs and
    retries): they earn what one heartbeat may, not eight times that; the cache and the
    database agree afterwards."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (set DATABASE_URL)")
    module = modules(course)[0]
    VideoWatch.objects.create(
        employee=learner, video=video, last_heartbeat_at=timezone.now() - dt.timedelta(seconds=10)
    )
    clients = [Client() for _ in range(8)]
    for c in clients:
        c.force_login(learner)
    answers, failures = at_once(
        8, lambda i: beat(clients[i], video, module, [[0, DURATION]], final=True).status_code
    )
    assert not failures, failures
    assert answers == [200] * 8
    one = MAX_PLAYBACK_RATE * (10 + SLACK_SECONDS)  # what ten seconds since the last allow
    # The first through gets that; one arriving after it, only the slack of no time at all.
    most = one + 7 * MAX_PLAYBACK_RATE * (SLACK_SECONDS + 0.5)
    watch = watch_of(learner, video)
    assert one - 0.5 <= watch.watched_seconds <= most
    assert watch.intervals[0][0] == 0


@pytest.mark.postgres
def test_write_throughs_at_once_take_no_more_than_the_clock_allows(
    transactional_db: None,
    learner: Employee,
    video: Video,
    course: CoursePage,
    enrolment: Enrolment,
) -> None:
    """Eight writes of one watch at the same moment (copies of a ticket, two devices): the
    row lock serialises them, the first takes what five minutes allow, the ones right after
    it almost nothing; nothing written is overwritten."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (set DATABASE_URL)")
    from lms.videos.watching import _write_through

    module = modules(course)[0]
    VideoWatch.objects.create(
        employee=learner, video=video, intervals=[[50.0, 55.0]], watched_seconds=5,
        last_heartbeat_at=timezone.now() - dt.timedelta(minutes=5),
    )  # fmt: skip
    ticket = watch_ticket(employee=learner, video_id=video.pk, module_id=module.pk)

    def write(i: int) -> Any:
        mine = dataclasses.replace(
            ticket, intervals=[[i * 5.0, i * 5.0 + 5]], position=i * 5.0 + 5,
            heartbeat_at=time.time(),
        )  # fmt: skip
        return _write_through(mine, checked=True, now=time.time())

    started = time.monotonic()
    _results, failures = at_once(8, write)
    elapsed = time.monotonic() - started
    assert not failures, failures
    watch = watch_of(learner, video)
    assert [50, 55] in watch.intervals  # what was there stays
    # One writer's five seconds, and crumbs: each later writer may add only what the wall
    # clock allows since the one before it, never more than the whole run lasted (a loaded
    # machine stretches the run, and the crumbs with it).
    assert 10 <= watch.watched_seconds <= 10 + 7 * write_budget(elapsed)


# --- write-behind: the ticket ------------------------------------------------------------


def ticket_from(client: Client, module: ModulePage, video: Video) -> str:
    page = client.get(module.url).content.decode()
    return str(state_of(page)["videos"][str(video.pk)]["ticket"])


def aged(
    client: Client,
    signed: str,
    video: Video,
    module: ModulePage,
    seconds: float,
    *,
    written: float = 0.0,
) -> str:
    """The ticket (and the table) as if everything so far happened ``seconds`` earlier: its
    last heartbeat, and the heartbeats written; with ``written``, as if its last write to the
    table came that much earlier still."""
    session_key = client.session.session_key
    ticket = watch_ticket_read(
        signed, video_id=video.pk, module_id=module.pk, session_key=session_key
    )
    assert ticket is not None
    assert session_key
    assert ticket.heartbeat_at is not None
    earlier(Employee.objects.get(pk=ticket.employee_id), video, seconds)
    older = dataclasses.replace(
        ticket, heartbeat_at=ticket.heartbeat_at - seconds,
        written_at=ticket.written_at - seconds - written,
    )  # fmt: skip
    return watch_ticket_sign(older, session_key=session_key)


@pytest.fixture
def write_behind(settings: Any) -> None:
    settings.SINAU_WATCH_FLUSH_SECONDS = 60


def test_with_its_ticket_a_heartbeat_does_no_database_work_until_the_write_through(
    write_behind: None,
    learner_client: Client,
    learner: Employee,
    video: Video,
    course: CoursePage,
    enrolment: Enrolment,
    django_assert_num_queries: Any,
) -> None:
    module = modules(course)[0]
    ticket = ticket_from(learner_client, module, video)
    # The first heartbeat on a video ever starts its clock in the table (one write) ...
    data = beat(learner_client, video, module, ticket=ticket).json()
    assert watch_of(learner, video).watched_seconds == 0
    # ... then nothing touches the database until the next write.
    for end in (10, 20, 30):
        ticket = aged(learner_client, data["ticket"], video, module, 10)
        with django_assert_num_queries(0):
            data = beat(learner_client, video, module, [[0, end]], end, ticket=ticket).json()
        assert data["watched_seconds"] == end
        assert data["percent"] == 100 * end // DURATION
    assert watch_of(learner, video).watched_seconds == 0
    # A pause writes it through (and reads the enrolment again).
    ticket = aged(learner_client, data["ticket"], video, module, 5)
    data = beat(learner_client, video, module, [[0, 35]], 35, ticket=ticket, final=True).json()
    assert data["watched_seconds"] == 35
    watch = watch_of(learner, video)
    assert (watch.intervals, watch.watched_seconds, watch.last_position) == ([[0, 35]], 35, 35)
    assert watch.completed_at is None
    # The module page, loaded again, resumes from there.
    state = state_of(learner_client.get(module.url).content.decode())
    assert state["videos"][str(video.pk)]["percent"] == 58
    assert state["videos"][str(video.pk)]["resume_at"] == 35
    # Playing on: nothing is written until a minute after the last write.
    ticket = aged(learner_client, data["ticket"], video, module, 10)
    data = beat(learner_client, video, module, [[0, 45]], 45, ticket=ticket).json()
    assert watch_of(learner, video).watched_seconds == 35
    ticket = aged(learner_client, data["ticket"], video, module, 5, written=60)
    data = beat(learner_client, video, module, [[0, 50]], 50, ticket=ticket).json()
    assert watch_of(learner, video).watched_seconds == 50
    # Reaching the share writes through at once, durably, and completes the module.
    ticket = aged(learner_client, data["ticket"], video, module, 10)
    data = beat(learner_client, video, module, [[0, 54]], 54, ticket=ticket).json()
    assert data["completed"] is True
    assert data["module_completed"] is True
    assert watch_of(learner, video).completed_at is not None
    assert ModuleProgress.objects.get(enrolment=enrolment, module=module).completed_at


def test_a_ticket_counts_only_for_its_session_video_and_module(
    write_behind: None,
    learner_client: Client,
    learner: Employee,
    pemda: dict[str, Any],
    video: Video,
    course: CoursePage,
    enrolment: Enrolment,
) -> None:
    module = modules(course)[0]
    ticket = ticket_from(learner_client, module, video)
    # Not logged in (or logged out): the ticket alone credits nothing.
    client = Client()
    response = beat(client, video, module, [[0, 2]], ticket=ticket)
    assert response.status_code == 403
    assert "masuk lagi" in response.json()["error"]
    # Someone else's session carrying the learner's ticket is that someone else.
    stranger = pemda["staff_b"][0]
    client.force_login(stranger)
    response = beat(client, video, module, [[0, 2]], ticket=ticket)
    assert response.status_code == 403
    assert response.json()["error"] == "Anda tidak terdaftar di kursus yang memuat video ini."
    # A forged or altered ticket is no ticket: the session decides (here: the stranger's).
    head, _sep, tail = ticket.rpartition(":")
    forged = f"{head}:{'A' if tail[0] != 'A' else 'B'}{tail[1:]}"
    assert beat(client, video, module, [[0, 2]], ticket=forged).status_code == 403
    # Without a ticket the session is checked, CSRF token and all.
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner)
    assert beat(strict, video, module, [[0, 2]]).status_code == 403
    # The ticket for one video does not credit another, even with the learner's session.
    other = make_video("Video lain")
    response = beat(learner_client, other, module, [[0, 2]], ticket=ticket)
    assert response.status_code == 403
    assert not VideoWatch.objects.exists()
    # The learner on another device (another session) is checked in the database, and
    # handed a ticket of that session's own.
    phone = Client()
    phone.force_login(learner)
    data = beat(phone, video, module, [[0, 2]], ticket=ticket, final=True).json()
    assert data["watched_seconds"] == pytest.approx(2)
    assert data["ticket"] != ticket
    assert watch_of(learner, video).watched_seconds == pytest.approx(2)


def test_an_expired_ticket_falls_back_to_the_session(
    write_behind: None,
    settings: Any,
    learner_client: Client,
    learner: Employee,
    video: Video,
    course: CoursePage,
    enrolment: Enrolment,
    django_assert_num_queries: Any,
) -> None:
    module = modules(course)[0]
    ticket = ticket_from(learner_client, module, video)
    settings.SINAU_WATCH_TICKET_SECONDS = -1
    data = beat(learner_client, video, module, [[0, 2]], ticket=ticket).json()
    assert data["watched_seconds"] == pytest.approx(2)
    settings.SINAU_WATCH_TICKET_SECONDS = 3600
    ticket = aged(learner_client, data["ticket"], video, module, 10)
    with django_assert_num_queries(0):
        data = beat(learner_client, video, module, [[0, 12]], ticket=ticket).json()
    assert data["watched_seconds"] == pytest.approx(12)


def test_an_ended_enrolment_stops_the_crediting_at_the_next_write(
    write_behind: None,
    learner_client: Client,
    learner: Employee,
    video: Video,
    course: CoursePage,
    enrolment: Enrolment,
) -> None:
    module = modules(course)[0]
    data = beat(
        learner_client, video, module, ticket=ticket_from(learner_client, module, video)
    ).json()
    ticket = aged(learner_client, data["ticket"], video, module, 10)
    response = beat(learner_client, video, module, [[0, 10]], ticket=ticket)
    assert response.status_code == 200
    Enrolment.objects.filter(pk=enrolment.pk).update(status=Enrolment.Status.WITHDRAWN)
    ticket = aged(learner_client, response.json()["ticket"], video, module, 10)
    response = beat(learner_client, video, module, [[0, 20]], ticket=ticket, final=True)
    assert response.status_code == 403
    assert response.json()["error"] == "Anda tidak terdaftar di kursus yang memuat video ini."
    assert watch_of(learner, video).watched_seconds == 0


def test_a_ticket_sent_again_earns_nothing_more(
    write_behind: None,
    learner_client: Client,
    learner: Employee,
    video: Video,
    course: CoursePage,
    enrolment: Enrolment,
) -> None:
    """Replaying one ticket (two tabs, a script) with different ranges, each copy written at
    once: what the table takes is capped by the time since its previous write, so the
    copies together earn what one would."""
    module = modules(course)[0]
    start = beat(learner_client, video, module, ticket=ticket_from(learner_client, module, video))
    # Ten seconds later, three copies of the ticket, each claiming another twenty seconds
    # (each within what its own ticket allows).
    ticket = aged(learner_client, start.json()["ticket"], video, module, 10)
    for offset in (0, 20, 40):
        response = beat(
            learner_client, video, module, [[offset, offset + 20]], ticket=ticket, final=True
        )
        assert response.status_code == 200
        assert response.json()["credited_seconds"] == 20
    # Ten seconds since the last write allow 2 x (10 + 1); the copies after the first came
    # within the same instant and add (almost) nothing.
    watch = watch_of(learner, video)
    assert 20 <= watch.watched_seconds <= MAX_PLAYBACK_RATE * (10 + SLACK_SECONDS) + 0.5
    assert watch.intervals[0][0] == 0
