from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .models import Employee
from .nip import normalise_nip


class NipOrEmailBackend(ModelBackend):
    """Log in with the NIP (spaces allowed, as printed on an SK) or the email address."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Employee | None:
        if username is None:
            username = kwargs.get(Employee.USERNAME_FIELD)
        if not username or not password:
            return None
        username = username.strip()
        if "@" in username:
            employee = Employee.objects.filter(email__iexact=username).first()
        else:
            employee = Employee.objects.filter(nip=normalise_nip(username)).first()
        if employee is None:
            # Spend the same time as a real check so that timing does not reveal who exists.
            Employee().set_password(password)
            return None
        if employee.check_password(password) and self.user_can_authenticate(employee):
            return employee
        return None


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The key failed logins are counted under: "1986 0926 ..." and "19860926..." are one NIP."""
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    raw = str(raw).strip()
    return raw.lower() if "@" in raw else normalise_nip(raw)
