"""Assessment-centre results imported in bulk: good rows go in (opening missing AKPKs and
adding competencies outside the standard), bad rows are reported with their row number, an
OPD whose AKPK stands at BKPSDM is not changed, and the queries do not grow with the file."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook
from wagtail.models import ModelLogEntry

from lms.planning.akpk import services
from lms.planning.models import AKPK, AKPKItem, CentreImport, Competency, LevelSource
from tests.factories import EmployeeFactory
from tests.planning.test_akpk import (
    YEAR,
    assessed,
    build_world,
    item,
    submitted,
)


@pytest.fixture
def world(pemda: dict[str, Any], dictionary: dict[str, Competency]) -> SimpleNamespace:
    return build_world(pemda, dictionary)


IMPORT = reverse("planning:akpk_centre_import")


def csv_file(rows: list[list[Any]], header: str = "NIP;KODE_KOMPETENSI;LEVEL") -> io.BytesIO:
    lines = [header] + [";".join(str(c) for c in row) for row in rows]
    return io.BytesIO(("\n".join(lines) + "\n").encode())


def xlsx_file(rows: list[list[Any]]) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["nip", "kode_kompetensi", "level"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def run(world: SimpleNamespace, data: io.BytesIO, name: str = "ac.csv") -> CentreImport:
    return services.centre_import_run(actor=world.superuser, year=YEAR, fileobj=data, filename=name)


def test_good_rows_go_in_and_bad_rows_are_reported(world: SimpleNamespace) -> None:
    done = assessed(world)  # TEK-01: the atasan said 1
    ghost = "199001012015031999"
    rows = [
        [world.employee.nip, "TEK-01", 4],  # row 2: outranks the atasan
        [world.colleague.nip, "tek-02", "2"],  # row 3: opens the colleague's AKPK
        [world.colleague.nip, "TEK-03", 3],  # row 4: outside the standard
        [ghost, "TEK-01", 3],  # row 5: unknown NIP
        [world.employee.nip, "XYZ-9", 3],  # row 6: unknown code
        [world.employee.nip, "MAN-01", 7],  # row 7: bad level
        [world.employee.nip, "MAN-01", "tiga"],  # row 8: bad level
        ["12345", "MAN-01", 3],  # row 9: not a NIP
        [world.employee.nip, "TEK-01", 2],  # row 10: same as row 2
        [world.neighbour.nip, "SK-01", 1],  # row 11: another OPD, Pemda-wide import
        ["", "", ""],  # blank lines are skipped
    ]
    record = run(world, csv_file(rows))
    assert record.status == CentreImport.Status.DONE
    assert (record.rows_total, record.applied_count, record.error_count) == (10, 4, 6)
    assert [e["row"] for e in record.row_errors] == [5, 6, 7, 8, 9, 10]
    by_row = {e["row"]: " ".join(e["errors"]) for e in record.row_errors}
    assert "tidak terdaftar" in by_row[5]
    assert "XYZ-9" in by_row[6]
    assert "LEVEL '7'" in by_row[7]
    assert "18 digit" in by_row[9]
    assert "baris 2" in by_row[10]

    tek01 = item(done, "TEK-01")
    assert (tek01.centre_level, tek01.current_level, tek01.current_source, tek01.gap) == (
        4, 4, LevelSource.CENTRE, 0,
    )  # fmt: skip
    opened = AKPK.objects.get(employee=world.colleague, year=YEAR)
    assert opened.status == AKPK.Status.DRAFT
    assert (opened.opd, opened.supervisor) == (world.opd_a, world.boss)
    assert opened.items.count() == 6  # the five of the standard and TEK-03
    assert (item(opened, "TEK-02").centre_level, item(opened, "TEK-02").gap) == (2, 2)
    assert (item(opened, "TEK-03").required_level, item(opened, "TEK-03").gap) == (0, 0)
    assert item(AKPK.objects.get(employee=world.neighbour), "SK-01").centre_level == 1
    entry = ModelLogEntry.objects.for_instance(record).get()
    assert entry.action == "sinau.akpk.centre_import"
    # A centre result cannot be removed as a need.
    with pytest.raises(ValidationError, match="assessment center"):
        services.akpk_need_remove(akpk=opened, actor=world.colleague, item=item(opened, "TEK-03"))


def test_an_xlsx_with_numbers_as_cells(world: SimpleNamespace) -> None:
    rows = [
        [world.employee.nip, "TEK-01", 3.0],
        [float(world.colleague.nip), "TEK-01", 3],  # an 18-digit NIP stored as a number
    ]
    record = run(world, xlsx_file(rows), "hasil.xlsx")
    assert (record.applied_count, record.error_count) == (1, 1)
    assert "sebagai angka" in record.row_errors[0]["errors"][0]
    assert record.row_errors[0]["row"] == 3


def test_a_standing_opd_submission_refuses_its_rows(world: SimpleNamespace) -> None:
    assessed(world)
    submitted(world, world.neighbour)
    services.opd_submit(opd=world.opd_a, year=YEAR, actor=world.admin_a)
    rows = [
        [world.employee.nip, "TEK-01", 5],  # AKPK of the locked OPD
        [world.colleague.nip, "TEK-01", 5],  # no AKPK yet, but in the locked OPD
        [world.neighbour.nip, "TEK-01", 5],
    ]
    record = run(world, csv_file(rows))
    assert (record.applied_count, record.error_count) == (1, 2)
    assert all("sudah dikirim ke BKPSDM" in e["errors"][0] for e in record.row_errors)
    assert not AKPK.objects.filter(employee=world.colleague).exists()
    assert AKPKItem.objects.filter(centre_level__isnull=False).count() == 1


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("ac.csv", b"", "kosong"),
        ("ac.csv", b"NIP;LEVEL\n199001012015031001;3\n", "KODE_KOMPETENSI"),
        ("ac.csv", b"NIP;KODE;LEVEL\n", "tanpa baris data"),
        ("ac.pdf", b"%PDF-1.4", "csv"),
        ("ac.xlsx", b"bukan zip", "XLSX"),
    ],
)
def test_a_file_that_cannot_be_read_fails_with_the_reason(
    world: SimpleNamespace, name: str, content: bytes, reason: str
) -> None:
    record = run(world, io.BytesIO(content), name)
    assert record.status == CentreImport.Status.FAILED
    assert reason in record.failure
    assert not AKPK.objects.exists()


def test_only_a_superuser_imports(world: SimpleNamespace) -> None:
    for user in (world.auditor, world.admin_a, world.employee):
        with pytest.raises(PermissionDenied):
            services.centre_import_run(
                actor=user, year=YEAR, fileobj=csv_file([]), filename="ac.csv"
            )
    with pytest.raises(ValidationError, match="Tahun"):
        services.centre_import_run(
            actor=world.superuser, year=1990, fileobj=csv_file([]), filename="ac.csv"
        )
    assert not CentreImport.objects.exists()


def _queries_for(world: SimpleNamespace, count: int) -> tuple[int, int]:
    people = [
        EmployeeFactory.create(org_unit=world.unit_a if n % 2 else world.unit_b)
        for n in range(count)
    ]
    codes = ["TEK-01", "TEK-02", "TEK-03"]
    rows = [[p.nip, code, (n % 5) + 1] for n, p in enumerate(people) for code in codes]
    with CaptureQueriesContext(connection) as captured:
        record = run(world, csv_file(rows))
    assert record.applied_count == len(rows)
    return len(captured), len(rows)


def test_queries_do_not_grow_with_the_file(world: SimpleNamespace) -> None:
    """Not a query per row: a fixed set of reads, one UPDATE per distinct (level, gap) pair
    (thirty at most), and bulk inserts split into batches (SQLite takes at most 999 values
    in one statement, so about a hundred rows per batch)."""
    small, _ = _queries_for(world, 4)
    AKPK.objects.all().delete()
    large, rows = _queries_for(world, 60)
    assert small <= 60
    assert large <= small + rows // 30


def test_the_import_pages(
    client: Client, world: SimpleNamespace, django_assert_max_num_queries: Any
) -> None:
    client.force_login(world.superuser)
    with django_assert_max_num_queries(8):
        page = client.get(IMPORT).content.decode()
    assert 'id="akpk-centre-run"' in page
    upload = SimpleUploadedFile(
        "ac.csv",
        csv_file([[world.employee.nip, "TEK-01", 3], ["1", "TEK-01", 3]]).getvalue(),
        content_type="text/csv",
    )
    response = client.post(IMPORT, {"year": YEAR, "file": upload})
    record = CentreImport.objects.get()
    assert response["Location"] == reverse(
        "planning:akpk_centre_result", kwargs={"import_id": record.pk}
    )
    with django_assert_max_num_queries(8):
        page = client.get(response["Location"]).content.decode()
    assert "2 baris: 1 diterapkan, 1 bermasalah." in page
    assert "18 digit" in page
    # Bad input: a form error, no import.
    response = client.post(IMPORT, {"year": "abc"})
    assert response.status_code == 200
    assert CentreImport.objects.count() == 1
    assert client.get("/kelola/akpk/impor-ac/99999/").status_code == 404
    for user in (world.auditor, world.admin_a, world.employee):
        client.force_login(user)
        assert client.get(IMPORT).status_code == 403
        assert client.get(response.wsgi_request.path).status_code == 403
