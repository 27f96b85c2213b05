"""OPD training proposals, their decisions and BKPSDM's queue of likely duplicates."""

from django.urls import URLPattern, path

import lms.core.converters  # noqa: F401  (registers row_id)

from . import views

urlpatterns: list[URLPattern] = [
    path("kelola/usulan/", views.proposal_list, name="proposal_list"),
    path("kelola/usulan/baru/", views.proposal_create, name="proposal_create"),
    path("kelola/usulan/duplikat/", views.proposal_duplicates, name="proposal_duplicates"),
    path(
        "kelola/usulan/duplikat/<row_id:pair_id>/bukan-duplikat/",
        views.proposal_not_duplicate,
        name="proposal_not_duplicate",
    ),
    path(
        "kelola/usulan/duplikat/<row_id:pair_id>/gabungkan/",
        views.proposal_merge,
        name="proposal_merge",
    ),
    path("kelola/usulan/<row_id:proposal_id>/", views.proposal_detail, name="proposal_detail"),
    path("kelola/usulan/<row_id:proposal_id>/ubah/", views.proposal_edit, name="proposal_edit"),
    path(
        "kelola/usulan/<row_id:proposal_id>/ajukan/",
        views.proposal_submit,
        name="proposal_submit",
    ),
    path(
        "kelola/usulan/<row_id:proposal_id>/setujui/",
        views.proposal_approve,
        name="proposal_approve",
    ),
    path(
        "kelola/usulan/<row_id:proposal_id>/kembalikan/",
        views.proposal_return,
        name="proposal_return",
    ),
    path(
        "kelola/usulan/<row_id:proposal_id>/tolak/",
        views.proposal_reject,
        name="proposal_reject",
    ),
]
