"""The learner's calendar page, its secret iCalendar feed and the feed's reset."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from lms.core.paging import paginate
from lms.people.models import Employee

from ..models import CalendarFeed
from . import feed, selectors, services


def _viewer(request: HttpRequest) -> Employee:
    return request.user  # type: ignore[return-value]


def _feed_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("classroom:calendar_feed", kwargs={"token": token}))


@login_required
@require_safe
def calendar(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    now = timezone.now()
    items = selectors.upcoming_for(viewer, now=now, days=selectors.PAGE_DAYS)
    subscription = services.calendar_feed_get(actor=viewer)
    feed_url = _feed_url(request, subscription.token)
    return render(
        request,
        "classroom/calendar/calendar.html",
        {
            "page": paginate(request, items),
            "now": now,
            "days": selectors.PAGE_DAYS,
            "feed_url": feed_url,
            "webcal_url": "webcal://" + feed_url.split("://", 1)[1],
        },
    )


@login_required
@require_POST
def calendar_reset(request: HttpRequest) -> HttpResponse:
    services.calendar_feed_reset(actor=_viewer(request))
    messages.success(
        request,
        _(
            "Alamat kalender Anda sudah diganti; alamat lama tidak berlaku lagi. "
            "Tambahkan alamat baru di aplikasi kalender Anda."
        ),
    )
    return redirect("classroom:calendar")


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """No login: calendar apps cannot log in, so the secret address is the key."""
    subscription = (
        CalendarFeed.objects.select_related("employee")
        .filter(token=token, employee__is_active=True)
        .first()
    )
    if subscription is None:
        raise Http404
    employee = subscription.employee
    items = selectors.upcoming_for(
        employee, now=timezone.now(), days=selectors.FEED_DAYS,
        past_days=selectors.FEED_PAST_DAYS, include_cancelled=True,
    )  # fmt: skip

    def page_link(page: Any) -> str:
        return request.build_absolute_uri(page.get_url(request) or "/")

    body = feed.build_feed(
        items,
        name=_("Sinau: %(name)s") % {"name": employee.full_name},
        page_link=page_link,
        calendar_url=request.build_absolute_uri(reverse("classroom:calendar")),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="sinau.ics"'
    # The address is a secret: no shared cache may keep it, nor search engine list it.
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex"
    return response
