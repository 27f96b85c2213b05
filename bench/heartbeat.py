"""Watch heartbeats per second against a bare view, on the real stack.

Run: ``.venv/bin/python -m bench.heartbeat`` (PostgreSQL on 127.0.0.1:5432 as ``postgres``,
or the server in ``BENCH_DATABASE_URL``). Like ``bench.catalogue``: gunicorn as deployed
(2 workers x 4 threads) on a fresh database, a few keep-alive client threads in this
process, and a view that returns a tiny response without touching the database measured
first and last in the same run; only the ratio to it is comparable between runs.

Each heartbeat is the player's: ``POST /video/<id>/tonton/`` with the learner's session and
CSRF token, the module, the ranges played and the position. Every one is authenticated,
authorised (enrolment, module showing the video), rate-limited, merged under the row lock
and saved; none completes a module (a 30-minute video never reaches its share here).

The rate limit stays on at its setting (``SINAU_HEARTBEAT_MIN_SECONDS``, 2 s by default):
instead of lifting it, the load is spread as real traffic is, over many learners and videos.
400 learners x 10 videos make 4,000 learner-video pairs; each client thread cycles through
its own quarter of them, so a pair comes round only every few seconds, and a thread that
would come back too soon waits (the waits are reported; a 429 fails the run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import logging
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bench._common import django_on_fresh_database, machine_info, write_results
from bench.catalogue import (
    BARE_PATH,
    CLIENT_THREADS,
    GUNICORN_THREADS,
    GUNICORN_WORKERS,
    MAX_REQUESTS_PER_THREAD,
    MEASURE_SECONDS,
    REQUEST_TIMEOUT_SECONDS,
    REQUESTS_PER_CONNECTION,
    SETTINGS_MODULE,
    WARMUP_SECONDS,
    Phase,
    Target,
    cpu_seconds,
    free_port,
    start_gunicorn,
    stop_gunicorn,
    wait_until_serving,
    worker_pids,
)

if TYPE_CHECKING:
    from lms.people.models import Employee

NAME = "heartbeat"
DB_NAME = "sinau_bench_heartbeat"
SEED = 20_261_124
LEARNERS = 400
VIDEOS = 10
VIDEO_SECONDS = 1800.0  # a 30-minute lecture
HEARTBEAT_STEP = 10.0  # what the player sends every 10 s of playing
# A pair must not come round sooner than the limit; this margin covers clock jitter.
RATE_LIMIT_MARGIN = 0.25


@dataclass(frozen=True)
class Pair:
    cookie: str
    csrf: str
    video_id: int
    module_id: int


@dataclass
class Seeded:
    pairs: list[Pair]
    learner: Employee
    sample: Pair
    module_ids: list[int]


# --- Data -----------------------------------------------------------------------------


def seed(rng: random.Random) -> Seeded:
    from django.conf import settings
    from django.db import transaction
    from django.test import Client
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from courses.demo import seed_demo_catalogue
    from courses.models import CatalogueIndexPage, CoursePage, ModulePage
    from lms.learning.models import Enrolment
    from lms.people.demo import seed_demo_pemda
    from lms.people.models import Employee
    from lms.videos.models import Video, VideoWatch

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
    learners = list(
        Employee.objects.filter(is_staff=False, is_superuser=False, role_assignments=None).order_by(
            "nip"
        )[:LEARNERS]
    )
    if len(learners) < LEARNERS:
        raise SystemExit(f"seed: {len(learners)} plain learners, {LEARNERS} wanted")
    now = timezone.now()
    with transaction.atomic():
        Enrolment.objects.bulk_create(
            Enrolment(
                employee=e,
                course=course,
                source=Enrolment.Source.SELF,
                status=Enrolment.Status.ACTIVE,
                started_at=now - dt.timedelta(days=3),
            )  # fmt: skip
            for e in learners
        )
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
        client = Client()
        client.force_login(employee)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        # An unmasked CSRF secret is a valid token for both the cookie and the header.
        csrf = get_random_string(32)
        cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"
        for video, module in zip(videos, modules, strict=True):
            pairs.append(Pair(cookie=cookie, csrf=csrf, video_id=video.pk, module_id=module.pk))
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

    def request(self) -> tuple[str, str, bytes, dict[str, str]]:
        self.end = min(self.end + HEARTBEAT_STEP, VIDEO_SECONDS)
        body = json.dumps(
            {
                "module": self.pair.module_id,
                "intervals": [[self.start, self.end]],
                "position": self.end,
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
    client.post(path, body, content_type="application/json")  # warms per-process caches
    player.sent_at = time.monotonic()
    from django.core.cache import cache

    cache.clear()  # the limit is not what this count is about
    _method, path, body, _headers = player.request()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(path, body, content_type="application/json")
    if response.status_code != 200:
        raise SystemExit(
            f"heartbeat answered {response.status_code} in-process: {response.content!r}"
        )
    return len(queries.captured_queries), response.json()


# --- Load -----------------------------------------------------------------------------

Maker = Callable[[], tuple[str, str, bytes, dict[str, str]]]


def bare_maker() -> Maker:
    return lambda: ("GET", BARE_PATH, b"", {})


def heartbeat_maker(players: list[Player], min_seconds: float, waits: list[float]) -> Maker:
    """Cycle through this thread's players; never one sooner than the rate limit allows."""
    state = {"next": 0}

    def make() -> tuple[str, str, bytes, dict[str, str]]:
        player = players[state["next"] % len(players)]
        state["next"] += 1
        due = player.sent_at + min_seconds + RATE_LIMIT_MARGIN
        now = time.monotonic()
        if now < due:
            waits.append(due - now)
            time.sleep(due - now)
        player.sent_at = time.monotonic()
        return player.request()

    return make


