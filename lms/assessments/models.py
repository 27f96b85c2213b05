"""Quizzes as course content, and the graded outcome completion rules read.

The assessments issue adds question banks, timed attempts and grading; it writes
``QuizResult`` rows. Nothing here grades anything.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from lms.core.models import TimeStampedModel


class Quiz(TimeStampedModel):
    class Kind(models.TextChoices):
        PRACTICE = "practice", _("Latihan")
        GRADED = "graded", _("Dinilai")
        PRE_TEST = "pre_test", _("Pre-test")
        POST_TEST = "post_test", _("Post-test")

    title = models.CharField(_("judul"), max_length=255)
    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices, default=Kind.GRADED)
    pass_mark = models.DecimalField(
        _("nilai lulus"), max_digits=5, decimal_places=2, default=Decimal("70"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Nilai minimal (0-100) untuk lulus."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("kuis")
        verbose_name_plural = _("daftar kuis")
        ordering = ["title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_kind_display()})"


class QuizResult(TimeStampedModel):
    """A learner's graded result on a quiz: the figure completion rules look at."""

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

    def __str__(self) -> str:
        return f"{self.quiz} — {self.score}"
