"""BKPSDM grants and revokes roles; auditors read the list; nobody else sees it."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from lms.people.models import RoleAssignment
from lms.people.selectors import scope_for

URL = "people:role_list"


def test_superuser_grants_an_opd_admin_role_by_nip(client: Client, pemda: dict[str, Any]) -> None:
    nurse = pemda["staff_b"][0]
    client.force_login(pemda["superuser"])
    spaced = f"{nurse.nip[:8]} {nurse.nip[8:14]} {nurse.nip[14]} {nurse.nip[15:]}"
    response = client.post(
        reverse(URL),
        {"nip": spaced, "role": "opd_admin", "org_unit": pemda["opd_b"].pk, "reason": "SK 1"},
    )
    assert response.status_code == 302
    scope = scope_for(nurse)
    assert scope.can_change
    assert scope.covers_path(pemda["unit_b"].path)
    assert not scope.covers_path(pemda["unit_a"].path)
    assert nurse.groups.filter(name="Admin OPD").exists()
    listing = client.get(reverse(URL)).content.decode()
    assert nurse.full_name in listing


def test_bad_grants_are_explained_and_change_nothing(client: Client, pemda: dict[str, Any]) -> None:
    client.force_login(pemda["superuser"])
    before = RoleAssignment.objects.count()
    cases = [
        {"nip": "199001012015011999", "role": "auditor", "reason": "x"},  # nobody has it
        {"nip": pemda["learner"].nip, "role": "opd_admin", "reason": "x"},  # no scope
        {"nip": pemda["learner"].nip, "role": "raja", "reason": "x"},  # no such role
        {"nip": pemda["learner"].nip, "role": "auditor", "reason": ""},  # no reason
    ]
    for data in cases:
        response = client.post(reverse(URL), data)
        assert response.status_code == 200, data
        assert response.context["form"].errors, data
    assert RoleAssignment.objects.count() == before


def test_superuser_revokes_with_a_reason(client: Client, pemda: dict[str, Any]) -> None:
    assignment = RoleAssignment.objects.get(employee=pemda["admin_a"])
    client.force_login(pemda["superuser"])
    revoke = reverse("people:role_revoke", args=[assignment.pk])
    client.post(revoke, {"reason": ""})
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()
    client.post(revoke, {"reason": "Pensiun"})
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    entry = ModelLogEntry.objects.get(action="sinau.people.role_revoke")
    assert (entry.user, entry.data["reason"]) == (pemda["superuser"], "Pensiun")
    assert not scope_for(pemda["admin_a"]).can_change


def test_auditor_reads_roles_but_cannot_change_them(client: Client, pemda: dict[str, Any]) -> None:
    client.force_login(pemda["auditor"])
    page = client.get(reverse(URL))
    assert page.status_code == 200
    assert "Beri peran" not in page.content.decode()
    data = {"nip": pemda["learner"].nip, "role": "auditor", "reason": "x"}
    assert client.post(reverse(URL), data).status_code == 403
    assignment = RoleAssignment.objects.get(employee=pemda["admin_a"])
    revoke = reverse("people:role_revoke", args=[assignment.pk])
    assert client.post(revoke, {"reason": "x"}).status_code == 403
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_opd_admin_and_learner_have_no_role_page(client: Client, pemda: dict[str, Any]) -> None:
    for who in ("admin_a", "learner"):
        client.force_login(pemda[who])
        assert client.get(reverse(URL)).status_code == 403


def test_role_page_query_count(
    client: Client, pemda: dict[str, Any], employee_factory: Any,
    django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    from lms.people.services import role_grant

    for i in range(20):
        e = employee_factory(org_unit=pemda["unit_a"], full_name=f"Instruktur {i}")
        role_grant(actor=None, employee=e, role="instructor", reason="uji")
    client.force_login(pemda["superuser"])
    client.get("/")
    with django_assert_max_num_queries(10):
        assert client.get(reverse(URL)).status_code == 200
