from django.urls import path, register_converter

from . import views


class RowIdConverter:
    """A database id: at most 18 digits, so a pasted giant number is a 404, not an overflow."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RowIdConverter, "row_id")

app_name = "learning"

urlpatterns = [
    path("kursus-saya/", views.dashboard, name="dashboard"),
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
