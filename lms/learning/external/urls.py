"""Training done outside Sinau: submitted with evidence, verified, credited once."""

from django.urls import URLPattern, path

import lms.core.converters  # noqa: F401  (registers row_id)

from . import views

urlpatterns: list[URLPattern] = [
    path("pelatihan-eksternal/", views.external_list, name="external_list"),
    path("pelatihan-eksternal/baru/", views.external_create, name="external_create"),
    path("pelatihan-eksternal/<row_id:record_id>/", views.external_detail, name="external_detail"),
    path("pelatihan-eksternal/<row_id:record_id>/ubah/", views.external_edit, name="external_edit"),
    path(
        "pelatihan-eksternal/<row_id:record_id>/bukti/",
        views.external_evidence,
        name="external_evidence",
    ),
    path("kelola/pelatihan-eksternal/", views.external_queue, name="external_queue"),
    path(
        "kelola/pelatihan-eksternal/<row_id:record_id>/",
        views.external_review,
        name="external_review",
    ),
    path(
        "kelola/pelatihan-eksternal/<row_id:record_id>/verifikasi/",
        views.external_verify,
        name="external_verify",
    ),
    path(
        "kelola/pelatihan-eksternal/<row_id:record_id>/tolak/",
        views.external_reject,
        name="external_reject",
    ),
]
