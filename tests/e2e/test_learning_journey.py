"""A learner finds a course, enrols, works through its modules and sees the JP counted;
an OPD admin approves a request and assigns a course. In Chromium, at 1280 and 360 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from courses.models import CoursePage
from lms.learning import services
from lms.learning.models import Enrolment
from lms.people.demo import DemoAccount
from lms.people.models import Employee, OrgUnit

from .conftest import DESKTOP, PHONE, Tab
from .test_journeys import LEARNER, OPD_ADMIN, assert_fits, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

COURSE = "Tata Naskah Dinas Elektronik"


def both_sizes(tab: Tab, name: str) -> None:
    """Screenshots at desktop and phone width; on the phone nothing may scroll sideways."""
    tab.page.set_viewport_size(DESKTOP)
    tab.screenshot(f"{name}-1280")
    tab.page.set_viewport_size(PHONE)
    assert_fits(tab)
    tab.screenshot(f"{name}-360")
    tab.page.set_viewport_size(DESKTOP)


def assert_clean(tab: Tab) -> None:
    assert not tab.page_errors, tab.page_errors
    assert not tab.csp_violations, tab.csp_violations
    assert not tab.outside_requests, tab.outside_requests


def test_learner_finds_enrols_completes_and_sees_the_jp(
    tab: Tab, demo: dict[str, DemoAccount]
) -> None:
    learner = demo[LEARNER]
    page = tab.page
    course = CoursePage.objects.get(title=COURSE)
    modules = list(course.modules())
    assert len(modules) == 3

    log_in(tab, learner.nip)
    expect(page.get_by_text(f"Selamat datang, {learner.full_name}.")).to_be_visible()
    page.get_by_role("link", name="Cari kursus").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Katalog kursus")
    expect(page.get_by_text("4 kursus ditemukan")).to_be_visible()

    page.get_by_role("searchbox", name="Cari kursus").fill("naskah")
    page.get_by_role("button", name="Cari", exact=True).click()
    expect(page.get_by_text("1 kursus ditemukan")).to_be_visible()
    card = page.locator(".course-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("3 JP")
    expect(card).to_contain_text("Pendaftaran terbuka")
    both_sizes(tab, "learning-catalogue-search")

    # Filters open on a phone without pushing the page sideways.
    page.set_viewport_size(PHONE)
    page.get_by_text("Saring menurut").click()
    expect(page.get_by_label("Jenis kompetensi")).to_be_visible()
    assert_fits(tab)
    tab.screenshot("learning-catalogue-filters-360")
    page.set_viewport_size(DESKTOP)

    card.get_by_role("link", name=COURSE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE)
    # Not enrolled: the syllabus lists the modules but does not link them.
    expect(page.locator(".syllabus a")).to_have_count(0)
    both_sizes(tab, "learning-course-before-enrol")

    page.get_by_role("button", name="Daftar kursus ini").click()
    expect(page.get_by_role("status").filter(has_text="Anda terdaftar")).to_be_visible()
    expect(page.get_by_text("Sedang belajar")).to_be_visible()
    expect(page.get_by_text("0 dari 3 modul wajib selesai")).to_be_visible()
    expect(page.locator(".syllabus a")).to_have_count(3)
    both_sizes(tab, "learning-course-enrolled")

    page.get_by_role("link", name=re.compile("^Mulai belajar")).click()
    expect(page).to_have_url(tab.base_url + modules[0].url)
    expect(page.get_by_text("Modul 1 dari 3")).to_be_visible()
    both_sizes(tab, "learning-module-1")

    for number, module in enumerate(modules, start=1):
        expect(page.get_by_role("heading", level=1)).to_have_text(module.title)
        page.get_by_role("button", name="Tandai selesai").click()
        if number < len(modules):
            expect(page).to_have_url(tab.base_url + modules[number].url)
            expect(page.get_by_text(f"Modul {module.title} selesai.")).to_be_visible()

    expect(page).to_have_url(tab.base_url + course.url)
    expect(page.get_by_text(f"Selamat! Anda menyelesaikan kursus {COURSE}; 3 JP")).to_be_visible()
    expect(page.get_by_text("3 dari 3 modul wajib selesai (100%)")).to_be_visible()
    expect(page.locator(".status-completed")).to_contain_text("Selesai pada")
    both_sizes(tab, "learning-course-completed")

    page.get_by_role("link", name="Kursus Saya", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kursus Saya")
    done = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Selesai")))
    expect(done.get_by_role("link", name=COURSE)).to_be_visible()
    expect(done).to_contain_text("3 JP")
    expect(page.locator("#jp-teks")).to_contain_text("3 dari 20 JP")
    expect(page.locator("#jp-teks")).to_contain_text("Kurang 17 JP")
    both_sizes(tab, "learning-dashboard")

    employee = Employee.objects.get(nip=learner.nip)
    enrolment = Enrolment.objects.get(employee=employee, course=course)
    assert enrolment.status == Enrolment.Status.COMPLETED
    assert enrolment.progress.filter(completed_at__isnull=False).count() == 3
    assert enrolment.progress.filter(time_spent_seconds__gt=0).count() <= 3
    assert_clean(tab)


def test_opd_admin_approves_a_request_and_assigns_a_course(
    tab: Tab, demo: dict[str, DemoAccount]
) -> None:
    page = tab.page
    opd = OrgUnit.objects.get(name="Dinas Pendidikan", kind=OrgUnit.Kind.OPD)
    unit = OrgUnit.objects.get(name="Bidang Pembinaan SD")
    staff = list(
        Employee.objects.filter(org_unit__path__startswith=opd.path, is_active=True)
        .exclude(nip=demo[OPD_ADMIN].nip)
        .order_by("nip")[:2]
    )
    approval = CoursePage.objects.get(slug="pelayanan-publik-prima")
    for person in staff:
        services.enrolment_request(actor=person, course=approval)

    log_in(tab, demo[OPD_ADMIN].nip)
    page.get_by_role("link", name="Kursus Saya", exact=True).click()
    page.get_by_role("link", name="Persetujuan pendaftaran").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Persetujuan pendaftaran")
    expect(page.get_by_text("2 pendaftaran menunggu")).to_be_visible()
    both_sizes(tab, "learning-approvals")

    first, second = staff
    first_card = page.locator(".approval-list .card", has_text=first.nip_display)
    first_card.get_by_role("button", name=re.compile("^Setujui")).click()
    expect(page.get_by_text(f"{first.name_with_gelar} disetujui")).to_be_visible()
    second_card = page.locator(".approval-list .card", has_text=second.nip_display)
    second_card.get_by_role("button", name=re.compile("^Tolak")).click()
    expect(page.get_by_text("Tuliskan alasan penolakan untuk peserta.")).to_be_visible()
    second_card.get_by_label("Catatan (wajib bila menolak)").fill("Kuota OPD tahun ini habis")
    second_card.get_by_role("button", name=re.compile("^Tolak")).click()
    expect(
        page.get_by_text("Tidak ada pendaftaran yang menunggu persetujuan Anda.")
    ).to_be_visible()
    statuses = {e.employee_id: e.status for e in Enrolment.objects.filter(course=approval)}
    assert statuses == {first.pk: "active", second.pk: "rejected"}

    page.get_by_role("link", name="Tugaskan kursus").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tugaskan kursus")
    page.get_by_role("combobox", name="Kursus").select_option(label="Pengelolaan Keuangan Daerah")
    page.get_by_label("Seluruh pegawai aktif di unit").select_option(label=f"— — {unit.name}")
    page.get_by_label("Daftar NIP").fill(f"{demo[LEARNER].nip}\n199901012020011999")
    page.get_by_role("button", name="Tugaskan", exact=True).click()
    result = page.locator(".result")
    expect(result).to_contain_text("Hasil penugasan Pengelolaan Keuangan Daerah")
    expect(result).to_contain_text("199901012020011999")  # not found
    expect(result).to_contain_text(demo[LEARNER].nip)  # another OPD: out of scope
    in_unit = Employee.objects.filter(org_unit__path__startswith=unit.path, is_active=True)
    assigned = Enrolment.objects.filter(course__slug="pengelolaan-keuangan-daerah")
    assert set(assigned.values_list("employee_id", flat=True)) == set(
        in_unit.values_list("pk", flat=True)
    )
    both_sizes(tab, "learning-assign-result")
    assert_clean(tab)
