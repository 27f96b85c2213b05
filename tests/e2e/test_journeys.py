"""What a learner, an OPD admin and the BKPSDM superuser do in a real browser."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from playwright.sync_api import Locator, Page, expect

from lms.people.demo import DemoAccount
from lms.people.models import Employee, OrgUnit

from .conftest import DESKTOP, PHONE, Tab

pytestmark = [
    pytest.mark.e2e,
    # The live server needs real commits. The flush after each test removes Wagtail's root
    # page, locale and collection; the demo fixture puts them back (ensure_wagtail_root).
    pytest.mark.django_db(transaction=True),
]

LEARNER = "Peserta"
OPD_ADMIN = "Admin OPD (Dinas Pendidikan)"
SUPERUSER = "Superuser BKPSDM"
WRONG_LOGIN = "NIP/email atau kata sandi salah."
# Django's own Indonesian catalogue labels the password "Kata Kunci"; the rest of Sinau says
# "kata sandi". Either is what a person reads next to the field.
PASSWORD_LABEL = re.compile(r"^Kata (sandi|kunci)", re.IGNORECASE)


def as_on_sk(nip: str) -> str:
    """A PNS NIP the way an SK prints it: ``19900101 201503 2 005``."""
    return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"


def log_in(tab: Tab, identifier: str, password: str = settings.SINAU_DEMO_PASSWORD) -> None:
    tab.open("/masuk/")
    username = tab.page.get_by_label("NIP atau email")
    username.fill(identifier)
    # The browser enforces the field's maxlength: a cut-off NIP or email would fail the login.
    expect(username).to_have_value(identifier)
    tab.page.get_by_label(PASSWORD_LABEL).fill(password)
    tab.page.get_by_role("button", name="Masuk", exact=True).click()


def assert_fits(tab: Tab, width: int = PHONE["width"]) -> None:
    """Nothing on the page forces sideways scrolling on a phone."""
    # Measured once the stylesheets are in: a page still loading its CSS on a busy machine
    # is laid out without it, which no user is shown for long.
    tab.page.wait_for_load_state("load")
    assert tab.scroll_width() <= width, f"{tab.page.url} scrolls sideways at {width}px"


def column(page: Page, header: str) -> list[str]:
    headers = [h.strip() for h in page.locator("table thead th").all_inner_texts()]
    index = headers.index(header) + 1
    return [c.strip() for c in page.locator(f"table tbody td:nth-child({index})").all_inner_texts()]


def test_learner_logs_in_with_the_nip_as_printed_on_an_sk(
    tab: Tab, demo: dict[str, DemoAccount]
) -> None:
    learner = demo[LEARNER]
    page = tab.page
    page.set_viewport_size(PHONE)

    tab.open("/masuk/")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_role("heading", name="Masuk ke Sinau")).to_be_visible()
    assert_fits(tab)
    tab.screenshot("learner-login-360")

    log_in(tab, as_on_sk(learner.nip))
    expect(page).to_have_url(tab.base_url + "/")
    expect(page.get_by_text(f"Selamat datang, {learner.full_name}.")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_role("link", name="Akun saya")).to_be_visible()
    assert_fits(tab)
    tab.screenshot("learner-home-360")

    page.get_by_role("link", name="Akun saya").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(learner.full_name)
    expect(page.locator(".facts")).to_contain_text(as_on_sk(learner.nip))
    assert_fits(tab)
    tab.screenshot("learner-account-360")

    # Each language is offered in its own name, so a reader of either can find theirs.
    language = page.get_by_label("Bahasa")
    expect(language.locator("option[value=en]")).to_have_text("English")
    expect(language.locator("option[value=id]")).to_have_text("Bahasa Indonesia")
    language.select_option("en")
    page.get_by_role("button", name="Ganti").click()
    # set_language sends the learner back to the page they were on, now in English.
    expect(page).to_have_url(tab.base_url + "/akun/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Language")).to_have_value("en")
    expect(page.get_by_role("link", name="My account")).to_be_visible()
    expect(page.locator("main dl")).to_contain_text("Work unit")
    assert_fits(tab)
    tab.screenshot("learner-account-360-en")

    page.get_by_role("link", name="Home").click()
    expect(page.get_by_text(f"Welcome, {learner.full_name}.")).to_be_visible()
    assert_fits(tab)
    tab.screenshot("learner-home-360-en")
    assert not tab.page_errors


def test_opd_admin_sees_only_their_own_opd(tab: Tab, demo: dict[str, DemoAccount]) -> None:
    admin = Employee.objects.get(nip=demo[OPD_ADMIN].nip)
    opd = OrgUnit.objects.get(name="Dinas Pendidikan", kind=OrgUnit.Kind.OPD)
    in_opd = Employee.objects.filter(org_unit__path__startswith=opd.path)
    outside = Employee.objects.exclude(org_unit__path__startswith=opd.path)
    assert in_opd.count() > 1, "the demo data no longer tests scoping"
    assert outside.exists(), "the demo data no longer tests scoping"
    opd_units = {u.name for u in OrgUnit.objects.filter(path__startswith=opd.path)}
    page = tab.page

    log_in(tab, admin.email)
    expect(page.get_by_text(f"Selamat datang, {admin.name_with_gelar}.")).to_be_visible()
    page.get_by_role("navigation").get_by_role("link", name="Kelola", exact=True).click()
    page.get_by_role("link", name="Pegawai", exact=True).click()
    expect(page).to_have_url(tab.base_url + "/kelola/pegawai/")
    expect(page.get_by_role("heading", name="Daftar pegawai")).to_be_visible()

    units = column(page, "Unit kerja")
    assert units, "the list is empty"
    assert set(units) <= opd_units, set(units) - opd_units
    assert set(column(page, "NIP")) == set(in_opd.values_list("nip", flat=True))
    tab.screenshot("opd-admin-list-1280")
    page.set_viewport_size(PHONE)
    assert_fits(tab)
    tab.screenshot("opd-admin-list-360")
    page.set_viewport_size(DESKTOP)

    target = in_opd.exclude(pk=admin.pk).order_by("nip").first()
    assert target is not None
    page.get_by_label("Cari nama, NIP, email atau jabatan").fill(target.full_name)
    page.get_by_role("button", name="Terapkan").click()
    names = column(page, "Nama")
    expected = in_opd.filter(full_name__icontains=target.full_name).count()
    assert len(names) == expected
    assert all(target.full_name in name for name in names), names

    page.get_by_role("link", name=target.name_with_gelar).first.click()
    expect(page).to_have_url(re.compile(r"/kelola/pegawai/\d{18}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(target.name_with_gelar)

    stranger = outside.exclude(org_unit=None).first()
    assert stranger is not None
    response = tab.open(f"/kelola/pegawai/{stranger.nip}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Halaman tidak ditemukan")).to_be_visible()
    expect(page.get_by_text(stranger.full_name)).to_have_count(0)
    assert not tab.page_errors


def tab_to(page: Page, target: Locator, presses: int = 12) -> None:
    """Press Tab, as a keyboard user would, until ``target`` has the focus."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{presses} presses of Tab never reached {target}")


