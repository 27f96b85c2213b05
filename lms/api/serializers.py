from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lms.learning.models import Enrolment, JPEntry
from lms.people.models import GOLONGAN_CHOICES, Employee, EmploymentType, JabatanKind
from lms.reports.selectors import SORTS, ComplianceFilters, ComplianceReport, current_year

from .filters import ID_MAX, YEAR_MAX, YEAR_MIN


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


# --- Staff endpoints (OPD admins within their OPD, BKPSDM auditors across the Pemda) ------


class PersonSerializer(serializers.Serializer[Any]):
    """Whom a row is about: enough to find them in SIMPEG, nothing more."""

    nip = serializers.CharField()
    name = serializers.CharField(source="name_with_gelar")


class EnrolmentOutputSerializer(serializers.ModelSerializer[Enrolment]):
    employee = PersonSerializer(read_only=True)
    course = serializers.IntegerField(source="course_id", read_only=True)
    course_title = serializers.CharField(source="course.title", read_only=True)

    class Meta:
        model = Enrolment
        fields = [
            "id", "employee", "course", "course_title", "status", "source", "due_date",
            "started_at", "completed_at", "withdrawn_at", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class LedgerEntryOutputSerializer(serializers.ModelSerializer[JPEntry]):
    employee = PersonSerializer(read_only=True)
    jenis_diklat = serializers.IntegerField(
        source="jenis.code", allow_null=True, default=None, read_only=True,
        help_text="SIASN jenis diklat code (1-25).",
    )  # fmt: skip
    reverses = serializers.IntegerField(source="reverses_id", allow_null=True, read_only=True)

    class Meta:
        model = JPEntry
        fields = [
            "id", "employee", "year", "jp", "competency_type", "form", "jenis_diklat",
            "source_type", "source_id", "earned_on", "reverses", "note", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class ComplianceQuerySerializer(serializers.Serializer[Any]):
    """The compliance report's question: the year and the filters of the dashboard."""

    year = serializers.IntegerField(
        required=False, min_value=YEAR_MIN, max_value=YEAR_MAX,
        help_text="Default: this year.",
    )  # fmt: skip
    employment_type = serializers.ChoiceField(
        choices=EmploymentType.choices, required=False, allow_blank=True
    )
    jabatan_kind = serializers.ChoiceField(
        choices=JabatanKind.choices, required=False, allow_blank=True
    )
    golongan = serializers.ChoiceField(choices=GOLONGAN_CHOICES, required=False, allow_blank=True)
    org_unit = serializers.IntegerField(
        required=False, min_value=1, max_value=ID_MAX,
        help_text="A unit in your scope: its child units become the rows.",
    )  # fmt: skip

    def filters(self) -> ComplianceFilters:
        data = self.validated_data
        return ComplianceFilters(
            year=data.get("year") or current_year(),
            employment_type=data.get("employment_type", ""),
            jabatan_kind=data.get("jabatan_kind", ""),
            golongan=data.get("golongan", ""),
        )


class EmployeeComplianceQuerySerializer(ComplianceQuerySerializer):
    sort = serializers.ChoiceField(choices=sorted(SORTS), required=False, default="jp")


class FiguresSerializer(serializers.Serializer[Any]):
    asn = serializers.IntegerField(help_text="Employees counted.")
    met = serializers.IntegerField(help_text="Employees who met their year's JP target.")
    not_met = serializers.IntegerField()
    percent = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    jp_sum = serializers.DecimalField(max_digits=14, decimal_places=2)
    mean = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    median = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    teknis = serializers.DecimalField(max_digits=14, decimal_places=2)
    manajerial = serializers.DecimalField(max_digits=14, decimal_places=2)
    sosial_kultural = serializers.DecimalField(max_digits=14, decimal_places=2)
    pemerintahan = serializers.DecimalField(max_digits=14, decimal_places=2)
    klasikal = serializers.DecimalField(max_digits=14, decimal_places=2)
    non_klasikal = serializers.DecimalField(max_digits=14, decimal_places=2)
    courses_completed = serializers.IntegerField()
    external_jp = serializers.DecimalField(max_digits=14, decimal_places=2)
    pending = serializers.IntegerField(help_text="External trainings awaiting verification.")


class ComplianceRowSerializer(serializers.Serializer[Any]):
    org_unit = serializers.IntegerField(
        source="unit.pk", allow_null=True, default=None,
        help_text="The unit (ask again with org_unit=<this> for its children); null for "
        "staff with no unit.",
    )  # fmt: skip
    name = serializers.CharField(source="label")
    direct_only = serializers.BooleanField(
        source="rest", help_text="Staff placed directly in the unit, not in a unit below it."
    )
    figures = FiguresSerializer()


class MonthSerializer(serializers.Serializer[Any]):
    month = serializers.IntegerField(min_value=1, max_value=12)
    jp = serializers.DecimalField(max_digits=14, decimal_places=2)


class ComplianceReportSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField()
    org_unit = serializers.IntegerField(source="unit.pk", allow_null=True, default=None)
    targets = serializers.SerializerMethodField(
        help_text="The year's minimum JP per employment type."
    )
    totals = FiguresSerializer()
    rows = ComplianceRowSerializer(many=True)
    monthly = serializers.SerializerMethodField(help_text="JP credited per month earned.")

    @extend_schema_field(
        serializers.DictField(child=serializers.DecimalField(max_digits=6, decimal_places=2))
    )
    def get_targets(self, report: ComplianceReport) -> dict[str, str]:
        return {k: str(report.targets.for_type(k)) for k in EmploymentType.values}

    @extend_schema_field(MonthSerializer(many=True))
    def get_monthly(self, report: ComplianceReport) -> Any:
        months = [{"month": i, "jp": jp} for i, (_label, jp) in enumerate(report.monthly, 1)]
        return MonthSerializer(months, many=True).data


class EmployeeComplianceSerializer(serializers.Serializer[Any]):
    nip = serializers.CharField()
    name = serializers.CharField(source="name_with_gelar")
    org_unit = serializers.CharField(source="org_unit.name", default="")
    employment_type = serializers.CharField()
    jabatan_kind = serializers.CharField()
    golongan = serializers.CharField()
    jp = serializers.DecimalField(max_digits=8, decimal_places=2)
    target = serializers.DecimalField(max_digits=6, decimal_places=2)
    met = serializers.BooleanField()


class TokenInputSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=254, help_text="NIP or email.")
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenOutputSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text="Shown once: Sinau keeps only its hash.")
    expiry = serializers.DateTimeField(allow_null=True)
    nip = serializers.CharField()


