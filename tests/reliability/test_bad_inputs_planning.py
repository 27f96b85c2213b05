"""Bad input in planning: fuzzed and malformed dictionary workbooks change nothing and say
why; HTML and script typed into a proposal title or an AKPK note are kept as text and shown
escaped."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from lms.planning.models import AKPK, AKPKItem, Competency, JabatanStandard, TrainingProposal
from tests.planning.test_akpk import YEAR as AKPK_YEAR
from tests.planning.test_akpk import build_world
from tests.planning.test_dictionary import XLSX_CONTENT_TYPE, xlsx
from tests.planning.test_proposals_views import form_data

SCRIPT = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
FUZZ = hypothesis_settings(
    max_examples=12, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip


def client_for(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def assert_escaped(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;" in html


def counts() -> tuple[int, int]:
    return Competency.objects.count(), JabatanStandard.objects.count()


@FUZZ
@given(data=st.binary(max_size=4096))
def test_fuzzed_dictionary_workbooks_change_nothing(pemda: dict[str, Any], data: bytes) -> None:
    before = counts()
    response = client_for(pemda["superuser"]).post(
        reverse("planning:dictionary_import"),
        {"file": SimpleUploadedFile("kamus.xlsx", data, XLSX_CONTENT_TYPE)},
    )
    assert response.status_code == 200
    form_errors = response.context["form"].errors
    result = response.context.get("result")
    assert form_errors.get("file") or form_errors.get("__all__") or result is None, result
    assert counts() == before


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04" + b"\x00" * 64,  # a zip header, nothing behind it
        xlsx([["kode", "nama"]], [["jabatan"]])[:200],  # a workbook cut short
    ],
)
def test_malformed_dictionary_workbooks_say_why(pemda: dict[str, Any], data: bytes) -> None:
    before = counts()
    response = client_for(pemda["superuser"]).post(
        reverse("planning:dictionary_import"),
        {"file": SimpleUploadedFile("kamus.xlsx", data, XLSX_CONTENT_TYPE)},
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert counts() == before


@pytest.fixture
def world(pemda: dict[str, Any], dictionary: dict[str, Competency]) -> Any:
    return build_world(pemda, dictionary)


def test_script_in_a_proposal_title_is_kept_as_text_and_escaped(world: Any) -> None:
    client = client_for(world.admin_a)
    response = client.post(
        reverse("planning:proposal_create"),
        form_data(
            [world.dictionary["TEK-01"]], title=f"Pelatihan {SCRIPT}", justification=SCRIPT
        ),  # fmt: skip
    )
    assert response.status_code == 302, response.context["form"].errors
    proposal = TrainingProposal.objects.get(title__contains="<script>")
    for page in (
        reverse("planning:proposal_detail", kwargs={"proposal_id": proposal.pk}),
        reverse("planning:proposal_list"),
    ):
        assert_escaped(client.get(page).content.decode())


def test_script_in_an_akpk_note_is_kept_as_text_and_escaped(world: Any) -> None:
    client = client_for(world.employee)
    client.post(reverse("planning:akpk_start"), {"tahun": AKPK_YEAR})
    akpk = AKPK.objects.get(employee=world.employee)
    add = reverse("planning:akpk_need_add", kwargs={"akpk_id": akpk.pk})
    response = client.post(add, {"competency": world.dictionary["TEK-03"].pk, "note": SCRIPT})
    assert response.status_code in (200, 302)
    tek03 = world.dictionary["TEK-03"]
    assert AKPKItem.objects.get(akpk=akpk, competency=tek03).development_note == SCRIPT
    assert_escaped(client.get(reverse("planning:akpk_mine")).content.decode())
    # The atasan sees the same note, escaped, on the subordinate's AKPK.
    boss = client_for(world.boss)
    assert "<script>alert" not in boss.get(reverse("planning:akpk_team")).content.decode()
    page = boss.get(reverse("planning:akpk_detail", kwargs={"akpk_id": akpk.pk}))
    if page.status_code == 200:
        assert_escaped(page.content.decode())
