"""Certificates (STTPP): issued once per completion, numbered without gaps per year,
verifiable by a random code, revocable and reissuable by BKPSDM."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lms.core.models import TimeStampedModel


class CertificateTemplate(models.Model):
    """How a certificate looks and who signs it: one default, or one for a course."""

    name = models.CharField(_("nama templat"), max_length=120)
    course = models.OneToOneField(
        "courses.CoursePage", verbose_name=_("kursus"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="certificate_template",
        help_text=_("Kosongkan untuk templat bawaan semua kursus."),
    )  # fmt: skip
    is_default = models.BooleanField(_("templat bawaan"), default=False)
    heading = models.CharField(_("judul"), max_length=120, default="SERTIFIKAT")
    issuer_name = models.CharField(
        _("penerbit"), max_length=255,
        help_text=_("Misalnya: Badan Kepegawaian dan Pengembangan Sumber Daya Manusia."),
    )  # fmt: skip
    statement = models.TextField(
        _("pernyataan"), blank=True,
        help_text=_("Kalimat di atas nama kursus, misalnya: telah menyelesaikan pelatihan."),
    )  # fmt: skip
    logo = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("logo"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    background = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("latar"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    signatory_place = models.CharField(_("tempat penandatanganan"), max_length=100, blank=True)
    signatory_title = models.CharField(_("jabatan penanda tangan"), max_length=255)
    signatory_name = models.CharField(_("nama penanda tangan"), max_length=255)
    signatory_nip = models.CharField(_("NIP penanda tangan"), max_length=18, blank=True)
    signature = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("gambar tanda tangan"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("templat sertifikat")
        verbose_name_plural = _("templat sertifikat")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_certificate_template",
                violation_error_message=_("Sudah ada templat bawaan."),
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return self.name


class CertificateSequence(models.Model):
    """The last number issued in a year. Issuing locks this row, so numbers are unique and
    without gaps however many completions arrive at once."""

    year = models.PositiveSmallIntegerField(_("tahun"), unique=True)
    last = models.PositiveIntegerField(_("nomor terakhir"), default=0)

    class Meta:
        verbose_name = _("urutan nomor sertifikat")
        verbose_name_plural = _("urutan nomor sertifikat")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Certificate(TimeStampedModel):
    """One certificate for one completion. What it says (name, NIP, course, JP, date) is
    copied in when it is issued, so a later edit of the course or the employee does not
    change a certificate already signed; a correction is a reissue."""

    class Status(models.TextChoices):
        VALID = "valid", _("Sah")
        REVOKED = "revoked", _("Dicabut")
        REPLACED = "replaced", _("Diganti terbitan baru")

    enrolment = models.ForeignKey(
        "learning.Enrolment", on_delete=models.PROTECT, related_name="certificates"
    )
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates"
    )
    course = models.ForeignKey(
        "courses.CoursePage", on_delete=models.PROTECT, related_name="certificates"
    )
    number = models.CharField(_("nomor"), max_length=100, unique=True)
    year = models.PositiveSmallIntegerField(_("tahun"))
    sequence = models.PositiveIntegerField(_("urut"))
    # At least 128 random bits (secrets.token_urlsafe(24) gives 192), the key of /verify/.
    code = models.CharField(_("kode verifikasi"), max_length=64, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.VALID
    )
    holder_name = models.CharField(_("nama"), max_length=400)
    holder_nip = models.CharField(_("NIP"), max_length=18)
    course_title = models.CharField(_("kursus"), max_length=255)
    jp = models.DecimalField(_("JP"), max_digits=6, decimal_places=2)
    competency_type = models.CharField(_("jenis kompetensi"), max_length=20)
    completed_on = models.DateField(_("tanggal selesai"))
    issuer_name = models.CharField(_("penerbit"), max_length=255)
    issued_at = models.DateTimeField(_("diterbitkan"))
    template = models.ForeignKey(
        CertificateTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pdf = models.FileField(_("berkas PDF"), upload_to="sertifikat/", blank=True, max_length=255)
    rendered_at = models.DateTimeField(_("dibuat"), null=True, blank=True)
    render_error = models.TextField(blank=True)
    revoked_at = models.DateTimeField(_("dicabut"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    revoke_reason = models.TextField(_("alasan pencabutan"), blank=True)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by",
        verbose_name=_("menggantikan"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("sertifikat")
        verbose_name_plural = _("sertifikat")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="one_number_per_sequence"),
            # One certificate in force per completion: issuing twice issues once.
            models.UniqueConstraint(
                fields=["enrolment"],
                condition=models.Q(status="valid"),
                name="one_valid_certificate_per_enrolment",
            ),  # fmt: skip
        ]
        indexes = [
            models.Index(fields=["employee", "issued_at"]),
            models.Index(fields=["course", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} — {self.holder_name}"


class CertificateBundle(TimeStampedModel):
    """A zip of certificates for an auditor: one course's, or one OPD's, built by a task
    that reports its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Dalam antrean")
        BUILDING = "building", _("Sedang dibuat")
        READY = "ready", _("Siap diunduh")
        FAILED = "failed", _("Gagal")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    course = models.ForeignKey(
        "courses.CoursePage", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    org_unit = models.ForeignKey(
        "people.OrgUnit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("tahun"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="sertifikat-zip/", blank=True, max_length=255)
    failure = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("unduhan sertifikat")
        verbose_name_plural = _("unduhan sertifikat")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(course__isnull=False) | models.Q(org_unit__isnull=False),
                name="bundle_names_course_or_opd",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk} {self.get_status_display()}"
