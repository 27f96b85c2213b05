from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from lms.core.models import TimeStampedModel

from .nip import normalise_nip, parse_nip


class OrgUnit(MP_Node):
    """Pemda -> OPD -> bidang/unit, as a materialised path so that a subtree is one prefix."""

    class Kind(models.TextChoices):
        PEMDA = "pemda", _("Pemda")
        OPD = "opd", _("OPD")
        UNIT = "unit", _("Bidang/unit")

    name = models.CharField(_("nama"), max_length=255)
    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices, default=Kind.UNIT)
    code = models.CharField(_("kode"), max_length=50, blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)

    node_order_by: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("unit organisasi")
        verbose_name_plural = _("daftar unit organisasi")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def opd_node(self) -> OrgUnit | None:
        """The OPD this unit belongs to (itself if it is one); None above the OPDs."""
        if self.kind == self.Kind.OPD:
            return self
        return self.get_ancestors().filter(kind=self.Kind.OPD).last()

    def subtree_filter(self, prefix: str = "") -> models.Q:
        """A Q matching rows whose org unit lies in this subtree (``prefix`` names the relation)."""
        return models.Q(**{f"{prefix}path__startswith": self.path})


class EmploymentType(models.TextChoices):
    PNS = "PNS", _("PNS")
    CPNS = "CPNS", _("CPNS")
    PPPK = "PPPK", _("PPPK")
    PPPK_PW = "PPPK_PW", _("PPPK paruh waktu")


class JabatanKind(models.TextChoices):
    STRUKTURAL = "struktural", _("Struktural")
    FUNGSIONAL = "fungsional", _("Fungsional")
    PELAKSANA = "pelaksana", _("Pelaksana")


# PNS golongan/ruang with their pangkat (PP 99/2000); PPPK golongan I-XVII (Perpres 98/2020).
PANGKAT = {
    "I/a": "Juru Muda",
    "I/b": "Juru Muda Tingkat I",
    "I/c": "Juru",
    "I/d": "Juru Tingkat I",
    "II/a": "Pengatur Muda",
    "II/b": "Pengatur Muda Tingkat I",
    "II/c": "Pengatur",
    "II/d": "Pengatur Tingkat I",
    "III/a": "Penata Muda",
    "III/b": "Penata Muda Tingkat I",
    "III/c": "Penata",
    "III/d": "Penata Tingkat I",
    "IV/a": "Pembina",
    "IV/b": "Pembina Tingkat I",
    "IV/c": "Pembina Utama Muda",
    "IV/d": "Pembina Utama Madya",
    "IV/e": "Pembina Utama",
}
PPPK_GOLONGAN = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX",
    "X", "XI", "XII", "XIII", "XIV", "XV", "XVI", "XVII",
]  # fmt: skip
GOLONGAN_CHOICES = [(g, f"{g} ({p})") for g, p in PANGKAT.items()] + [
    (g, _("PPPK golongan %(g)s") % {"g": g}) for g in PPPK_GOLONGAN
]


class EmployeeQuerySet(models.QuerySet["Employee"]):
    def active(self) -> EmployeeQuerySet:
        return self.filter(is_active=True)

    def in_unit(self, unit: OrgUnit) -> EmployeeQuerySet:
        return self.filter(unit.subtree_filter("org_unit__"))


