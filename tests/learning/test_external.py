"""External training: a learner records a training done elsewhere with its evidence; their
OPD admin or BKPSDM verifies it (the JP are credited once) or rejects it with a reason, after
which the learner corrects it and submits it again. Evidence is checked by its content and
served only to its owner and the reviewers in scope; likely duplicates are flagged."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from lms.learning.external import services
from lms.learning.external.services import ExternalDetails
from lms.learning.models import ExternalTraining, JenisDiklat, JPEntry, JPYearTotal
from lms.people.models import Employee
from tests.factories import EmployeeFactory, make_pemda
from tests.support import at_once

PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
HTML = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"

TODAY = timezone.localdate()
STARTED = TODAY - dt.timedelta(days=12)
ENDED = TODAY - dt.timedelta(days=10)


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def seminar(db: None) -> JenisDiklat:
    # Reference data from a migration; a transactional test elsewhere may have flushed it.
    jenis, _created = JenisDiklat.objects.get_or_create(
        code=9, defaults={"name": "Seminar", "klasikal": True}
    )
    return jenis


def upload(content: bytes = PDF, name: str = "sertifikat.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def form_data(jenis: JenisDiklat, /, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Pelatihan Kepemimpinan Pengawas",
        "organiser": "BPSDM Provinsi Jawa Tengah",
        "jenis": jenis.pk,
        "started_on": STARTED.isoformat(),
        "ended_on": ENDED.isoformat(),
        "jp": "8",
        "competency_type": "manajerial",
        "form": "klasikal",
        "certificate_number": "800/12.3-BPSDM/2026",
        "evidence": upload(),
    }
    data.update(overrides)
    return data


def details(jenis: JenisDiklat | None = None, **overrides: Any) -> ExternalDetails:
    fields: dict[str, Any] = {
        "title": "Pelatihan Kepemimpinan Pengawas",
        "organiser": "BPSDM Provinsi Jawa Tengah",
        "jenis": jenis,
        "started_on": STARTED,
        "ended_on": ENDED,
        "jp": Decimal("8"),
        "competency_type": "manajerial",
        "form": "klasikal",
        "certificate_number": "",
    }
    fields.update(overrides)
    return ExternalDetails(**fields)


def submit(employee: Employee, jenis: JenisDiklat | None = None, **overrides: Any) -> Any:
    evidence = overrides.pop("evidence", None) or upload()
    return services.external_submit(
        actor=employee, details=details(jenis, **overrides), evidence=evidence
    )


def stored_files() -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def body(response: Any) -> bytes:
    """What a file response sends."""
    return b"".join(response.streaming_content)


def said(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def text(response: Any) -> str:
    return response.content.decode()


def as_user(client: Client, user: Employee) -> Client:
    client.force_login(user)
    return client


def create_url() -> str:
    return reverse("learning:external_create")


def review_url(record: ExternalTraining) -> str:
    return reverse("learning:external_review", kwargs={"record_id": record.pk})


def verify_url(record: ExternalTraining) -> str:
    return reverse("learning:external_verify", kwargs={"record_id": record.pk})


def reject_url(record: ExternalTraining) -> str:
    return reverse("learning:external_reject", kwargs={"record_id": record.pk})


def evidence_url(record: ExternalTraining) -> str:
    return reverse("learning:external_evidence", kwargs={"record_id": record.pk})


def year_total(employee: Employee, year: int = ENDED.year) -> Decimal:
    row = JPYearTotal.objects.filter(employee=employee, year=year).first()
    return row.total if row else Decimal("0")


def log(action: str, record: ExternalTraining) -> list[ModelLogEntry]:
    return list(
        ModelLogEntry.objects.filter(action=action, object_id=str(record.pk)).order_by("pk")
    )


# --- submitting --------------------------------------------------------------------------------


def test_learner_submits_a_training_with_a_pdf_certificate(
    client: Client, pemda: dict[str, Any], seminar: JenisDiklat
) -> None:
    learner = pemda["learner"]
    as_user(client, learner)
    form = client.get(create_url())
    assert form.status_code == 200
    assert "Catat pelatihan eksternal" in text(form)

    response = client.post(create_url(), form_data(seminar, jp="2,5"))
    record = ExternalTraining.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "learning:external_detail", kwargs={"record_id": record.pk}
    )
    assert record.employee == learner
    assert record.status == ExternalTraining.Status.SUBMITTED
    assert (record.jp, record.submissions, record.jenis) == (Decimal("2.5"), 1, seminar)
    assert record.certificate_key == "80012" + "3BPSDM2026"
    assert record.duplicate_of == []
    assert record.evidence_name == "sertifikat.pdf"
    [stored] = stored_files()
    assert stored.read_bytes() == PDF
    assert stored.suffix == ".pdf"
    # The stored name is random: the learner's file name is only a label.
    assert "sertifikat" not in stored.name
    assert "menunggu verifikasi" in said(response)[0]

    listing = client.get(reverse("learning:external_list"))
    page = text(listing)
    assert "Pelatihan Kepemimpinan Pengawas" in page
    assert "Menunggu verifikasi" in page
    assert "2,5 JP" in page
    [entry] = log("sinau.external.submit", record)
    assert entry.user == learner
    assert entry.data["submission"] == 1


def test_an_image_that_says_pdf_is_kept_as_what_it_is(
    client: Client, pemda: dict[str, Any], seminar: JenisDiklat
) -> None:
    """A phone photo named .pdf is still a certificate: stored and served as the PNG it is."""
    as_user(client, pemda["learner"])
    client.post(create_url(), form_data(seminar, evidence=upload(PNG, "foto sertifikat.PDF")))
    record = ExternalTraining.objects.get()
    assert record.evidence.name.endswith(".png")
    response = client.get(evidence_url(record))
    assert response["Content-Type"] == "image/png"
    assert body(response) == PNG


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"evidence": upload(EXE, "sertifikat.pdf")}, "bukan PDF atau gambar"),
        ({"evidence": upload(HTML, "sertifikat.pdf")}, "bukan PDF atau gambar"),
        ({"evidence": upload(PDF, "sertifikat.exe")}, "harus PDF atau gambar"),
        ({"evidence": upload(PDF, "sertifikat.html")}, "harus PDF atau gambar"),
        ({"evidence": upload(b"", "kosong.pdf")}, "kosong"),
        ({"ended_on": (STARTED - dt.timedelta(days=1)).isoformat()}, "sebelum tanggal mulai"),
        (
            {
                "started_on": (TODAY + dt.timedelta(days=1)).isoformat(),
                "ended_on": (TODAY + dt.timedelta(days=2)).isoformat(),
            },
            "paling lambat hari ini",
        ),
        ({"ended_on": (TODAY + dt.timedelta(days=1)).isoformat()}, "paling lambat hari ini"),
        ({"started_on": "1970-01-01"}, "tidak boleh sebelum"),
        ({"jp": "0"}, "JP harus lebih dari nol"),
        ({"jp": "-4"}, "JP harus lebih dari nol"),
        ({"jp": "250"}, "paling banyak 200"),
        ({"jp": "2,555"}, "dua angka di belakang koma"),
        ({"jp": "delapan"}, "Tulis JP sebagai angka"),
        ({"title": "   "}, "harus diisi"),
        ({"competency_type": "sihir"}, "Masukkan pilihan yang valid"),
        ({"jenis": "99999"}, "Masukkan pilihan yang valid"),
        ({"started_on": "2026-13-45"}, "Masukkan tanggal yang valid"),
    ],
)
def test_bad_input_is_refused_and_leaves_no_row_and_no_file(
    client: Client,
    pemda: dict[str, Any],
    seminar: JenisDiklat,
    overrides: dict[str, Any],
    message: str,
) -> None:
    as_user(client, pemda["learner"])
    response = client.post(create_url(), form_data(seminar, **overrides))
    assert response.status_code == 200
    assert message.casefold() in text(response).casefold()
    assert 'role="alert"' in text(response)
    assert not ExternalTraining.objects.exists()
    assert stored_files() == []
    assert not ModelLogEntry.objects.filter(action="sinau.external.submit").exists()


def test_oversize_evidence_is_refused_with_the_limit(
    client: Client, pemda: dict[str, Any], seminar: JenisDiklat, settings: Any
) -> None:
    settings.SINAU_EVIDENCE_MAX_BYTES = 2 * 1024 * 1024
    big = PDF + b"0" * (2 * 1024 * 1024)
    as_user(client, pemda["learner"])
    response = client.post(create_url(), form_data(seminar, evidence=upload(big)))
    assert response.status_code == 200
    assert "terlalu besar (2,0 MB); paling besar 2,0 MB" in text(response)
    assert not ExternalTraining.objects.exists()
    assert stored_files() == []


def test_missing_evidence_is_refused(pemda: dict[str, Any], seminar: JenisDiklat) -> None:
    with pytest.raises(ValidationError) as refused:
        services.external_submit(actor=pemda["learner"], details=details(seminar), evidence=None)
    assert "evidence" in refused.value.message_dict
    assert not ExternalTraining.objects.exists()


def test_webp_evidence_is_accepted(pemda: dict[str, Any], seminar: JenisDiklat) -> None:
    record = submit(pemda["learner"], seminar, evidence=upload(WEBP, "bukti.webp"))
    assert record.evidence.name.endswith(".webp")


# --- duplicate flags -----------------------------------------------------------------------------


def test_the_same_certificate_number_by_another_employee_is_flagged(
    client: Client, pemda: dict[str, Any], seminar: JenisDiklat
) -> None:
    nurse = pemda["staff_b"][0]
    first = submit(nurse, seminar, certificate_number="800/12.3-BPSDM/2026", title="Lain")
    as_user(client, pemda["learner"])
    response = client.post(
        create_url(), form_data(seminar, certificate_number="800 12 3 bpsdm 2026")
    )
    record = ExternalTraining.objects.exclude(pk=first.pk).get()
    assert record.duplicate_of == [first.pk]
    assert "mirip dengan 1 catatan lain" in said(response)[1]
    assert "Mirip dengan catatan lain" in text(client.get(reverse("learning:external_list")))

    # BKPSDM sees the flag with a link to the other record, and why.
    as_user(client, pemda["superuser"])
    page = text(client.get(review_url(record)))
    assert "Kemungkinan duplikat: 1 catatan lain" in page
    assert review_url(first) in page
    assert "Nomor sertifikat sama (800/12.3-BPSDM/2026)" in page
    assert "Kemungkinan duplikat" in text(client.get(reverse("learning:external_queue")))

    # The learner's OPD admin sees the flag too, but not the other OPD's employee.
    as_user(client, pemda["admin_a"])
    page = text(client.get(review_url(record)))
    assert "Kemungkinan duplikat: 1 catatan lain" in page
    assert "pegawai di luar lingkup Anda" in page
    assert review_url(first) not in page
    assert nurse.full_name not in page

    # The first record's reviewer sees the later copy as well.
    as_user(client, pemda["superuser"])
    assert review_url(record) in text(client.get(review_url(first)))


def test_the_same_training_and_dates_by_the_same_employee_is_flagged(
    pemda: dict[str, Any], seminar: JenisDiklat
) -> None:
    learner, colleague = pemda["learner"], pemda["staff_a"][1]
    first = submit(learner, seminar, title="Bimtek  SIASN, Angkatan II")
    again = submit(learner, seminar, title="bimtek siasn angkatan ii")
    assert again.duplicate_of == [first.pk]
    # The same course on other dates, or by a colleague, is a different training.
    other_dates = submit(
        learner, seminar, title="Bimtek SIASN Angkatan II", started_on=STARTED - dt.timedelta(1)
    )
    assert other_dates.duplicate_of == []
    assert submit(colleague, seminar, title="Bimtek SIASN Angkatan II").duplicate_of == []


def test_rejected_records_are_not_counted_as_duplicates(
    pemda: dict[str, Any], seminar: JenisDiklat
) -> None:
    first = submit(pemda["learner"], seminar, certificate_number="SK-1")
    services.external_reject(actor=pemda["admin_a"], record=first, reason="Bukti buram")
    second = submit(pemda["learner"], seminar, certificate_number="sk 1")
    assert second.duplicate_of == []


# --- verifying -----------------------------------------------------------------------------------


def test_verify_credits_the_jp_once(
    client: Client, pemda: dict[str, Any], seminar: JenisDiklat
) -> None:
    learner, admin = pemda["learner"], pemda["admin_a"]
    record = submit(learner, seminar, jp=Decimal("6.5"), competency_type="teknis")
    as_user(client, admin)
    queue = text(client.get(reverse("learning:external_queue")))
    assert record.title in queue
    page = text(client.get(review_url(record)))
    assert "Verifikasi dan kreditkan 6,5 JP" in page

    response = client.post(verify_url(record), {"note": "Sesuai STTPP"})
    assert response.status_code == 302
    assert "6.5 JP dikreditkan" in said(response)[0]
    record.refresh_from_db()
    assert record.status == ExternalTraining.Status.VERIFIED
    assert (record.reviewed_by, record.review_note) == (admin, "Sesuai STTPP")
    [entry] = JPEntry.objects.filter(employee=learner)
    assert (entry.source_type, entry.source_id) == (JPEntry.Source.EXTERNAL, record.pk)
    assert (entry.jp, entry.earned_on, entry.jenis, entry.created_by) == (
        Decimal("6.5"), ENDED, seminar, admin,
    )  # fmt: skip
    assert (entry.competency_type, entry.form, entry.note) == ("teknis", "klasikal", record.title)
    total = JPYearTotal.objects.get(employee=learner, year=ENDED.year)
    assert (total.total, total.teknis, total.klasikal, total.entries) == (
        Decimal("6.5"), Decimal("6.5"), Decimal("6.5"), 1,
    )  # fmt: skip

    # A second click (or a second reviewer) changes nothing, and says why.
    again = client.post(verify_url(record))
    assert "sudah diverifikasi oleh Admin Pendidikan" in said(again)[-1]
    assert JPEntry.objects.filter(employee=learner).count() == 1
    assert year_total(learner) == Decimal("6.5")
    with pytest.raises(ValidationError):
        services.external_verify(actor=pemda["superuser"], record=record)
    assert JPEntry.objects.filter(employee=learner).count() == 1

    # The learner sees it verified, and the hours in their record.
    as_user(client, learner)
    assert "6,5 JP tercatat di Rekam Kompetensi" in text(
        client.get(reverse("learning:external_list"))
    )
    record_page = client.get(reverse("learning:competency_record"), {"tahun": ENDED.year})
    assert record.title in text(record_page)


def test_verify_is_audited_with_the_reviewer(pemda: dict[str, Any], seminar: JenisDiklat) -> None:
    record = submit(pemda["learner"], seminar)
    services.external_verify(actor=pemda["auditor"], record=record, note="Cocok")
    [entry] = log("sinau.external.verify", record)
    assert entry.user == pemda["auditor"]
    assert entry.data["reason"] == "Cocok"
    assert Decimal(entry.data["jp"]) == Decimal("8")
    assert entry.data["entry"] == JPEntry.objects.get(source_id=record.pk).pk


@pytest.mark.django_db(transaction=True)
def test_concurrent_verifications_credit_once_on_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency need PostgreSQL")
    pemda = make_pemda()
    learner = pemda["learner"]
    record = submit(learner, None, jp=Decimal("4"))
    reviewers = [pemda["admin_a"], pemda["auditor"], pemda["superuser"]]

    def verify(i: int) -> ExternalTraining:
        fresh = ExternalTraining.objects.select_related("employee__org_unit").get(pk=record.pk)
        return services.external_verify(actor=reviewers[i % len(reviewers)], record=fresh)

    results, failures = at_once(8, verify)
    assert len(results) == 1, failures
    assert len(failures) == 7
    assert all(isinstance(f, ValidationError) for f in failures), failures
    assert JPEntry.objects.filter(source_type=JPEntry.Source.EXTERNAL).count() == 1
    assert year_total(learner) == Decimal("4")
    assert JPYearTotal.objects.get(employee=learner, year=ENDED.year).entries == 1
    assert len(log("sinau.external.verify", record)) == 1


# --- rejecting and resubmitting ----------------------------------------------------------------


def test_reject_needs_a_reason(client: Client, pemda: dict[str, Any], seminar: JenisDiklat) -> None:
    record = submit(pemda["learner"], seminar)
    as_user(client, pemda["admin_a"])
    response = client.post(reject_url(record), {"reason": "   "})
    assert response.status_code == 302
    assert "Tuliskan alasan penolakan" in said(response)[0]
    record.refresh_from_db()
    assert record.status == ExternalTraining.Status.SUBMITTED
    assert log("sinau.external.reject", record) == []


def test_rejected_record_is_corrected_resubmitted_and_verified(
    client: Client, pemda: dict[str, Any], seminar: JenisDiklat
) -> None:
    learner, admin = pemda["learner"], pemda["admin_a"]
    record = submit(learner, seminar, jp=Decimal("40"))
    old_file = record.evidence.name

    as_user(client, admin)
    client.post(reject_url(record), {"reason": "JP di sertifikat 32, bukan 40"})
    record.refresh_from_db()
    assert record.status == ExternalTraining.Status.REJECTED
    [entry] = log("sinau.external.reject", record)
    assert (entry.user, entry.data["reason"]) == (admin, "JP di sertifikat 32, bukan 40")

    as_user(client, learner)
    listing = text(client.get(reverse("learning:external_list")))
    assert "JP di sertifikat 32, bukan 40" in listing
    edit_url = reverse("learning:external_edit", kwargs={"record_id": record.pk})
    assert edit_url in listing
    form = client.get(edit_url)
    assert 'value="40"' in text(form)
    assert "tetap memakai berkas sertifikat.pdf" in text(form)

    data = form_data(seminar, jp="32")
    del data["evidence"]  # no new file: the old evidence stays
    response = client.post(edit_url, data)
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == ExternalTraining.Status.SUBMITTED
    assert (record.jp, record.submissions) == (Decimal("32"), 2)
    assert (record.reviewed_by, record.reviewed_at, record.review_note) == (None, None, "")
    assert record.evidence.name == old_file
    assert log("sinau.external.submit", record)[-1].data["submission"] == 2

    # Waiting again: not the learner's to change.
    assert client.get(edit_url).status_code == 302
    assert len(stored_files()) == 1

    as_user(client, admin)
    client.post(verify_url(record))
    assert year_total(learner) == Decimal("32")


def test_resubmitting_with_a_new_file_keeps_the_old_one_on_record(
    pemda: dict[str, Any], seminar: JenisDiklat
) -> None:
    learner = pemda["learner"]
    record = submit(learner, seminar)
    old_file = record.evidence.name
    services.external_reject(actor=pemda["auditor"], record=record, reason="Buram")
    again = services.external_resubmit(
        actor=learner, record=record, details=details(seminar),
        evidence=upload(PNG, "scan-ulang.png"),
    )  # fmt: skip
    assert again.evidence.name != old_file
    assert again.evidence_name == "scan-ulang.png"
    assert len(stored_files()) == 2
    assert log("sinau.external.submit", record)[-1].data["previous_evidence"] == old_file


def test_a_bad_resubmission_changes_nothing(pemda: dict[str, Any], seminar: JenisDiklat) -> None:
    learner = pemda["learner"]
    record = submit(learner, seminar)
    services.external_reject(actor=pemda["admin_a"], record=record, reason="Buram")
    with pytest.raises(ValidationError):
        services.external_resubmit(
            actor=learner, record=record, details=details(seminar, jp=Decimal("0")),
            evidence=upload(HTML, "x.pdf"),
        )  # fmt: skip
    record.refresh_from_db()
    assert (record.status, record.submissions, record.jp) == ("rejected", 1, Decimal("8"))
    assert len(stored_files()) == 1


def test_waiting_and_verified_records_cannot_be_changed_by_the_learner(
    client: Client, pemda: dict[str, Any], seminar: JenisDiklat
) -> None:
    learner = pemda["learner"]
    waiting = submit(learner, seminar)
    with pytest.raises(ValidationError, match="menunggu verifikasi"):
        services.external_resubmit(actor=learner, record=waiting, details=details(seminar))
    services.external_verify(actor=pemda["admin_a"], record=waiting)
    with pytest.raises(ValidationError, match="Buku JP"):
        services.external_resubmit(actor=learner, record=waiting, details=details(seminar))
    as_user(client, learner)
    edit_url = reverse("learning:external_edit", kwargs={"record_id": waiting.pk})
    response = client.post(edit_url, form_data(seminar, jp="99"))
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.jp == Decimal("8")
    # Nor can anyone change someone else's.
    with pytest.raises(PermissionDenied):
        services.external_resubmit(
            actor=pemda["staff_a"][1], record=waiting, details=details(seminar)
        )


def test_a_verified_record_is_not_rejected_here(
    client: Client, pemda: dict[str, Any], seminar: JenisDiklat
) -> None:
    record = submit(pemda["learner"], seminar)
    services.external_verify(actor=pemda["admin_a"], record=record)
    as_user(client, pemda["superuser"])
    response = client.post(reject_url(record), {"reason": "Salah"})
    assert "entri pembatalan" in said(response)[0]
    assert "Buku JP" in said(response)[0]
    record.refresh_from_db()
    assert record.status == ExternalTraining.Status.VERIFIED
    assert year_total(pemda["learner"]) == Decimal("8")


# --- scope -------------------------------------------------------------------------------------


def test_an_opd_admin_cannot_see_or_decide_another_opds_records(
    client: Client, pemda: dict[str, Any], seminar: JenisDiklat
) -> None:
    nurse = pemda["staff_b"][0]
    record = submit(nurse, seminar, title="Pelatihan Perawat Gawat Darurat")
    as_user(client, pemda["admin_a"])
    for status in ("submitted", "semua"):
        queue = client.get(reverse("learning:external_queue"), {"status": status})
        assert record.title not in text(queue)
    assert client.get(review_url(record)).status_code == 404
    assert client.get(evidence_url(record)).status_code == 404
    assert client.post(verify_url(record)).status_code == 403
    assert client.post(reject_url(record), {"reason": "x"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.external_verify(actor=pemda["admin_a"], record=record)
    record.refresh_from_db()
    assert record.status == ExternalTraining.Status.SUBMITTED
    assert not JPEntry.objects.exists()
    assert log("sinau.external.verify", record) == []

    # BKPSDM's auditor reads everything and may verify (their one change).
    as_user(client, pemda["auditor"])
    assert record.title in text(client.get(reverse("learning:external_queue")))
    client.post(verify_url(record))
    record.refresh_from_db()
    assert record.status == ExternalTraining.Status.VERIFIED
    assert year_total(nurse) == Decimal("8")


def test_nobody_verifies_their_own_training(
    client: Client, pemda: dict[str, Any], seminar: JenisDiklat
) -> None:
    admin = pemda["admin_a"]
    record = submit(admin, seminar)
    as_user(client, admin)
    page = text(client.get(review_url(record)))
    assert "Ini pelatihan Anda sendiri" in page
    assert verify_url(record) not in page
    assert client.post(verify_url(record)).status_code == 403
    with pytest.raises(PermissionDenied):
        services.external_verify(actor=admin, record=record)
    record.refresh_from_db()
    assert record.status == ExternalTraining.Status.SUBMITTED
    assert not JPEntry.objects.exists()


def test_the_queue_filters_by_status_and_finds_by_name_nip_or_title(
    client: Client, pemda: dict[str, Any], seminar: JenisDiklat
) -> None:
    learner, colleague = pemda["learner"], pemda["staff_a"][1]
    waiting = submit(learner, seminar, title="Diklat Bendahara")
    rejected = submit(colleague, seminar, title="Webinar Integritas")
    services.external_reject(actor=pemda["admin_a"], record=rejected, reason="Tanpa nomor")
    verified = submit(colleague, seminar, title="Kursus Statistik Dasar")
    services.external_verify(actor=pemda["admin_a"], record=verified)
    as_user(client, pemda["admin_a"])
    queue = reverse("learning:external_queue")

    def listed(**params: str) -> set[int]:
        response = client.get(queue, params)
        assert response.status_code == 200
        return {r.pk for r in response.context["page"]}

    assert listed() == {waiting.pk}  # waiting ones by default
    assert listed(status="rejected") == {rejected.pk}
    assert listed(status="verified") == {verified.pk}
    assert listed(status="semua") == {waiting.pk, rejected.pk, verified.pk}
    assert listed(status="semua", q=colleague.nip) == {rejected.pk, verified.pk}
    assert listed(status="semua", q="statistik") == {verified.pk}
    assert listed(status="semua", q=learner.full_name) == {waiting.pk}
    page = text(client.get(queue))
    assert "Menunggu verifikasi</a> (1)" in page
    assert "Ditolak</a> (1)" in page


def test_more_hours_than_the_days_hold_are_pointed_out_to_the_reviewer(
    client: Client, pemda: dict[str, Any], seminar: JenisDiklat
) -> None:
    heavy = submit(pemda["learner"], seminar, jp=Decimal("40"))  # three days
    usual = submit(pemda["learner"], seminar, jp=Decimal("24"), title="Lain")
    as_user(client, pemda["admin_a"])
    assert "40 JP dalam 3 hari: lebih dari 12 JP per hari" in text(client.get(review_url(heavy)))
    assert "JP per hari" not in text(client.get(review_url(usual)))


def test_learners_cannot_reach_the_queue(client: Client, pemda: dict[str, Any]) -> None:
    as_user(client, pemda["learner"])
    assert client.get(reverse("learning:external_queue")).status_code == 403
    client.logout()
    response = client.get(reverse("learning:external_list"))
    assert response.status_code == 302
    assert "/masuk/" in response["Location"]


def test_evidence_is_served_to_its_owner_and_reviewers_only(
    client: Client, pemda: dict[str, Any], seminar: JenisDiklat
) -> None:
    record = submit(pemda["learner"], seminar)
    as_user(client, pemda["staff_a"][1])
    assert client.get(evidence_url(record)).status_code == 404
    # Nor the record itself, nor its correction form.
    for name in ("learning:external_detail", "learning:external_edit"):
        assert client.get(reverse(name, kwargs={"record_id": record.pk})).status_code == 404
    as_user(client, pemda["staff_b"][0])
    assert client.get(evidence_url(record)).status_code == 404

    for viewer in (pemda["learner"], pemda["admin_a"], pemda["auditor"]):
        as_user(client, viewer)
        response = client.get(evidence_url(record))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("inline;")
        assert 'filename="sertifikat.pdf"' in response["Content-Disposition"]
        assert "no-store" in response["Cache-Control"]
        assert body(response) == PDF
    download = client.get(evidence_url(record), {"unduh": "1"})
    assert download["Content-Disposition"].startswith("attachment;")
    # The file is never under a public URL.
    assert client.get(settings.MEDIA_URL + record.evidence.name).status_code == 404


# --- no 500s, bounded pages -----------------------------------------------------------------------


def test_bad_ids_and_garbage_never_make_a_500(
    client: Client, pemda: dict[str, Any], seminar: JenisDiklat
) -> None:
    record = submit(pemda["learner"], seminar)
    as_user(client, pemda["superuser"])
    for url in (
        "/pelatihan-eksternal/999999/",
        "/pelatihan-eksternal/999999/bukti/",
        "/pelatihan-eksternal/abc/",
        "/kelola/pelatihan-eksternal/9999999/",
        "/kelola/pelatihan-eksternal/99999999999999999999999999/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post("/kelola/pelatihan-eksternal/999999/verifikasi/").status_code == 404
    assert client.get(verify_url(record)).status_code == 405
    queue = client.get(reverse("learning:external_queue"), {"status": "x", "halaman": "z"})
    assert queue.status_code == 200
    garbage = client.post(create_url(), {"jenis": "x", "jp": "1e9", "started_on": "kemarin"})
    assert garbage.status_code == 200
    odd = client.post(reject_url(record), {"reason": "x" * 5000})
    assert odd.status_code == 302
    record.refresh_from_db()
    assert record.status == ExternalTraining.Status.SUBMITTED
    # The record's evidence file gone from storage: a 404, not a crash.
    record.evidence.storage.delete(record.evidence.name)
    assert client.get(evidence_url(record)).status_code == 404


def test_pages_take_a_bounded_number_of_queries(
    client: Client,
    pemda: dict[str, Any],
    seminar: JenisDiklat,
    django_assert_max_num_queries: Any,
) -> None:
    learner = pemda["learner"]
    staff = [EmployeeFactory.create(org_unit=pemda["unit_a"]) for _ in range(12)]
    for i in range(40):
        submit(staff[i % len(staff)], seminar, title=f"Seminar {i}", certificate_number=f"C-{i}")
    for i in range(30):
        submit(learner, seminar, title=f"Webinar {i}", certificate_number=f"L-{i}")
    first = ExternalTraining.objects.filter(employee=learner).first()
    assert first is not None
    submit(staff[0], seminar, certificate_number=first.certificate_number)

    as_user(client, pemda["admin_a"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("learning:external_queue"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 71
    with django_assert_max_num_queries(12):
        assert client.get(reverse("learning:external_queue"), {"q": "Seminar"}).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(review_url(first)).status_code == 200

    as_user(client, learner)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("learning:external_list"))
    assert response.context["page"].paginator.count == 30
    with django_assert_max_num_queries(10):
        assert (
            client.get(
                reverse("learning:external_detail", kwargs={"record_id": first.pk})
            ).status_code
            == 200
        )
