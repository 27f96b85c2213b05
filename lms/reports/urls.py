from django.urls import path

import lms.core.converters  # noqa: F401  (registers row_id)

from . import course_views, views

app_name = "reports"

urlpatterns = [
    path("", views.compliance, name="compliance"),
    path("unit/<row_id:unit_id>/", views.unit_report, name="unit"),
    path("unduh/<slug:table>.<str:fmt>", views.download, name="download"),
    path("ekspor/", views.exports, name="exports"),
    path("ekspor/<row_id:export_id>/", views.export_detail, name="export_detail"),
    path("ekspor/<row_id:export_id>/unduh/", views.export_download, name="export_download"),
]

urlpatterns += course_views.urlpatterns
