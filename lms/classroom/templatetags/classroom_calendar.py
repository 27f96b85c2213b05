"""``{% upcoming_sessions %}``: the "Jadwal mendatang" block of the learner's dashboard."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from lms.classroom.calendar.selectors import PAGE_DAYS, upcoming_for

register = template.Library()

DASHBOARD_ITEMS = 5


@register.inclusion_tag("classroom/calendar/upcoming.html", takes_context=True)
def upcoming_sessions(context: dict[str, Any], limit: int = DASHBOARD_ITEMS) -> dict[str, Any]:
    """The viewer's next sessions and deadlines (two queries), or nothing for a visitor."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"items": [], "show": False}
    now = timezone.now()
    return {
        "items": upcoming_for(user, now=now, days=PAGE_DAYS, limit=limit),
        "now": now,
        "show": True,
    }


@register.filter
def check_in_open(item: Any, now: Any) -> bool:
    """Whether the session's check-in (by QR in the room) is open at ``now``."""
    return bool(item.check_in_open(now))


@register.inclusion_tag("classroom/evaluation/_due.html", takes_context=True)
def evaluations_due(context: dict[str, Any]) -> dict[str, Any]:
    """The angkatan and open sessions the viewer may still evaluate (two queries)."""
    from lms.classroom.evaluation.selectors import evaluations_due as due_for

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"evaluations_due": []}
    return {"evaluations_due": due_for(user)}
