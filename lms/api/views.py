from typing import Any, NoReturn, cast

from axes.helpers import get_client_ip_address
from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_serializers import (
    ErrorResponse404Serializer,
    ErrorResponse429Serializer,
)
from knox.models import AuthToken
from rest_framework import generics, serializers
from rest_framework.exceptions import AuthenticationFailed, NotFound, Throttled, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle
from rest_framework.views import APIView

from lms.certificates import selectors as certificate_selectors
from lms.learning.models import Enrolment, JPEntry
from lms.people import selectors as people_selectors
from lms.people.models import Employee, OrgUnit
from lms.people.selectors import Scope
from lms.reports import courses as course_reports
from lms.reports import selectors as report_selectors

from . import selectors, services
from .filters import EmployeeFilter, EnrolmentFilter, LedgerFilter
from .inputs import validated, validated_query
from .permissions import InAdminScope, request_scope
from .serializers import (
    CertificateVerificationSerializer,
    ComplianceQuerySerializer,
    ComplianceReportSerializer,
    CourseFiguresSerializer,
    CourseReportQuerySerializer,
    CourseReportSerializer,
    EmployeeComplianceQuerySerializer,
    EmployeeComplianceSerializer,
    EmployeeOutputSerializer,
    EnrolmentOutputSerializer,
    LedgerEntryOutputSerializer,
    TokenInputSerializer,
    TokenOutputSerializer,
)


@extend_schema(summary="Employees in my scope", tags=["staff"])
class EmployeeListApi(generics.ListAPIView[Employee]):
    """OPD admins see their OPD's subtree; BKPSDM auditors the whole Pemda."""

    serializer_class = EmployeeOutputSerializer
    permission_classes = [IsAuthenticated, InAdminScope]
    filterset_class = EmployeeFilter

    def get_queryset(self) -> QuerySet[Employee]:
        if getattr(self, "swagger_fake_view", False):
            return Employee.objects.none()
        return people_selectors.employee_list(
            viewer=cast(Employee, self.request.user), scope=request_scope(self.request)
        )


@extend_schema(summary="One employee in my scope", tags=["staff"])
class EmployeeDetailApi(generics.RetrieveAPIView[Employee]):
    serializer_class = EmployeeOutputSerializer
    permission_classes = [IsAuthenticated, InAdminScope]
    queryset = Employee.objects.none()  # the schema's model; rows come from get_object

    def get_object(self) -> Employee:
        try:
            return people_selectors.employee_get(
                viewer=cast(Employee, self.request.user),
                nip=self.kwargs["nip"],
                scope=request_scope(self.request),
            )
        except Employee.DoesNotExist:
            raise NotFound(_("Pegawai tidak ditemukan.")) from None


class CertificateVerifyThrottle(BaseThrottle):
    """The verification page's budget (SINAU_CERTIFICATE_VERIFY_RATE lookups per client IP
    per window), counted in the same cache entry: switching to the API does not double it."""

    scope = "certificate_verify"

    def __init__(self) -> None:
        self._wait = 0

    def allow_request(self, request: Request, view: APIView) -> bool:
        client = get_client_ip_address(request) or ""
        self._wait = certificate_selectors.verify_throttle(client=client)
        return self._wait == 0

    def wait(self) -> float | None:
        return float(self._wait) if self._wait else None


@extend_schema(
    summary="Verify a certificate",
    description=(
        "Public, no login. What the QR code on a certificate leads to: whether the certificate "
        "is valid, revoked (with date and reason) or replaced by a newer one (with its number). "
        "An unknown or malformed code gives 404 with nothing else. Rate-limited per client IP "
        "together with the /verify/ page: 429 with Retry-After when over the limit."
    ),
    auth=[],
    responses={
        200: CertificateVerificationSerializer,
        404: OpenApiResponse(ErrorResponse404Serializer, description="Unknown or malformed code."),
        429: OpenApiResponse(
            ErrorResponse429Serializer, description="Too many lookups; see Retry-After."
        ),
    },
)
class CertificateVerifyApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [CertificateVerifyThrottle]

    def get(self, request: Request, code: str) -> Response:
        verification = certificate_selectors.certificate_verification(code=code)
        if verification is None:
            raise NotFound(_("Sertifikat tidak ditemukan."))
        serializer = CertificateVerificationSerializer(verification, context={"request": request})
        response = Response(serializer.data)
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def throttled(self, request: Request, wait: float | None) -> NoReturn:
        raise Throttled(
            wait=wait,
            detail=_(
                "Terlalu banyak pemeriksaan sertifikat dari alamat Anda. Coba lagi sebentar lagi."
            ),
        )


