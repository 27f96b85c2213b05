"""An OPD admin never sees or touches a neighbouring OPD: list, detail, search, export, API."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from lms.people import selectors
from lms.people.models import Employee


def login(client: Client, employee: Employee) -> Client:
    client.force_login(employee)
    return client


def export_nips(client: Client, query: str = "") -> set[str]:
    response = client.get(reverse("people:employee_export") + query)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "NIP"
    return {r[0] for r in rows[1:]}


def test_selector_keeps_the_neighbour_out(pemda: dict[str, Any]) -> None:
    mine = set(selectors.employee_list(viewer=pemda["admin_a"]))
    assert set(pemda["staff_a"]) <= mine
    assert pemda["admin_a"] in mine
    assert not mine & set(pemda["staff_b"])
    assert pemda["auditor"] not in mine  # sits at the Pemda root, outside the OPD
    everyone = set(selectors.employee_list(viewer=pemda["auditor"]))
    assert set(pemda["staff_b"]) <= everyone
    assert set(selectors.employee_list(viewer=pemda["learner"])) == {pemda["learner"]}


def test_opd_admin_list_and_search_show_only_their_opd(
    client: Client, pemda: dict[str, Any]
) -> None:
    login(client, pemda["admin_a"])
    response = client.get(reverse("people:employee_list"))
    assert response.status_code == 200
    shown = {e.nip for e in response.context["page"]}
    assert {e.nip for e in pemda["staff_a"]} <= shown
    assert not shown & {e.nip for e in pemda["staff_b"]}
    # Searching for the neighbour by name or by NIP finds nothing.
    neighbour = pemda["staff_b"][0]
    for q in ("Perawat", neighbour.nip, neighbour.email):
        response = client.get(reverse("people:employee_list"), {"q": q})
        assert list(response.context["page"]) == [], q
    # Filtering by the neighbour's unit is refused as an invalid choice, not answered.
    response = client.get(reverse("people:employee_list"), {"unit": pemda["unit_b"].pk})
    assert "unit" in response.context["form"].errors
    assert not {e.nip for e in response.context["page"]} & {e.nip for e in pemda["staff_b"]}


def test_opd_admin_cannot_open_a_neighbours_detail(client: Client, pemda: dict[str, Any]) -> None:
    login(client, pemda["admin_a"])
    own = client.get(reverse("people:employee_detail", args=[pemda["staff_a"][1].nip]))
    assert own.status_code == 200
    assert pemda["staff_a"][1].full_name in own.content.decode()
    other = client.get(reverse("people:employee_detail", args=[pemda["staff_b"][1].nip]))
    assert other.status_code == 404
    assert pemda["staff_b"][1].full_name not in other.content.decode()


def test_opd_admin_export_holds_only_their_opd(client: Client, pemda: dict[str, Any]) -> None:
    login(client, pemda["admin_a"])
    nips = export_nips(client)
    assert {e.nip for e in pemda["staff_a"]} <= nips
    assert not nips & {e.nip for e in pemda["staff_b"]}
    assert export_nips(client, f"?unit={pemda['unit_b'].pk}").isdisjoint(
        {e.nip for e in pemda["staff_b"]}
    )


def test_auditor_reads_everything(client: Client, pemda: dict[str, Any]) -> None:
    login(client, pemda["auditor"])
    nips = export_nips(client)
    assert {e.nip for e in pemda["staff_a"] + pemda["staff_b"]} <= nips
    detail = client.get(reverse("people:employee_detail", args=[pemda["staff_b"][0].nip]))
    assert detail.status_code == 200
    # ...but changes nothing: no import.
    assert client.get(reverse("people:import_new")).status_code == 403


def test_learner_has_no_admin_pages(client: Client, pemda: dict[str, Any]) -> None:
    login(client, pemda["learner"])
    for name in ("people:employee_list", "people:employee_export", "people:import_new"):
        assert client.get(reverse(name)).status_code == 403
    assert client.get(reverse("api:employee_list")).status_code == 403
    assert client.get(reverse("people:account")).status_code == 200


def test_anonymous_is_sent_to_login(client: Client, pemda: dict[str, Any]) -> None:
    response = client.get(reverse("people:employee_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("people:login"))
    assert client.get(reverse("api:employee_list")).status_code in (401, 403)


def test_api_is_scoped_too(client: Client, pemda: dict[str, Any]) -> None:
    login(client, pemda["admin_a"])
    body = client.get(reverse("api:employee_list")).json()
    nips = {e["nip"] for e in body["results"]}
    assert {e.nip for e in pemda["staff_a"]} <= nips
    assert not nips & {e.nip for e in pemda["staff_b"]}
    searched = client.get(reverse("api:employee_list"), {"q": "Perawat"}).json()
    assert searched["count"] == 0
    neighbour = client.get(reverse("api:employee_detail", args=[pemda["staff_b"][0].nip]))
    assert neighbour.status_code == 404


def test_opd_admin_cannot_open_a_neighbours_import_job(
    client: Client, pemda: dict[str, Any]
) -> None:
    from django.core.files.base import ContentFile

    from lms.people.models import EmployeeImport

    job = EmployeeImport(original_name="b.csv", requested_by=pemda["superuser"])
    job.file.save("b.csv", ContentFile(b"NIP\n"))
    login(client, pemda["admin_a"])
    assert client.get(reverse("people:import_detail", args=[job.pk])).status_code == 404
    assert client.post(reverse("people:import_apply", args=[job.pk])).status_code == 404


@pytest.mark.parametrize("count", [5, 60])
def test_list_query_count_does_not_grow_with_rows(
    client: Client, pemda: dict[str, Any], employee_factory: Any, count: int,
    django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    for i in range(count):
        employee_factory(org_unit=pemda["unit_a"], full_name=f"Tambahan {i}")
    login(client, pemda["admin_a"])
    client.get("/")  # warm the session and Wagtail's site cache
    with django_assert_max_num_queries(10):
        response = client.get(reverse("people:employee_list"))
    assert response.status_code == 200
    assert len(response.context["page"]) <= 50  # paginated


def test_detail_export_and_api_query_counts(
    client: Client, pemda: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    login(client, pemda["admin_a"])
    client.get("/")
    with django_assert_max_num_queries(8):
        assert (
            client.get(
                reverse("people:employee_detail", args=[pemda["staff_a"][0].nip])
            ).status_code
            == 200
        )
    with django_assert_max_num_queries(12):
        export_nips(client)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("api:employee_list")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("people:account")).status_code == 200
