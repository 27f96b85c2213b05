"""The demo Pemda: one Pemda, ten OPDs with their units, about 200 ASN and the role accounts.

Deterministic (a fixed random seed), so running it again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from .models import Employee, EmploymentType, JabatanKind, OrgUnit, Role
from .services import pemda_root_get_or_create, role_grant

OPDS: dict[str, list[str]] = {
    "Sekretariat Daerah": ["Bagian Umum", "Bagian Hukum"],
    "Dinas Pendidikan": ["Bidang Pembinaan SD", "Bidang Pembinaan SMP"],
    "Dinas Kesehatan": ["Bidang Pelayanan Kesehatan", "Bidang P2P"],
    "Dinas Pekerjaan Umum dan Penataan Ruang": ["Bidang Bina Marga", "Bidang Cipta Karya"],
    "Dinas Kependudukan dan Pencatatan Sipil": ["Bidang Pelayanan Pendaftaran Penduduk"],
    "Dinas Komunikasi dan Informatika": ["Bidang Aplikasi Informatika", "Bidang Statistik"],
    "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia": [
        "Bidang Pengembangan Kompetensi",
        "Bidang Mutasi dan Promosi",
    ],
    "Badan Perencanaan Pembangunan Daerah": ["Bidang Perencanaan Ekonomi"],
    "Inspektorat Daerah": ["Inspektur Pembantu Wilayah I"],
    "Kecamatan Sukamaju": ["Seksi Pemerintahan"],
}
FIRST = [
    "Agus", "Budi", "Dewi", "Eka", "Fitri", "Gilang", "Hendra", "Indah", "Joko", "Kartika",
    "Lestari", "Made", "Nur", "Putri", "Rahmat", "Sari", "Taufik", "Utami", "Wahyu", "Yuli",
]  # fmt: skip
LAST = [
    "Pratama", "Santoso", "Wulandari", "Hidayat", "Saputra", "Rahayu", "Nugroho", "Lestari",
    "Kurniawan", "Permata", "Siregar", "Simanjuntak", "Setiawan", "Handayani", "Firmansyah",
]  # fmt: skip
JABATAN = [
    ("Analis Kebijakan Ahli Muda", JabatanKind.FUNGSIONAL),
    ("Pranata Komputer Ahli Pertama", JabatanKind.FUNGSIONAL),
    ("Guru Ahli Pertama", JabatanKind.FUNGSIONAL),
    ("Perawat Terampil", JabatanKind.FUNGSIONAL),
    ("Pengadministrasi Perkantoran", JabatanKind.PELAKSANA),
    ("Penata Layanan Operasional", JabatanKind.PELAKSANA),
    ("Kepala Sub Bagian Umum", JabatanKind.STRUKTURAL),
    ("Kepala Bidang", JabatanKind.STRUKTURAL),
]
GOLONGAN = ["II/a", "II/c", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b"]
BACK_TITLES = ["", "", "S.Kom.", "S.E.", "S.Pd.", "S.Kep.", "M.Si.", "S.T., M.T.", "S.H."]


@dataclass(frozen=True)
class DemoAccount:
    label: str
    nip: str
    full_name: str
    opd: str
    role: str | None
    superuser: bool = False
    jabatan: str = ""  # the label stands in when empty


ACCOUNTS = [
    DemoAccount(
        "Superuser BKPSDM", "197804122003121001", "Bambang Wicaksono",
        "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", None, True,
    ),
    DemoAccount(
        "Auditor BKPSDM", "198203152006042002", "Ratna Kusumawati",
        "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", Role.AUDITOR,
    ),
    DemoAccount(
        "Admin OPD (Dinas Pendidikan)", "198507202010011003", "Yusuf Maulana",
        "Dinas Pendidikan", Role.OPD_ADMIN,
    ),
    DemoAccount(
        "Instruktur", "197905052005011004", "Sri Mulyani Hartati",
        "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", Role.INSTRUCTOR,
    ),
    DemoAccount(
        "Peserta", "199001012015032005", "Ayu Lestari", "Dinas Kesehatan", None,
        jabatan="Perawat Terampil",
    ),
    # Ayu's atasan langsung: assesses her AKPK.
    DemoAccount(
        "Atasan (Dinas Kesehatan)", "197711232002121006", "Dodi Firmansyah",
        "Dinas Kesehatan", None, jabatan="Kepala Bidang",
    ),
]  # fmt: skip


def _nip(rng: random.Random, sequence: int, pppk: bool) -> str:
    birth = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 35))
    sex = rng.choice("12")
    if pppk:
        year, contract = rng.randrange(2022, 2026), rng.randrange(1, 30)
        return f"{birth:%Y%m%d}{year}{contract:02d}{sex}{sequence:03d}"
    year = min(birth.year + rng.randrange(20, 30), 2025)
    return f"{birth:%Y%m%d}{year}{rng.randrange(1, 13):02d}{sex}{sequence:03d}"


def _units(root: OrgUnit) -> dict[str, OrgUnit]:
    """OPD name -> OPD; ``"OPD/unit"`` -> unit. Created once, found afterwards."""
    found: dict[str, OrgUnit] = {}
    for opd_name, unit_names in OPDS.items():
        opd = root.get_children().filter(name=opd_name).first()
        if opd is None:
            opd = root.add_child(name=opd_name, kind=OrgUnit.Kind.OPD)
            root.refresh_from_db()
        found[opd_name] = opd
        for unit_name in unit_names:
            unit = opd.get_children().filter(name=unit_name).first()
            if unit is None:
                unit = opd.add_child(name=unit_name, kind=OrgUnit.Kind.UNIT)
                opd.refresh_from_db()
            found[f"{opd_name}/{unit_name}"] = unit
    return found


@transaction.atomic
def seed_demo_pemda(employees: int = 200) -> list[DemoAccount]:
    rng = random.Random(20261124)  # noqa: S311 - demo data, not secrets
    root = pemda_root_get_or_create()
    units = _units(root)
    unit_keys = [k for k in units if "/" in k]
    existing = set(Employee.objects.values_list("nip", flat=True))
    new = []
    for i in range(1, employees + 1):
        pppk = i % 8 == 0
        nip = _nip(rng, i, pppk)
        jabatan, kind = rng.choice(JABATAN)
        golongan = rng.choice(["V", "VII", "IX", "X"]) if pppk else rng.choice(GOLONGAN)
        unit = units[rng.choice(unit_keys)]
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        back = rng.choice(BACK_TITLES)
        if nip in existing:
            continue
        employee = Employee(
            nip=nip, full_name=name, gelar_belakang=back,
            email=f"{name.lower().replace(' ', '.')}.{i}@demo.sinau.id",
            employment_type=EmploymentType.PPPK if pppk else EmploymentType.PNS,
            golongan=golongan, jabatan=jabatan, jabatan_kind=kind, org_unit=unit,
        )  # fmt: skip
        employee.set_unusable_password()
        employee.full_clean()
        new.append(employee)
    Employee.objects.bulk_create(new)

    for account in ACCOUNTS:
        employee = Employee.objects.filter(nip=account.nip).first()
        if employee is None:
            employee = Employee(
                nip=account.nip, full_name=account.full_name, org_unit=units[account.opd],
                email=f"{account.full_name.split()[0].lower()}@demo.sinau.id",
                employment_type=EmploymentType.PNS, golongan="III/c",
                jabatan=account.jabatan or account.label,
                jabatan_kind=JabatanKind.STRUKTURAL
                if account.jabatan.startswith("Kepala")
                else JabatanKind.FUNGSIONAL,
                is_staff=account.superuser or account.role is not None,
                is_superuser=account.superuser,
            )  # fmt: skip
            employee.set_password(settings.SINAU_DEMO_PASSWORD)
            employee.full_clean()
            employee.save()
        if account.role is not None:
            role_grant(
                actor=None, employee=employee, role=account.role,
                org_unit=units[account.opd] if account.role == Role.OPD_ADMIN else None,
                reason="Data demo",
            )  # fmt: skip
    return ACCOUNTS
