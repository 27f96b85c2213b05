"""The outbox: what must reach another system, written in the same transaction as the
change it reports, and delivered afterwards (at least once; the receiver makes it once)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    class Kind(models.TextChoices):
        XAPI = "xapi", _("Pernyataan xAPI")
        HR_CREDIT = "hr_credit", _("Kredit JP ke sistem kepegawaian")

    class Status(models.TextChoices):
        PENDING = "pending", _("Menunggu")
        SENT = "sent", _("Terkirim")
        FAILED = "failed", _("Gagal permanen")

    kind = models.CharField(_("jenis"), max_length=20, choices=Kind.choices)
    destination = models.CharField(_("tujuan"), max_length=255, blank=True)
    payload = models.JSONField(_("isi"))
    # The event the message reports ("xapi:launched:<enrolment>:<module>", "jp:<entry id>"):
    # the same event written twice is one message. (The LRS's own key is the statement id.)
    dedupe_key = models.CharField(_("kunci unik"), max_length=100, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("jumlah percobaan"), default=0)
    next_attempt_at = models.DateTimeField(_("percobaan berikutnya"), default=timezone.now)
    last_error = models.TextField(_("galat terakhir"), blank=True)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    sent_at = models.DateTimeField(_("terkirim"), null=True, blank=True)

    class Meta:
        verbose_name = _("pesan keluar")
        verbose_name_plural = _("kotak keluar")
        ordering = ["next_attempt_at", "pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.dedupe_key} ({self.status})"