class EmployeeManager(BaseUserManager.from_queryset(EmployeeQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def _create(self, nip: str, password: str | None, **fields: Any) -> Employee:
        if not nip:
            raise ValueError("NIP is required")
        fields["email"] = self.normalize_email(fields.get("email", "")).lower()
        employee = self.model(nip=normalise_nip(nip), **fields)
        employee.set_password(password)
        employee.full_clean(exclude=["password"])
        employee.save(using=self._db)
        return employee

    def create_user(self, nip: str, password: str | None = None, **fields: Any) -> Employee:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(nip, password, **fields)

    def create_superuser(self, nip: str, password: str | None = None, **fields: Any) -> Employee:
        fields["is_staff"] = True
        fields["is_superuser"] = True
        return self._create(nip, password, **fields)


class Employee(AbstractBaseUser, PermissionsMixin):
    """An ASN, and the account they log in with (by NIP or email)."""

    nip = models.CharField(
        _("NIP"),
        max_length=18,
        unique=True,
        help_text=_("18 digit tanpa spasi: NIP untuk PNS/CPNS, NI PPPK untuk PPPK."),
    )
    full_name = models.CharField(_("nama lengkap"), max_length=255)
    gelar_depan = models.CharField(_("gelar depan"), max_length=50, blank=True)
    gelar_belakang = models.CharField(_("gelar belakang"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("telepon"), max_length=30, blank=True)
    employment_type = models.CharField(
        _("jenis pegawai"), max_length=10, choices=EmploymentType.choices,
        default=EmploymentType.PNS,
    )  # fmt: skip
    golongan = models.CharField(_("golongan"), max_length=6, choices=GOLONGAN_CHOICES, blank=True)
    jabatan = models.CharField(_("jabatan"), max_length=255, blank=True)
    jabatan_kind = models.CharField(
        _("jenis jabatan"), max_length=12, choices=JabatanKind.choices, blank=True
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit kerja"),
        on_delete=models.PROTECT,
        related_name="employees",
        null=True,
        blank=True,
    )
    # Atasan langsung: who assesses this employee's competencies in the AKPK.
    supervisor = models.ForeignKey(
        "self", verbose_name=_("atasan langsung"), on_delete=models.SET_NULL,
        related_name="subordinates", null=True, blank=True,
    )  # fmt: skip
    is_active = models.BooleanField(_("aktif"), default=True)
    is_staff = models.BooleanField(
        _("akses admin"), default=False, help_text=_("Boleh membuka admin Wagtail.")
    )
    date_joined = models.DateTimeField(_("terdaftar"), default=timezone.now)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True)

    objects = EmployeeManager()

    USERNAME_FIELD = "nip"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("pegawai")
        verbose_name_plural = _("daftar pegawai")
        ordering = ["full_name", "nip"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="employee_email_unique_when_set",
                violation_error_message=_("Email ini sudah dipakai pegawai lain."),
            ),
            models.CheckConstraint(
                condition=models.Q(nip__regex=r"^[0-9]{18}$"),
                name="employee_nip_18_digits",
                violation_error_message=_("NIP harus 18 digit."),
            ),
        ]
        indexes = [models.Index(fields=["org_unit", "is_active"])]

    def __str__(self) -> str:
        return f"{self.name_with_gelar} ({self.nip})"

    def clean(self) -> None:
        super().clean()
        self.nip = normalise_nip(self.nip)
        self.email = (self.email or "").strip().lower()
        try:
            parse_nip(self.nip, self.employment_type)
        except ValidationError as exc:
            raise ValidationError({"nip": exc.messages}) from None
        if self.golongan:
            pppk = self.employment_type in (EmploymentType.PPPK, EmploymentType.PPPK_PW)
            if pppk != (self.golongan in PPPK_GOLONGAN):
                raise ValidationError(
                    {"golongan": _("Golongan %(g)s tidak sesuai dengan jenis pegawai %(t)s.")
                     % {"g": self.golongan, "t": self.employment_type}}
                )  # fmt: skip

    @property
    def name_with_gelar(self) -> str:
        name = f"{self.gelar_depan} {self.full_name}".strip()
        return f"{name}, {self.gelar_belakang}" if self.gelar_belakang else name

    def get_full_name(self) -> str:
        return self.name_with_gelar

    def get_short_name(self) -> str:
        return self.full_name

    @property
    def pangkat(self) -> str:
        return PANGKAT.get(self.golongan, "")

    @property
    def nip_display(self) -> str:
        """As an SK prints it: ``19860926 201505 1 001``; PPPK ``19900913 2025 24 2 014``."""
        n = self.nip
        if self.employment_type in (EmploymentType.PPPK, EmploymentType.PPPK_PW):
            return f"{n[:8]} {n[8:12]} {n[12:14]} {n[14]} {n[15:]}"
        return f"{n[:8]} {n[8:14]} {n[14]} {n[15:]}"


class Role(models.TextChoices):
    INSTRUCTOR = "instructor", _("Instruktur")
    OPD_ADMIN = "opd_admin", _("Admin OPD")
    AUDITOR = "auditor", _("Auditor BKPSDM")


# The Wagtail/Django group that carries each role's admin permissions.
ROLE_GROUPS: dict[str, str] = {
    Role.INSTRUCTOR: "Instruktur",
    Role.OPD_ADMIN: "Admin OPD",
    Role.AUDITOR: "Auditor BKPSDM",
}


class RoleAssignment(TimeStampedModel):
    """A role beyond learner. An OPD admin's scope is the subtree of ``org_unit``."""

    employee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("peran"), max_length=20, choices=Role.choices)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("lingkup unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("penugasan peran")
        verbose_name_plural = _("daftar penugasan peran")
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "role", "org_unit"], name="role_assignment_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(role="opd_admin") | models.Q(org_unit__isnull=False),
                name="opd_admin_needs_org_unit",
                violation_error_message=_("Admin OPD harus punya lingkup unit."),
            ),
        ]

    def __str__(self) -> str:
        scope = f" — {self.org_unit}" if self.org_unit_id else ""
        return f"{self.get_role_display()}{scope}"


def import_upload_to(instance: EmployeeImport, filename: str) -> str:
    return f"imports/employees/{timezone.now():%Y/%m}/{filename}"


class EmployeeImport(TimeStampedModel):
    """One bulk import of employees and org units, run by a Celery task with progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Menunggu")
        RUNNING = "running", _("Berjalan")
        DONE = "done", _("Selesai")
        FAILED = "failed", _("Gagal")

    file = models.FileField(_("berkas"), upload_to=import_upload_to)
    original_name = models.CharField(_("nama berkas"), max_length=255)
    dry_run = models.BooleanField(_("pratinjau saja"), default=True)
    deactivate_missing = models.BooleanField(
        _("nonaktifkan pegawai yang tidak ada di berkas"), default=False
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(_("baru"), default=0)
    updated_count = models.PositiveIntegerField(_("diperbarui"), default=0)
    unchanged_count = models.PositiveIntegerField(_("tetap"), default=0)
    deactivated_count = models.PositiveIntegerField(_("dinonaktifkan"), default=0)
    org_units_created = models.PositiveIntegerField(_("unit baru"), default=0)
    error_count = models.PositiveIntegerField(_("baris bermasalah"), default=0)
    # [{"row": 7, "nip": "...", "errors": ["..."]}], capped so a garbage file cannot bloat a row
    row_errors = models.JSONField(default=list, blank=True)
    failure = models.TextField(_("alasan gagal"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="employee_imports",
    )  # fmt: skip
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("impor pegawai")
        verbose_name_plural = _("daftar impor pegawai")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
