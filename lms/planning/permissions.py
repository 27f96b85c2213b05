"""Who plans: BKPSDM (superusers and auditors: the whole Pemda) keeps the dictionary and
decides proposals; OPD admins work on their OPD's AKPK and proposals."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from lms.people.selectors import Scope, scope_for


def require_bkpsdm(user: Any) -> Scope:
    """BKPSDM: the whole Pemda's scope (superusers and BKPSDM auditors)."""
    scope = scope_for(user)
    if not scope.everything:
        raise PermissionDenied(_("Halaman ini untuk BKPSDM."))
    return scope
