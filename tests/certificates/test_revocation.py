"""Revocation and reissue by BKPSDM, and the admin certificate pages.

Revoking takes the JP back with one reversing ledger entry in the same transaction, once;
reissuing gives a new number and code and leaves the JP alone; OPD admins and auditors may
look but not change; every list is scoped and its query count bounded."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from courses.models import CoursePage
from lms.certificates import services as issuing
from lms.certificates.models import Certificate
from lms.certificates.revocation import certificate_reissue, certificate_revoke
from lms.certificates.tasks import certificate_render_task
from lms.learning import services as learning
from lms.learning.models import JPEntry, JPYearTotal
from lms.people.models import Employee


def issue(employee: Employee, course: CoursePage) -> Certificate:
    enrolment = learning.enrolment_request(actor=employee, course=course)
    learning.enrolment_complete(enrolment=enrolment, actor=None)
    return issuing.certificate_issue(enrolment=enrolment)


@pytest.fixture
def course(course_with: Callable[..., CoursePage]) -> CoursePage:
    course = course_with(title="Manajemen ASN")
    course.jp_credited = Decimal("3")
    course.save()
    return course


@pytest.fixture
def certificate(pemda: dict[str, Any], course: CoursePage) -> Certificate:
    return issue(pemda["learner"], course)


def revoke_url(certificate: Certificate) -> str:
    return reverse("certificates:revoke", kwargs={"certificate_id": certificate.pk})


def reissue_url(certificate: Certificate) -> str:
    return reverse("certificates:reissue", kwargs={"certificate_id": certificate.pk})


def detail_url(certificate: Certificate) -> str:
    return reverse("certificates:admin_detail", kwargs={"certificate_id": certificate.pk})


def year_total(employee: Employee, certificate: Certificate) -> Decimal:
    return JPYearTotal.objects.get(employee=employee, year=certificate.completed_on.year).total


def test_bkpsdm_revokes_and_the_jp_is_reversed_exactly_once_and_audited(
    client: Client, pemda: dict[str, Any], certificate: Certificate
) -> None:
    learner, superuser = pemda["learner"], pemda["superuser"]
    assert year_total(learner, certificate) == Decimal("3")
    client.force_login(superuser)
    page = client.get(detail_url(certificate)).content.decode()
    assert "Cabut sertifikat ini" in page
    assert "Terbitkan ulang sertifikat ini" in page

    response = client.post(revoke_url(certificate), {"reason": "Data kelulusan keliru"})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED
    assert certificate.revoked_by == superuser
    assert certificate.revoke_reason == "Data kelulusan keliru"
    assert certificate.revoked_at is not None
    assert year_total(learner, certificate) == Decimal("0")
    reversal = JPEntry.objects.get(employee=learner, reverses__isnull=False)
    assert reversal.jp == Decimal("-3")
    assert reversal.source_type == JPEntry.Source.COURSE
    assert reversal.source_id == certificate.enrolment_id
    assert "Data kelulusan keliru" in reversal.note
    assert certificate.number in reversal.note
    log = ModelLogEntry.objects.for_instance(certificate).get(action="sinau.certificate.revoke")
    assert log.user == superuser
    assert log.data["reason"] == "Data kelulusan keliru"
    assert log.data["jp_reversed"] == "3.00"
    shown = client.get(response["Location"]).content.decode()
    assert "JP-nya dibatalkan" in shown
    assert "Cabut sertifikat ini" not in shown  # nothing left to do

    # Again (a second click, a second tab): refused with a clear message, nothing more.
    again = client.post(revoke_url(certificate), {"reason": "Sekali lagi"}, follow=True)
    assert "sudah dicabut" in again.content.decode()
    assert JPEntry.objects.filter(employee=learner, reverses__isnull=False).count() == 1
    assert year_total(learner, certificate) == Decimal("0")
    assert (
        ModelLogEntry.objects.for_instance(certificate)
        .filter(action="sinau.certificate.revoke")
        .count()
        == 1
    )
    # A revoked certificate cannot be reissued either.
    refused = client.post(reissue_url(certificate), {"reason": "Perbaikan nama"}, follow=True)
    assert "sudah dicabut" in refused.content.decode()
    assert Certificate.objects.count() == 1


def test_revoking_needs_a_reason(
    client: Client, pemda: dict[str, Any], certificate: Certificate
) -> None:
    client.force_login(pemda["superuser"])
    response = client.post(revoke_url(certificate), {"reason": "   "}, follow=True)
    assert "Tuliskan alasan pencabutan" in response.content.decode()
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.VALID
    assert not JPEntry.objects.filter(reverses__isnull=False).exists()
    with pytest.raises(ValidationError, match="alasan"):
        certificate_revoke(certificate=certificate, actor=pemda["superuser"], reason="")


def test_revoking_after_the_jp_was_already_reversed_in_the_ledger_reverses_nothing_more(
    pemda: dict[str, Any], certificate: Certificate
) -> None:
    entry = JPEntry.objects.get(source_id=certificate.enrolment_id, reverses__isnull=True)
    learning.jp_reverse(entry=entry, actor=pemda["superuser"], reason="Koreksi buku JP")
    certificate_revoke(certificate=certificate, actor=pemda["superuser"], reason="Tidak lulus")
    assert JPEntry.objects.filter(reverses__isnull=False).count() == 1
    assert year_total(pemda["learner"], certificate) == Decimal("0")


@pytest.mark.parametrize("who", ["admin_a", "auditor", "learner"])
def test_opd_admins_auditors_and_learners_cannot_revoke_or_reissue(
    client: Client, pemda: dict[str, Any], certificate: Certificate, who: str
) -> None:
    client.force_login(pemda[who])
    assert client.post(revoke_url(certificate), {"reason": "x"}).status_code == 403
    assert client.post(reissue_url(certificate), {"reason": "x"}).status_code == 403
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.VALID
    assert Certificate.objects.count() == 1
    assert not JPEntry.objects.filter(reverses__isnull=False).exists()
    assert year_total(pemda["learner"], certificate) == Decimal("3")
    with pytest.raises(PermissionDenied):
        certificate_revoke(certificate=certificate, actor=pemda[who], reason="x")
    with pytest.raises(PermissionDenied):
        certificate_reissue(certificate=certificate, actor=pemda[who], reason="x")


def test_reissue_gives_a_new_number_and_code_and_keeps_the_jp(
    client: Client,
    pemda: dict[str, Any],
    certificate: Certificate,
    django_capture_on_commit_callbacks: Any,
) -> None:
    learner, superuser = pemda["learner"], pemda["superuser"]
    # The name on the certificate was wrong: HR corrects it, BKPSDM reissues.
    learner.full_name, learner.gelar_belakang = "Guru Andalas Nol", "S.Pd."
    learner.save()
    client.force_login(superuser)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reissue_url(certificate), {"reason": "Perbaikan penulisan nama"})
    assert response.status_code == 302
    new = Certificate.objects.get(replaces=certificate)
    assert response["Location"] == detail_url(new)
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REPLACED
    assert new.status == Certificate.Status.VALID
    assert new.number != certificate.number
    assert new.code != certificate.code
    assert new.sequence == certificate.sequence + 1  # the same gap-free series
    assert new.holder_name == "Guru Andalas Nol, S.Pd."
    assert (new.jp, new.completed_on, new.enrolment_id) == (
        certificate.jp, certificate.completed_on, certificate.enrolment_id,
    )  # fmt: skip
    # The hours stay: no reversal, the year's total unchanged.
    assert not JPEntry.objects.filter(reverses__isnull=False).exists()
    assert year_total(learner, certificate) == Decimal("3")
    log = ModelLogEntry.objects.for_instance(certificate).get(action="sinau.certificate.reissue")
    assert (log.user, log.data["new_number"]) == (superuser, new.number)
    # Its PDF is queued once the transaction commits; the worker renders it.
    assert len(callbacks) == 1
    assert not new.pdf
    certificate_render_task(new.pk)
    new.refresh_from_db()
    assert new.pdf
    assert new.rendered_at is not None
    # The old one now says where its replacement is, on the admin page and publicly.
    old_page = client.get(detail_url(certificate)).content.decode()
    assert new.number in old_page
    assert "Terbitkan ulang sertifikat ini" not in old_page
    public = client.get(reverse("certificates:verify", kwargs={"code": certificate.code}))
    assert new.number in public.content.decode()
    # The replaced one is neither revoked nor reissued again; the new one can be.
    with pytest.raises(ValidationError, match="sudah diganti"):
        certificate_revoke(certificate=certificate, actor=superuser, reason="x")
    with pytest.raises(ValidationError, match="sudah diganti"):
        certificate_reissue(certificate=certificate, actor=superuser, reason="x")


def test_revoking_a_reissued_certificate_reverses_the_completion_once(
    pemda: dict[str, Any], certificate: Certificate
) -> None:
    superuser = pemda["superuser"]
    new = certificate_reissue(certificate=certificate, actor=superuser, reason="Nama")
    certificate_revoke(certificate=new, actor=superuser, reason="Tidak memenuhi syarat")
    assert JPEntry.objects.filter(reverses__isnull=False).count() == 1
    assert year_total(pemda["learner"], certificate) == Decimal("0")


# --- The admin list and detail --------------------------------------------------------


@pytest.fixture
def many(pemda: dict[str, Any], course: CoursePage) -> list[Certificate]:
    """Certificates for all six staff: three in OPD A, three in OPD B."""
    return [issue(e, course) for e in (*pemda["staff_a"], *pemda["staff_b"])]


def listed(client: Client, query: str = "") -> str:
    response = client.get(reverse("certificates:admin_list") + query)
    assert response.status_code == 200
    return response.content.decode()


def test_the_list_is_scoped_opd_admins_see_their_subtree_only(
    client: Client, pemda: dict[str, Any], many: list[Certificate]
) -> None:
    client.force_login(pemda["admin_a"])
    html = listed(client)
    for c in many[:3]:
        assert c.number in html
    for c in many[3:]:
        assert c.number not in html
    # A neighbour's certificate: 404, as if it did not exist.
    assert client.get(detail_url(many[3])).status_code == 404
    mine = client.get(detail_url(many[0])).content.decode()
    assert many[0].holder_name in mine
    assert "Cabut sertifikat ini" not in mine  # read-only
    client.force_login(pemda["auditor"])
    html = listed(client)
    assert all(c.number in html for c in many)
    assert "Cabut sertifikat ini" not in client.get(detail_url(many[3])).content.decode()
    client.force_login(pemda["learner"])
    assert client.get(reverse("certificates:admin_list")).status_code == 403
    assert client.get(detail_url(many[0])).status_code == 403


def test_the_list_filters_and_searches(
    client: Client, pemda: dict[str, Any], many: list[Certificate]
) -> None:
    client.force_login(pemda["auditor"])
    certificate_revoke(certificate=many[1], actor=pemda["superuser"], reason="Salah data")
    html = listed(client, "?status=revoked")
    assert many[1].number in html
    assert many[0].number not in html
    html = listed(client, f"?q={many[4].holder_nip}")
    assert many[4].number in html
    assert many[3].number not in html
    html = listed(client, f"?q={many[2].number}")
    assert many[2].number in html
    assert many[1].number not in html
    html = listed(client, "?q=Perawat")
    assert many[3].number in html
    assert many[0].number not in html
    html = listed(client, f"?opd={pemda['opd_b'].pk}&tahun={many[0].year}")
    assert many[5].number in html
    assert many[0].number not in html
    html = listed(client, f"?kursus={many[0].course_id}")
    assert all(c.number in html for c in many)


def test_the_list_and_detail_pages_have_bounded_query_counts(
    client: Client,
    pemda: dict[str, Any],
    many: list[Certificate],
    django_assert_max_num_queries: Any,
) -> None:
    # Six rows or six hundred: the same few queries (session, viewer, scope, filters, page).
    client.force_login(pemda["superuser"])
    with django_assert_max_num_queries(6):
        listed(client)
    with django_assert_max_num_queries(6):
        assert client.get(detail_url(many[0])).status_code == 200
    client.force_login(pemda["admin_a"])
    with django_assert_max_num_queries(8):
        listed(client, "?q=Guru&status=valid")
    with django_assert_max_num_queries(8):
        assert client.get(detail_url(many[0])).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "?halaman=abc",
        "?halaman=99999",
        "?kursus=zz",
        "?opd=-1",
        "?tahun=99999999999999999999",
        "?status=%00",
        "?q=" + "x" * 5000,
    ],
)
def test_garbage_in_the_list_query_never_500s(
    client: Client, pemda: dict[str, Any], certificate: Certificate, query: str
) -> None:
    client.force_login(pemda["auditor"])
    response = client.get(reverse("certificates:admin_list") + query)
    assert response.status_code == 200


def test_garbage_ids_and_methods_never_500(
    client: Client, pemda: dict[str, Any], certificate: Certificate
) -> None:
    client.force_login(pemda["superuser"])
    assert client.get("/kelola/sertifikat/99999999/").status_code == 404
    assert client.get("/kelola/sertifikat/" + "9" * 40 + "/").status_code == 404
    assert client.get(revoke_url(certificate)).status_code == 405
    assert client.post("/kelola/sertifikat/99999999/cabut/", {"reason": "x"}).status_code == 404
    assert client.post(revoke_url(certificate), {"reason": "x" * 5000}).status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.VALID  # too long a reason: refused
