"""The published catalogue. The course catalogue issue grows these pages; the foundation
holds only what the demo Pemda needs: a home page, a catalogue and a course page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MinValueValidator
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page


class CompetencyType(models.TextChoices):
    TEKNIS = "teknis", _("Teknis")
    MANAJERIAL = "manajerial", _("Manajerial")
    SOSIAL_KULTURAL = "sosial_kultural", _("Sosial kultural")
    PEMERINTAHAN = "pemerintahan", _("Pemerintahan")


class HomePage(Page):
    intro = RichTextField(_("pengantar"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["courses.CatalogueIndexPage"]
    max_count = 1

    class Meta:
        verbose_name = _("beranda")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["catalogue"] = CatalogueIndexPage.objects.live().first()
        context["courses"] = CoursePage.objects.live().public().order_by("-first_published_at")[:6]
        return context


class CatalogueIndexPage(Page):
    intro = RichTextField(_("pengantar"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["courses.HomePage"]
    subpage_types = ["courses.CoursePage"]

    class Meta:
        verbose_name = _("katalog kursus")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from django.core.paginator import Paginator

        context = super().get_context(request, *args, **kwargs)
        courses = CoursePage.objects.child_of(self).live().public().order_by("title")
        context["courses"] = Paginator(courses, 20).get_page(request.GET.get("page"))
        return context


class CoursePage(Page):
    summary = models.TextField(
        _("ringkasan"), help_text=_("Satu atau dua kalimat yang tampil di katalog.")
    )
    body = RichTextField(_("uraian"), blank=True)
    jp_credited = models.DecimalField(
        _("JP"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("0.25"))],
        help_text=_("Jam pelajaran (1 JP = 45 menit) yang dikreditkan saat kursus selesai."),
    )
    competency_type = models.CharField(
        _("jenis kompetensi"),
        max_length=20,
        choices=CompetencyType.choices,
        default=CompetencyType.TEKNIS,
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("body"),
        FieldPanel("jp_credited"),
        FieldPanel("competency_type"),
    ]
    parent_page_types = ["courses.CatalogueIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("kursus")
