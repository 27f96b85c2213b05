"""Angkatan, recurring programmes and sessions in the Wagtail admin, under "Angkatan &
sesi". The default model permissions decide who sees them: superusers (BKPSDM), unless
BKPSDM grants them to a group. Saving a programme schedules its sessions at once."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic.models import CreateView, DeleteView, EditView, IndexView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from ..models import Cohort, Series, Session
from ..scheduling import series_schedule
from .forms import CohortAdminForm, SeriesAdminForm, SessionAdminForm


class KeepRecordsDeleteView(DeleteView):
    """What people enrolled in or attended is a record: deleting it is refused with a
    message (cancel a session instead), not a server error."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            with transaction.atomic():
                return super().post(request, *args, **kwargs)
        except ProtectedError:
            messages.error(
                request,
                _(
                    "%(object)s tidak dapat dihapus karena sudah punya pendaftaran, sesi, "
                    "kehadiran atau evaluasi. Batalkan sesinya bila tidak jadi dilaksanakan."
                )
                % {"object": self.object},
            )
            return redirect(self.get_success_url())


class SeriesDeleteView(KeepRecordsDeleteView):
    """A programme goes with its sessions nobody attended yet; one attended stays."""

    def form_valid(self, form: Any) -> HttpResponse:
        # Inside the post's transaction: a refusal below puts these sessions back.
        self.object.sessions.filter(
            attendances__isnull=True, evaluations__isnull=True, signed_off_at__isnull=True
        ).delete()
        if self.object.sessions.exists():
            raise ProtectedError("attended sessions", set(self.object.sessions.all()))
        self.usage = None  # its sessions made it look protected; they are dealt with above
        return super().form_valid(form)

    def get_context_data(self, **kwargs: Any) -> Any:
        context = super().get_context_data(**kwargs)
        context["is_protected"] = False  # the sessions nobody attended go with it
        return context


class CohortIndexView(IndexView):
    def get_base_queryset(self) -> Any:
        return super().get_base_queryset().select_related("course")


class CohortViewSet(ModelViewSet):
    model = Cohort
    url_prefix = "angkatan"
    icon = "group"
    menu_label = _("Angkatan")
    index_view_class = CohortIndexView
    delete_view_class = KeepRecordsDeleteView
    list_display = ["name", "course", DateColumn("starts_on", label=_("Mulai")),
                    DateColumn("ends_on", label=_("Selesai")), "capacity"]  # fmt: skip
    list_filter = ["enrolment_policy", "starts_on"]
    search_fields = ["name", "course__title"]
    search_backend_name = None
    ordering = ["-starts_on", "name"]
    list_per_page = 50
    copy_view_enabled = False
    inspect_view_enabled = False
    edit_handler = ObjectList(
        [
            FieldPanel("course"),
            FieldPanel("name"),
            FieldPanel("description"),
            FieldRowPanel([FieldPanel("starts_on"), FieldPanel("ends_on")]),
            MultiFieldPanel(
                [
                    FieldPanel("enrolment_policy"),
                    FieldRowPanel([FieldPanel("enrolment_opens"), FieldPanel("enrolment_closes")]),
                    FieldPanel("capacity"),
                ],
                heading=_("Pendaftaran"),
            ),
            FieldPanel("instructors", widget=forms.CheckboxSelectMultiple),
            FieldPanel("questionnaire"),
        ],
        base_form_class=CohortAdminForm,
    )


class _Scheduling:
    """Create and edit views of a programme: its sessions follow each save."""

    request: Any
    scheduled: int = 0

    def save_instance(self) -> Any:
        instance = super().save_instance()  # type: ignore[misc]
        try:
            self.scheduled = len(series_schedule(actor=self.request.user, series=instance))
        except ValidationError:  # the form checked the size; a race is not worth a 500
            self.scheduled = 0
        return instance

    def _scheduled_message(self, base: Any) -> Any:
        extra = ngettext(
            "%(n)d sesi baru dijadwalkan.", "%(n)d sesi baru dijadwalkan.", self.scheduled
        ) % {"n": self.scheduled}
        return f"{base} {extra}" if base else extra


