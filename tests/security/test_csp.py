"""Every page a learner or an admin opens carries a strict Content-Security-Policy: scripts
from this site only (no 'unsafe-inline', no eval, no third-party origin), and the pages
themselves hold no inline script or event handler that such a policy would block: the API
docs (Swagger UI) included, whose assets come from our own static files."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from lms.videos.models import Video


class Scripts(HTMLParser):
    """The page's <script> elements (their src, or their inline text) and on* attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.inline: list[str] = []
        self.handlers: list[str] = []
        self._in_script = False
        self._type = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        self.handlers += [f"<{tag} {k}>" for k, _v in attrs if k.startswith("on")]
        if tag == "script":
            self._type = (named.get("type") or "").lower()
            if named.get("src"):
                self.sources.append(named["src"] or "")
            else:
                self._in_script = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        # JSON data blocks (<script type="application/json">) are data, never run.
        if self._in_script and data.strip() and "json" not in self._type:
            self.inline.append(data.strip()[:80])


def policy(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {parts[0]: parts[1:] for parts in (d.split() for d in header.split(";") if d.strip())}


def assert_strict(response: Any) -> None:
    assert response.status_code == 200, response.status_code
    directives = policy(response)
    assert directives["script-src"] == ["'self'"], directives["script-src"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    every_source = [s for sources in directives.values() for s in sources]
    assert not [s for s in every_source if re.match(r"^(https?:|wss?:|\*)", s)], every_source
    assert "'unsafe-eval'" not in every_source
    page = Scripts()
    page.feed(response.content.decode())
    assert page.inline == [], page.inline
    assert page.handlers == [], page.handlers
    external = [s for s in page.sources if not s.startswith("/")]
    assert external == [], external


@pytest.fixture
def owner_client(world: dict[str, Any]) -> Client:
    client = Client()
    client.force_login(world["people"]["owner"])
    return client


def test_learner_pages_carry_a_strict_policy(world: dict[str, Any], owner_client: Client) -> None:
    video_module = world["modules"][0]
    assert Video.objects.filter(pk=world["kwargs"]["video_id"]).exists()
    pages = [
        reverse("learning:dashboard"),
        world["course"].url,
        video_module.url,  # the video player: hls.js from /static/vendor/
        reverse("assessments:quiz", kwargs={"quiz_id": world["kwargs"]["quiz_id"]}),
        reverse("assessments:attempt", kwargs={"attempt_id": world["kwargs"]["attempt_id"]}),
        reverse("certificates:mine"),
    ]
    for url in pages:
        response = owner_client.get(url)
        try:
            assert_strict(response)
        except AssertionError as exc:
            raise AssertionError(f"{url}: {exc}") from exc
    player = owner_client.get(video_module.url).content.decode()
    assert "/static/vendor/hls" in player or "hls" in player


def test_admin_and_public_pages_carry_a_strict_policy(world: dict[str, Any]) -> None:
    anonymous = Client()
    admin = Client()
    admin.force_login(world["people"]["superuser"])
    for client, url in [
        (anonymous, reverse("wagtailadmin_login")),
        (anonymous, reverse("people:login")),
        (anonymous, reverse("certificates:verify_form")),
        (admin, reverse("wagtailadmin_home")),
        (admin, reverse("learning:manage")),
    ]:
        response = client.get(url)
        try:
            assert_strict(response)
        except AssertionError as exc:
            raise AssertionError(f"{url}: {exc}") from exc


def test_api_docs_run_under_the_policy_from_our_own_static_files(db: None) -> None:
    client = Client()
    response = client.get(reverse("api-docs"))
    assert_strict(response)
    page = Scripts()
    page.feed(response.content.decode())
    # Swagger UI's bundle and its initialiser: both from this site, both answer.
    assert any("swagger-ui" in s for s in page.sources), page.sources
    for src in page.sources:
        if src.startswith(settings.STATIC_URL):  # shipped in the sidecar package, found here
            assert finders.find(src.removeprefix(settings.STATIC_URL).split("?")[0]), src
        else:  # the initialiser, served by the view
            asset = client.get(src)
            assert asset.status_code == 200, src
            assert "javascript" in asset["Content-Type"], (src, asset["Content-Type"])
    links = re.findall(r'<link[^>]+href="([^"]+)"', response.content.decode())
    assert links
    assert all(href.startswith("/") for href in links), links
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
