"""Evaluation pages (namespace ``classroom``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path(
        "evaluasi/angkatan/<row_id:cohort_id>/", views.evaluation_cohort, name="evaluation_cohort"
    ),
    path("evaluasi/sesi/<row_id:session_id>/", views.evaluation_session, name="evaluation_session"),
    path("kelola/evaluasi/", views.evaluation_results, name="evaluation_results"),
    path("kelola/evaluasi/ekspor.xlsx", views.evaluation_export, name="evaluation_export"),
    path("mengajar/evaluasi/", views.evaluation_mine, name="evaluation_mine"),
]
