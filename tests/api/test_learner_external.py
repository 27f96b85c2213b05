"""External training through the API: submitted as multipart with its evidence, checked by
the same service as the form (a bad file or date is a 400 naming the field, and nothing is
stored), listed and read by its owner only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from lms.learning.external import services
from lms.learning.models import ExternalTraining, JenisDiklat
from lms.people.models import Employee
from tests.api.conftest import error_of
from tests.learning.test_external import EXE, PDF, PNG, details, upload

LIST = reverse("api:my_external_training_list")


def detail(record: ExternalTraining | int | str) -> str:
    return f"/api/v1/me/external-trainings/{getattr(record, 'pk', record)}/"


@pytest.fixture
def seminar(db: None) -> JenisDiklat:
    jenis, _created = JenisDiklat.objects.get_or_create(
        code=9, defaults={"name": "Seminar", "klasikal": True}
    )
    return jenis


def form(jenis: JenisDiklat, /, **overrides: Any) -> dict[str, Any]:
    fields = details(jenis)
    data: dict[str, Any] = {
        "title": fields.title,
        "organiser": fields.organiser,
        "jenis": jenis.code,
        "started_on": fields.started_on.isoformat(),
        "ended_on": fields.ended_on.isoformat(),
        "jp": "8.5",
        "competency_type": "manajerial",
        "form": "klasikal",
        "certificate_number": "800/12.3-BPSDM/2026",
        "evidence": upload(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def stored_files() -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def test_submit_list_and_read_my_record(
    api: APIClient, learner: Employee, seminar: JenisDiklat, django_assert_max_num_queries: Any
) -> None:
    # The service's own checks, the row, the audit line (about 18 on PostgreSQL).
    with django_assert_max_num_queries(22):
        response = api.post(LIST, form(seminar), format="multipart")
    assert response.status_code == 201, response.content.decode()
    data = response.json()
    assert data["status"] == "submitted"
    assert (data["jenis"], data["jp"], data["evidence_name"]) == (9, "8.50", "sertifikat.pdf")
    record = ExternalTraining.objects.get(employee=learner)
    assert Path(record.evidence.path).read_bytes() == PDF
    with django_assert_max_num_queries(5):
        rows = api.get(LIST).json()["results"]
    assert [r["id"] for r in rows] == [record.pk]
    assert api.get(detail(record)).json()["title"] == "Pelatihan Kepemimpinan Pengawas"
    assert api.get(LIST, {"status": "verified"}).json()["results"] == []


@pytest.mark.parametrize(
    ("overrides", "attr", "said"),
    [
        ({"evidence": upload(EXE, "sertifikat.pdf")}, "evidence", "bukan PDF atau gambar"),
        ({"evidence": upload(PDF, "sertifikat.exe")}, "evidence", "harus PDF atau gambar"),
        ({"evidence": None}, "evidence", ""),
        ({"jp": "0"}, "jp", "lebih dari nol"),
        ({"jp": "500"}, "jp", "paling banyak"),
        ({"jp": "banyak"}, "jp", ""),
        ({"jp": "NaN"}, "jp", ""),
        ({"started_on": "2999-01-01", "ended_on": "2999-01-02"}, "ended_on", "belum selesai"),
        ({"started_on": "kemarin"}, "started_on", ""),
        ({"jenis": 999}, "jenis", ""),
        ({"jenis": "seminar"}, "jenis", ""),
        ({"competency_type": "sihir"}, "competency_type", ""),
        ({"title": ""}, "title", ""),
        ({"title": "x" * 300}, "title", ""),
    ],
)
def test_bad_submissions_are_400_and_store_nothing(
    api: APIClient, seminar: JenisDiklat, overrides: dict[str, Any], attr: str, said: str
) -> None:
    response = api.post(LIST, form(seminar, **overrides), format="multipart")
    assert response.status_code == 400, response.content.decode()
    body = response.json()
    assert body["type"] == "validation_error"
    assert attr in {e["attr"] for e in body["errors"]}
    assert said in " ".join(e["detail"] for e in body["errors"])
    assert not ExternalTraining.objects.exists()
    assert stored_files() == []


def test_json_is_not_how_evidence_travels(api: APIClient, seminar: JenisDiklat) -> None:
    response = api.post(LIST, {"title": "x"}, format="json")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_someone_elses_record_is_404(
    token_client: Callable[[Employee | None], APIClient],
    learner: Employee,
    colleague: Employee,
    seminar: JenisDiklat,
) -> None:
    record = services.external_submit(
        actor=learner, details=details(seminar), evidence=upload(PNG, "foto.png")
    )
    client = token_client(colleague)
    assert client.get(LIST).json()["results"] == []
    for record_id in (record.pk, 10**17, "abc"):
        response = client.get(detail(record_id))
        assert response.status_code == 404
        assert error_of(response)["detail"] == "Catatan pelatihan tidak ditemukan."


def test_a_rejected_record_is_corrected_and_resubmitted(
    api: APIClient,
    token_client: Callable[[Employee | None], APIClient],
    learner: Employee,
    colleague: Employee,
    pemda: dict[str, Any],
    seminar: JenisDiklat,
) -> None:
    record = services.external_submit(actor=learner, details=details(seminar), evidence=upload())
    url = reverse("api:my_external_training_resubmit", kwargs={"record_id": record.pk})
    waiting = api.post(url, form(seminar, evidence=None), format="multipart")
    assert waiting.status_code == 409
    assert "menunggu verifikasi" in error_of(waiting)["detail"]
    services.external_reject(actor=pemda["admin_a"], record=record, reason="Tanggal keliru")
    assert token_client(colleague).post(url, form(seminar), format="multipart").status_code == 404
    bad = api.post(url, form(seminar, jp="0", evidence=None), format="multipart")
    assert bad.status_code == 400
    assert error_of(bad)["attr"] == "jp"
    record.refresh_from_db()
    assert record.status == ExternalTraining.Status.REJECTED
    corrected = form(seminar, title="Diklat PIM IV", evidence=None)
    response = api.post(url, corrected, format="multipart")
    assert response.status_code == 200, response.content.decode()
    data = response.json()
    assert (data["status"], data["title"], data["submissions"]) == ("submitted", "Diklat PIM IV", 2)
    assert data["evidence_name"] == "sertifikat.pdf"
