"""Gatekeepers for views and API endpoints: the viewer's scope, or 403 with a reason."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .selectors import Scope, scope_for


def require_admin_scope(user: Any) -> Scope:
    """OPD admins (their subtree), auditors and superusers (everything)."""
    scope = scope_for(user)
    if not scope.is_admin_scope:
        raise PermissionDenied(_("Halaman ini untuk admin OPD dan auditor BKPSDM."))
    return scope


def require_change_scope(user: Any, message: str | None = None) -> Scope:
    """Those who may change people in their scope: OPD admins and superusers, not auditors."""
    scope = scope_for(user)
    if not scope.can_change:
        raise PermissionDenied(message or _("Anda tidak berwenang mengubah data ini."))
    return scope