# --- Tokens ---------------------------------------------------------------------------


@extend_schema(
    summary="Get an API token",
    description=(
        "Log in with NIP (or email) and password; the answer holds a new token, to send as "
        "`Authorization: Token <token>`, and when it expires. The token is shown this once "
        "(Sinau keeps only its hash). An employee holds a few live tokens at most: revoke "
        "one before asking for another. Failed attempts count towards the account lockout "
        "of the login page."
    ),
    auth=[],
    request=TokenInputSerializer,
    responses={201: TokenOutputSerializer},
    tags=["auth"],
)
class TokenCreateApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    def get_authenticate_header(self, request: Request) -> str:
        return "Token"  # a wrong password is a 401, as for a bad token elsewhere

    def post(self, request: Request) -> Response:
        data = validated(TokenInputSerializer, request.data)
        employee = authenticate(
            request._request, username=data["username"], password=data["password"]
        )
        if employee is None:
            # A lockout is answered by the axes middleware (429); this is a plain failure.
            raise AuthenticationFailed(_("NIP/email atau kata sandi salah."))
        try:
            issued = services.api_token_issue(employee=cast(Employee, employee))
        except services.TokenLimitReached as exc:
            raise ValidationError({"non_field_errors": [str(exc)]}, code="invalid") from None
        output = {"token": issued.key, "expiry": issued.token.expiry, "nip": employee.nip}
        return Response(TokenOutputSerializer(output).data, status=201)


@extend_schema(
    summary="Revoke API tokens",
    description=(
        "Called with a token: that token stops working. Called from a logged-in browser "
        "session: every token of the employee stops working."
    ),
    request=None,
    responses={204: None},
    tags=["auth"],
)
class TokenRevokeApi(APIView):
    def delete(self, request: Request) -> Response:
        token = request.auth if isinstance(request.auth, AuthToken) else None
        services.api_token_revoke(employee=cast(Employee, request.user), token=token)
        return Response(status=204)


# --- Staff: enrolments, ledger, reports ------------------------------------------------


class StaffListApi(generics.ListAPIView[Any]):
    permission_classes = [IsAuthenticated, InAdminScope]

    @property
    def scope(self) -> Scope:
        return request_scope(self.request)


@extend_schema(summary="Enrolments of employees in my scope", tags=["staff"])
class EnrolmentListApi(StaffListApi):
    serializer_class = EnrolmentOutputSerializer
    filterset_class = EnrolmentFilter

    def get_queryset(self) -> QuerySet[Enrolment]:
        if getattr(self, "swagger_fake_view", False):
            return Enrolment.objects.none()
        return selectors.enrolments_in_scope(scope=self.scope)


@extend_schema(
    summary="JP ledger entries of employees in my scope",
    description=(
        "Append-only: a correction is a new entry whose `reverses` names the entry it undoes "
        "(with negative JP)."
    ),
    tags=["staff"],
)
class LedgerListApi(StaffListApi):
    serializer_class = LedgerEntryOutputSerializer
    filterset_class = LedgerFilter

    def get_queryset(self) -> QuerySet[JPEntry]:
        if getattr(self, "swagger_fake_view", False):
            return JPEntry.objects.none()
        return selectors.ledger_in_scope(scope=self.scope)


