"""Quizzes in the Wagtail admin, under one "Kuis" menu: question banks (with import, GIFT
export and the Excel template), categories, questions, quizzes with their rules, and the
reports (results, item analysis with regrading, pre/post-test gain).

Instructors author banks, questions and quizzes (model permissions their group holds, see
migration 0003); who sees a quiz's reports is decided per quiz in ``reports``. Module pages
keep choosing quizzes through the snippet chooser the quiz viewset provides.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem as SidebarMenuItem
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.panels.base import get_form_for_model
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.widgets.button import Button
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import (
    CreateView,
    EditView,
    IndexView,
    SnippetViewSet,
    SnippetViewSetGroup,
)

from lms.core.choosers import ChooserViewSet

from . import admin_views, reports
from .forms import QuestionForm, QuizForm, QuizRuleForm
from .models import Question, QuestionBank, QuestionCategory, Quiz

# --- Audit actions ----------------------------------------------------------------------

AUDIT_ACTIONS = {
    "sinau.assessments.results_export": ("Unduh hasil kuis", "Hasil kuis diunduh"),
    "sinau.assessments.regrade": ("Nilai ulang soal", "Soal dinilai ulang"),
}


@hooks.register("register_log_actions")
def register_assessment_log_actions(actions: Any) -> None:
    for code, (label, message) in AUDIT_ACTIONS.items():
        actions.register_action(code, label, message)


@hooks.register("insert_global_admin_css")
def quiz_admin_css() -> str:
    # A file, not a <style> block: the CSP allows stylesheets from 'self' only.
    return format_html('<link rel="stylesheet" href="{}">', static("css/quiz-admin.css"))


# --- Question banks ---------------------------------------------------------------------


class BankIndexView(IndexView):
    def get_list_more_buttons(self, instance: QuestionBank) -> list[Any]:
        buttons = list(super().get_list_more_buttons(instance))
        user = self.request.user
        questions = f"{reverse(question_viewset.get_url_name('list'))}?bank={instance.pk}"
        buttons.append(MenuItem(_("Lihat soal"), url=questions, icon_name="help", priority=5))
        if user.has_perm("assessments.add_question"):
            url = reverse(bank_viewset.get_url_name("import"), args=[instance.pk])
            buttons.append(MenuItem(_("Impor soal"), url=url, icon_name="upload", priority=30))
        if user.has_perm("assessments.view_question"):
            url = reverse(bank_viewset.get_url_name("export_gift"), args=[instance.pk])
            buttons.append(MenuItem(_("Ekspor GIFT"), url=url, icon_name="download", priority=31))
        return buttons

    @cached_property
    def header_more_buttons(self) -> list[Any]:
        buttons = list(super().header_more_buttons)
        if self.request.user.has_perm("assessments.add_question"):
            buttons.append(
                Button(
                    _("Unduh templat Excel"),
                    url=reverse(bank_viewset.get_url_name("xlsx_template")),
                    icon_name="download",
                    priority=40,
                )
            )
        return buttons


class BankCreateView(CreateView):
    def form_valid(self, form: Any) -> HttpResponse:
        form.instance.owner = self.request.user
        return super().form_valid(form)


def _question_count(bank: QuestionBank) -> int:
    return int(getattr(bank, "question_count", 0))


class QuestionBankViewSet(SnippetViewSet):
    chooser_viewset_class = ChooserViewSet
    model = QuestionBank
    icon = "folder-open-1"
    menu_label = gettext_lazy("Bank soal")
    menu_name = "question_banks"
    index_view_class = BankIndexView
    add_view_class = BankCreateView
    list_per_page = 50
    search_fields = ["title", "description"]
    search_backend_name = None  # not in Wagtail's search index: a plain filter
    copy_view_enabled = False
    inspect_view_enabled = False
    panels = [FieldPanel("title"), FieldPanel("course"), FieldPanel("description")]
    list_display = [
        "title",
        Column("course", label=gettext_lazy("Kursus")),
        Column(
            "question_count", label=gettext_lazy("Soal"), accessor=_question_count,
            sort_key="question_count",
        ),
        DateColumn("updated_at", label=gettext_lazy("Diubah"), sort_key="updated_at"),
    ]  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[QuestionBank]:
        return QuestionBank.objects.select_related("course").annotate(
            question_count=Count("questions")
        )

    def get_urlpatterns(self) -> list[Any]:
        kwargs = {"breadcrumbs_items": self.breadcrumbs_items}
        return [
            *super().get_urlpatterns(),
            path(
                "impor/<int:pk>/",
                admin_views.QuestionImportView.as_view(**kwargs),
                name="import",
            ),
            path("ekspor-gift/<int:pk>/", admin_views.GiftExportView.as_view(), name="export_gift"),
            path("templat-excel/", admin_views.XlsxTemplateView.as_view(), name="xlsx_template"),
        ]


# --- Categories -------------------------------------------------------------------------


class CategoryViewSet(SnippetViewSet):
    chooser_viewset_class = ChooserViewSet
    model = QuestionCategory
    icon = "tag"
    menu_label = gettext_lazy("Kategori soal")
    menu_name = "question_categories"
    list_per_page = 50
    list_filter = ["bank"]
    search_fields = ["name"]
    search_backend_name = None
    copy_view_enabled = False
    inspect_view_enabled = False
    panels = [FieldPanel("bank"), FieldPanel("name")]
    list_display = [
        "name",
        Column("bank", label=gettext_lazy("Bank soal")),
        Column(
            "question_count", label=gettext_lazy("Soal"),
            accessor=lambda c: getattr(c, "question_count", 0), sort_key="question_count",
        ),
    ]  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[QuestionCategory]:
        return QuestionCategory.objects.select_related("bank").annotate(
            question_count=Count("questions")
        )


# --- Questions --------------------------------------------------------------------------


class QuestionFilterSet(WagtailFilterSet):
    bank = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Bank soal"), queryset=QuestionBank.objects.all()
    )
    # The labels name the bank: fetched with the categories, not one query per option.
    category = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Kategori"), queryset=QuestionCategory.objects.select_related("bank")
    )
    kind = django_filters.ChoiceFilter(label=gettext_lazy("Jenis"), choices=Question.Kind.choices)

    class Meta:
        model = Question
        fields = ["bank", "category", "kind"]


class _SavedByService:
    """``QuestionForm.save`` goes through ``services.question_save``; if that still refuses
    (sanitising can empty a text the key needs), the author sees why on the form."""

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            return super().form_valid(form)  # type: ignore[misc]
        except ValidationError as exc:
            form.add_error(None, exc.messages)
            return self.form_invalid(form)  # type: ignore[attr-defined]


class QuestionCreateView(_SavedByService, CreateView):
    pass


class QuestionEditView(_SavedByService, EditView):
    pass


def _question_name(question: Question) -> str:
    return str(question)


class QuestionViewSet(SnippetViewSet):
    chooser_viewset_class = ChooserViewSet
    model = Question
    icon = "help"
    menu_label = gettext_lazy("Soal")
    menu_name = "questions"
    add_view_class = QuestionCreateView
    edit_view_class = QuestionEditView
    list_per_page = 50
    filterset_class = QuestionFilterSet
    search_fields = ["name"]
    search_backend_name = None
    inspect_view_enabled = False
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("bank"),
                    FieldPanel("category"),
                    FieldPanel("kind"),
                    FieldPanel("name"),
                ],
                heading=gettext_lazy("Soal"),
            ),  # fmt: skip
            FieldPanel("stem"),
            FieldPanel("data"),
            FieldPanel("general_feedback"),
            FieldPanel("default_mark"),
            FieldPanel("competencies"),
        ],
        base_form_class=QuestionForm,
    )
    list_display = [
        Column("name", label=gettext_lazy("Nama"), accessor=_question_name, sort_key="name"),
        Column("kind", label=gettext_lazy("Jenis"), accessor="get_kind_display", sort_key="kind"),
        Column("bank", label=gettext_lazy("Bank soal")),
        Column("category", label=gettext_lazy("Kategori"), accessor="category.name"),
        Column("default_mark", label=gettext_lazy("Bobot")),
        Column("version", label=gettext_lazy("Versi")),
        DateColumn("updated_at", label=gettext_lazy("Diubah"), sort_key="updated_at"),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Question]:
        return Question.objects.select_related("bank", "category")


# --- Quizzes ----------------------------------------------------------------------------


class RuleInlinePanel(InlinePanel):
    """The quiz's rules, each checked by ``QuizRuleForm`` (InlinePanel otherwise builds its
    child form from Wagtail's base form)."""

    def get_form_options(self) -> dict[str, Any]:
        options: dict[str, Any] = super().get_form_options()
        child = self.child_edit_handler.get_form_options()
        extra = {}
        if child.get("defer_required_on_fields"):
            extra["defer_required_on_fields"] = child["defer_required_on_fields"]
        options["formsets"][self.relation_name]["form"] = get_form_for_model(
            self.db_field.related_model, form_class=QuizRuleForm, **extra
        )
        return options


