"""Certificates in the Wagtail admin.

- "Templat sertifikat" (settings menu): the default and per-course templates, a snippet
  that BKPSDM (superusers) edit, with image choosers, and "Pratinjau" that renders a sample
  PDF of a saved template.
- "Sertifikat": the certificates issued, read-only, for superusers and auditors. Changes
  to a certificate are revocation and reissue, which have their own pages.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import EditView, IndexView, SnippetViewSet

from lms.core.choosers import ChooserViewSet
from lms.people.models import Employee, Role
from lms.people.selectors import scope_for

from .models import Certificate, CertificateTemplate

# --- Templates -------------------------------------------------------------------------


def _preview_url(template_pk: int) -> str:
    return reverse(template_viewset.get_url_name("pdf_preview"), args=[template_pk])


class TemplateIndexView(IndexView):
    def get_list_more_buttons(self, instance: CertificateTemplate) -> list[Any]:
        buttons = list(super().get_list_more_buttons(instance))
        buttons.append(
            MenuItem(
                _("Pratinjau PDF"), url=_preview_url(instance.pk), icon_name="view", priority=5
            )
        )
        return buttons


class TemplateEditView(EditView):
    @cached_property
    def header_more_buttons(self) -> list[Any]:
        buttons = list(super().header_more_buttons)
        buttons.append(
            Button(
                _("Pratinjau PDF"),
                url=_preview_url(self.object.pk),
                icon_name="view",
                priority=5,
                attrs={"target": "_blank", "rel": "noopener"},
            )  # fmt: skip
        )
        return buttons


def template_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """A sample certificate from a saved template, marked "CONTOH", shown in the browser.
    One deliberate render for an editor, so it runs in the request."""
    from .rendering import template_preview_pdf

    if not request.user.has_perm("certificates.change_certificatetemplate"):
        raise PermissionDenied
    template = get_object_or_404(
        CertificateTemplate.objects.select_related("course", "logo", "background", "signature"),
        pk=pk,
    )
    response = HttpResponse(template_preview_pdf(template), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="pratinjau-sertifikat-{template.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


class CertificateTemplateViewSet(SnippetViewSet):
    chooser_viewset_class = ChooserViewSet
    model = CertificateTemplate
    icon = "doc-full"
    menu_label = gettext_lazy("Templat sertifikat")
    menu_name = "certificate_templates"
    add_to_settings_menu = True
    index_view_class = TemplateIndexView
    edit_view_class = TemplateEditView
    list_display = ["name", "course", "is_default", "issuer_name", "signatory_name"]
    list_filter = ["is_default"]
    search_fields = ["name", "signatory_name"]
    search_backend_name = None
    panels = [
        MultiFieldPanel(
            [FieldPanel("name"), FieldRowPanel([FieldPanel("is_default"), FieldPanel("course")])],
            heading=gettext_lazy("Berlaku untuk"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("heading"), FieldPanel("issuer_name"), FieldPanel("statement"),
                FieldRowPanel([FieldPanel("logo"), FieldPanel("background")]),
            ],
            heading=gettext_lazy("Tampilan"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("signatory_place"), FieldPanel("signatory_title"),
                FieldRowPanel([FieldPanel("signatory_name"), FieldPanel("signatory_nip")]),
                FieldPanel("signature"),
            ],
            heading=gettext_lazy("Penanda tangan"),
        ),
    ]  # fmt: skip

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("pratinjau/<int:pk>/", template_preview, name="pdf_preview"),
        ]


template_viewset = CertificateTemplateViewSet()
register_snippet(template_viewset)


# --- Certificates (read-only) ----------------------------------------------------------


def reads_all_certificates(user: Any) -> bool:
    """Superusers and BKPSDM auditors; remembered on the user for the rest of the request
    (the listing asks once per row)."""
    if not isinstance(user, Employee) or not user.is_active:
        return False
    cached = getattr(user, "_sinau_reads_all_certificates", None)
    if cached is None:
        cached = scope_for(user).everything
        user._sinau_reads_all_certificates = cached  # type: ignore[attr-defined]
    return bool(cached)


class CertificateReadPolicy(BasePermissionPolicy):
    """View for superusers and auditors; add, change and delete for nobody here."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        return action == "view" and reads_all_certificates(user)

    def users_with_any_permission(self, actions: Any) -> QuerySet[Employee]:
        if "view" not in actions:
            return Employee.objects.none()
        return Employee.objects.filter(
            Q(is_superuser=True) | Q(role_assignments__role=Role.AUDITOR), is_active=True
        ).distinct()


register_permission_policy(Certificate, CertificateReadPolicy(Certificate))


def certificate_pdf_download(request: HttpRequest, pk: int) -> FileResponse:
    if not reads_all_certificates(request.user):
        raise PermissionDenied
    certificate = get_object_or_404(Certificate, pk=pk)
    if not certificate.pdf:
        raise Http404(_("PDF sertifikat ini belum dibuat."))
    try:
        handle = certificate.pdf.open("rb")
    except FileNotFoundError:
        raise Http404(_("Berkas PDF sertifikat ini tidak ditemukan.")) from None
    stem = certificate.number.replace("/", "-")
    return FileResponse(handle, as_attachment=True, filename=f"sertifikat-{stem}.pdf")


def _status(certificate: Certificate) -> str:
    return certificate.get_status_display()


def _pdf_state(certificate: Certificate) -> str:
    if certificate.pdf:
        return _("Siap")
    return _("Gagal") if certificate.render_error else _("Sedang dibuat")


class CertificateIndexView(IndexView):
    def get_list_more_buttons(self, instance: Certificate) -> list[Any]:
        buttons = list(super().get_list_more_buttons(instance))
        if instance.pdf:
            url = reverse(certificate_viewset.get_url_name("pdf"), args=[instance.pk])
            buttons.append(MenuItem(_("Unduh PDF"), url=url, icon_name="download", priority=5))
        return buttons


class CertificateViewSet(ModelViewSet):
    model = Certificate
    icon = "doc-full-inverse"
    menu_label = gettext_lazy("Sertifikat")
    menu_name = "certificates"
    menu_order = 905
    add_to_admin_menu = True
    index_view_class = CertificateIndexView
    list_per_page = 50
    copy_view_enabled = False
    inspect_view_enabled = True
    search_fields = ["number", "holder_name", "holder_nip", "course_title"]
    search_backend_name = None
    list_filter = ["status", "year", "competency_type"]
    ordering = ["-issued_at", "-pk"]
    list_display = [
        "number",
        "holder_name",
        "course_title",
        "jp",
        Column("status", label=gettext_lazy("Status"), accessor=_status),
        DateColumn("issued_at", label=gettext_lazy("Diterbitkan"), sort_key="issued_at"),
        Column("pdf", label=gettext_lazy("PDF"), accessor=_pdf_state),
    ]
    inspect_view_fields = [
        "number", "status", "holder_name", "holder_nip", "course_title", "jp",
        "competency_type", "completed_on", "issuer_name", "issued_at", "rendered_at",
        "render_error", "revoked_at", "revoke_reason", "replaces",
    ]  # fmt: skip
    # Never used (the policy allows no add or change); a ModelViewSet needs a form to build.
    form_fields = ["holder_name"]

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("pdf/<int:pk>/", certificate_pdf_download, name="pdf"),
        ]


# Its own URL namespace: "certificates" is the public app's (verification, downloads).
certificate_viewset = CertificateViewSet("sertifikat")


@hooks.register("register_admin_viewset")
def register_certificate_viewset() -> Any:
    return certificate_viewset
