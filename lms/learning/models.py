"""Who is enrolled in which course, how far they got, and when they completed it."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from lms.core.models import TimeStampedModel
from lms.people.models import EmploymentType


class EnrolmentQuerySet(models.QuerySet["Enrolment"]):
    def open(self) -> EnrolmentQuerySet:
        """Pending or active: the ones that hold a seat and block a second enrolment."""
        return self.filter(status__in=Enrolment.OPEN_STATUSES)

    def holding_a_seat(self) -> EnrolmentQuerySet:
        return self.filter(status__in=Enrolment.SEAT_STATUSES)


class Enrolment(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Menunggu persetujuan")
        ACTIVE = "active", _("Sedang belajar")
        COMPLETED = "completed", _("Selesai")
        WITHDRAWN = "withdrawn", _("Mengundurkan diri")
        REJECTED = "rejected", _("Ditolak")

    class Source(models.TextChoices):
        SELF = "self", _("Mendaftar sendiri")
        ASSIGNED = "assigned", _("Ditugaskan")

    OPEN_STATUSES = (Status.PENDING, Status.ACTIVE)
    SEAT_STATUSES = (Status.PENDING, Status.ACTIVE, Status.COMPLETED)

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrolments",
        verbose_name=_("peserta"),
    )  # fmt: skip
    course = models.ForeignKey(
        "courses.CoursePage", on_delete=models.PROTECT, related_name="enrolments",
        verbose_name=_("kursus"),
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    source = models.CharField(_("asal"), max_length=10, choices=Source.choices)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    cohort = models.ForeignKey(
        "classroom.Cohort", on_delete=models.PROTECT, null=True, blank=True,
        related_name="enrolments", verbose_name=_("angkatan"),
    )  # fmt: skip
    due_date = models.DateField(_("tenggat"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("catatan keputusan"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("mulai"), null=True, blank=True)
    completed_at = models.DateTimeField(_("selesai"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("pendaftaran kursus")
        verbose_name_plural = _("daftar pendaftaran kursus")
        constraints = [
            # One open enrolment per learner and course, whatever races the web tier has.
            # A completed or withdrawn one stays as history; a retake is a new row.
            models.UniqueConstraint(
                fields=["employee", "course"],
                condition=models.Q(status__in=["pending", "active"]),
                name="one_open_enrolment_per_course",
                violation_error_message=_("Anda sudah terdaftar di kursus ini."),
            ),
            models.CheckConstraint(
                condition=~models.Q(status="completed") | models.Q(completed_at__isnull=False),
                name="completed_enrolment_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["course", "status"]),
            models.Index(fields=["employee", "status"]),
            models.Index(fields=["cohort", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.employee} — {self.course}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ModuleProgress(TimeStampedModel):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="progress")
    module = models.ForeignKey(
        "courses.ModulePage", on_delete=models.CASCADE, related_name="progress"
    )
    started_at = models.DateTimeField(_("mulai"))
    completed_at = models.DateTimeField(_("selesai"), null=True, blank=True)
    time_spent_seconds = models.PositiveIntegerField(_("waktu belajar (detik)"), default=0)

    class Meta:
        verbose_name = _("kemajuan modul")
        verbose_name_plural = _("daftar kemajuan modul")
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "module"], name="one_progress_per_module")
        ]

    def __str__(self) -> str:
        return f"{self.enrolment} — {self.module_id}"


# --- The JP ledger --------------------------------------------------------------------


class JenisDiklat(models.Model):
    """SIASN's kinds of development (jenis diklat, codes 1-25): reference data, loaded by a
    data migration and refreshable from SIASN, never spelled out in logic."""

    code = models.PositiveSmallIntegerField(_("kode"), unique=True)
    name = models.CharField(_("nama"), max_length=120)
    klasikal = models.BooleanField(_("klasikal"), default=False)

    class Meta:
        verbose_name = _("jenis diklat")
        verbose_name_plural = _("jenis diklat")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"


class AppendOnlyQuerySet(models.QuerySet["JPEntry"]):
    """Bulk UPDATE and DELETE are refused too: a correction is a reversing entry."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(_("Buku JP hanya bertambah: koreksi dicatat sebagai entri pembalik."))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(_("Buku JP hanya bertambah: entri tidak dapat dihapus."))


class AppendOnlyError(Exception):
    pass


