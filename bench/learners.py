"""A class of learners at once: locust on loopback against gunicorn on PostgreSQL and Redis,
at 50, 200 and 500 simulated learners; requests per second and 95th-percentile latency per
endpoint.

Run: ``.venv/bin/python -m bench.learners`` (PostgreSQL on 127.0.0.1:5432 as ``postgres``
or ``BENCH_DATABASE_URL``; Redis database ``BENCH_REDIS_URL`` or 3 on 127.0.0.1:6379).
``--users 50,200,500`` and ``--seconds 30`` change the levels and each phase's length; the
run stops by itself (locust's ``--run-time``).

Gunicorn runs as deployed (``deploy/gunicorn.conf.py``: 2 workers x 4 threads) on a fresh
database with 520 learners, each enrolled in a course of ten 30-minute video modules and a
20-question quiz, with an attempt open and a watch history. Each simulated learner (see
``bench/_locustfile.py``) waits 1 to 5 s between requests and does, by weight: 5 video
heartbeats, 2 module pages, 2 quiz answers, 1 catalogue page. So the offered load grows
with the learners (about a third of a request per learner per second): the figures say
whether the server keeps up (requests per second close to offered, p95 flat) or queues.

Baseline, in the same run and at each level: the same learners with the same waits asking
only for a view that returns 2 bytes without touching the database (``/bench/bare/``). The
ratios are the mix's p95 over the bare view's p95 (how much the real pages add to the
floor under that load) and the mix's requests per second over the bare phase's (1.0: the
server kept pace with the learners). Locust runs in one process: on these two cores it
shares the machine with gunicorn and PostgreSQL, and its own CPU is part of what limits
the highest level (reported as ``client_cpu_share``).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench._common import (
    BASE_DIR,
    django_on_fresh_database,
    enrol_all,
    logged_in,
    machine_info,
    plain_learners,
    write_results,
)
from bench.catalogue import (
    BARE_PATH,
    GUNICORN_THREADS,
    GUNICORN_WORKERS,
    SETTINGS_MODULE,
    cpu_seconds,
    free_port,
    start_gunicorn,
    stop_gunicorn,
    wait_until_serving,
    worker_pids,
)
from bench.quiz import make_quiz

NAME = "learners"
DB_NAME = "sinau_bench_learners"
SEED = 20_261_125
LEARNERS = 520
VIDEOS = 10
VIDEO_SECONDS = 1800.0
LEVELS = (50, 200, 500)
PHASE_SECONDS = 30
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/3"
ENDPOINTS = ("heartbeat", "module page", "quiz answer", "catalogue")


def seed(rng: random.Random) -> dict[str, Any]:
    """The learners and what each one's browser holds: cookies, watch tickets, an attempt."""
    from django.db import transaction
    from django.utils import timezone

    from courses.demo import seed_demo_catalogue
    from courses.models import CatalogueIndexPage, CoursePage, ModulePage
    from lms.assessments import services as quiz_services
    from lms.people.demo import seed_demo_pemda
    from lms.videos.models import Video, VideoWatch
    from lms.videos.watching import watch_ticket, watch_ticket_sign

    # Wagtail logs every page it publishes, and the quiz service every attempt it starts.
    logging.getLogger("wagtail").setLevel(logging.WARNING)
    logging.getLogger("lms").setLevel(logging.WARNING)
    seed_demo_pemda(employees=LEARNERS + 40)
    seed_demo_catalogue()
    catalogue = CatalogueIndexPage.objects.get()
    course = CoursePage(
        title="Kelas Integritas Serentak", slug="kelas-serentak",
        summary="Sepuluh kuliah video dan satu kuis.", jp_credited=Decimal("4"),
    )  # fmt: skip
    catalogue.add_child(instance=course)
    course.save_revision().publish()
    videos, modules = [], []
    for number in range(1, VIDEOS + 1):
        video = Video.objects.create(
            title=f"Kuliah {number}", status=Video.Status.READY,
            duration_seconds=VIDEO_SECONDS, hls_prefix=f"videos/hls/bench/{number}/",
        )  # fmt: skip
        module = ModulePage(title=f"Kuliah {number}", slug=f"kuliah-{number}")
        course.add_child(instance=module)
        module.body = [("video", {"video": video, "caption": ""})]
        module.save_revision().publish()  # fills the reference index access runs through
        videos.append(video)
        modules.append(module)
    quiz = make_quiz("Kuis Kelas Serentak")
    evaluation = ModulePage(title="Evaluasi", slug="evaluasi")
    course.add_child(instance=evaluation)
    evaluation.body = [("quiz", {"quiz": quiz, "required_to_pass": True})]
    evaluation.save_revision().publish()

    learners = plain_learners(LEARNERS)
    now = timezone.now()
    watched: dict[tuple[int, int], float] = {}
    with transaction.atomic():
        enrol_all(course, learners, started_days_ago=3)
        rows = []
        for e in learners:
            for v in videos:
                seconds = float(rng.randrange(60, 600, 10))
                watched[e.pk, v.pk] = seconds
                rows.append(
                    VideoWatch(
                        employee=e,
                        video=v,
                        intervals=[[0.0, seconds]],
                        watched_seconds=seconds,
                        last_position=seconds,
                        last_heartbeat_at=now - dt.timedelta(hours=1),
                    )  # fmt: skip
                )
        VideoWatch.objects.bulk_create(rows)
    from django.urls import reverse

    data: dict[str, Any] = {
        "catalogue_url": catalogue.url,
        "bare_path": BARE_PATH,
        "video_seconds": VIDEO_SECONDS,
        "learners": [],
    }
    module_urls = [m.url for m in modules] + [evaluation.url]
    for employee in learners:
        cookie, csrf, session = logged_in(employee)
        attempt = quiz_services.attempt_start(actor=employee, quiz=quiz)
        pairs = []
        for video, module in zip(videos, modules, strict=True):
            ticket = watch_ticket(employee=employee, video_id=video.pk, module_id=module.pk)
            pairs.append(
                {
                    "path": reverse("videos:heartbeat", kwargs={"video_id": video.pk}),
                    "module_id": module.pk,
                    "ticket": watch_ticket_sign(ticket, session_key=session),
                    # A new session's range starts where the learner left off.
                    "start": watched[employee.pk, video.pk],
                }
            )
        rng.shuffle(pairs)
        data["learners"].append(
            {
                "cookie": cookie, "csrf": csrf, "pairs": pairs, "module_urls": module_urls,
                "attempt_id": attempt.pk,
                "kinds": {str(p): k for p, k in attempt.questions.values_list("position", "kind")},
            }
        )  # fmt: skip
    rng.shuffle(data["learners"])
    return data


