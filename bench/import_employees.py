"""How fast ``employees_import`` takes a 50,000-row SIASN export, against a bare bulk insert.

Run: ``.venv/bin/python -m bench.import_employees`` (PostgreSQL on 127.0.0.1:5432 as
``postgres``, or the server in ``BENCH_DATABASE_URL``). The baseline is measured in the same
run, because on a shared machine only the ratio is comparable from one run to the next.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bench._common import django_on_fresh_database, machine_info, rate, timed, write_results

if TYPE_CHECKING:
    from lms.people.services import ImportResult

NAME = "import_employees"
DB_NAME = "sinau_bench_import"
DEFAULT_ROWS = 50_000
SEED = 20_240_917
TARGET_SECONDS = 60.0
BULK_BATCH_SIZE = 1000
PPPK_SHARE = 0.10
CPNS_SHARE = 0.03
EMAIL_SHARE = 0.85
OPD_ONLY_SHARE = 0.05
# A fixed last appointment month keeps the file identical whatever day the benchmark runs,
# and keeps every NIP valid (an appointment in the future is rejected).
LAST_APPOINTMENT = (2024, 12)
EMAIL_DOMAIN = "kab-contoh.go.id"

HEADER = (
    "NIP", "NAMA", "GELAR DEPAN", "GELAR BELAKANG", "JABATAN", "JENIS JABATAN",
    "UNIT KERJA", "GOLONGAN", "JENIS PEGAWAI", "EMAIL",
)  # fmt: skip
OPDS: dict[str, tuple[str, str, str]] = {
    "Sekretariat Daerah": ("Bagian Umum", "Bagian Hukum", "Bagian Organisasi"),
    "Dinas Pendidikan dan Kebudayaan": (
        "Bidang Pembinaan SD",
        "Bidang Pembinaan SMP",
        "Bidang Kebudayaan",
    ),  # fmt: skip
    "Dinas Kesehatan": ("Bidang Pelayanan Kesehatan", "Bidang P2P", "Bidang Kesehatan Masyarakat"),
    "Dinas Pekerjaan Umum dan Penataan Ruang": (
        "Bidang Bina Marga",
        "Bidang Cipta Karya",
        "Bidang Sumber Daya Air",
    ),  # fmt: skip
    "Dinas Kependudukan dan Pencatatan Sipil": (
        "Bidang Pelayanan Pendaftaran Penduduk",
        "Bidang Pencatatan Sipil",
        "Bidang Pengelolaan Informasi Administrasi Kependudukan",
    ),  # fmt: skip
    "Dinas Komunikasi dan Informatika": (
        "Bidang Aplikasi Informatika",
        "Bidang Statistik",
        "Bidang Persandian",
    ),  # fmt: skip
    "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia": (
        "Bidang Pengembangan Kompetensi",
        "Bidang Mutasi dan Promosi",
        "Bidang Informasi Kepegawaian",
    ),  # fmt: skip
    "Badan Perencanaan Pembangunan Daerah": (
        "Bidang Perencanaan Ekonomi",
        "Bidang Perencanaan Sosial Budaya",
        "Bidang Penelitian dan Pengembangan",
    ),  # fmt: skip
    "Inspektorat Daerah": (
        "Inspektur Pembantu Wilayah I",
        "Inspektur Pembantu Wilayah II",
        "Inspektur Pembantu Wilayah III",
    ),  # fmt: skip
    "Dinas Sosial": ("Bidang Rehabilitasi Sosial", "Bidang Perlindungan Sosial", "Sekretariat"),
}
FIRST = [
    "Agus", "Budi", "Dewi", "Eka", "Fitri", "Gilang", "Hendra", "Indah", "Joko", "Kartika",
    "Lestari", "Made", "Nur", "Putri", "Rahmat", "Sari", "Taufik", "Utami", "Wahyu", "Yuli",
    "Ahmad", "Siti", "Muhammad", "Ni Luh", "I Gede", "Ratna", "Bambang", "Endang", "Rizky",
]  # fmt: skip
LAST = [
    "Pratama", "Santoso", "Wulandari", "Hidayat", "Saputra", "Rahayu", "Nugroho", "Lestari",
    "Kurniawan", "Permata", "Siregar", "Simanjuntak", "Setiawan", "Handayani", "Firmansyah",
    "Sulistyowati", "Harahap", "Nasution", "Purnamasari", "Wijaya", "",
]  # fmt: skip
# (JABATAN, JENIS JABATAN as SIASN prints it, the model's value)
JABATAN = [
    ("Analis Kebijakan Ahli Muda", "Jabatan Fungsional", "fungsional"),
    ("Pranata Komputer Ahli Pertama", "Jabatan Fungsional", "fungsional"),
    ("Guru Ahli Pertama", "Jabatan Fungsional", "fungsional"),
    ("Perawat Terampil", "Jabatan Fungsional", "fungsional"),
    ("Pengadministrasi Perkantoran", "Jabatan Pelaksana", "pelaksana"),
    ("Penata Layanan Operasional", "Jabatan Pelaksana", "pelaksana"),
    ("Pengolah Data dan Informasi", "Jabatan Pelaksana", "pelaksana"),
    ("Kepala Sub Bagian Umum", "Jabatan Struktural", "struktural"),
    ("Kepala Bidang", "Jabatan Struktural", "struktural"),
]
# Repeated entries weight the draw: most ASN carry no front title, most PNS are golongan III.
FRONT_TITLES = ["", "", "", "", "", "", "dr.", "Ir.", "Drs.", "Dra.", "H.", "Hj."]
BACK_TITLES = [
    "", "", "S.Kom.", "S.E.", "S.Pd.", "S.Kep., Ns.", "M.Si.", "S.T., M.T.", "S.H.", "A.Md.",
]  # fmt: skip
PNS_GOLONGAN = [
    "II/a", "II/b", "II/c", "III/a", "III/a", "III/b", "III/b", "III/c", "III/d", "IV/a",
]  # fmt: skip
CPNS_GOLONGAN = ["II/a", "II/c", "III/a"]
PPPK_GOLONGAN = ["V", "VII", "IX", "IX", "X"]


@dataclass(frozen=True)
class Person:
    """One generated employee, in model terms; the CSV is written from these."""

    nip: str
    full_name: str
    gelar_depan: str
    gelar_belakang: str
    jabatan: str
    jabatan_label: str
    jabatan_kind: str
    unit_path: tuple[str, ...]
    golongan: str
    employment_type: str
    email: str


def _months(year: int, month: int) -> int:
    return year * 12 + month - 1


def _pns_nip(rng: random.Random, *, recent: bool) -> str:
    birth = dt.date(1966, 1, 1) + dt.timedelta(days=rng.randrange(34 * 365))
    adult = _months(birth.year + 18, birth.month)
    last = _months(*LAST_APPOINTMENT)
    if recent:  # a CPNS was appointed within the last year or so
        first = max(adult, last - 15)
    else:  # most are appointed between 22 and 35
        first = min(adult + 4 * 12, last)
        last = min(adult + 17 * 12, last)
    appointed = rng.randint(first, last)
    year, month = divmod(appointed, 12)
    return f"{birth:%Y%m%d}{year:04d}{month + 1:02d}{rng.choice('12')}{rng.randint(1, 999):03d}"


def _pppk_nip(rng: random.Random) -> str:
    birth = dt.date(1970, 1, 1) + dt.timedelta(days=rng.randrange(30 * 365))
    year = rng.randint(max(2021, birth.year + 18), 2024)
    code = rng.randint(1, 99)
    return f"{birth:%Y%m%d}{year:04d}{code:02d}{rng.choice('12')}{rng.randint(1, 999):03d}"


def generate_people(count: int, seed: int = SEED) -> list[Person]:
    rng = random.Random(seed)
    units = [(opd, unit) for opd, names in OPDS.items() for unit in names]
    seen: set[str] = set()
    people: list[Person] = []
    while len(people) < count:
        draw = rng.random()
        if draw < PPPK_SHARE:
            employment_type, nip = "PPPK", _pppk_nip(rng)
            golongan = rng.choice(PPPK_GOLONGAN)
        elif draw < PPPK_SHARE + CPNS_SHARE:
            employment_type, nip = "CPNS", _pns_nip(rng, recent=True)
            golongan = rng.choice(CPNS_GOLONGAN)
        else:
            employment_type, nip = "PNS", _pns_nip(rng, recent=False)
            golongan = rng.choice(PNS_GOLONGAN)
        if nip in seen:
            continue
        seen.add(nip)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        full_name = f"{first} {last}".strip()
        opd, unit = rng.choice(units)
        unit_path = (opd,) if rng.random() < OPD_ONLY_SHARE else (opd, unit)
        jabatan, jabatan_label, jabatan_kind = rng.choice(JABATAN)
        email = ""
        if rng.random() < EMAIL_SHARE:
            # The NIP in the local part keeps every address unique, as the import requires.
            email = f"{first.lower().replace(' ', '')}.{nip}@{EMAIL_DOMAIN}"
        people.append(
            Person(
                nip=nip,
                full_name=full_name,
                gelar_depan=rng.choice(FRONT_TITLES),
                gelar_belakang=rng.choice(BACK_TITLES),
                jabatan=jabatan,
                jabatan_label=jabatan_label,
                jabatan_kind=jabatan_kind,
                unit_path=unit_path,
                golongan=golongan,
                employment_type=employment_type,
                email=email,
            )  # fmt: skip
        )
    return people


def to_csv(people: Sequence[Person]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for p in people:
        writer.writerow(
            (
                p.nip,
                p.full_name,
                p.gelar_depan,
                p.gelar_belakang,
                p.jabatan,
                p.jabatan_label,
                " > ".join(p.unit_path),
                p.golongan,
                p.employment_type,
                p.email,
            )  # fmt: skip
        )
    return buffer.getvalue().encode("utf-8")


def run_import(data: bytes, *, dry_run: bool) -> ImportResult:
    from lms.people.services import employees_import

    return employees_import(
        actor=None, fileobj=io.BytesIO(data), filename="bench.csv", dry_run=dry_run
    )


def check(result: ImportResult, label: str, **expected: int) -> None:
    """Fail loudly: a fast import that drops or rejects rows measures nothing."""
    problems = [
        f"{field}={getattr(result, field)} (expected {value})"
        for field, value in expected.items()
        if getattr(result, field) != value
    ]
    if result.errors:
        sample = "; ".join(f"row {e.number} {e.nip}: {e.errors}" for e in result.errors[:5])
        problems.append(f"{len(result.errors)} row errors, first: {sample}")
    if problems:
        raise SystemExit(f"{label}: " + ", ".join(problems))


def unit_ids_by_path() -> dict[tuple[str, ...], int]:
    from lms.people.models import OrgUnit

    step = OrgUnit.steplen
    names: dict[str, tuple[str, ...]] = {}
    ids: dict[tuple[str, ...], int] = {}
    for unit in OrgUnit.objects.order_by("path"):
        # The Pemda root is the empty path: files name units below it.
        key = () if unit.depth == 1 else (*names[unit.path[:-step]], unit.name)
        names[unit.path] = key
        ids[key] = unit.pk
    return ids


def truncate_employees() -> None:
    from django.db import connection

    from lms.people.models import Employee

    table = connection.ops.quote_name(Employee._meta.db_table)
    with connection.cursor() as cursor:
        # CASCADE empties the group/permission links too; nothing else holds employees here.
        cursor.execute(f"TRUNCATE {table} RESTART IDENTITY CASCADE")  # noqa: S608


def baseline_bulk_create(people: Sequence[Person]) -> tuple[int, float, float]:
    """Insert the same rows with no parsing or checks; return (rows, build s, insert s)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from lms.people.models import Employee

    unit_ids = unit_ids_by_path()
    # One unusable password for all: the floor must not pay for per-row random strings.
    password = make_password(None)
    now = timezone.now()

    def build() -> list[Employee]:
        return [
            Employee(
                nip=p.nip,
                full_name=p.full_name,
                gelar_depan=p.gelar_depan,
                gelar_belakang=p.gelar_belakang,
                email=p.email,
                employment_type=p.employment_type,
                golongan=p.golongan,
                jabatan=p.jabatan,
                jabatan_kind=p.jabatan_kind,
                org_unit_id=unit_ids[p.unit_path],
                is_active=True,
                date_joined=now,
                password=password,
            )  # fmt: skip
            for p in people
        ]

    def insert(employees: list[Employee]) -> int:
        # One transaction, as the import has, so both pay for one commit.
        with transaction.atomic():
            return len(Employee.objects.bulk_create(employees, batch_size=BULK_BATCH_SIZE))

    employees, build_seconds = timed(build)
    inserted, insert_seconds = timed(lambda: insert(employees))
    return inserted, build_seconds, insert_seconds


