"""Administrative actions land in the audit log: who, what, when and why."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from lms.core.audit import audit_record
from lms.people.models import EmployeeImport, Role, RoleAssignment
from lms.people.services import employee_import_run, role_grant, role_revoke
from tests.factories import valid_nip
from tests.people.test_import import csv_bytes, row


def entries(action: str, **filters: Any) -> list[ModelLogEntry]:
    return list(ModelLogEntry.objects.filter(action=action, **filters).order_by("timestamp"))


def test_role_grant_and_revoke_are_audited_with_reason(pemda: dict[str, Any]) -> None:
    boss, target = pemda["superuser"], pemda["staff_b"][0]
    assignment = role_grant(
        actor=boss, employee=target, role=Role.OPD_ADMIN, org_unit=pemda["opd_b"],
        reason="SK Kepala BKPSDM 12/2026",
    )  # fmt: skip
    assert target.groups.filter(name="Admin OPD").exists()
    [granted] = entries("sinau.people.role_grant", object_id=str(target.pk))
    assert granted.user == boss
    assert granted.object_id == str(target.pk)
    assert granted.data["reason"] == "SK Kepala BKPSDM 12/2026"
    assert granted.data["role"] == "opd_admin"
    assert granted.timestamp is not None

    role_revoke(actor=boss, assignment=assignment, reason="Mutasi")
    [revoked] = entries("sinau.people.role_revoke", object_id=str(target.pk))
    assert (revoked.user, revoked.data["reason"]) == (boss, "Mutasi")
    assert not target.groups.filter(name="Admin OPD").exists()


def test_role_changes_need_a_superuser_and_a_reason(pemda: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        role_grant(actor=pemda["admin_a"], employee=pemda["learner"], role=Role.AUDITOR, reason="x")
    with pytest.raises(ValidationError):
        role_grant(
            actor=pemda["superuser"], employee=pemda["learner"], role=Role.AUDITOR, reason=" "
        )
    assert not RoleAssignment.objects.filter(employee=pemda["learner"]).exists()
    assert entries("sinau.people.role_grant", object_id=str(pemda["learner"].pk)) == []


def test_import_is_audited_but_a_preview_is_not(pemda: dict[str, Any]) -> None:
    data = csv_bytes([row(valid_nip(sequence=41), "Audit Satu", "Dinas Pendidikan")])
    for dry_run in (True, False):
        job = EmployeeImport(original_name="a.csv", dry_run=dry_run, requested_by=pemda["admin_a"])
        job.file.save("a.csv", ContentFile(data))
        employee_import_run(job_id=job.pk)
    [entry] = entries("sinau.people.import")
    assert entry.user == pemda["admin_a"]
    assert entry.data["created"] == 1
    assert "a.csv" in entry.data["reason"]


def test_export_is_audited(client: Client, pemda: dict[str, Any]) -> None:
    client.force_login(pemda["auditor"])
    response = client.get(reverse("people:employee_export"), {"q": "Guru"})
    b"".join(response.streaming_content)  # type: ignore[attr-defined]
    [entry] = entries("sinau.people.export")
    assert entry.user == pemda["auditor"]
    assert entry.data["filters"] == {"q": "Guru"}


def test_unknown_action_is_a_programming_error(pemda: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="Unregistered"):
        audit_record(actor=None, action="sinau.nope", instance=pemda["learner"], reason="x")
