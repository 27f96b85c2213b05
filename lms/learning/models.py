"""Who is enrolled in which course, how far they got, and when they completed it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lms.core.models import TimeStampedModel


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


class JPEntry(models.Model):
    """One line of an employee's learning hours. Append-only: a correction is a reversing
    entry (``reverses``), never an edit; on PostgreSQL a trigger refuses UPDATE and DELETE.
    One source (a course completion, a verified external training, a mentoring) credits an
    employee at most once: a unique constraint says so, whatever the code does."""

    class Source(models.TextChoices):
        COURSE = "course_completion", _("Penyelesaian kursus")
        EXTERNAL = "external_training", _("Pelatihan eksternal")
        MENTORING = "mentoring", _("Pembimbingan")

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
