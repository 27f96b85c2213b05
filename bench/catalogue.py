"""Requests per second for the catalogue, a course page and "Kursus Saya", against a bare view.

Run: ``.venv/bin/python -m bench.catalogue`` (PostgreSQL on 127.0.0.1:5432 as ``postgres``,
or the server in ``BENCH_DATABASE_URL``). The pages are served by gunicorn as deployed
(``deploy/gunicorn.conf.py``: 2 workers x 4 threads) on 127.0.0.1, and fetched by a few
keep-alive client threads in this process. A view that returns a tiny response without
touching the database is measured first and last in the same run: on a shared machine only
the ratio to it is comparable from one run to the next.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import logging
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from bench._common import BASE_DIR, django_on_fresh_database, machine_info, write_results

if TYPE_CHECKING:
    from courses.models import CatalogueIndexPage, CoursePage
    from lms.people.models import Employee

NAME = "catalogue"
DB_NAME = "sinau_bench_catalogue"
SETTINGS_MODULE = "bench._settings"
SEED = 20_261_201
EMPLOYEES = 60
# seed_demo_catalogue publishes four courses; these make the catalogue about a hundred.
EXTRA_COURSES = 96
ENROLMENTS = 50
COMPLETED_SHARE = 0.4

GUNICORN_WORKERS = 2
GUNICORN_THREADS = 4
CLIENT_THREADS = 4
WARMUP_SECONDS = 1.0
MEASURE_SECONDS = 8.0
# A connection is reopened after this many requests. Each gunicorn worker accepts
# keep-alive connections for itself, so four connections held for a whole phase can all
# land on one worker, which (one GIL) then does the work of two; reopening spreads them.
REQUESTS_PER_CONNECTION = 50
# Far above what this machine can do in one phase; only there so no loop is unbounded.
MAX_REQUESTS_PER_THREAD = 200_000
REQUEST_TIMEOUT_SECONDS = 10.0
SERVER_START_SECONDS = 60.0
SERVER_STOP_SECONDS = 15.0
BARE_PATH = "/bench/bare/"
SAMPLE_COURSE_SLUG = "integritas-asn"  # the demo course with modules

TOPICS = [
    "Pelayanan Publik", "Manajemen Risiko", "Pengadaan Barang dan Jasa", "Arsip Dinamis",
    "Keuangan Daerah", "Penyusunan Renstra", "Analisis Kebijakan", "Literasi Digital",
    "Keamanan Informasi", "Kepemimpinan Pengawas", "Komunikasi Publik", "Statistik Sektoral",
    "Perencanaan Anggaran", "Pengelolaan Aset", "Etika Birokrasi", "Manajemen Kinerja",
]  # fmt: skip
ASPECTS = ["Dasar-dasar", "Praktik", "Studi Kasus", "Lanjutan", "Penerapan", "Evaluasi"]


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    path: str
    logged_in: bool


@dataclass
class Phase:
    target: Target
    requests: int
    seconds: float
    latencies: list[float]
    response_bytes: int
    client_cpu_seconds: float
    server_cpu_seconds: float | None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def server_cpu(self) -> float | None:
        """Server CPU seconds per request (gunicorn workers only, not PostgreSQL)."""
        if self.server_cpu_seconds is None:
            return None
        return self.server_cpu_seconds / self.requests

    def latency_ms(self, share: float | None = None) -> float:
        if share is None:
            return 1000 * sum(self.latencies) / len(self.latencies)
        ordered = sorted(self.latencies)
        return 1000 * ordered[max(math.ceil(share * len(ordered)) - 1, 0)]

    def figures(self) -> dict[str, Any]:
        return {
            "path": self.target.path,
            "logged_in": self.target.logged_in,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "requests_per_second": round(self.rps, 1),
            "latency_mean_ms": round(self.latency_ms(), 2),
            "latency_p95_ms": round(self.latency_ms(0.95), 2),
            "response_bytes": self.response_bytes,
            # The client shares the two cores with the server; this is how much it took.
            "client_cpu_share": round(self.client_cpu_seconds / self.seconds, 2),
            "server_cpu_ms_per_request": (
                None if self.server_cpu is None else round(1000 * self.server_cpu, 3)
            ),
        }


# --- Data -----------------------------------------------------------------------------


@dataclass
class Seeded:
    learner: Employee
    catalogue: CatalogueIndexPage
    sample_course: CoursePage
    course_titles: list[str]
    enrolled_titles: list[str] = field(default_factory=list)


def seed(rng: random.Random) -> Seeded:
    from django.db import transaction

    from courses.demo import seed_demo_catalogue
    from courses.models import (
        CatalogueIndexPage,
        CompetencyType,
        CourseLevel,
        CoursePage,
        EnrolmentPolicy,
    )
    from lms.people.demo import seed_demo_pemda
    from lms.people.models import Employee

    # Wagtail logs every page it creates and publishes: some four hundred lines here.
    logging.getLogger("wagtail").setLevel(logging.WARNING)
    seed_demo_pemda(employees=EMPLOYEES)
    sample = seed_demo_catalogue()
    catalogue = CatalogueIndexPage.objects.get()
    with transaction.atomic():
        for number in range(1, EXTRA_COURSES + 1):
            topic, aspect = rng.choice(TOPICS), rng.choice(ASPECTS)
            page = CoursePage(
                title=f"{topic}: {aspect} ({number})",
                slug=f"kursus-{number:03d}",
                summary=f"{aspect} {topic.lower()} untuk ASN di lingkungan Pemda, "
                "dengan contoh dari OPD dan latihan singkat.",
                body=f"<p>Kursus mandiri tentang {topic.lower()}.</p>"
                "<p>Selesaikan semua modul untuk memperoleh sertifikat dan JP.</p>",
                jp_credited=Decimal(rng.choice(["2", "3", "4", "6", "8", "10"])),
                competency_type=rng.choice(CompetencyType.values),
                level=rng.choice(CourseLevel.values),
                # Open, so that the learner's self-enrolments below are ones the rules allow.
                enrolment_policy=EnrolmentPolicy.OPEN,
            )
            catalogue.add_child(instance=page)
            page.save_revision().publish()
    # A plain learner: no role, so no admin links or scope checks in their pages.
    learner = (
        Employee.objects.filter(is_staff=False, is_superuser=False, role_assignments=None)
        .order_by("nip")
        .first()
    )
    if learner is None:
        raise SystemExit("seed: no plain learner among the demo employees")
    titles = list(CoursePage.objects.live().child_of(catalogue).values_list("title", flat=True))
    seeded = Seeded(
        learner=learner, catalogue=catalogue, sample_course=sample, course_titles=titles
    )
    seeded.enrolled_titles = enrol(learner, sample, rng)
    return seeded


def enrol(learner: Employee, sample: CoursePage, rng: random.Random) -> list[str]:
    """Fifty enrolments for one learner, active and completed, the sample course among them."""
    from django.utils import timezone

    from courses.models import CoursePage
    from lms.learning.models import Enrolment, ModuleProgress

    others = list(CoursePage.objects.live().exclude(pk=sample.pk).order_by("pk"))
    courses = [sample, *rng.sample(others, ENROLMENTS - 1)]
    now = timezone.now()
    completed = round(ENROLMENTS * COMPLETED_SHARE)
    rows = []
    for number, course in enumerate(courses):
        started = now - dt.timedelta(days=rng.randint(20, 200))
        # The sample course stays active: its page then shows the learner's progress.
        if number and number <= completed:
            done = min(started + dt.timedelta(days=rng.randint(1, 19)), now)
            rows.append(
                Enrolment(
                    employee=learner,
                    course=course,
                    source=Enrolment.Source.SELF,
                    status=Enrolment.Status.COMPLETED,
                    started_at=started,
                    completed_at=done,
                )
            )
        elif number % 3 == 1:
            # Assigned and not opened yet: the dashboard's "assigned" group.
            rows.append(
                Enrolment(
                    employee=learner,
                    course=course,
                    source=Enrolment.Source.ASSIGNED,
                    status=Enrolment.Status.ACTIVE,
                    due_date=(now + dt.timedelta(days=rng.randint(10, 90))).date(),
                )
            )
        else:
            rows.append(
                Enrolment(
                    employee=learner,
                    course=course,
                    source=Enrolment.Source.SELF,
                    status=Enrolment.Status.ACTIVE,
                    started_at=started,
                )
            )
    created = Enrolment.objects.bulk_create(rows)
    first_module = sample.modules().first()
    if first_module is not None:
        ModuleProgress.objects.create(
            enrolment=created[0], module=first_module, started_at=now, completed_at=now
        )
    return [course.title for course in courses]


def session_cookie(learner: Employee) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(learner)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def targets(seeded: Seeded) -> tuple[Target, list[Target]]:
    from django.urls import NoReverseMatch, reverse

    try:
        dashboard = reverse("learning:dashboard")
    except NoReverseMatch:
        raise SystemExit(
            "learning:dashboard does not resolve: no 'Kursus Saya' page to measure"
        ) from None
    bare = Target("bare", "bare view", BARE_PATH, logged_in=False)
    course = seeded.sample_course.url
    pages = [
        Target("catalogue", "catalogue", seeded.catalogue.url, logged_in=False),
        Target("course", "course page", course, logged_in=False),
        Target("course_enrolled", "course page, enrolled", course, logged_in=True),
        Target("dashboard", "Kursus Saya", dashboard, logged_in=True),
    ]
    return bare, pages


def count_queries(target: Target, learner: Employee) -> tuple[int, bytes]:
    """SQL queries one warm request makes, through the test client in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    if target.logged_in:
        client.force_login(learner)
    # The first request fills per-process caches (content types, Wagtail's site roots)
    # that a serving worker filled long ago.
    first = client.get(target.path)
    if first.status_code != 200:
        raise SystemExit(f"{target.label}: {target.path} answered {first.status_code} in-process")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(target.path)
    if response.status_code != 200:
        raise SystemExit(f"{target.label}: {target.path} answered {response.status_code}")
    return len(queries.captured_queries), response.content


