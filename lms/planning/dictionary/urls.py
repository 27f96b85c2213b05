"""The competency dictionary: what each competency means, which jabatan require it at which
level, which courses build it; and its XLSX import."""

from django.urls import URLPattern, path

import lms.core.converters  # noqa: F401  (registers row_id)

from . import views

urlpatterns: list[URLPattern] = [
    path("kelola/kompetensi/", views.dictionary_list, name="dictionary_list"),
    path("kelola/kompetensi/jabatan/", views.dictionary_jabatan, name="dictionary_jabatan"),
    path("kelola/kompetensi/impor/", views.dictionary_import, name="dictionary_import"),
    path(
        "kelola/kompetensi/impor/templat/",
        views.dictionary_template,
        name="dictionary_template",
    ),
    path(
        "kelola/kompetensi/<row_id:competency_id>/",
        views.dictionary_detail,
        name="dictionary_detail",
    ),
]
