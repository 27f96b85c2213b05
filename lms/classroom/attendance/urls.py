"""URLs: filled in by this part."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
