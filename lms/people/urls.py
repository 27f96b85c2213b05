from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "people"

urlpatterns = [
    path("masuk/", views.LoginView.as_view(), name="login"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("akun/", views.account, name="account"),
    path("kelola/pegawai/", views.employee_list, name="employee_list"),
    path("kelola/pegawai/ekspor.csv", views.employee_export, name="employee_export"),
    path("kelola/pegawai/<str:nip>/", views.employee_detail, name="employee_detail"),
    path("kelola/pegawai/<str:nip>/ubah/", views.employee_edit, name="employee_edit"),
    path("kelola/peran/", views.role_list, name="role_list"),
    path("kelola/peran/<int:pk>/cabut/", views.role_revoke, name="role_revoke"),
    path("kelola/impor/", views.import_new, name="import_new"),
    path("kelola/impor/<int:pk>/", views.import_detail, name="import_detail"),
    path("kelola/impor/<int:pk>/terapkan/", views.import_apply, name="import_apply"),
]
