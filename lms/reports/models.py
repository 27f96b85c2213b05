"""What the reports keep besides the ledger's aggregates: export jobs with their progress,
and the reminders already sent (so that none is sent twice)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lms.core.models import TimeStampedModel


class ReportExport(TimeStampedModel):
    """A large export built by a task: who asked, for what, how far it got, the file."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Dalam antrean")
        BUILDING = "building", _("Sedang dibuat")
        READY = "ready", _("Siap diunduh")
        FAILED = "failed", _("Gagal")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("jenis laporan"), max_length=40)
    file_format = models.CharField(_("format"), max_length=5, default="xlsx")
    params = models.JSONField(_("filter"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="laporan/", blank=True, max_length=255)
    failure = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ekspor laporan")
        verbose_name_plural = _("ekspor laporan")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} ({self.get_status_display()})"


class ReminderSent(models.Model):
    """One reminder of one kind, to one person, for one period (and subject, such as an
    assigned enrolment): the unique constraint is what makes a reminder go out once."""

    class Kind(models.TextChoices):
        JP_SHORTFALL = "jp_shortfall", _("Kekurangan JP")
        OPD_SUMMARY = "opd_summary", _("Ringkasan OPD")
        DUE_DATE = "due_date", _("Tenggat kursus")
        SESSION = "session", _("Pengingat sesi")

    kind = models.CharField(_("jenis"), max_length=20, choices=Kind.choices)
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    period = models.CharField(_("periode"), max_length=20)
    subject_id = models.PositiveBigIntegerField(default=0)
    sent_at = models.DateTimeField(_("dikirim"), auto_now_add=True)

    class Meta:
        verbose_name = _("pengingat terkirim")
        verbose_name_plural = _("pengingat terkirim")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "employee", "period", "subject_id"], name="one_reminder_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.employee_id} {self.period}"
