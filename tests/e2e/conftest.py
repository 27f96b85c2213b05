"""Browser journeys: Debian's Chromium driven by Playwright against pytest-django's live server."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Response,
    ViewportSize,
    sync_playwright,
)

from courses.demo import seed_demo_catalogue
from lms.people.demo import ACCOUNTS, DemoAccount, seed_demo_pemda
from tests.conftest import ensure_wagtail_root

# Playwright's sync API keeps an event loop on the main thread, so Django would refuse every
# ORM call the tests make there. Nothing here is really async: the server runs in its own thread.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 360, "height": 740}

# Listens in the page, reports to Python: a window global would be lost at each navigation.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__sinauCspViolation({
    page: document.location.pathname,
    directive: e.effectiveDirective,
    blocked: e.blockedURI,
    source: e.sourceFile,
    line: e.lineNumber,
    sample: e.sample,
  });
});
"""
_LOCAL = re.compile(r"^(?:https?://(?:localhost|127\.0\.0\.1|\[::1\])[:/]|data:|blob:|about:)")


@dataclass
class Tab:
    """One browser page plus everything it said: console, uncaught errors, CSP reports."""

    page: Page
    base_url: str
    console: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[dict[str, Any]] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)

    def open(self, path: str) -> Response:
        response = self.page.goto(self.base_url + path)
        assert response is not None, path
        return response

    def scroll_width(self) -> int:
        return int(self.page.evaluate("document.documentElement.scrollWidth"))

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        # `make test` installs it first; failing (not skipping) keeps CI from passing blind.
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (Debian's chromium package)")
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(autouse=True)
def _e2e_files(settings: Any, tmp_path: Path) -> None:
    # Without DEBUG the manifest storage needs collectstatic; the live server serves from finders.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media/"},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # The live server runs in this process, so it checks passwords with this cheap hasher too.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(live_server: Any) -> dict[str, DemoAccount]:
    """The demo Pemda and catalogue, keyed by account label; live_server brings transactional_db."""
    ensure_wagtail_root()
    seed_demo_pemda(employees=30)
    seed_demo_catalogue()
    return {account.label: account for account in ACCOUNTS}


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    # An Indonesian browser: Accept-Language decides the page language before any cookie does.
    context = browser.new_context(
        viewport=DESKTOP, locale="id-ID", timezone_id="Asia/Jakarta", service_workers="block"
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def tab(context: BrowserContext, live_server: Any) -> Tab:
    page = context.new_page()
    tab = Tab(page=page, base_url=live_server.url)
    page.on("console", lambda msg: tab.console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: tab.page_errors.append(str(exc)))

    def _csp(violation: dict[str, Any]) -> None:
        tab.csp_violations.append(violation)

    page.expose_function("__sinauCspViolation", _csp)
    page.add_init_script(_CSP_LISTENER)

    def _outside(route: Any) -> None:
        # Sinau must work on an offline Pemda network: nothing may leave the live server.
        tab.outside_requests.append(route.request.url)
        route.abort()

    page.route(lambda url: not _LOCAL.match(url), _outside)
    return tab