def _client_thread(
    port: int,
    make: Maker,
    label: str,
    window: tuple[float, float],
    stop: threading.Event,
    latencies: list[float],
    sizes: list[int],
    failures: list[str],
) -> None:
    measure_from, until = window
    conn: http.client.HTTPConnection | None = None
    try:
        for number in range(MAX_REQUESTS_PER_THREAD):
            if stop.is_set() or time.perf_counter() >= until:
                return
            if conn is None or number % REQUESTS_PER_CONNECTION == 0:
                if conn is not None:
                    conn.close()
                conn = http.client.HTTPConnection(
                    "127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS
                )
            method, path, body, headers = make()
            started = time.perf_counter()
            conn.request(method, path, body=body or None, headers=headers)
            response = conn.getresponse()
            content = response.read()
            finished = time.perf_counter()
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}: {content[:200]!r}")
            if measure_from <= started and finished <= until:
                latencies.append(finished - started)
                sizes.append(len(content))
    except Exception as error:  # reported by the main thread, which stops the run
        failures.append(f"{label}: {type(error).__name__}: {error}")
        stop.set()
    finally:
        if conn is not None:
            conn.close()


def measure(
    server: subprocess.Popen[bytes], port: int, target: Target, makers: Sequence[Maker]
) -> Phase:
    stop = threading.Event()
    latencies: list[list[float]] = [[] for _ in makers]
    sizes: list[list[int]] = [[] for _ in makers]
    failures: list[str] = []
    start = time.perf_counter()
    window = (start + WARMUP_SECONDS, start + WARMUP_SECONDS + MEASURE_SECONDS)
    threads = [
        threading.Thread(
            target=_client_thread,
            args=(port, make, target.label, window, stop, latencies[i], sizes[i], failures),
            name=f"bench-client-{i}",
        )
        for i, make in enumerate(makers)
    ]
    workers = worker_pids(server)
    for thread in threads:
        thread.start()
    stop.wait(max(window[0] - time.perf_counter(), 0))
    client_cpu_before, server_cpu_before = time.process_time(), cpu_seconds(workers)
    stop.wait(max(window[1] - time.perf_counter(), 0))
    client_cpu, server_cpu_after = time.process_time(), cpu_seconds(workers)
    for thread in threads:
        thread.join(timeout=WARMUP_SECONDS + MEASURE_SECONDS + 2 * REQUEST_TIMEOUT_SECONDS)
        if thread.is_alive():
            stop.set()
            raise SystemExit(f"{target.label}: a client thread did not finish")
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise SystemExit(failures[0] + more)
    server_cpu = None
    if server_cpu_before is not None and server_cpu_after is not None:
        server_cpu = server_cpu_after - server_cpu_before
    if worker_pids(server) != workers:
        raise SystemExit(f"{target.label}: gunicorn replaced a worker during the phase")
    samples = [latency for per_thread in latencies for latency in per_thread]
    body_sizes = [size for per_thread in sizes for size in per_thread]
    if not samples:
        raise SystemExit(f"{target.label}: no request completed in the measured window")
    return Phase(
        target=target,
        requests=len(samples),
        seconds=MEASURE_SECONDS,
        latencies=samples,
        response_bytes=round(sum(body_sizes) / len(body_sizes)),
        client_cpu_seconds=client_cpu - client_cpu_before,
        server_cpu_seconds=server_cpu,
    )


def watched_totals() -> dict[str, Any]:
    from django.db.models import Count, Sum

    from lms.videos.models import VideoWatch

    totals = VideoWatch.objects.aggregate(
        seconds=Sum("watched_seconds"), completed=Count("completed_at")
    )
    return {"seconds": float(totals["seconds"] or 0), "completed": totals["completed"]}


