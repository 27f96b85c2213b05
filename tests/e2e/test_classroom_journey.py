"""A session in the room, in Chromium: the instructor opens a programme session's QR
screen, a phone-sized learner browser scans it (the QR image decoded with zbarimg) and
checks in, the instructor's attendance list shows them, the instructor signs the
programme's sessions off, and the learner's Rekam Kompetensi Saya holds the sessions' JP."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess  # noqa: S404 - zbarimg decodes the QR as a phone camera would
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, ViewportSize, expect

from lms.classroom.models import Attendance, Series, Session, SessionMode
from lms.learning.models import JPEntry
from lms.people.demo import DemoAccount
from lms.people.models import OrgUnit, Role
from lms.people.services import role_grant
from tests.factories import PASSWORD, EmployeeFactory

from .conftest import _CSP_LISTENER, _LOCAL, ARTIFACTS, Tab
from .test_journeys import log_in
from .test_learning_journey import assert_clean
from .test_ledger_journey import restore_jenis_diklat

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PROGRAMME = "Kamis Belajar Digital"
PHONE_390: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser, live_server: Any) -> Iterator[Tab]:
    """A second browser, phone-sized and touch, with its own cookies: the learner's."""
    context = browser.new_context(
        viewport=PHONE_390, is_mobile=True, has_touch=True, device_scale_factor=2,
        locale="id-ID", timezone_id="Asia/Jakarta", service_workers="block",
    )  # fmt: skip
    context.set_default_timeout(10_000)
    page = context.new_page()
    tab = Tab(page=page, base_url=live_server.url)
    page.on("pageerror", lambda exc: tab.page_errors.append(str(exc)))

    def _csp(violation: dict[str, Any]) -> None:
        tab.csp_violations.append(violation)

    page.expose_function("__sinauCspViolation", _csp)
    page.add_init_script(_CSP_LISTENER)

    def _outside(route: Any) -> None:
        tab.outside_requests.append(route.request.url)
        route.abort()

    page.route(lambda url: not _LOCAL.match(url), _outside)
    yield tab
    context.close()


def decode_qr(tab: Tab) -> str:
    """What a camera reads off the screen: the QR image, photographed and decoded."""
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "classroom-qr-code.png"
    tab.page.locator("#qr-image").screenshot(path=str(shot))
    zbarimg = shutil.which("zbarimg")
    assert zbarimg, "zbarimg is missing: apt-get install zbar-tools"
    found = subprocess.run(  # noqa: S603 - a fixed tool on a file this test wrote
        [zbarimg, "--raw", "-q", str(shot)], capture_output=True, text=True, check=True
    )
    return found.stdout.strip()


