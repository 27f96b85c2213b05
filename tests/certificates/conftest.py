"""Certificates under test: a course, a holder with gelar, completions, and the readers a
verifier would use on the PDF (pdftotext, pypdf, pdftoppm + zbarimg)."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from courses.models import CoursePage
from lms.certificates.models import Certificate, CertificateTemplate
from lms.learning import services as learning
from lms.learning.models import Enrolment
from lms.people.models import Employee
from tests.factories import EmployeeFactory, valid_nip

COURSE_TITLE = "Manajemen Risiko Pembangunan Daerah"


@pytest.fixture
def course(course_with: Callable[..., CoursePage]) -> CoursePage:
    course = course_with([("text", "<p>Bacaan</p>")], title=COURSE_TITLE)
    course.jp_credited = Decimal("12.5")
    course.competency_type = "manajerial"
    course.save()
    return course


@pytest.fixture
def holder(pemda: dict[str, Any]) -> Employee:
    return EmployeeFactory.create(
        org_unit=pemda["unit_a"], full_name="Rina Kartika Sari", gelar_depan="Dr.",
        gelar_belakang="S.Kom., M.T.",
        nip=valid_nip(birth=dt.date(1988, 3, 14), appointed=(2012, 4), sex="2", sequence=7),
    )  # fmt: skip


@pytest.fixture
def complete() -> Callable[[Employee, CoursePage], Enrolment]:
    """Enrol the employee and complete the course, as the learning services do."""

    def run(employee: Employee, course: CoursePage) -> Enrolment:
        enrolment = learning.enrolment_request(actor=employee, course=course)
        return learning.enrolment_complete(enrolment=enrolment, actor=None)

    return run


@pytest.fixture
def demo_template(db: None) -> CertificateTemplate:
    from lms.certificates.demo import seed_demo_certificate_template

    return seed_demo_certificate_template()


@contextmanager
def celery_eager() -> Iterator[None]:
    """Tasks run where they are queued (``.delay()`` calls the task at once), for a test."""
    from lms.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def eager() -> Callable[[], Any]:
    return celery_eager


def pdf_bytes(certificate: Certificate) -> bytes:
    certificate.refresh_from_db()
    assert certificate.pdf, "the certificate has no PDF"
    with certificate.pdf.open("rb") as handle:
        return handle.read()


@pytest.fixture
def read_pdf() -> Callable[[Certificate], bytes]:
    return pdf_bytes


@pytest.fixture
def pdf_text(tmp_path: Path) -> Callable[[bytes], str]:
    """The PDF's text as poppler's pdftotext reads it, whitespace collapsed."""

    def run(data: bytes) -> str:
        source = tmp_path / "text.pdf"
        source.write_bytes(data)
        out = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(source), "-"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        return " ".join(out.stdout.decode("utf-8").split())

    return run


@pytest.fixture
def qr_codes(tmp_path: Path) -> Callable[[bytes], list[str]]:
    """What zbar reads from the first page, rasterised at 150 dpi as a scanner would."""

    def run(data: bytes) -> list[str]:
        source = tmp_path / "qr.pdf"
        source.write_bytes(data)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "150", "-singlefile", str(source), str(tmp_path / "page")],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        out = subprocess.run(
            ["zbarimg", "--raw", "-q", str(tmp_path / "page.png")],
            capture_output=True, timeout=60,
        )  # fmt: skip
        return [line for line in out.stdout.decode("utf-8").splitlines() if line]

    return run


@pytest.fixture
def pdf_pages() -> Callable[[bytes], list[Any]]:
    def run(data: bytes) -> list[Any]:
        from pypdf import PdfReader

        return list(PdfReader(io.BytesIO(data)).pages)

    return run
