from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .selectors import scope_for


class ScopedMenuItem(MenuItem):
    """Shown to those whose role gives them an admin scope (OPD admins, auditors, superusers)."""

    def __init__(self, *args, needs: str = "admin_scope", **kwargs):
        self.needs = needs
        super().__init__(*args, **kwargs)

    def is_shown(self, request):
        # Several menu items ask on every admin page: one query per request, not per item.
        scope = getattr(request, "_sinau_scope", None)
        if scope is None:
            scope = request._sinau_scope = scope_for(request.user)
        return {
            "admin_scope": scope.is_admin_scope,
            "change": scope.can_change,
            "everything": scope.everything,
        }[self.needs]


@hooks.register("register_admin_menu_item")
def employees_menu_item():
    return ScopedMenuItem(
        _("Pegawai"), reverse("people:employee_list"), icon_name="group", order=900
    )


@hooks.register("register_admin_menu_item")
def import_menu_item():
    return ScopedMenuItem(
        _("Impor pegawai"), reverse("people:import_new"), icon_name="upload",
        order=901, needs="change",
    )  # fmt: skip


@hooks.register("register_admin_menu_item")
def roles_menu_item():
    return ScopedMenuItem(
        _("Peran pengguna"), reverse("people:role_list"), icon_name="key",
        order=902, needs="everything",
    )  # fmt: skip
