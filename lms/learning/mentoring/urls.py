"""Mentoring by an OPD leader: assigned, logged, signed off, approved, credited once.

Appended to the learning app's patterns (namespace "learning")."""

from django.urls import URLPattern, path

import lms.core.converters  # noqa: F401  (registers row_id)

from . import views

urlpatterns: list[URLPattern] = [
    # The mentor's and the mentee's own.
    path("pembimbingan/", views.mine, name="mentoring_mine"),
    path("pembimbingan/<row_id:assignment_id>/", views.detail, name="mentoring_view"),
    path(
        "pembimbingan/<row_id:assignment_id>/sesi/",
        views.session_add,
        name="mentoring_session_add",
    ),
    path(
        "pembimbingan/<row_id:assignment_id>/tandatangani/",
        views.sign_off,
        name="mentoring_sign_off",
    ),
    # OPD admins (their OPD), BKPSDM auditors (read only) and superusers.
    path("kelola/pembimbingan/", views.admin_list, name="mentoring_list"),
    path("kelola/pembimbingan/baru/", views.assign, name="mentoring_assign"),
    path(
        "kelola/pembimbingan/<row_id:assignment_id>/",
        views.admin_detail,
        name="mentoring_detail",
    ),
    path(
        "kelola/pembimbingan/<row_id:assignment_id>/setujui/",
        views.approve,
        name="mentoring_approve",
    ),
    path(
        "kelola/pembimbingan/<row_id:assignment_id>/kembalikan/",
        views.send_back,
        name="mentoring_send_back",
    ),
    path(
        "kelola/pembimbingan/<row_id:assignment_id>/batalkan/",
        views.cancel,
        name="mentoring_cancel",
    ),
]
