from typing import cast

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound

from lms.people import selectors
from lms.people.models import Employee
from lms.people.permissions import require_admin_scope

from .serializers import EmployeeOutputSerializer


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
