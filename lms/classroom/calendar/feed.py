"""The iCalendar (RFC 5545) document of a learner's calendar: sessions as timed events in
UTC, deadlines as all-day events. UIDs stay the same from one fetch to the next, so a
calendar app updates an event (a moved or cancelled session) instead of adding another."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from lms.learning.templatetags.learning_tags import jp
from lms.reports.reminders import site_url

from ..models import Session
from .selectors import CalendarItem, session_link, session_venue


def uid_host() -> str:
    """The site's host name: part of every UID, so that they are unique worldwide."""
    return urlsplit(site_url("/")).hostname or "sinau"


def session_where(session: Session) -> str:
    """Where to be: the venue, the meeting link, or both for a hybrid session."""
    return " · ".join(part for part in (session_venue(session), session_link(session)) if part)


def session_about(session: Session) -> str:
    """What the session belongs to: the angkatan and its course, or the programme."""
    if session.cohort is not None:
        return f"{session.cohort.name} — {session.cohort.course.title}"
    if session.series is not None:
        return _("Program %(title)s") % {"title": session.series.title}
    return _("Sesi terbuka untuk umum")


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


PageLink = Callable[[Any], str]


def _session_event(session: Session, *, host: str, calendar_url: str, page_link: PageLink) -> Event:
    event = Event()
    event.add("uid", f"session-{session.pk}@{host}")
    event.add("dtstamp", _utc(session.updated_at))
    event.add("last-modified", _utc(session.updated_at))
    event.add("dtstart", _utc(session.starts_at))
    event.add("dtend", _utc(session.ends_at))
    event.add("summary", session.title)
    where = session_where(session)
    if where:
        event.add("location", where)
    lines = [session_about(session), _("%(jp)s JP") % {"jp": jp(session.jp)}]
    lines.append(_("Bentuk: %(mode)s") % {"mode": session.get_mode_display()})
    if session.instructor is not None:
        lines.append(_("Instruktur: %(name)s") % {"name": session.instructor.name_with_gelar})
    if session_link(session):
        lines.append(_("Tautan: %(url)s") % {"url": session_link(session)})
    lines.append(_("Presensi: pindai kode QR yang ditampilkan instruktur."))
    event.add("description", "\n".join(lines))
    url = page_link(session.cohort.course) if session.cohort is not None else calendar_url
    event.add("url", url)
    if session.cancelled_at is not None:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    return event


def _deadline_event(
    item: CalendarItem, *, host: str, stamp: dt.datetime, page_link: PageLink
) -> Event:
    enrolment = item.enrolment
    assert enrolment is not None  # a deadline has its enrolment and its day
    assert item.day is not None
    event = Event()
    event.add("uid", f"{item.kind.replace('_', '-')}-{enrolment.pk}@{host}")
    event.add("dtstamp", stamp)
    event.add("dtstart", item.day)
    event.add("dtend", item.day + dt.timedelta(days=1))
    if item.kind == "due":
        event.add("summary", _("Tenggat kursus: %(course)s") % {"course": item.title})
    else:
        cohort = enrolment.cohort
        assert cohort is not None  # an angkatan's last day
        event.add(
            "summary",
            _("Hari terakhir %(cohort)s: %(course)s")
            % {"cohort": cohort.name, "course": item.title},
        )
    event.add("url", page_link(enrolment.course))
    event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    return event


def build_feed(
    items: Sequence[CalendarItem], *, name: str, page_link: PageLink, calendar_url: str
) -> bytes:
    """The feed's bytes; ``page_link`` gives a course page's absolute address."""
    host = uid_host()
    stamp = _utc(timezone.now()).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("prodid", "-//Sinau//Kalender Pembelajaran//ID")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    # Times are in UTC; this only tells calendar apps which zone to show them in.
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    for item in items:
        if item.session is not None:
            event = _session_event(
                item.session, host=host, calendar_url=calendar_url, page_link=page_link
            )
        else:
            event = _deadline_event(item, host=host, stamp=stamp, page_link=page_link)
        calendar.add_component(event)
    return calendar.to_ical()
