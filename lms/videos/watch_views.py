"""Placeholder until this part of the video pipeline lands; every route answers 404."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def _missing(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


heartbeat = _missing
