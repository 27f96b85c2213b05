"""Bad files (table-driven and fuzzed): random bytes as CSV, XLSX, evidence and video;
files over the configured limits; malformed employee files and invalid NIPs; file names
that try to leave the media folder. Each gets a clear message, never a 500, and nothing is
stored half-way. The import runs in this process (the job's service), as the worker would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from lms.learning.models import ExternalTraining
from lms.people import services as people
from lms.people.models import Employee, EmployeeImport
from lms.videos.models import Video, VideoUpload
from tests.factories import valid_nip
from tests.learning.test_external import PDF, form_data
from tests.people.test_import import csv_bytes, row, xlsx_bytes
from tests.videos.conftest import transcode_now
from tests.videos.test_upload import instructor, payload, put_chunk, start

FUZZ = hypothesis_settings(
    max_examples=12, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip
UNIT = "Dinas Pendidikan > Bidang SD"


def client_for(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def files_in(root: str) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()]


def import_file(client: Client, data: bytes, name: str) -> tuple[Any, EmployeeImport | None]:
    """Upload through the import page, then run the job as the worker would."""
    before = set(EmployeeImport.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("people:import_new"),
        {"file": SimpleUploadedFile(name, data, content_type="text/csv"), "dry_run": ""},
    )
    assert response.status_code < 500
    new = EmployeeImport.objects.exclude(pk__in=before).first()
    if new is not None:
        people.employee_import_run(job_id=new.pk)
        new.refresh_from_db()
    return response, new


# --- employee files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("pegawai.csv", b"", "kosong"),
        ("pegawai.csv", b"\x00\x01\x02binary\x00" * 50, "bukan CSV teks"),
        ("pegawai.csv", b"NAMA,JABATAN\nAni,Guru\n", "Kolom wajib tidak ditemukan"),
        ("pegawai.csv", "NIP,NAMA,UNIT KERJA\n".encode("utf-16"), "bukan CSV teks"),
        ("pegawai.xlsx", b"PK\x03\x04 bukan zip", "bukan XLSX"),
        ("pegawai.xlsx", b"NIP,NAMA\n1,2\n", "bukan XLSX"),
        ("pegawai.pdf", b"%PDF-1.4", "Hanya berkas .csv dan .xlsx"),
        ("pegawai", b"NIP,NAMA\n", "Hanya berkas .csv dan .xlsx"),
    ],
)
def test_malformed_employee_files(
    pemda: dict[str, Any], name: str, data: bytes, message: str
) -> None:
    employees = Employee.objects.count()
    response, job = import_file(client_for(pemda["admin_a"]), data, name)
    said = response.content.decode() + (job.failure if job else "")
    assert message in said
    if job is not None:
        assert job.status == EmployeeImport.Status.FAILED
        page = client_for(pemda["admin_a"]).get(reverse("people:import_detail", args=[job.pk]))
        assert page.status_code == 200
        assert message in page.content.decode()
    assert Employee.objects.count() == employees


@FUZZ
@given(data=st.binary(min_size=0, max_size=4096), xlsx=st.booleans())
def test_fuzzed_employee_files_fail_with_a_message(
    pemda: dict[str, Any], data: bytes, xlsx: bool
) -> None:
    employees = Employee.objects.count()
    name = "acak.xlsx" if xlsx else "acak.csv"
    response, job = import_file(client_for(pemda["admin_a"]), data, name)
    if job is None:  # an empty file: refused on the form
        assert response.status_code == 200
        assert response.context["form"].errors["file"]
        return
    # Random bytes never make a valid row: the job fails with a reason, or reports its rows.
    assert job.status in (EmployeeImport.Status.FAILED, EmployeeImport.Status.DONE)
    assert job.failure or job.error_count or job.rows_total == 0
    assert job.created_count == 0
    assert Employee.objects.count() == employees


@pytest.mark.parametrize(
    ("nip", "message"),
    [
        ("12345", "18 digit"),
        ("19880314201204100A", "18 digit"),
        ("198813142012041001", "tanggal lahir"),
        ("198803142012043001", "jenis kelamin"),
        ("198803142012041000", "nomor urut"),
        ("198803142012131001", "bulan pengangkatan"),
        ("198803142000041001", "sebelum usia 18"),
        (f"19880314{timezone.localdate().year + 1}041001", "masa depan"),
    ],
)
def test_invalid_nips_are_reported_by_row_and_not_imported(
    pemda: dict[str, Any], nip: str, message: str
) -> None:
    employees = Employee.objects.count()
    rows = [row(nip, "Pegawai Salah NIP", UNIT), row(valid_nip(sequence=81), "Pegawai Benar", UNIT)]
    _response, job = import_file(client_for(pemda["admin_a"]), csv_bytes(rows), "pegawai.csv")
    assert job is not None
    assert job.status == EmployeeImport.Status.DONE
    assert (job.created_count, job.error_count) == (1, 1)
    assert job.row_errors[0]["row"] == 2
    assert message in " ".join(job.row_errors[0]["errors"])
    assert Employee.objects.count() == employees + 1
    assert not Employee.objects.filter(full_name="Pegawai Salah NIP").exists()


def test_an_employee_file_over_the_limit(pemda: dict[str, Any], settings: Any) -> None:
    settings.SINAU_IMPORT_MAX_BYTES = 1024
    data = csv_bytes([row(valid_nip(sequence=i), f"Pegawai {i}", UNIT) for i in range(1, 40)])
    assert len(data) > 1024
    response, job = import_file(client_for(pemda["admin_a"]), data, "pegawai.csv")
    assert "Berkas terlalu besar (maksimal 0 MB)" in response.content.decode() or (
        "terlalu besar" in response.content.decode()
    )
    assert job is None
    assert files_in(settings.MEDIA_ROOT) == []


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.csv", "/etc/passwd.csv", "..\\..\\windows\\pegawai.csv",
     "pegawai\x00.csv", "....//....//pegawai.csv", ".csv"],
)  # fmt: skip
def test_path_traversal_in_an_import_file_name_stays_in_the_media_folder(
    pemda: dict[str, Any], settings: Any, name: str
) -> None:
    data = csv_bytes([row(valid_nip(sequence=91), "Pegawai Aman", UNIT)])
    response, job = import_file(client_for(pemda["admin_a"]), data, name)
    media = Path(settings.MEDIA_ROOT).resolve()
    for path in files_in(settings.MEDIA_ROOT):
        assert path.resolve().is_relative_to(media)
    if job is None:  # refused on the form, with the reason
        assert "Hanya berkas .csv dan .xlsx" in response.content.decode()
        return
    assert ".." not in job.file.name
    assert "\x00" not in job.file.name
    assert job.file.name.startswith("imports/employees/")
    assert (media / job.file.name).is_file()


def test_html_in_an_imported_name_is_shown_escaped(pemda: dict[str, Any]) -> None:
    script = "<script>alert('nama')</script>"
    nip = valid_nip(sequence=93)
    _response, job = import_file(
        client_for(pemda["admin_a"]), csv_bytes([row(nip, script, UNIT)]), "pegawai.csv"
    )
    assert job is not None
    assert job.status == EmployeeImport.Status.DONE
    employee = Employee.objects.filter(nip=nip).first()
    admin = client_for(pemda["superuser"])
    if employee is None:  # refused as a name: the row says why
        assert job.error_count == 1
        return
    for page in (
        reverse("people:employee_list") + f"?q={nip}",
        reverse("people:employee_detail", args=[nip]),
    ):
        html = admin.get(page).content.decode()
        assert script not in html
        assert "&lt;script&gt;" in html


def test_xlsx_with_html_and_formulas_is_stored_as_text(pemda: dict[str, Any]) -> None:
    nip = valid_nip(sequence=94)
    data = xlsx_bytes([row(nip, '=HYPERLINK("http://x","<b>klik</b>")', UNIT)])
    _response, job = import_file(client_for(pemda["admin_a"]), data, "pegawai.xlsx")
    assert job is not None
    assert job.status == EmployeeImport.Status.DONE
    html = client_for(pemda["superuser"]).get(reverse("people:employee_list") + f"?q={nip}")
    assert "<b>klik</b>" not in html.content.decode()


# --- evidence of external training ---------------------------------------------------------


@FUZZ
@given(data=st.binary(min_size=0, max_size=2048), suffix=st.sampled_from(["pdf", "png", "jpg"]))
def test_fuzzed_evidence_is_refused_with_a_message(
    pemda: dict[str, Any], seminar: Any, data: bytes, suffix: str
) -> None:
    if data.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"RIFF")):
        data = b"x" + data
    evidence = SimpleUploadedFile(f"bukti.{suffix}", data, content_type="application/pdf")
    response = client_for(pemda["learner"]).post(
        reverse("learning:external_create"), form_data(seminar, evidence=evidence)
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors.get("evidence") or errors.get("__all__"), errors
    assert not ExternalTraining.objects.exists()


def test_evidence_over_the_limit(pemda: dict[str, Any], seminar: Any, settings: Any) -> None:
    settings.SINAU_EVIDENCE_MAX_BYTES = 1024
    evidence = SimpleUploadedFile("bukti.pdf", PDF + b"0" * 2048, content_type="application/pdf")
    response = client_for(pemda["learner"]).post(
        reverse("learning:external_create"), form_data(seminar, evidence=evidence)
    )
    assert response.status_code == 200
    assert "terlalu besar" in response.content.decode()
    assert not ExternalTraining.objects.exists()
    assert files_in(settings.MEDIA_ROOT) == []


@pytest.mark.parametrize("name", ["../../../etc/passwd.pdf", "/etc/bukti.pdf", "bukti\x00.pdf"])
def test_evidence_with_a_traversing_name_is_stored_inside_the_media_folder(
    pemda: dict[str, Any], seminar: Any, settings: Any, name: str
) -> None:
    evidence = SimpleUploadedFile(name, PDF, content_type="application/pdf")
    response = client_for(pemda["learner"]).post(
        reverse("learning:external_create"), form_data(seminar, evidence=evidence)
    )
    assert response.status_code in (200, 302)
    media = Path(settings.MEDIA_ROOT).resolve()
    for path in files_in(settings.MEDIA_ROOT):
        assert path.resolve().is_relative_to(media)
    record = ExternalTraining.objects.first()
    if record is not None:
        assert ".." not in record.evidence.name
        assert "/etc/" not in record.evidence_name


# --- video --------------------------------------------------------------------------------


def test_random_bytes_as_a_video_end_failed_with_a_reason(db: None, settings: Any) -> None:
    from tests.conftest import ensure_wagtail_root

    ensure_wagtail_root()
    content = bytes(range(256)) * 64
    client = client_for(instructor())
    state = start(client, payload(content, filename="../../kuliah.mp4")).json()
    assert put_chunk(client, state["chunk_url"], content, 0, len(content)).status_code == 200
    response = client.post(state["complete_url"])
    assert response.status_code == 200
    video = Video.objects.get()
    assert ".." not in video.source
    assert transcode_now(video) == "failed"
    assert video.status == Video.Status.FAILED
    assert video.failure_reason  # the reason, for the uploader
    assert not video.renditions.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"size": 10**13}, "terlalu besar"),
        ({"size": -1}, ""),
        ({"size": "banyak"}, ""),
        ({"filename": ""}, ""),
        ({"filename": "virus.exe", "content_type": "application/x-msdownload"}, ""),
        ({"title": "x" * 5000}, ""),
        ({"filename": "a\x00b.mp4"}, "NUL"),
        ({"title": "Kuliah\x00"}, "NUL"),
    ],
)
def test_bad_video_uploads_are_refused_with_a_message(
    db: None, settings: Any, changes: dict[str, Any], message: str
) -> None:
    settings.SINAU_VIDEO_MAX_BYTES = 10**9
    response = start(client_for(instructor()), payload(b"x" * 10, **changes))
    assert 400 <= response.status_code < 500
    error = response.json()["error"]
    assert error
    assert message in error
    assert not VideoUpload.objects.exists()
    assert files_in(settings.MEDIA_ROOT) == []


def test_script_in_an_external_training_title_is_kept_as_text_and_escaped(
    pemda: dict[str, Any], seminar: Any
) -> None:
    script = "<script>alert('judul')</script>"
    learner = client_for(pemda["learner"])
    response = learner.post(
        reverse("learning:external_create"),
        form_data(seminar, title=f"Pelatihan {script}", organiser=script),
    )
    assert response.status_code == 302, response.context["form"].errors
    record = ExternalTraining.objects.get()
    assert record.title == f"Pelatihan {script}"
    pages = [
        (learner, reverse("learning:external_detail", kwargs={"record_id": record.pk})),
        (learner, reverse("learning:external_list")),
        (client_for(pemda["admin_a"]), reverse("learning:external_queue")),
        (client_for(pemda["admin_a"]),
         reverse("learning:external_review", kwargs={"record_id": record.pk})),
    ]  # fmt: skip
    for client, page in pages:
        html = client.get(page).content.decode()
        assert script not in html, page
        assert "&lt;script&gt;" in html, page
