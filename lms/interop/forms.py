"""The outbox page's filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import OutboxMessage


class OutboxFilterForm(forms.Form):
    jenis = forms.ChoiceField(
        label=_("Jenis"), required=False,
        choices=[("", _("Semua jenis")), *OutboxMessage.Kind.choices],
    )  # fmt: skip
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("Semua status")), *OutboxMessage.Status.choices],
    )  # fmt: skip

    def filters(self) -> dict[str, Any]:
        """The valid filters; an invalid one is ignored, never an error page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"kind": data.get("jenis") or None, "status": data.get("status") or None}