class CourseReportQuerySerializer(serializers.Serializer[Any]):
    """The course report's question: enrolments of a year (default: every year) of learners
    in the caller's scope, or in one unit of it."""

    year = serializers.IntegerField(
        required=False, min_value=YEAR_MIN, max_value=YEAR_MAX,
        help_text="Enrolments made that year. Default: every year.",
    )  # fmt: skip
    org_unit = serializers.IntegerField(
        required=False, min_value=1, max_value=ID_MAX,
        help_text="A unit in your scope: only its learners (and those below it) count.",
    )  # fmt: skip


class CourseFiguresSerializer(serializers.Serializer[Any]):
    course = serializers.IntegerField(source="course_id")
    title = serializers.CharField()
    live = serializers.BooleanField(help_text="Published now (false: taken down, history kept).")
    learners = serializers.IntegerField()
    completed = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    completion_rate = serializers.DecimalField(
        source="rate", max_digits=4, decimal_places=1, allow_null=True, help_text="Percent."
    )
    avg_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    scored = serializers.IntegerField(help_text="Quiz results behind avg_score.")
    has_pre_post = serializers.BooleanField()
    paired = serializers.IntegerField(help_text="Learners with both a pre- and a post-test.")
    mean_pre = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    mean_post = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    mean_gain = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)


class CourseOpdFiguresSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(help_text="The OPD (or the learners' own unit above them).")
    learners = serializers.IntegerField()
    completed = serializers.IntegerField()
    completion_rate = serializers.DecimalField(
        source="rate", max_digits=4, decimal_places=1, allow_null=True
    )


class CourseModuleFiguresSerializer(serializers.Serializer[Any]):
    position = serializers.IntegerField()
    module = serializers.IntegerField(source="module_id")
    title = serializers.CharField()
    required_for_completion = serializers.BooleanField(source="required")
    started = serializers.IntegerField()
    completed = serializers.IntegerField()
    started_rate = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    completed_rate = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)


class CourseReportSerializer(serializers.Serializer[Any]):
    figures = CourseFiguresSerializer()
    opds = CourseOpdFiguresSerializer(many=True)
    modules = CourseModuleFiguresSerializer(
        many=True, help_text="Where learners stop, module by module."
    )
