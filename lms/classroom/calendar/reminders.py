"""Session reminders by email, run every 15 minutes by Celery beat
(``lms.classroom.tasks``): a day and an hour before a session (``SINAU_SESSION_REMINDER_
HOURS``), each participant hears when and where it is, once per threshold.

Who takes part: an angkatan's session, its active participants; a recurring programme's
session, its regulars (whoever attended an earlier session of the programme); a one-off
open session has no list of people to remind, so nobody. A cancelled session reminds
nobody. A session closer than several thresholds calls only for the nearest one: one
scheduled 30 minutes ahead gets the 1-hour reminder, not the 24-hour one as well.

Once, never twice: ``lms.reports.reminders.send_once`` records a ``ReminderSent`` (kind
``session``, period ``<hours>h``, subject the session) in the sending's transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from functools import partial

from django.conf import settings
from django.db.models import Min
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from lms.learning.models import Enrolment
from lms.people.models import Employee
from lms.reports.models import ReminderSent
from lms.reports.reminders import Message, ReminderResult, page_url, send_once, site_url

from ..models import Attendance, Session
from .feed import session_about
from .selectors import session_link, session_venue

logger = logging.getLogger(__name__)

Kind = ReminderSent.Kind
DAY_HOURS = 24


def reminder_hours() -> list[int]:
    """Hours before a session its reminders go out, largest first (default 24 and 1)."""
    hours = {int(h) for h in settings.SINAU_SESSION_REMINDER_HOURS if int(h) > 0}
    return sorted(hours, reverse=True) or [1]


def reminder_threshold(left: dt.timedelta, thresholds: Sequence[int]) -> int | None:
    """The reminder a session starting ``left`` from now calls for: the smallest threshold
    at or above it; None when none is due yet (or it has started)."""
    if left <= dt.timedelta(0):
        return None
    fitting = [h for h in thresholds if dt.timedelta(hours=h) >= left]
    return min(fitting) if fitting else None


def reminder_period(threshold: int) -> str:
    return f"{threshold}h"


def participants(sessions: Sequence[Session]) -> dict[int, list[Employee]]:
    """Who to remind of each session (active employees only); three queries in all."""
    found: dict[int, dict[int, Employee]] = defaultdict(dict)
    by_cohort: dict[int, list[Session]] = defaultdict(list)
    by_series: dict[int, list[Session]] = defaultdict(list)
    for session in sessions:
        if session.cohort_id is not None:
            by_cohort[session.cohort_id].append(session)
        elif session.series_id is not None:
            by_series[session.series_id].append(session)
    if by_cohort:
        enrolments = Enrolment.objects.filter(
            cohort_id__in=by_cohort, status=Enrolment.Status.ACTIVE, employee__is_active=True
        ).select_related("employee")
        for enrolment in enrolments:
            assert enrolment.cohort_id is not None  # filtered above
            for session in by_cohort[enrolment.cohort_id]:
                found[session.pk][enrolment.employee_id] = enrolment.employee
    if by_series:
        # Each regular's first attendance per programme: a regular of this session is
        # someone whose first one came before it.
        firsts = (
            Attendance.objects.filter(
                session__series_id__in=by_series, status__in=Attendance.ATTENDED,
                session__cancelled_at__isnull=True,
            )
            .values("session__series_id", "employee_id")
            .annotate(first=Min("session__starts_at"))
        )  # fmt: skip
        pairs = [(row["session__series_id"], row["employee_id"], row["first"]) for row in firsts]
        people = Employee.objects.filter(pk__in={p[1] for p in pairs}, is_active=True).in_bulk()
        for series_id, employee_id, first in pairs:
            employee = people.get(employee_id)
            if employee is None:
                continue
            for session in by_series[series_id]:
                if first < session.starts_at:
                    found[session.pk][employee_id] = employee
    return {
        pk: sorted(people_by_pk.values(), key=lambda e: e.pk) for pk, people_by_pk in found.items()
    }


def _message(*, session: Session, employee: Employee, threshold: int) -> Message:
    starts = timezone.localtime(session.starts_at)
    ends = timezone.localtime(session.ends_at)
    when = "{} {}–{}".format(
        formats.date_format(starts, "l, j F Y"),
        formats.time_format(starts, "H:i"),
        formats.time_format(ends, "H:i T"),
    )
    if session.cohort is not None:
        link = page_url(session.cohort.course)
    else:
        link = site_url(reverse("classroom:calendar"))
    context = {
        "employee": employee,
        "session": session,
        "about": session_about(session),
        "when": when,
        "venue": session_venue(session),
        "meeting_url": session_link(session),
        "threshold": threshold,
        "link": link,
        "calendar_url": site_url(reverse("classroom:calendar")),
        "PEMDA_NAME": settings.SINAU_PEMDA_NAME,
    }
    if threshold >= DAY_HOURS:  # a day or more ahead: the day matters most
        subject = _("Pengingat: %(title)s, %(when)s") % {"title": session.title, "when": when}
    else:
        subject = _("Segera dimulai: %(title)s pukul %(time)s") % {
            "title": session.title,
            "time": formats.time_format(starts, "H:i T"),
        }
    text = render_to_string("classroom/calendar/email/session_reminder.txt", context)
    return Message(subject=subject, text=text)


def session_reminders(*, now: dt.datetime | None = None) -> ReminderResult:
    """Remind the participants of every session that starts within a threshold and has
    not been reminded at it; running again (or at the same time) sends nothing twice."""
    now = now or timezone.now()
    thresholds = reminder_hours()
    result = ReminderResult(period=now.isoformat(timespec="minutes"))
    sessions = list(
        Session.objects.filter(
            cancelled_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + dt.timedelta(hours=max(thresholds)),
        )
        .select_related("cohort__course", "series", "instructor")
        .order_by("starts_at", "pk")
    )
    due: list[tuple[Session, int]] = []
    for session in sessions:
        threshold = reminder_threshold(session.starts_at - now, thresholds)
        if threshold is not None:
            due.append((session, threshold))
    if not due:
        return result
    sent = set(
        ReminderSent.objects.filter(
            kind=Kind.SESSION, subject_id__in=[s.pk for s, _t in due]
        ).values_list("employee_id", "subject_id", "period")
    )
    who = participants([s for s, _t in due])
    with translation.override(settings.LANGUAGE_CODE):
        for session, threshold in due:
            period = reminder_period(threshold)
            for employee in who.get(session.pk, []):
                if (employee.pk, session.pk, period) in sent:
                    result.already += 1
                    continue
                send_once(
                    kind=Kind.SESSION, employee=employee, period=period, subject_id=session.pk,
                    build=partial(
                        _message, session=session, employee=employee, threshold=threshold
                    ),
                    result=result,
                )  # fmt: skip
    logger.info("session reminders", extra=result.as_dict())
    return result
