"""The PDF, read back as a verifier would: one A4 landscape page whose text (pdftotext)
holds the name with gelar, NIP, course, JP and number; whose QR code (zbar, on the page
rasterised at 150 dpi) opens the verification URL; rendered once by the worker, again
only when asked. And the template editor's preview."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from courses.models import CoursePage
from lms.certificates import rendering, services
from lms.certificates.models import Certificate, CertificateTemplate
from lms.certificates.tasks import certificate_render_task
from lms.learning.models import Enrolment
from lms.people.models import Employee
from tests.certificates.conftest import COURSE_TITLE

Complete = Callable[[Employee, CoursePage], Enrolment]
A4_LANDSCAPE = (841.89, 595.28)  # points


def issue_and_render(enrolment: Enrolment) -> Certificate:
    certificate = services.certificate_issue(enrolment=enrolment)
    certificate_render_task(certificate.pk)
    certificate.refresh_from_db()
    return certificate


def test_the_pdf_is_one_a4_landscape_page_that_says_who_did_what(
    holder: Employee, course: CoursePage, complete: Complete, demo_template: CertificateTemplate,
    read_pdf: Any, pdf_text: Any, pdf_pages: Any,
) -> None:  # fmt: skip
    certificate = issue_and_render(complete(holder, course))
    data = read_pdf(certificate)
    assert data.startswith(b"%PDF-")
    pages = pdf_pages(data)
    assert len(pages) == 1
    width, height = float(pages[0].mediabox.width), float(pages[0].mediabox.height)
    assert width > height
    assert (width, height) == pytest.approx(A4_LANDSCAPE, abs=1)
    # The template's logo and signature are on the page, read from storage.
    assert len(pages[0].images) >= 2

    text = pdf_text(data)
    for expected in (
        "Dr. Rina Kartika Sari, S.Kom., M.T.",
        "NIP 19880314 201204 2 007",
        COURSE_TITLE,
        "12,5 JP",
        "Manajerial",
        f"Nomor: {certificate.number}",
        "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia".upper(),
        "Dr. Hendra Wibisono, S.Sos., M.Si.",
        "NIP 19720517 199803 1 004",
    ):
        assert expected in text, f"{expected!r} not in {text!r}"
    # The heading is letter-spaced: a reader sees the letters apart.
    assert "SERTIFIKAT" in text.replace(" ", "")
    day = certificate.completed_on
    months = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus"]
    months += ["September", "Oktober", "November", "Desember"]
    assert f"{day.day} {months[day.month - 1]} {day.year}" in text


@pytest.mark.parametrize(
    ("public_url", "base"),
    [("", "http://127.0.0.1:8000"), ("https://sinau.kab-contoh.go.id/", "https://sinau.kab-contoh.go.id")],
)  # fmt: skip
def test_the_qr_code_decodes_to_the_verification_url(
    settings: Any, holder: Employee, course: CoursePage, complete: Complete,
    demo_template: CertificateTemplate, read_pdf: Any, qr_codes: Any, public_url: str, base: str,
) -> None:  # fmt: skip
    settings.SINAU_PUBLIC_URL = public_url
    certificate = issue_and_render(complete(holder, course))
    assert qr_codes(read_pdf(certificate)) == [f"{base}/verify/{certificate.code}"]


def test_the_built_in_look_needs_no_template(
    settings: Any, holder: Employee, course: CoursePage, complete: Complete, read_pdf: Any,
    pdf_text: Any, pdf_pages: Any, qr_codes: Any,
) -> None:  # fmt: skip
    settings.SINAU_PEMDA_NAME = "Pemerintah Kota Contoh"
    certificate = issue_and_render(complete(holder, course))
    data = read_pdf(certificate)
    assert len(pdf_pages(data)) == 1
    text = pdf_text(data)
    assert "PEMERINTAH KOTA CONTOH" in text
    assert "Dr. Rina Kartika Sari, S.Kom., M.T." in text
    assert certificate.number in text
    assert qr_codes(data) == [f"http://127.0.0.1:8000/verify/{certificate.code}"]


def test_long_names_and_titles_stay_on_one_page(
    pemda: dict[str, Any], course_with: Any, complete: Complete,
    demo_template: CertificateTemplate, read_pdf: Any, pdf_text: Any, pdf_pages: Any,
    qr_codes: Any,
) -> None:  # fmt: skip
    from tests.factories import EmployeeFactory

    long_title = (
        "Pelatihan Teknis Penyusunan Dokumen Perencanaan, Penganggaran, Pelaksanaan, "
        "Penatausahaan, Pelaporan dan Pertanggungjawaban Keuangan Daerah Berbasis Kinerja "
        "bagi Pejabat Pengelola Keuangan pada Perangkat Daerah"
    )
    course = course_with([("text", "<p>Bacaan</p>")], title="Kursus Panjang")
    course.title = long_title
    course.save()
    employee = EmployeeFactory.create(
        org_unit=pemda["unit_a"], gelar_depan="Prof. Dr. Ir. H.",
        full_name="Muhammad Abdurrahman Wicaksono Kusumaningrat",
        gelar_belakang="S.E., M.Si., M.M., Ak., CA.",
    )  # fmt: skip
    certificate = issue_and_render(complete(employee, course))
    data = read_pdf(certificate)
    assert len(pdf_pages(data)) == 1
    text = pdf_text(data)
    assert "Kusumaningrat, S.E., M.Si., M.M., Ak., CA." in text
    assert "bagi Pejabat Pengelola Keuangan pada Perangkat Daerah" in text
    assert qr_codes(data) == [rendering.verification_url(certificate.code)]


def test_a_rendered_certificate_is_not_rendered_again_unless_forced(
    holder: Employee, course: CoursePage, complete: Complete, demo_template: CertificateTemplate,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    certificate = issue_and_render(complete(holder, course))
    first_name, first_time = certificate.pdf.name, certificate.rendered_at
    storage = certificate.pdf.storage
    assert first_name.startswith(f"sertifikat/{certificate.year}/")
    assert storage.exists(first_name)

    certificate_render_task(certificate.pk)  # the message again: nothing to do
    certificate.refresh_from_db()
    assert (certificate.pdf.name, certificate.rendered_at) == (first_name, first_time)

    with django_capture_on_commit_callbacks(execute=True):
        certificate_render_task(certificate.pk, force=True)  # a template changed: a new file
    certificate.refresh_from_db()
    assert certificate.pdf.name != first_name
    assert storage.exists(certificate.pdf.name)
    assert not storage.exists(first_name)  # the old file goes with the commit
    assert certificate_render_task(123456) is None  # a certificate since removed


def test_a_failed_render_is_recorded_on_the_certificate(
    holder: Employee, course: CoursePage, complete: Complete
) -> None:
    certificate = services.certificate_issue(enrolment=complete(holder, course))
    # What the task's failure handler records once its retries are used up.
    certificate_render_task.on_failure(
        RuntimeError("font missing"), "task-id", (certificate.pk,), {}, None
    )
    certificate.refresh_from_db()
    assert "font missing" in certificate.render_error
    assert not services.certificates_missing(older_than_seconds=0)["certificates"]


# --- The editor's preview ---------------------------------------------------------------


def test_bkpsdm_previews_a_template_as_a_marked_sample(
    client: Client, pemda: dict[str, Any], demo_template: CertificateTemplate,
    pdf_text: Any, pdf_pages: Any,
) -> None:  # fmt: skip
    url = reverse("wagtailsnippets_certificates_certificatetemplate:pdf_preview",
                  args=[demo_template.pk])  # fmt: skip
    client.force_login(pemda["superuser"])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    data = response.content
    assert len(pdf_pages(data)) == 1
    text = pdf_text(data)
    assert "CONTOH" in text
    assert "Dr. Hendra Wibisono, S.Sos., M.Si." in text
    assert not Certificate.objects.exists()  # a sample, not an issued certificate

    # The template's listing and edit form carry the preview link.
    listing = client.get(reverse("wagtailsnippets_certificates_certificatetemplate:list"))
    assert listing.status_code == 200
    assert url in listing.content.decode()
    edit = client.get(
        reverse("wagtailsnippets_certificates_certificatetemplate:edit", args=[demo_template.pk])
    )
    assert edit.status_code == 200
    assert url in edit.content.decode()

    # Auditors and OPD admins neither edit templates nor preview them.
    for user in (pemda["auditor"], pemda["admin_a"]):
        client.force_login(user)
        assert client.get(url).status_code in (302, 403)
    assert client.get(reverse(
        "wagtailsnippets_certificates_certificatetemplate:pdf_preview", args=[999999]
    )).status_code in (302, 403, 404)  # fmt: skip


def test_bkpsdm_downloads_one_pdf_from_the_admin(
    client: Client, pemda: dict[str, Any], holder: Employee, course: CoursePage,
    complete: Complete, demo_template: CertificateTemplate,
) -> None:  # fmt: skip
    certificate = issue_and_render(complete(holder, course))
    url = reverse("sertifikat:pdf", args=[certificate.pk])
    client.force_login(pemda["auditor"])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")  # type: ignore[attr-defined]
    assert client.get(reverse("sertifikat:pdf", args=[999999])).status_code == 404
    client.force_login(pemda["admin_a"])
    assert client.get(url).status_code in (302, 403)


def test_dates_and_hours_are_printed_the_indonesian_way() -> None:
    assert rendering.date_display(dt.date(2026, 3, 14)) == "14 Maret 2026"
    assert rendering.jp_display(Decimal("2.00")) == "2"
    assert rendering.jp_display(Decimal("12.50")) == "12,5"
    assert rendering.jp_display(Decimal("20")) == "20"
    assert rendering.nip_display("198803142012042007") == "19880314 201204 2 007"
    assert rendering.nip_display("199009132025242014", "PPPK") == "19900913 2025 24 2 014"


def test_a_pdf_lost_from_storage_is_written_again(
    holder: Employee, course: CoursePage, complete: Complete, read_pdf: Any
) -> None:
    certificate = issue_and_render(complete(holder, course))
    certificate.pdf.storage.delete(certificate.pdf.name)
    rendered = rendering.certificate_render(certificate=certificate)
    assert rendered is not None
    assert read_pdf(rendered).startswith(b"%PDF-")
