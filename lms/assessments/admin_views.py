"""Admin pages for quizzes beyond the snippet forms: importing and exporting a bank's questions,
and the reports (results per quiz and per learner, item analysis with regrading, pre/post-test
gain).

Thin views: the reads are in ``reports``, the writes in ``services``. A report the user may not
see answers 403 with a page that says why (Wagtail's own permission refusals redirect to the
dashboard instead; these pages are reached by links that name one quiz or course).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View
from wagtail.admin import messages
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from courses.models import CoursePage
from lms.core.audit import audit_record

from . import formats as question_formats
from . import reports, scoring, services
from .forms import QuestionImportForm
from .models import AttemptQuestion, Question, QuestionBank, Quiz
from .statistics import ItemStatistics, analyse

PER_PAGE = 50
# A file full of mistakes makes a long page; the first ones tell the author what to fix.
MAX_ERRORS_SHOWN = 200

REPORT_INDEX = "laporan_kuis:index"
GAIN_INDEX = "laporan_kuis:gain_index"
BANK_LIST = "wagtailsnippets_assessments_questionbank:list"
QUESTION_LIST = "wagtailsnippets_assessments_question:list"


def _page(request: HttpRequest, items: Any) -> tuple[Any, list[Any]]:
    """A page of ``items`` (``?p=``) and the page numbers Wagtail's pagination shows."""
    paginator = WagtailPaginator(items, PER_PAGE)
    page = paginator.get_page(request.GET.get("p"))
    return page, list(paginator.get_elided_page_range(page.number))


def _forbidden(request: HttpRequest, message: str) -> TemplateResponse:
    return TemplateResponse(
        request,
        "assessments/admin/forbidden.html",
        {"page_title": _("Akses ditolak"), "header_icon": "warning", "message": message},
        status=403,
    )


# --- How answers read -------------------------------------------------------------------


def _choice_texts(data: Any) -> dict[str, str]:
    choices = data.get("choices", []) if isinstance(data, Mapping) else []
    return {
        str(c.get("id")): strip_tags(str(c.get("text", ""))).strip()
        for c in choices
        if isinstance(c, Mapping)
    }


def answer_text(kind: str, data: Any, response: Any) -> str:
    """A response (or a key in the same shape) as an instructor reads it."""
    if response is None or response in ("", [], {}):
        return _("(tidak dijawab)")
    if kind == Question.Kind.SINGLE:
        return _choice_texts(data).get(str(response), str(response))
    if kind == Question.Kind.MULTIPLE and isinstance(response, list):
        texts = _choice_texts(data)
        return "; ".join(texts.get(str(r), str(r)) for r in response)
    if kind == Question.Kind.TRUE_FALSE:
        return _("Benar") if response is True else _("Salah")
    if kind == Question.Kind.MATCHING and isinstance(response, Mapping):
        pairs = data.get("pairs", []) if isinstance(data, Mapping) else []
        prompts = {
            str(p.get("id")): str(p.get("prompt", "")) for p in pairs if isinstance(p, Mapping)
        }
        return "; ".join(f"{prompts.get(str(k), k)} → {v}" for k, v in response.items())
    return str(response)


def option_label(kind: str, data: Any, key: str | None) -> str:
    """An entry of the option distribution: the choice ids with their texts, or the
    normalised answer."""
    if key is None:
        return _("(tidak dijawab)")
    if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        texts = _choice_texts(data)
        ids = key.split(",")
        return "; ".join(f"{i}. {texts[i]}" if i in texts else i for i in ids)
    if kind == Question.Kind.TRUE_FALSE:
        return _("Benar") if key == "benar" else _("Salah")
    return key


# --- Bank actions -----------------------------------------------------------------------


class BankActionMixin(PermissionCheckedMixin):
    """Acts on the questions of a bank: the permission asked is on questions."""

    model = Question

    def get_bank(self, pk: int) -> QuestionBank:
        return get_object_or_404(QuestionBank, pk=pk)


