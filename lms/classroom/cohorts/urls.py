"""Angkatan pages of learners."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("angkatan/<row_id:cohort_id>/", views.cohort_detail, name="cohort_detail"),
    path("angkatan/<row_id:cohort_id>/daftar/", views.cohort_join, name="cohort_enrol"),
]
