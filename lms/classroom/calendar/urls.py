"""The learner's calendar: page, reset of the feed's address, and the feed itself."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("kalender/", views.calendar, name="calendar"),
    path("kalender/atur-ulang/", views.calendar_reset, name="calendar_reset"),
    path("kalender/<slug:token>.ics", views.calendar_feed, name="calendar_feed"),
]