def test_qr_check_in_on_a_phone_credits_the_programme_jp(
    tab: Tab, phone: Tab, demo: dict[str, DemoAccount]
) -> None:
    restore_jenis_diklat()
    unit = OrgUnit.objects.get(name="Bidang Pembinaan SD")
    instructor = EmployeeFactory.create(org_unit=unit, full_name="Ratna Widyaiswara")
    role_grant(actor=None, employee=instructor, role=Role.INSTRUCTOR, reason="widyaiswara")
    learner = EmployeeFactory.create(org_unit=unit, full_name="Bayu Pamungkas")
    now = timezone.now()
    series = Series.objects.create(
        title=PROGRAMME, recurrence=Series.Recurrence.WEEKLY,
        first_on=timezone.localdate(), last_on=timezone.localdate(),
        start_time=dt.time(8), end_time=dt.time(10), mode=SessionMode.HYBRID,
        venue="Ruang Rapat Sekda", jp_per_session=Decimal("2"), instructor=instructor,
    )  # fmt: skip
    earlier = Session.objects.create(
        series=series, title=f"{PROGRAMME} #1", mode=SessionMode.HYBRID,
        venue="Ruang Rapat Sekda", starts_at=now - dt.timedelta(hours=3),
        ends_at=now - dt.timedelta(hours=1), jp=Decimal("2"), instructor=instructor,
    )  # fmt: skip
    today = Session.objects.create(
        series=series, title=f"{PROGRAMME} #2", mode=SessionMode.HYBRID,
        venue="Ruang Rapat Sekda", starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(hours=2), jp=Decimal("2"), instructor=instructor,
    )  # fmt: skip
    page = tab.page

    # The learner's phone is logged in before the code is shown (a code lives 15-30 s).
    log_in(phone, learner.nip, password=PASSWORD)
    expect(phone.page.get_by_text(f"Selamat datang, {learner.full_name}.")).to_be_visible()

    # 1. The instructor finds the session under "Mengajar" and puts its QR on screen.
    log_in(tab, instructor.nip, password=PASSWORD)
    page.get_by_role("link", name="Mengajar", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sesi saya")
    page.get_by_role("link", name=today.title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(today.title)
    expect(page.get_by_text("Belum ada yang tercatat hadir.")).to_be_visible()
    page.get_by_role("link", name="Tampilkan kode QR").click()
    expect(page.locator("#qr-present")).to_have_text("0")
    first_code = page.locator("#qr-code").inner_text()
    tab.screenshot("classroom-qr-screen-1280")

    url = decode_qr(tab)
    assert url == page.locator("#qr-screen").get_attribute("data-checkin-url")
    assert re.fullmatch(rf"{re.escape(tab.base_url)}/hadir/{today.pk}-\d+-[0-9a-f]{{20}}/", url)

    # 2. The phone opens what it scanned and checks in.
    phone.page.goto(url)
    expect(phone.page.get_by_role("heading", name=today.title)).to_be_visible()
    phone.page.get_by_role("button", name="Catat kehadiran saya").tap()
    expect(
        phone.page.get_by_role("status").filter(has_text="Kehadiran Anda tercatat")
    ).to_contain_text("Hadir")
    phone.page.wait_for_load_state("load")
    assert phone.scroll_width() <= PHONE_390["width"]
    phone.screenshot("classroom-phone-check-in-390")

    # 3. The screen counts them at its next code, and the list shows them.
    expect(page.locator("#qr-present")).to_have_text("1", timeout=25_000)
    expect(page.locator("#qr-recent")).to_contain_text(learner.full_name)
    assert page.locator("#qr-code").inner_text() != first_code
    tab.screenshot("classroom-qr-screen-counted-1280")
    page.get_by_role("link", name="Daftar hadir").click()
    row = page.locator("table.attendance-sheet tbody tr", has_text=learner.full_name)
    expect(row).to_contain_text("Hadir")
    expect(row).to_contain_text("(QR)")

    # 4. The earlier session: the learner scanned nothing, the instructor records them by NIP.
    page.get_by_role("link", name="Sesi saya").click()
    page.get_by_role("link", name=earlier.title, exact=True).click()
    page.get_by_label("NIP peserta").fill(learner.nip)
    page.get_by_role("button", name="Tambahkan").click()
    expect(page.get_by_text(f"{learner.name_with_gelar} dicatat: Hadir.")).to_be_visible()

    # 5. Both lists signed off: each credits its 2 JP.
    page.get_by_role("button", name="Tandatangani daftar hadir").click()
    expect(page.locator(".signed-off")).to_contain_text("ditandatangani oleh Ratna Widyaiswara")
    page.get_by_role("link", name="Sesi saya").click()
    page.get_by_role("link", name=today.title, exact=True).click()
    page.get_by_role("button", name="Tandatangani daftar hadir").click()
    expect(page.locator(".signed-off")).to_be_visible()
    row = page.locator("table.attendance-sheet tbody tr", has_text=learner.full_name)
    expect(row).to_contain_text("2 JP")
    tab.screenshot("classroom-signed-off-list-1280")
    pdf = page.request.get(tab.base_url + reverse("classroom:attendance_pdf", args=[today.pk]))
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"

    # 6. The learner's record holds both sessions' JP.
    phone.open(reverse("learning:competency_record"))
    expect(phone.page.get_by_role("heading", level=1)).to_have_text("Rekam Kompetensi Saya")
    expect(phone.page.locator("#jp-rekam")).to_contain_text("4 dari")
    ledger = phone.page.locator("table.ledger")
    expect(ledger).to_contain_text(earlier.title)
    expect(ledger).to_contain_text(today.title)
    expect(ledger).to_contain_text("Kehadiran sesi")
    phone.screenshot("classroom-phone-record-390")

    assert Attendance.objects.get(session=today, employee=learner).method == "qr"
    assert sorted(JPEntry.objects.filter(employee=learner).values_list("note", "jp")) == [
        (earlier.title, Decimal("2")), (today.title, Decimal("2")),
    ]  # fmt: skip
    assert_clean(tab)
    assert_clean(phone)
