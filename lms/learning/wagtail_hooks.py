"""The ledger in the Wagtail admin: menu entries for the scoped ledger and the yearly JP
targets BKPSDM sets (edits are logged by Wagtail's own history)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet

from lms.people.wagtail_hooks import ScopedMenuItem

from .models import JPTarget


class JPTargetViewSet(ModelViewSet):
    model = JPTarget
    icon = "date"
    menu_label = _("Target JP")
    add_to_settings_menu = True
    form_fields = ["year", "employment_type", "minimum", "cap"]
    list_display = ["year", "employment_type", "minimum", "cap"]
    list_filter = ["year"]
    inspect_view_enabled = False


jp_target_viewset = JPTargetViewSet("jp_target")


@hooks.register("register_admin_viewset")
def register_jp_target_viewset() -> Any:
    return jp_target_viewset


@hooks.register("register_admin_menu_item")
def ledger_menu_item() -> Any:
    return ScopedMenuItem(_("Buku JP"), reverse("learning:ledger"), icon_name="list-ul", order=910)
