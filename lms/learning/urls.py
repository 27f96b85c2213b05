from django.urls import path

import lms.core.converters  # noqa: F401  (registers row_id)

from . import views
from .external import urls as external_urls
from .mentoring import urls as mentoring_urls

app_name = "learning"

urlpatterns = [
    path("kursus-saya/", views.dashboard, name="dashboard"),
    path("rekam-kompetensi/", views.competency_record, name="competency_record"),
    path(
        "kelola/pegawai/<str:nip>/rekam-kompetensi/", views.employee_record, name="employee_record"
    ),
    path("kelola/", views.manage, name="manage"),
    path("kelola/buku-jp/", views.ledger, name="ledger"),
    path("kelola/buku-jp/<row_id:entry_id>/batalkan/", views.ledger_reverse, name="ledger_reverse"),
    path("kursus/<row_id:course_id>/daftar/", views.enrol, name="enrol"),
    path("pendaftaran/<row_id:enrolment_id>/batal/", views.withdraw, name="withdraw"),
    path("modul/<row_id:module_id>/selesai/", views.module_done, name="module_done"),
    path("kelola/persetujuan/", views.approvals, name="approvals"),
    path(
        "kelola/persetujuan/<row_id:enrolment_id>/putuskan/",
        views.approval_decide,
        name="approval_decide",
    ),
    path("kelola/penugasan/", views.assign, name="assign"),
]

urlpatterns += external_urls.urlpatterns + mentoring_urls.urlpatterns
