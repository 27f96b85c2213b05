"""Figures on the report pages, written the way the reader's language writes them."""

from __future__ import annotations

from decimal import Decimal

from django import template

from lms.reports.charts import number

register = template.Library()


@register.filter
def num(value: Decimal | int | None, places: int = 2) -> str:
    """1.234 and 10,72 in Indonesian (1,234 and 10.72 in English); "—" for no figure."""
    if value is None or value == "":
        return "—"
    return number(value, int(places))


@register.filter
def pct(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{number(value, 1)}%"


@register.filter
def share(part: Decimal | int | None, whole: Decimal | int | None) -> str:
    """Part of a whole as a percentage with one decimal ("" when the whole is zero)."""
    if not whole or part is None:
        return ""
    return f"{number(Decimal(part) * 100 / Decimal(whole), 1)}%"
