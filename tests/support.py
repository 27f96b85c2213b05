"""Helpers shared by tests: real services started for a test (moto's S3 server), ports."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

BUCKET = "sinau-media"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on port {port}")


@contextmanager
def moto_server() -> Iterator[str]:
    """moto in server mode on loopback: S3 over real HTTP, not a patched client."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - moto from our own venv
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def s3_storage(endpoint: str, **options: Any) -> dict[str, Any]:
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BUCKET, "endpoint_url": endpoint, "region_name": "us-east-1",
            "access_key": "test", "secret_key": "test", "addressing_style": "path",
            "signature_version": "s3v4", "default_acl": None, "file_overwrite": False, **options,
        },
    }  # fmt: skip


def worker_env(media_root: str, **extra: str) -> dict[str, str]:
    """Environment for a worker process that shares the test database and media folder."""
    import os

    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        database_url = f"sqlite:///{db['NAME']}"
    else:
        database_url = (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        )
    return {
        **os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": media_root,
        "LOG_FORMAT": "text", **extra,
    }  # fmt: skip


def start_worker(
    queue: str, env: dict[str, str], *, pool: str = "solo", concurrency: int = 1
) -> subprocess.Popen[bytes]:
    """A real Celery worker (not eager mode) consuming one queue of its own."""
    from pathlib import Path

    return subprocess.Popen(  # noqa: S603 - our own venv's celery
        [
            sys.executable, "-m", "celery", "-A", "lms", "worker", "-Q", queue, "--pool", pool,
            "--concurrency", str(concurrency), "--without-mingle", "--without-gossip",
            "--without-heartbeat", "-l", "INFO",
        ],
        cwd=Path(__file__).resolve().parents[1], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def stop_worker(worker: subprocess.Popen[bytes]) -> str:
    """Stop the worker; its log tail, printed so a failing test shows it."""
    worker.terminate()
    try:
        out, _ = worker.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        out, _ = worker.communicate()
    text = out.decode(errors="replace")[-4000:]
    print(text)
    return text


def at_once(
    count: int, work: Callable[[int], Any], *, timeout: float = 120
) -> tuple[list[Any], list[BaseException]]:
    """Run ``work(0) … work(count - 1)`` in as many threads, released together by a barrier
    (the concurrency tests, on PostgreSQL): their results, and what they raised. Each thread
    closes its own database connection."""
    from django.db import connection

    barrier = threading.Barrier(count)
    results: list[Any] = []
    failures: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results.append(work(i))
        except BaseException as exc:  # gathered for the main thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return results, failures
