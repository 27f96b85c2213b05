"""BKPSDM's compliance dashboard in Chromium: an auditor opens it, drills into an OPD, and
downloads the OPD's employee list as XLSX, the one that the file says is short of JP being
the one the page says; a list too large to build during the request is prepared as a job
whose page shows its progress and then the download. No JavaScript is needed, and the CSP
sees nothing inline."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from lms.learning.models import JPEntry, JPYearTotal
from lms.learning.services import jp_credit
from lms.people.demo import DemoAccount, seed_demo_pemda
from lms.people.models import Employee, OrgUnit

from .conftest import Tab
from .test_journeys import log_in
from .test_learning_journey import assert_clean, both_sizes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AUDITOR = "Auditor BKPSDM"
OPD = "Dinas Pendidikan"
COMPETENCY = ("teknis", "teknis", "manajerial", "sosial_kultural", "pemerintahan")


def credit_the_year(year: int) -> None:
    """Hours for most of the demo Pemda, through the ledger's service: some employees well
    past 20 JP, many short of it, a few with none, spread over the months gone by."""
    rng = random.Random(9)  # noqa: S311 - test data
    today = timezone.localdate()
    last_month = today.month if today.year == year else 12
    source = 0
    for employee in Employee.objects.filter(is_active=True).order_by("nip"):
        for _ in range(rng.choice((0, 1, 2, 3, 4, 5, 6, 7))):
            source += 1
            month = rng.randint(1, last_month)
            day = min(rng.randint(1, 28), today.day if month == today.month else 28)
            jp_credit(
                employee_id=employee.pk,
                jp=Decimal(rng.choice(("2", "3", "4", "5", "6", "8", "2.5"))),
                competency_type=rng.choice(COMPETENCY),
                form=rng.choice(("klasikal", "non_klasikal", "non_klasikal")),
                source_type=JPEntry.Source.EXTERNAL,
                source_id=source,
                earned_on=dt.date(year, month, day),
            )


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Export jobs run at once, inside the request that queues them (no worker here)."""
    from lms.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = before


def test_auditor_reads_the_dashboard_drills_into_an_opd_and_downloads_xlsx(
    tab: Tab, demo: dict[str, DemoAccount], tmp_path: Path, settings: Any, eager_tasks: None
) -> None:
    seed_demo_pemda(employees=160)
    year = timezone.localdate().year
    credit_the_year(year)
    page = tab.page

    log_in(tab, demo[AUDITOR].nip)
    tab.open("/laporan/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Kepatuhan JP {year}")
    # The figures on the cards are the ones the aggregates give.
    active = Employee.objects.filter(is_active=True).count()
    expect(page.locator(".kpi-main")).to_contain_text(f"dari {active} ASN memenuhi target")
    for name in ("Kepatuhan per OPD", "Sebaran JP per ASN", "JP per bulan"):
        figure = page.get_by_role("figure", name=re.compile(name))
        expect(figure.get_by_role("img")).to_be_visible()
    groups = page.get_by_role("region", name="Kepatuhan per OPD")
    expect(groups.get_by_role("row", name=re.compile(f"^{OPD} "))).to_be_visible()
    both_sizes(tab, "reports-dashboard")

    # Drill down: the OPD, then its employees, lowest JP first.
    page.get_by_role("link", name=OPD, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(OPD)
    opd = OrgUnit.objects.get(name=OPD)
    staff = Employee.objects.filter(is_active=True, org_unit__path__startswith=opd.path)
    expect(page.get_by_role("heading", name=re.compile(r"^Pegawai"))).to_contain_text(
        f"({staff.count()})"
    )
    both_sizes(tab, "reports-opd")

    with page.expect_download() as info:
        page.get_by_role("link", name="XLSX — daftar pegawai").first.click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = load_workbook(path, read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:2] == ("NIP", "Nama")
    assert "Status" in header
    assert len(body) == staff.count()
    lowest = body[0]
    totals = dict(JPYearTotal.objects.filter(year=year).values_list("employee__nip", "total"))
    expected = totals.get(str(lowest[0]), Decimal("0"))
    assert Decimal(str(lowest[header.index("JP")])) == expected
    assert lowest[header.index("OPD")] == OPD

    # The whole Pemda's list, above the direct-download limit: a job with its progress page.
    settings.SINAU_REPORT_STREAM_ROWS = 20
    tab.open(f"/laporan/?tahun={year}")
    page.get_by_role("button", name="Siapkan XLSX").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Daftar kepatuhan JP pegawai {year}")
    expect(page.locator("#export-status")).to_have_text("Siap diunduh")
    with page.expect_download() as info:
        page.get_by_role("link", name="Unduh XLSX").click()
    path = tmp_path / "pemda.xlsx"
    info.value.save_as(path)
    sheet = load_workbook(path, read_only=True).active
    assert sheet is not None
    assert sum(1 for _row in sheet.iter_rows(values_only=True)) == active + 1
    tab.screenshot("reports-export-1280")
    assert_clean(tab)