def _r(value: float) -> float:
    return round(value, 3)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_employees", description=__doc__)
    parser.add_argument(
        "--rows", type=int, default=DEFAULT_ROWS, help="rows in the file (smoke runs use fewer)"
    )
    args = parser.parse_args(argv)
    rows: int = args.rows

    people = generate_people(rows)
    data = to_csv(people)
    print(f"{NAME}: {rows:,} rows, {len(data) / 1e6:.1f} MB of CSV, database {DB_NAME}")

    with django_on_fresh_database(DB_NAME):
        from lms.people.models import Employee, OrgUnit

        units_in_file = {p.unit_path[:i] for p in people for i in range(1, len(p.unit_path) + 1)}

        preview, preview_seconds = timed(lambda: run_import(data, dry_run=True))
        check(preview, "dry run on an empty table", created=rows, updated=0)
        if Employee.objects.exists():
            raise SystemExit("dry run wrote employees")

        first, first_seconds = timed(lambda: run_import(data, dry_run=False))
        check(first, "first import", created=rows, updated=0, unchanged=0)
        stored = Employee.objects.count()
        if stored != rows:
            raise SystemExit(f"first import: {stored} employees in the table, expected {rows}")
        if first.org_units_created != len(units_in_file):
            raise SystemExit(
                f"first import: {first.org_units_created} units, expected {len(units_in_file)}"
            )

        again, again_seconds = timed(lambda: run_import(data, dry_run=False))
        check(again, "re-import", created=0, updated=0, unchanged=rows)

        resync, resync_seconds = timed(lambda: run_import(data, dry_run=True))
        check(resync, "dry run on the populated table", created=0, updated=0, unchanged=rows)

        truncate_employees()
        inserted, build_seconds, insert_seconds = baseline_bulk_create(people)
        if inserted != rows:
            raise SystemExit(f"baseline: inserted {inserted}, expected {rows}")
        baseline_seconds = build_seconds + insert_seconds

        figures: dict[str, Any] = {
            "rows": rows,
            "csv_bytes": len(data),
            "org_units": OrgUnit.objects.count(),
            "first_import_seconds": _r(first_seconds),
            "first_import_rows_per_second": round(rate(rows, first_seconds)),
            "reimport_seconds": _r(again_seconds),
            "reimport_rows_per_second": round(rate(rows, again_seconds)),
            "dry_run_seconds": _r(resync_seconds),
            "dry_run_empty_table_seconds": _r(preview_seconds),
            "first_import": {"created": first.created, "errors": len(first.errors)},
            "reimport": {
                "created": again.created,
                "updated": again.updated,
                "unchanged": again.unchanged,
                "errors": len(again.errors),
            },  # fmt: skip
            "target_seconds": TARGET_SECONDS,
            "meets_target": first_seconds < TARGET_SECONDS,
        }
        baseline: dict[str, Any] = {
            "what": "Employee.objects.bulk_create of the already-parsed rows, "
            f"batch_size {BULK_BATCH_SIZE}, into a truncated table, one transaction",
            "seconds": _r(baseline_seconds),
            "build_instances_seconds": _r(build_seconds),
            "bulk_create_seconds": _r(insert_seconds),
            "rows_per_second": round(rate(rows, baseline_seconds)),
        }
        ratio: dict[str, Any] = {
            # > 1: how many times slower than the bare insert.
            "first_import_seconds_vs_baseline": _r(first_seconds / baseline_seconds),
            "reimport_seconds_vs_baseline": _r(again_seconds / baseline_seconds),
            # < 1: the share of the bare insert's throughput the import reaches.
            "first_import_rows_per_second_vs_baseline": _r(baseline_seconds / first_seconds),
            "reimport_rows_per_second_vs_baseline": _r(baseline_seconds / again_seconds),
        }
        machine = machine_info()

    path = write_results(NAME, figures=figures, baseline=baseline, ratio=ratio, machine=machine)
    print(
        f"""
  first import      {first_seconds:8.2f} s  {figures["first_import_rows_per_second"]:>9,} rows/s
  re-import         {again_seconds:8.2f} s  {figures["reimport_rows_per_second"]:>9,} rows/s
  dry run (full)    {resync_seconds:8.2f} s
  dry run (empty)   {preview_seconds:8.2f} s
  baseline insert   {baseline_seconds:8.2f} s  {baseline["rows_per_second"]:>9,} rows/s \
(build {build_seconds:.2f} s + bulk_create {insert_seconds:.2f} s)
  import/baseline   {ratio["first_import_seconds_vs_baseline"]:8.2f} x time, \
{ratio["first_import_rows_per_second_vs_baseline"]:.2f} x rows/s
  re-import/base    {ratio["reimport_seconds_vs_baseline"]:8.2f} x time, \
{ratio["reimport_rows_per_second_vs_baseline"]:.2f} x rows/s
  target            {TARGET_SECONDS:8.0f} s  {"met" if figures["meets_target"] else "MISSED"}
  machine           {machine["cpu_count"]} CPUs, Python {machine["python"]}, \
PostgreSQL {machine["postgresql"]}
  written           {path.relative_to(path.parents[2])}"""
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
