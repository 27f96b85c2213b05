"""Downloads: the learner's certificates and their PDFs (to the holder or an admin in scope
only), a page that waits for a PDF still being rendered, and zips per course or OPD built
by a task with progress, downloadable only by whoever asked (or a superuser)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from courses.models import CoursePage
from lms.certificates import services as issuing
from lms.certificates.bundles import (
    MANIFEST_NAME,
    bundle_build,
    bundle_entry_name,
    certificate_bundle_build_task,
)
from lms.certificates.models import Certificate, CertificateBundle
from lms.certificates.revocation import certificate_revoke
from lms.learning import services as learning
from lms.people.models import Employee


def issue(employee: Employee, course: CoursePage) -> Certificate:
    enrolment = learning.enrolment_request(actor=employee, course=course)
    learning.enrolment_complete(enrolment=enrolment, actor=None)
    return issuing.certificate_issue(enrolment=enrolment)


def rendered(certificate: Certificate) -> Certificate:
    result = issuing.certificate_render(certificate_id=certificate.pk)
    assert result is not None
    return result


@pytest.fixture
def course(course_with: Callable[..., CoursePage]) -> CoursePage:
    course = course_with(title="Literasi Digital")
    course.jp_credited = Decimal("4")
    course.save()
    return course


@pytest.fixture
def other_course(course_with: Callable[..., CoursePage]) -> CoursePage:
    return course_with(title="Kearsipan Dinamis")


def download_url(certificate: Certificate) -> str:
    return reverse("certificates:download", kwargs={"certificate_id": certificate.pk})


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


# --- The learner's certificates -------------------------------------------------------


def test_sertifikat_saya_lists_the_learners_own_certificates(
    client: Client,
    pemda: dict[str, Any],
    course: CoursePage,
    other_course: CoursePage,
    django_assert_max_num_queries: Any,
) -> None:
    learner, neighbour = pemda["learner"], pemda["staff_a"][1]
    mine = [issue(learner, course), issue(learner, other_course)]
    theirs = issue(neighbour, course)
    certificate_revoke(certificate=mine[1], actor=pemda["superuser"], reason="Salah")
    client.force_login(learner)
    with django_assert_max_num_queries(5):
        response = client.get(reverse("certificates:mine"))
    html = response.content.decode()
    assert mine[0].number in html
    assert "Literasi Digital" in html
    assert mine[1].number in html
    assert "Dicabut" in html
    assert theirs.number not in html
    assert download_url(mine[0]) in html
    assert download_url(mine[1]) not in html  # no download for a revoked one


def test_the_holder_downloads_their_pdf_with_a_filename_from_the_number(
    client: Client, pemda: dict[str, Any], course: CoursePage
) -> None:
    certificate = rendered(issue(pemda["learner"], course))
    client.force_login(pemda["learner"])
    response = client.get(download_url(certificate))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    stem = certificate.number.replace("/", "-")
    assert response["Content-Disposition"] == f'attachment; filename="sertifikat-{stem}.pdf"'
    assert body(response).startswith(b"%PDF")


def test_only_the_holder_and_admins_in_scope_may_download(
    client: Client, pemda: dict[str, Any], course: CoursePage
) -> None:
    certificate = rendered(issue(pemda["learner"], course))
    outsider_admin = Employee.objects.get(pk=pemda["admin_a"].pk)
    for who, status in [
        (pemda["staff_a"][1], 404),  # a colleague
        (pemda["staff_b"][0], 404),  # someone elsewhere
        (outsider_admin, 200),  # the learner's own OPD admin
        (pemda["auditor"], 200),
        (pemda["superuser"], 200),
    ]:
        client.force_login(who)
        assert client.get(download_url(certificate)).status_code == status, who
    # OPD B's admin does not reach OPD A's learners.
    from lms.people.models import Role
    from lms.people.services import role_grant

    admin_b = pemda["staff_b"][2]
    role_grant(
        actor=None, employee=admin_b, role=Role.OPD_ADMIN, org_unit=pemda["opd_b"], reason="uji"
    )
    client.force_login(admin_b)
    assert client.get(download_url(certificate)).status_code == 404
    client.logout()
    response = client.get(download_url(certificate))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("people:login"))


def test_a_pdf_not_rendered_yet_gets_a_waiting_page_and_one_render_request(
    client: Client,
    pemda: dict[str, Any],
    course: CoursePage,
    django_capture_on_commit_callbacks: Any,
) -> None:
    certificate = issue(pemda["learner"], course)
    client.force_login(pemda["learner"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = client.get(download_url(certificate))
        again = client.get(download_url(certificate))
    assert first.status_code == 202
    html = first.content.decode()
    assert "sedang disiapkan" in html.lower()
    assert '<meta http-equiv="refresh"' in html
    assert again.status_code == 202
    assert len(callbacks) == 1  # reloading the page does not queue it again
    # The worker renders it; the same link now gives the PDF.
    from lms.certificates.tasks import certificate_render_task

    certificate_render_task(certificate.pk)
    response = client.get(download_url(certificate))
    assert response.status_code == 200
    assert body(response).startswith(b"%PDF")


def test_a_revoked_certificate_is_not_downloadable_by_its_holder(
    client: Client, pemda: dict[str, Any], course: CoursePage
) -> None:
    certificate = rendered(issue(pemda["learner"], course))
    certificate_revoke(certificate=certificate, actor=pemda["superuser"], reason="Tidak sah")
    client.force_login(pemda["learner"])
    response = client.get(download_url(certificate))
    assert response.status_code == 410
    assert "Tidak sah" in response.content.decode()
    client.force_login(pemda["auditor"])  # BKPSDM keeps access to the evidence
    assert client.get(download_url(certificate)).status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/sertifikat/0/unduh/", "/sertifikat/99999999/unduh/", "/sertifikat/" + "9" * 40 + "/unduh/"],
)
def test_garbage_download_ids_are_404(client: Client, pemda: dict[str, Any], path: str) -> None:
    client.force_login(pemda["learner"])
    assert client.get(path).status_code == 404


# --- Zip bundles ----------------------------------------------------------------------


@pytest.fixture
def certificates(
    pemda: dict[str, Any], course: CoursePage, other_course: CoursePage
) -> dict[str, list[Certificate]]:
    """The course's certificates for OPD A (3) and OPD B (2, one of them revoked), one
    rendered already, and one certificate of another course."""
    a = [issue(e, course) for e in pemda["staff_a"]]
    b = [issue(e, course) for e in pemda["staff_b"][:2]]
    rendered(a[0])
    certificate_revoke(certificate=b[1], actor=pemda["superuser"], reason="Salah")
    other = [issue(pemda["staff_a"][0], other_course)]
    return {"a": a, "b": b, "other": other}


def request_bundle(client: Client, data: dict[str, Any], callbacks: Any) -> Any:
    with callbacks(execute=False) as queued:
        response = client.post(reverse("certificates:bundle_list"), data)
    return response, queued


def zip_names(bundle: CertificateBundle) -> tuple[list[str], zipfile.ZipFile]:
    bundle.file.open("rb")
    archive = zipfile.ZipFile(io.BytesIO(bundle.file.read()))
    bundle.file.close()
    return sorted(archive.namelist()), archive


def test_an_auditor_gets_a_zip_of_a_courses_valid_certificates(
    client: Client,
    pemda: dict[str, Any],
    course: CoursePage,
    certificates: dict[str, list[Certificate]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    auditor = pemda["auditor"]
    client.force_login(auditor)
    response, queued = request_bundle(
        client, {"course": course.pk}, django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    bundle = CertificateBundle.objects.get()
    assert response["Location"] == reverse(
        "certificates:bundle_detail", kwargs={"bundle_id": bundle.pk}
    )
    assert (bundle.requested_by, bundle.status, bundle.total) == (auditor, "queued", 4)
    assert len(queued) == 1  # the build is queued on commit
    assert (
        ModelLogEntry.objects.for_instance(bundle)
        .filter(action="sinau.certificate.bundle")
        .exists()
    )
    waiting = client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh"' in waiting
    assert "0 dari 4" in waiting

    certificate_bundle_build_task(bundle.pk)  # what the worker runs
    bundle.refresh_from_db()
    assert (bundle.status, bundle.done, bundle.total) == ("ready", 4, 4)
    valid = [*certificates["a"], certificates["b"][0]]
    names, archive = zip_names(bundle)
    expected = sorted(bundle_entry_name(c) for c in valid)
    assert names == sorted([*expected, MANIFEST_NAME])
    for name in expected:
        assert archive.read(name).startswith(b"%PDF")
    assert certificates["b"][1].number.replace("/", "-") not in " ".join(names)  # revoked
    rows = list(csv.reader(io.StringIO(archive.read(MANIFEST_NAME).decode("utf-8-sig"))))
    assert sorted(r[0] for r in rows[1:]) == sorted(c.number for c in valid)
    # The missing PDFs were rendered on the way and kept.
    assert all(c.pdf for c in Certificate.objects.filter(pk__in=[c.pk for c in valid]))

    ready = client.get(reverse("certificates:bundle_detail", kwargs={"bundle_id": bundle.pk}))
    assert "http-equiv" not in ready.content.decode()
    download = reverse("certificates:bundle_download", kwargs={"bundle_id": bundle.pk})
    assert download in ready.content.decode()
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    assert zipfile.ZipFile(io.BytesIO(body(response))).testzip() is None

    # Running the task again (a redelivered message) changes nothing.
    file_name = bundle.file.name
    bundle_build(bundle_id=bundle.pk)
    bundle.refresh_from_db()
    assert (bundle.status, bundle.file.name) == ("ready", file_name)


def test_a_zip_per_opd_and_year_holds_that_opds_certificates(
    client: Client,
    pemda: dict[str, Any],
    certificates: dict[str, list[Certificate]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(pemda["superuser"])
    year = certificates["a"][0].year
    request_bundle(
        client, {"org_unit": pemda["opd_a"].pk, "year": year}, django_capture_on_commit_callbacks
    )
    bundle = bundle_build(bundle_id=CertificateBundle.objects.get().pk)
    names, _archive = zip_names(bundle)
    expected = [bundle_entry_name(c) for c in (*certificates["a"], *certificates["other"])]
    assert names == sorted([*expected, MANIFEST_NAME])


def test_only_the_requester_or_a_superuser_may_open_or_download_a_zip(
    client: Client,
    pemda: dict[str, Any],
    course: CoursePage,
    certificates: dict[str, list[Certificate]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(pemda["auditor"])
    request_bundle(client, {"course": course.pk}, django_capture_on_commit_callbacks)
    bundle = bundle_build(bundle_id=CertificateBundle.objects.get().pk)
    detail = reverse("certificates:bundle_detail", kwargs={"bundle_id": bundle.pk})
    download = reverse("certificates:bundle_download", kwargs={"bundle_id": bundle.pk})
    other_auditor = pemda["staff_b"][2]
    from lms.people.models import Role
    from lms.people.services import role_grant

    role_grant(actor=None, employee=other_auditor, role=Role.AUDITOR, reason="uji")
    client.force_login(other_auditor)
    assert client.get(detail).status_code == 404
    assert client.get(download).status_code == 404
    client.force_login(pemda["superuser"])
    assert client.get(download).status_code == 200
    # OPD admins and learners cannot ask for zips at all.
    for who in ("admin_a", "learner"):
        client.force_login(pemda[who])
        assert client.get(reverse("certificates:bundle_list")).status_code == 403
        response = client.post(reverse("certificates:bundle_list"), {"course": course.pk})
        assert response.status_code == 403
        assert client.get(download).status_code == 404
    assert CertificateBundle.objects.count() == 1


def test_a_zip_request_that_matches_nothing_is_refused_with_a_message(
    client: Client,
    pemda: dict[str, Any],
    other_course: CoursePage,
    django_assert_max_num_queries: Any,
) -> None:
    client.force_login(pemda["auditor"])
    response = client.post(reverse("certificates:bundle_list"), {"course": other_course.pk})
    assert response.status_code == 400
    assert "Tidak ada sertifikat sah" in response.content.decode()
    response = client.post(reverse("certificates:bundle_list"), {})
    assert "Pilih kursus atau OPD" in response.content.decode()
    response = client.post(reverse("certificates:bundle_list"), {"course": "x", "year": "abc"})
    assert response.status_code == 400
    assert not CertificateBundle.objects.exists()
    with django_assert_max_num_queries(8):
        assert client.get(reverse("certificates:bundle_list")).status_code == 200


def test_a_bundle_whose_pdfs_cannot_be_made_fails_with_a_reason(
    client: Client,
    pemda: dict[str, Any],
    course: CoursePage,
    certificates: dict[str, list[Certificate]],
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    client.force_login(pemda["auditor"])
    request_bundle(client, {"course": course.pk}, django_capture_on_commit_callbacks)
    bundle = CertificateBundle.objects.get()
    # Storage that refuses every write: the zip cannot be saved.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": "/proc/sinau-no-such-dir"},
        },
    }
    bundle = bundle_build(bundle_id=bundle.pk)
    assert bundle.status == "failed"
    assert "gagal dibuat" in bundle.failure
    page = client.get(reverse("certificates:bundle_detail", kwargs={"bundle_id": bundle.pk}))
    assert "gagal dibuat" in page.content.decode()
    assert "http-equiv" not in page.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/kelola/sertifikat/unduhan/0/",
        "/kelola/sertifikat/unduhan/99999999/",
        "/kelola/sertifikat/unduhan/99999999/unduh/",
        "/kelola/sertifikat/unduhan/" + "9" * 40 + "/",
        "/kelola/sertifikat/unduhan/abc/",
    ],
)
def test_garbage_bundle_ids_are_404(client: Client, pemda: dict[str, Any], path: str) -> None:
    client.force_login(pemda["superuser"])
    assert client.get(path).status_code == 404


def test_a_zip_not_ready_yet_cannot_be_downloaded(
    client: Client,
    pemda: dict[str, Any],
    course: CoursePage,
    certificates: dict[str, list[Certificate]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(pemda["auditor"])
    request_bundle(client, {"course": course.pk}, django_capture_on_commit_callbacks)
    bundle = CertificateBundle.objects.get()
    download = reverse("certificates:bundle_download", kwargs={"bundle_id": bundle.pk})
    response = client.get(download, follow=True)
    assert "belum siap" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse(
        "certificates:bundle_detail", kwargs={"bundle_id": bundle.pk}
    )
