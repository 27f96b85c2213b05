"""The competency dictionary in the Wagtail admin, under "Perencanaan": BKPSDM adds or
corrects a single competency or jabatan standard here; whole dictionaries come by XLSX import
(/kelola/kompetensi/impor/). The default model permissions decide who sees the entries
(superusers, unless BKPSDM grants them to a group); Wagtail logs each edit in its history."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms.models import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from .dictionary.workbook import normalise_code
from .models import Competency, JabatanStandard, jabatan_key

LEVELS = range(1, 6)


class CompetencyForm(WagtailAdminModelForm):
    """The five level indicators as five text boxes instead of the stored JSON."""

    level_1 = forms.CharField(label=_("Indikator level 1"), required=False, widget=forms.Textarea)
    level_2 = forms.CharField(label=_("Indikator level 2"), required=False, widget=forms.Textarea)
    level_3 = forms.CharField(label=_("Indikator level 3"), required=False, widget=forms.Textarea)
    level_4 = forms.CharField(label=_("Indikator level 4"), required=False, widget=forms.Textarea)
    level_5 = forms.CharField(label=_("Indikator level 5"), required=False, widget=forms.Textarea)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = self.instance.level_descriptions
        if isinstance(stored, dict):
            for n in LEVELS:
                self.fields[f"level_{n}"].initial = stored.get(str(n), "")
        self.fields["code"].help_text = _(
            "Unik; impor XLSX mencocokkan kompetensi berdasarkan kode ini."
        )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data.get("code") or "")
        clash = Competency.objects.filter(code__iexact=code).exclude(pk=self.instance.pk)
        if code and clash.exists():
            raise forms.ValidationError(_("Kode %(code)s sudah dipakai.") % {"code": code})
        return code

    def save(self, commit: bool = True) -> Any:
        self.instance.level_descriptions = {
            str(n): text
            for n in LEVELS
            if (text := (self.cleaned_data.get(f"level_{n}") or "").strip())
        }
        return super().save(commit=commit)


class JabatanStandardForm(WagtailAdminModelForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        jabatan = " ".join((cleaned.get("jabatan") or "").split())
        competency = cleaned.get("competency")
        key = jabatan_key(jabatan)
        if jabatan and not key:
            self.add_error("jabatan", _("Tulis nama jabatan."))
        # The key is not on the form, so Django's own check of the unique constraint skips it:
        # without this a second standard for one jabatan and competency would be a 500.
        if key and competency is not None:
            clash = JabatanStandard.objects.filter(jabatan_key=key, competency=competency)
            if clash.exclude(pk=self.instance.pk).exists():
                self.add_error(
                    "competency",
                    _("Jabatan ini sudah punya standar untuk kompetensi itu."),
                )
        return cleaned


class JabatanStandardIndexView(IndexView):
    def get_base_queryset(self) -> Any:
        return super().get_base_queryset().select_related("competency")


class CompetencyViewSet(ModelViewSet):
    model = Competency
    url_prefix = "perencanaan/kamus-kompetensi"
    icon = "tasks"
    menu_label = _("Kamus kompetensi")
    list_display = ["code", "name", "competency_type", "is_active"]
    list_filter = ["competency_type", "is_active"]
    search_fields = ["code", "name"]
    search_backend_name = None
    ordering = ["competency_type", "code"]
    list_per_page = 50
    copy_view_enabled = False
    inspect_view_enabled = False
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("code"), FieldPanel("competency_type")]),
            FieldPanel("name"),
            FieldPanel("description"),
            MultiFieldPanel(
                [FieldPanel(f"level_{n}") for n in LEVELS], heading=_("Indikator level 1-5")
            ),
            FieldPanel("is_active"),
        ],
        base_form_class=CompetencyForm,
    )


class JabatanStandardViewSet(ModelViewSet):
    model = JabatanStandard
    url_prefix = "perencanaan/standar-kompetensi-jabatan"
    icon = "list-ol"
    menu_label = _("Standar kompetensi jabatan")
    index_view_class = JabatanStandardIndexView
    list_display = ["jabatan", "competency", "required_level"]
    list_filter = ["required_level"]
    search_fields = ["jabatan", "competency__code", "competency__name"]
    search_backend_name = None
    ordering = ["jabatan_key", "competency__code"]
    list_per_page = 50
    copy_view_enabled = False
    inspect_view_enabled = False
    edit_handler = ObjectList(
        [FieldPanel("jabatan"), FieldPanel("competency"), FieldPanel("required_level")],
        base_form_class=JabatanStandardForm,
    )


class PlanningViewSetGroup(ViewSetGroup):
    menu_label = _("Perencanaan")
    menu_icon = "tasks"
    menu_order = 920
    items = (
        CompetencyViewSet("kamus_kompetensi"),
        JabatanStandardViewSet("standar_kompetensi_jabatan"),
    )


@hooks.register("register_admin_viewset")
def register_planning_viewsets() -> Any:
    return PlanningViewSetGroup()