def _report_unit(scope: Scope, query: serializers.Serializer[Any]) -> OrgUnit | None:
    unit_id = query.validated_data.get("org_unit")
    if unit_id is None:
        return None
    unit = report_selectors.unit_in_scope(scope=scope, unit_id=unit_id)
    if unit is None:
        raise ValidationError({"org_unit": [_("Unit kerja tidak ditemukan dalam cakupan Anda.")]})
    return unit


@extend_schema(
    summary="The 20 JP compliance report",
    description=(
        "What the BKPSDM dashboard shows: for the year, how many employees met their JP "
        "target, per OPD in your scope (or per child unit of `org_unit`), with totals, JP per "
        "competency type and form, and JP per month."
    ),
    responses={200: ComplianceReportSerializer},
    tags=["staff"],
)
class ComplianceReportApi(APIView):
    permission_classes = [IsAuthenticated, InAdminScope]
    query_serializer_class = ComplianceQuerySerializer

    def get(self, request: Request) -> Response:
        query = validated_query(ComplianceQuerySerializer, request)
        scope = request_scope(request)
        unit = _report_unit(scope, query)
        report = report_selectors.compliance_report(scope=scope, filters=query.filters(), unit=unit)
        return Response(ComplianceReportSerializer(report).data)


@extend_schema(
    summary="Each employee's JP against the target",
    responses={200: EmployeeComplianceSerializer(many=True)},
    tags=["staff"],
)
class EmployeeComplianceApi(StaffListApi):
    serializer_class = EmployeeComplianceSerializer
    filter_backends: list[Any] = []
    query_serializer_class = EmployeeComplianceQuerySerializer

    def get_queryset(self) -> QuerySet[Employee]:
        if getattr(self, "swagger_fake_view", False):
            return Employee.objects.none()
        query = validated_query(EmployeeComplianceQuerySerializer, self.request)
        unit = _report_unit(self.scope, query)
        return report_selectors.employee_compliance(
            scope=self.scope, filters=query.filters(), unit=unit, sort=query.validated_data["sort"]
        )


def _course_filters(
    scope: Scope, query: CourseReportQuerySerializer
) -> course_reports.CourseFilters:
    unit = _report_unit(scope, query)
    return course_reports.CourseFilters(year=query.validated_data.get("year"), org_unit=unit)


@extend_schema(
    summary="Course figures for my scope",
    description=(
        "Each course (published, or taken down with history) with its learners in your "
        "scope: enrolled, completed, withdrawn, completion rate, average quiz score and the "
        "pre/post-test gain."
    ),
    responses={200: CourseFiguresSerializer(many=True)},
    tags=["staff"],
)
class CourseReportListApi(StaffListApi):
    serializer_class = CourseFiguresSerializer
    filter_backends: list[Any] = []
    query_serializer_class = CourseReportQuerySerializer

    def get_queryset(self) -> QuerySet[Any]:
        return course_reports.reported_courses()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = validated_query(CourseReportQuerySerializer, request)
        filters = _course_filters(self.scope, query)
        page = self.paginate_queryset(self.get_queryset())
        rows = course_reports.course_rows(scope=self.scope, filters=filters, courses=page or [])
        return self.get_paginated_response(CourseFiguresSerializer(rows, many=True).data)


@extend_schema(
    summary="One course's report for my scope",
    description="Its figures, its learners per OPD, and module by module where they stop.",
    responses={200: CourseReportSerializer},
    tags=["staff"],
)
class CourseReportDetailApi(APIView):
    permission_classes = [IsAuthenticated, InAdminScope]
    query_serializer_class = CourseReportQuerySerializer

    def get(self, request: Request, course_id: int) -> Response:
        query = validated_query(CourseReportQuerySerializer, request)
        scope = request_scope(request)
        filters = _course_filters(scope, query)
        course = course_reports.reported_courses().filter(pk=course_id).first()
        if course is None:
            raise NotFound(_("Kursus tidak ditemukan."))
        report = course_reports.course_report(scope=scope, filters=filters, course=course)
        return Response(CourseReportSerializer(report).data)
