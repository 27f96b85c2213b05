"""The competency record as admins read it, the yearly JP targets, and the ledger page where
corrections are made as reversing entries: each within the reader's scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from courses.models import CoursePage
from lms.learning import selectors, services
from lms.learning.models import JPEntry, JPTarget, JPYearTotal
from lms.people.models import EmploymentType
from tests.factories import EmployeeFactory

from .test_ledger import credit


def this_year() -> int:
    return timezone.localdate().year


def test_the_target_comes_from_the_pemda_rule_for_the_type_and_year(
    client: Any, pemda: dict[str, Any]
) -> None:
    year = this_year()
    pns = pemda["learner"]
    pppk = EmployeeFactory.create(
        org_unit=pemda["unit_a"], employment_type=EmploymentType.PPPK, full_name="Bidan Cempaka"
    )
    # Nothing configured: 20 JP for everyone, PPPK capped at 24.
    assert selectors.jp_target_for(employment_type="PNS", year=year).minimum == Decimal("20")
    assert selectors.jp_target_for(employment_type="PPPK", year=year).cap == Decimal("24")
    JPTarget.objects.create(year=year, employment_type="", minimum=Decimal("25"))
    JPTarget.objects.create(
        year=year, employment_type=EmploymentType.PPPK, minimum=Decimal("12"), cap=Decimal("24")
    )
    JPTarget.objects.create(year=year - 1, employment_type="", minimum=Decimal("10"))
    credit(pppk, 1, "30", earned_on=dt.date(year, 2, 1), note="Pelatihan Kebidanan")
    client.force_login(pns)
    page = client.get(reverse("learning:competency_record")).content.decode()
    assert "0 dari 25 JP" in page
    client.force_login(pppk)
    page = client.get(reverse("learning:competency_record")).content.decode()
    assert "30 dari 12 JP" in page
    assert "Target JP terpenuhi" in page
    # Over the cap: a warning, and the hours stay recorded.
    assert "Melebihi batas 24 JP" in page
    # Last year had its own rule (one for every type).
    credit(pppk, 2, "3", earned_on=dt.date(year - 1, 2, 1))
    page = client.get(reverse("learning:competency_record"), {"tahun": year - 1}).content.decode()
    assert "3 dari 10 JP" in page


def test_a_target_with_its_cap_below_the_minimum_is_refused(superuser_client: Any) -> None:
    from lms.learning.wagtail_hooks import jp_target_viewset

    url = reverse(jp_target_viewset.get_url_name("add"))
    response = superuser_client.post(
        url, {"year": "2027", "employment_type": "PPPK", "minimum": "30", "cap": "24"}
    )
    assert response.status_code == 200
    assert "Batas atas tidak boleh di bawah target minimal" in response.content.decode()
    assert not JPTarget.objects.exists()
    response = superuser_client.post(
        url, {"year": "2027", "employment_type": "PPPK", "minimum": "20", "cap": "24"}
    )
    assert response.status_code == 302
    assert JPTarget.objects.get().minimum == Decimal("20")


@pytest.fixture
def superuser_client(client: Any, pemda: dict[str, Any]) -> Any:
    client.force_login(pemda["superuser"])
    return client


def test_the_record_shows_the_competencies_its_completed_courses_build(
    client: Any, pemda: dict[str, Any], open_course: CoursePage
) -> None:
    learner = pemda["learner"]
    open_course.competencies.add("Integritas", "Etika publik")
    open_course.save_revision().publish()
    enrolment = services.enrolment_request(actor=learner, course=open_course)
    client.force_login(learner)
    page = client.get(reverse("learning:competency_record")).content.decode()
    assert "Etika publik" not in page
    services.enrolment_complete(enrolment=enrolment, actor=None)
    page = client.get(reverse("learning:competency_record")).content.decode()
    assert "Etika publik" in page
    assert "Integritas" in page


def test_admins_read_records_within_their_scope_only(
    client: Any, pemda: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    year = this_year()
    mine, neighbour = pemda["staff_a"][1], pemda["staff_b"][0]
    credit(mine, 1, "5", earned_on=dt.date(year, 3, 1), note="Bimtek Kurikulum")
    credit(neighbour, 2, "7", earned_on=dt.date(year, 3, 1), note="Pelatihan Imunisasi")
    client.force_login(pemda["admin_a"])
    url = reverse("learning:employee_record", kwargs={"nip": mine.nip})
    client.get(url)
    with django_assert_max_num_queries(16):
        page = client.get(url).content.decode()
    assert "Bimtek Kurikulum" in page
    assert "5 dari 20 JP" in page
    # The neighbour's record is not found, exactly like a NIP that does not exist.
    other = reverse("learning:employee_record", kwargs={"nip": neighbour.nip})
    assert client.get(other).status_code == 404
    assert (
        client.get(reverse("learning:employee_record", kwargs={"nip": "x" * 40})).status_code == 404
    )
    # The auditor reads everyone; a learner reads nobody's but their own.
    client.force_login(pemda["auditor"])
    assert "Pelatihan Imunisasi" in client.get(other).content.decode()
    client.force_login(mine)
    assert client.get(url).status_code == 403
    # The employee page leads to the record.
    client.force_login(pemda["admin_a"])
    detail = client.get(reverse("people:employee_detail", kwargs={"nip": mine.nip}))
    assert url in detail.content.decode()


def test_the_ledger_page_lists_the_scope_and_filters(
    client: Any, pemda: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    year = this_year()
    for i, employee in enumerate(pemda["staff_a"] * 20):
        credit(employee, 100 + i, "1", earned_on=dt.date(year, 1, 1 + i % 28), note=f"Webinar {i}")
    credit(pemda["staff_b"][0], 999, "7", earned_on=dt.date(year, 3, 1), note="Pelatihan Imunisasi")
    credit(pemda["staff_a"][0], 998, "2", earned_on=dt.date(year - 1, 3, 1), note="Tahun lalu")
    client.force_login(pemda["admin_a"])
    url = reverse("learning:ledger")
    client.get(url)
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert "61 entri" in page
    assert "Pelatihan Imunisasi" not in page
    assert "Halaman 1 dari" in page
    page = client.get(url, {"tahun": year - 1}).content.decode()
    assert "1 entri" in page
    assert "Tahun lalu" in page
    page = client.get(url, {"q": "Webinar 7"}).content.decode()
    assert "Webinar 7" in page
    assert "Webinar 8<" not in page
    # Rubbish filters are ignored, never a 500.
    assert client.get(url, {"tahun": "abc", "sumber": "x", "halaman": "-1"}).status_code == 200
    client.force_login(pemda["auditor"])
    assert "62 entri" in client.get(url).content.decode()
    client.force_login(pemda["learner"])
    assert client.get(url).status_code == 403


def test_a_correction_is_a_reversing_entry_made_within_scope_with_a_reason(
    client: Any, pemda: dict[str, Any]
) -> None:
    year = this_year()
    mine, neighbour = pemda["staff_a"][1], pemda["staff_b"][0]
    entry, _ = credit(mine, 1, "5", earned_on=dt.date(year, 3, 1), note="Seminar ganda")
    theirs, _ = credit(neighbour, 2, "7", earned_on=dt.date(year, 3, 1))
    client.force_login(pemda["admin_a"])
    reverse_url = reverse("learning:ledger_reverse", kwargs={"entry_id": entry.pk})
    # No reason: refused, nothing changes.
    response = client.post(reverse_url, {"reason": "   "}, follow=True)
    assert "Tuliskan alasan pembatalan JP" in response.content.decode()
    assert JPEntry.objects.filter(employee=mine).count() == 1
    response = client.post(reverse_url, {"reason": "Tercatat dua kali"}, follow=True)
    assert "dibatalkan" in response.content.decode()
    reversal = JPEntry.objects.get(reverses=entry)
    assert reversal.jp == Decimal("-5")
    assert reversal.created_by == pemda["admin_a"]
    assert JPYearTotal.objects.get(employee=mine, year=year).total == Decimal("0")
    log = ModelLogEntry.objects.get(action="sinau.jp.reverse")
    assert (log.user_id, log.data.get("reason")) == (pemda["admin_a"].pk, "Tercatat dua kali")
    # Twice: a message, not a second reversal; nor can a reversal be reversed.
    response = client.post(reverse_url, {"reason": "lagi"}, follow=True)
    assert "sudah dibatalkan" in response.content.decode()
    again = reverse("learning:ledger_reverse", kwargs={"entry_id": reversal.pk})
    client.post(again, {"reason": "lagi"})
    assert JPEntry.objects.filter(employee=mine).count() == 2
    # A neighbour's entry is not found; the auditor changes nothing; GET is refused.
    other = reverse("learning:ledger_reverse", kwargs={"entry_id": theirs.pk})
    assert client.post(other, {"reason": "salah"}).status_code == 404
    assert client.get(reverse_url).status_code == 405
    client.force_login(pemda["auditor"])
    assert client.post(other, {"reason": "salah"}).status_code == 403
    assert JPEntry.objects.filter(employee=neighbour).count() == 1


def test_the_service_refuses_to_reverse_twice(pemda: dict[str, Any]) -> None:
    entry, _ = credit(pemda["learner"], 1, "2")
    services.jp_reverse(entry=entry, actor=None, reason="salah input")
    with pytest.raises(ValidationError):
        services.jp_reverse(entry=entry, actor=None, reason="salah input")


def test_the_manage_page_shows_what_waits_in_scope(
    client: Any, pemda: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client.force_login(pemda["admin_a"])
    url = reverse("learning:manage")
    client.get(url)
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert "0 pelatihan menunggu verifikasi" in page
    assert reverse("learning:approvals") in page
    # The auditor reads and verifies but assigns nothing; a learner has no such page.
    client.force_login(pemda["auditor"])
    page = client.get(url).content.decode()
    assert reverse("learning:external_queue") in page
    assert reverse("learning:assign") not in page
    client.force_login(pemda["learner"])
    assert client.get(url).status_code == 403
    assert (
        reverse("learning:manage") not in client.get(reverse("learning:dashboard")).content.decode()
    )


def test_a_verified_external_training_links_its_evidence_not_a_certificate(
    client: Any, pemda: dict[str, Any]
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from lms.learning.demo import DEMO_PDF
    from lms.learning.external.services import (
        ExternalDetails,
        external_submit,
        external_verify,
    )

    learner = pemda["learner"]
    day = timezone.localdate()
    record = external_submit(
        actor=learner,
        details=ExternalDetails(
            title="Diklat Kearsipan",
            organiser="ANRI",
            jenis=None,
            started_on=day,
            ended_on=day,
            jp=Decimal("6"),
            competency_type="teknis",
            form="klasikal",
        ),  # fmt: skip
        evidence=SimpleUploadedFile("sttpp.pdf", DEMO_PDF, content_type="application/pdf"),
    )
    external_verify(actor=pemda["admin_a"], record=record)
    client.force_login(learner)
    page = client.get(reverse("learning:competency_record")).content.decode()
    evidence = reverse("learning:external_evidence", kwargs={"record_id": record.pk})
    assert evidence in page
    response = client.get(evidence)
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
