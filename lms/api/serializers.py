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
