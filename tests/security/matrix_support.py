"""The machinery of the authorisation matrix: walking the URL resolver, filling a URL's
arguments from the world, and asking as each role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# Wagtail's own admin (pages, images, documents, users, sites, settings, reports, workflows,
# its API): a representative set is in the matrix by name, and every one of them that
# takes no argument is asked as each non-admin role (test_wagtail_own_admin_is_closed).
# Sinau's own viewsets and snippets (wagtailsnippets_<app>_<model>, jp_target, ...) are
# not Wagtail's own: each of their URLs is in the matrix.
WAGTAIL_OWN = re.compile(
    r"^(wagtailadmin_|wagtailusers_|wagtailimages|wagtaildocs|wagtailembeds|wagtailforms|"
    r"wagtailredirects|wagtailsettings|wagtailsites|wagtailcore_|wagtail_bulk_action|"
    r"wagtail_serve$|wagtailsnippets:)"
)


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    params: tuple[str, ...]


def routes() -> Iterator[Route]:
    """Every named URL pattern of the project, with its namespace and argument names."""

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[Route]:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                ns = namespace
                if pattern.namespace:
                    ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                yield from walk(pattern, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                route = prefix + str(pattern.pattern)
                params = tuple(re.findall(r"<(?:\w+:)?(\w+)>", route))
                yield Route(name, route, params)

    seen: set[str] = set()
    for r in walk(get_resolver(), "", ""):
        if r.name not in seen:  # reverse() answers with the first one
            seen.add(r.name)
            yield r


def url_for(route: Route, world: dict[str, Any], extra: dict[str, Any] | None = None) -> str:
    kwargs: dict[str, Any] = {}
    namespace = route.name.split(":")[0]
    model_key = namespace.removeprefix("wagtailsnippets_").removeprefix("wagtailsnippetchoosers_")
    for param in route.params:
        if param == "pk":
            kwargs[param] = world["admin_pk"].get(route.name) or world["admin_pk"][model_key]
        else:
            kwargs[param] = world["kwargs"][param]
    kwargs.update(extra or {})
    return reverse(route.name, kwargs=kwargs)


def ask(client: Client, method: str, url: str, data: dict[str, Any] | None = None) -> int | str:
    """The status a role gets; a redirect to a login page reads ``L`` (the site's) or
    ``AL`` (Wagtail's), one back to Wagtail's dashboard ``AH``. A POST runs in a
    transaction rolled back afterwards: the matrix must never change what the next request
    sees, whatever a view lets through."""
    cache.clear()  # rate limits are not under test here (tests/security/test_rate_limits.py)
    if method == "get":
        response = client.get(url)
    else:
        with transaction.atomic():
            response = client.post(url, data or {})
            transaction.set_rollback(True)
    status: int | str = response.status_code
    if status == 302:
        location = response["Location"]
        if location.startswith(reverse("people:login")):
            status = "L"
        elif location.startswith(reverse("wagtailadmin_login")):
            status = "AL"
        elif location == reverse("wagtailadmin_home"):
            status = "AH"  # Wagtail's "you may not": back to the dashboard with a message
    if response.streaming:
        # Read to the end: the test client closes a streamed response (and its file) then.
        for _chunk in getattr(response, "streaming_content", ()):
            pass
    return status
