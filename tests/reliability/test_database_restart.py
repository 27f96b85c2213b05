"""PostgreSQL restarts under a running web process: requests fail cleanly while it is away
(/healthz says 503 and names the database; a page gets the site's error page, no traceback,
no hang) and succeed again once it is back, without restarting gunicorn (persistent
connections with CONN_HEALTH_CHECKS drop the dead one). The database restarted is a private
cluster made for the test (initdb as the postgres OS user), never the shared one."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.reliability.conftest import BROKER_URL, CACHE_URL, ROOT, redis_available, wait_for
from tests.support import free_port, wait_for_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def as_postgres(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our fixed arguments
        ["runuser", "-u", "postgres", "--", *args],  # noqa: S607
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


class Cluster:
    def __init__(self, root: Path) -> None:
        self.root, self.data, self.port = root, root / "data", free_port()

    def pg_ctl(self, *args: str) -> None:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-t", "30", *args)

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self.pg_ctl("-o", options, "-l", str(self.root / "log"), "start")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "stop")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    from tests.conftest import on_postgres

    if not on_postgres():
        pytest.skip("PostgreSQL: the schema is copied from the test database")
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL server binaries in {PG_BIN}")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no postgres OS user to run a private cluster as (initdb refuses root)")
    if os.geteuid() != 0:
        pytest.skip("running a cluster as the postgres OS user needs root (runuser)")
    root = Path(tempfile.mkdtemp(prefix="sinau-h5-pg-"))
    shutil.chown(root, "postgres")
    cluster = Cluster(root)
    try:
        as_postgres(str(PG_BIN / "initdb"), "-D", str(cluster.data), "-A", "trust",
                    "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C")  # fmt: skip
        cluster.start()
        yield cluster
    finally:
        subprocess.run(  # noqa: S603
            ["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D",  # noqa: S607
             str(cluster.data), "-m", "immediate", "stop"],
            capture_output=True, check=False,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def copy_schema(cluster: Cluster) -> str:
    """The test database's tables, in a database of the private cluster."""
    from django.db import connection

    db = connection.settings_dict
    subprocess.run(  # noqa: S603
        [str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres",
         "sinau_h5_restart"], check=True, capture_output=True,
    )  # fmt: skip
    dump = subprocess.run(  # noqa: S603
        [str(PG_BIN / "pg_dump"), "-s", "-h", str(db["HOST"]), "-p", str(db["PORT"]),
         "-U", str(db["USER"]), str(db["NAME"])], check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(  # noqa: S603
        [
            str(PG_BIN / "psql"),
            "-q",
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.port),
            "-U",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "sinau_h5_restart",
        ],  # fmt: skip
        input=dump.stdout,
        check=True,
        capture_output=True,
    )
    return f"postgres://postgres@127.0.0.1:{cluster.port}/sinau_h5_restart"


@pytest.fixture
def web(cluster: Cluster, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    if not redis_available():
        pytest.skip("the web process under test uses Redis for its cache")
    port = free_port()
    env = {
        **os.environ, "DATABASE_URL": copy_schema(cluster), "CONN_MAX_AGE": "600",
        "REDIS_URL": CACHE_URL, "CELERY_BROKER_URL": BROKER_URL, "DEBUG": "false",
        "SECRET_KEY": "reliability-suite-key", "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_FORMAT": "text", "DJANGO_SETTINGS_MODULE": "tests.reliability.web_settings",
    }  # fmt: skip
    env.pop("CACHE_URL", None)
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 - our venv's gunicorn
        [sys.executable, "-m", "gunicorn", "lms.wsgi", "-b", f"127.0.0.1:{port}",
         "-w", "1", "--threads", "1", "--timeout", "30"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
        print((tmp_path / "gunicorn.log").read_text(errors="replace")[-3000:])


def get(url: str) -> requests.Response:
    # A hang is a failure: nothing here may take more than a few seconds.
    return requests.get(url, timeout=15)


def page_is_clean(response: requests.Response) -> None:
    body = response.text
    for leak in ("Traceback", "OperationalError", "psycopg", "sinau_h5_restart", 'File "'):
        assert leak not in body, body[:500]


def test_a_database_restart_fails_requests_cleanly_then_they_recover(
    cluster: Cluster, web: tuple[str, subprocess.Popen[bytes]]
) -> None:
    base, server = web
    verify = f"{base}/verify/kode-yang-tidak-ada"
    assert get(f"{base}/healthz").status_code == 200
    assert get(verify).status_code == 404  # a page that reads the database
    workers_before = subprocess.run(  # noqa: S603
        ["pgrep", "-P", str(server.pid)],
        capture_output=True,
        text=True,  # noqa: S607
    ).stdout.split()

    cluster.stop()
    down = get(f"{base}/healthz")
    assert down.status_code == 503
    checks: dict[str, Any] = down.json()["checks"]
    assert checks["database"]["ok"] is False
    assert checks["cache"]["ok"] is True
    # The probe names the failure's kind for the operator, and no more.
    assert checks["database"]["error"] == "OperationalError"
    assert "Traceback" not in down.text
    for _ in range(3):
        response = get(verify)
        assert response.status_code in (500, 503)
        assert "Terjadi gangguan" in response.text  # the site's own error page
        page_is_clean(response)

    cluster.start()
    wait_for(lambda: get(f"{base}/healthz").status_code == 200, 30, "healthz to recover")
    assert get(verify).status_code == 404
    # The same web process, never restarted.
    assert server.poll() is None
    workers_after = subprocess.run(  # noqa: S603
        ["pgrep", "-P", str(server.pid)],
        capture_output=True,
        text=True,  # noqa: S607
    ).stdout.split()
    assert workers_after == workers_before