# --- Report ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.heartbeat", description=__doc__)
    parser.parse_args(argv)
    rng = random.Random(SEED)
    print(f"{NAME}: database {DB_NAME}, settings {SETTINGS_MODULE}")

    with django_on_fresh_database(DB_NAME, settings_module=SETTINGS_MODULE):
        from django.conf import settings

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
        before = watched_totals()

        waits: list[float] = []
        per_thread = [seeded.pairs[i::CLIENT_THREADS] for i in range(CLIENT_THREADS)]
        players = [
            [Player(p, start=float(rng.randrange(0, 600, 10))) for p in share]
            for share in per_thread
        ]
        bare = Target("bare", "bare view", BARE_PATH, logged_in=False)
        beat = Target("heartbeat", "heartbeat", "/video/<id>/tonton/ (POST, JSON)", logged_in=True)
        port = free_port()
        with tempfile.TemporaryFile(prefix=f"{NAME}-gunicorn-") as log:
            server = start_gunicorn(port, log)
            try:
                wait_until_serving(server, port)
                bare_makers = [bare_maker() for _ in range(CLIENT_THREADS)]
                phases = [measure(server, port, bare, bare_makers)]
                beat_makers = [heartbeat_maker(p, min_seconds, waits) for p in players]
                phases.append(measure(server, port, beat, beat_makers))
                phases.append(measure(server, port, bare, bare_makers))
            except BaseException:
                stop_gunicorn(server)
                log.seek(0)
                tail = log.read().decode(errors="replace").splitlines()[-20:]
                print("gunicorn log, last lines:\n  " + "\n  ".join(tail), file=sys.stderr)
                raise
            stop_gunicorn(server)
        after = watched_totals()

    first_bare, heartbeat, last_bare = phases
    baseline_rps = (first_bare.rps + last_bare.rps) / 2
    bare_cpu = [p.server_cpu for p in (first_bare, last_bare) if p.server_cpu is not None]
    baseline_cpu = sum(bare_cpu) / len(bare_cpu) if len(bare_cpu) == 2 else None
    figures: dict[str, Any] = {
        "learners": LEARNERS,
        "videos": VIDEOS,
        "learner_video_pairs": len(seeded.pairs) + 1,
        "rate_limit_seconds": min_seconds,
        "cache": cache_backend,
        "client_waits_for_rate_limit": len(waits),
        "seconds_credited_during_run": round(after["seconds"] - before["seconds"], 1),
        "videos_completed_during_run": after["completed"] - before["completed"],
        "heartbeat": {**heartbeat.figures(), "sql_queries": queries},
    }
    baseline: dict[str, Any] = {
        "what": f"a view returning a 2-byte HttpResponse ({BARE_PATH}) through the same "
        "gunicorn and middleware, no database; measured before and after the heartbeats",
        "requests_per_second": round(baseline_rps, 1),
        "server_cpu_ms_per_request": None
        if baseline_cpu is None
        else round(1000 * baseline_cpu, 3),
        "first": {**first_bare.figures(), "sql_queries": 0},
        "last": last_bare.figures(),
        "drift": round(last_bare.rps / first_bare.rps - 1, 3),
    }
    ratio: dict[str, Any] = {
        "heartbeat_rps_vs_baseline": round(heartbeat.rps / baseline_rps, 3),
        "target": 0.6,
    }
    if baseline_cpu and heartbeat.server_cpu:
        ratio["heartbeat_server_cpu_vs_baseline"] = round(heartbeat.server_cpu / baseline_cpu, 1)
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
        sql = queries if phase is heartbeat else 0
        lines.append(
            f"  {phase.target.label:12} {phase.rps:8.1f} {phase.rps / baseline_rps:8.2f} "
            f"{phase.latency_ms():8.2f} {phase.latency_ms(0.95):8.2f} "
            f"{sql:4d} {cpu:>10} {times:>7}"
        )
    print("\n".join(lines))
    print(
        f"  baseline     {baseline_rps:8.1f} req/s (mean of first and last bare, "
        f"drift {baseline['drift']:+.1%})\n"
        f"  ratio        {ratio['heartbeat_rps_vs_baseline']:.2f} (target at least 0.6)\n"
        f"  credited     {figures['seconds_credited_during_run']:.0f} s of video over the run; "
        f"{len(waits)} waits for the rate limit\n"
        f"  machine      {machine['cpu_count']} CPUs, Python {machine['python']}, "
        f"PostgreSQL {machine['postgresql']}\n"
        f"  written      {path.relative_to(path.parents[2])}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
