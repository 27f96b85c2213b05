"""Videos in the Wagtail admin: the listing with each video's state, the upload page (it takes
the place of the generic "add" form: a video starts as an upload, not as typed-in fields)
and "Proses ulang" (re-transcode).

Module pages keep choosing videos through the snippet chooser this viewset provides.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet

from lms.core.choosers import ChooserViewSet

from . import services, uploads
from .models import Video


def _duration(video: Video) -> str:
    if video.duration_seconds is None:
        return "—"
    seconds = round(video.duration_seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _ladder(video: Video) -> str:
    # From the prefetched rungs (video_admin_queryset): no query per row.
    heights = sorted(r.height for r in video.renditions.all())
    if not heights:
        return "—"
    if len(heights) == 1:
        return f"{heights[0]}p"
    return f"{heights[0]}p–{heights[-1]}p"


def _owner(video: Video) -> str:
    return video.owner.get_full_name() if video.owner is not None else "—"


class StatusColumn(Column):
    """The status as a tag, with the percent while transcoding and the reason of a failure."""

    cell_template_name = "videos/admin/status_cell.html"


class VideoIndexView(IndexView):
    default_ordering = "-updated_at"

    @property
    def add_item_label(self) -> str:
        return _("Unggah video")

    def get_list_more_buttons(self, instance: Video) -> list[Any]:
        buttons = list(super().get_list_more_buttons(instance))
        if instance.source and uploads.may_manage_video(self.request.user, instance):
            buttons.append(
                MenuItem(
                    _("Proses ulang"),
                    url=reverse(video_viewset.get_url_name("reprocess"), args=[instance.pk]),
                    icon_name="resubmit",
                    priority=25,
                )
            )
        return buttons


class VideoUploadForm(forms.Form):
    """Drawn by the page, sent by the script: the file never travels as a form post."""

    file = forms.FileField(
        label=gettext_lazy("Berkas video"),
        help_text=gettext_lazy(
            "MP4, MOV, MKV, WEBM atau format video lain. Unggahan yang terputus dapat "
            "dilanjutkan: pilih lagi berkas yang sama."
        ),
    )
    title = forms.CharField(
        label=gettext_lazy("Judul"),
        max_length=255,
        help_text=gettext_lazy("Judul yang dilihat instruktur saat memilih video untuk modul."),
    )

    def __init__(self, *args: Any, accept: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update(accept=accept)


def _upload_text() -> dict[str, str]:
    """What the script says, translated here: it has no catalogue of its own."""
    return {
        "choose_file": _("Pilih berkas video terlebih dahulu."),
        "title_required": _("Judul video wajib diisi."),
        "too_big": _("Berkas terlalu besar; paling besar {max}."),
        "starting": _("Menyiapkan unggahan…"),
        "uploading": _("Mengunggah…"),
        "resuming": _("Melanjutkan unggahan dari {percent}…"),
        "finishing": _("Menyelesaikan unggahan…"),
        "done": _("Selesai. Video “{title}” masuk antrean untuk diproses."),
        "retrying": _("Koneksi terputus; mencoba lagi dalam {seconds} detik…"),
        "offline": _("Menunggu koneksi internet…"),
        "stopped": _("Unggahan berhenti: {error}"),
        "resume_hint": _("Pilih lagi berkas yang sama untuk melanjutkan."),
        "network": _("koneksi ke server gagal."),
        "cancel_confirm": _("Batalkan unggahan ini? Bagian yang sudah terkirim akan dihapus."),
        "cancelled": _("Unggahan dibatalkan."),
        "leave": _("Unggahan masih berjalan."),
        "of": _("{sent} dari {total}"),
        "speed": _("{speed}/detik, sisa ± {time}"),
    }


class VideoUploadView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """The page with the file input and the progress bar; the bytes go to the upload API."""

    model = Video
    permission_required = "add"
    template_name = "videos/admin/upload.html"
    page_title = gettext_lazy("Unggah video")
    header_icon = "upload"
    breadcrumbs_items: list[dict[str, Any]] = []

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(video_viewset.get_url_name("list")), "label": _("Video")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        accept = ",".join(["video/*", *sorted(f".{e}" for e in uploads.VIDEO_EXTENSIONS)])
        context.update(
            form=VideoUploadForm(accept=accept),
            text=_upload_text(),
            mode=uploads.upload_mode(),
            max_bytes=settings.SINAU_VIDEO_MAX_BYTES,
            start_url=reverse("videos:upload_start"),
            list_url=reverse(video_viewset.get_url_name("list")),
            open_uploads=uploads.uploads_open_for(viewer=self.request.user),  # type: ignore[arg-type]
        )
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        origin = uploads.s3_connect_origin()
        if origin is not None:
            # On S3 the browser sends the parts straight to the bucket: allow that origin
            # for this page only (the site's CSP otherwise connects to 'self' alone).
            response._csp_update = {"connect-src": [origin]}  # type: ignore[attr-defined]
        return response


class VideoReprocessView(WagtailAdminTemplateMixin, TemplateView):
    """Queue a fresh transcode (after a failure, or with new ladder settings). The ladder
    now playing keeps playing until the new one is ready."""

    template_name = "videos/admin/reprocess.html"
    header_icon = "resubmit"
    breadcrumbs_items: list[dict[str, Any]] = []
    http_method_names = ["get", "post"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.video = get_object_or_404(Video, pk=kwargs["pk"])
        if not uploads.may_manage_video(request.user, self.video):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return _("Proses ulang “%(title)s”") % {"title": self.video.title}

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(video_viewset.get_url_name("list")), "label": _("Video")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(video=self.video, list_url=reverse(video_viewset.get_url_name("list")))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        list_url = reverse(video_viewset.get_url_name("list"))
        if not self.video.source:
            messages.error(request, _("Video ini tidak punya berkas sumber untuk diproses."))
            return redirect(list_url)
        services.video_submit(video=self.video)
        messages.success(
            request,
            _("%(title)s masuk antrean untuk diproses ulang.") % {"title": self.video.title},
        )
        return redirect(list_url)


class VideoViewSet(SnippetViewSet):
    chooser_viewset_class = ChooserViewSet
    model = Video
    icon = "media"
    menu_label = gettext_lazy("Video")
    menu_name = "videos"
    menu_order = 250
    add_to_admin_menu = True
    index_view_class = VideoIndexView
    list_per_page = 50
    list_filter = ["status"]
    search_fields = ["title", "original_filename"]
    search_backend_name = None  # Video is not in Wagtail's search index: a plain filter
    # Everything else about a video is the pipeline's to write.
    panels = [FieldPanel("title")]
    # A copy would be a video without a source; a video starts as an upload.
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_fields = [
        "title", "status", "progress_percent", "failure_reason", "original_filename",
        "size_bytes", "duration_seconds", "width", "height", "has_audio", "owner",
        "created_at", "transcoded_at",
    ]  # fmt: skip
    list_display = [
        "title",
        StatusColumn("status", label=gettext_lazy("Status"), sort_key="status"),
        Column(
            "duration_seconds", label=gettext_lazy("Durasi"), accessor=_duration,
            sort_key="duration_seconds",
        ),
        Column("renditions", label=gettext_lazy("Rendisi"), accessor=_ladder),
        Column("owner", label=gettext_lazy("Pemilik"), accessor=_owner),
        DateColumn("updated_at", label=gettext_lazy("Diubah"), sort_key="updated_at"),
    ]  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> Any:
        return uploads.video_admin_queryset()

    def get_urlpatterns(self) -> list[Any]:
        # The upload page is this viewset's "add": the listing's add button leads there.
        patterns = [p for p in super().get_urlpatterns() if getattr(p, "name", "") != "add"]
        upload = VideoUploadView.as_view(breadcrumbs_items=self.breadcrumbs_items)
        reprocess = VideoReprocessView.as_view(breadcrumbs_items=self.breadcrumbs_items)
        return [
            *patterns,
            path("add/", upload, name="add"),
            path("proses-ulang/<int:pk>/", reprocess, name="reprocess"),
        ]


video_viewset = VideoViewSet()
register_snippet(video_viewset)
