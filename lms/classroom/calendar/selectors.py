"""What is coming up for a learner: the sessions they take part in and their deadlines,
read for the dashboard, the calendar page and the iCalendar feed alike."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from lms.learning.models import Enrolment
from lms.people.models import Employee

from ..models import Session
from ..services import check_in_window

# The iCalendar feed: what is past stays a while (a calendar app keeps what it was shown
# last, so a session dropped from the feed would vanish from it), and it looks further
# ahead than the page does.
FEED_PAST_DAYS = 30
FEED_DAYS = 180
PAGE_DAYS = 60


def session_venue(session: Session) -> str:
    """The session's own venue, or else its programme's (sessions made from a programme's
    pattern may leave it to the programme)."""
    if session.venue:
        return session.venue
    return session.series.venue if session.series is not None else ""


def session_link(session: Session) -> str:
    if session.meeting_url:
        return session.meeting_url
    return session.series.meeting_url if session.series is not None else ""


@dataclass(frozen=True)
class CalendarItem:
    """One entry: a session (with its times) or an all-day deadline (with its date)."""

    kind: str  # "session", "due" (an enrolment's due date) or "cohort_end"
    title: str
    sort_key: dt.datetime
    session: Session | None = None
    enrolment: Enrolment | None = None
    day: dt.date | None = None

    @property
    def is_session(self) -> bool:
        return self.session is not None

    @property
    def local_day(self) -> dt.date:
        if self.session is not None:
            return timezone.localdate(self.session.starts_at)
        assert self.day is not None  # a deadline always has its date
        return self.day

    @property
    def week_start(self) -> dt.date:
        """Monday of the item's week (Pemda time), to group the calendar page by week."""
        day = self.local_day
        return day - dt.timedelta(days=day.weekday())

    @property
    def venue(self) -> str:
        return session_venue(self.session) if self.session is not None else ""

    @property
    def meeting_url(self) -> str:
        return session_link(self.session) if self.session is not None else ""

    @property
    def cancelled(self) -> bool:
        return self.session is not None and self.session.cancelled_at is not None

    def check_in_open(self, now: dt.datetime) -> bool:
        if self.session is None or self.cancelled:
            return False
        opens, closes = check_in_window(self.session)
        return opens <= now <= closes


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def participant_sessions_q(employee: Employee) -> Q:
    """Sessions of the angkatan the employee actively takes part in, and sessions open to
    all (one-off and recurring programmes). A pending or finished enrolment gives none:
    the learner is not (or no longer) expected in the room."""
    active_cohorts = Enrolment.objects.filter(
        employee=employee, status=Enrolment.Status.ACTIVE, cohort__isnull=False
    ).values("cohort_id")
    return Q(cohort_id__in=active_cohorts) | Q(cohort__isnull=True)


def upcoming_for(
    employee: Employee,
    *,
    now: dt.datetime,
    days: int = 60,
    past_days: int = 0,
    include_cancelled: bool = False,
    limit: int | None = None,
) -> list[CalendarItem]:
    """The employee's sessions that have not ended yet (or ended within ``past_days``) and
    start within ``days``, and their deadlines in that span: due dates of open enrolments
    and the last day of each angkatan they take part in; sorted by time. Two queries,
    however many there are; ``limit`` reads no more sessions than it keeps."""
    since = now - dt.timedelta(days=past_days)
    until = now + dt.timedelta(days=days)
    sessions = (
        Session.objects.filter(participant_sessions_q(employee))
        .filter(ends_at__gte=since, starts_at__lt=until)
        .select_related("cohort__course", "series", "instructor")
        .order_by("starts_at", "pk")
    )
    if not include_cancelled:
        sessions = sessions.filter(cancelled_at__isnull=True)
    first_day, last_day = timezone.localdate(since), timezone.localdate(until)
    enrolments = (
        Enrolment.objects.filter(employee=employee)
        .filter(
            Q(status__in=Enrolment.OPEN_STATUSES, due_date__range=(first_day, last_day))
            | Q(
                status=Enrolment.Status.ACTIVE,
                cohort__isnull=False,
                cohort__ends_on__range=(first_day, last_day),
            )
        )
        .select_related("course", "cohort")
        .order_by("pk")
    )
    if limit is not None:
        sessions = sessions[:limit]  # a learner's open enrolments are few: all are read
    items = [
        CalendarItem(kind="session", title=s.title, sort_key=s.starts_at, session=s)
        for s in sessions
    ]
    for enrolment in enrolments:
        due = enrolment.due_date
        if due is not None and first_day <= due <= last_day:
            items.append(
                CalendarItem(
                    kind="due",
                    title=enrolment.course.title,
                    sort_key=_day_start(due),
                    enrolment=enrolment,
                    day=due,
                )  # fmt: skip
            )
        cohort = enrolment.cohort
        if (
            cohort is not None
            and enrolment.status == Enrolment.Status.ACTIVE
            and first_day <= cohort.ends_on <= last_day
        ):
            items.append(
                CalendarItem(
                    kind="cohort_end",
                    title=enrolment.course.title,
                    sort_key=_day_start(cohort.ends_on),
                    enrolment=enrolment,
                    day=cohort.ends_on,
                )  # fmt: skip
            )
    # All-day deadlines come first on their day, as calendar apps show them.
    items.sort(key=lambda item: (item.sort_key, item.is_session, item.title))
    return items[:limit] if limit is not None else items
