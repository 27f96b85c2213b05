"""Typed factories: valid NIPs, an org tree with two OPDs, and the role accounts."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import factory

from lms.people.models import Employee, EmploymentType, JabatanKind, OrgUnit, Role
from lms.people.services import role_grant

PASSWORD = "kata-sandi-uji-123"
_sequence = itertools.count(1)


def valid_nip(
    *,
    birth: dt.date = dt.date(1988, 3, 14),
    appointed: tuple[int, int] = (2012, 4),
    sex: str = "1",
    sequence: int | None = None,
) -> str:
    seq = sequence if sequence is not None else next(_sequence) % 999 + 1
    return f"{birth:%Y%m%d}{appointed[0]}{appointed[1]:02d}{sex}{seq:03d}"


def valid_pppk_nip(*, birth: dt.date = dt.date(1990, 9, 13), sequence: int = 14) -> str:
    return f"{birth:%Y%m%d}202524{'2'}{sequence:03d}"


class OrgUnitFactory:
    @staticmethod
    def root(name: str = "Pemerintah Kabupaten Uji") -> OrgUnit:
        return OrgUnit.add_root(name=name, kind=OrgUnit.Kind.PEMDA)

    @staticmethod
    def child(parent: OrgUnit, name: str, kind: str = OrgUnit.Kind.UNIT) -> OrgUnit:
        parent.refresh_from_db()
        return parent.add_child(name=name, kind=kind)


class EmployeeFactory(factory.django.DjangoModelFactory[Employee]):
    class Meta:
        model = Employee
        django_get_or_create = ("nip",)

    nip = factory.LazyFunction(valid_nip)
    full_name = factory.Sequence(lambda n: f"Pegawai Uji {n}")
    email = factory.Sequence(lambda n: f"pegawai{n}@uji.go.id")
    employment_type = EmploymentType.PNS
    golongan = "III/a"
    jabatan = "Analis"
    jabatan_kind = JabatanKind.FUNGSIONAL
    password = factory.django.Password(PASSWORD)


def make_pemda() -> dict[str, Any]:
    """Two OPDs (A: Dinas Pendidikan, B: Dinas Kesehatan), each with a unit and staff."""
    root = OrgUnitFactory.root()
    opd_a = OrgUnitFactory.child(root, "Dinas Pendidikan", OrgUnit.Kind.OPD)
    unit_a = OrgUnitFactory.child(opd_a, "Bidang SD")
    opd_b = OrgUnitFactory.child(root, "Dinas Kesehatan", OrgUnit.Kind.OPD)
    unit_b = OrgUnitFactory.child(opd_b, "Bidang P2P")
    staff_a = [
        EmployeeFactory.create(org_unit=unit_a, full_name=f"Guru Andalas {i}") for i in range(3)
    ]
    staff_b = [
        EmployeeFactory.create(org_unit=unit_b, full_name=f"Perawat Bukit {i}") for i in range(3)
    ]
    admin_a = EmployeeFactory.create(org_unit=opd_a, full_name="Admin Pendidikan", is_staff=True)
    role_grant(actor=None, employee=admin_a, role=Role.OPD_ADMIN, org_unit=opd_a, reason="uji")
    auditor = EmployeeFactory.create(org_unit=root, full_name="Auditor BKPSDM", is_staff=True)
    role_grant(actor=None, employee=auditor, role=Role.AUDITOR, reason="uji")
    superuser = EmployeeFactory.create(
        org_unit=root, full_name="Super BKPSDM", is_staff=True, is_superuser=True
    )
    learner = staff_a[0]
    return {
        "root": root, "opd_a": opd_a, "unit_a": unit_a, "opd_b": opd_b, "unit_b": unit_b,
        "staff_a": staff_a, "staff_b": staff_b, "admin_a": admin_a, "auditor": auditor,
        "superuser": superuser, "learner": learner,
    }  # fmt: skip
