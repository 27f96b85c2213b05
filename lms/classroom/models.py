"""Angkatan (dated cohorts of a course), scheduled sessions (classroom, live online,
hybrid), their attendance, recurring programmes, evaluations of courses and instructors,
and the calendar feed.

Two routes to JP run through here. A cohort's sessions count towards its course's
completion (a minimum attendance share, besides modules and quizzes), and the course's JP
is credited by the one completion service. A session outside any cohort (a one-off open
session, or one of a recurring programme's) credits its own JP to each attendee when the
instructor signs the attendance list off: once per attendance, by the ledger's unique
constraint, within the programme's yearly cap.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from courses.models import CompetencyType, EnrolmentPolicy
from lms.core.models import TimeStampedModel


def new_secret() -> str:
    return secrets.token_hex(16)


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class Cohort(TimeStampedModel):
    """An angkatan: one dated run of a course, with its own enrolment window, capacity,
    instructors and participants (by approval or assignment)."""

    course = models.ForeignKey(
        "courses.CoursePage", on_delete=models.PROTECT, related_name="cohorts",
        verbose_name=_("kursus"),
    )  # fmt: skip
    name = models.CharField(
        _("nama angkatan"), max_length=120, help_text=_("Misalnya: Angkatan III 2027.")
    )
    description = models.TextField(
        _("keterangan"), blank=True,
        help_text=_("Panduan bagi peserta: tempat, perlengkapan, tata tertib."),
    )  # fmt: skip
    enrolment_policy = models.CharField(
        _("cara pendaftaran"), max_length=10, choices=EnrolmentPolicy.choices,
        default=EnrolmentPolicy.APPROVAL,
    )  # fmt: skip
    enrolment_opens = models.DateTimeField(_("pendaftaran dibuka"), null=True, blank=True)
    enrolment_closes = models.DateTimeField(_("pendaftaran ditutup"), null=True, blank=True)
    starts_on = models.DateField(_("tanggal mulai"))
    ends_on = models.DateField(_("tanggal selesai"))
    capacity = models.PositiveIntegerField(
        _("kapasitas"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("Kosongkan bila tanpa batas."),
    )  # fmt: skip
    instructors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="cohorts_taught",
        verbose_name=_("instruktur / coach"),
    )  # fmt: skip
    questionnaire = models.ForeignKey(
        "classroom.Questionnaire", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("kuesioner evaluasi"),
        help_text=_("Kosongkan untuk memakai kuesioner bawaan."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("angkatan")
        verbose_name_plural = _("angkatan")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="cohort_dates_in_order",
                violation_error_message=_("Tanggal selesai tidak boleh sebelum tanggal mulai."),
            ),
            models.CheckConstraint(
                condition=models.Q(enrolment_opens__isnull=True)
                | models.Q(enrolment_closes__isnull=True)
                | models.Q(enrolment_closes__gt=models.F("enrolment_opens")),
                name="cohort_window_in_order",
                violation_error_message=_("Pendaftaran harus ditutup setelah dibuka."),
            ),
            models.UniqueConstraint(
                fields=["course", "name"],
                name="one_cohort_name_per_course",
                violation_error_message=_("Kursus ini sudah punya angkatan dengan nama itu."),
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.course.title}"


class SessionMode(models.TextChoices):
    KLASIKAL = "klasikal", _("Tatap muka (klasikal)")
    DARING = "daring", _("Daring langsung")
    HYBRID = "hybrid", _("Hybrid")


class Series(TimeStampedModel):
    """A recurring programme open to all (for example the weekly Thursday learning
    session): its sessions are made from the pattern and each credits its own JP."""

    class Recurrence(models.TextChoices):
        WEEKLY = "weekly", _("Mingguan")
        MONTHLY = "monthly", _("Bulanan")

    title = models.CharField(_("judul"), max_length=200)
    description = models.TextField(_("keterangan"), blank=True)
    recurrence = models.CharField(
        _("pengulangan"), max_length=10, choices=Recurrence.choices, default=Recurrence.WEEKLY
    )
    first_on = models.DateField(_("sesi pertama"))
    last_on = models.DateField(_("sesi terakhir"))
    start_time = models.TimeField(_("jam mulai"))
    end_time = models.TimeField(_("jam selesai"))
    mode = models.CharField(
        _("bentuk"), max_length=10, choices=SessionMode.choices, default=SessionMode.KLASIKAL
    )
    venue = models.CharField(_("tempat"), max_length=255, blank=True)
    meeting_url = models.URLField(_("tautan rapat daring"), blank=True)
    jp_per_session = models.DecimalField(
        _("JP per sesi"), max_digits=5, decimal_places=2,
        validators=[MinValueValidator(0)],
    )  # fmt: skip
    yearly_jp_cap = models.DecimalField(
        _("batas JP per tahun"), max_digits=6, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Kosongkan bila tanpa batas: JP di atas batas tidak dikreditkan."),
    )  # fmt: skip
    competency_type = models.CharField(
        _("jenis kompetensi"), max_length=20, choices=CompetencyType.choices,
        default=CompetencyType.TEKNIS,
    )  # fmt: skip
    jenis_diklat = models.ForeignKey(
        "learning.JenisDiklat", verbose_name=_("jenis diklat (SIASN)"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
        help_text=_("Kosongkan: komunitas belajar (23)."),
    )  # fmt: skip
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="series_taught", verbose_name=_("instruktur"),
    )  # fmt: skip
    questionnaire = models.ForeignKey(
        "classroom.Questionnaire", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("kuesioner evaluasi"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("program sesi berulang")
        verbose_name_plural = _("program sesi berulang")
        ordering = ["-first_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_on__gte=models.F("first_on")),
                name="series_dates_in_order",
                violation_error_message=_("Sesi terakhir tidak boleh sebelum sesi pertama."),
            ),
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="series_times_in_order",
                violation_error_message=_("Jam selesai harus setelah jam mulai."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Session(TimeStampedModel):
    """One scheduled meeting: of a cohort (counts towards its course), of a recurring
    programme, or a one-off open to all (both credit the session's JP)."""

    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions",
        verbose_name=_("angkatan"),
    )  # fmt: skip
    series = models.ForeignKey(
        Series, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions",
        verbose_name=_("program berulang"),
    )  # fmt: skip
    title = models.CharField(_("judul sesi"), max_length=200)
    mode = models.CharField(
        _("bentuk"), max_length=10, choices=SessionMode.choices, default=SessionMode.KLASIKAL
    )
    venue = models.CharField(_("tempat"), max_length=255, blank=True)
    meeting_url = models.URLField(_("tautan rapat daring"), blank=True)
    starts_at = models.DateTimeField(_("mulai"))
    ends_at = models.DateTimeField(_("selesai"))
    jp = models.DecimalField(
        _("JP"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)],
        help_text=_(
            "Untuk sesi angkatan: bagian dari JP kursus (dikreditkan saat kursus selesai). "
            "Untuk sesi terbuka: dikreditkan ke tiap peserta yang hadir."
        ),
    )  # fmt: skip
    competency_type = models.CharField(
        _("jenis kompetensi"), max_length=20, choices=CompetencyType.choices,
        default=CompetencyType.TEKNIS,
    )  # fmt: skip
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="sessions_taught", verbose_name=_("instruktur"),
    )  # fmt: skip
    late_after_minutes = models.PositiveSmallIntegerField(
        _("terlambat setelah (menit)"), default=15, validators=[MaxValueValidator(240)]
    )
    # Part of the QR codes' key: replacing it voids every code shown so far.
    qr_secret = models.CharField(max_length=64, default=new_secret, editable=False)
    cancelled_at = models.DateTimeField(_("dibatalkan"), null=True, blank=True)
    signed_off_at = models.DateTimeField(_("daftar hadir ditandatangani"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("ditandatangani oleh"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("sesi")
        verbose_name_plural = _("sesi")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["starts_at"]), models.Index(fields=["instructor"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="session_times_in_order",
                violation_error_message=_("Sesi harus selesai setelah mulai."),
            ),
            models.CheckConstraint(
                condition=models.Q(cohort__isnull=True) | models.Q(series__isnull=True),
                name="session_of_cohort_or_series",
                violation_error_message=_(
                    "Sesi milik satu angkatan atau satu program berulang, tidak keduanya."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def credits_jp(self) -> bool:
        """Open sessions credit their own JP; a cohort's count towards its course."""
        return self.cohort_id is None and self.jp > 0


class Attendance(TimeStampedModel):
    """One person at one session: checked in by QR or marked by the instructor."""

    class Status(models.TextChoices):
        PRESENT = "present", _("Hadir")
        LATE = "late", _("Terlambat")
        EXCUSED = "excused", _("Izin")
        ABSENT = "absent", _("Tidak hadir")

    class Method(models.TextChoices):
        QR = "qr", _("Kode QR")
        INSTRUCTOR = "instructor", _("Dicatat instruktur")

    ATTENDED = (Status.PRESENT, Status.LATE)

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="attendances")
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attendances",
        verbose_name=_("peserta"),
    )  # fmt: skip
    status = models.CharField(_("kehadiran"), max_length=10, choices=Status.choices)
    method = models.CharField(_("cara"), max_length=10, choices=Method.choices)
    checked_in_at = models.DateTimeField(_("datang"), null=True, blank=True)
    left_at = models.DateTimeField(_("pulang"), null=True, blank=True)
    # The last QR code (its time step) this person used here: one code, one use.
    qr_step = models.BigIntegerField(null=True, blank=True, editable=False)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("dicatat oleh"),
    )  # fmt: skip
    note = models.CharField(_("catatan"), max_length=255, blank=True)
    # What the sign-off credited (open sessions), after the programme's cap.
    jp_credited = models.DecimalField(
        _("JP dikreditkan"), max_digits=5, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("kehadiran")
        verbose_name_plural = _("daftar hadir")
        ordering = ["session", "employee__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "employee"],
                name="one_attendance_per_session",
                violation_error_message=_("Peserta ini sudah tercatat di sesi ini."),
            ),  # fmt: skip
        ]
        indexes = [models.Index(fields=["employee", "status"])]

    def __str__(self) -> str:
        return f"{self.session} — {self.employee}"

    @property
    def attended(self) -> bool:
        return self.status in self.ATTENDED

    @property
    def left_early(self) -> bool:
        return self.left_at is not None and self.left_at < self.session.ends_at


# --- Evaluation -----------------------------------------------------------------------


class Questionnaire(ClusterableModel, models.Model):
    """A short evaluation form: Likert items and comments, about the course (or session)
    and about each instructor. BKPSDM keeps them as snippets; one is the default."""

    name = models.CharField(_("nama"), max_length=200)
    is_default = models.BooleanField(
        _("bawaan"), default=False, help_text=_("Dipakai bila angkatan atau program tidak memilih.")
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)

    class Meta:
        verbose_name = _("kuesioner evaluasi")
        verbose_name_plural = _("kuesioner evaluasi")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_questionnaire",
                violation_error_message=_("Hanya satu kuesioner yang dapat menjadi bawaan."),
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return self.name


class QuestionnaireItem(Orderable, models.Model):
    class About(models.TextChoices):
        COURSE = "course", _("Kursus / sesi")
        INSTRUCTOR = "instructor", _("Setiap instruktur")

    class Kind(models.TextChoices):
        LIKERT = "likert", _("Skala 1-5")
        COMMENT = "comment", _("Komentar")

    questionnaire = ParentalKey(Questionnaire, on_delete=models.CASCADE, related_name="items")
    about = models.CharField(_("tentang"), max_length=10, choices=About.choices)
    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices)
    text = models.CharField(_("pertanyaan"), max_length=300)
    required = models.BooleanField(_("wajib"), default=True)

    class Meta(Orderable.Meta):
        verbose_name = _("butir kuesioner")
        verbose_name_plural = _("butir kuesioner")

    def __str__(self) -> str:
        return self.text


class EvaluationResponse(models.Model):
    """One participant's answers, with nothing that names them: no person, no time, and a
    random key (an ordered one would pair responses with receipts by their order)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(
        "courses.CoursePage", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, null=True, blank=True, related_name="evaluations"
    )
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, null=True, blank=True, related_name="evaluations"
    )
    year = models.PositiveSmallIntegerField(_("tahun"))

    class Meta:
        verbose_name = _("jawaban evaluasi")
        verbose_name_plural = _("jawaban evaluasi")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cohort__isnull=False) | models.Q(session__isnull=False),
                name="evaluation_of_cohort_or_session",
            ),
        ]

    def __str__(self) -> str:
        return str(self.pk)


class EvaluationAnswer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(
        EvaluationResponse, on_delete=models.CASCADE, related_name="answers"
    )
    item = models.ForeignKey(QuestionnaireItem, on_delete=models.PROTECT, related_name="+")
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                name="evaluation_score_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return str(self.pk)


class EvaluationReceipt(models.Model):
    """That someone evaluated a cohort or session (so that they do it once), kept apart
    from what they answered."""

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, null=True, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, null=True, related_name="+")
    submitted_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "cohort"],
                condition=models.Q(cohort__isnull=False),
                name="one_evaluation_per_cohort",
            ),  # fmt: skip
            models.UniqueConstraint(
                fields=["employee", "session"],
                condition=models.Q(session__isnull=False),
                name="one_evaluation_per_session",
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.employee_id}: {self.cohort_id or self.session_id}"


# --- Calendar -------------------------------------------------------------------------


class CalendarFeed(models.Model):
    """The secret address of an employee's iCalendar feed (calendar apps cannot log in);
    resetting it makes a new one and the old address stops working."""

    employee = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("umpan kalender")
        verbose_name_plural = _("umpan kalender")

    def __str__(self) -> str:
        return str(self.employee)
