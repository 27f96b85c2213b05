"""Needs first: the competency dictionary with each jabatan's standard, the yearly AKPK of
each employee (levels, gaps, development needs), OPD training proposals and the duplicates
found among them.

A gap is always ``required - current`` and never below zero; it is stored on the AKPK item
(``AKPKItem.recompute``) so that maps and recommendations read it without recomputing.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.models import Orderable

from courses.models import CompetencyType, TrainingForm
from lms.core.models import TimeStampedModel

LEVELS = [(n, str(n)) for n in range(1, 6)]
LEVEL_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


def jabatan_key(name: str) -> str:
    """How a jabatan's name is matched: case, spacing and punctuation do not count, so
    "Analis  Kebijakan Ahli Muda" and "analis kebijakan ahli muda." are one jabatan."""
    return re.sub(r"[^0-9a-z]+", " ", (name or "").casefold()).strip()


class Competency(TimeStampedModel):
    """One entry of the Pemda's competency dictionary (kamus kompetensi)."""

    code = models.CharField(_("kode"), max_length=30, unique=True)
    name = models.CharField(_("nama"), max_length=255)
    competency_type = models.CharField(
        _("jenis kompetensi"), max_length=20, choices=CompetencyType.choices
    )
    description = models.TextField(_("definisi"), blank=True)
    # {"1": "indicator of level 1", ..., "5": "..."}; levels without a text stay absent.
    level_descriptions = models.JSONField(_("uraian level"), default=dict, blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("kompetensi")
        verbose_name_plural = _("kamus kompetensi")
        ordering = ["competency_type", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class JabatanStandard(TimeStampedModel):
    """Standar kompetensi jabatan: the level a jabatan requires of one competency."""

    jabatan = models.CharField(_("jabatan"), max_length=255)
    jabatan_key = models.CharField(max_length=255, editable=False, db_index=True)
    competency = models.ForeignKey(
        Competency, verbose_name=_("kompetensi"), on_delete=models.CASCADE,
        related_name="standards",
    )  # fmt: skip
    required_level = models.PositiveSmallIntegerField(
        _("level yang dipersyaratkan"), choices=LEVELS, validators=LEVEL_VALIDATORS
    )

    class Meta:
        verbose_name = _("standar kompetensi jabatan")
        verbose_name_plural = _("standar kompetensi jabatan")
        ordering = ["jabatan_key", "competency__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["jabatan_key", "competency"],
                name="jabatan_standard_once",
                violation_error_message=_("Jabatan ini sudah punya standar untuk kompetensi itu."),
            ),  # fmt: skip
            models.CheckConstraint(
                condition=models.Q(required_level__gte=1, required_level__lte=5),
                name="jabatan_standard_level_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.jabatan}: {self.competency.code} {self.required_level}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.jabatan = " ".join(self.jabatan.split())
        self.jabatan_key = jabatan_key(self.jabatan)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class CourseCompetency(Orderable, models.Model):
    """What a course builds, in the dictionary's terms: a competency and the level a learner
    reaches by completing it. Recommendations read these."""

    course = ParentalKey(
        "courses.CoursePage", on_delete=models.CASCADE, related_name="competency_levels"
    )
    competency = models.ForeignKey(
        Competency, verbose_name=_("kompetensi"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField(
        _("level yang dicapai"), choices=LEVELS, validators=LEVEL_VALIDATORS,
        help_text=_("Level kompetensi yang dicapai peserta setelah menyelesaikan kursus."),
    )  # fmt: skip

    class Meta(Orderable.Meta):
        verbose_name = _("kompetensi kursus")
        verbose_name_plural = _("kompetensi kursus")
        constraints = [
            models.UniqueConstraint(fields=["course", "competency"], name="course_competency_once")
        ]

    def __str__(self) -> str:
        return f"{self.competency_id} {self.level}"


class PerformanceRating(models.TextChoices):
    """Predikat kinerja pegawai (SKP, PermenPANRB 6/2022): the performance gap of AKPK."""

    SANGAT_BAIK = "sangat_baik", _("Sangat baik")
    BAIK = "baik", _("Baik")
    BUTUH_PERBAIKAN = "butuh_perbaikan", _("Butuh perbaikan")
    KURANG = "kurang", _("Kurang")
    SANGAT_KURANG = "sangat_kurang", _("Sangat kurang")


class AKPK(TimeStampedModel):
    """One employee's analysis of competency-development needs for one year."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Diisi pegawai")
        SELF_SUBMITTED = "self_submitted", _("Menunggu penilaian atasan")
        ASSESSED = "assessed", _("Dinilai atasan")

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("pegawai"), on_delete=models.PROTECT,
        related_name="akpk_set",
    )  # fmt: skip
    year = models.PositiveSmallIntegerField(_("tahun"))
    # Snapshots taken when the AKPK is opened: the OPD that answers for it and the jabatan
    # whose standard it is measured against stay as they were if the employee moves.
    org_unit = models.ForeignKey(
        "people.OrgUnit", verbose_name=_("unit kerja"), on_delete=models.PROTECT,
        related_name="+", null=True, blank=True,
    )  # fmt: skip
    opd = models.ForeignKey(
        "people.OrgUnit", verbose_name=_("OPD"), on_delete=models.PROTECT, related_name="+",
        null=True, blank=True,
    )  # fmt: skip
    jabatan = models.CharField(_("jabatan"), max_length=255, blank=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("atasan penilai"), on_delete=models.SET_NULL,
        related_name="akpk_to_assess", null=True, blank=True,
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    performance_rating = models.CharField(
        _("predikat kinerja"), max_length=20, choices=PerformanceRating.choices, blank=True
    )
    self_note = models.TextField(_("catatan pegawai"), blank=True)
    supervisor_note = models.TextField(_("catatan atasan"), blank=True)
    self_submitted_at = models.DateTimeField(_("diajukan"), null=True, blank=True)
    assessed_at = models.DateTimeField(_("dinilai"), null=True, blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dinilai oleh"), on_delete=models.SET_NULL,
        related_name="+", null=True, blank=True,
    )  # fmt: skip

    class Meta:
        verbose_name = _("AKPK pegawai")
        verbose_name_plural = _("AKPK pegawai")
        ordering = ["-year", "employee__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "year"],
                name="akpk_once_per_employee_year",
                violation_error_message=_("Pegawai ini sudah punya AKPK untuk tahun itu."),
            )  # fmt: skip
        ]
        indexes = [models.Index(fields=["opd", "year", "status"])]

    def __str__(self) -> str:
        return f"AKPK {self.year} {self.employee_id}"


class Priority(models.TextChoices):
    HIGH = "tinggi", _("Tinggi")
    MEDIUM = "sedang", _("Sedang")
    LOW = "rendah", _("Rendah")


class LevelSource(models.TextChoices):
    """Where the current level comes from: the strongest evidence wins."""

    CENTRE = "centre", _("Assessment center")
    SUPERVISOR = "supervisor", _("Atasan")
    SELF = "self", _("Penilaian diri")


class AKPKItem(models.Model):
    """One competency of an AKPK: required and current level, the gap and the need."""

    akpk = models.ForeignKey(AKPK, on_delete=models.CASCADE, related_name="items")
    competency = models.ForeignKey(
        Competency, verbose_name=_("kompetensi"), on_delete=models.PROTECT, related_name="+"
    )
    # 0 when the jabatan's standard does not name the competency (a need the employee or
    # supervisor added): it then shows a development wish, never a gap.
    required_level = models.PositiveSmallIntegerField(_("level standar"), default=0)
    self_level = models.PositiveSmallIntegerField(
        _("penilaian diri"), choices=LEVELS, validators=LEVEL_VALIDATORS, null=True, blank=True
    )
    supervisor_level = models.PositiveSmallIntegerField(
        _("penilaian atasan"), choices=LEVELS, validators=LEVEL_VALIDATORS, null=True,
        blank=True,
    )  # fmt: skip
    centre_level = models.PositiveSmallIntegerField(
        _("hasil assessment center"), choices=LEVELS, validators=LEVEL_VALIDATORS, null=True,
        blank=True,
    )  # fmt: skip
    current_level = models.PositiveSmallIntegerField(_("level saat ini"), null=True, blank=True)
    current_source = models.CharField(
        _("sumber level"), max_length=12, choices=LevelSource.choices, blank=True
    )
    gap = models.PositiveSmallIntegerField(_("kesenjangan"), null=True, blank=True)
    priority = models.CharField(_("prioritas"), max_length=10, choices=Priority.choices, blank=True)
    development_note = models.CharField(_("kebutuhan pengembangan"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("kompetensi AKPK")
        verbose_name_plural = _("kompetensi AKPK")
        ordering = ["competency__competency_type", "competency__code"]
        constraints = [
            models.UniqueConstraint(fields=["akpk", "competency"], name="akpk_item_once")
        ]
        indexes = [models.Index(fields=["competency", "gap"])]

    def __str__(self) -> str:
        return f"{self.akpk_id}: {self.competency_id}"

    def recompute(self) -> None:
        """Current level from the strongest evidence present (assessment centre, then the
        supervisor, then the employee), and the gap it leaves against the standard."""
        for source, level in (
            (LevelSource.CENTRE, self.centre_level),
            (LevelSource.SUPERVISOR, self.supervisor_level),
            (LevelSource.SELF, self.self_level),
        ):
            if level is not None:
                self.current_level, self.current_source = level, source
                break
        else:
            self.current_level, self.current_source = None, ""
        if self.current_level is None:
            self.gap = None
        else:
            self.gap = max(self.required_level - self.current_level, 0)


class AKPKSubmission(TimeStampedModel):
    """An OPD's AKPK for a year, reviewed by its admin and sent to BKPSDM. While it stands
    the OPD's AKPK for that year is closed to edits; BKPSDM may return it with a reason."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Dikirim ke BKPSDM")
        RETURNED = "returned", _("Dikembalikan untuk diperbaiki")

    opd = models.ForeignKey(
        "people.OrgUnit", verbose_name=_("OPD"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dikirim oleh"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    submitted_at = models.DateTimeField(_("dikirim"))
    # Counts frozen at submission, so BKPSDM sees what was sent.
    employee_count = models.PositiveIntegerField(_("pegawai"), default=0)
    assessed_count = models.PositiveIntegerField(_("sudah dinilai atasan"), default=0)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dikembalikan oleh"), on_delete=models.SET_NULL,
        related_name="+", null=True, blank=True,
    )  # fmt: skip
    returned_at = models.DateTimeField(_("dikembalikan"), null=True, blank=True)
    return_reason = models.TextField(_("alasan dikembalikan"), blank=True)

    class Meta:
        verbose_name = _("pengiriman AKPK OPD")
        verbose_name_plural = _("pengiriman AKPK OPD")
        ordering = ["-year", "opd__path"]
        constraints = [models.UniqueConstraint(fields=["opd", "year"], name="akpk_submission_once")]


class CentreImport(TimeStampedModel):
    """One bulk import of assessment-centre results (NIP, competency code, level)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Menunggu")
        DONE = "done", _("Selesai")
        FAILED = "failed", _("Gagal")

    year = models.PositiveSmallIntegerField(_("tahun"))
    original_name = models.CharField(_("nama berkas"), max_length=255)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    rows_total = models.PositiveIntegerField(default=0)
    applied_count = models.PositiveIntegerField(_("diterapkan"), default=0)
    error_count = models.PositiveIntegerField(_("baris bermasalah"), default=0)
    # [{"row": 7, "errors": ["..."]}], capped so a garbage file cannot bloat a row
    row_errors = models.JSONField(default=list, blank=True)
    failure = models.TextField(_("alasan gagal"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("impor hasil assessment center")
        verbose_name_plural = _("impor hasil assessment center")
        ordering = ["-created_at"]


class TrainingProposal(TimeStampedModel):
    """A training an OPD proposes to BKPSDM for a year, justified by its AKPK gaps."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draf")
        SUBMITTED = "submitted", _("Diajukan")
        RETURNED = "returned", _("Perlu revisi")
        APPROVED = "approved", _("Disetujui")
        REJECTED = "rejected", _("Ditolak")
        MERGED = "merged", _("Digabung ke usulan lain")

    class Outcome(models.TextChoices):
        COURSE = "course", _("Draf kursus daring")
        CLASSROOM = "classroom", _("Pelatihan klasikal")

    opd = models.ForeignKey(
        "people.OrgUnit", verbose_name=_("OPD pengusul"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    year = models.PositiveSmallIntegerField(_("tahun pelaksanaan"))
    title = models.CharField(_("judul pelatihan"), max_length=255)
    competencies = models.ManyToManyField(
        Competency, verbose_name=_("kompetensi"), related_name="proposals"
    )
    # Jabatan names (as employees carry them): who the training is for; participants of
    # different OPDs overlap when they hold the same jabatan.
    target_jabatan = models.JSONField(_("jabatan sasaran"), default=list, blank=True)
    participant_count = models.PositiveIntegerField(_("jumlah peserta"))
    jp = models.DecimalField(
        _("JP"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0.25"))]
    )
    training_form = models.CharField(
        _("bentuk pelatihan"), max_length=15, choices=TrainingForm.choices
    )
    budget = models.DecimalField(
        _("anggaran (Rp)"), max_digits=15, decimal_places=0, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )  # fmt: skip
    starts_on = models.DateField(_("mulai"))
    ends_on = models.DateField(_("selesai"))
    justification = models.TextField(_("justifikasi"))
    # Figures from the OPD's AKPK when the proposal was submitted: how many of its
    # employees have gaps in the proposed competencies, and how large.
    gap_summary = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dibuat oleh"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    submitted_at = models.DateTimeField(_("diajukan"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("diputuskan oleh"), on_delete=models.SET_NULL,
        related_name="+", null=True, blank=True,
    )  # fmt: skip
    decided_at = models.DateTimeField(_("diputuskan"), null=True, blank=True)
    decision_note = models.TextField(_("catatan keputusan"), blank=True)
    outcome = models.CharField(_("hasil"), max_length=10, choices=Outcome.choices, blank=True)
    course = models.ForeignKey(
        "courses.CoursePage", verbose_name=_("kursus"), on_delete=models.SET_NULL,
        related_name="+", null=True, blank=True,
    )  # fmt: skip
    # One programme serving several OPDs: a duplicate merged into this one adds its OPD here.
    merged_into = models.ForeignKey(
        "self", verbose_name=_("digabung ke"), on_delete=models.SET_NULL,
        related_name="merged", null=True, blank=True,
    )  # fmt: skip

    class Meta:
        verbose_name = _("usulan pelatihan")
        verbose_name_plural = _("usulan pelatihan")
        ordering = ["-year", "-created_at"]
        indexes = [models.Index(fields=["year", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="proposal_ends_after_start",
                violation_error_message=_("Tanggal selesai tidak boleh sebelum tanggal mulai."),
            )
        ]

    def __str__(self) -> str:
        return self.title


class ProposalDuplicate(TimeStampedModel):
    """A pair of proposals from different OPDs that look like one programme."""

    class Status(models.TextChoices):
        OPEN = "open", _("Perlu ditinjau")
        DISMISSED = "dismissed", _("Bukan duplikat")
        MERGED = "merged", _("Digabung")

    # The pair is stored once, lower id first.
    first = models.ForeignKey(TrainingProposal, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(TrainingProposal, on_delete=models.CASCADE, related_name="+")
    score = models.DecimalField(_("skor kemiripan"), max_digits=4, decimal_places=3)
    # Reason codes with their figures: [{"code": "competencies", "value": 0.67}, ...]
    reasons = models.JSONField(default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", null=True,
        blank=True,
    )  # fmt: skip
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("kemungkinan duplikat usulan")
        verbose_name_plural = _("kemungkinan duplikat usulan")
        ordering = ["-score"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="proposal_duplicate_once"),
            models.CheckConstraint(
                condition=models.Q(first__lt=models.F("second")), name="proposal_duplicate_ordered"
            ),
        ]
