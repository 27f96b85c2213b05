"""Downloads of the compliance pages: the shared table writer (CSV and XLSX), every table as
it is on the page, the employee list streamed when small, and as an export job (built by
its Celery task, with progress, for its requester only) when large."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from lms.people.models import Role, RoleAssignment
from lms.people.selectors import scope_for
from lms.people.services import role_revoke
from lms.reports import selectors, services
from lms.reports.export_tasks import report_export_run_task
from lms.reports.exports import ExportFormatError, write_table
from lms.reports.models import ReportExport

from .conftest import YEAR

D = Decimal


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def read_xlsx(data: bytes) -> list[tuple[Any, ...]]:
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


def body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


# --- The writer ---------------------------------------------------------------------------

ROWS = [
    ["Dinas Pendidikan", 4, D("12.50"), dt.date(2025, 3, 1), None, "-3.5"],
    ['=HYPERLINK("http://x")', 0, D("0.00"), dt.date(2025, 12, 31), "", "+62 812"],
    ["Nama\x07berbel", 1, D("7"), None, True, "@rapat"],
]
HEADER = ["Unit", "ASN", "JP", "Tanggal", "Catatan", "Lain"]


def test_csv_is_utf8_with_bom_and_never_a_formula() -> None:
    out = io.BytesIO()
    assert write_table(iter(ROWS), HEADER, "csv", out) == 3
    assert not out.closed  # the caller's file stays theirs
    rows = read_csv(out.getvalue())
    assert rows[0] == HEADER
    assert rows[1] == ["Dinas Pendidikan", "4", "12.50", "2025-03-01", "", "-3.5"]
    assert rows[2][0] == '\'=HYPERLINK("http://x")'
    assert rows[2][5] == "'+62 812"
    assert rows[3][4:] == ["ya", "'@rapat"]


def test_xlsx_keeps_numbers_and_dates_and_text_as_text() -> None:
    out = io.BytesIO()
    assert write_table(ROWS, HEADER, "xlsx", out, sheet_title="Kepatuhan: JP/2025") == 3
    book = load_workbook(io.BytesIO(out.getvalue()))
    sheet = book.active
    assert sheet is not None
    assert sheet.title == "Kepatuhan  JP 2025"
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(HEADER)
    assert rows[1][:3] == ("Dinas Pendidikan", 4, 12.5)
    assert isinstance(rows[1][3], dt.datetime)  # a date cell, shown as a date in Excel
    assert rows[1][3].date() == dt.date(2025, 3, 1)
    assert rows[2][0] == '=HYPERLINK("http://x")'
    assert sheet["A3"].data_type == "s"  # a string, not a formula
    assert rows[3][0] == "Namaberbel"  # a control character XML cannot hold, dropped


def test_long_nips_stay_text_in_xlsx() -> None:
    out = io.BytesIO()
    write_table([["198803142012041002", 1]], ["NIP", "n"], "xlsx", out)
    assert read_xlsx(out.getvalue())[1][0] == "198803142012041002"


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ExportFormatError):
        write_table([], ["a"], "pdf", io.BytesIO())


def test_progress_is_reported_while_writing() -> None:
    seen: list[int] = []
    rows = ([i] for i in range(4500))
    for fmt in ("csv", "xlsx"):
        seen.clear()
        rows = ([i] for i in range(4500))
        assert write_table(rows, ["n"], fmt, io.BytesIO(), progress=seen.append) == 4500
        assert seen == [2000, 4000]


# --- Every table, as on the page ----------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_each_table_downloads_with_the_pages_figures(
    compliance: dict[str, Any], client: Client, fmt: str
) -> None:
    client.force_login(compliance["auditor"])

    def table(name: str, **query: Any) -> list[list[str]]:
        url = reverse("reports:download", kwargs={"table": name, "fmt": fmt})
        response = client.get(url, {"tahun": YEAR, **query})
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
        assert f".{fmt}" in response["Content-Disposition"]
        data = body(response)
        rows = read_csv(data) if fmt == "csv" else read_xlsx(data)
        return [["" if v is None else str(v) for v in row] for row in rows]

    def num(text: str) -> Decimal:
        return D(text).quantize(D("0.01"))

    groups = table("opd")
    assert groups[0][:5] == ["Unit", "ASN", "Memenuhi target", "Belum memenuhi", "Kepatuhan (%)"]
    by_unit = {r[0]: r for r in groups[1:]}
    assert list(by_unit) == [
        "Dinas Kesehatan", "Dinas Pendidikan",
        "Langsung di Pemerintah Kabupaten Uji (di luar OPD)", "Jumlah",
    ]  # fmt: skip
    a, total = by_unit["Dinas Pendidikan"], by_unit["Jumlah"]
    assert [int(a[1]), int(a[2]), int(a[3])] == [4, 2, 2]
    assert [num(a[4]), num(a[5]), num(a[6])] == [D("50"), D("11.75"), D("12.5")]
    assert [int(a[7]), num(a[8]), int(a[9])] == [2, D("0"), 1]
    assert [int(total[1]), int(total[2]), num(total[4]), num(total[6])] == [
        9,
        4,
        D("44.4"),
        D("7.5"),
    ]

    kinds = {r[0]: r for r in table("jenis-jp")[1:]}
    assert [num(v) for v in kinds["Jumlah"][1:]] == [
        D("96.5"), D("36.5"), D("10"), D("30"), D("20"), D("32"), D("64.5"),
    ]  # fmt: skip
    assert table("distribusi")[1:] == [
        ["0", "3"], ["<5", "0"], ["5–10", "2"], ["10–15", "1"], ["15–20", "0"], ["≥20", "3"],
    ]  # fmt: skip
    months = {r[0]: num(r[1]) for r in table("bulanan")[1:]}
    assert (months["Feb"], months["Agu"], months["Des"]) == (D("12"), D("19.5"), D("0"))

    # A unit's tables: its children.
    unit_rows = table("opd", unit=compliance["opd_a"].pk)
    assert [r[0] for r in unit_rows[1:]] == ["Bidang SD", "Langsung di Dinas Pendidikan", "Jumlah"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_employee_list_streams_when_small(
    compliance: dict[str, Any], client: Client, fmt: str
) -> None:
    client.force_login(compliance["auditor"])
    url = reverse("reports:download", kwargs={"table": "pegawai", "fmt": fmt})
    response = client.get(url, {"tahun": YEAR, "unit": compliance["opd_b"].pk})
    assert response.status_code == 200
    data = body(response)
    rows = read_csv(data) if fmt == "csv" else read_xlsx(data)
    header = list(rows[0])
    assert header == selectors.employee_header()
    people = {str(r[0]): r for r in rows[1:]}
    assert len(people) == 3
    pppk = people[compliance["staff_b"][2].nip]
    col = header.index
    assert pppk[col("Nama")] == "Perawat Bukit 2"
    assert pppk[col("Jenis pegawai")] == "PPPK"
    assert pppk[col("OPD")] == "Dinas Kesehatan"
    assert pppk[col("Unit kerja")] == "Bidang P2P"
    assert D(str(pppk[col("JP")])) == D("12")
    assert D(str(pppk[col("Target JP")])) == D("10")
    assert pppk[col("Status")] == "Memenuhi"
    short = people[compliance["staff_b"][1].nip]
    assert (D(str(short[col("Teknis")])), short[col("Status")]) == (D("7.5"), "Belum memenuhi")
    # Sorted by JP, lowest first, as on the page.
    assert [str(r[0]) for r in rows[1:]][0] == compliance["staff_b"][1].nip


def test_a_large_employee_list_is_not_built_during_the_request(
    compliance: dict[str, Any], client: Client, settings: Any
) -> None:
    settings.SINAU_REPORT_STREAM_ROWS = 5
    client.force_login(compliance["auditor"])
    url = reverse("reports:download", kwargs={"table": "pegawai", "fmt": "xlsx"})
    response = client.get(url, {"tahun": YEAR})
    assert response.status_code == 302
    assert response["Location"].endswith("#unduh-pegawai")
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "terlalu besar untuk diunduh langsung" in html
    assert 'action="/laporan/ekspor/"' in html
    assert "Siapkan XLSX" in html
    # A unit small enough still streams.
    small = client.get(url, {"tahun": YEAR, "unit": compliance["opd_b"].pk})
    assert small.status_code == 200


# --- Export jobs ----------------------------------------------------------------------------


def ask(client: Client, **data: Any) -> Any:
    return client.post(reverse("reports:exports"), {"format": "xlsx", "tahun": YEAR, **data})


def test_an_export_job_is_built_by_its_task_with_progress(
    compliance: dict[str, Any],
    client: Client,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(compliance["auditor"])
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, jenis="PNS")
    job = ReportExport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:export_detail", kwargs={"export_id": job.pk})
    assert job.requested_by == compliance["auditor"]
    assert job.kind == selectors.KIND_EMPLOYEES
    assert job.params == {
        "year": YEAR, "employment_type": "PNS", "jabatan_kind": "", "golongan": "",
        "unit": None, "sort": "jp",
    }  # fmt: skip
    assert (job.status, job.done, job.total) == (ReportExport.Status.READY, 8, 8)
    assert job.finished_at is not None

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.context["percent"] == 100
    assert 'http-equiv="refresh"' not in html  # finished: no more reloading
    download_url = reverse("reports:export_download", kwargs={"export_id": job.pk})
    assert download_url in html

    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].endswith(f'filename="kepatuhan-jp-{YEAR}-pegawai.xlsx"')
    rows = read_xlsx(body(download))
    assert len(rows) == 9  # the header and the 8 PNS (the PPPK filtered out)
    assert {r[2] for r in rows[1:]} == {"PNS"}


def test_the_task_run_twice_does_no_harm(
    compliance: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        job = services.report_export_create(
            actor=compliance["auditor"], kind=selectors.KIND_EMPLOYEES, file_format="csv",
            params={"year": YEAR, "unit": compliance["opd_a"].pk},
        )  # fmt: skip
    assert job.status == ReportExport.Status.QUEUED
    assert report_export_run_task(job.pk) == ReportExport.Status.READY
    job.refresh_from_db()
    name = job.file.name
    rows = read_csv(job.file.read())
    assert len(rows) == 5  # Dinas Pendidikan's four active employees
    assert report_export_run_task(job.pk) == ReportExport.Status.READY
    job.refresh_from_db()
    assert job.file.name == name  # not built again
    assert report_export_run_task(987654) is None


def test_a_second_click_returns_the_same_job(
    compliance: dict[str, Any], client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(compliance["auditor"])
    with django_capture_on_commit_callbacks(execute=False):
        first = ask(client)
        second = ask(client)
        other_format = ask(client, format="csv")
    assert first["Location"] == second["Location"]
    assert other_format["Location"] != first["Location"]
    assert ReportExport.objects.count() == 2


def test_the_progress_page_reloads_itself_while_building(
    compliance: dict[str, Any], client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(compliance["auditor"])
    with django_capture_on_commit_callbacks(execute=False):
        response = ask(client)
    job = ReportExport.objects.get()
    ReportExport.objects.filter(pk=job.pk).update(
        status=ReportExport.Status.BUILDING, total=200, done=50
    )
    page = client.get(response["Location"])
    html = page.content.decode()
    assert '<meta http-equiv="refresh" content="3">' in html
    assert page.context["percent"] == 25
    assert "50 dari 200 baris" in html
    assert reverse("reports:export_download", kwargs={"export_id": job.pk}) not in html
    # Not ready: the download sends back to the progress page.
    early = client.get(reverse("reports:export_download", kwargs={"export_id": job.pk}))
    assert early.status_code == 302


def test_progress_is_written_to_the_job_as_rows_go_by(
    compliance: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    job = ReportExport.objects.create(
        requested_by=compliance["auditor"], kind=selectors.KIND_EMPLOYEES, total=3
    )
    monkeypatch.setattr(services, "PROGRESS_SECONDS", 0.0)
    done = [0]
    seen = []
    for _row in services._counted([[1], [2], [3]], job.pk, done):
        seen.append(ReportExport.objects.get(pk=job.pk).done)
    assert seen == [0, 1, 2]  # each row is counted once it has been written
    assert ReportExport.objects.get(pk=job.pk).done == 3
    assert done == [3]


def test_only_the_requester_sees_and_downloads_the_file(
    compliance: dict[str, Any],
    client: Client,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(compliance["superuser"])
    with django_capture_on_commit_callbacks(execute=True):
        ask(client)
    job = ReportExport.objects.get()
    assert job.status == ReportExport.Status.READY
    detail = reverse("reports:export_detail", kwargs={"export_id": job.pk})
    download = reverse("reports:export_download", kwargs={"export_id": job.pk})
    for other in ("auditor", "admin_a"):
        client.force_login(compliance[other])
        assert client.get(detail).status_code == 404
        assert client.get(download).status_code == 404
        assert job.pk not in [j.pk for j in client.get(reverse("reports:exports")).context["page"]]
    client.force_login(compliance["learner"])
    assert client.get(download).status_code == 403


def test_opd_admins_job_holds_only_their_opd(
    compliance: dict[str, Any],
    client: Client,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(compliance["admin_a"])
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, format="csv")
    job = ReportExport.objects.get()
    rows = read_csv(job.file.read())
    assert sorted(r[1] for r in rows[1:]) == [
        "Admin Pendidikan", "Guru Andalas 0", "Guru Andalas 1", "Guru Andalas 2",
    ]  # fmt: skip


def test_an_export_job_out_of_scope_is_refused(compliance: dict[str, Any]) -> None:
    admin = compliance["admin_a"]
    with pytest.raises(PermissionDenied):
        services.report_export_create(
            actor=admin, kind=selectors.KIND_EMPLOYEES, file_format="xlsx",
            params={"year": YEAR, "unit": compliance["opd_b"].pk},
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.report_export_create(
            actor=compliance["learner"], kind=selectors.KIND_EMPLOYEES, file_format="xlsx",
            params={"year": YEAR},
        )  # fmt: skip
    for params, fmt in (
        ({"year": "dua ribu"}, "xlsx"),
        ({"year": YEAR, "golongan": "Z/z"}, "xlsx"),
        ({"year": YEAR, "unit": "1"}, "xlsx"),
        ({"year": YEAR}, "pdf"),
    ):
        with pytest.raises(ValidationError):
            services.report_export_create(
                actor=admin, kind=selectors.KIND_EMPLOYEES, file_format=fmt, params=params
            )
    assert not ReportExport.objects.exists()


def test_a_job_whose_requester_lost_the_role_fails_with_a_reason(
    compliance: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    admin = compliance["admin_a"]
    with django_capture_on_commit_callbacks(execute=False):
        job = services.report_export_create(
            actor=admin, kind=selectors.KIND_EMPLOYEES, file_format="xlsx",
            params={"year": YEAR, "unit": compliance["unit_a"].pk},
        )  # fmt: skip
    role_revoke(
        actor=None,
        assignment=RoleAssignment.objects.get(employee=admin, role=Role.OPD_ADMIN),
        reason="pindah tugas",
    )
    assert not scope_for(admin).is_admin_scope
    assert report_export_run_task(job.pk) == ReportExport.Status.FAILED
    job.refresh_from_db()
    assert job.failure
    assert not job.file


def test_bad_export_requests_change_nothing(compliance: dict[str, Any], client: Client) -> None:
    client.force_login(compliance["auditor"])
    for data in ({"format": "pdf"}, {"tahun": "x"}, {"unit": "abc"}, {"jenis": "X"}):
        response = ask(client, **data)
        assert response.status_code == 302
        assert response["Location"] == reverse("reports:compliance")
    assert not ReportExport.objects.exists()
    assert client.get(reverse("reports:exports")).status_code == 200
