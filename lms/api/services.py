"""API tokens: one per employee, made on first request, gone when revoked."""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token

from lms.core.audit import audit_record
from lms.people.models import Employee


@transaction.atomic
def api_token_issue(*, employee: Employee) -> Token:
    token, created = Token.objects.select_related("user").get_or_create(user=employee)
    if created:
        audit_record(actor=employee, action="sinau.api.token_issue", instance=employee)
    return token


@transaction.atomic
def api_token_revoke(*, employee: Employee) -> bool:
    deleted, _rows = Token.objects.filter(user=employee).delete()
    if deleted:
        audit_record(actor=employee, action="sinau.api.token_revoke", instance=employee)
    return bool(deleted)
