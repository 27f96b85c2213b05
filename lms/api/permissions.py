"""Who may call the staff endpoints: the viewer's scope, resolved once per request."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from lms.people.selectors import Scope, scope_for


def request_scope(request: Request) -> Scope:
    """The caller's scope, kept on the request: the permission check, the filters' choices
    and the query all ask for it, and it costs a query."""
    http = request._request
    scope = getattr(http, "_sinau_scope", None)
    if scope is None:
        scope = scope_for(request.user)
        http._sinau_scope = scope  # type: ignore[attr-defined]
    return scope


class InAdminScope(BasePermission):
    """OPD admins (their subtree), BKPSDM auditors and superusers (the whole Pemda)."""

    message = _("Hanya admin OPD dan auditor BKPSDM yang boleh membuka data ini.")

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request_scope(request).is_admin_scope
