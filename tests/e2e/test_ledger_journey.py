"""Hours add up in Chromium: a learner completes a course and sees its JP in Rekam
Kompetensi Saya, records a training done elsewhere with a PDF certificate, their OPD admin
verifies it from the queue, and the learner's record grows by its JP."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import CoursePage
from lms.learning.models import ExternalTraining, JenisDiklat, JPEntry
from lms.people.demo import DemoAccount
from lms.people.models import Employee, OrgUnit
from tests.factories import PASSWORD, EmployeeFactory

from .conftest import DESKTOP, PHONE, Tab
from .test_journeys import OPD_ADMIN, log_in
from .test_learning_journey import assert_clean, both_sizes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

COURSE = "Tata Naskah Dinas Elektronik"
TRAINING = "Bimbingan Teknis Penyusunan Analisis Jabatan"
# A real, if tiny, PDF: what a scanner or "save as PDF" gives the learner.
PDF = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n"
    b"3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 200 100]>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)


def restore_jenis_diklat() -> None:
    """The live server's flushes empty the migration-loaded reference table; put it back."""
    migration = importlib.import_module("lms.learning.migrations.0003_jenis_diklat_and_append_only")
    for code, name, klasikal in migration.JENIS_DIKLAT:
        JenisDiklat.objects.update_or_create(
            code=code, defaults={"name": name, "klasikal": klasikal}
        )


def log_out(tab: Tab) -> None:
    tab.page.get_by_role("button", name="Keluar").click()
    expect(tab.page.get_by_role("link", name="Masuk", exact=True)).to_be_visible()


def test_course_and_verified_external_training_add_up_in_the_record(
    tab: Tab, demo: dict[str, DemoAccount], tmp_path: Path
) -> None:
    restore_jenis_diklat()
    page = tab.page
    unit = OrgUnit.objects.get(name="Bidang Pembinaan SD")
    learner = EmployeeFactory.create(org_unit=unit, full_name="Dewi Kartikasari")
    course = CoursePage.objects.get(title=COURSE)
    today = timezone.localdate()

    # 1. A course completed in Sinau: its 3 JP in the record.
    log_in(tab, learner.nip, password=PASSWORD)
    expect(page.get_by_text(f"Selamat datang, {learner.full_name}.")).to_be_visible()
    tab.open(course.url or "/")
    page.get_by_role("button", name="Daftar kursus ini").click()
    expect(page.get_by_role("status").filter(has_text="Anda terdaftar")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Mulai belajar")).click()
    for _module in course.modules():
        page.get_by_role("button", name="Tandai selesai").click()
    expect(page.get_by_text(f"Selamat! Anda menyelesaikan kursus {COURSE}; 3 JP")).to_be_visible()

    page.get_by_role("link", name="Rekam Kompetensi", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rekam Kompetensi Saya")
    expect(page.locator("#jp-rekam")).to_contain_text("3 dari 20 JP")
    expect(page.locator("table.ledger")).to_contain_text(COURSE)

    # 2. A training done elsewhere, with its certificate.
    tab.open("/pelatihan-eksternal/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pelatihan Eksternal Saya")
    expect(page.get_by_text("Belum ada pelatihan eksternal yang Anda catat.")).to_be_visible()
    page.get_by_role("link", name="Catat pelatihan eksternal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Catat pelatihan eksternal")
    page.get_by_label("Nama pelatihan").fill(TRAINING)
    page.get_by_label("Penyelenggara").fill("BKN Kantor Regional I Yogyakarta")
    page.get_by_label("Jenis diklat").select_option(label="8. Bimbingan teknis")
    page.get_by_label("Tanggal mulai").fill(today.isoformat())
    page.get_by_label("Tanggal selesai").fill(today.isoformat())
    page.get_by_label("Jumlah JP").fill("8")
    page.get_by_label("Jenis kompetensi").select_option(label="Teknis")
    page.get_by_label("Bentuk pelatihan").select_option(label="Klasikal")
    page.get_by_label("Nomor sertifikat").fill("BKN.I/0457/VI/2026")
    certificate = tmp_path / "sertifikat-anjab.pdf"
    certificate.write_bytes(PDF)
    page.get_by_label("Bukti (sertifikat atau STTPP)").set_input_files(str(certificate))
    both_sizes(tab, "ledger-external-form")
    page.get_by_role("button", name="Ajukan untuk verifikasi").click()
    expect(page.get_by_text(f"Pelatihan {TRAINING} diajukan")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(TRAINING)
    expect(page.locator(".external-status")).to_have_text("Menunggu verifikasi")
    both_sizes(tab, "ledger-external-submitted")
    record = ExternalTraining.objects.get(employee=learner)
    assert record.evidence_name == "sertifikat-anjab.pdf"
    log_out(tab)

    # 3. The OPD admin verifies it from the queue.
    log_in(tab, demo[OPD_ADMIN].nip)
    tab.open("/kelola/pelatihan-eksternal/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Verifikasi pelatihan eksternal")
    row = page.locator("table.external-queue tbody tr", has_text=learner.nip)
    expect(row).to_contain_text(TRAINING)
    both_sizes(tab, "ledger-external-queue")
    row.get_by_role("link", name=re.compile("^Periksa")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TRAINING)
    expect(page.locator(".external-facts")).to_contain_text("BKN.I/0457/VI/2026")
    evidence = page.get_by_role("link", name=re.compile("^Lihat bukti"))
    href = evidence.get_attribute("href")
    assert href is not None
    served = page.request.get(tab.base_url + href)
    assert served.status == 200
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.body() == PDF
    both_sizes(tab, "ledger-external-review")
    page.get_by_role("button", name="Verifikasi dan kreditkan 8 JP").click()
    expect(
        page.get_by_text(f"{TRAINING} milik {learner.name_with_gelar} terverifikasi")
    ).to_be_visible()
    expect(
        page.get_by_text("Tidak ada pelatihan eksternal yang menunggu verifikasi.")
    ).to_be_visible()
    log_out(tab)

    # 4. The learner's record counts both.
    log_in(tab, learner.nip, password=PASSWORD)
    page.get_by_role("link", name="Rekam Kompetensi", exact=True).click()
    expect(page.locator("#jp-rekam")).to_contain_text("11 dari 20 JP")
    ledger = page.locator("table.ledger")
    expect(ledger).to_contain_text(COURSE)
    expect(ledger).to_contain_text(TRAINING)
    expect(ledger).to_contain_text("Pelatihan eksternal")
    # The record page's own layout (its entries table on a phone) is checked by its tests;
    # here it is the figures that matter, photographed at both widths.
    tab.screenshot("ledger-journey-final-record-1280")
    page.set_viewport_size(PHONE)
    tab.screenshot("ledger-journey-final-record-360")
    page.set_viewport_size(DESKTOP)

    tab.open("/pelatihan-eksternal/")
    expect(page.locator(".external-card")).to_contain_text("8 JP tercatat di Rekam Kompetensi")
    expect(page.locator(".external-card")).to_contain_text("Terverifikasi")
    both_sizes(tab, "ledger-external-list")

    entries = JPEntry.objects.filter(employee=Employee.objects.get(pk=learner.pk))
    assert sorted(entries.values_list("source_type", "jp")) == [
        ("course_completion", 3), ("external_training", 8),
    ]  # fmt: skip
    assert_clean(tab)
