"""Questionnaires in the Wagtail admin ("Kuesioner evaluasi"): BKPSDM writes the Likert
items and comment boxes that participants answer. The default model permissions decide
who sees them (superusers, unless BKPSDM grants them to a group).

Answers point at their items and questionnaire, so once a questionnaire has been answered
its items may be reworded or added to, but not removed or turned into another kind of
question (that would rewrite or lose what participants said)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms.models import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import DeleteView, SnippetViewSet

from lms.core.choosers import ChooserViewSet

from ..models import EvaluationAnswer, EvaluationResponse, Questionnaire


class QuestionnaireForm(WagtailAdminModelForm):
    def is_valid(self) -> bool:
        valid = super().is_valid()
        formset = self.formsets.get("items") if hasattr(self, "formsets") else None
        if not valid or formset is None or self.instance.pk is None:
            return valid
        answered = set(
            EvaluationAnswer.objects.filter(item__questionnaire=self.instance)
            .values_list("item_id", flat=True)
            .distinct()
        )
        if not answered:
            return valid
        for form in formset.deleted_forms:
            if form.instance.pk in answered:
                self.add_error(
                    None,
                    _("Butir “%(text)s” sudah dijawab peserta dan tidak dapat dihapus.")
                    % {"text": form.instance.text},
                )
                valid = False
        for form in formset.forms:
            if form in formset.deleted_forms or form.instance.pk not in answered:
                continue
            if {"about", "kind"} & set(form.changed_data):
                form.add_error(
                    "kind",
                    _("Butir ini sudah dijawab peserta: jenis dan sasarannya tidak dapat diubah."),
                )
                valid = False
        return valid


class QuestionnaireDeleteView(DeleteView):
    def form_valid(self, form: Any) -> Any:
        if EvaluationResponse.objects.filter(questionnaire=self.object).exists():
            messages.error(
                self.request,
                _("Kuesioner ini sudah dijawab peserta dan tidak dapat dihapus."),
            )
            return HttpResponseRedirect(reverse(self.index_url_name))
        return super().form_valid(form)


class QuestionnaireViewSet(SnippetViewSet):
    chooser_viewset_class = ChooserViewSet
    model = Questionnaire
    icon = "form"
    menu_label = gettext_lazy("Kuesioner evaluasi")
    menu_name = "questionnaires"
    add_to_admin_menu = True
    menu_order = 930
    delete_view_class = QuestionnaireDeleteView
    list_display = ["name", "is_default", "created_at"]
    list_filter = ["is_default"]
    search_fields = ["name"]
    search_backend_name = None
    copy_view_enabled = False
    inspect_view_enabled = False
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("name"), FieldPanel("is_default")]),
            InlinePanel(
                "items",
                heading=gettext_lazy("Butir"),
                label=gettext_lazy("Butir"),
                min_num=1,
                panels=[
                    FieldRowPanel([FieldPanel("about"), FieldPanel("kind")]),
                    FieldPanel("text"),
                    FieldPanel("required"),
                ],
            ),
        ],
        base_form_class=QuestionnaireForm,
    )


register_snippet(QuestionnaireViewSet)
