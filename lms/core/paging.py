"""One way to paginate a list page: the shared ``includes/pagination.html`` reads the page
parameter's name and the rest of the query string from the page object."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest

PAGE_SIZE = 25


def paginate(
    request: HttpRequest, rows: Any, param: str = "halaman", per_page: int = PAGE_SIZE
) -> Any:
    """A page of ``rows`` (a bad or out-of-range number gives the nearest page, never an
    error), carrying ``param`` and the query string without it for the page links."""
    page = Paginator(rows, per_page).get_page(request.GET.get(param))
    query = request.GET.copy()
    query.pop(param, None)
    page.param = param  # type: ignore[attr-defined]
    page.query = query.urlencode()  # type: ignore[attr-defined]
    return page
