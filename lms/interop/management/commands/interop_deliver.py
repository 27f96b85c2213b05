"""Deliver the outbox's due messages now (what the beat entry does every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from lms.interop.services import outbox_deliver_due


class Command(BaseCommand):
    help = (
        "Kirim pesan kotak keluar (xAPI, kredit JP ke sistem kepegawaian) yang sudah jatuh tempo."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args: Any, limit: int, **options: Any) -> None:
        report = outbox_deliver_due(limit=limit)
        self.stdout.write(f"sent={report.sent} retried={report.retried} failed={report.failed}")