class SeriesCreateView(_Scheduling, CreateView):
    def get_success_message(self, instance: Any) -> Any:
        return self._scheduled_message(super().get_success_message(instance))


class SeriesEditView(_Scheduling, EditView):
    def get_success_message(self) -> Any:
        return self._scheduled_message(super().get_success_message())


class SeriesViewSet(ModelViewSet):
    model = Series
    url_prefix = "program-berulang"
    icon = "repeat"
    menu_label = _("Program sesi berulang")
    add_view_class = SeriesCreateView
    edit_view_class = SeriesEditView
    delete_view_class = SeriesDeleteView
    list_display = ["title", "recurrence", DateColumn("first_on", label=_("Sesi pertama")),
                    DateColumn("last_on", label=_("Sesi terakhir")), "jp_per_session"]  # fmt: skip
    list_filter = ["recurrence", "mode"]
    search_fields = ["title"]
    search_backend_name = None
    ordering = ["-first_on", "title"]
    list_per_page = 50
    copy_view_enabled = False
    inspect_view_enabled = False
    edit_handler = ObjectList(
        [
            FieldPanel("title"),
            FieldPanel("description"),
            MultiFieldPanel(
                [
                    FieldPanel("recurrence"),
                    FieldRowPanel([FieldPanel("first_on"), FieldPanel("last_on")]),
                    FieldRowPanel([FieldPanel("start_time"), FieldPanel("end_time")]),
                ],
                heading=_("Jadwal"),
                help_text=_(
                    "Jam menurut zona waktu Pemda. Sesi dibuat otomatis saat disimpan; sesi "
                    "yang sudah ada kehadirannya tidak pernah dihapus."
                ),
            ),
            FieldRowPanel([FieldPanel("mode"), FieldPanel("venue")]),
            FieldPanel("meeting_url"),
            FieldRowPanel([FieldPanel("jp_per_session"), FieldPanel("yearly_jp_cap")]),
            FieldRowPanel([FieldPanel("competency_type"), FieldPanel("jenis_diklat")]),
            FieldPanel("instructor"),
            FieldPanel("questionnaire"),
        ],
        base_form_class=SeriesAdminForm,
    )


def _belongs_to(session: Session) -> str:
    if session.cohort_id:
        return str(session.cohort.name) if session.cohort else ""
    if session.series_id:
        return str(session.series.title) if session.series else ""
    return str(_("Terbuka"))


class SessionIndexView(IndexView):
    def get_base_queryset(self) -> Any:
        return super().get_base_queryset().select_related("cohort", "series", "instructor")


class SessionViewSet(ModelViewSet):
    model = Session
    url_prefix = "sesi"
    icon = "date"
    menu_label = _("Sesi")
    index_view_class = SessionIndexView
    delete_view_class = KeepRecordsDeleteView
    list_display = [
        "title",
        Column("belongs", label=_("Angkatan / program"), accessor=_belongs_to),
        DateColumn("starts_at", label=_("Mulai"), sort_key="starts_at"),
        "jp",
        "instructor",
    ]
    list_filter = ["mode", "cohort", "series"]
    search_fields = ["title", "venue"]
    search_backend_name = None
    ordering = ["-starts_at"]
    list_per_page = 50
    copy_view_enabled = False
    inspect_view_enabled = False
    edit_handler = ObjectList(
        [
            FieldPanel("title"),
            FieldRowPanel([FieldPanel("cohort"), FieldPanel("series")]),
            FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
            FieldRowPanel([FieldPanel("mode"), FieldPanel("venue")]),
            FieldPanel("meeting_url"),
            FieldRowPanel([FieldPanel("jp"), FieldPanel("competency_type")]),
            FieldPanel("instructor"),
            FieldPanel("late_after_minutes"),
            FieldPanel("cancelled_at"),
        ],
        base_form_class=SessionAdminForm,
    )


class ClassroomViewSetGroup(ViewSetGroup):
    menu_label = _("Angkatan & sesi")
    menu_icon = "group"
    menu_order = 915
    items = (
        CohortViewSet("angkatan"),
        SeriesViewSet("program_berulang"),
        SessionViewSet("sesi"),
    )


@hooks.register("register_admin_viewset")
def register_classroom_viewsets() -> Any:
    return ClassroomViewSetGroup()
