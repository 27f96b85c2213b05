from django.urls import include, path

from . import views
from .learner import urls as learner_urls  # registers the api_id path converter

app_name = "api"

urlpatterns = [
    path("auth/token/", views.TokenCreateApi.as_view(), name="token_create"),
    path("auth/token/revoke/", views.TokenRevokeApi.as_view(), name="token_revoke"),
    # The learner's own data (catalogue, enrolments, progress, heartbeats, quizzes, record).
    path("", include(learner_urls)),
    # OPD admins and BKPSDM auditors, within their scope.
    path("employees/", views.EmployeeListApi.as_view(), name="employee_list"),
    path("employees/<str:nip>/", views.EmployeeDetailApi.as_view(), name="employee_detail"),
    path("enrolments/", views.EnrolmentListApi.as_view(), name="enrolment_list"),
    path("ledger/", views.LedgerListApi.as_view(), name="ledger_list"),
    path("reports/compliance/", views.ComplianceReportApi.as_view(), name="compliance_report"),
    path(
        "reports/compliance/employees/",
        views.EmployeeComplianceApi.as_view(),
        name="compliance_employees",
    ),
    path("reports/courses/", views.CourseReportListApi.as_view(), name="course_report_list"),
    path(
        "reports/courses/<api_id:course_id>/",
        views.CourseReportDetailApi.as_view(),
        name="course_report_detail",
    ),
    path(
        "certificates/verify/<str:code>/",
        views.CertificateVerifyApi.as_view(),
        name="certificate_verify",
    ),
]