class QuizIndexView(IndexView):
    @cached_property
    def _reportable(self) -> set[int] | None:
        """Quizzes whose reports the user may open (None: every quiz), asked once a page."""
        user = self.request.user
        if reports.sees_all_results(user):
            return None
        return reports.quiz_ids_taught(user)

    def get_list_more_buttons(self, instance: Quiz) -> list[Any]:
        buttons = list(super().get_list_more_buttons(instance))
        if self._reportable is None or instance.pk in self._reportable:
            for label, name, icon, priority in (
                (_("Hasil"), "results", "table", 30),
                (_("Analisis butir soal"), "analysis", "list-ul", 31),
            ):
                url = reverse(report_viewset.get_url_name(name), args=[instance.pk])
                buttons.append(MenuItem(label, url=url, icon_name=icon, priority=priority))
        return buttons


def _rule_count(quiz: Quiz) -> int:
    return int(getattr(quiz, "rule_count", 0))


class QuizViewSet(SnippetViewSet):
    chooser_viewset_class = ChooserViewSet
    model = Quiz
    icon = "tasks"
    menu_label = gettext_lazy("Daftar kuis")
    menu_name = "quizzes"
    index_view_class = QuizIndexView
    list_per_page = 50
    list_filter = ["kind"]
    search_fields = ["title"]
    search_backend_name = None
    copy_view_enabled = False
    inspect_view_enabled = False
    edit_handler = ObjectList(
        [
            FieldPanel("title"),
            FieldPanel("kind"),
            FieldPanel("intro"),
            MultiFieldPanel(
                [
                    FieldPanel("pass_mark"),
                    FieldPanel("grading"),
                    FieldPanel("max_attempts"),
                    FieldPanel("time_limit_minutes"),
                ],
                heading=gettext_lazy("Penilaian dan percobaan"),
            ),  # fmt: skip
            MultiFieldPanel(
                [FieldPanel("opens_at"), FieldPanel("closes_at")],
                heading=gettext_lazy("Jadwal"),
            ),
            MultiFieldPanel(
                [
                    FieldPanel("layout"),
                    FieldPanel("shuffle_questions"),
                    FieldPanel("shuffle_choices"),
                    FieldPanel("review"),
                ],
                heading=gettext_lazy("Tampilan"),
            ),  # fmt: skip
            RuleInlinePanel(
                "rules",
                heading=gettext_lazy("Soal dalam kuis"),
                label=gettext_lazy("Aturan soal"),
                panels=[
                    FieldPanel("question"),
                    FieldPanel("category"),
                    FieldPanel("draw_count"),
                    FieldPanel("mark"),
                ],
                help_text=gettext_lazy(
                    "Tiap aturan berisi satu soal tertentu, atau sejumlah soal yang diacak "
                    "dari satu kategori."
                ),
            ),
        ],
        base_form_class=QuizForm,
    )
    list_display = [
        "title",
        Column("kind", label=gettext_lazy("Jenis"), accessor="get_kind_display", sort_key="kind"),
        Column("rules", label=gettext_lazy("Aturan soal"), accessor=_rule_count),
        Column("grading", label=gettext_lazy("Cara menilai"), accessor="get_grading_display"),
        DateColumn("updated_at", label=gettext_lazy("Diubah"), sort_key="updated_at"),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Quiz]:
        return Quiz.objects.annotate(rule_count=Count("rules"))


