"""Settings read from the environment: safe defaults, production hardening, loud failures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def clean_env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SINAU_"))}
    # The developer's .env is loaded into this process's environment: drop what it sets.
    for key in ("DEBUG", "LOG_FORMAT", "LOG_LEVEL"):
        keep.pop(key, None)
    keep["SINAU_ENV_FILE"] = "/dev/null"  # ignore the developer's .env
    keep.update(extra)
    return keep


PROD_KEY = "p" * 20 + "r0dUct10n-k3y-w1th-3n0ugh-3ntr0py-f0r-d3pl0y-ch3ck-" + "x" * 10


def test_check_deploy_is_clean_under_production_settings() -> None:
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        env=clean_env(SECRET_KEY=PROD_KEY, SINAU_HTTPS="true", ALLOWED_HOSTS="sinau.example.go.id"),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_missing_secret_key_outside_debug_fails_loudly() -> None:
    env = clean_env()
    env.pop("SECRET_KEY", None)
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_debug_is_off_unless_asked_for() -> None:
    code = "from django.conf import settings; print(settings.DEBUG, settings.SESSION_COOKIE_SECURE)"
    result = manage("shell", "-v", "0", "-c", code, env=clean_env(SECRET_KEY=PROD_KEY))
    assert result.stdout.split() == ["False", "False"], result.stderr
    result = manage(
        "shell", "-v", "0", "-c", code, env=clean_env(SECRET_KEY=PROD_KEY, SINAU_HTTPS="1")
    )
    assert result.stdout.split() == ["False", "True"], result.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "sqlite3 filesystem:// LocMemCache FileSystemStorage"),
        (
            {
                "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/sinau",
                "REDIS_URL": "redis://127.0.0.1:6379/1",
                "AWS_STORAGE_BUCKET_NAME": "sinau-media",
                "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
            },
            "postgresql redis://127.0.0.1:6379/1 RedisCache S3Storage",
        ),
    ],
)
def test_environment_selects_the_services(env: dict[str, str], expected: str) -> None:
    code = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'].split('.')[-1],"
        " s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND'].split('.')[-1],"
        " s.STORAGES['default']['BACKEND'].split('.')[-1])"
    )
    base = clean_env(SECRET_KEY=PROD_KEY)
    for key in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CACHE_URL"):
        base.pop(key, None)
    result = manage("shell", "-v", "0", "-c", code, env={**base, **env})
    assert result.stdout.strip() == expected, result.stderr


def test_production_responses_carry_security_headers(client, db, settings) -> None:
    response = client.get("/masuk/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_logs_are_one_json_object_per_line() -> None:
    code = (
        "import logging; logging.getLogger('sinau.uji').warning('impor selesai', extra={'rows': 3})"
    )
    result = manage("shell", "-v", "0", "-c", code, env=clean_env(SECRET_KEY=PROD_KEY))
    import json

    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert record["level"] == "WARNING"
    assert record["logger"] == "sinau.uji"
    assert record["message"] == "impor selesai"
    assert record["rows"] == 3
    assert "time" in record
