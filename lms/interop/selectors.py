"""Reads for the outbox. For BKPSDM's page: the messages by kind and status, how many wait
or failed, and one line saying what each message reports. The outbox belongs to no OPD, so
the whole Pemda's scope sees it all and any other scope sees nothing. For statements: how
far through its course an enrolment is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from lms.people.selectors import Scope

from .models import OutboxMessage

if TYPE_CHECKING:
    from lms.learning.models import Enrolment


def outbox_messages(
    *, scope: Scope, kind: str | None = None, status: str | None = None
) -> QuerySet[OutboxMessage]:
    """Newest first: what just failed is what BKPSDM looks for. (By id, which follows
    creation and needs no index of its own on a table that grows with every event.)"""
    if not scope.everything:
        return OutboxMessage.objects.none()
    rows = OutboxMessage.objects.all()
    if kind:
        rows = rows.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-pk")


def outbox_status_counts(*, scope: Scope, kind: str | None = None) -> dict[str, int]:
    """Messages per status (every status present, zero included), in one query."""
    counts = dict.fromkeys(OutboxMessage.Status.values, 0)
    if not scope.everything:
        return counts
    rows = OutboxMessage.objects.all()
    if kind:
        rows = rows.filter(kind=kind)
    for row in rows.order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts


def _name(value: Any) -> str:
    """The first text of an xAPI language map."""
    if isinstance(value, dict):
        return str(next(iter(value.values()), ""))
    return ""


def message_summary(message: OutboxMessage) -> str:
    """What the message reports, read from its payload (no query): the xAPI verb, the
    learner's NIP and the activity's name; for a JP credit, the NIP and the hours."""
    payload = message.payload if isinstance(message.payload, dict) else {}
    if message.kind == OutboxMessage.Kind.XAPI:
        verb = str((payload.get("verb") or {}).get("id", "")).rsplit("/", 1)[-1]
        nip = str(((payload.get("actor") or {}).get("account") or {}).get("name", ""))
        activity = _name(((payload.get("object") or {}).get("definition") or {}).get("name"))
        return " · ".join(part for part in (verb, nip, activity) if part)
    if message.kind == OutboxMessage.Kind.HR_CREDIT:
        return _("%(nip)s · %(jp)s JP (entri buku JP %(entry)s)") % {
            "nip": payload.get("nip", "?"), "jp": payload.get("jp", "?"),
            "entry": payload.get("entry_id", "?"),
        }  # fmt: skip
    return message.dedupe_key


def course_percent(*, enrolment: Enrolment) -> int:
    """How far through the course the enrolment is, in percent: its required modules
    completed, as the learner's course page counts them (a course with no required module
    counts all of them, so finishing one still shows as progress)."""
    from courses.models import ModulePage as Module
    from lms.learning.models import ModuleProgress

    modules = dict(
        Module.objects.child_of(enrolment.course).live()
        .values_list("pk", "required_for_completion")
    )  # fmt: skip
    counted = {pk for pk, required in modules.items() if required} or set(modules)
    if not counted:
        return 100 if enrolment.completed_at else 0
    done = set(
        ModuleProgress.objects.filter(
            enrolment=enrolment, completed_at__isnull=False, module_id__in=counted
        ).values_list("module_id", flat=True)
    )
    return round(100 * len(done) / len(counted))
