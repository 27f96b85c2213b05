"""OPD admins change their own employees only; auditors change nothing; every change is audited."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from lms.people.models import Employee


def form_data(employee: Employee, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "full_name": employee.full_name, "gelar_depan": employee.gelar_depan,
        "gelar_belakang": employee.gelar_belakang, "email": employee.email,
        "phone": employee.phone, "golongan": employee.golongan, "jabatan": employee.jabatan,
        "jabatan_kind": employee.jabatan_kind, "org_unit": employee.org_unit_id,
        "is_active": "on" if employee.is_active else "", "reason": "SK mutasi 800/12/2026",
    }  # fmt: skip
    data.update(changes)
    return data


def edit_url(employee: Employee) -> str:
    return reverse("people:employee_edit", args=[employee.nip])


def test_opd_admin_changes_their_employee_and_it_is_audited(
    client: Client, pemda: dict[str, Any]
) -> None:
    teacher = pemda["staff_a"][1]
    client.force_login(pemda["admin_a"])
    assert client.get(edit_url(teacher)).status_code == 200
    response = client.post(edit_url(teacher), form_data(teacher, jabatan="Guru Ahli Muda"))
    assert response.status_code == 302
    teacher.refresh_from_db()
    assert teacher.jabatan == "Guru Ahli Muda"
    entry = ModelLogEntry.objects.get(action="sinau.people.update")
    assert entry.user == pemda["admin_a"]
    assert entry.data["reason"] == "SK mutasi 800/12/2026"
    assert entry.data["changes"]["jabatan"] == ["Analis", "Guru Ahli Muda"]


def test_opd_admin_cannot_change_a_neighbours_employee(
    client: Client, pemda: dict[str, Any]
) -> None:
    nurse = pemda["staff_b"][0]
    client.force_login(pemda["admin_a"])
    assert client.get(edit_url(nurse)).status_code == 404
    response = client.post(edit_url(nurse), form_data(nurse, jabatan="Diubah tetangga"))
    assert response.status_code == 404
    nurse.refresh_from_db()
    assert nurse.jabatan == "Analis"


def test_opd_admin_cannot_move_an_employee_out_of_their_opd(
    client: Client, pemda: dict[str, Any]
) -> None:
    teacher = pemda["staff_a"][1]
    client.force_login(pemda["admin_a"])
    response = client.post(edit_url(teacher), form_data(teacher, org_unit=pemda["unit_b"].pk))
    assert response.status_code == 200
    assert "org_unit" in response.context["form"].errors
    teacher.refresh_from_db()
    assert teacher.org_unit == pemda["unit_a"]


def test_bad_input_is_explained_and_changes_nothing(client: Client, pemda: dict[str, Any]) -> None:
    teacher, other = pemda["staff_a"][1], pemda["staff_a"][2]
    client.force_login(pemda["admin_a"])
    cases = [
        {"email": other.email},  # someone else's email
        {"golongan": "IX"},  # a PPPK golongan for a PNS
        {"full_name": ""},
        {"reason": ""},
    ]
    for changes in cases:
        response = client.post(edit_url(teacher), form_data(teacher, jabatan="X", **changes))
        assert response.status_code == 200, changes
        assert response.context["form"].errors, changes
    teacher.refresh_from_db()
    assert teacher.jabatan == "Analis"
    assert not ModelLogEntry.objects.filter(action="sinau.people.update").exists()


def test_admin_cannot_deactivate_themself(client: Client, pemda: dict[str, Any]) -> None:
    admin = pemda["admin_a"]
    admin.org_unit = pemda["unit_a"]
    admin.save()
    client.force_login(admin)
    response = client.post(edit_url(admin), form_data(admin, is_active=""))
    assert response.status_code == 200
    admin.refresh_from_db()
    assert admin.is_active


def test_auditor_reads_but_cannot_edit(client: Client, pemda: dict[str, Any]) -> None:
    teacher = pemda["staff_a"][1]
    client.force_login(pemda["auditor"])
    detail = client.get(reverse("people:employee_detail", args=[teacher.nip])).content.decode()
    assert "Ubah data" not in detail
    assert client.get(edit_url(teacher)).status_code == 403
    assert client.post(edit_url(teacher), form_data(teacher, jabatan="X")).status_code == 403
    teacher.refresh_from_db()
    assert teacher.jabatan == "Analis"


def test_edit_page_query_count(
    client: Client, pemda: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client.force_login(pemda["admin_a"])
    client.get("/")
    with django_assert_max_num_queries(10):
        assert client.get(edit_url(pemda["staff_a"][1])).status_code == 200