class QuestionImportView(BankActionMixin, WagtailAdminTemplateMixin, TemplateView):
    permission_required = "add"
    template_name = "assessments/admin/import.html"
    header_icon = "upload"
    breadcrumbs_items: list[dict[str, Any]] = []
    http_method_names = ["get", "post"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.bank = self.get_bank(kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return _("Impor soal ke “%(bank)s”") % {"bank": self.bank.title}

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(BANK_LIST), "label": _("Bank soal")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", QuestionImportForm())
        context.update(
            bank=self.bank,
            template_url=reverse("wagtailsnippets_assessments_questionbank:xlsx_template"),
            questions_url=f"{reverse(QUESTION_LIST)}?bank={self.bank.pk}",
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = QuestionImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        report = services.questions_import(
            bank=self.bank, content=form.cleaned_data["content"], fmt=form.cleaned_data["format"]
        )
        if not report.ok:
            errors = sorted(report.errors, key=lambda e: e.line)
            return self.render_to_response(
                self.get_context_data(
                    form=QuestionImportForm(initial={"format": form.cleaned_data["format"]}),
                    errors=errors[:MAX_ERRORS_SHOWN],
                    more_errors=max(0, len(errors) - MAX_ERRORS_SHOWN),
                    file_name=form.cleaned_data["file"].name,
                )
            )
        messages.success(
            request,
            _("%(count)s soal diimpor ke bank “%(bank)s”.")
            % {"count": report.created, "bank": self.bank.title},
        )
        return redirect(f"{reverse(QUESTION_LIST)}?bank={self.bank.pk}")


class GiftExportView(BankActionMixin, View):
    permission_required = "view"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        bank = self.get_bank(pk)
        text = services.questions_export_gift(bank=bank)
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        name = slugify(bank.title) or f"bank-{bank.pk}"
        response["Content-Disposition"] = f'attachment; filename="{name}.gift.txt"'
        return response


class XlsxTemplateView(BankActionMixin, View):
    permission_required = "add"

    def get(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(
            question_formats.xlsx_template(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="templat-soal-sinau.xlsx"'
        return response


# --- Reports ----------------------------------------------------------------------------


class ReportAccess(View):
    """``allowed`` decides who sees a report; the others get 403."""

    denied_message = gettext_lazy("Laporan ini hanya untuk instruktur kursus yang memakainya.")

    def allowed(self, request: HttpRequest) -> bool:
        return reports.sees_any_report(request.user)

    def setup_objects(self, **kwargs: Any) -> None:
        """Load what the URL names (404 if it does not exist), before the access check."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.setup_objects(**kwargs)
        if not self.allowed(request):
            return _forbidden(request, str(self.denied_message))
        return super().dispatch(request, *args, **kwargs)


class ReportView(ReportAccess, WagtailAdminTemplateMixin, TemplateView):
    header_icon = "table"

    def trail(self) -> list[dict[str, Any]]:
        return [{"url": reverse(REPORT_INDEX), "label": _("Laporan kuis")}]

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*self.breadcrumbs_items, *self.trail(), {"url": "", "label": self.get_page_title()}]


class QuizAccess(ReportAccess):
    """Reports of one quiz: for those who see its results (``reports.may_view_quiz``)."""

    def setup_objects(self, **kwargs: Any) -> None:
        self.quiz = get_object_or_404(Quiz, pk=kwargs["quiz_id"])

    def allowed(self, request: HttpRequest) -> bool:
        return reports.may_view_quiz(request.user, self.quiz)

    def links(self) -> dict[str, str]:
        args = [self.quiz.pk]
        return {
            "results_url": reverse("laporan_kuis:results", args=args),
            "csv_url": reverse("laporan_kuis:results_csv", args=args),
            "analysis_url": reverse("laporan_kuis:analysis", args=args),
        }


class QuizReportView(QuizAccess, ReportView):
    def get_page_subtitle(self) -> str:
        return self.quiz.title


class ReportIndexView(ReportView):
    template_name = "assessments/admin/report_index.html"
    page_title = gettext_lazy("Laporan kuis")

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page, page_range = _page(self.request, reports.reportable_quizzes(self.request.user))
        context.update(
            quizzes=page, elided_page_range=page_range, gain_url=reverse(GAIN_INDEX),
        )  # fmt: skip
        return context


class ResultsView(QuizReportView):
    template_name = "assessments/admin/results.html"
    page_title = gettext_lazy("Hasil")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page, page_range = _page(self.request, reports.quiz_learners(self.quiz))
        context.update(
            quiz=self.quiz,
            learners=page,
            rows=reports.learner_results(list(page.object_list)),
            elided_page_range=page_range,
            **self.links(),
        )
        return context


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    # A name starting with = or + would run as a formula in a spreadsheet.
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


class ResultsCsvView(QuizAccess):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> StreamingHttpResponse:
        audit_record(
            actor=request.user, action="sinau.assessments.results_export", instance=self.quiz,
            reason=_("Unduh hasil kuis"),
        )  # fmt: skip
        writer = csv.writer(_Echo())
        response = StreamingHttpResponse(
            (writer.writerow(row) for row in self.rows()), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        name = slugify(self.quiz.title) or f"kuis-{self.quiz.pk}"
        response["Content-Disposition"] = f'attachment; filename="hasil-{name}-{stamp}.csv"'
        return response

    def rows(self) -> Iterator[list[str]]:
        yield [
            _("Nama"), _("NIP"), _("OPD"), _("Percobaan"), _("Nilai"), _("Lulus"),
            _("Percobaan terakhir"),
        ]  # fmt: skip
        for row in reports.learner_results_all(self.quiz):
            passed = "" if row.passed is None else _("ya") if row.passed else _("tidak")
            last = (
                timezone.localtime(row.last_attempt_at).strftime("%Y-%m-%d %H:%M")
                if row.last_attempt_at
                else ""
            )
            yield [
                _cell(row.employee.name_with_gelar), row.employee.nip, _cell(row.opd),
                str(row.attempts), "" if row.grade is None else str(row.grade), passed, last,
            ]  # fmt: skip


@dataclass(frozen=True)
class ShownSlot:
    slot: AttemptQuestion
    answer: str
    key: str


class LearnerView(QuizReportView):
    template_name = "assessments/admin/learner.html"

    def setup_objects(self, **kwargs: Any) -> None:
        super().setup_objects(**kwargs)
        learner = reports.quiz_learner(self.quiz, kwargs["employee_id"])
        if learner is None:
            raise Http404
        self.learner = learner

    def get_page_title(self) -> str:
        return self.learner.name_with_gelar

    def trail(self) -> list[dict[str, Any]]:
        return [
            *super().trail(),
            {"url": reverse("laporan_kuis:results", args=[self.quiz.pk]), "label": _("Hasil")},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        attempts = reports.learner_attempts(self.quiz, self.learner)
        shown = {
            attempt.pk: [
                ShownSlot(
                    slot=slot,
                    answer=answer_text(slot.kind, slot.data, slot.response),
                    key=answer_text(
                        slot.kind, slot.data, scoring.correct_response(slot.kind, slot.data)
                    ),
                )
                for slot in attempt.questions.all()
            ]
            for attempt in attempts
        }
        context.update(
            quiz=self.quiz,
            learner=self.learner,
            opd=reports.opd_names([self.learner.org_unit]).get(self.learner.org_unit_id or 0, ""),
            attempts=[(attempt, shown[attempt.pk]) for attempt in attempts],
            **self.links(),
        )
        return context


@dataclass(frozen=True)
class OptionRow:
    label: str
    count: int
    percent: float


@dataclass(frozen=True)
class ItemRow:
    key: str
    question: Question | None
    stats: ItemStatistics
    options: list[OptionRow]
    regrade_url: str


class AnalysisView(QuizReportView):
    template_name = "assessments/admin/analysis.html"
    page_title = gettext_lazy("Analisis butir soal")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        quiz_stats, items = analyse(reports.analysis_sittings(self.quiz))
        ids = [int(key) for key in items if key.isdigit()]
        questions = Question.objects.in_bulk(ids)
        may_regrade = reports.may_regrade(self.request.user, self.quiz)
        rows = []
        for key, stats in items.items():
            question = questions.get(int(key)) if key.isdigit() else None
            kind, data = (question.kind, question.data) if question else ("", {})
            total = stats.attempts or 1
            rows.append(
                ItemRow(
                    key=key,
                    question=question,
                    stats=stats,
                    options=[
                        OptionRow(option_label(kind, data, k), n, round(100 * n / total, 1))
                        for k, n in stats.options.items()
                    ],
                    regrade_url=reverse("laporan_kuis:regrade", args=[self.quiz.pk, question.pk])
                    if question is not None and may_regrade
                    else "",
                )
            )
        context.update(quiz=self.quiz, quiz_stats=quiz_stats, items=rows, **self.links())
        return context


class RegradeView(QuizReportView):
    template_name = "assessments/admin/regrade.html"
    page_title = gettext_lazy("Nilai ulang")
    http_method_names = ["get", "post"]
    denied_message = gettext_lazy(
        "Menilai ulang hanya untuk instruktur kursus yang memakai kuis ini, yang boleh "
        "menyunting soal."
    )

    def setup_objects(self, **kwargs: Any) -> None:
        super().setup_objects(**kwargs)
        question = reports.quiz_question(self.quiz, kwargs["question_id"])
        if question is None:
            raise Http404
        self.question = question

    def allowed(self, request: HttpRequest) -> bool:
        return reports.may_regrade(request.user, self.quiz)

    def trail(self) -> list[dict[str, Any]]:
        return [
            *super().trail(),
            {
                "url": reverse("laporan_kuis:analysis", args=[self.quiz.pk]),
                "label": _("Analisis butir soal"),
            },
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            quiz=self.quiz,
            question=self.question,
            affected=reports.attempts_to_regrade(self.question),
            edit_url=reverse("wagtailsnippets_assessments_question:edit", args=[self.question.pk]),
            **self.links(),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            count = services.question_regrade(question=self.question)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("laporan_kuis:analysis", self.quiz.pk)
        audit_record(
            actor=request.user, action="sinau.assessments.regrade", instance=self.question,
            reason=_("Nilai ulang dari analisis butir soal"),
            data={"quiz": self.quiz.pk, "attempts": count, "version": self.question.version},
        )  # fmt: skip
        messages.success(
            request,
            _("%(count)s percobaan dinilai ulang dengan kunci terbaru soal “%(question)s”.")
            % {"count": count, "question": self.question},
        )
        return redirect("laporan_kuis:analysis", self.quiz.pk)


class GainIndexView(ReportView):
    template_name = "assessments/admin/gain_index.html"
    page_title = gettext_lazy("Kenaikan nilai pre-test ke post-test")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page, page_range = _page(self.request, reports.gain_courses(self.request.user))
        context.update(courses=page, elided_page_range=page_range)
        return context


class GainView(ReportView):
    template_name = "assessments/admin/gain.html"
    page_title = gettext_lazy("Kenaikan nilai")

    def setup_objects(self, **kwargs: Any) -> None:
        self.course = get_object_or_404(
            CoursePage.objects.select_related("pre_test", "post_test"),
            pk=kwargs["course_id"], pre_test__isnull=False, post_test__isnull=False,
        )  # fmt: skip

    def allowed(self, request: HttpRequest) -> bool:
        return reports.may_view_course(request.user, self.course)

    def get_page_subtitle(self) -> str:
        return str(self.course.title)

    def trail(self) -> list[dict[str, Any]]:
        return [
            *super().trail(),
            {"url": reverse(GAIN_INDEX), "label": _("Kenaikan nilai pre-test ke post-test")},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page, page_range = _page(self.request, reports.gain_learners(self.course))
        context.update(
            course=self.course,
            learners=page,
            rows=reports.gain_rows(list(page.object_list)),
            summary=reports.gain_summary(self.course),
            elided_page_range=page_range,
        )
        return context
