from django.urls import path

import lms.core.converters  # noqa: F401  (registers row_id)

from . import views

app_name = "certificates"

urlpatterns = [
    # Public: what the QR code on a certificate opens.
    path("verify/", views.verify_form, name="verify_form"),
    path("verify/<str:code>", views.verify, name="verify"),
    path("verify/<str:code>/", views.verify, name="verify_slash"),
    # The learner's own.
    path("sertifikat-saya/", views.mine, name="mine"),
    path("sertifikat/<row_id:certificate_id>/unduh/", views.download, name="download"),
    # BKPSDM and OPD admins.
    path("kelola/sertifikat/", views.admin_list, name="admin_list"),
    path("kelola/sertifikat/unduhan/", views.bundle_list, name="bundle_list"),
    path(
        "kelola/sertifikat/unduhan/<row_id:bundle_id>/", views.bundle_detail, name="bundle_detail"
    ),
    path(
        "kelola/sertifikat/unduhan/<row_id:bundle_id>/unduh/",
        views.bundle_download,
        name="bundle_download",
    ),
    path("kelola/sertifikat/<row_id:certificate_id>/", views.admin_detail, name="admin_detail"),
    path("kelola/sertifikat/<row_id:certificate_id>/cabut/", views.revoke, name="revoke"),
    path(
        "kelola/sertifikat/<row_id:certificate_id>/terbitkan-ulang/",
        views.reissue,
        name="reissue",
    ),
]
