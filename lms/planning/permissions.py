"""Who plans. BKPSDM is the whole Pemda's scope: superusers change anything, BKPSDM
auditors read everything and make the verifying decisions (deciding OPD proposals,
returning an OPD's AKPK). Keeping the dictionary and importing assessment-centre results
are changes, so they take a superuser. OPD admins work on their OPD subtree."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from lms.people.selectors import Scope, scope_for


def require_bkpsdm(user: Any, *, change: bool = False) -> Scope:
    """The whole Pemda's scope; with ``change``, one that may also change data."""
    scope = scope_for(user)
    if not scope.everything or (change and not scope.can_change):
        raise PermissionDenied(_("Halaman ini untuk BKPSDM."))
    return scope
