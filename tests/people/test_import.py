"""Bulk import of employees and org units: idempotent, row-level errors, nothing half-written."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from lms.people.importing import ImportFileError
from lms.people.models import Employee, EmployeeImport, OrgUnit
from lms.people.services import employee_import_run, employees_import
from tests.factories import valid_nip, valid_pppk_nip

HEADER = [
    "NIP", "NAMA", "GELAR DEPAN", "GELAR BELAKANG", "JABATAN", "JENIS JABATAN",
    "UNIT KERJA", "GOLONGAN", "JENIS PEGAWAI", "EMAIL",
]  # fmt: skip


def row(nip: str, nama: str, unit: str, **kw: str) -> list[str]:
    return [
        nip, nama, kw.get("depan", ""), kw.get("belakang", "S.Kom."),
        kw.get("jabatan", "Pranata Komputer"), kw.get("jenis_jabatan", "Fungsional"),
        unit, kw.get("golongan", "III/b"), kw.get("jenis", "PNS"), kw.get("email", ""),
    ]  # fmt: skip


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, sep: str = ",") -> bytes:
    lines = [sep.join(header)] + [sep.join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def run(data: bytes, name: str = "pegawai.csv", **kw: Any) -> Any:
    kw.setdefault("actor", None)
    kw.setdefault("dry_run", False)
    return employees_import(fileobj=io.BytesIO(data), filename=name, **kw)


GOOD = [
    row(valid_nip(sequence=1), "Andi Wijaya", "Dinas Kesehatan > Bidang P2P", email="andi@x.id"),
    row(valid_nip(sequence=2), "Budi Hartono", "Dinas Kesehatan > Bidang P2P"),
    row(valid_pppk_nip(sequence=3), "Citra Dewi", "Dinas Pendidikan", jenis="PPPK", golongan="IX"),
]


@pytest.mark.django_db
def test_import_creates_employees_and_the_org_tree() -> None:
    result = run(csv_bytes(GOOD))
    assert (result.created, result.updated, len(result.errors)) == (3, 0, 0)
    andi = Employee.objects.select_related("org_unit").get(full_name="Andi Wijaya")
    assert andi.org_unit.name == "Bidang P2P"
    assert andi.org_unit.get_parent().name == "Dinas Kesehatan"
    assert andi.email == "andi@x.id"
    assert andi.gelar_belakang == "S.Kom."
    assert not andi.has_usable_password()  # imported staff set a password themselves
    citra = Employee.objects.get(full_name="Citra Dewi")
    assert (citra.employment_type, citra.golongan) == ("PPPK", "IX")
    assert set(OrgUnit.objects.values_list("name", flat=True)) == {
        "Pemerintah Kabupaten Sinau", "Dinas Kesehatan", "Bidang P2P", "Dinas Pendidikan",
    }  # fmt: skip


@pytest.mark.django_db
def test_reimport_is_idempotent_and_updates_what_changed() -> None:
    run(csv_bytes(GOOD))
    again = run(csv_bytes(GOOD))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Employee.objects.count() == 3
    assert OrgUnit.objects.count() == 4

    moved = [r[:] for r in GOOD]
    moved[1][6] = "Dinas Kesehatan > Bidang Yankes"
    moved[1][7] = "III/c"
    third = run(csv_bytes(moved))
    assert (third.created, third.updated, third.unchanged) == (0, 1, 2)
    budi = Employee.objects.select_related("org_unit").get(full_name="Budi Hartono")
    assert (budi.org_unit.name, budi.golongan) == ("Bidang Yankes", "III/c")
    assert Employee.objects.count() == 3


@pytest.mark.django_db
def test_bad_rows_are_reported_by_row_number_while_good_rows_go_in() -> None:
    rows = [
        GOOD[0],
        row("19860230201505100", "Salah Panjang", "Dinas Kesehatan"),  # row 3: 17 digits
        row(valid_nip(sequence=5), "", "Dinas Kesehatan"),  # row 4: no name
        GOOD[1],
        row(valid_nip(sequence=1), "Andi Lagi", "Dinas Kesehatan"),  # row 6: NIP of row 2
        row(valid_nip(sequence=6), "Gol Salah", "Dinas Kesehatan", golongan="V/z"),  # row 7
        row(valid_nip(sequence=7), "Mail Salah", "Dinas Kesehatan", email="bukan-email"),
        row(valid_nip(sequence=8), "Jenis Salah", "Dinas Kesehatan", jenis="Honorer"),
    ]
    result = run(csv_bytes(rows))
    assert result.created == 2
    by_row = {e.number: " ".join(e.errors) for e in result.errors}
    assert sorted(by_row) == [3, 4, 6, 7, 8, 9]
    assert "18 digit" in by_row[3]
    assert "NAMA kosong" in by_row[4]
    assert "baris 2" in by_row[6]
    assert "GOLONGAN" in by_row[7]
    assert "EMAIL" in by_row[8]
    assert "JENIS PEGAWAI" in by_row[9]
    assert set(Employee.objects.values_list("full_name", flat=True)) == {
        "Andi Wijaya", "Budi Hartono",
    }  # fmt: skip


@pytest.mark.django_db
def test_email_of_another_employee_is_refused() -> None:
    run(csv_bytes(GOOD))
    clash = row(valid_nip(sequence=9), "Dedi", "Dinas Kesehatan", email="ANDI@x.id")
    result = run(csv_bytes([clash]))
    assert result.created == 0
    assert "sudah dipakai" in result.errors[0].errors[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "kosong.csv", "kosong"),
        (b"NIP,NAMA\n198609262015051001,Andi\n", "kurang.csv", "JENIS PEGAWAI"),
        (b"PK\x03\x04 this is no workbook", "rusak.xlsx", "XLSX"),
        (b"\x00\x01\x02binary", "biner.csv", "biner"),
        (csv_bytes([]), "judul.csv", "tanpa baris data"),
        (b"a,b\n", "data.json", ".csv"),
    ],
)
def test_a_broken_file_writes_nothing_and_says_why(data: bytes, name: str, message: str) -> None:
    with pytest.raises(ImportFileError) as excinfo:
        run(data, name=name)
    assert message in str(excinfo.value)
    assert Employee.objects.count() == 0
    assert OrgUnit.objects.count() == 0


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.append(HEADER)
    for r in rows:
        sheet.append(r)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
def test_xlsx_with_text_nips_imports() -> None:
    result = run(xlsx_bytes(GOOD), name="pegawai.xlsx")
    assert (result.created, len(result.errors)) == (3, 0)


@pytest.mark.django_db
def test_xlsx_with_nips_stored_as_numbers_says_digits_were_lost() -> None:
    # A spreadsheet keeps ~15 significant digits of a number: 18-digit NIPs lose their tail.
    rows = [[int(r[0]), *r[1:]] for r in GOOD]
    result = run(xlsx_bytes(rows), name="pegawai.xlsx")
    assert result.created == 0
    assert [e.number for e in result.errors] == [2, 3, 4]
    assert all("digit terakhirnya hilang" in e.errors[0] for e in result.errors)


@pytest.mark.django_db
def test_semicolon_csv_and_siasn_headers() -> None:
    header = ["NIP BARU", "NAMA", "GELAR", "JABATAN NAMA", "JENIS JABATAN", "UNOR INDUK",
              "UNOR", "GOL AKHIR NAMA", "JENIS PEGAWAI", "EMAIL"]  # fmt: skip
    rows = [[valid_nip(sequence=11), "Eko Prasetyo", "Dr. Ir., M.Si.", "Kepala Bidang",
             "Struktural", "Dinas PU", "Bidang Bina Marga", "IV/a", "PNS", ""]]  # fmt: skip
    result = run(csv_bytes(rows, header=header, sep=";"))
    assert result.created == 1, result.errors
    eko = Employee.objects.select_related("org_unit").get()
    assert (eko.gelar_depan, eko.gelar_belakang) == ("Dr. Ir.", "M.Si.")
    assert eko.name_with_gelar == "Dr. Ir. Eko Prasetyo, M.Si."
    assert eko.org_unit.name == "Bidang Bina Marga"


@pytest.mark.django_db
def test_dry_run_reports_and_writes_nothing() -> None:
    result = run(csv_bytes(GOOD), dry_run=True)
    assert (result.created, result.org_units_created) == (3, 3)
    assert Employee.objects.count() == 0
    assert OrgUnit.objects.count() == 0


@pytest.mark.django_db
def test_full_import_deactivates_missing_employees_and_never_deletes() -> None:
    run(csv_bytes(GOOD))
    result = run(csv_bytes(GOOD[:2]), deactivate_missing=True)
    assert result.deactivated == 1
    citra = Employee.objects.get(full_name="Citra Dewi")
    assert citra.is_active is False
    assert Employee.objects.count() == 3
    # Back in the file: active again.
    run(csv_bytes(GOOD))
    citra.refresh_from_db()
    assert citra.is_active is True


@pytest.mark.django_db
def test_full_import_of_only_bad_rows_deactivates_nobody() -> None:
    run(csv_bytes(GOOD))
    result = run(csv_bytes([row("123", "X", "Dinas Kesehatan")]), deactivate_missing=True)
    assert result.deactivated == 0
    assert Employee.objects.filter(is_active=True).count() == 3


def test_opd_admin_imports_only_inside_their_opd(pemda: dict[str, Any]) -> None:
    neighbour = pemda["staff_b"][0]
    rows = [
        row(valid_nip(sequence=21), "Guru Baru", "Dinas Pendidikan > Bidang SMP"),  # new unit: ok
        row(valid_nip(sequence=22), "Perawat Baru", "Dinas Kesehatan > Bidang P2P"),  # neighbour
        row(valid_nip(sequence=23), "OPD Baru", "Dinas Pariwisata"),  # a new OPD: not theirs
        # a neighbour's employee moved into their OPD: refused, they are not the admin's to move
        row(neighbour.nip, neighbour.full_name, "Dinas Pendidikan > Bidang SD"),
    ]
    result = run(csv_bytes(rows), actor=pemda["admin_a"])
    assert result.created == 1
    assert sorted(e.number for e in result.errors) == [3, 4, 5]
    neighbour.refresh_from_db()
    assert neighbour.org_unit == pemda["unit_b"]
    assert not OrgUnit.objects.filter(name="Dinas Pariwisata").exists()
    assert Employee.objects.get(full_name="Guru Baru").org_unit.get_parent() == pemda["opd_a"]


def test_opd_admin_full_import_deactivates_only_inside_their_opd(pemda: dict[str, Any]) -> None:
    staff_a = pemda["staff_a"]
    keep = row(staff_a[0].nip, staff_a[0].full_name, "Dinas Pendidikan > Bidang SD")
    result = run(csv_bytes([keep]), actor=pemda["admin_a"], deactivate_missing=True)
    assert result.deactivated == 2  # the two other teachers; never the admin themself
    assert Employee.objects.filter(is_active=False).count() == 2
    assert all(
        e.is_active for e in Employee.objects.filter(pk__in=[s.pk for s in pemda["staff_b"]])
    )
    pemda["admin_a"].refresh_from_db()
    assert pemda["admin_a"].is_active


def test_auditor_and_learner_may_not_import(pemda: dict[str, Any]) -> None:
    for who in ("auditor", "learner"):
        with pytest.raises(PermissionDenied):
            run(csv_bytes(GOOD), actor=pemda[who])
    assert Employee.objects.filter(full_name="Andi Wijaya").count() == 0


@pytest.mark.django_db
def test_job_records_progress_counts_errors_and_is_not_rerun(tmp_path: Path) -> None:
    from django.core.files.base import ContentFile

    job = EmployeeImport(original_name="pegawai.csv", dry_run=False)
    job.file.save("pegawai.csv", ContentFile(csv_bytes([*GOOD, row("1", "X", "Y")])))
    done = employee_import_run(job_id=job.pk)
    assert done is not None
    assert (done.status, done.created_count, done.error_count, done.percent) == ("done", 3, 1, 100)
    assert done.row_errors[0]["row"] == 5
    # A redelivered task finds the job finished and does nothing.
    Employee.objects.all().delete()
    employee_import_run(job_id=job.pk)
    assert Employee.objects.count() == 0


@pytest.mark.django_db
def test_broken_file_job_fails_with_reason() -> None:
    from django.core.files.base import ContentFile

    job = EmployeeImport(original_name="rusak.xlsx", dry_run=False)
    job.file.save("rusak.xlsx", ContentFile(b"not a zip"))
    done = employee_import_run(job_id=job.pk)
    assert done is not None
    assert done.status == "failed"
    assert "XLSX" in done.failure


@pytest.mark.django_db
def test_management_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "pegawai.csv"
    path.write_bytes(csv_bytes([*GOOD, row("123", "X", "Y")]))
    call_command("import_employees", str(path), "--dry-run")
    assert Employee.objects.count() == 0
    assert "3 would be created" in capsys.readouterr().out
    call_command("import_employees", str(path))
    out = capsys.readouterr().out
    assert "3 created" in out
    assert "row 5" in out
    assert Employee.objects.count() == 3
    broken = tmp_path / "rusak.xlsx"
    broken.write_bytes(b"nope")
    with pytest.raises(CommandError, match="XLSX"):
        call_command("import_employees", str(broken))
