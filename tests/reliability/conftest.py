"""Helpers for the reliability suite: real Celery workers in their own process group (so a
test can kill a whole worker, pool and ffmpeg included, the way a node dies), on a Redis
broker database of their own (12; their cache in 13), and a PostgreSQL row lock that holds
a task still in the middle of its work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.assessments.conftest import (  # noqa: F401 - the bad-input tests' fixtures
    bank,
    course,
    enrolment,
    learner,
    module,
    questions,
    quiz,
    quiz_with,
)  # fmt: skip
from tests.assessments.test_views import started  # noqa: F401
from tests.learning.test_external import seminar  # noqa: F401
from tests.planning.conftest import dictionary  # noqa: F401
from tests.support import worker_env

ROOT = Path(__file__).resolve().parents[2]
BROKER_URL = "redis://127.0.0.1:6379/12"
CACHE_URL = "redis://127.0.0.1:6379/13"
# A job whose worker died goes back on the queue this many seconds later (seven hours in
# production, longer than the longest transcode).
VISIBILITY_TIMEOUT = 3


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(BROKER_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Worker:
    """A Celery worker started as its own session: ``kill()`` is a SIGKILL to all of it."""

    def __init__(self, queue: str, env: dict[str, str], log: Path) -> None:
        self.log_path = log
        self._log = log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own venv's celery
            [
                sys.executable, "-m", "celery", "-A", "lms", "worker", "-Q", queue,
                "--pool", "solo", "--without-mingle", "--without-gossip",
                "--without-heartbeat", "-l", "INFO",
            ],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self) -> None:
        wait_for(lambda: "ready." in self.log(), 60, "the worker to start")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


@pytest.fixture
def workers(settings: Any, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """``workers(queue, **env)``: start a worker on the reliability broker; all of them are
    stopped (and the broker database emptied) after the test."""
    if not redis_available():
        pytest.skip("the reliability workers need Redis on 127.0.0.1:6379")
    running: list[Worker] = []

    def start(queue: str, **extra: str) -> Worker:
        env = worker_env(
            settings.MEDIA_ROOT, CELERY_BROKER_URL=BROKER_URL, REDIS_URL=CACHE_URL,
            SINAU_BROKER_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT), **extra,
        )  # fmt: skip
        env.pop("CACHE_URL", None)
        worker = Worker(queue, env, tmp_path / f"worker-{len(running)}.log")
        running.append(worker)
        worker.wait_ready()
        return worker

    try:
        yield start
    finally:
        for worker in running:
            worker.stop()
        import redis

        redis.Redis.from_url(BROKER_URL).flushdb()


def send(task: Any, args: tuple[Any, ...], queue: str) -> None:
    """Queue a task on the reliability broker (not the test run's own)."""
    from lms.celery import app

    with app.connection_for_write(BROKER_URL) as connection:
        task.apply_async(args, queue=queue, connection=connection)


def pg_dsn() -> str:
    from django.db import connection

    db = connection.settings_dict
    return f"host={db['HOST']} port={db['PORT']} dbname={db['NAME']} user={db['USER']}" + (
        f" password={db['PASSWORD']}" if db["PASSWORD"] else ""
    )


@contextmanager
def row_locked(table: str, where: str, params: tuple[Any, ...]) -> Iterator[Callable[[], bool]]:
    """Hold ``SELECT … FOR UPDATE`` on rows from another connection, so a task that needs
    them waits there, in the middle of its work; yields "is someone waiting on my lock?"."""
    import psycopg

    with psycopg.connect(pg_dsn()) as holder:
        holder.execute(f"SELECT 1 FROM {table} WHERE {where} FOR UPDATE", params)  # noqa: S608
        me = holder.info.backend_pid

        def someone_waits() -> bool:
            with psycopg.connect(pg_dsn(), autocommit=True) as probe:
                row = probe.execute(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> %s AND "
                    "pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())",
                    (me,),
                ).fetchone()
            return bool(row and row[0])

        yield someone_waits
        holder.rollback()
