"""Attendance: the instructor's pages under /mengajar/, the learner's check-in at /hadir/."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("mengajar/sesi/", views.session_list, name="attendance_sessions"),
    path("mengajar/sesi/<row_id:session_id>/", views.session_detail, name="attendance_session"),
    path("mengajar/sesi/<row_id:session_id>/tandai/", views.mark, name="attendance_mark"),
    path("mengajar/sesi/<row_id:session_id>/tambah/", views.add, name="attendance_add"),
    path(
        "mengajar/sesi/<row_id:session_id>/tandatangani/",
        views.sign_off,
        name="attendance_sign_off",
    ),  # fmt: skip
    path("mengajar/sesi/<row_id:session_id>/daftar-hadir.pdf", views.pdf, name="attendance_pdf"),
    path("mengajar/sesi/<row_id:session_id>/qr/", views.qr_screen, name="attendance_qr"),
    path("mengajar/sesi/<row_id:session_id>/qr.json", views.qr_json, name="attendance_qr_json"),
    path("hadir/<str:code>/", views.checkin, name="attendance_checkin"),
]
