"""Question banks, quizzes, attempts and the graded outcome completion rules read.

A question's answer key lives in ``Question.data`` (shaped per kind; see ``scoring``). An
attempt freezes the questions it drew (``AttemptQuestion`` keeps a copy of stem and data),
so editing a bank never changes an attempt in flight; a regrade copies a fixed question in
on purpose. Scores are Decimal percentages, computed on the server only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase
from wagtail.fields import RichTextField

from lms.core.models import TimeStampedModel

RICH_TEXT_FEATURES = [
    "bold",
    "italic",
    "ol",
    "ul",
    "link",
    "image",
    "code",
    "superscript",
    "subscript",
]


class QuestionBank(TimeStampedModel):
    """Questions owned by one course, or shared (no course) across courses."""

    title = models.CharField(_("judul"), max_length=255)
    course = models.ForeignKey(
        "courses.CoursePage", verbose_name=_("kursus"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="question_banks",
        help_text=_("Kosongkan untuk bank soal bersama yang dapat dipakai semua kursus."),
    )  # fmt: skip
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("pemilik"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="question_banks",
    )  # fmt: skip
    description = models.TextField(_("keterangan"), blank=True)

    class Meta:
        verbose_name = _("bank soal")
        verbose_name_plural = _("bank soal")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class QuestionCategory(TimeStampedModel):
    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("nama"), max_length=255)

    class Meta:
        verbose_name = _("kategori soal")
        verbose_name_plural = _("kategori soal")
        ordering = ["bank", "name"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "name"], name="category_unique_in_bank")
        ]

    def __str__(self) -> str:
        return f"{self.bank} / {self.name}"


class Question(TimeStampedModel):  # type: ignore[django-manager-missing]
    class Kind(models.TextChoices):
        SINGLE = "single", _("Pilihan ganda (satu jawaban)")
        MULTIPLE = "multiple", _("Pilihan ganda (banyak jawaban)")
        TRUE_FALSE = "truefalse", _("Benar/salah")
        SHORT = "short", _("Isian singkat")
        NUMERIC = "numeric", _("Angka")
        MATCHING = "matching", _("Menjodohkan")

    bank = models.ForeignKey(QuestionBank, on_delete=models.CASCADE, related_name="questions")
    category = models.ForeignKey(
        QuestionCategory, verbose_name=_("kategori"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="questions",
    )  # fmt: skip
    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("nama"), max_length=255, blank=True)
    stem = RichTextField(_("pertanyaan"), features=RICH_TEXT_FEATURES)
    general_feedback = RichTextField(_("umpan balik umum"), blank=True, features=RICH_TEXT_FEATURES)
    # The answer key and options, shaped per kind (``scoring.validate`` checks it).
    data = models.JSONField(_("kunci dan pilihan"), default=dict)
    default_mark = models.DecimalField(
        _("bobot"), max_digits=6, decimal_places=2, default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )  # fmt: skip
    competencies = TaggableManager(
        through="QuestionTag", blank=True, verbose_name=_("tag kompetensi")
    )
    # Bumped by every edit of the key: a regrade picks up the questions fixed since.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("soal")
        verbose_name_plural = _("soal")
        ordering = ["bank", "pk"]

    def __str__(self) -> str:
        return self.name or f"{self.get_kind_display()} #{self.pk}"

    def clean(self) -> None:
        from .scoring import validate

        validate(self.kind, self.data)


class QuestionTag(TaggedItemBase):
    """A competency tag on a question (what the question assesses); the tags are the ones
    courses carry, so a gap, a course and a question speak of the same competency."""

    # Typed loosely: taggit has no type stubs, so the plugin cannot follow this relation.
    content_object: Any = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="tagged_items"
    )


class Quiz(ClusterableModel, TimeStampedModel):
    class Kind(models.TextChoices):
        PRACTICE = "practice", _("Latihan")
        GRADED = "graded", _("Dinilai")
        PRE_TEST = "pre_test", _("Pre-test")
        POST_TEST = "post_test", _("Post-test")

    class Grading(models.TextChoices):
        HIGHEST = "highest", _("Nilai tertinggi")
        LAST = "last", _("Percobaan terakhir")
        AVERAGE = "average", _("Rata-rata")

    class Review(models.TextChoices):
        AFTER_SUBMIT = "after_submit", _("Segera setelah dikumpulkan")
        AFTER_CLOSE = "after_close", _("Setelah kuis ditutup")
        NEVER = "never", _("Tidak pernah")

    class Layout(models.TextChoices):
        ONE_PER_PAGE = "one", _("Satu soal per halaman")
        ALL = "all", _("Semua soal dalam satu halaman")

    title = models.CharField(_("judul"), max_length=255)
    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices, default=Kind.GRADED)
    intro = models.TextField(_("petunjuk"), blank=True)
    pass_mark = models.DecimalField(
        _("nilai lulus"), max_digits=5, decimal_places=2, default=Decimal("70"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Nilai minimal (0-100) untuk lulus."),
    )  # fmt: skip
    time_limit_minutes = models.PositiveIntegerField(
        _("batas waktu (menit)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text=_("Kosongkan bila tanpa batas waktu."),
    )  # fmt: skip
    max_attempts = models.PositiveIntegerField(
        _("percobaan maksimal"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("Kosongkan bila tanpa batas."),
    )  # fmt: skip
    grading = models.CharField(
        _("cara menilai"), max_length=10, choices=Grading.choices, default=Grading.HIGHEST
    )
    review = models.CharField(
        _("pembahasan ditampilkan"), max_length=12, choices=Review.choices,
        default=Review.AFTER_SUBMIT,
        help_text=_("Kapan peserta melihat kunci jawaban dan umpan balik."),
    )  # fmt: skip
    layout = models.CharField(
        _("tata letak"), max_length=3, choices=Layout.choices, default=Layout.ONE_PER_PAGE
    )
    shuffle_questions = models.BooleanField(_("acak urutan soal"), default=True)
    shuffle_choices = models.BooleanField(_("acak urutan pilihan"), default=True)
    opens_at = models.DateTimeField(_("dibuka"), null=True, blank=True)
    closes_at = models.DateTimeField(_("ditutup"), null=True, blank=True)

    class Meta:
        verbose_name = _("kuis")
        verbose_name_plural = _("daftar kuis")
        ordering = ["title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_kind_display()})"


class QuizRule(models.Model):
    """One slot of a quiz: a fixed question, or "N drawn at random from a category"."""

    quiz = ParentalKey(Quiz, on_delete=models.CASCADE, related_name="rules")
    sort_order = models.PositiveIntegerField(default=0, editable=False)
    question = models.ForeignKey(
        Question, verbose_name=_("soal"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    category = models.ForeignKey(
        QuestionCategory, verbose_name=_("acak dari kategori"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    draw_count = models.PositiveIntegerField(
        _("jumlah diacak"), default=1, validators=[MinValueValidator(1)]
    )
    mark = models.DecimalField(
        _("bobot"), max_digits=6, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Kosongkan untuk memakai bobot bawaan soal."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("aturan soal")
        verbose_name_plural = _("aturan soal")
        ordering = ["sort_order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(question__isnull=False, category__isnull=True)
                | Q(question__isnull=True, category__isnull=False),
                name="rule_is_a_question_or_a_draw",
            )
        ]

    def __str__(self) -> str:
        if self.question_id:
            return str(self.question)
        return f"{self.draw_count} x {self.category}"


class Attempt(TimeStampedModel):
    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("Sedang dikerjakan")
        SUBMITTED = "submitted", _("Dikumpulkan")
        EXPIRED = "expired", _("Ditutup saat waktu habis")

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    number = models.PositiveIntegerField(_("percobaan ke"))
    state = models.CharField(
        _("status"), max_length=11, choices=State.choices, default=State.IN_PROGRESS
    )
    started_at = models.DateTimeField(_("dimulai"))
    deadline = models.DateTimeField(_("batas waktu"), null=True, blank=True)
    finished_at = models.DateTimeField(_("selesai"), null=True, blank=True)
    marks = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_marks = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    score = models.DecimalField(_("nilai"), max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("percobaan kuis")
        verbose_name_plural = _("percobaan kuis")
        ordering = ["quiz", "employee", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "employee", "number"], name="attempt_number_unique"
            ),
            # One attempt open at a time: a second device resumes it instead.
            models.UniqueConstraint(
                fields=["quiz", "employee"], condition=Q(state="in_progress"),
                name="one_open_attempt",
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["state", "deadline"])]

    def __str__(self) -> str:
        return f"{self.quiz} — {self.employee} #{self.number}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.IN_PROGRESS


class AttemptQuestion(models.Model):
    """A question as the attempt drew it: frozen, with the learner's answer and its mark."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField()
    question = models.ForeignKey(
        Question, null=True, on_delete=models.SET_NULL, related_name="attempt_copies"
    )
    question_version = models.PositiveIntegerField(default=1)
    kind = models.CharField(max_length=10, choices=Question.Kind.choices)
    stem = models.TextField()
    general_feedback = models.TextField(blank=True)
    data = models.JSONField()
    # The order the options (or matching answers) are shown in, fixed for the attempt.
    order = models.JSONField(default=list)
    max_mark = models.DecimalField(max_digits=6, decimal_places=2)
    response = models.JSONField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    fraction = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    mark = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="attempt_slot_unique")
        ]

    def __str__(self) -> str:
        return f"{self.attempt} / {self.position}"


class QuizResult(TimeStampedModel):
    """A learner's graded result on a quiz (by the quiz's grading method over their
    finished attempts): the figure completion rules look at."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="results")
    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_results"
    )
    score = models.DecimalField(_("nilai"), max_digits=5, decimal_places=2)
    passed = models.BooleanField(_("lulus"))
    graded_at = models.DateTimeField(_("dinilai"))

    class Meta:
        verbose_name = _("hasil kuis")
        verbose_name_plural = _("daftar hasil kuis")
        indexes = [models.Index(fields=["employee", "quiz", "passed"])]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "employee"], name="one_result_per_learner")
        ]

    def __str__(self) -> str:
        return f"{self.quiz} — {self.score}"
