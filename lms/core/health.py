"""Readiness checks behind /healthz: database, cache, broker and storage."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection

from lms.celery import app as celery_app

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    ms: float
    error: str = ""


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    cache.set("sinau:healthz", "ok", timeout=10)
    if cache.get("sinau:healthz") != "ok":
        raise RuntimeError("cache did not return what was stored")


def _broker() -> None:
    # A fresh connection each probe: a pooled one could hide a broker that went away.
    with celery_app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _storage() -> None:
    if isinstance(default_storage, FileSystemStorage):
        location = default_storage.location
        # The storage creates its folder on first save; a probe may do the same.
        os.makedirs(location, exist_ok=True)
        if not os.access(location, os.W_OK):
            raise RuntimeError("media folder is missing or not writable")
    else:
        default_storage.exists("healthz-probe")


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "cache": _cache,
    "broker": _broker,
    "storage": _storage,
}


def run_checks() -> list[CheckResult]:
    results = []
    for name, check in CHECKS.items():
        start = time.perf_counter()
        try:
            check()
        except Exception as exc:  # a probe reports every failure, whatever its kind
            logger.warning("healthz check failed", extra={"check": name, "error": repr(exc)})
            results.append(
                CheckResult(name, False, (time.perf_counter() - start) * 1000, type(exc).__name__)
            )
        else:
            results.append(CheckResult(name, True, (time.perf_counter() - start) * 1000))
    return results
