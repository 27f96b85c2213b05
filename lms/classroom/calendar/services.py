"""The secret address of a learner's iCalendar feed: made on first use, replaced on
request (a shared or leaked address then stops working)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from lms.people.models import Employee

from ..models import CalendarFeed


def calendar_feed_get(*, actor: Employee) -> CalendarFeed:
    """The actor's feed, made the first time they ask; two first visits at once end with
    the same one."""
    feed = CalendarFeed.objects.filter(employee=actor).first()
    if feed is not None:
        return feed
    try:
        with transaction.atomic():
            return CalendarFeed.objects.create(employee=actor)
    except IntegrityError:
        return CalendarFeed.objects.get(employee=actor)


@transaction.atomic
def calendar_feed_reset(*, actor: Employee) -> CalendarFeed:
    """A new address for the actor's feed; the old one answers 404 from now on. A new
    row rather than a new token on the old one: the creation time tells when the address
    in use was made."""
    CalendarFeed.objects.filter(employee=actor).delete()
    feed = CalendarFeed(employee=actor)
    feed.full_clean()
    feed.save()
    return feed
