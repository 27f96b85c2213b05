from django.urls import path

from . import views

app_name = "api"

urlpatterns = [
    path("employees/", views.EmployeeListApi.as_view(), name="employee_list"),
    path("employees/<str:nip>/", views.EmployeeDetailApi.as_view(), name="employee_detail"),
    path(
        "certificates/verify/<str:code>/",
        views.CertificateVerifyApi.as_view(),
        name="certificate_verify",
    ),
]
