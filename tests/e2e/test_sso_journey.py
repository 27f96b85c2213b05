"""Single sign-on in Chromium: the SSO button, the provider's own page, and back into Sinau
logged in as the employee whose NIP the provider vouched for; a NIP outside the roster is
turned back with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from lms.people.demo import DemoAccount
from tests.people.test_sso import Provider, running_provider, switch_sso_on

from .conftest import Tab
from .test_journeys import LEARNER

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LABEL = "Masuk dengan akun SIMPEG"


@pytest.fixture
def sso(settings: Any, live_server: Any) -> Iterator[Provider]:
    with running_provider(redirect_uri=f"{live_server.url}/oidc/callback/") as provider:
        switch_sso_on(settings, provider)
        settings.SINAU_OIDC_LABEL = LABEL
        yield provider


def sign_in_at_provider(tab: Tab, provider: Provider, sub: str) -> None:
    tab.open("/masuk/")
    tab.page.get_by_role("link", name=LABEL).click()
    tab.page.wait_for_url(f"{provider.url}/oauth2/authorize?*")
    tab.page.get_by_placeholder("sub").fill(sub)
    tab.page.get_by_role("button", name="Authorize").click()


def test_sso_button_through_the_provider_into_sinau(
    tab: Tab, demo: dict[str, DemoAccount], sso: Provider
) -> None:
    learner = demo[LEARNER]
    page = tab.page
    # The password form stays beside the button.
    tab.open("/masuk/")
    expect(page.get_by_label("NIP atau email")).to_be_visible()

    sso.set_user("peserta-simpeg", {"nip": learner.nip, "name": learner.full_name})
    sign_in_at_provider(tab, sso, "peserta-simpeg")
    page.wait_for_url(f"{tab.base_url}/")
    expect(page.get_by_text(learner.full_name).first).to_be_visible()
    tab.screenshot("sso-dashboard")

    # Logging out ends the Sinau session; the login page offers SSO again.
    page.get_by_role("button", name="Keluar").click()
    expect(page.get_by_role("link", name="Masuk", exact=True)).to_be_visible()

    sso.set_user("orang-luar", {"nip": "199001012015031001"})
    sign_in_at_provider(tab, sso, "orang-luar")
    page.wait_for_url(f"{tab.base_url}/masuk/")
    expect(page.get_by_text("NIP 199001012015031001 belum terdaftar di Sinau")).to_be_visible()
    expect(page.get_by_role("link", name=LABEL)).to_be_visible()
    tab.screenshot("sso-refused")

    assert tab.csp_violations == []
    assert tab.page_errors == []
    # Only the provider's own page reaches outside (its stylesheet); Sinau's pages never do.
    assert [url for url in tab.outside_requests if "pico" not in url] == []
