"""The published catalogue: home, catalogue, course and module pages (Wagtail owns content;
``lms.learning`` owns who is enrolled and how far they got)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import ModuleStreamBlock


class CompetencyType(models.TextChoices):
    TEKNIS = "teknis", _("Teknis")
    MANAJERIAL = "manajerial", _("Manajerial")
    SOSIAL_KULTURAL = "sosial_kultural", _("Sosial kultural")
    PEMERINTAHAN = "pemerintahan", _("Pemerintahan")


class CourseLevel(models.TextChoices):
    DASAR = "dasar", _("Dasar")
    MENENGAH = "menengah", _("Menengah")
    LANJUT = "lanjut", _("Lanjut")


class TrainingForm(models.TextChoices):
    """Klasikal (classroom) or non-klasikal (e-learning, blended, coaching...)."""

    KLASIKAL = "klasikal", _("Klasikal")
    NON_KLASIKAL = "non_klasikal", _("Non-klasikal (e-learning)")


class EnrolmentPolicy(models.TextChoices):
    OPEN = "open", _("Terbuka: peserta mendaftar sendiri")
    APPROVAL = "approval", _("Dengan persetujuan admin OPD peserta")
    ASSIGNED = "assigned", _("Hanya penugasan")


class CourseLanguage(models.TextChoices):
    ID = "id", _("Bahasa Indonesia")
    EN = "en", _("English")


JABATAN_KIND_CHOICES = [
    ("struktural", _("Struktural")),
    ("fungsional", _("Fungsional")),
    ("pelaksana", _("Pelaksana")),
]


class HomePage(Page):
    intro = RichTextField(_("pengantar"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["courses.CatalogueIndexPage"]
    max_count = 1

    class Meta:
        verbose_name = _("beranda")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .selectors import course_list_latest

        context = super().get_context(request, *args, **kwargs)
        context["catalogue"] = CatalogueIndexPage.objects.live().first()
        context["courses"] = course_list_latest(limit=6)
        return context


class CatalogueIndexPage(Page):
    intro = RichTextField(_("pengantar"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["courses.HomePage"]
    subpage_types = ["courses.CoursePage"]

    class Meta:
        verbose_name = _("katalog kursus")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from .forms import CatalogueFilterForm
        from .selectors import catalogue_search

        context = super().get_context(request, *args, **kwargs)
        form = CatalogueFilterForm(request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        results = catalogue_search(catalogue=self, **filters)
        from django.core.paginator import Paginator

        context["form"] = form
        context["courses"] = Paginator(results, 20).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context["query"] = query.urlencode()
        return context


class CourseCompetencyTag(TaggedItemBase):
    content_object = ParentalKey(
        "courses.CoursePage", on_delete=models.CASCADE, related_name="competency_items"
    )


class CoursePageForm(WagtailAdminPageForm):
    target_jabatan_kinds = forms.MultipleChoiceField(
        label=_("Jenis jabatan sasaran"),
        choices=JABATAN_KIND_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Kosongkan bila untuk semua jenis jabatan."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "instructors" in self.fields:
            from lms.people.models import Employee, Role

            # Only those BKPSDM made instructors can be named on a course.
            self.fields["instructors"].queryset = Employee.objects.filter(
                role_assignments__role=Role.INSTRUCTOR, is_active=True
            ).distinct()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        opens, closes = cleaned.get("enrolment_opens"), cleaned.get("enrolment_closes")
        if opens and closes and closes <= opens:
            self.add_error("enrolment_closes", _("Pendaftaran harus ditutup setelah dibuka."))
        return cleaned


class CoursePage(Page):
    summary = models.TextField(
        _("ringkasan"), help_text=_("Satu atau dua kalimat yang tampil di katalog.")
    )
    cover_image = models.ForeignKey(
        "wagtailimages.Image", verbose_name=_("gambar sampul"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    body = RichTextField(_("uraian"), blank=True)
    learning_objectives = RichTextField(
        _("tujuan pembelajaran"), blank=True, features=["ol", "ul", "bold", "italic"],
        help_text=_("Apa yang mampu dilakukan peserta setelah kursus."),
    )  # fmt: skip
    prerequisites = RichTextField(
        _("prasyarat"), blank=True, features=["ul", "bold", "italic", "link"],
        help_text=_("Pengetahuan atau kursus yang perlu dimiliki lebih dulu."),
    )  # fmt: skip
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
    competencies = ClusterTaggableManager(
        through=CourseCompetencyTag, blank=True, verbose_name=_("kompetensi yang dibangun"),
        help_text=_("Misalnya: pelayanan publik, pengelolaan keuangan daerah."),
    )  # fmt: skip
    level = models.CharField(
        _("tingkat"), max_length=10, choices=CourseLevel.choices, default=CourseLevel.DASAR
    )
    training_form = models.CharField(
        _("bentuk pelatihan"), max_length=15, choices=TrainingForm.choices,
        default=TrainingForm.NON_KLASIKAL,
    )  # fmt: skip
    jenis_diklat = models.ForeignKey(
        "learning.JenisDiklat", verbose_name=_("jenis diklat (SIASN)"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
        help_text=_(
            "Kosongkan: e-learning untuk kursus daring, klasikal lainnya untuk tatap muka."
        ),
    )  # fmt: skip
    language = models.CharField(
        _("bahasa"), max_length=5, choices=CourseLanguage.choices, default=CourseLanguage.ID
    )
    target_jabatan_kinds = models.JSONField(_("jenis jabatan sasaran"), default=list, blank=True)
    target_org_units = ParentalManyToManyField(
        "people.OrgUnit", blank=True, verbose_name=_("OPD sasaran"),
        help_text=_("Kosongkan bila untuk seluruh OPD."), related_name="+",
    )  # fmt: skip
    instructors = ParentalManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, verbose_name=_("instruktur"),
        related_name="courses_taught",
        help_text=_("Instruktur kursus ini dapat menyunting halamannya."),
    )  # fmt: skip
    enrolment_policy = models.CharField(
        _("cara pendaftaran"), max_length=10, choices=EnrolmentPolicy.choices,
        default=EnrolmentPolicy.OPEN,
    )  # fmt: skip
    enrolment_opens = models.DateTimeField(_("pendaftaran dibuka"), null=True, blank=True)
    enrolment_closes = models.DateTimeField(_("pendaftaran ditutup"), null=True, blank=True)
    capacity = models.PositiveIntegerField(
        _("kapasitas"), null=True, blank=True, help_text=_("Kosongkan bila tanpa batas.")
    )
    pre_test = models.ForeignKey(
        "assessments.Quiz", verbose_name=_("pre-test"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    post_test = models.ForeignKey(
        "assessments.Quiz", verbose_name=_("post-test"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    require_post_test_pass = models.BooleanField(
        _("wajib lulus post-test"), default=True,
        help_text=_("Kursus selesai hanya bila post-test (jika ada) lulus."),
    )  # fmt: skip
    video_watch_percent = models.PositiveSmallIntegerField(
        _("video ditonton minimal (%)"), default=90,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Modul video selesai bila sekian persen detik videonya sudah ditonton."),
    )  # fmt: skip

    min_attendance_percent = models.PositiveSmallIntegerField(
        _("kehadiran minimal (%)"), default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_(
            "Untuk kursus berangkatan: bagian sesi angkatan yang harus dihadiri agar kursus "
            "selesai (0: tanpa syarat kehadiran)."
        ),
    )  # fmt: skip

    base_form_class = CoursePageForm
    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("cover_image"),
        FieldPanel("body"),
        FieldPanel("learning_objectives"),
        FieldPanel("prerequisites"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("jp_credited"), FieldPanel("competency_type")]),
                FieldPanel("competencies"),
                FieldRowPanel(
                    [FieldPanel("level"), FieldPanel("training_form"), FieldPanel("language")]
                ),
                FieldPanel("jenis_diklat"),
            ],
            heading=_("Kompetensi dan JP"),
        ),
        InlinePanel(
            "competency_levels",
            heading=_("Kompetensi (kamus) dan level yang dicapai"),
            label=_("kompetensi"),
            help_text=_(
                "Dari kamus kompetensi: pegawai yang kesenjangannya ditutup kursus ini akan "
                "mendapat rekomendasinya."
            ),
        ),
        MultiFieldPanel(
            [FieldPanel("target_jabatan_kinds"), FieldPanel("target_org_units")],
            heading=_("Sasaran"),
        ),
        # Naming instructors grants edit rights on the course: BKPSDM (superusers) decide.
        FieldPanel("instructors", permission="superuser"),
        MultiFieldPanel(
            [
                FieldPanel("enrolment_policy"),
                FieldRowPanel([FieldPanel("enrolment_opens"), FieldPanel("enrolment_closes")]),
                FieldPanel("capacity"),
            ],
            heading=_("Pendaftaran"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("pre_test"),
                FieldPanel("post_test"),
                FieldPanel("require_post_test_pass"),
                FieldPanel("video_watch_percent"),
                FieldPanel("min_attendance_percent"),
            ],
            heading=_("Tes dan aturan kelulusan"),
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.SearchField("learning_objectives"),
        index.FilterField("competency_type"),
        index.FilterField("level"),
        index.FilterField("training_form"),
        index.FilterField("language"),
        index.FilterField("jp_credited"),
        index.RelatedFields("competencies", [index.SearchField("name")]),
    ]
    parent_page_types = ["courses.CatalogueIndexPage"]
    subpage_types = ["courses.ModulePage"]

    class Meta:
        verbose_name = _("kursus")
        verbose_name_plural = _("daftar kursus")

    def clean(self) -> None:
        super().clean()
        opens, closes = self.enrolment_opens, self.enrolment_closes
        if opens and closes and closes <= opens:
            raise ValidationError(
                {"enrolment_closes": _("Pendaftaran harus ditutup setelah dibuka.")}
            )

    def enrolment_is_open(self, now: Any = None) -> bool:
        now = now or timezone.now()
        if self.enrolment_opens and now < self.enrolment_opens:
            return False
        return not (self.enrolment_closes and now >= self.enrolment_closes)

    def modules(self) -> models.QuerySet[ModulePage]:
        return ModulePage.objects.child_of(self).live().order_by("path")

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from lms.classroom.cohorts.selectors import course_cohort_panel
        from lms.learning.selectors import course_view_for_learner

        context = super().get_context(request, *args, **kwargs)
        context["view"] = course_view_for_learner(course=self, viewer=request.user)
        context["cohorts"] = course_cohort_panel(request=request, course=self, view=context["view"])
        return context


class ModulePage(Page):
    intro = models.CharField(_("pengantar singkat"), max_length=255, blank=True)
    body = StreamField(ModuleStreamBlock(), verbose_name=_("isi"), blank=True)
    required_for_completion = models.BooleanField(
        _("wajib untuk kelulusan"), default=True,
        help_text=_("Kursus selesai bila semua modul wajib selesai."),
    )  # fmt: skip
    estimated_minutes = models.PositiveIntegerField(
        _("perkiraan durasi (menit)"), null=True, blank=True
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldRowPanel([FieldPanel("required_for_completion"), FieldPanel("estimated_minutes")]),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    parent_page_types = ["courses.CoursePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("modul")
        verbose_name_plural = _("daftar modul")

    def quiz_ids(self) -> set[int]:
        """Quizzes in this module that must be passed to complete it."""
        return {
            block.value["quiz"].pk
            for block in self.body
            if block.block_type == "quiz"
            and block.value["required_to_pass"]
            and block.value["quiz"] is not None
        }

    def video_ids(self) -> set[int]:
        """Videos in this module: it is completed by watching each past the course's share."""
        return {
            block.value["video"].pk
            for block in self.body
            if block.block_type == "video" and block.value["video"] is not None
        }

    def is_text_only(self) -> bool:
        """Whether "mark as done" alone may complete it: no quiz to pass, no video to watch."""
        return not self.quiz_ids() and not self.video_ids()

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from lms.learning.selectors import module_access

        course = self.get_parent().specific
        access = module_access(viewer=request.user, course=course, module=self)
        if not access.allowed:
            # Never the content: the course page explains how to enrol.
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            messages.info(request, access.reason)
            return redirect(course.url)
        enrolment = access.enrolment
        if enrolment is not None and enrolment.status == enrolment.Status.ACTIVE:
            from lms.learning.services import module_start

            # Opening a module is what "started" means in the learner's progress.
            module_start(actor=request.user, enrolment=enrolment, module=self)  # type: ignore[arg-type]
        request.sinau_module_access = access  # type: ignore[attr-defined]
        return super().serve(request, *args, **kwargs)

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from lms.learning.selectors import module_view

        context = super().get_context(request, *args, **kwargs)
        access = getattr(request, "sinau_module_access", None)
        context["view"] = module_view(
            module=self,
            viewer=request.user,
            access=access,
            session_key=request.session.session_key,
        )
        return context
