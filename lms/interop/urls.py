"""BKPSDM's outbox page."""

from django.urls import URLPattern, path

import lms.core.converters  # noqa: F401  (registers row_id)

from . import views

app_name = "interop"

urlpatterns: list[URLPattern] = [
    path("kelola/kotak-keluar/", views.outbox_list, name="outbox_list"),
    path(
        "kelola/kotak-keluar/<row_id:message_id>/kirim-ulang/",
        views.outbox_requeue,
        name="outbox_requeue",
    ),
]
