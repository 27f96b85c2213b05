from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def sinau(request: HttpRequest) -> dict[str, Any]:
    from lms.people.selectors import scope_for

    # Lazy: only pages that draw the menu for a logged-in user pay its one query.
    return {
        "PEMDA_NAME": settings.SINAU_PEMDA_NAME,
        "admin_scope": SimpleLazyObject(lambda: scope_for(getattr(request, "user", None))),
    }
