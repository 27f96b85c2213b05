"""Atasan langsung: set in bulk by the employee import's optional NIP ATASAN column, or one at
a time by an OPD admin in the employee form; shown on the employee's page. The AKPK asks the
atasan to assess their staff, so a wrong atasan must be refused, not stored."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from lms.people.models import Employee
from lms.people.services import employees_import
from tests.factories import EmployeeFactory, valid_nip

HEADER = ["NIP", "NAMA", "JABATAN", "UNIT KERJA", "JENIS PEGAWAI", "NIP ATASAN"]
UNIT = "Dinas Kesehatan > Bidang P2P"

KEPALA = valid_nip(sequence=901)
KABID = valid_nip(sequence=902)
STAF_1 = valid_nip(sequence=903)
STAF_2 = valid_nip(sequence=904)
UNKNOWN = valid_nip(sequence=999)


def row(nip: str, nama: str, atasan: str = "", jabatan: str = "Analis") -> list[str]:
    return [nip, nama, jabatan, UNIT, "PNS", atasan]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    width = len(header)
    lines = [",".join(header)] + [",".join(r[:width]) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def run(data: bytes, **kw: Any) -> Any:
    kw.setdefault("actor", None)
    kw.setdefault("dry_run", False)
    return employees_import(fileobj=io.BytesIO(data), filename="pegawai.csv", **kw)


def supervisor_of(nip: str) -> str | None:
    employee = Employee.objects.select_related("supervisor").get(nip=nip)
    return employee.supervisor.nip if employee.supervisor else None


# The staff come before their atasan: the atasan is resolved once every row is read.
ROWS = [
    row(STAF_1, "Staf Satu", atasan=KABID),
    row(STAF_2, "Staf Dua", atasan=f"{KABID[:8]} {KABID[8:14]} {KABID[14]} {KABID[15:]}"),
    row(KABID, "Kepala Bidang", atasan=KEPALA, jabatan="Kepala Bidang"),
    row(KEPALA, "Kepala Dinas", jabatan="Kepala Dinas"),
]


# --- import ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_sets_each_atasan_even_when_the_atasan_comes_later_in_the_file() -> None:
    result = run(csv_bytes(ROWS))
    assert (result.created, len(result.errors)) == (4, 0)
    assert supervisor_of(STAF_1) == KABID
    assert supervisor_of(STAF_2) == KABID  # written as an SK prints it, with spaces
    assert supervisor_of(KABID) == KEPALA
    assert supervisor_of(KEPALA) is None
    assert Employee.objects.get(nip=KABID).subordinates.count() == 2


@pytest.mark.django_db
def test_reimport_is_idempotent_and_a_new_atasan_alone_counts_as_an_update() -> None:
    run(csv_bytes(ROWS))
    again = run(csv_bytes(ROWS))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)

    moved = [r[:] for r in ROWS]
    moved[0][5] = KEPALA  # Staf Satu now reports to the Kepala Dinas
    preview = run(csv_bytes(moved), dry_run=True)
    assert (preview.updated, preview.unchanged) == (1, 3)
    assert supervisor_of(STAF_1) == KABID  # a preview changes nothing

    third = run(csv_bytes(moved))
    assert (third.created, third.updated, third.unchanged) == (0, 1, 3)
    assert supervisor_of(STAF_1) == KEPALA
    assert supervisor_of(STAF_2) == KABID  # updated in the same batch, kept


@pytest.mark.django_db
def test_an_atasan_already_in_sinau_is_found() -> None:
    boss = EmployeeFactory.create(full_name="Sekretaris Daerah")
    result = run(csv_bytes([row(STAF_1, "Staf Satu", atasan=boss.nip)]))
    assert (result.created, len(result.errors)) == (1, 0)
    assert supervisor_of(STAF_1) == boss.nip


@pytest.mark.django_db
def test_unknown_own_or_inactive_atasan_is_a_row_error_and_good_rows_go_in() -> None:
    retired = EmployeeFactory.create(full_name="Pensiunan", is_active=False)
    rows = [
        row(KEPALA, "Kepala Dinas"),
        row(STAF_1, "Staf Satu", atasan=UNKNOWN),
        row(STAF_2, "Staf Dua", atasan=STAF_2),
        row(KABID, "Kepala Bidang", atasan=retired.nip),
        row(valid_nip(sequence=905), "Staf Tiga", atasan=KEPALA),
    ]
    result = run(csv_bytes(rows))
    assert result.created == 2
    errors = {e.number: " ".join(e.errors) for e in result.errors}
    assert set(errors) == {3, 4, 5}
    assert UNKNOWN in errors[3]
    assert "tidak ditemukan" in errors[3]
    assert "sendiri" in errors[4]
    assert "tidak aktif" in errors[5]
    assert not Employee.objects.filter(nip__in=[STAF_1, STAF_2, KABID]).exists()
    assert supervisor_of(valid_nip(sequence=905)) == KEPALA


@pytest.mark.django_db
def test_a_row_whose_atasan_was_refused_is_refused_too() -> None:
    rows = [
        row(STAF_1, "Staf Satu", atasan=KABID),
        row(KABID, "Kepala Bidang", atasan=UNKNOWN),
        row(KEPALA, "Kepala Dinas"),
    ]
    result = run(csv_bytes(rows))
    assert result.created == 1
    errors = {e.number: " ".join(e.errors) for e in result.errors}
    assert set(errors) == {2, 3}
    assert "barisnya tidak diimpor" in errors[2]
    assert "tidak ditemukan" in errors[3]


@pytest.mark.django_db
def test_without_the_column_the_stored_atasan_stays_and_an_empty_cell_clears_it() -> None:
    run(csv_bytes(ROWS))
    no_column = [r[:5] for r in ROWS]
    result = run(csv_bytes(no_column, header=HEADER[:5]))
    assert (result.updated, result.unchanged) == (0, 4)
    assert supervisor_of(STAF_1) == KABID

    cleared = [r[:] for r in ROWS]
    cleared[0][5] = ""
    result = run(csv_bytes(cleared))
    assert (result.updated, result.unchanged) == (1, 3)
    assert supervisor_of(STAF_1) is None
    assert supervisor_of(STAF_2) == KABID


@pytest.mark.django_db
def test_an_xlsx_nip_atasan_stored_as_a_number_is_refused_not_guessed() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append([KEPALA, "Kepala Dinas", "Kepala Dinas", UNIT, "PNS", None])
    sheet.append([STAF_1, "Staf Satu", "Analis", UNIT, "PNS", float(KEPALA)])
    out = io.BytesIO()
    book.save(out)
    result = employees_import(
        actor=None, fileobj=io.BytesIO(out.getvalue()), filename="pegawai.xlsx", dry_run=False
    )
    assert result.created == 1
    assert [e.number for e in result.errors] == [3]
    assert "teks" in " ".join(result.errors[0].errors)


# --- the employee form and page -------------------------------------------------------------


def form_data(employee: Employee, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "full_name": employee.full_name, "gelar_depan": employee.gelar_depan,
        "gelar_belakang": employee.gelar_belakang, "email": employee.email,
        "phone": employee.phone, "golongan": employee.golongan, "jabatan": employee.jabatan,
        "jabatan_kind": employee.jabatan_kind, "org_unit": employee.org_unit_id,
        "supervisor": employee.supervisor.nip if employee.supervisor else "",
        "is_active": "on" if employee.is_active else "", "reason": "SK 800/7/2026",
    }  # fmt: skip
    data.update(changes)
    return data


def edit_url(employee: Employee) -> str:
    return reverse("people:employee_edit", args=[employee.nip])


def detail_url(employee: Employee) -> str:
    return reverse("people:employee_detail", args=[employee.nip])


def test_opd_admin_sets_the_atasan_by_nip_and_it_is_audited(
    client: Client, pemda: dict[str, Any]
) -> None:
    teacher, head = pemda["staff_a"][1], pemda["staff_a"][2]
    client.force_login(pemda["admin_a"])
    spaced = f"{head.nip[:8]} {head.nip[8:14]} {head.nip[14]} {head.nip[15:]}"
    response = client.post(edit_url(teacher), form_data(teacher, supervisor=spaced))
    assert response.status_code == 302
    teacher.refresh_from_db()
    assert teacher.supervisor == head
    entry = ModelLogEntry.objects.get(action="sinau.people.update")
    assert entry.data["changes"]["supervisor"] == ["None", str(head)]

    # The form shows the NIP back, and the page names the atasan.
    page = client.get(edit_url(teacher)).content.decode()
    assert f'value="{head.nip}"' in page
    detail = client.get(detail_url(teacher)).content.decode()
    assert "Atasan langsung" in detail
    assert head.full_name in detail


def test_the_atasan_may_work_in_another_opd(client: Client, pemda: dict[str, Any]) -> None:
    teacher = pemda["staff_a"][1]
    client.force_login(pemda["admin_a"])
    boss = pemda["staff_b"][0]
    response = client.post(edit_url(teacher), form_data(teacher, supervisor=boss.nip))
    assert response.status_code == 302
    teacher.refresh_from_db()
    assert teacher.supervisor == boss


@pytest.mark.parametrize("case", ["unknown", "self", "inactive", "letters"])
def test_a_bad_atasan_is_refused_on_the_form_and_nothing_changes(
    client: Client, pemda: dict[str, Any], case: str
) -> None:
    teacher, head = pemda["staff_a"][1], pemda["staff_a"][2]
    Employee.objects.filter(pk=teacher.pk).update(supervisor=head)
    teacher.refresh_from_db()
    retired = EmployeeFactory.create(org_unit=pemda["unit_a"], is_active=False)
    nip = {"unknown": UNKNOWN, "self": teacher.nip, "inactive": retired.nip, "letters": "abc"}
    client.force_login(pemda["admin_a"])
    response = client.post(edit_url(teacher), form_data(teacher, supervisor=nip[case]))
    assert response.status_code == 200
    assert response.context["form"].errors["supervisor"]
    teacher.refresh_from_db()
    assert teacher.supervisor == head
    assert not ModelLogEntry.objects.filter(action="sinau.people.update").exists()


def test_clearing_the_field_removes_the_atasan(client: Client, pemda: dict[str, Any]) -> None:
    teacher, head = pemda["staff_a"][1], pemda["staff_a"][2]
    Employee.objects.filter(pk=teacher.pk).update(supervisor=head)
    teacher.refresh_from_db()
    client.force_login(pemda["admin_a"])
    assert client.post(edit_url(teacher), form_data(teacher, supervisor="")).status_code == 302
    teacher.refresh_from_db()
    assert teacher.supervisor is None


def test_the_service_refuses_an_employee_as_their_own_atasan(pemda: dict[str, Any]) -> None:
    from django.core.exceptions import ValidationError

    from lms.people.services import employee_update

    teacher = pemda["staff_a"][1]
    with pytest.raises(ValidationError) as refused:
        employee_update(
            actor=pemda["admin_a"], employee=teacher, data={"supervisor": teacher}, reason="uji"
        )
    assert "supervisor" in refused.value.message_dict
    teacher.refresh_from_db()
    assert teacher.supervisor is None


def test_detail_page_shows_the_atasan_in_bounded_queries(
    client: Client, pemda: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    teacher, head = pemda["staff_a"][1], pemda["staff_a"][2]
    Employee.objects.filter(pk=teacher.pk).update(supervisor=head)
    client.force_login(pemda["auditor"])
    with django_assert_max_num_queries(12):
        response = client.get(detail_url(teacher))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Atasan langsung" in text
    assert head.name_with_gelar in text

    client.force_login(pemda["admin_a"])
    alone = pemda["staff_a"][0]
    text = client.get(detail_url(alone)).content.decode()
    assert "Atasan langsung" in text


def test_an_atasan_who_has_left_does_not_block_other_changes(
    client: Client, pemda: dict[str, Any]
) -> None:
    teacher = pemda["staff_a"][1]
    retired = EmployeeFactory.create(org_unit=pemda["unit_a"], is_active=False)
    Employee.objects.filter(pk=teacher.pk).update(supervisor=retired)
    teacher.refresh_from_db()
    client.force_login(pemda["admin_a"])
    response = client.post(edit_url(teacher), form_data(teacher, jabatan="Guru Ahli Madya"))
    assert response.status_code == 302
    teacher.refresh_from_db()
    assert (teacher.jabatan, teacher.supervisor) == ("Guru Ahli Madya", retired)
