"""What the Wagtail-served course and module pages need beyond their ``view`` context."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import formats

from lms.learning.forms import module_opened_token
from lms.learning.selectors import ModuleRow

register = template.Library()


@register.simple_tag
def opened_token() -> str:
    return module_opened_token()


@register.filter
def jp(value: Decimal | int | None) -> str:
    """JP the way people write them: ``4``, ``2,5`` (in Indonesian), never ``4.00``."""
    if value is None:
        return "0"
    return formats.number_format(Decimal(value).normalize(), use_l10n=True, force_grouping=True)


@register.filter
def jp_remaining(target: Decimal, earned: Decimal) -> Decimal:
    return max(Decimal(target) - Decimal(earned), Decimal("0"))


@register.filter
def first_unfinished(rows: list[ModuleRow]) -> ModuleRow | None:
    """Where "Lanjutkan belajar" goes: the first module not yet done."""
    return next((row for row in rows if not row.completed), None)
