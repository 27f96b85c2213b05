"""Issuing: a completed course gets one certificate, numbered by the Pemda's scheme without
gaps (also when completions arrive together, on PostgreSQL), with an unguessable code and a
snapshot of what it certifies; completion queues it; BKPSDM lists them read-only."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from courses.models import CoursePage
from lms.certificates import services
from lms.certificates.models import Certificate, CertificateSequence, CertificateTemplate
from lms.certificates.tasks import certificate_issue_task, certificates_sweep
from lms.learning import services as learning
from lms.learning.models import Enrolment
from lms.people.models import Employee
from tests.certificates.conftest import COURSE_TITLE
from tests.factories import EmployeeFactory
from tests.support import at_once

Complete = Callable[[Employee, CoursePage], Enrolment]


def this_year() -> int:
    return timezone.localdate().year


def test_a_completed_course_is_certified_once_with_a_snapshot(
    holder: Employee, course: CoursePage, complete: Complete
) -> None:
    enrolment = complete(holder, course)
    certificate = services.certificate_issue(enrolment=enrolment)
    year = this_year()
    assert certificate.number == f"SINAU/{year}/000001"
    assert (certificate.year, certificate.sequence) == (year, 1)
    assert certificate.holder_name == "Dr. Rina Kartika Sari, S.Kom., M.T."
    assert certificate.holder_nip == holder.nip
    assert certificate.course_title == COURSE_TITLE
    assert certificate.jp == Decimal("12.5")
    assert certificate.competency_type == "manajerial"
    assert certificate.completed_on == timezone.localdate(enrolment.completed_at)
    assert certificate.status == Certificate.Status.VALID
    # 24 random bytes, URL-safe: 192 bits, well past the 128 asked for.
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", certificate.code)
    assert ModelLogEntry.objects.filter(
        action="sinau.certificate.issue", object_id=str(certificate.pk)
    ).exists()

    again = services.certificate_issue(enrolment=enrolment)
    assert again.pk == certificate.pk
    assert Certificate.objects.count() == 1
    assert CertificateSequence.objects.get(year=year).last == 1

    # A later edit of the person or the course leaves the signed certificate as it was.
    holder.full_name = "Rina K. Sari"
    holder.save()
    course.title = "Judul Baru"
    course.save()
    certificate.refresh_from_db()
    assert (certificate.holder_name, certificate.course_title) == (
        "Dr. Rina Kartika Sari, S.Kom., M.T.", COURSE_TITLE,
    )  # fmt: skip


def test_a_revoked_certificate_is_not_issued_again(
    holder: Employee, course: CoursePage, complete: Complete
) -> None:
    enrolment = complete(holder, course)
    certificate = services.certificate_issue(enrolment=enrolment)
    Certificate.objects.filter(pk=certificate.pk).update(status=Certificate.Status.REVOKED)
    assert services.certificate_issue(enrolment=enrolment).pk == certificate.pk
    assert Certificate.objects.count() == 1


def test_only_a_completed_enrolment_is_certified(holder: Employee, course: CoursePage) -> None:
    enrolment = learning.enrolment_request(actor=holder, course=course)
    with pytest.raises(ValidationError, match="sudah diselesaikan"):
        services.certificate_issue(enrolment=enrolment)
    assert not Certificate.objects.exists()
    assert not CertificateSequence.objects.filter(last__gt=0).exists()
    # The task says no without retrying: the enrolment is not going to complete itself.
    assert certificate_issue_task(enrolment.pk) is None
    assert certificate_issue_task(987654) is None


def test_numbers_follow_the_configured_scheme_and_count_on(
    settings: Any, pemda: dict[str, Any], course: CoursePage, complete: Complete
) -> None:
    settings.SINAU_CERTIFICATE_NUMBER_FORMAT = "800/{urut:04d}/BKPSDM-{kode_pemda}/{tahun}"
    settings.SINAU_KODE_PEMDA = "KAB.SNU"
    numbers = [
        services.certificate_issue(enrolment=complete(employee, course)).number
        for employee in pemda["staff_a"]
    ]
    year = this_year()
    assert numbers == [f"800/{n:04d}/BKPSDM-KAB.SNU/{year}" for n in (1, 2, 3)]


@pytest.mark.parametrize(
    ("scheme", "problem"),
    [
        ("{kode_pemda}/{tahun}", "{tahun} and {urut}"),
        ("{kode_pemda}/{urut}", "{tahun} and {urut}"),
        ("{kode}/{tahun}/{urut}", "unknown field"),
        ("{kode_pemda}/{tahun}/{urut:06x.}", "SINAU_CERTIFICATE_NUMBER_FORMAT"),
        ("{kode_pemda}/{tahun}/{urut", "SINAU_CERTIFICATE_NUMBER_FORMAT"),
    ],
)
def test_a_broken_number_scheme_stops_issuing_with_a_clear_message(
    settings: Any, holder: Employee, course: CoursePage, complete: Complete,
    scheme: str, problem: str,
) -> None:  # fmt: skip
    settings.SINAU_CERTIFICATE_NUMBER_FORMAT = scheme
    enrolment = complete(holder, course)
    with pytest.raises(ImproperlyConfigured, match=re.escape(problem)):
        services.certificate_issue(enrolment=enrolment)
    assert not Certificate.objects.exists()


def test_the_courses_own_template_comes_before_the_default(
    settings: Any, pemda: dict[str, Any], course: CoursePage, complete: Complete,
    course_with: Callable[..., CoursePage],
) -> None:  # fmt: skip
    settings.SINAU_PEMDA_NAME = "Pemerintah Kabupaten Uji"
    staff = pemda["staff_a"]
    # No template at all: the built-in look, issued in the Pemda's name.
    bare = services.certificate_issue(enrolment=complete(staff[0], course))
    assert (bare.template, bare.issuer_name) == (None, "Pemerintah Kabupaten Uji")

    default = CertificateTemplate.objects.create(
        name="Bawaan", is_default=True, issuer_name="BKPSDM Kabupaten Uji",
        signatory_title="Kepala BKPSDM", signatory_name="Siti Aminah",
    )  # fmt: skip
    other = course_with([("text", "<p>Bacaan</p>")], title="Kursus Lain")
    own = CertificateTemplate.objects.create(
        name="Khusus", course=other, issuer_name="Dinas Pendidikan Kabupaten Uji",
        signatory_title="Kepala Dinas", signatory_name="Budi Santoso",
    )  # fmt: skip
    by_default = services.certificate_issue(enrolment=complete(staff[1], course))
    by_own = services.certificate_issue(enrolment=complete(staff[1], other))
    assert (by_default.template, by_default.issuer_name) == (default, "BKPSDM Kabupaten Uji")
    assert (by_own.template, by_own.issuer_name) == (own, "Dinas Pendidikan Kabupaten Uji")


def test_completing_a_course_queues_the_certificate_and_the_worker_makes_it(
    holder: Employee, course: CoursePage, django_capture_on_commit_callbacks: Any, eager: Any
) -> None:
    enrolment = learning.enrolment_request(actor=holder, course=course)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        learning.enrolment_complete(enrolment=enrolment, actor=None)
    # Nothing is issued inside the completion's transaction: it is queued for after it.
    assert len(callbacks) == 1
    assert not Certificate.objects.exists()
    with eager():
        callbacks[0]()
    certificate = Certificate.objects.get(enrolment=enrolment)
    assert certificate.pdf.name.endswith(".pdf")
    assert certificate.rendered_at is not None
    # The message delivered twice (acks_late after a lost worker): still one certificate.
    assert certificate_issue_task(enrolment.pk) == certificate.pk
    assert Certificate.objects.count() == 1


def test_the_sweep_issues_what_the_queue_missed(
    holder: Employee, course: CoursePage, complete: Complete, eager: Any
) -> None:
    enrolment = complete(holder, course)  # its on-commit message never ran (the broker was down)
    Enrolment.objects.filter(pk=enrolment.pk).update(
        completed_at=timezone.now() - dt.timedelta(hours=1)
    )
    with eager():
        assert certificates_sweep() == {"enrolments": 1, "certificates": 0}
    certificate = Certificate.objects.get(enrolment=enrolment)
    assert certificate.pdf
    with eager():
        assert certificates_sweep() == {"enrolments": 0, "certificates": 0}


# --- Concurrency (PostgreSQL) --------------------------------------------------------


def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (set DATABASE_URL)")


@pytest.mark.postgres
def test_thirty_completions_at_once_are_numbered_1_to_30(
    transactional_db: None, pemda: dict[str, Any], course_with: Any, eager: Any
) -> None:
    _postgres_only()
    count = 30
    course = course_with([("text", "<p>Bacaan</p>")], title="Kursus Serentak")
    learners = [EmployeeFactory.create(org_unit=pemda["unit_b"]) for _ in range(count)]
    enrolments = [learning.enrolment_request(actor=e, course=course) for e in learners]

    def finish(i: int) -> int:
        # The completion's on-commit task runs in this thread (eager): issue, then render.
        learning.enrolment_complete(enrolment=enrolments[i], actor=None)
        return Certificate.objects.get(enrolment=enrolments[i]).sequence

    with eager():
        results, failures = at_once(count, finish)
    assert not failures, failures
    year = this_year()
    certificates = Certificate.objects.filter(year=year)
    assert sorted(results) == list(range(1, count + 1))
    assert sorted(certificates.values_list("sequence", flat=True)) == list(range(1, count + 1))
    assert len(set(certificates.values_list("number", flat=True))) == count
    assert CertificateSequence.objects.get(year=year).last == count
    assert certificates.exclude(pdf="").count() == count


@pytest.mark.postgres
def test_racing_issuers_of_the_same_completions_issue_each_once_without_gaps(
    transactional_db: None, pemda: dict[str, Any], course_with: Any
) -> None:
    _postgres_only()
    course = course_with([("text", "<p>Bacaan</p>")], title="Kursus Ganda")
    learners = [EmployeeFactory.create(org_unit=pemda["unit_b"]) for _ in range(20)]
    enrolments = []
    for learner in learners:
        enrolment = learning.enrolment_request(actor=learner, course=course)
        enrolments.append(learning.enrolment_complete(enrolment=enrolment, actor=None))

    # Forty issuers: each completion's task delivered twice, all released together.
    results, failures = at_once(
        40, lambda i: services.certificate_issue(enrolment=enrolments[i % 20]).pk
    )
    assert not failures, failures
    assert len(set(results)) == 20
    year = this_year()
    assert sorted(Certificate.objects.values_list("sequence", flat=True)) == list(range(1, 21))
    assert CertificateSequence.objects.get(year=year).last == 20


# --- The admin listing ----------------------------------------------------------------


def test_bkpsdm_lists_certificates_read_only(
    client: Client, pemda: dict[str, Any], course: CoursePage, complete: Complete,
    django_assert_max_num_queries: Any,
) -> None:  # fmt: skip
    for employee in [*pemda["staff_a"], *pemda["staff_b"]]:
        services.certificate_issue(enrolment=complete(employee, course))
    index = reverse("sertifikat:index")
    first = Certificate.objects.order_by("sequence").first()
    assert first is not None

    client.force_login(pemda["auditor"])
    with django_assert_max_num_queries(20):  # 15 whatever the number of rows
        response = client.get(index)
    assert response.status_code == 200
    body = response.content.decode()
    for expected in (first.number, "Guru Andalas 0", "Perawat Bukit 2"):
        assert expected in body
    assert client.get(reverse("sertifikat:inspect", args=[first.pk])).status_code == 200
    # Read-only: no form to add or change one, for an auditor or a superuser.
    for user in (pemda["auditor"], pemda["superuser"]):
        client.force_login(user)
        assert client.get(reverse("sertifikat:index")).status_code == 200
        assert client.get(reverse("sertifikat:edit", args=[first.pk])).status_code in (302, 403)
        assert client.get(reverse("sertifikat:add")).status_code in (302, 403)
        assert client.post(reverse("sertifikat:delete", args=[first.pk])).status_code in (
            302, 403,
        )  # fmt: skip
    assert Certificate.objects.filter(pk=first.pk).exists()

    # An OPD admin and a learner do not see the Pemda's certificates here.
    for user in (pemda["admin_a"], pemda["learner"]):
        client.force_login(user)
        response = client.get(index)
        assert response.status_code in (302, 403)
        assert first.number not in response.content.decode()