def test_login_works_with_the_keyboard_alone(tab: Tab, demo: dict[str, DemoAccount]) -> None:
    admin = demo[OPD_ADMIN]
    page = tab.page
    username = page.get_by_label("NIP atau email")
    password = page.get_by_label(PASSWORD_LABEL)
    tab.open("/masuk/")
    # Chromium applies autofocus on a later rendering frame; pressing Tab before it would race.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Lewati ke konten")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None
    assert box["x"] >= 0, "the focused skip link is still off-screen"
    assert box["y"] >= 0, "the focused skip link is still off-screen"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(username).to_be_focused()

    # Sent empty: each field says what is wrong, and its description carries the message.
    page.keyboard.press("Enter")
    expect(username).to_have_attribute("aria-invalid", "true")
    for field in (username, password):
        error = page.locator(".field", has=field).get_by_role("alert")
        expect(error).to_be_visible()
        expect(field).to_have_accessible_description(error.inner_text().strip())

    tab_to(page, username)
    page.keyboard.type(admin.nip)
    page.keyboard.press("Tab")
    expect(password).to_be_focused()
    page.keyboard.type("bukan-kata-sandinya")
    page.keyboard.press("Enter")

    alert = page.locator("main form").get_by_role("alert")
    expect(alert).to_have_text(WRONG_LOGIN)
    expect(username).to_have_value(admin.nip)

    tab_to(page, password)
    page.keyboard.type(settings.SINAU_DEMO_PASSWORD)
    page.keyboard.press("Enter")
    # The skip link left "#konten" on the address; the redirect keeps it, which is harmless.
    expect(page).to_have_url(re.compile(re.escape(tab.base_url) + r"/(#konten)?$"))
    expect(page.get_by_text(f"Selamat datang, {admin.full_name}.")).to_be_visible()
    assert not tab.page_errors


def test_superuser_opens_the_wagtail_admin_within_the_csp(
    tab: Tab, demo: dict[str, DemoAccount]
) -> None:
    page = tab.page
    log_in(tab, demo[SUPERUSER].nip)
    expect(page).to_have_url(tab.base_url + "/")

    response = tab.open("/admin/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # The sidebar is drawn by the admin's JavaScript: it appears only if the scripts ran.
    expect(page.locator("#wagtail-sidebar .sidebar")).to_be_visible()
    # Let late fetches (the upgrade check, avatars) happen before the reports are read.
    page.wait_for_load_state("networkidle")
    tab.screenshot("superuser-admin-1280")

    violations = [
        f"{v['directive']} blocked {v['blocked']} ({v['source'] or v['page']}:{v['line']})"
        for v in tab.csp_violations
    ]
    assert not violations, "\n".join(violations)
    assert not [m for m in tab.console if "Content Security Policy" in m], tab.console
    assert not tab.page_errors, tab.page_errors
    assert not tab.outside_requests, tab.outside_requests
