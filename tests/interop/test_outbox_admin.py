"""BKPSDM's outbox page (/kelola/kotak-keluar/): the messages by kind and status with their
attempts, last error and next try; "Kirim ulang" puts a failed message back in the queue,
audited, and its delivery then reaches the LRS. Auditors read; others are turned away."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from lms.interop import services, xapi
from lms.interop.models import OutboxMessage
from tests.interop.conftest import FakeLRS

URL = "/kelola/kotak-keluar/"
NIP = "198507142010011003"


def xapi_message(n: int, **fields: Any) -> OutboxMessage:
    stmt = xapi.course_completed(
        nip=NIP, course_id=n, course_url=f"https://sinau.example.go.id/k/{n}/",
        title=f"Kursus {n}", completed_at=timezone.now(),
    )  # fmt: skip
    return OutboxMessage.objects.create(
        kind=OutboxMessage.Kind.XAPI, payload=stmt, dedupe_key=f"xapi:completed:{n}", **fields
    )


def hr_message(n: int, **fields: Any) -> OutboxMessage:
    payload = {"entry_id": n, "nip": NIP, "jp": "2.00", "year": 2026}
    return OutboxMessage.objects.create(
        kind=OutboxMessage.Kind.HR_CREDIT, payload=payload, dedupe_key=f"jp:{n}", **fields
    )


def failed(**fields: Any) -> dict[str, Any]:
    return {"status": OutboxMessage.Status.FAILED, "attempts": 50,
            "last_error": "LRS answered 503", **fields}  # fmt: skip


def rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


@pytest.fixture
def mixed(pemda: dict[str, Any]) -> dict[str, OutboxMessage]:
    soon = timezone.now() + dt.timedelta(minutes=5)
    return {
        "sent": xapi_message(1, status=OutboxMessage.Status.SENT, attempts=1,
                             sent_at=timezone.now()),
        "pending": xapi_message(2, attempts=3, last_error="LRS unreachable", next_attempt_at=soon),
        "failed": xapi_message(3, **failed()),
        "hr_failed": hr_message(7, **failed(last_error="cannot write /srv/drop/jp-7.json")),
        "hr_sent": hr_message(8, status=OutboxMessage.Status.SENT, attempts=1,
                              sent_at=timezone.now()),
    }  # fmt: skip


def as_user(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def test_bkpsdm_sees_every_message_with_its_state(
    client: Client, pemda: dict[str, Any], mixed: dict[str, OutboxMessage],
    django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    as_user(client, pemda["superuser"])
    with django_assert_max_num_queries(10):
        response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert len(rows(html)) == 5
    assert "completed · 198507142010011003 · Kursus 3" in html
    assert "198507142010011003 · 2.00 JP (entri buku JP 7)" in html
    assert "cannot write /srv/drop/jp-7.json" in html
    assert "LRS unreachable" in html
    assert "Percobaan berikutnya" in html  # the pending one's next try
    # Counts per status, and a send-again button on each failed message only.
    assert re.search(r">Gagal permanen</a> \(2\)", html)
    assert re.search(r">Menunggu</a> \(1\)", html)
    assert re.search(r">Terkirim</a> \(2\)", html)
    for key in ("failed", "hr_failed"):
        assert reverse("interop:outbox_requeue", args=[mixed[key].pk]) in html
    assert html.count("Kirim ulang</button>") == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=failed", {"xapi:completed:3", "jp:7"}),
        ("?jenis=hr_credit", {"jp:7", "jp:8"}),
        ("?jenis=xapi&status=pending", {"xapi:completed:2"}),
        # Nonsense filters are ignored, never an error page.
        ("?jenis=fax&status=lost&halaman=x", {"xapi:completed:1", "xapi:completed:2",
                                               "xapi:completed:3", "jp:7", "jp:8"}),
    ],
)  # fmt: skip
def test_the_list_filters_by_kind_and_status(
    client: Client, pemda: dict[str, Any], mixed: dict[str, OutboxMessage], query: str,
    expected: set[str],
) -> None:  # fmt: skip
    as_user(client, pemda["superuser"])
    response = client.get(URL + query)
    assert response.status_code == 200
    shown = {re.search(r'class="meta">([^<]+)</span>', row).group(1) for row in rows(  # type: ignore[union-attr]
        response.content.decode())}  # fmt: skip
    assert shown == expected


def test_the_list_is_paginated_with_bounded_queries(
    client: Client, pemda: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    for n in range(60):
        xapi_message(n, **failed())
    as_user(client, pemda["superuser"])
    with django_assert_max_num_queries(10):
        first = client.get(URL + "?status=failed").content.decode()
    with django_assert_max_num_queries(10):
        last = client.get(URL + "?status=failed&halaman=3").content.decode()
    assert len(rows(first)) == 25
    assert len(rows(last)) == 10
    assert "Halaman 1 dari 3" in first
    assert "status=failed&amp;halaman=2" in first  # the filter stays on the page links


def test_an_auditor_reads_but_cannot_send_again(
    client: Client, pemda: dict[str, Any], mixed: dict[str, OutboxMessage]
) -> None:
    as_user(client, pemda["auditor"])
    html = client.get(URL).content.decode()
    assert len(rows(html)) == 5
    assert "Kirim ulang</button>" not in html
    message = mixed["failed"]
    response = client.post(reverse("interop:outbox_requeue", args=[message.pk]))
    assert response.status_code == 403
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxMessage.Status.FAILED, 50)


@pytest.mark.parametrize("who", ["admin_a", "learner"])
def test_others_are_turned_away(
    client: Client, pemda: dict[str, Any], mixed: dict[str, OutboxMessage], who: str
) -> None:
    as_user(client, pemda[who])
    assert client.get(URL).status_code == 403
    message = mixed["failed"]
    assert client.post(reverse("interop:outbox_requeue", args=[message.pk])).status_code == 403
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED


def test_anonymous_visitors_are_sent_to_log_in(
    client: Client, mixed: dict[str, OutboxMessage]
) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("people:login"))
    response = client.post(reverse("interop:outbox_requeue", args=[mixed["failed"].pk]))
    assert response.status_code == 302
    assert OutboxMessage.objects.get(pk=mixed["failed"].pk).status == "failed"


def test_the_menu_links_the_outbox_for_bkpsdm_only(client: Client, pemda: dict[str, Any]) -> None:
    assert URL in as_user(client, pemda["auditor"]).get(reverse("learning:manage")).content.decode()
    page = as_user(Client(), pemda["admin_a"]).get(reverse("learning:manage")).content.decode()
    assert URL not in page


def test_sending_again_requeues_audits_and_delivers(
    client: Client, pemda: dict[str, Any], mixed: dict[str, OutboxMessage], lrs: FakeLRS,
    django_capture_on_commit_callbacks: Any, django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    message = mixed["failed"]
    as_user(client, pemda["superuser"])
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # noqa: SIM117
        with django_assert_max_num_queries(15):
            response = client.post(
                reverse("interop:outbox_requeue", args=[message.pk]),
                {"status": "failed", "jenis": "xapi", "halaman": "1", "next": "https://evil.example"},
            )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?jenis=xapi&status=failed&halaman=1"
    assert len(callbacks) == 1  # a delivery run, queued once the requeue commits
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert message.attempts == 0
    assert before <= message.next_attempt_at <= timezone.now()
    assert message.last_error == "LRS answered 503"  # kept until the next try says otherwise
    entry = ModelLogEntry.objects.get(action="sinau.outbox.requeue")
    assert entry.user_id == pemda["superuser"].pk
    assert entry.object_id == str(message.pk)
    assert entry.data["attempts"] == 50
    assert entry.data["last_error"] == "LRS answered 503"
    page = client.get(response["Location"]).content.decode()
    assert "diantrekan untuk dikirim ulang" in page
    # The delivery the requeue queued now reaches the LRS (which has come back).
    assert services.outbox_deliver_due().sent == 1
    assert lrs.received == [message.payload["id"]]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 1, "")


def test_only_a_failed_message_can_be_sent_again(
    client: Client, pemda: dict[str, Any], mixed: dict[str, OutboxMessage]
) -> None:
    as_user(client, pemda["superuser"])
    for key in ("sent", "pending"):
        message = mixed[key]
        response = client.post(reverse("interop:outbox_requeue", args=[message.pk]), follow=True)
        assert response.status_code == 200
        assert "Hanya pesan yang gagal yang dapat dikirim ulang." in response.content.decode()
        unchanged = OutboxMessage.objects.get(pk=message.pk)
        assert (unchanged.status, unchanged.attempts) == (message.status, message.attempts)
    assert not ModelLogEntry.objects.filter(action="sinau.outbox.requeue").exists()
    assert client.post("/kelola/kotak-keluar/999999/kirim-ulang/").status_code == 404
    requeue = reverse("interop:outbox_requeue", args=[mixed["failed"].pk])
    assert client.get(requeue).status_code == 405


def test_sending_again_needs_the_csrf_token(
    pemda: dict[str, Any], mixed: dict[str, OutboxMessage]
) -> None:
    client = as_user(Client(enforce_csrf_checks=True), pemda["superuser"])
    response = client.post(reverse("interop:outbox_requeue", args=[mixed["failed"].pk]))
    assert response.status_code == 403
    assert OutboxMessage.objects.get(pk=mixed["failed"].pk).status == "failed"
    # The page's own form carries the token.
    assert "csrfmiddlewaretoken" in client.get(URL).content.decode()


def test_the_service_refuses_an_auditor(pemda: dict[str, Any], mixed: dict[str, Any]) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.outbox_requeue(actor=pemda["auditor"], message=mixed["failed"])
    assert OutboxMessage.objects.get(pk=mixed["failed"].pk).status == "failed"