class JPEntry(models.Model):
    """One line of an employee's learning hours. Append-only: a correction is a reversing
    entry (``reverses``), never an edit; on PostgreSQL a trigger refuses UPDATE and DELETE.
    One source (a course completion, a verified external training, a mentoring) credits an
    employee at most once: a unique constraint says so, whatever the code does."""

    class Source(models.TextChoices):
        COURSE = "course_completion", _("Penyelesaian kursus")
        EXTERNAL = "external_training", _("Pelatihan eksternal")
        MENTORING = "mentoring", _("Pembimbingan")
        SESSION = "session_attendance", _("Kehadiran sesi")

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jp_entries"
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    jp = models.DecimalField(_("JP"), max_digits=6, decimal_places=2)
    competency_type = models.CharField(_("jenis kompetensi"), max_length=20)
    form = models.CharField(_("bentuk"), max_length=20)
    jenis = models.ForeignKey(
        JenisDiklat, verbose_name=_("jenis diklat"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    source_type = models.CharField(_("sumber"), max_length=20, choices=Source.choices)
    source_id = models.PositiveBigIntegerField(_("nomor sumber"))
    earned_on = models.DateField(_("tanggal diperoleh"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    note = models.TextField(_("catatan"), blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal",
        verbose_name=_("membalik entri"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("dicatat"), auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("entri JP")
        verbose_name_plural = _("buku JP")
        ordering = ["employee", "earned_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "source_type", "source_id"],
                condition=models.Q(reverses__isnull=True),
                name="one_credit_per_source",
            ),
        ]
        indexes = [models.Index(fields=["employee", "year"])]

    def __str__(self) -> str:
        return f"{self.employee} {self.year}: {self.jp} JP ({self.get_source_type_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(_("Buku JP hanya bertambah: entri tidak dapat diubah."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(_("Buku JP hanya bertambah: entri tidak dapat dihapus."))


class JPYearTotal(models.Model):
    """An employee's hours in a year, kept in step with the ledger in the same transaction
    as every entry, so that no page sums the entries."""

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jp_years"
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    total = models.DecimalField(_("jumlah JP"), max_digits=8, decimal_places=2, default=0)
    klasikal = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    non_klasikal = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    teknis = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    manajerial = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    sosial_kultural = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    pemerintahan = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    entries = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rekap JP tahunan")
        verbose_name_plural = _("rekap JP tahunan")
        constraints = [
            models.UniqueConstraint(fields=["employee", "year"], name="one_total_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.employee} {self.year}: {self.total} JP"


class JPMonthTotal(models.Model):
    """An employee's hours in one month (by the date earned), kept in step with the ledger
    like the yearly total: the reports' monthly trend reads these, not the entries."""

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jp_months"
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    month = models.PositiveSmallIntegerField(_("bulan"))
    total = models.DecimalField(_("jumlah JP"), max_digits=8, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("rekap JP bulanan")
        verbose_name_plural = _("rekap JP bulanan")
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "year", "month"], name="one_total_per_month"
            )
        ]
        indexes = [models.Index(fields=["year", "month"])]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.year}-{self.month:02d}: {self.total} JP"


class JPTarget(models.Model):
    """The Pemda's yearly hours rule for one employment type: a minimum every employee owes
    and an optional cap (PPPK: 24 JP a contract year paid by the agency), shown as a
    warning, never a refusal to record. A blank employment type applies to all others."""

    year = models.PositiveSmallIntegerField(_("tahun"))
    employment_type = models.CharField(
        _("jenis kepegawaian"), max_length=10, blank=True, choices=EmploymentType.choices,
        help_text=_("Kosongkan untuk semua jenis kepegawaian yang tidak punya aturan sendiri."),
    )  # fmt: skip
    minimum = models.DecimalField(_("target minimal JP"), max_digits=6, decimal_places=2)
    cap = models.DecimalField(
        _("batas atas JP"), null=True, blank=True, max_digits=6, decimal_places=2
    )

    class Meta:
        verbose_name = _("target JP")
        verbose_name_plural = _("target JP")
        ordering = ["-year", "employment_type"]
        constraints = [
            models.UniqueConstraint(fields=["year", "employment_type"], name="one_target_per_year"),
            models.CheckConstraint(condition=models.Q(minimum__gte=0), name="target_not_negative"),
            models.CheckConstraint(
                condition=models.Q(cap__isnull=True) | models.Q(cap__gte=models.F("minimum")),
                name="cap_not_below_target",
                violation_error_message=_("Batas atas tidak boleh di bawah target minimal."),
            ),
        ]

    def __str__(self) -> str:
        who = self.get_employment_type_display() or _("semua")
        return f"{self.year} {who}: {self.minimum} JP"


# --- Training done elsewhere ----------------------------------------------------------


def evidence_upload_to(instance: ExternalTraining, filename: str) -> str:
    """A random name: the learner's file name is kept only as a label."""
    suffix = filename.rsplit(".", 1)[-1].lower()[:5] if "." in filename else "bin"
    return f"bukti-pelatihan/{instance.employee_id}/{uuid.uuid4().hex}.{suffix}"


class ExternalTraining(TimeStampedModel):
    """A training the employee did outside Sinau (a provincial or central diklat, a seminar,
    a webinar), submitted with evidence. Verified, it credits its JP once; rejected, it
    carries the reason and can be corrected and submitted again."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Menunggu verifikasi")
        VERIFIED = "verified", _("Terverifikasi")
        REJECTED = "rejected", _("Ditolak")

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="external_trainings",
        verbose_name=_("pegawai"),
    )  # fmt: skip
    title = models.CharField(_("nama pelatihan"), max_length=255)
    organiser = models.CharField(_("penyelenggara"), max_length=255)
    jenis = models.ForeignKey(
        JenisDiklat, verbose_name=_("jenis diklat"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    started_on = models.DateField(_("tanggal mulai"))
    ended_on = models.DateField(_("tanggal selesai"))
    jp = models.DecimalField(_("JP"), max_digits=6, decimal_places=2)
    competency_type = models.CharField(_("jenis kompetensi"), max_length=20)
    form = models.CharField(_("bentuk"), max_length=20)
    certificate_number = models.CharField(_("nomor sertifikat"), max_length=100, blank=True)
    # Upper-cased without spaces or punctuation, so "800/12.3" and "800-123" meet.
    certificate_key = models.CharField(max_length=100, blank=True, db_index=True, editable=False)
    evidence = models.FileField(_("bukti"), upload_to=evidence_upload_to, max_length=255)
    evidence_name = models.CharField(_("nama berkas bukti"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("diajukan"))
    submissions = models.PositiveSmallIntegerField(_("kali diajukan"), default=1)
    duplicate_of = models.JSONField(_("kemungkinan duplikat"), default=list, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("diperiksa oleh"),
    )  # fmt: skip
    reviewed_at = models.DateTimeField(_("diperiksa"), null=True, blank=True)
    review_note = models.TextField(_("catatan pemeriksa"), blank=True)

    class Meta:
        verbose_name = _("pelatihan eksternal")
        verbose_name_plural = _("pelatihan eksternal")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "submitted_at"]),
            models.Index(fields=["employee", "started_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__gte=models.F("started_on")),
                name="external_training_dates_in_order",
            ),
            models.CheckConstraint(condition=models.Q(jp__gt=0), name="external_training_jp"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.employee})"


# --- Mentoring and induction ----------------------------------------------------------


class MentoringAssignment(TimeStampedModel):
    """Workplace coaching by an OPD leader: an OPD admin pairs a mentor with a mentee for a
    topic, JP and period; the mentor logs sessions and signs off; the OPD admin's approval
    credits the mentee once."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Berjalan")
        SIGNED_OFF = "signed_off", _("Menunggu persetujuan")
        APPROVED = "approved", _("Disetujui")
        CANCELLED = "cancelled", _("Dibatalkan")

    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentoring_given",
        verbose_name=_("mentor"),
    )  # fmt: skip
    mentee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentoring_received",
        verbose_name=_("peserta bimbingan"),
    )  # fmt: skip
    topic = models.CharField(_("topik"), max_length=255)
    jp = models.DecimalField(_("JP"), max_digits=6, decimal_places=2)
    competency_type = models.CharField(_("jenis kompetensi"), max_length=20)
    jenis = models.ForeignKey(
        JenisDiklat, verbose_name=_("jenis diklat"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    starts_on = models.DateField(_("mulai"))
    ends_on = models.DateField(_("selesai"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("ditugaskan oleh"),
    )  # fmt: skip
    signed_off_at = models.DateTimeField(_("ditandatangani mentor"), null=True, blank=True)
    mentor_summary = models.TextField(_("ringkasan mentor"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("diputuskan oleh"),
    )  # fmt: skip
    decided_at = models.DateTimeField(_("diputuskan"), null=True, blank=True)
    decision_note = models.TextField(_("catatan keputusan"), blank=True)

    class Meta:
        verbose_name = _("pembimbingan")
        verbose_name_plural = _("pembimbingan")
        ordering = ["-starts_on", "-pk"]
        indexes = [models.Index(fields=["mentor", "status"]), models.Index(fields=["mentee"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="mentoring_dates_in_order",
            ),
            models.CheckConstraint(
                condition=~models.Q(mentor=models.F("mentee")), name="mentor_is_not_mentee"
            ),
            # Backs the service's check: one running mentoring per pair and topic.
            models.UniqueConstraint(
                models.F("mentor"),
                models.F("mentee"),
                Lower("topic"),
                condition=models.Q(status__in=["active", "signed_off"]),
                name="one_running_mentoring_per_topic",
                violation_error_message=_("Pembimbingan dengan topik ini sedang berjalan."),
            ),  # fmt: skip
            models.CheckConstraint(condition=models.Q(jp__gt=0), name="mentoring_jp"),
        ]

    def __str__(self) -> str:
        return f"{self.topic}: {self.mentor} → {self.mentee}"


class MentoringSession(TimeStampedModel):
    """One meeting the mentor logs: when, how long, what was worked on."""

    assignment = models.ForeignKey(
        MentoringAssignment, on_delete=models.CASCADE, related_name="sessions"
    )
    held_on = models.DateField(_("tanggal"))
    minutes = models.PositiveSmallIntegerField(_("durasi (menit)"))
    notes = models.TextField(_("catatan"))
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("sesi pembimbingan")
        verbose_name_plural = _("sesi pembimbingan")
        ordering = ["held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.assignment_id} {self.held_on}"
