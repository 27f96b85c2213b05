"""AKPK: the employee's self-assessment, the atasan's assessment, the OPD's submission to
BKPSDM and the assessment-centre import. Names carry the ``akpk_`` prefix in "planning"."""

from django.urls import URLPattern, path

import lms.core.converters  # noqa: F401  (registers row_id)

from . import views

urlpatterns: list[URLPattern] = [
    path("akpk/", views.akpk_mine, name="akpk_mine"),
    path("akpk/mulai/", views.akpk_start, name="akpk_start"),
    path("akpk/bawahan/", views.akpk_team, name="akpk_team"),
    path("akpk/<row_id:akpk_id>/simpan/", views.akpk_save, name="akpk_save"),
    path("akpk/<row_id:akpk_id>/nilai/", views.akpk_assess, name="akpk_assess"),
    path("akpk/<row_id:akpk_id>/kembalikan/", views.akpk_reopen, name="akpk_reopen"),
    path("akpk/<row_id:akpk_id>/kebutuhan/", views.akpk_need_add, name="akpk_need_add"),
    path(
        "akpk/<row_id:akpk_id>/kebutuhan/<row_id:item_id>/hapus/",
        views.akpk_need_remove,
        name="akpk_need_remove",
    ),
    path("kelola/akpk/", views.akpk_manage, name="akpk_manage"),
    path("kelola/akpk/kirim/", views.akpk_opd_submit, name="akpk_opd_submit"),
    path(
        "kelola/akpk/pengiriman/<row_id:submission_id>/kembalikan/",
        views.akpk_opd_return,
        name="akpk_opd_return",
    ),
    path("kelola/akpk/impor-ac/", views.akpk_centre_import, name="akpk_centre_import"),
    path(
        "kelola/akpk/impor-ac/<row_id:import_id>/",
        views.akpk_centre_result,
        name="akpk_centre_result",
    ),
    path("kelola/akpk/<row_id:akpk_id>/", views.akpk_detail, name="akpk_detail"),
]
