"""Turning a recurring programme's pattern into its sessions.

Run after every save of a programme: it adds the dates the pattern now has, brings the
sessions not yet signed off in line with the programme (time, place, JP, instructor), and
removes dates the pattern no longer has, unless someone already attended them: an
attendance is a record, and a signed-off session has credited JP.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import dateformat
from django.utils.translation import gettext as _

from lms.core.audit import audit_record
from lms.people.models import Employee

from .models import Series, Session

# More than eight years of weekly sessions is a typing error, not a programme.
MAX_SESSIONS = 420

# What a session takes from its programme; the sign-off freezes it.
SYNCED_FIELDS = (
    "ends_at", "mode", "venue", "meeting_url", "jp", "competency_type", "instructor_id",
)  # fmt: skip


def series_dates(
    *, recurrence: str, first_on: dt.date, last_on: dt.date, limit: int = MAX_SESSIONS + 1
) -> list[dt.date]:
    """Weekly: every seventh day from the first. Monthly: the first date's day of the month
    in each month; a month without that day (the 31st in April) has no session, rather
    than one moved to a day nobody chose. At most ``limit`` dates."""
    dates: list[dt.date] = []
    if recurrence == Series.Recurrence.WEEKLY:
        day = first_on
        while day <= last_on and len(dates) < limit:
            dates.append(day)
            day += dt.timedelta(weeks=1)
        return dates
    year, month = first_on.year, first_on.month
    while len(dates) < limit:
        try:
            on: dt.date | None = dt.date(year, month, first_on.day)
        except ValueError:
            on = None  # this month has no such day
        if on is not None:
            if on > last_on:
                break
            dates.append(on)
        elif dt.date(year, month, 1) > last_on:
            break
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return dates


def _local(day: dt.date, at: dt.time) -> dt.datetime:
    # The programme's times are the Pemda's wall-clock times, whatever the server's zone.
    return dt.datetime.combine(day, at, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def _title(series: Series, day: dt.date) -> str:
    return f"{series.title}, {dateformat.format(day, 'j F Y')}"


def series_schedule(*, actor: Employee | None, series: Series) -> list[Session]:
    """Make (or bring up to date) the programme's sessions; the new ones are returned.
    Running it twice creates nothing new: a session is matched on its start."""
    with transaction.atomic():
        series = Series.objects.select_for_update().get(pk=series.pk)
        dates = series_dates(
            recurrence=series.recurrence, first_on=series.first_on, last_on=series.last_on
        )
        if len(dates) > MAX_SESSIONS:
            raise ValidationError(
                _("Program ini akan membuat lebih dari %(max)d sesi; perpendek rentang tanggalnya.")
                % {"max": MAX_SESSIONS}
            )
        wanted = {_local(day, series.start_time): day for day in dates}
        existing = list(
            Session.objects.select_for_update().filter(series=series).order_by("starts_at")
        )
        by_start = {s.starts_at: s for s in existing}
        created: list[Session] = []
        updated = removed = 0
        for starts_at, day in wanted.items():
            values = {
                "ends_at": _local(day, series.end_time),
                "mode": series.mode,
                "venue": series.venue,
                "meeting_url": series.meeting_url,
                "jp": series.jp_per_session,
                "competency_type": series.competency_type,
                "instructor_id": series.instructor_id,
            }
            session = by_start.get(starts_at)
            if session is None:
                session = Session(series=series, title=_title(series, day), starts_at=starts_at)
                for field, value in values.items():
                    setattr(session, field, value)
                session.save()
                created.append(session)
                continue
            if session.signed_off_at is not None:
                continue
            changed = [f for f in SYNCED_FIELDS if getattr(session, f) != values[f]]
            if changed:
                for field in changed:
                    setattr(session, field, values[field])
                session.save(update_fields=[*changed, "updated_at"])
                updated += 1
        stale = [
            s.pk
            for s in existing
            if s.starts_at not in wanted and s.signed_off_at is None and s.cancelled_at is None
        ]
        if stale:
            # Evaluations are records too (and protect their session).
            removable = list(
                Session.objects.filter(
                    pk__in=stale, attendances__isnull=True, evaluations__isnull=True
                ).values_list("pk", flat=True)
            )
            Session.objects.filter(pk__in=removable).delete()
            removed = len(removable)
        audit_record(
            actor=actor, action="sinau.session.schedule", instance=series,
            data={"created": len(created), "updated": updated, "removed": removed},
        )  # fmt: skip
    return created
