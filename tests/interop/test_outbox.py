"""The outbox: a message exists iff its change committed; delivery survives an LRS outage
(a real HTTP server on loopback that fails, then recovers) with every statement arriving
exactly once; the HR file drop leaves one file per ledger entry across retries; two
deliverers at once never send a message twice (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from lms.interop import services
from lms.interop.models import OutboxMessage
from lms.learning import services as learning
from lms.learning.models import JPEntry
from lms.people.models import Employee
from tests.interop.conftest import FakeLRS
from tests.support import at_once

DAY = dt.date(2026, 11, 24)


def credit(employee: Employee, source_id: int, jp: str = "2") -> JPEntry:
    entry, _made = learning.jp_credit(
        employee_id=employee.pk, jp=Decimal(jp), competency_type="teknis",
        form="non_klasikal", source_type=JPEntry.Source.EXTERNAL, source_id=source_id,
        earned_on=DAY, jenis_code=16,
    )  # fmt: skip
    return entry


def put_statements(count: int) -> list[str]:
    from lms.interop import xapi

    ids = []
    for n in range(count):
        stmt = xapi.course_completed(
            nip="198507142010011003", course_id=n, course_url=f"https://sinau.example/k/{n}/",
            title=f"Kursus {n}", completed_at=timezone.now(),
        )  # fmt: skip
        with transaction.atomic():
            services.outbox_put(kind=OutboxMessage.Kind.XAPI, payload=stmt, dedupe_key=stmt["id"])
        ids.append(stmt["id"])
    return ids


def make_due() -> None:
    # The controlled clock: every retry falls due now (instead of waiting out the backoff).
    OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).update(
        next_attempt_at=timezone.now()
    )


def test_a_credit_puts_its_hr_message_in_the_same_transaction(pemda: dict[str, Any]) -> None:
    learner = pemda["learner"]
    entry = credit(learner, 1)
    message = OutboxMessage.objects.get(kind=OutboxMessage.Kind.HR_CREDIT)
    assert message.dedupe_key == f"jp:{entry.pk}"
    assert message.payload == {
        "entry_id": entry.pk, "nip": learner.nip, "year": 2026, "jp": "2.00",
        "competency_type": "teknis", "form": "non_klasikal", "jenis_diklat": 16,
        "source_type": "external_training", "source_id": 1, "earned_on": "2026-11-24",
        "reverses": None,
    }  # fmt: skip
    # A reversal is a ledger entry too, and goes out the same way.
    reversal = learning.jp_reverse(entry=entry, actor=None, reason="salah input")
    out = OutboxMessage.objects.get(dedupe_key=f"jp:{reversal.pk}")
    assert (out.payload["jp"], out.payload["reverses"]) == ("-2.00", entry.pk)
    # A duplicate credit for the same source writes nothing new.
    credit(learner, 1)
    assert OutboxMessage.objects.count() == 2


def test_a_rolled_back_credit_leaves_no_message(pemda: dict[str, Any]) -> None:
    class Boom(Exception):
        pass

    seen_inside = []

    def credit_then_fail() -> None:
        with transaction.atomic():
            credit(pemda["learner"], 2)
            seen_inside.append(OutboxMessage.objects.count())  # written with the entry
            raise Boom

    with pytest.raises(Boom):
        credit_then_fail()
    assert seen_inside == [1]
    assert not JPEntry.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_hr_outbox_can_be_switched_off(pemda: dict[str, Any], settings: Any) -> None:
    settings.SINAU_HR_OUTBOX = False
    credit(pemda["learner"], 3)
    assert not OutboxMessage.objects.exists()


def test_statements_survive_an_lrs_outage_and_arrive_exactly_once(
    pemda: dict[str, Any], lrs: FakeLRS, settings: Any
) -> None:
    settings.SINAU_HR_OUTBOX = False
    settings.SINAU_OUTBOX_MAX_ATTEMPTS = 100
    ids = put_statements(5)
    lrs.fail_first = 12  # the LRS is down for the first 12 requests
    rounds = 0
    while OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).exists():
        report = services.outbox_deliver_due()
        rounds += 1
        assert rounds < 20
        if lrs.requests <= lrs.fail_first:
            assert report.sent == 0
            # Backoff: nothing is due again at once; a second run now sends nothing.
            assert services.outbox_deliver_due().sent == 0
        make_due()
    assert sorted(lrs.received) == sorted(ids)  # each once, none lost
    assert lrs.requests == 12 + 5
    assert lrs.stored[ids[0]]["id"] == ids[0]
    messages = OutboxMessage.objects.all()
    assert {m.status for m in messages} == {OutboxMessage.Status.SENT}
    assert sum(m.attempts for m in messages) == 17  # every try counted
    assert all(m.sent_at and m.last_error == "" for m in messages)
    # Running again (the sweep, a retried task) sends nothing more.
    assert services.outbox_deliver_due().sent == 0
    assert len(lrs.received) == 5
    # What the LRS saw: xAPI's version header, Basic auth, a PUT per statement id.
    assert lrs.headers[-1]["x-experience-api-version"] == "1.0.3"
    assert lrs.headers[-1]["authorization"].startswith("Basic ")


def test_failed_delivery_backs_off_exponentially_with_a_cap(
    pemda: dict[str, Any], lrs: FakeLRS, settings: Any
) -> None:
    settings.SINAU_HR_OUTBOX = False
    settings.SINAU_OUTBOX_BACKOFF_BASE, settings.SINAU_OUTBOX_BACKOFF_MAX = 30, 300
    settings.SINAU_OUTBOX_MAX_ATTEMPTS = 6
    put_statements(1)
    lrs.fail_first = 1000
    delays = []
    for _ in range(6):
        before = timezone.now()
        services.outbox_deliver_due(now=before)
        message = OutboxMessage.objects.get()
        delays.append((message.next_attempt_at - before).total_seconds())
        make_due()
    assert message.status == OutboxMessage.Status.FAILED  # given up after 6 attempts
    assert message.attempts == 6
    assert "503" in message.last_error
    for attempt, delay in enumerate(delays[:5], start=1):
        full = min(300, 30 * 2 ** (attempt - 1))
        assert full / 2 <= delay <= full + 1
    assert services.outbox_deliver_due().sent == 0  # failed for good: not retried


def test_an_unreachable_lrs_is_retried_later(pemda: dict[str, Any], settings: Any) -> None:
    settings.SINAU_HR_OUTBOX = False
    settings.SINAU_XAPI_LRS_URL = ""
    put_statements(1)
    settings.SINAU_XAPI_LRS_URL = "http://127.0.0.1:9"  # nothing listens: transient
    assert services.outbox_deliver_due().retried == 1
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.PENDING


def test_a_refused_statement_fails_permanently_and_the_task_reports_it(
    pemda: dict[str, Any], lrs: FakeLRS, settings: Any
) -> None:
    from lms.interop.tasks import deliver

    settings.SINAU_HR_OUTBOX = False
    put_statements(1)
    lrs.answer = 409  # the LRS holds another statement under this id
    assert deliver.run() == {"sent": 0, "retried": 0, "failed": 1}
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (OutboxMessage.Status.FAILED, 1)
    assert "409" in message.last_error
    make_due()
    assert deliver.run() == {"sent": 0, "retried": 0, "failed": 0}


def test_file_drop_writes_one_file_per_entry_across_retries(
    pemda: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("x")
    settings.SINAU_HR_DROP_DIR = str(blocked)  # the share is unavailable: writing fails
    entries = [credit(pemda["learner"], n) for n in (1, 2, 3)]
    assert services.outbox_deliver_due().retried == 3
    drop = tmp_path / "drop"
    settings.SINAU_HR_DROP_DIR = str(drop)
    make_due()
    assert services.outbox_deliver_due().sent == 3
    # A re-delivery (a crash after the write, before the commit) overwrites, never adds.
    OutboxMessage.objects.update(status=OutboxMessage.Status.PENDING)
    make_due()
    call_command("interop_deliver")
    files = sorted(p.name for p in drop.iterdir())
    assert files == sorted(f"jp-{e.pk}.json" for e in entries)
    record = json.loads((drop / f"jp-{entries[0].pk}.json").read_text())
    assert (record["nip"], record["jp"], record["jenis_diklat"]) == (
        pemda["learner"].nip, "2.00", 16,
    )  # fmt: skip
    assert all(m.attempts == 3 for m in OutboxMessage.objects.all())


@pytest.mark.postgres
def test_two_deliverers_at_once_never_send_a_message_twice(
    transactional_db: None, pemda: dict[str, Any], lrs: FakeLRS, settings: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (set DATABASE_URL)")
    settings.SINAU_HR_OUTBOX = False
    ids = put_statements(40)
    results, failures = at_once(4, lambda _i: services.outbox_deliver_due())
    assert not failures, failures
    assert sum(r.sent for r in results) == 40
    assert sorted(lrs.received) == sorted(ids)  # each exactly once
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}


def test_statements_queue_delivery_on_commit_credits_wait_for_the_sweep(
    pemda: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        put_statements(1)
    assert len(callbacks) == 1  # interop.deliver, after the commit
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        credit(pemda["learner"], 9)
    assert callbacks == []  # the beat sweep delivers HR credits
    assert OutboxMessage.objects.count() == 2
