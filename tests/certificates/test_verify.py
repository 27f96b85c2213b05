"""Public verification at /verify/<code> and GET /api/v1/certificates/verify/<code>/: what a
verifier is told (valid, revoked with date and reason, replaced by a newer one), what they
are never told (the full NIP, the email), one 404 for unknown and malformed codes, and a
budget of lookups per client IP shared by the page and the API."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from courses.models import CoursePage
from lms.certificates import services as issuing
from lms.certificates.models import Certificate
from lms.certificates.revocation import certificate_reissue, certificate_revoke
from lms.learning import services as learning
from lms.people.models import Employee


def issue(employee: Employee, course: CoursePage) -> Certificate:
    """A completion, and the certificate the issuing service gives it."""
    enrolment = learning.enrolment_request(actor=employee, course=course)
    learning.enrolment_complete(enrolment=enrolment, actor=None)
    return issuing.certificate_issue(enrolment=enrolment)


@pytest.fixture
def course(course_with: Callable[..., CoursePage]) -> CoursePage:
    return course_with(title="Etika Pelayanan Publik")


@pytest.fixture
def certificate(pemda: dict[str, Any], course: CoursePage) -> Certificate:
    learner = pemda["learner"]
    learner.gelar_depan, learner.gelar_belakang = "Dr.", "S.Pd., M.Pd."
    learner.email = "guru.andalas@uji.go.id"
    learner.save()
    return issue(learner, course)


def page(client: Client, code: str, **extra: Any) -> Any:
    return client.get(reverse("certificates:verify", kwargs={"code": code}), **extra)


def api(client: Client, code: str, **extra: Any) -> Any:
    return client.get(reverse("api:certificate_verify", kwargs={"code": code}), **extra)


def without_tokens(html: str) -> str:
    # The language form carries a CSRF token masked anew in every response, and the path
    # to come back to.
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'name="next" type="hidden" value="[^"]*"', "", html)


def test_a_valid_certificate_shows_what_a_verifier_needs_and_no_more(
    client: Client,
    pemda: dict[str, Any],
    certificate: Certificate,
    django_assert_max_num_queries: Any,
) -> None:
    learner = pemda["learner"]
    with django_assert_max_num_queries(1):  # one lookup, the replacement joined in
        response = page(client, certificate.code)
    assert response.status_code == 200
    html = response.content.decode()
    assert "SAH" in html
    assert "Dr. Guru Andalas 0, S.Pd., M.Pd." in html
    assert "Etika Pelayanan Publik" in html
    assert certificate.number in html
    assert certificate.issuer_name in html
    assert "2 JP" in html
    # Never the full NIP (in any of its printed forms) nor the email.
    assert learner.nip not in html
    assert learner.nip_display not in html
    assert f"{learner.nip[:4]}***********{learner.nip[-3:]}" in html
    assert learner.email not in html
    assert "noindex" in response["X-Robots-Tag"]
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]

    data = api(client, certificate.code).json()
    assert data["status"] == "valid"
    assert data["holder_name"] == "Dr. Guru Andalas 0, S.Pd., M.Pd."
    assert data["course"] == "Etika Pelayanan Publik"
    assert data["jp"] == "2.00"
    assert data["number"] == certificate.number
    assert data["issuer"] == certificate.issuer_name
    assert data["completed_on"] == certificate.completed_on.isoformat()
    assert data["revoked_at"] is None
    assert data["replaced_by_number"] is None
    assert data["verify_url"].endswith(f"/verify/{certificate.code}")
    body = api(client, certificate.code).content.decode()
    assert learner.nip not in body
    assert learner.email not in body


def test_a_revoked_certificate_says_so_with_date_and_reason_on_page_and_api(
    client: Client, pemda: dict[str, Any], certificate: Certificate
) -> None:
    certificate_revoke(
        certificate=certificate, actor=pemda["superuser"], reason="Plagiarisme tugas akhir"
    )
    certificate.refresh_from_db()
    assert certificate.revoked_at is not None
    html = page(client, certificate.code).content.decode()
    assert "DICABUT" in html
    assert "tidak berlaku lagi" in html
    assert "Plagiarisme tugas akhir" in html
    assert 'class="form-errors"' in html  # the red, alert style
    from django.utils import formats, timezone

    revoked_on = formats.date_format(timezone.localdate(certificate.revoked_at), "DATE_FORMAT")
    assert revoked_on in html
    assert "SAH</strong>" not in html

    data = api(client, certificate.code).json()
    assert data["status"] == "revoked"
    assert data["revoke_reason"] == "Plagiarisme tugas akhir"
    assert data["revoked_at"] is not None


def test_a_replaced_certificate_points_to_its_replacement(
    client: Client, pemda: dict[str, Any], certificate: Certificate
) -> None:
    new = certificate_reissue(
        certificate=certificate, actor=pemda["superuser"], reason="Perbaikan gelar"
    )
    html = page(client, certificate.code).content.decode()
    assert "DIGANTI" in html
    assert new.number in html
    assert reverse("certificates:verify", kwargs={"code": new.code}) in html
    data = api(client, certificate.code).json()
    assert (data["status"], data["replaced_by_number"]) == ("replaced", new.number)
    assert data["replaced_by_url"].endswith(f"/verify/{new.code}")
    # The replacement itself is valid.
    assert "SAH" in page(client, new.code).content.decode()


@pytest.mark.parametrize(
    "code",
    [
        "a" * 32,  # well-formed, unknown
        "abc",  # too short
        "x" * 65,  # too long
        "kode dengan spasi",
        "';DROP TABLE--",
        "%00",
        "é" * 40,
    ],
)
def test_unknown_and_malformed_codes_give_the_same_404_that_leaks_nothing(
    client: Client, pemda: dict[str, Any], certificate: Certificate, code: str
) -> None:
    response = page(client, code)
    assert response.status_code == 404
    html = without_tokens(response.content.decode())
    assert "Sertifikat tidak ditemukan" in html
    assert certificate.holder_name not in html
    assert certificate.number not in html
    reference = without_tokens(page(client, "b" * 32).content.decode())
    assert html == reference  # malformed looks exactly like unknown

    response = api(client, code)
    assert response.status_code == 404
    assert response.json() == {
        "type": "client_error",
        "errors": [{"code": "not_found", "detail": "Sertifikat tidak ditemukan.", "attr": None}],
    }
    assert certificate.holder_name not in response.content.decode()


def test_lookups_are_rate_limited_per_client_across_page_and_api(
    client: Client, certificate: Certificate, settings: Any
) -> None:
    settings.SINAU_CERTIFICATE_VERIFY_RATE = 3
    ip = {"REMOTE_ADDR": "203.0.113.7"}
    assert page(client, certificate.code, **ip).status_code == 200
    assert page(client, "z" * 32, **ip).status_code == 404  # misses count too
    assert api(client, certificate.code, **ip).status_code == 200
    limited = page(client, certificate.code, **ip)
    assert limited.status_code == 429
    assert "Terlalu banyak pemeriksaan sertifikat" in limited.content.decode()
    assert int(limited["Retry-After"]) >= 1
    assert certificate.holder_name not in limited.content.decode()
    limited_api = api(client, certificate.code, **ip)
    assert limited_api.status_code == 429
    assert "Terlalu banyak pemeriksaan sertifikat" in limited_api.json()["errors"][0]["detail"]
    assert "Retry-After" in limited_api
    # Another client still has its own budget.
    assert page(client, certificate.code, REMOTE_ADDR="198.51.100.9").status_code == 200


def test_the_form_on_verify_takes_a_code_or_a_pasted_link(
    client: Client, certificate: Certificate
) -> None:
    form = client.get(reverse("certificates:verify_form"))
    assert form.status_code == 200
    assert 'name="code"' in form.content.decode()
    target = reverse("certificates:verify", kwargs={"code": certificate.code})
    response = client.get(reverse("certificates:verify_form"), {"code": f"  {certificate.code} "})
    assert (response.status_code, response["Location"]) == (302, target)
    pasted = f"https://sinau.example.go.id/verify/{certificate.code}"
    response = client.get(reverse("certificates:verify_form"), {"code": pasted})
    assert response["Location"] == target
    empty = client.get(reverse("certificates:verify_form"), {"code": "  "})
    assert empty.status_code == 200
    assert "Isi kode verifikasi" in empty.content.decode()
    # With a trailing slash too (a link copied from somewhere that adds one).
    assert client.get(target + "/").status_code == 200


def test_the_api_endpoint_is_documented(client: Client, db: None) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/certificates/verify/{code}/"]["get"]
    assert {"200", "404", "429"} <= set(operation["responses"])
    # Anonymous: no security requirement on the operation, none globally.
    assert operation.get("security", []) in ([], [{}])
    assert "security" not in schema
    employees = schema["paths"]["/api/v1/employees/"]["get"]
    assert employees["security"]  # unlike the endpoints that need a login
