"""The SIASN export: a course completion (with its certificate), a verified external training
and an approved mentoring become exactly the rows worked out below; a reversed entry, its
reversal, last year's hours and a training still waiting for verification do not. The file
is built by a task with progress, within the requester's scope, for the requester alone."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import include, path, reverse
from django.utils import timezone
from openpyxl import load_workbook

import lms.urls
from courses.models import CoursePage
from lms.certificates import services as certificates
from lms.learning import services as learning
from lms.learning.external import services as external
from lms.learning.mentoring import services as mentoring
from lms.learning.models import Enrolment, JenisDiklat, JPEntry
from lms.people.models import Employee, Role
from lms.people.selectors import scope_for
from lms.people.services import role_grant
from lms.reports import course_views, siasn
from lms.reports import urls as reports_urls
from lms.reports.models import ReportExport
from tests.factories import EmployeeFactory

_mine = {p.name for p in course_views.urlpatterns}
urlpatterns = [
    path(
        "laporan/",
        include(
            (
                course_views.urlpatterns
                + [p for p in reports_urls.urlpatterns if getattr(p, "name", None) not in _mine],
                "reports",
            )
        ),
    ),
    *lms.urls.urlpatterns,
]
pytestmark = pytest.mark.urls(__name__)

TODAY = timezone.localdate()
YEAR = TODAY.year
JAN_1 = dt.date(YEAR, 1, 1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def back(days: int) -> dt.date:
    """``days`` before today, but not before this year began."""
    return max(JAN_1, TODAY - dt.timedelta(days=days))


def ddmmyyyy(day: dt.date) -> str:
    return day.strftime("%d-%m-%Y")


def client_for(user: Employee) -> Client:
    client = Client()
    client.force_login(user)
    return client


@contextmanager
def eager() -> Iterator[None]:
    from lms.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = before


def jenis(code: int, name: str) -> JenisDiklat:
    # Reference data from a migration; a transactional test elsewhere may have flushed it.
    row, _created = JenisDiklat.objects.get_or_create(code=code, defaults={"name": name})
    return row


def verified_external(employee: Employee, reviewer: Employee, **fields: Any) -> Any:
    details = external.ExternalDetails(
        **{
            "title": "Pelatihan Kepemimpinan Pengawas",
            "organiser": "BPSDM Provinsi Jawa Tengah",
            "jenis": jenis(4, "Workshop"),
            "started_on": back(3),
            "ended_on": TODAY,
            "jp": Decimal("8.4"),
            "competency_type": "manajerial",
            "form": "klasikal",
            "certificate_number": "800/12.3-BPSDM/2026",
            **fields,
        }
    )
    record = external.external_submit(
        actor=employee,
        details=details,
        evidence=SimpleUploadedFile("sertifikat.pdf", PDF, content_type="application/pdf"),
    )
    return external.external_verify(actor=reviewer, record=record)


@pytest.fixture
def fixture(pemda: dict[str, Any], course_with: Callable[..., CoursePage]) -> dict[str, Any]:
    """a0 (OPD A) completed "Etika Birokrasi" (2.5 JP, certificate issued); a1 (OPD A) had
    a workshop verified (8.4 JP); b0 (OPD B) was mentored by b1 and approved (6 JP); a2 had
    a training verified and then reversed; b2 earned hours last year and has a training
    still waiting for verification."""
    from lms.certificates.demo import seed_demo_certificate_template

    seed_demo_certificate_template()
    jenis(16, "E-learning")
    jenis(15, "Mentoring")
    a0, a1, a2 = pemda["staff_a"]
    b0, b1, b2 = pemda["staff_b"]
    admin_a = pemda["admin_a"]
    admin_b = EmployeeFactory.create(org_unit=pemda["opd_b"], full_name="Admin Kesehatan")
    role_grant(
        actor=None, employee=admin_b, role=Role.OPD_ADMIN, org_unit=pemda["opd_b"], reason="uji"
    )

    course = course_with([("text", "<p>Bacaan</p>")], title="Etika Birokrasi")
    course.jp_credited = Decimal("2.5")
    course.save()
    enrolment = learning.enrolment_request(actor=a0, course=course)
    Enrolment.objects.filter(pk=enrolment.pk).update(
        started_at=timezone.make_aware(dt.datetime.combine(back(2), dt.time(9)))
    )
    enrolment = learning.enrolment_complete(enrolment=enrolment, actor=None)
    certificate = certificates.certificate_issue(enrolment=enrolment)
    # Renamed after the certificate was signed: SIASN gets the certificate's title.
    course.title = "Etika Birokrasi (edisi 2)"
    course.save()

    workshop = verified_external(a1, admin_a)

    assignment = mentoring.mentoring_assign(
        actor=admin_b, mentor_nip=b1.nip, mentee_nip=b0.nip, topic="Penyusunan SOP",
        jp=Decimal("6"), competency_type="teknis", starts_on=back(30),
        ends_on=TODAY + dt.timedelta(days=30),
    )  # fmt: skip
    mentoring.mentoring_session_log(
        actor=b1, assignment=assignment, held_on=back(1), minutes=120, notes="Menyusun SOP"
    )
    mentoring.mentoring_sign_off(actor=b1, assignment=assignment, summary="SOP tersusun.")
    mentoring.mentoring_approve(actor=admin_b, assignment=assignment)

    reversed_record = verified_external(
        a2, admin_a, title="Seminar yang dibatalkan", jp=Decimal("4")
    )
    entry = JPEntry.objects.get(source_type=JPEntry.Source.EXTERNAL, source_id=reversed_record.pk)
    learning.jp_reverse(entry=entry, actor=admin_a, reason="Sertifikat palsu")

    learning.jp_credit(
        employee_id=b2.pk, jp=Decimal("3"), competency_type="teknis", form="klasikal",
        source_type=JPEntry.Source.EXTERNAL, source_id=999_001,
        earned_on=dt.date(YEAR - 1, 12, 20), note="Tahun lalu",
    )  # fmt: skip
    external.external_submit(
        actor=b2,
        details=external.ExternalDetails(
            title="Belum diverifikasi",
            organiser="LAN",
            jenis=None,
            started_on=back(1),
            ended_on=TODAY,
            jp=Decimal("2"),
            competency_type="teknis",
            form="klasikal",
        ),  # fmt: skip
        evidence=SimpleUploadedFile("s.pdf", PDF, content_type="application/pdf"),
    )
    entries = {
        e.source_type: e.pk
        for e in JPEntry.objects.filter(year=YEAR, reverses__isnull=True, reversal__isnull=True)
    }
    return {
        **pemda, "admin_b": admin_b, "course": course, "enrolment": enrolment,
        "certificate": certificate, "workshop": workshop, "assignment": assignment,
        "entries": entries,
    }  # fmt: skip


def expected(fixture: dict[str, Any]) -> dict[str, list[Any]]:
    a0, a1 = fixture["staff_a"][:2]
    b0 = fixture["staff_b"][0]
    entries = fixture["entries"]
    return {
        a0.nip: [
            a0.nip, 16, "Etika Birokrasi", settings.SINAU_PEMDA_NAME, ddmmyyyy(back(2)),
            ddmmyyyy(TODAY), 3, YEAR, fixture["certificate"].number, "kursus",
            a0.name_with_gelar, "E-learning", Decimal("2.5"), "course_completion",
            entries["course_completion"],
        ],
        a1.nip: [
            a1.nip, 4, "Pelatihan Kepemimpinan Pengawas", "BPSDM Provinsi Jawa Tengah",
            ddmmyyyy(back(3)), ddmmyyyy(TODAY), 8, YEAR, "800/12.3-BPSDM/2026", "kursus",
            a1.name_with_gelar, "Workshop", Decimal("8.4"), "external_training",
            entries["external_training"],
        ],
        b0.nip: [
            b0.nip, 15, "Penyusunan SOP", "Dinas Kesehatan", ddmmyyyy(back(30)),
            ddmmyyyy(TODAY), 6, YEAR, "", "kursus", b0.name_with_gelar, "Mentoring", Decimal("6"),
            "mentoring", entries["mentoring"],
        ],
    }  # fmt: skip


def rows_of(export: ReportExport) -> list[list[Any]]:
    export.refresh_from_db()
    with export.file.open("rb") as fh:
        data = fh.read()
    if export.file_format == "csv":
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return [[c.value for c in row] for row in sheet.iter_rows()]


def run(export: ReportExport) -> ReportExport:
    built = siasn.siasn_export_build(export_id=export.pk)
    assert built is not None
    return built


def build(actor: Employee, file_format: str = "csv", **kw: Any) -> ReportExport:
    return run(siasn.siasn_export_request(actor=actor, year=YEAR, file_format=file_format, **kw))


# --- Rows and columns -----------------------------------------------------------------------------


def test_csv_rows_and_columns_are_exactly_right(fixture: dict[str, Any]) -> None:
    export = build(fixture["auditor"], "csv")
    assert (export.status, export.total, export.done) == (ReportExport.Status.READY, 3, 3)
    rows = rows_of(export)
    assert rows[0] == siasn.HEADER
    want = {nip: [str(v) for v in row] for nip, row in expected(fixture).items()}
    assert {r[0]: r for r in rows[1:]} == want
    assert len(rows) == 4  # no reversed entry, no reversal, no last year, nothing unverified


def test_xlsx_keeps_nips_as_text_and_hours_as_numbers(fixture: dict[str, Any]) -> None:
    rows = rows_of(build(fixture["auditor"], "xlsx"))
    assert rows[0] == siasn.HEADER
    # An empty cell (no certificate number) reads back as None; JP is a number.
    want = {
        nip: [None if v == "" else float(v) if isinstance(v, Decimal) else v for v in row]
        for nip, row in expected(fixture).items()
    }
    assert {r[0]: r for r in rows[1:]} == want
    for row in rows[1:]:
        assert isinstance(row[0], str)
        assert len(row[0]) == 18


def test_rounding_of_hours() -> None:
    assert [siasn.jumlah_jam(Decimal(v)) for v in ("2.5", "2.49", "2.25", "8.4", "0.25", "20")] == [
        3, 2, 2, 8, 1, 20,
    ]  # fmt: skip


def test_opd_admin_gets_their_subtree_only(fixture: dict[str, Any]) -> None:
    rows = rows_of(build(fixture["admin_a"]))
    a0, a1 = fixture["staff_a"][:2]
    assert sorted(r[0] for r in rows[1:]) == sorted([a0.nip, a1.nip])
    rows = rows_of(build(fixture["admin_b"], org_unit=fixture["unit_b"]))
    assert [r[0] for r in rows[1:]] == [fixture["staff_b"][0].nip]
    with pytest.raises(PermissionDenied):
        siasn.siasn_export_request(actor=fixture["admin_a"], year=YEAR, org_unit=fixture["opd_b"])
    with pytest.raises(PermissionDenied):
        siasn.siasn_export_request(actor=fixture["learner"], year=YEAR)
    with pytest.raises(ValidationError):
        siasn.siasn_export_request(actor=fixture["auditor"], year=1999)
    with pytest.raises(ValidationError):
        siasn.siasn_export_request(actor=fixture["auditor"], year=YEAR, file_format="pdf")


def test_scope_is_the_requesters_when_the_file_is_built(fixture: dict[str, Any]) -> None:
    """A role taken away between the request and the build takes the rows with it."""
    export = siasn.siasn_export_request(actor=fixture["admin_a"], year=YEAR, file_format="csv")
    fixture["admin_a"].role_assignments.all().delete()
    export = run(export)
    assert export.status == ReportExport.Status.READY
    assert rows_of(export)[1:] == []


def test_an_empty_year_is_a_file_with_the_header_only(fixture: dict[str, Any]) -> None:
    export = siasn.siasn_export_request(actor=fixture["auditor"], year=YEAR - 5, file_format="csv")
    export = run(export)
    assert (export.status, export.total) == (ReportExport.Status.READY, 0)
    assert rows_of(export) == [siasn.HEADER]


def test_a_unit_out_of_scope_at_build_time_fails_the_export(fixture: dict[str, Any]) -> None:
    """Never the whole scope in place of the unit asked for."""
    export = siasn.siasn_export_request(
        actor=fixture["admin_b"], year=YEAR, org_unit=fixture["unit_b"]
    )
    fixture["admin_b"].role_assignments.update(org_unit=fixture["opd_a"])
    export = run(export)
    assert export.status == ReportExport.Status.FAILED
    assert "di luar lingkup" in export.failure
    assert not export.file
    assert siasn.siasn_export_build(export_id=987654) is None


def test_the_request_is_in_the_audit_log(fixture: dict[str, Any]) -> None:
    from wagtail.models import ModelLogEntry

    export = siasn.siasn_export_request(actor=fixture["auditor"], year=YEAR)
    entry = ModelLogEntry.objects.get(action="sinau.people.export")
    assert entry.user_id == fixture["auditor"].pk
    assert entry.data["report"] == "siasn"
    assert entry.data["export"] == export.pk


def test_building_twice_changes_nothing(fixture: dict[str, Any]) -> None:
    export = build(fixture["auditor"])
    name = export.file.name
    again = run(export)
    assert (again.status, again.file.name) == (ReportExport.Status.READY, name)


def test_query_count_per_chunk_is_bounded(
    fixture: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    scope = scope_for(fixture["auditor"])
    with django_assert_max_num_queries(8):
        rows = list(siasn.siasn_rows(scope=scope, year=YEAR))
    assert len(rows) == 3
    for i in range(10):
        who = EmployeeFactory.create(org_unit=fixture["unit_a"])
        verified_external(who, fixture["admin_a"], title=f"Pelatihan {i}")
    with django_assert_max_num_queries(8):
        rows = list(siasn.siasn_rows(scope=scope, year=YEAR))
    assert len(rows) == 13


# --- Pages ----------------------------------------------------------------------------------


def test_request_follow_and_download_through_the_pages(
    fixture: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(fixture["admin_a"])
    index = reverse("reports:siasn_index")
    assert client.get(index).status_code == 200
    with eager(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(index, {"year": YEAR, "file_format": "xlsx", "org_unit": ""})
    export = ReportExport.objects.get(kind="siasn")
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:siasn_detail", kwargs={"export_id": export.pk})
    detail = client.get(response["Location"])
    assert detail.status_code == 200
    assert "Siap diunduh" in detail.content.decode()
    response = client.get(reverse("reports:siasn_download", kwargs={"export_id": export.pk}))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'siasn-riwayat-kursus-{YEAR}.xlsx"')
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    assert sheet.max_row == 3  # the header and a0, a1


def test_only_the_requester_sees_and_downloads(fixture: dict[str, Any]) -> None:
    export = build(fixture["admin_a"])
    for other in (fixture["auditor"], fixture["superuser"], fixture["admin_b"]):
        client = client_for(other)
        for name in ("siasn_detail", "siasn_download"):
            url = reverse(f"reports:{name}", kwargs={"export_id": export.pk})
            assert client.get(url).status_code == 404
    learner = client_for(fixture["learner"])
    assert learner.get(reverse("reports:siasn_index")).status_code == 403
    assert learner.post(reverse("reports:siasn_index"), {"year": YEAR}).status_code == 403


def test_bad_input_on_the_page_is_a_message(fixture: dict[str, Any]) -> None:
    client = client_for(fixture["admin_a"])
    index = reverse("reports:siasn_index")
    response = client.post(
        index, {"year": YEAR, "file_format": "csv", "org_unit": fixture["opd_b"].pk}
    )
    assert response.status_code == 400
    assert "Pilih OPD dari daftar" in response.content.decode()
    assert client.post(index, {"year": "abc", "file_format": "csv"}).status_code == 400
    assert not ReportExport.objects.exists()
    assert client.get("/laporan/siasn/99999/").status_code == 404


def test_a_download_before_the_file_is_ready_goes_back_to_the_progress(
    fixture: dict[str, Any],
) -> None:
    export = siasn.siasn_export_request(actor=fixture["admin_a"], year=YEAR)
    client = client_for(fixture["admin_a"])
    detail = client.get(reverse("reports:siasn_detail", kwargs={"export_id": export.pk}))
    assert 'http-equiv="refresh"' in detail.content.decode()
    response = client.get(reverse("reports:siasn_download", kwargs={"export_id": export.pk}))
    assert response.status_code == 302
