from typing import Any

from django.conf import settings
from django.http import HttpRequest


def sinau(request: HttpRequest) -> dict[str, Any]:
    return {"PEMDA_NAME": settings.SINAU_PEMDA_NAME}
