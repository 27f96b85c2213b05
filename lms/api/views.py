from typing import Any, NoReturn, cast

from axes.helpers import get_client_ip_address
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from lms.certificates import selectors as certificate_selectors
from lms.people import selectors
from lms.people.models import Employee
from lms.people.permissions import require_admin_scope

from .serializers import (
    CertificateVerificationSerializer,
    EmployeeOutputSerializer,
    ErrorSerializer,
)


@extend_schema(parameters=[OpenApiParameter("q", str, description="nama, NIP, email, jabatan")])
class EmployeeListApi(generics.ListAPIView[Employee]):
    """Employees within the caller's scope (OPD admins: their subtree; auditors: all)."""

    serializer_class = EmployeeOutputSerializer

    def get_queryset(self) -> QuerySet[Employee]:
        scope = require_admin_scope(self.request.user)
        return selectors.employee_list(
            viewer=cast(Employee, self.request.user),
            scope=scope,
            search=self.request.query_params.get("q", "")[:100],
        )


class EmployeeDetailApi(generics.RetrieveAPIView[Employee]):
    serializer_class = EmployeeOutputSerializer

    def get_object(self) -> Employee:
        scope = require_admin_scope(self.request.user)
        try:
            return selectors.employee_get(
                viewer=cast(Employee, self.request.user),
                nip=self.kwargs["nip"],
                scope=scope,
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
        404: OpenApiResponse(ErrorSerializer, description="Unknown or malformed code."),
        429: OpenApiResponse(ErrorSerializer, description="Too many lookups; see Retry-After."),
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