def run_locust(port: int, data_file: str, users: int, phase: str, seconds: int) -> dict[str, Any]:
    """One phase: locust headless for ``seconds`` after all users have started; its stats."""
    with tempfile.TemporaryDirectory(prefix=f"{NAME}-locust-") as tmp:
        prefix = str(Path(tmp) / "stats")
        env = {**os.environ, "SINAU_LOCUST_DATA": data_file, "SINAU_LOCUST_PHASE": phase}
        spawn_rate = max(users // 5, 10)  # all started within about 5 s
        command = [
            sys.executable, "-m", "locust", "-f", str(BASE_DIR / "bench" / "_locustfile.py"),
            "--headless", "--host", f"http://127.0.0.1:{port}", "--users", str(users),
            "--spawn-rate", str(spawn_rate), "--run-time", f"{seconds + users // spawn_rate}s",
            "--stop-timeout", "5", "--csv", prefix, "--only-summary", "--loglevel", "WARNING",
            "--exit-code-on-error", "0", "--reset-stats",
        ]  # fmt: skip
        started = time.monotonic()
        before = os.times()
        done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
            command, cwd=BASE_DIR, env=env, capture_output=True, text=True,
            timeout=seconds + 120,
        )  # fmt: skip
        after = os.times()
        wall = time.monotonic() - started
        if done.returncode != 0:
            raise SystemExit(f"locust exited {done.returncode}:\n{done.stderr[-2000:]}")
        with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
            rows = {row["Name"]: row for row in csv.DictReader(handle)}
        with open(f"{prefix}_failures.csv", encoding="utf-8") as handle:
            failures = [
                {"endpoint": row["Name"], "error": row["Error"][:200],
                 "occurrences": int(row["Occurrences"])}
                for row in csv.DictReader(handle)
            ]  # fmt: skip
    client_cpu = (after.children_user + after.children_system) - (
        before.children_user + before.children_system
    )

    def figures(row: dict[str, str]) -> dict[str, Any]:
        return {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "requests_per_second": round(float(row["Requests/s"]), 1),
            "latency_median_ms": float(row["50%"]),
            "latency_p95_ms": float(row["95%"]),
            "latency_p99_ms": float(row["99%"]),
        }

    result: dict[str, Any] = {
        name: figures(row) for name, row in rows.items() if name != "Aggregated"
    }
    result["all"] = figures(rows["Aggregated"])
    result["client_cpu_share"] = round(client_cpu / wall, 2)
    result["failure_reasons"] = failures
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.learners", description=__doc__)
    parser.add_argument("--users", default=",".join(map(str, LEVELS)))
    parser.add_argument("--seconds", type=int, default=PHASE_SECONDS)
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.users.split(",")]
    if max(levels) > LEARNERS:
        raise SystemExit(f"--users: at most {LEARNERS} (the seeded learners)")
    rng = random.Random(SEED)
    os.environ.pop("CACHE_URL", None)
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    print(f"{NAME}: database {DB_NAME}, Redis {os.environ['REDIS_URL']}")

    with django_on_fresh_database(DB_NAME, settings_module=SETTINGS_MODULE):
        from django.core.cache import cache

        cache.clear()
        started = time.monotonic()
        data = seed(rng)
        print(f"  seeded {len(data['learners'])} learners in {time.monotonic() - started:.0f} s")
        # Other work on the machine shows here: the run is only as quiet as the machine.
        machine = {**machine_info(), "load_average_at_start": os.getloadavg()}
        port = free_port()
        levels_out: dict[str, Any] = {}
        with (
            tempfile.NamedTemporaryFile("w", suffix=".json", prefix=f"{NAME}-") as seed_file,
            tempfile.TemporaryFile(prefix=f"{NAME}-gunicorn-") as log,
        ):
            json.dump(data, seed_file)
            seed_file.flush()
            server = start_gunicorn(port, log)
            try:
                wait_until_serving(server, port)
                for users in levels:
                    level: dict[str, Any] = {}
                    for phase in ("bare", "mix"):
                        pids = worker_pids(server)
                        cpu_before = cpu_seconds(pids)
                        level[phase] = run_locust(port, seed_file.name, users, phase, args.seconds)
                        cpu_after = cpu_seconds(pids)
                        if cpu_before is not None and cpu_after is not None:
                            level[phase]["server_cpu_seconds"] = round(cpu_after - cpu_before, 2)
                        everything = level[phase]["all"]
                        print(
                            f"  {users:>4} learners, {phase:>4}: "
                            f"{everything['requests_per_second']:7.1f} req/s, "
                            f"p95 {everything['latency_p95_ms']:6.0f} ms, "
                            f"{everything['failures']} failures"
                        )
                    levels_out[str(users)] = level
            except BaseException:
                stop_gunicorn(server)
                log.seek(0)
                tail = log.read().decode(errors="replace").splitlines()[-20:]
                print("gunicorn log, last lines:\n  " + "\n  ".join(tail), file=sys.stderr)
                raise
            stop_gunicorn(server)

    figures: dict[str, Any] = {}
    baseline: dict[str, Any] = {}
    ratio: dict[str, Any] = {}
    for key, level in levels_out.items():
        mix, bare = level["mix"], level["bare"]
        figures[key] = {
            "endpoints": {name: mix[name] for name in ENDPOINTS if name in mix},
            "all": mix["all"],
            "client_cpu_share": mix["client_cpu_share"],
            "server_cpu_seconds": mix.get("server_cpu_seconds"),
            "failure_reasons": mix["failure_reasons"],
        }
        baseline[key] = {
            "what": f"the same learners and waits, asking only {BARE_PATH} (2 bytes, no database)",
            **bare["bare view"],
        }
        ratio[key] = {
            "p95_mix_over_bare": round(
                mix["all"]["latency_p95_ms"] / max(bare["bare view"]["latency_p95_ms"], 1.0), 2
            ),
            "rps_mix_over_bare": round(
                mix["all"]["requests_per_second"]
                / max(bare["bare view"]["requests_per_second"], 0.1),
                2,
            ),
        }
    figures["setup"] = {
        "learners_seeded": LEARNERS,
        "phase_seconds": args.seconds,
        "gunicorn": f"{GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads",
        "weights": {"heartbeat": 5, "module page": 2, "quiz answer": 2, "catalogue": 1},
        "wait_seconds": [1, 5],
    }
    path = write_results(NAME, figures=figures, baseline=baseline, ratio=ratio, machine=machine)
    print(f"  wrote {path.relative_to(BASE_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
