"""A real Celery worker delivers the outbox across an LRS outage: learning events write
their statements (and the ledger its HR credit) in their own transactions, the worker
gets the on-commit task, the LRS (a real HTTP server on loopback) answers 503 to the first
requests and then recovers; every statement arrives exactly once, by id, and every outbox
row ends sent. Runs on SQLite (a shared database file, the filesystem broker) and on
PostgreSQL with Redis."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lms.interop.models import OutboxMessage
from lms.interop.tasks import deliver
from lms.learning import services as learning
from lms.learning.models import JPEntry
from tests.interop.conftest import FakeLRS
from tests.support import start_worker, stop_worker, worker_env

OUTAGE = 8  # the LRS answers 503 to this many requests before it comes back


def wait_for(
    predicate: Callable[[], bool], timeout: float, what: str, tick: Callable[[], Any]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        tick()
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def purge(queue: str) -> None:
    """Drop what is left on the test's own queue (the sweeps sent after the last delivery)."""
    from lms.celery import app

    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(queue)  # type: ignore[attr-defined]


@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_every_statement_once_across_an_lrs_outage(
    pemda: dict[str, Any], course_with: Any, lrs: FakeLRS, settings: Any, tmp_path: Path
) -> None:
    queue = f"test-outbox-{uuid.uuid4().hex[:8]}"
    settings.SINAU_OUTBOX_QUEUE = queue  # the on-commit kicks go to this worker only
    lrs.fail_first = OUTAGE
    drop = tmp_path / "worker-drop"
    env = worker_env(
        settings.MEDIA_ROOT,
        SINAU_OUTBOX_QUEUE=queue, SINAU_XAPI_LRS_URL=settings.SINAU_XAPI_LRS_URL,
        SINAU_XAPI_LRS_USER=settings.SINAU_XAPI_LRS_USER,
        SINAU_XAPI_LRS_PASSWORD=settings.SINAU_XAPI_LRS_PASSWORD,
        # Retries a second or two apart, and never given up on during the test.
        SINAU_OUTBOX_BACKOFF_BASE="1", SINAU_OUTBOX_BACKOFF_MAX="2",
        SINAU_OUTBOX_MAX_ATTEMPTS="1000", SINAU_HR_DROP_DIR=str(drop),
    )  # fmt: skip
    worker = start_worker(queue, env, pool="prefork", concurrency=2)
    try:
        # A learner's course, one transaction per event, as the pages make them.
        course = course_with([("text", "<p>Satu</p>")], [("text", "<p>Dua</p>")],
                             title="Kursus Pekerja")  # fmt: skip
        learner = pemda["learner"]
        enrolment = learning.enrolment_request(actor=learner, course=course)
        for module in course.modules():
            learning.module_start(actor=learner, enrolment=enrolment, module=module)
            learning.module_mark_done(actor=learner, enrolment=enrolment, module=module)
        messages = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.XAPI)
        ids = [m.payload["id"] for m in messages]
        assert len(ids) == 5  # launched x2, progressed x2, completed

        def all_sent() -> bool:
            return not OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT).exists()

        def sweep() -> None:
            # What Celery beat does every minute: the retries after the outage need it.
            deliver.apply_async(queue=queue)

        wait_for(all_sent, 120, "the outbox to be delivered", sweep)
    finally:
        log = stop_worker(worker)
        purge(queue)
    assert "interop.deliver" in log  # it was the worker that delivered
    # Every statement exactly once, none lost; the outage's requests all answered 503.
    assert sorted(lrs.received) == sorted(ids)
    assert lrs.requests == OUTAGE + len(ids)
    assert {m.payload["id"]: m.payload for m in messages} == lrs.stored
    rows = list(OutboxMessage.objects.all())
    assert {r.status for r in rows} == {OutboxMessage.Status.SENT}
    assert sum(r.attempts for r in rows if r.kind == OutboxMessage.Kind.XAPI) == OUTAGE + 5
    assert all(r.sent_at is not None and r.last_error == "" for r in rows)
    # The course's JP credit went out through the same outbox: one file, once.
    entry = JPEntry.objects.get()
    assert [p.name for p in drop.iterdir()] == [f"jp-{entry.pk}.json"]
    assert json.loads((drop / f"jp-{entry.pk}.json").read_text())["nip"] == learner.nip