def check_pages(seeded: Seeded, contents: dict[str, bytes]) -> dict[str, Any]:
    """Fail loudly when a page is fast because it shows nothing."""
    listed = _titles_on(contents["catalogue"], seeded.course_titles)
    if listed == 0:
        raise SystemExit("catalogue: none of the published courses is on the page")
    if _titles_on(contents["course_enrolled"], [seeded.sample_course.title]) != 1:
        raise SystemExit("course page: the course title is missing")
    shown = _titles_on(contents["dashboard"], seeded.enrolled_titles)
    if shown == 0:
        raise SystemExit("Kursus Saya: none of the learner's courses is on the page")
    return {
        "enrolments_by_status": _enrolments_by_status(seeded.learner),
        "catalogue_courses_listed": listed,
        "dashboard_courses_shown": shown,
    }


def _enrolments_by_status(learner: Employee) -> dict[str, int]:
    from django.db.models import Count

    from lms.learning.models import Enrolment

    rows = Enrolment.objects.filter(employee=learner).values_list("status").annotate(n=Count("pk"))
    return dict(rows.order_by("status"))


def _titles_on(content: bytes, titles: Sequence[str]) -> int:
    from django.utils.html import escape

    # Every title is unique (the seeded ones end in their number), and none contains another.
    html = content.decode()
    return sum(1 for title in titles if str(escape(title)) in html)


