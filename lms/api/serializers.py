from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lms.people.models import Employee


class EmployeeOutputSerializer(serializers.ModelSerializer[Employee]):
    name_with_gelar = serializers.CharField(read_only=True)
    org_unit = serializers.CharField(source="org_unit.name", default="", read_only=True)

    class Meta:
        model = Employee
        fields = [
            "nip", "full_name", "gelar_depan", "gelar_belakang", "name_with_gelar", "email",
            "employment_type", "golongan", "jabatan", "jabatan_kind", "org_unit", "is_active",
        ]  # fmt: skip
        read_only_fields = fields


class CertificateVerificationSerializer(serializers.Serializer[Any]):
    """What a verifier may know about a certificate: never the full NIP, never an email."""

    status = serializers.ChoiceField(
        choices=["valid", "revoked", "replaced"],
        help_text="valid: sah; revoked: dicabut; replaced: diganti terbitan baru.",
    )
    status_label = serializers.CharField(help_text="Status in the request's language.")
    holder_name = serializers.CharField(help_text="Name with gelar, as printed.")
    holder_nip_masked = serializers.CharField(
        source="holder_nip", help_text="First 4 and last 3 digits only."
    )
    course = serializers.CharField()
    jp = serializers.DecimalField(max_digits=6, decimal_places=2)
    competency_type = serializers.CharField()
    completed_on = serializers.DateField()
    number = serializers.CharField()
    issuer = serializers.CharField()
    issued_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoke_reason = serializers.CharField(allow_blank=True)
    replaced_by_number = serializers.CharField(allow_null=True)
    replaced_by_url = serializers.SerializerMethodField()
    verify_url = serializers.SerializerMethodField()

    def _url(self, code: str | None) -> str | None:
        if not code:
            return None
        path = reverse("certificates:verify", kwargs={"code": code})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(OpenApiTypes.URI)
    def get_replaced_by_url(self, obj: Any) -> str | None:
        return self._url(obj.replaced_by_code)

    @extend_schema_field(OpenApiTypes.URI)
    def get_verify_url(self, obj: Any) -> str:
        return self._url(obj.code) or ""


class ErrorSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
