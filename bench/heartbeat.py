"""Watch heartbeats per second against a bare view, on the real stack.

Run: ``.venv/bin/python -m bench.heartbeat`` (PostgreSQL on 127.0.0.1:5432 as ``postgres``,
or the server in ``BENCH_DATABASE_URL``). Like ``bench.catalogue``: gunicorn as deployed
(2 workers x 4 threads) on a fresh database, a few keep-alive client threads in this
process, and a view that returns a tiny response without touching the database measured
first and last in the same run; only the ratio to it is comparable between runs.

Each heartbeat is the player's: ``POST /video/<id>/tonton/`` with the learner's session
cookie, the module, the ranges played, the position and the watch ticket: first the one the
module page hands the player (made here by the same code, ``watch_ticket``, for each
learner and video), then the one each answer brings back. Every one is checked (the
ticket's signature, session, video and module), rate-limited and credited within the
ticket; none completes a module (a 30-minute video never reaches its share here). The
watch is written to the database at most every ``SINAU_WATCH_FLUSH_SECONDS`` per pair
while playing (and on pause): the phases between writes are measured as they come (the run
is shorter than that interval), then a phase where every heartbeat is written (as on a
pause), and the steady mix of the two (a heartbeat every 10 s, one in 30 written at the
default 300 s) is computed from the two measured rates. The web processes share Redis as
their cache, as in production (database ``BENCH_REDIS_URL`` or 3 on 127.0.0.1:6379).

The rate limit stays on at its setting (``SINAU_HEARTBEAT_MIN_SECONDS``, 2 s by default):
instead of lifting it, the load is spread as real traffic is, over many learners and videos.
400 learners x 10 videos make 4,000 learner-video pairs; each client thread cycles through
its own quarter of them, so a pair comes round only every few seconds, and a thread that
would come back too soon waits (the waits are reported; a 429 fails the run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bench._common import (
    django_on_fresh_database,
    enrol_all,
    logged_in,
    machine_info,
    plain_learners,
    write_results,
)
from bench._load import Call, Maker, bare_maker, measure
from bench.catalogue import (
    BARE_PATH,
    CLIENT_THREADS,
    GUNICORN_THREADS,
    GUNICORN_WORKERS,
    MEASURE_SECONDS,
    SETTINGS_MODULE,
    WARMUP_SECONDS,
    Target,
    free_port,
    start_gunicorn,
    stop_gunicorn,
    wait_until_serving,
)

if TYPE_CHECKING:
    from lms.people.models import Employee

NAME = "heartbeat"
DB_NAME = "sinau_bench_heartbeat"
SEED = 20_261_124
LEARNERS = 800
VIDEOS = 10
VIDEO_SECONDS = 1800.0  # a 30-minute lecture
HEARTBEAT_STEP = 10.0  # what the player sends every 10 s of playing
# A pair must not come round sooner than the limit; this margin covers clock jitter.
RATE_LIMIT_MARGIN = 0.25
# Heartbeat phases, each followed by a bare one (and the first preceded by one): the machine
# drifts, and the ratio is of the means.
HEARTBEAT_PHASES = 2
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/3"


@dataclass(frozen=True)
class Pair:
    cookie: str
    csrf: str
    video_id: int
    module_id: int
    ticket: str
    employee_id: int


@dataclass
class Seeded:
    pairs: list[Pair]
    learner: Employee
    sample: Pair
    module_ids: list[int]


# --- Data -----------------------------------------------------------------------------


def seed(rng: random.Random) -> Seeded:
    from django.db import transaction
    from django.utils import timezone

    from courses.demo import seed_demo_catalogue
    from courses.models import CatalogueIndexPage, CoursePage, ModulePage
    from lms.people.demo import seed_demo_pemda
    from lms.videos.models import Video, VideoWatch
    from lms.videos.watching import watch_ticket, watch_ticket_sign

    logging.getLogger("wagtail").setLevel(logging.WARNING)
    seed_demo_pemda(employees=LEARNERS + 40)
    seed_demo_catalogue()
    catalogue = CatalogueIndexPage.objects.get()
    videos = [
        Video.objects.create(
            title=f"Kuliah {number}",
            status=Video.Status.READY,
            duration_seconds=VIDEO_SECONDS,
            hls_prefix=f"videos/hls/bench/{number}/",
        )  # fmt: skip
        for number in range(1, VIDEOS + 1)
    ]
    course = CoursePage(
        title="Kuliah Video Integritas", slug="kuliah-video", summary="Sepuluh kuliah video.",
        jp_credited=Decimal("4"),
    )  # fmt: skip
    catalogue.add_child(instance=course)
    course.save_revision().publish()
    modules = []
    for number, video in enumerate(videos, start=1):
        module = ModulePage(title=f"Kuliah {number}", slug=f"kuliah-{number}")
        course.add_child(instance=module)
        module.body = [("video", {"video": video, "caption": ""})]
        # Publishing fills Wagtail's reference index, through which access is checked.
        module.save_revision().publish()
        modules.append(module)
    learners = plain_learners(LEARNERS)
    now = timezone.now()
    with transaction.atomic():
        enrol_all(course, learners, started_days_ago=3)
        # Steady state: every learner has watched some of every video already.
        VideoWatch.objects.bulk_create(
            VideoWatch(
                employee=e,
                video=v,
                intervals=[[0.0, watched]],
                watched_seconds=watched,
                last_position=watched,
                last_heartbeat_at=now - dt.timedelta(hours=1),
            )  # fmt: skip
            for e in learners
            for v in videos
            for watched in [float(rng.randrange(60, 600, 10))]
        )
    pairs = []
    for employee in learners:
        cookie, csrf, session = logged_in(employee)
        for video, module in zip(videos, modules, strict=True):
            # What the module page gives the player: its watch ticket for this session.
            ticket = watch_ticket(employee=employee, video_id=video.pk, module_id=module.pk)
            signed = watch_ticket_sign(ticket, session_key=session)
            pairs.append(
                Pair(
                    cookie=cookie,
                    csrf=csrf,
                    video_id=video.pk,
                    module_id=module.pk,
                    ticket=signed,
                    employee_id=employee.pk,
                )  # fmt: skip
            )
    rng.shuffle(pairs)
    return Seeded(
        pairs=pairs[1:], learner=learners[0], sample=pairs[0], module_ids=[m.pk for m in modules]
    )


def heartbeat_path(video_id: int) -> str:
    from django.urls import reverse

    return reverse("videos:heartbeat", kwargs={"video_id": video_id})


class Player:
    """What one learner's player sends for one video: the session's range, growing."""

    def __init__(self, pair: Pair, start: float) -> None:
        self.pair = pair
        self.path = heartbeat_path(pair.video_id)
        self.start = start
        self.end = start
        self.sent_at = -1e9
        self.sent = 0
        self.ticket = pair.ticket  # what the page gave; each answer brings the next one
        self.credited = 0.0
        self.final = False  # the writing phase: every heartbeat is written through

    def answered(self, content: bytes) -> None:
        data = json.loads(content)
        self.ticket = data["ticket"]
        self.credited += data["credited_seconds"]

    def request(self) -> tuple[str, str, bytes, dict[str, str]]:
        self.sent += 1
        self.end = min(self.end + HEARTBEAT_STEP, VIDEO_SECONDS)
        body = json.dumps(
            {
                "module": self.pair.module_id,
                "intervals": [[self.start, self.end]],
                "position": self.end,
                "ticket": self.ticket,
                "final": self.final,
            }
        ).encode()
        headers = {
            "Cookie": self.pair.cookie,
            "X-CSRFToken": self.pair.csrf,
            "Content-Type": "application/json",
        }
        return "POST", self.path, body, headers


def count_queries(sample: Pair) -> tuple[int, dict[str, Any]]:
    """SQL queries one warm heartbeat makes, through the test client in this process, and
    its answer (checked: it credited the seconds sent)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_COOKIE=sample.cookie, HTTP_X_CSRFTOKEN=sample.csrf)
    player = Player(sample, start=0.0)
    player.end = 600.0  # beyond anything seeded: new seconds to credit
    _method, path, body, _headers = player.request()
    warm = client.post(path, body, content_type="application/json")  # warms per-process caches
    player.answered(warm.content)
    player.sent_at = time.monotonic()
    from django.test.utils import override_settings

    _method, path, body, _headers = player.request()
    # The limit is not what this count is about.
    with (
        override_settings(SINAU_HEARTBEAT_MIN_SECONDS=0),
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.post(path, body, content_type="application/json")
    if response.status_code != 200:
        raise SystemExit(
            f"heartbeat answered {response.status_code} in-process: {response.content!r}"
        )
    return len(queries.captured_queries), response.json()


# --- Load -----------------------------------------------------------------------------


def heartbeat_maker(players: list[Player], min_seconds: float, waits: list[float]) -> Maker:
    """Cycle through this thread's players; never one sooner than the rate limit allows."""
    state = {"next": 0}

    def make() -> Call:
        player = players[state["next"] % len(players)]
        state["next"] += 1
        due = player.sent_at + min_seconds + RATE_LIMIT_MARGIN
        now = time.monotonic()
        if now < due:
            waits.append(due - now)
            time.sleep(due - now)
        player.sent_at = time.monotonic()
        method, path, body, headers = player.request()
        return Call(method, path, body, headers, answered=player.answered)

    return make


def table_writes_since(moment: dt.datetime) -> int:
    from lms.videos.models import VideoWatch

    return VideoWatch.objects.filter(updated_at__gte=moment).count()


# --- Report ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.heartbeat", description=__doc__)
    parser.parse_args(argv)
    rng = random.Random(SEED)
    # The web processes share their cache, as in production.
    os.environ.pop("CACHE_URL", None)
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    redis_url = os.environ["REDIS_URL"]
    print(f"{NAME}: database {DB_NAME}, settings {SETTINGS_MODULE}, Redis {redis_url}")

    with django_on_fresh_database(DB_NAME, settings_module=SETTINGS_MODULE):
        from django.conf import settings
        from django.core.cache import cache
        from django.utils import timezone

        cache.clear()
        seeded = seed(rng)
        queries, answer = count_queries(seeded.sample)
        if answer.get("credited_seconds", 0) <= 0:
            raise SystemExit(f"heartbeat credited nothing in-process: {answer}")
        min_seconds = float(settings.SINAU_HEARTBEAT_MIN_SECONDS)
        cache_backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
        machine = machine_info()
        print(
            f"  seeded {LEARNERS} learners x {VIDEOS} videos = {len(seeded.pairs) + 1} pairs; "
            f"rate limit {min_seconds:g} s per pair ({cache_backend}); serving on gunicorn, "
            f"{GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads"
        )

        waits: list[float] = []
        per_thread = [seeded.pairs[i::CLIENT_THREADS] for i in range(CLIENT_THREADS)]
        players = [
            [Player(p, start=float(rng.randrange(0, 600, 10))) for p in share]
            for share in per_thread
        ]
        bare = Target("bare", "bare view", BARE_PATH, logged_in=False)
        beat = Target("heartbeat", "heartbeat", "/video/<id>/tonton/ (POST, JSON)", logged_in=True)
        written = Target("written", "hb, written", "/video/<id>/tonton/ (final)", logged_in=True)
        port = free_port()
        with tempfile.TemporaryFile(prefix=f"{NAME}-gunicorn-") as log:
            server = start_gunicorn(port, log)
            try:
                wait_until_serving(server, port)
                bare_makers = [bare_maker() for _ in range(CLIENT_THREADS)]
                beat_makers = [heartbeat_maker(p, min_seconds, waits) for p in players]
                phases = [measure(server, port, bare, bare_makers)]
                phase_started = timezone.now()
                for _round in range(HEARTBEAT_PHASES):
                    phases.append(measure(server, port, beat, beat_makers))
                    phases.append(measure(server, port, bare, bare_makers))
                writes = table_writes_since(phase_started)
                sent = sum(player.sent for share in players for player in share)
                # The other kind of heartbeat: one that writes the watch to the database
                # (a pause, or the once-a-minute write), measured on its own.
                for share in players:
                    for player in share:
                        player.final = True
                phases.append(measure(server, port, written, beat_makers))
                phases.append(measure(server, port, bare, bare_makers))
            except BaseException:
                stop_gunicorn(server)
                log.seek(0)
                tail = log.read().decode(errors="replace").splitlines()[-20:]
                print("gunicorn log, last lines:\n  " + "\n  ".join(tail), file=sys.stderr)
                raise
            stop_gunicorn(server)

    bares, heartbeats, writing = phases[0::2], phases[1:-2:2], phases[-2]
    first_bare, last_bare = bares[0], bares[-1]
    baseline_rps = sum(p.rps for p in bares) / len(bares)
    heartbeat_rps = sum(p.rps for p in heartbeats) / len(heartbeats)
    # A player's heartbeat comes every HEARTBEAT_STEP seconds and one a minute writes: the
    # steady mix, from the two measured rates (time per request averaged over the mix).
    write_share = HEARTBEAT_STEP / float(settings.SINAU_WATCH_FLUSH_SECONDS)
    steady_rps = 1 / ((1 - write_share) / heartbeat_rps + write_share / writing.rps)
    bare_cpu = [p.server_cpu for p in bares if p.server_cpu is not None]
    baseline_cpu = sum(bare_cpu) / len(bare_cpu) if len(bare_cpu) == len(bares) else None
    beat_cpu = [p.server_cpu for p in heartbeats if p.server_cpu is not None]
    heartbeat_cpu = sum(beat_cpu) / len(beat_cpu) if len(beat_cpu) == len(heartbeats) else None
    figures: dict[str, Any] = {
        "learners": LEARNERS,
        "videos": VIDEOS,
        "learner_video_pairs": len(seeded.pairs) + 1,
        "rate_limit_seconds": min_seconds,
        "cache": cache_backend,
        "client_waits_for_rate_limit": len(waits),
        "flush_seconds": float(settings.SINAU_WATCH_FLUSH_SECONDS),
        "heartbeats_sent_in_phase": sent,
        "watches_written_to_table_in_phase": writes,
        "seconds_credited_during_run": round(
            sum(player.credited for share in players for player in share), 1
        ),
        "heartbeat": {
            "requests_per_second": round(heartbeat_rps, 1),
            "server_cpu_ms_per_request": None
            if heartbeat_cpu is None
            else round(1000 * heartbeat_cpu, 3),
            "sql_queries": queries,
            "phases": [p.figures() for p in heartbeats],
        },
        "heartbeat_written": writing.figures(),
        "steady_state": {
            "what": f"a heartbeat every {HEARTBEAT_STEP:g} s, the watch written every "
            f"{settings.SINAU_WATCH_FLUSH_SECONDS:g} s: one in {round(1 / write_share)} written",
            "write_share": round(write_share, 3),
            "requests_per_second": round(steady_rps, 1),
        },
    }
    baseline: dict[str, Any] = {
        "what": f"a view returning a 2-byte HttpResponse ({BARE_PATH}) through the same "
        "gunicorn and middleware, no database; measured before, between and after the "
        f"{HEARTBEAT_PHASES} heartbeat phases",
        "requests_per_second": round(baseline_rps, 1),
        "server_cpu_ms_per_request": None
        if baseline_cpu is None
        else round(1000 * baseline_cpu, 3),
        "phases": [p.figures() for p in bares],
        "drift": round(last_bare.rps / first_bare.rps - 1, 3),
    }
    ratio: dict[str, Any] = {
        "heartbeat_rps_vs_baseline": round(heartbeat_rps / baseline_rps, 3),
        "written_heartbeat_rps_vs_baseline": round(writing.rps / baseline_rps, 3),
        "steady_state_rps_vs_baseline": round(steady_rps / baseline_rps, 3),
        "target": 0.6,
    }
    if baseline_cpu and heartbeat_cpu:
        ratio["heartbeat_server_cpu_vs_baseline"] = round(heartbeat_cpu / baseline_cpu, 1)
    machine.update(
        {
            "gunicorn": f"{GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads (gthread), "
            "deploy/gunicorn.conf.py with --max-requests 0",
            "client": f"{CLIENT_THREADS} threads, keep-alive http.client, "
            f"{WARMUP_SECONDS:g} s warm-up + {MEASURE_SECONDS:g} s per phase, same machine",
        }
    )
    path = write_results(NAME, figures=figures, baseline=baseline, ratio=ratio, machine=machine)

    lines = [
        f"  {'phase':12} {'req/s':>8} {'vs bare':>8} {'mean ms':>8} {'p95 ms':>8} "
        f"{'SQL':>4} {'srv CPU ms':>10} {'x bare':>7}"
    ]
    for phase in phases:
        cpu, times = "-", "-"
        if phase.server_cpu is not None:
            cpu = f"{1000 * phase.server_cpu:.2f}"
            if baseline_cpu:
                times = f"{phase.server_cpu / baseline_cpu:.1f}"
        sql = str(queries) if phase in heartbeats else "0" if phase in bares else "-"
        lines.append(
            f"  {phase.target.label:12} {phase.rps:8.1f} {phase.rps / baseline_rps:8.2f} "
            f"{phase.latency_ms():8.2f} {phase.latency_ms(0.95):8.2f} "
            f"{sql:>4} {cpu:>10} {times:>7}"
        )
    print("\n".join(lines))
    print(
        f"  heartbeat    {heartbeat_rps:8.1f} req/s (mean of {len(heartbeats)} phases)\n"
        f"  baseline     {baseline_rps:8.1f} req/s (mean of {len(bares)} bare phases, "
        f"drift {baseline['drift']:+.1%})\n"
        f"  ratio        {ratio['heartbeat_rps_vs_baseline']:.2f} between writes, "
        f"{ratio['written_heartbeat_rps_vs_baseline']:.2f} written, "
        f"{ratio['steady_state_rps_vs_baseline']:.2f} in the steady mix of one written in "
        f"{round(1 / write_share)} (target at least 0.6)\n"
        f"  credited     {figures['seconds_credited_during_run']:.0f} s of video over the run; "
        f"{len(waits)} waits for the rate limit\n"
        f"  table        {figures['watches_written_to_table_in_phase']} watches written for "
        f"{figures['heartbeats_sent_in_phase']} heartbeats in the phase\n"
        f"  machine      {machine['cpu_count']} CPUs, Python {machine['python']}, "
        f"PostgreSQL {machine['postgresql']}\n"
        f"  written      {path.relative_to(path.parents[2])}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