# --- Server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(port: int, log: IO[bytes]) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(GUNICORN_WORKERS),
        "GUNICORN_THREADS": str(GUNICORN_THREADS),
    }
    command = [
        sys.executable, "-m", "gunicorn", "-c", str(BASE_DIR / "deploy" / "gunicorn.conf.py"),
        # The deployed config recycles a worker every ~2,000 requests against slow leaks;
        # a phase serves several times that, and a worker booting Django mid-phase would
        # be measured instead of the page.
        "--max-requests", "0",
        "lms.wsgi:application",
    ]  # fmt: skip
    # A session of its own, so that stopping it reaches the master and its workers alone.
    return subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def wait_until_serving(server: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode} while starting")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", BARE_PATH)
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
            raise SystemExit(f"gunicorn answered {status} on {BARE_PATH}")
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not serve within {SERVER_START_SECONDS:.0f} s")


def stop_gunicorn(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=SERVER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=SERVER_STOP_SECONDS)


def worker_pids(server: subprocess.Popen[bytes]) -> list[int]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    try:
        return [int(pid) for pid in children.read_text().split()]
    except OSError:
        return []


def cpu_seconds(pids: Sequence[int]) -> float | None:
    """User + system CPU of these processes, from /proc; None where that is not readable."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        for pid in pids:
            # The command name, in parentheses, may hold spaces: fields count from after it.
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None
    return total / tick if pids else None


# --- Load -----------------------------------------------------------------------------


def load(server: subprocess.Popen[bytes], port: int, target: Target, cookie: str) -> Phase:
    # Imported here: bench._load reads this module's settings.
    from bench._load import fixed_maker, measure

    headers = {"Cookie": cookie} if target.logged_in else {}
    return measure(server, port, target, [fixed_maker(target.path, headers)] * CLIENT_THREADS)


# --- Report ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.catalogue", description=__doc__)
    parser.parse_args(argv)
    rng = random.Random(SEED)
    print(f"{NAME}: database {DB_NAME}, settings {SETTINGS_MODULE}")

    with django_on_fresh_database(DB_NAME, settings_module=SETTINGS_MODULE):
        seeded = seed(rng)
        bare, pages = targets(seeded)
        cookie = session_cookie(seeded.learner)
        queries: dict[str, int] = {}
        contents: dict[str, bytes] = {}
        for target in [bare, *pages]:
            queries[target.key], contents[target.key] = count_queries(target, seeded.learner)
        checks = check_pages(seeded, contents)
        machine = machine_info()
        print(
            f"  seeded {len(seeded.course_titles)} published courses, {ENROLMENTS} enrolments for "
            f"{seeded.learner.nip}; serving on gunicorn, "
            f"{GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads"
        )

        port = free_port()
        with tempfile.TemporaryFile(prefix=f"{NAME}-gunicorn-") as log:
            server = start_gunicorn(port, log)
            try:
                wait_until_serving(server, port)
                phases = [load(server, port, bare, cookie)]
                for target in pages:
                    phases.append(load(server, port, target, cookie))
                phases.append(load(server, port, bare, cookie))
            except BaseException:
                stop_gunicorn(server)
                log.seek(0)
                tail = log.read().decode(errors="replace").splitlines()[-20:]
                print("gunicorn log, last lines:\n  " + "\n  ".join(tail), file=sys.stderr)
                raise
            stop_gunicorn(server)

    first_bare, last_bare = phases[0], phases[-1]
    baseline_rps = (first_bare.rps + last_bare.rps) / 2
    bare_cpu = [p.server_cpu for p in (first_bare, last_bare) if p.server_cpu is not None]
    baseline_cpu = sum(bare_cpu) / len(bare_cpu) if len(bare_cpu) == 2 else None
    by_key = {phase.target.key: phase for phase in phases[1:-1]}
    figures: dict[str, Any] = {
        "courses_published": len(seeded.course_titles),
        "enrolments": ENROLMENTS,
        **checks,
        "pages": {
            key: {**phase.figures(), "sql_queries": queries[key]} for key, phase in by_key.items()
        },
    }
    baseline: dict[str, Any] = {
        "what": f"a view returning a 2-byte HttpResponse ({BARE_PATH}) through the same "
        "gunicorn and middleware, no database; measured before and after the pages",
        "requests_per_second": round(baseline_rps, 1),
        "server_cpu_ms_per_request": None
        if baseline_cpu is None
        else round(1000 * baseline_cpu, 3),
        "first": {**first_bare.figures(), "sql_queries": queries["bare"]},
        "last": last_bare.figures(),
        "drift": round(last_bare.rps / first_bare.rps - 1, 3),
    }
    ratio: dict[str, Any] = {
        # < 1: the share of the bare view's throughput the page reaches.
        f"{key}_rps_vs_baseline": round(phase.rps / baseline_rps, 3)
        for key, phase in by_key.items()
    }
    if baseline_cpu is not None:
        # > 1: how many times the bare view's server CPU a request takes. Steadier than
        # requests/s when other work shares the machine, as it does here.
        ratio.update(
            {
                f"{key}_server_cpu_vs_baseline": round(phase.server_cpu / baseline_cpu, 1)
                for key, phase in by_key.items()
                if phase.server_cpu
            }
        )
    machine.update(
        {
            "gunicorn": f"{GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads (gthread), "
            "deploy/gunicorn.conf.py with --max-requests 0",
            "client": f"{CLIENT_THREADS} threads, keep-alive http.client, "
            f"{WARMUP_SECONDS:g} s warm-up + {MEASURE_SECONDS:g} s per page, same machine",
        }
    )
    path = write_results(NAME, figures=figures, baseline=baseline, ratio=ratio, machine=machine)

    lines = [
        f"  {'page':24} {'req/s':>8} {'vs bare':>8} {'mean ms':>8} {'p95 ms':>8} "
        f"{'SQL':>4} {'srv CPU ms':>10} {'x bare':>7}"
    ]
    for phase in phases:
        cpu, times = "-", "-"
        if phase.server_cpu is not None:
            cpu = f"{1000 * phase.server_cpu:.2f}"
            if baseline_cpu:
                times = f"{phase.server_cpu / baseline_cpu:.1f}"
        lines.append(
            f"  {phase.target.label:24} {phase.rps:8.1f} {phase.rps / baseline_rps:8.2f} "
            f"{phase.latency_ms():8.2f} {phase.latency_ms(0.95):8.2f} "
            f"{queries[phase.target.key]:4d} {cpu:>10} {times:>7}"
        )
    print("\n".join(lines))
    print(
        f"  baseline                 {baseline_rps:8.1f} req/s (mean of first and last bare, "
        f"drift {baseline['drift']:+.1%})\n"
        f"  Kursus Saya shows {checks['dashboard_courses_shown']} of {ENROLMENTS} courses; "
        f"the catalogue lists {checks['catalogue_courses_listed']} on its first page\n"
        f"  machine           {machine['cpu_count']} CPUs, Python {machine['python']}, "
        f"PostgreSQL {machine['postgresql']}\n"
        f"  written           {path.relative_to(path.parents[2])}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