# --- Reports ----------------------------------------------------------------------------


class ReportMenuItem(SidebarMenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return reports.sees_any_report(request.user)


class QuizReportViewSet(ViewSet):
    """Results, item analysis and gain: pages of their own, since who sees them is decided per
    quiz and per course, not by a model permission."""

    name = "laporan_kuis"
    url_prefix = "laporan-kuis"
    icon = "table"
    menu_label = gettext_lazy("Laporan kuis")
    menu_name = "quiz_reports"
    menu_item_class = ReportMenuItem

    def get_urlpatterns(self) -> list[Any]:
        v = admin_views
        return [
            path("", v.ReportIndexView.as_view(), name="index"),
            path("<int:quiz_id>/hasil/", v.ResultsView.as_view(), name="results"),
            path("<int:quiz_id>/hasil.csv", v.ResultsCsvView.as_view(), name="results_csv"),
            path(
                "<int:quiz_id>/peserta/<int:employee_id>/",
                v.LearnerView.as_view(),
                name="learner",
            ),
            path("<int:quiz_id>/analisis/", v.AnalysisView.as_view(), name="analysis"),
            path(
                "<int:quiz_id>/analisis/nilai-ulang/<int:question_id>/",
                v.RegradeView.as_view(),
                name="regrade",
            ),
            path("kenaikan/", v.GainIndexView.as_view(), name="gain_index"),
            path("kenaikan/<int:course_id>/", v.GainView.as_view(), name="gain"),
        ]


bank_viewset = QuestionBankViewSet()
category_viewset = CategoryViewSet()
question_viewset = QuestionViewSet()
quiz_viewset = QuizViewSet()
report_viewset = QuizReportViewSet()


class QuizAdminGroup(SnippetViewSetGroup):
    menu_label = gettext_lazy("Kuis")
    menu_icon = "form"
    menu_name = "quiz_admin"
    menu_order = 260
    items = (bank_viewset, category_viewset, question_viewset, quiz_viewset, report_viewset)


register_snippet(QuizAdminGroup)
