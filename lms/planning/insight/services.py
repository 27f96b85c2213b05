"""The one thing the insight pages record: personal data leaving Sinau in a profile export
(who took it, whose, with which filters). The pages themselves only read."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from lms.core.audit import audit_record
from lms.people.models import Employee


def profile_export_audit(
    *, actor: Employee, params: dict[str, Any], employee: Employee | None = None
) -> None:
    """An employee's profile (``employee``) or an OPD's profiles downloaded by an admin."""
    if employee is not None:
        reason = _("Ekspor profil kompetensi pegawai")
        data = {"report": "profil-kompetensi", "nip": employee.nip, "params": params}
    else:
        reason = _("Ekspor profil kompetensi OPD")
        data = {"report": "profil-kompetensi-opd", "params": params}
    audit_record(
        actor=actor, action="sinau.people.export", instance=employee or actor, reason=reason,
        data=data,
    )  # fmt: skip
