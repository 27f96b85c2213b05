"""Needs first, in Chromium: an employee fills their AKPK self-assessment on a phone, their
atasan assesses it, the employee reads the gaps and finds the courses that close them on
their dashboard, largest gap first; the OPD admin sees the gaps on the competency map."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from courses.models import CompetencyType, CoursePage
from lms.people.demo import DemoAccount
from lms.people.models import Employee, JabatanKind, OrgUnit
from lms.planning.akpk.services import current_year
from lms.planning.models import AKPK, Competency, CourseCompetency, JabatanStandard
from tests.factories import PASSWORD, EmployeeFactory

from .conftest import DESKTOP, PHONE, Tab
from .test_journeys import OPD_ADMIN, assert_fits, log_in
from .test_learning_journey import assert_clean
from .test_ledger_journey import log_out

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

JABATAN = "Pengelola Layanan Operasional"
LEVEL_TEXT = {
    "1": "Memahami dasar-dasarnya dan melakukannya dengan bimbingan.",
    "2": "Melakukannya sendiri pada tugas rutin.",
    "3": "Melakukannya pada tugas yang beragam dan membimbing rekan.",
    "4": "Mengembangkan cara kerja unit dan menjadi rujukan OPD.",
    "5": "Menjadi rujukan Pemda dan menetapkan arah kebijakannya.",
}
# code: (name, type, level the jabatan requires, self-assessed, the atasan's level)
COMPETENCIES = {
    "MAN-01": ("Pelayanan publik", CompetencyType.MANAJERIAL, 4, 2, 1),
    "TEK-01": ("Tata naskah dinas elektronik", CompetencyType.TEKNIS, 3, 2, 2),
    "SK-01": ("Integritas dan perekat bangsa", CompetencyType.SOSIAL_KULTURAL, 4, 3, 3),
}
# What each demo course builds, and to which level. Pelayanan Publik Prima takes Pelayanan
# publik from the assessed 1 to the required 4 (3 levels) and is 6 JP; Tata Naskah Dinas
# Elektronik closes 1 level in 3 JP: the larger gap must rank first even though it takes
# longer. Integritas builds SK-01 only to level 3, the level the employee already has, so it
# closes nothing and must not be offered.
COURSE_LEVELS = {
    "pelayanan-publik-prima": {"MAN-01": 4},
    "tata-naskah-dinas-elektronik": {"TEK-01": 3},
    "integritas-asn": {"SK-01": 3},
}
FIRST, SECOND = "Pelayanan Publik Prima", "Tata Naskah Dinas Elektronik"
LEFT_OUT = "Integritas dan Antikorupsi bagi ASN"


def seed_planning() -> None:
    """The dictionary, the jabatan's standard and the demo courses' competencies: what
    BKPSDM sets up (through the dictionary import and the course editor) before any AKPK."""
    competencies = {}
    for code, (name, kind, required, _self, _atasan) in COMPETENCIES.items():
        competency = Competency.objects.create(
            code=code, name=name, competency_type=kind, level_descriptions=LEVEL_TEXT
        )
        JabatanStandard.objects.create(
            jabatan=JABATAN, competency=competency, required_level=required
        )
        competencies[code] = competency
    for slug, levels in COURSE_LEVELS.items():
        course = CoursePage.objects.get(slug=slug)
        for code, level in levels.items():
            course.competency_levels.add(
                CourseCompetency(competency=competencies[code], level=level)
            )
        course.save_revision().publish()
    assert CourseCompetency.objects.count() == 3


def choose_levels(page: Page, which: int) -> None:
    """Tick one radio per competency: ``which`` picks the self (3) or atasan (4) level."""
    for code, spec in COMPETENCIES.items():
        level = spec[which]
        page.locator(f"#level-{code.lower()}-{level}").check()


def assert_levels_kept(page: Page, which: int) -> None:
    for code, spec in COMPETENCIES.items():
        level = spec[which]
        for n in range(1, 6):
            radio = page.locator(f"#level-{code.lower()}-{n}")
            if n == level:
                expect(radio).to_be_checked()
            else:
                expect(radio).not_to_be_checked()


# The form controls a screen reader would announce without a name.
_UNLABELLED = """
() => [...document.querySelectorAll("input, select, textarea")]
  .filter((el) => !["hidden", "submit", "button", "reset"].includes(el.type))
  .filter((el) => !(el.labels && el.labels.length))
  .filter((el) => !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
  .map((el) => el.id || el.name)
"""


def assert_labelled(page: Page) -> None:
    unlabelled = page.evaluate(_UNLABELLED)
    assert not unlabelled, f"{page.url}: controls without a label: {unlabelled}"


def assert_quiet(tab: Tab) -> None:
    """assert_clean, and no error in the console either (a failed fetch, a script error)."""
    assert_clean(tab)
    errors = [line for line in tab.console if line.startswith("error")]
    assert not errors, errors


def test_self_assessment_assessment_and_recommended_courses(
    tab: Tab, demo: dict[str, DemoAccount]
) -> None:
    seed_planning()
    year = current_year()
    page = tab.page
    opd = OrgUnit.objects.get(name="Dinas Pendidikan", kind=OrgUnit.Kind.OPD)
    unit = OrgUnit.objects.get(name="Bidang Pembinaan SD")
    assert unit.opd_node() == opd
    atasan = EmployeeFactory.create(
        org_unit=unit, full_name="Hendra Wijaya", jabatan="Kepala Bidang Pembinaan SD",
        jabatan_kind=JabatanKind.STRUKTURAL,
    )  # fmt: skip
    employee = EmployeeFactory.create(
        org_unit=unit, full_name="Sri Rahayu", jabatan=JABATAN, supervisor=atasan
    )

    # 1. The employee, on a phone: opens this year's AKPK, saves a draft, submits it.
    page.set_viewport_size(PHONE)
    log_in(tab, employee.nip, password=PASSWORD)
    expect(page.get_by_text(f"Selamat datang, {employee.full_name}.")).to_be_visible()
    tab.open("/akpk/")
    expect(page.get_by_role("heading", level=1)).to_have_text("AKPK Saya")
    expect(page.get_by_text(f"Standar jabatan {JABATAN} memuat 3 kompetensi.")).to_be_visible()
    assert_fits(tab)
    start = page.locator("#akpk-start")
    expect(start).to_have_text(f"Mulai AKPK tahun {year}")
    start.click()
    expect(page.locator("fieldset.akpk-item")).to_have_count(3)
    expect(page.locator("#kompetensi-man-01 legend")).to_contain_text("Pelayanan publik")
    expect(page.locator("#kompetensi-man-01")).to_contain_text("Standar jabatan: level 4")
    expect(page.locator("#akpk-no-atasan")).to_have_count(0)
    # Each radio is named by its label, the level's indicator with it.
    expect(
        page.locator("#kompetensi-tek-01").get_by_role(
            "radio", name=re.compile(r"^Level 2 — Melakukannya sendiri")
        )
    ).to_be_visible()
    assert_labelled(page)
    choose_levels(page, 3)
    assert_fits(tab)
    tab.screenshot("planning-self-assessment-360")
    page.locator("#akpk-save").click()
    expect(page.get_by_role("status").filter(has_text="Draf AKPK tersimpan.")).to_be_visible()
    page.reload()
    assert_levels_kept(page, 3)
    akpk = AKPK.objects.get(employee=employee, year=year)
    assert akpk.status == AKPK.Status.DRAFT
    assert {i.competency.code: i.self_level for i in akpk.items.select_related("competency")} == {
        code: spec[3] for code, spec in COMPETENCIES.items()
    }

    page.locator("#akpk-submit").click()
    expect(page.locator("p.status")).to_contain_text("menunggu penilaian atasan")
    expect(page.locator(".lead .akpk-status")).to_have_text("Menunggu penilaian atasan")
    expect(page.locator("#akpk-submit")).to_have_count(0)
    assert_fits(tab)
    assert_quiet(tab)
    log_out(tab)

    # 2. The atasan, at a desk: finds the AKPK waiting, assesses every competency.
    page.set_viewport_size(DESKTOP)
    log_in(tab, atasan.nip, password=PASSWORD)
    expect(page.get_by_text(f"Selamat datang, {atasan.full_name}.")).to_be_visible()
    tab.open("/akpk/bawahan/")
    expect(page.get_by_role("heading", level=1)).to_have_text("AKPK bawahan")
    row = page.locator("table.akpk-team tbody tr", has_text=employee.nip)
    expect(row).to_contain_text("Menunggu penilaian atasan")
    assert_labelled(page)
    row.locator(f"#akpk-nilai-{employee.nip}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"AKPK {employee.name_with_gelar} tahun {year}"
    )
    expect(page.locator("#kompetensi-man-01")).to_contain_text("Penilaian diri: 2")
    choose_levels(page, 4)
    assert_labelled(page)
    expect(page.locator("#level-man-01-1")).to_have_accessible_name(
        re.compile(r"^Level 1 — Memahami dasar-dasarnya")
    )
    # The atasan raises one need's priority and says how to meet it.
    expect(page.locator("#priority-tek-01")).to_have_accessible_name("Prioritas")
    expect(page.locator("#note-tek-01")).to_have_accessible_name("Kebutuhan pengembangan")
    page.locator("#priority-tek-01").select_option("tinggi")
    page.locator("#note-tek-01").fill("Magang di Bagian Umum untuk naskah dinas elektronik")
    page.locator("#id_performance_rating").select_option("baik")
    tab.screenshot("planning-assessment-1280")
    page.locator("#akpk-assess-submit").click()
    expect(
        page.get_by_role("status").filter(
            has_text=re.compile(rf"Penilaian AKPK {re.escape(employee.name_with_gelar)} tersimpan")
        )
    ).to_be_visible()
    akpk.refresh_from_db()
    assert akpk.status == AKPK.Status.ASSESSED
    assert akpk.assessed_by_id == atasan.pk
    items = {i.competency.code: i for i in akpk.items.select_related("competency")}
    assert {code: (i.current_level, i.gap, i.priority) for code, i in items.items()} == {
        "MAN-01": (1, 3, "tinggi"), "TEK-01": (2, 1, "tinggi"), "SK-01": (3, 1, "sedang"),
    }  # fmt: skip
    assert_quiet(tab)
    log_out(tab)

    # 3. The employee again: the gaps, then the courses that close them, largest first.
    page.set_viewport_size(PHONE)
    log_in(tab, employee.nip, password=PASSWORD)
    tab.open("/akpk/")
    expect(page.locator(".lead .akpk-status")).to_have_text("Dinilai atasan")
    expect(page.get_by_text("3 kompetensi dengan kesenjangan.")).to_be_visible()
    expect(page.get_by_text("Predikat kinerja: Baik")).to_be_visible()
    expect(page.locator("#ringkasan-man-01")).to_contain_text("kurang 3 level")
    expect(page.locator("#ringkasan-tek-01")).to_contain_text("kurang 1 level")
    expect(page.locator("#ringkasan-tek-01")).to_contain_text("Magang di Bagian Umum")
    expect(page.locator("#ringkasan-sk-01")).to_contain_text("kurang 1 level")
    assert_fits(tab)
    tab.screenshot("planning-akpk-assessed-360")

    page.locator("#akpk-recommended").click()
    expect(page).to_have_url(tab.base_url + "/kursus-saya/")
    section = page.locator("section.recommendations")
    expect(section.get_by_role("heading", level=2)).to_have_text(
        "Kursus yang direkomendasikan untuk Anda"
    )
    cards = section.locator(".recommendation-list > li")
    expect(cards.locator(":scope > a:first-child")).to_have_text([FIRST, SECOND])
    expect(cards.nth(0)).to_contain_text("Pelayanan publik: menutup kesenjangan 3 level")
    expect(cards.nth(0)).to_contain_text("level 1 ke 4; standar 4")
    expect(cards.nth(1)).to_contain_text(
        "Tata naskah dinas elektronik: menutup kesenjangan 1 level"
    )
    expect(section).not_to_contain_text(LEFT_OUT)
    # The gap no offered course takes further is named, for the learner to raise.
    expect(section).to_contain_text(
        "Belum ada kursus untuk kesenjangan: Integritas dan perekat bangsa."
    )
    assert_fits(tab)
    assert_labelled(page)
    tab.screenshot("planning-recommendations")
    page.set_viewport_size(DESKTOP)
    tab.screenshot("planning-recommendations-1280")

    section.get_by_role("link", name=FIRST, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(FIRST)
    first = CoursePage.objects.get(slug="pelayanan-publik-prima")
    expect(page).to_have_url(tab.base_url + (first.url or "/"))
    assert_quiet(tab)
    log_out(tab)

    # 4. The OPD admin: the competency map shows the OPD's gaps, and only their OPD's.
    admin = Employee.objects.get(nip=demo[OPD_ADMIN].nip)
    log_in(tab, admin.nip)
    expect(page.get_by_text(f"Selamat datang, {admin.name_with_gelar}.")).to_be_visible()
    tab.open("/kelola/peta-kompetensi/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Peta kompetensi {year}")
    heat_map = page.locator("table.heat-map")
    headers = [h.strip() for h in heat_map.locator("thead th").all_inner_texts()]
    assert headers == ["Kompetensi", opd.name, "Seluruh lingkup Anda"], headers
    service = heat_map.locator("tbody tr", has_text="MAN-01")
    expect(service.locator("td").nth(0)).to_contain_text("100")
    expect(service.locator("td").nth(0)).to_contain_text("1 dari 1")
    expect(service.locator("td").nth(0)).to_contain_text(re.compile(r"rerata 3([,.]0+)? level"))
    expect(service.locator("td").nth(0)).to_have_class(re.compile(r"\bheat-"))
    assert_labelled(page)
    tab.screenshot("planning-heat-map")
    assert_quiet(tab)
