"""What every benchmark needs: a throwaway PostgreSQL database, Django, a timer, the results.

Django is imported only inside the functions, because settings are read once, at
``django.setup()``, and the database URL must be in the environment before that.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
# Trust auth on the local server; BENCH_DATABASE_URL points elsewhere (its database part is
# only where we connect to create and drop ours).
DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"
# Only ever used when neither the environment nor .env has a key: benchmarks sign nothing.
FALLBACK_SECRET_KEY = "bench-only-secret-key-never-used-for-anything-real"

T = TypeVar("T")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _libpq_url(url: str) -> str:
    """django-environ also accepts aliases such as ``pgsql://``; libpq knows only these two."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        parts = parts._replace(scheme="postgresql")
    if not parts.path.strip("/"):
        parts = parts._replace(path="/postgres")
    return urlunsplit(parts)


def _admin_execute(server_url: str, *statements: Any) -> None:
    import psycopg

    # CREATE/DROP DATABASE cannot run inside a transaction block.
    with psycopg.connect(_libpq_url(server_url), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _drop_statement(name: str) -> Any:
    from psycopg import sql

    # FORCE: a connection left behind by a crashed run must not keep the database alive.
    return sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))


def _env_file_defines(key: str) -> bool:
    # The same file the settings read, so the fallback never shadows the project's own key.
    env_file = Path(os.environ.get("SINAU_ENV_FILE") or BASE_DIR / ".env")
    if not env_file.exists():
        return False
    for line in env_file.read_text(encoding="utf-8").splitlines():
        name, sep, _value = line.strip().removeprefix("export ").partition("=")
        if sep and name.strip() == key:
            return True
    return False


@contextmanager
def django_on_fresh_database(
    db_name: str, *, settings_module: str = "lms.settings"
) -> Iterator[None]:
    """Create ``db_name`` (dropping any leftover), set Django up on it, migrate; then drop it.

    ``settings_module`` is for benchmarks that must run on the project's settings with a
    change or two (a URLconf of their own, say); it stays in the environment, so a server
    started from the benchmark runs on the same settings.
    """
    from psycopg import sql

    server_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_SERVER_URL
    _admin_execute(
        server_url,
        _drop_statement(db_name),
        sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db_name)),
    )
    media_root = tempfile.mkdtemp(prefix=f"{db_name}-media-")
    os.environ["DATABASE_URL"] = _with_database(server_url, db_name)
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    os.environ["MEDIA_ROOT"] = media_root
    # Production runs without DEBUG, and with it Django keeps every query's SQL in memory,
    # which would cost time and memory that no real import pays.
    os.environ["DEBUG"] = "False"
    if "SECRET_KEY" not in os.environ and not _env_file_defines("SECRET_KEY"):
        os.environ["SECRET_KEY"] = FALLBACK_SECRET_KEY
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", interactive=False, verbosity=0)
        yield
    finally:
        # Only if Django got that far; otherwise there is nothing to close.
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        _admin_execute(server_url, _drop_statement(db_name))
        shutil.rmtree(media_root, ignore_errors=True)


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """Run ``fn`` once; return its result and the wall-clock seconds it took."""
    # Garbage left by the previous step should not be collected on this step's clock.
    gc.collect()
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def rate(rows: int, seconds: float) -> float:
    return rows / seconds if seconds > 0 else float("inf")


def machine_info() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (server_version,) = cursor.fetchone()
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgresql": server_version,
        "timestamp_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def write_results(
    name: str,
    *,
    figures: dict[str, Any],
    baseline: dict[str, Any],
    ratio: dict[str, Any],
    machine: dict[str, Any],
) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    document = {
        "name": name,
        "figures": figures,
        "baseline": baseline,
        "ratio": ratio,
        "machine": machine,
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def logged_in(employee: Any) -> tuple[str, str, str]:
    """A login session for the employee, as a browser holds it: the Cookie header (session
    and CSRF cookies), the CSRF token for the header, and the session key."""
    from django.conf import settings
    from django.test import Client
    from django.utils.crypto import get_random_string

    client = Client()
    client.force_login(employee)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    # An unmasked CSRF secret is a valid token for both the cookie and the header.
    csrf = get_random_string(32)
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"
    return cookie, csrf, session


def plain_learners(count: int) -> list[Any]:
    """``count`` demo employees with no role (no admin links or scope checks in their
    pages), in NIP order; the run stops if the seeded Pemda has fewer."""
    from lms.people.models import Employee

    learners = list(
        Employee.objects.filter(is_staff=False, is_superuser=False, role_assignments=None)
        .order_by("nip")[:count]
    )  # fmt: skip
    if len(learners) < count:
        raise SystemExit(f"seed: {len(learners)} plain learners, {count} wanted")
    return learners


def enrol_all(course: Any, learners: list[Any], *, started_days_ago: int) -> None:
    """Active self-enrolments of every learner in the course, started that long ago."""
    from lms.learning.models import Enrolment

    started = dt.datetime.now(dt.UTC) - dt.timedelta(days=started_days_ago)
    Enrolment.objects.bulk_create(
        Enrolment(
            employee=e,
            course=course,
            source=Enrolment.Source.SELF,
            status=Enrolment.Status.ACTIVE,
            started_at=started,
        )  # fmt: skip
        for e in learners
    )
