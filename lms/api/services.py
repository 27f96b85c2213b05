"""API tokens (django-rest-knox): a few per employee, each shown once, kept as a hash,
expiring after SINAU_API_TOKEN_DAYS; issuing and revoking are in the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from knox.models import AuthToken
from knox.settings import knox_settings

from lms.core.audit import audit_record
from lms.people.models import Employee


class TokenLimitReached(Exception):
    pass


@dataclass(frozen=True)
class IssuedToken:
    key: str  # the only time the whole token is known: it is stored hashed
    token: AuthToken


@transaction.atomic
def api_token_issue(*, employee: Employee) -> IssuedToken:
    # Lock the employee so two requests at once cannot both pass the limit.
    Employee.objects.select_for_update().filter(pk=employee.pk).first()
    live = AuthToken.objects.filter(user=employee, expiry__gt=timezone.now())
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit is not None and live.count() >= limit:
        raise TokenLimitReached(
            _(
                "Anda sudah memegang %(limit)s token API yang masih berlaku. Cabut token yang "
                "tidak dipakai lagi sebelum membuat yang baru."
            )
            % {"limit": limit}
        )
    AuthToken.objects.filter(user=employee, expiry__lte=timezone.now()).delete()
    token, key = AuthToken.objects.create(user=employee)
    expiry = token.expiry.isoformat() if token.expiry else None
    audit_record(
        actor=employee, action="sinau.api.token_issue", instance=employee,
        data={"token": token.token_key, "expiry": expiry},
    )  # fmt: skip
    return IssuedToken(key=key, token=token)


@transaction.atomic
def api_token_revoke(
    *, employee: Employee, token: AuthToken | None = None, token_key: str | None = None
) -> int:
    """One token (the one a request came with, or the one named by its key on the token
    page), or every token of the employee; only ever the employee's own."""
    tokens = AuthToken.objects.filter(user=employee)
    if token is not None:
        tokens = tokens.filter(pk=token.pk)
    elif token_key is not None:
        tokens = tokens.filter(token_key=token_key)
    keys = list(tokens.values_list("token_key", flat=True))
    tokens.delete()
    if keys:
        audit_record(
            actor=employee, action="sinau.api.token_revoke", instance=employee,
            data={"tokens": keys},
        )  # fmt: skip
    return len(keys)
