from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def sinau(request: HttpRequest) -> dict[str, Any]:
    from lms.people.selectors import scope_for

    def scope() -> Any:
        # One query per request, shared with the admin menu; only pages that draw the menu
        # for a logged-in user pay it.
        found = getattr(request, "_sinau_scope", None)
        if found is None:
            found = scope_for(getattr(request, "user", None))
            request._sinau_scope = found  # type: ignore[attr-defined]
        return found

    def teaches() -> bool:
        # Who may be named instructor holds the instructor role (the angkatan, session and
        # programme forms offer no one else), so the scope read above answers for free: no
        # query of its own on every page. BKPSDM runs every session.
        from lms.people.models import Role

        user = getattr(request, "user", None)
        return bool(getattr(user, "is_superuser", False)) or Role.INSTRUCTOR in scope().roles

    return {
        "PEMDA_NAME": settings.SINAU_PEMDA_NAME,
        "admin_scope": SimpleLazyObject(scope),
        "teaches": SimpleLazyObject(teaches),
    }
