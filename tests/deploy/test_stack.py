"""`make stack` (deploy/stack.sh): the deployment's process layout on this machine.

The script starts moto's S3 server, gunicorn, a Celery worker per queue and beat against a
fresh PostgreSQL database and two Redis databases of their own; the test then checks what
an operator would: /healthz reports every dependency up, both workers answer over the
broker on their own queue, a file saved through the default storage is in the bucket, and
Ctrl-C leaves no process behind."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("DATABASE_URL", "")
CACHE_DB, BROKER_DB = 10, 11

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not DATABASE_URL.startswith(("postgres://", "postgresql://")),
        reason="the stack runs on PostgreSQL (set DATABASE_URL)",
    ),
]


def redis_url(db: int) -> str:
    base = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    return base._replace(path=f"/{db}").geturl()


def flush_redis() -> None:
    import redis

    for db in (CACHE_DB, BROKER_DB):
        redis.Redis.from_url(redis_url(db)).flushdb()


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """An empty database of its own on the suite's PostgreSQL server, dropped afterwards."""
    import psycopg

    name = f"sinau_h4_stack_{uuid.uuid4().hex[:8]}"
    server = urlsplit(DATABASE_URL)
    admin = server._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def started_groups(text: str) -> list[int]:
    """The process groups the script started: it prints "stack: <name> pid <pid>"."""
    return [int(pid) for pid in re.findall(r"^stack: \w+ pid (\d+)$", text, re.MULTILINE)]


def health(port: int) -> dict[str, object]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback http
            body: dict[str, object] = json.load(response)
    except urllib.error.HTTPError as error:  # 503 carries the same body
        body = json.load(error)
    return body


def test_stack_runs_every_process_and_stops_them_all(
    fresh_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3
    from celery import Celery

    port, s3_port, bucket = free_port(), free_port(), "sinau-stack"
    stack_dir = tmp_path / "stack"
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database,
        "REDIS_URL": redis_url(CACHE_DB),
        "CELERY_BROKER_URL": redis_url(BROKER_DB),
        "CACHE_URL": "",
        "SECRET_KEY": "stack-test-only-key",
        "SINAU_ENV_FILE": os.devnull,
        "DEBUG": "false",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "S3_PORT": str(s3_port),
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "STACK_DIR": str(stack_dir),
        # One web worker boots faster; the layout, not gunicorn's fan-out, is under test.
        "GUNICORN_WORKERS": "1",
        # The demo Pemda (and its video transcode) and collectstatic are not what is tested
        # here; /healthz needs neither.
        "STACK_SEED": "0",
        "STACK_STATIC": "0",
    }
    log = tmp_path / "stack.log"
    flush_redis()
    with log.open("wb") as out:
        stack = subprocess.Popen(
            ["bash", str(ROOT / "deploy" / "stack.sh")],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    pgid = stack.pid
    try:
        # Ready: migrated, bucket made, every process started and /healthz answered 200.
        deadline = time.monotonic() + 180
        while "stack: ready" not in read(log):
            assert stack.poll() is None, f"stack exited early:\n{read(log)[-4000:]}"
            assert time.monotonic() < deadline, f"stack not ready:\n{read(log)[-4000:]}"
            time.sleep(0.5)

        body = health(port)
        assert body["status"] == "ok", body
        checks = body["checks"]
        assert isinstance(checks, dict)
        assert {name: c["ok"] for name, c in checks.items()} == {
            "database": True, "cache": True, "broker": True, "storage": True,
        }, checks  # fmt: skip

        # Both workers answer over the broker, each on its own queue.
        # Celery prefers the CELERY_BROKER_URL environment variable to the broker it is
        # given (CI sets one for the suite): point it at the stack's broker.
        monkeypatch.setenv("CELERY_BROKER_URL", redis_url(BROKER_DB))
        control = Celery(broker=redis_url(BROKER_DB))
        queues: dict[str, list[str]] = {}
        deadline = time.monotonic() + 60
        while len(queues) < 2:
            assert time.monotonic() < deadline, f"workers did not answer:\n{read(log)[-4000:]}"
            replies = control.control.inspect(timeout=2).active_queues() or {}
            queues = {node: sorted(q["name"] for q in qs) for node, qs in replies.items()}
        by_role = {node.split("@")[0]: names for node, names in queues.items()}
        assert by_role == {"default": ["default"], "transcode": ["transcode"]}
        pongs = control.control.ping(timeout=2) or []
        assert {next(iter(p)).split("@")[0] for p in pongs} == {"default", "transcode"}
        assert all(next(iter(p.values())) == {"ok": "pong"} for p in pongs)

        # The stack's settings put the default storage in moto's bucket.
        saved = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c",
             "from django.core.files.base import ContentFile;"
             "from django.core.files.storage import default_storage as s;"
             "print(s.save('stack/probe.txt', ContentFile(b'sinau stack')))"],
            cwd=ROOT, env={**env, "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
                           "AWS_S3_ADDRESSING_STYLE": "path", "AWS_ACCESS_KEY_ID": "test",
                           "AWS_SECRET_ACCESS_KEY": "test", "AWS_S3_REGION_NAME": "us-east-1"},
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        key = saved.stdout.strip().splitlines()[-1]
        s3 = boto3.client(
            "s3", endpoint_url=f"http://127.0.0.1:{s3_port}", region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
        )  # fmt: skip
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"sinau stack"

        # Ctrl-C: the terminal sends SIGINT to its foreground process group, the script's;
        # each process it started leads a group of its own (with its pool children).
        groups = [pgid, *started_groups(read(log))]
        assert len(groups) == 6, read(log)[-4000:]
        os.killpg(pgid, signal.SIGINT)
        assert stack.wait(timeout=60) == 130, read(log)[-4000:]
        assert "stack: stopped" in read(log)
        assert [g for g in groups if group_alive(g)] == [], "a process outlived the stack"
    finally:
        for group in [pgid, *started_groups(read(log))]:
            if group_alive(group):
                os.killpg(group, signal.SIGKILL)
        stack.wait(timeout=10)
        flush_redis()
