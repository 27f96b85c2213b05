"""Attendance pages: the learner's check-in by QR (and everything it refuses), the
instructor's sessions, daftar hadir, marking, sign-off, PDF and QR screen."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from lms.classroom import qr, services
from lms.classroom.models import Attendance, Session
from lms.learning.models import JPEntry
from lms.people.models import Role
from lms.people.services import role_grant
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def checkin_url(code: str) -> str:
    return reverse("classroom:attendance_checkin", args=[code])


def session_url(name: str, session: Session) -> str:
    return reverse(f"classroom:attendance_{name}", args=[session.pk])


def enrol(classroom: dict[str, Any], *people: Any) -> None:
    for person in people:
        services.cohort_enrol(actor=person, cohort=classroom["cohort"])


def text(response: Any) -> str:
    return response.content.decode()


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


# --- Learner check-in -------------------------------------------------------------------


def test_check_in_needs_login_and_comes_back(client: Client, classroom: dict[str, Any]) -> None:
    url = checkin_url(qr.code_for(classroom["weekly"][0]).code)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("people:login"))
    assert "next=/hadir/" in response["Location"]
    assert client.post(url).status_code == 302
    assert not Attendance.objects.exists()


def test_learner_checks_in_with_the_code_on_screen(
    client: Client, classroom: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    learner = classroom["learner"]
    enrol(classroom, learner)
    session = classroom["sessions"][0]
    url = checkin_url(qr.code_for(session).code)
    client.force_login(learner)
    with django_assert_max_num_queries(8):
        page = client.get(url)
    assert page.status_code == 200
    assert "Sesi 1" in text(page)
    assert "Catat kehadiran saya" in text(page)

    with django_assert_max_num_queries(16):
        done = client.post(url)
    assert done.status_code == 200
    assert "Kehadiran Anda tercatat: Hadir" in text(done)
    attendance = Attendance.objects.get(session=session)
    assert attendance.employee == learner
    assert attendance.status == Attendance.Status.PRESENT
    assert attendance.method == Attendance.Method.QR


def test_replayed_code_is_refused(client: Client, classroom: dict[str, Any]) -> None:
    learner = classroom["learner"]
    session = classroom["weekly"][0]
    url = checkin_url(qr.code_for(session).code)
    client.force_login(learner)
    assert client.post(url).status_code == 200
    first = Attendance.objects.get(session=session, employee=learner)

    again = client.post(url)
    assert again.status_code == 400
    assert "Kode ini sudah Anda pakai" in text(again)
    assert Attendance.objects.get(pk=first.pk).checked_in_at == first.checked_in_at
    # Leaving with the same code is the same replay.
    leave = client.post(url, {"leaving": "1"})
    assert leave.status_code == 400
    assert Attendance.objects.get(pk=first.pk).left_at is None


def test_expired_code_is_refused(client: Client, classroom: dict[str, Any]) -> None:
    session = classroom["weekly"][0]
    old = qr.code_for(session, now=timezone.now() - dt.timedelta(seconds=3 * qr.step_seconds()))
    client.force_login(classroom["learner"])
    page = client.get(checkin_url(old.code))
    assert page.status_code == 400
    assert "sudah kedaluwarsa" in text(page)
    assert "Catat kehadiran saya" not in text(page)
    post = client.post(checkin_url(old.code))
    assert post.status_code == 400
    assert "sudah kedaluwarsa" in text(post)
    assert not Attendance.objects.exists()
    # And the service itself, with its clock set.
    with pytest.raises(services.ValidationError):
        services.attendance_check_in(
            actor=classroom["learner"], code=qr.code_for(session).code,
            now=timezone.now() + dt.timedelta(seconds=3 * qr.step_seconds()),
        )  # fmt: skip
    assert not Attendance.objects.exists()


def test_tampered_and_foreign_codes_are_refused(client: Client, classroom: dict[str, Any]) -> None:
    weekly, other = classroom["weekly"][0], classroom["weekly"][1]
    code = qr.code_for(weekly).code
    session_id, step, mac = code.split("-")
    flipped = mac[:-1] + ("0" if mac[-1] != "0" else "1")
    client.force_login(classroom["learner"])
    for bad in (
        f"{session_id}-{step}-{flipped}",  # the mac changed
        f"{session_id}-{int(step) + 1}-{mac}",  # the step moved on without its mac
        f"{other.pk}-{step}-{mac}",  # another session's number on this one's code
    ):
        for response in (client.get(checkin_url(bad)), client.post(checkin_url(bad))):
            assert response.status_code == 404, bad
            assert "Kode kehadiran tidak dikenal" in text(response)
    # A genuine code of another session checks in there, not here.
    assert client.post(checkin_url(qr.code_for(other).code)).status_code == 400  # next week
    assert not Attendance.objects.exists()
    # A session's new secret voids what it showed.
    weekly.qr_secret = "f" * 32
    weekly.save()
    assert client.post(checkin_url(code)).status_code == 404
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    "garbage",
    ["x", "0-0-0", "99999999-1-aaaaaaaaaaaaaaaaaaaa", "1-" + "9" * 40 + "-a", "%00", "1--2", "é"],
)
def test_garbage_codes_answer_a_message(
    client: Client, classroom: dict[str, Any], garbage: str
) -> None:
    client.force_login(classroom["learner"])
    for response in (client.get(checkin_url(garbage)), client.post(checkin_url(garbage))):
        assert response.status_code == 404
        assert "Kode kehadiran tidak dikenal" in text(response)
    assert not Attendance.objects.exists()


def test_a_code_checks_in_only_whoever_is_logged_in(
    client: Client, classroom: dict[str, Any]
) -> None:
    session = classroom["weekly"][0]
    a, b = classroom["staff_a"][0], classroom["staff_a"][1]
    url = checkin_url(qr.code_for(session).code)
    client.force_login(a)
    forged = {"employee": b.pk, "employee_id": b.pk, "nip": b.nip, "actor": b.pk, "user": b.pk}
    assert client.post(url, forged).status_code == 200
    assert list(Attendance.objects.values_list("employee_id", flat=True)) == [a.pk]

    # B, with the very same code, checks in B alone; A's row is as it was.
    client.force_login(b)
    assert client.post(url, {"employee": a.pk, "nip": a.nip}).status_code == 200
    assert sorted(Attendance.objects.values_list("employee_id", flat=True)) == sorted([a.pk, b.pk])
    assert Attendance.objects.get(employee=a).qr_step == qr.parse(qr.code_for(session).code).step  # type: ignore[union-attr]


def test_non_participant_of_the_angkatan_is_refused(
    client: Client, classroom: dict[str, Any]
) -> None:
    enrol(classroom, classroom["learner"])
    outsider = classroom["staff_b"][0]
    url = checkin_url(qr.code_for(classroom["sessions"][0]).code)
    client.force_login(outsider)
    response = client.post(url)
    assert response.status_code == 403
    assert f"Anda bukan peserta {classroom['cohort'].name}" in text(response)
    assert not Attendance.objects.exists()
    # The programme is open to all: the same person checks in there.
    assert client.post(checkin_url(qr.code_for(classroom["weekly"][0]).code)).status_code == 200
    assert Attendance.objects.filter(employee=outsider).count() == 1


def test_learner_records_leaving_with_the_next_code(
    client: Client, classroom: dict[str, Any]
) -> None:
    session = classroom["weekly"][0]
    learner = classroom["learner"]
    earlier = qr.code_for(session, now=timezone.now() - dt.timedelta(seconds=qr.step_seconds()))
    client.force_login(learner)
    assert client.post(checkin_url(earlier.code)).status_code == 200
    current = checkin_url(qr.code_for(session).code)
    page = client.get(current)
    assert "Anda sudah tercatat: Hadir" in text(page)
    assert "Catat pulang" in text(page)
    left = client.post(current, {"leaving": "1"})
    assert left.status_code == 200
    assert "Jam pulang Anda tercatat" in text(left)
    attendance = Attendance.objects.get(session=session, employee=learner)
    assert attendance.left_at is not None
    assert attendance.left_early


def test_check_in_is_refused_on_a_signed_off_or_cancelled_session(
    client: Client, classroom: dict[str, Any]
) -> None:
    session = classroom["weekly"][0]
    url = checkin_url(qr.code_for(session).code)
    services.session_sign_off(actor=classroom["instructor"], session=session)
    client.force_login(classroom["learner"])
    assert "sudah ditandatangani" in text(client.get(url))
    response = client.post(url)
    assert response.status_code == 400
    assert "sudah ditandatangani" in text(response)
    cancelled = classroom["weekly"][1]
    Session.objects.filter(pk=cancelled.pk).update(cancelled_at=timezone.now())
    response = client.get(checkin_url(qr.code_for(cancelled).code))
    assert response.status_code == 400
    assert "Sesi ini dibatalkan" in text(response)
    assert not Attendance.objects.exists()


# --- Instructor ----------------------------------------------------------------------------


def test_sessions_list_shows_what_the_viewer_runs(
    client: Client, classroom: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    instructor = classroom["instructor"]
    role_grant(actor=None, employee=instructor, role=Role.INSTRUCTOR, reason="uji")
    client.force_login(instructor)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("classroom:attendance_sessions"))
    assert response.status_code == 200
    body = text(response)
    assert "8 sesi" in body
    assert body.index("Sesi 1") < body.index("Kamis Belajar #2") < body.index("Kamis Belajar #4")
    assert f'href="{reverse("classroom:attendance_sessions")}">Mengajar<' in body

    # An angkatan's co-instructor runs its sessions only; a learner runs none.
    co = EmployeeFactory.create(org_unit=classroom["opd_b"], full_name="Coach Kedua")
    classroom["cohort"].instructors.add(co)
    client.force_login(co)
    assert "4 sesi" in text(client.get(reverse("classroom:attendance_sessions")))
    client.force_login(classroom["learner"])
    learner_page = text(client.get(reverse("classroom:attendance_sessions")))
    assert "Belum ada sesi yang Anda ajar." in learner_page
    assert ">Mengajar<" not in learner_page
    client.force_login(classroom["superuser"])
    everything = text(client.get(reverse("classroom:attendance_sessions")))
    assert "8 sesi" in everything
    assert ">Mengajar<" in everything


def test_session_page_lists_the_angkatan_and_counts(
    client: Client, classroom: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    session = classroom["sessions"][0]
    a, b, c = classroom["staff_a"]
    enrol(classroom, a, b, c)
    services.attendance_check_in(actor=a, code=qr.code_for(session).code)
    services.attendance_mark(
        actor=classroom["instructor"], session=session, employee=b,
        status=Attendance.Status.EXCUSED, note="Dinas luar",
    )  # fmt: skip
    client.force_login(classroom["instructor"])
    with django_assert_max_num_queries(14):
        response = client.get(session_url("session", session))
    assert response.status_code == 200
    body = text(response)
    for person in (a, b, c):
        assert person.full_name in body
    assert "belum tercatat" in body  # c
    assert "Dinas luar" in body
    assert "<strong>1</strong> hadir" in body
    assert "<strong>1</strong> izin" in body
    assert "<strong>3</strong> peserta angkatan" in body
    assert "Tampilkan kode QR" in body
    assert "Tambah peserta" not in body  # an angkatan's list is its participants


def test_session_page_query_count_does_not_grow_with_the_list(
    client: Client, classroom: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    session = classroom["weekly"][0]
    people = [EmployeeFactory.create(org_unit=classroom["unit_a"]) for _ in range(30)]
    for person in people:
        services.attendance_mark(
            actor=classroom["instructor"], session=session, employee=person,
            status=Attendance.Status.PRESENT,
        )  # fmt: skip
    client.force_login(classroom["instructor"])
    with django_assert_max_num_queries(14):
        assert client.get(session_url("session", session)).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(session_url("pdf", session)).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(session_url("qr_json", session)).status_code == 200


def test_instructor_marks_late_and_early_leave(client: Client, classroom: dict[str, Any]) -> None:
    session = classroom["sessions"][0]
    learner = classroom["learner"]
    enrol(classroom, learner)
    leaves = timezone.localtime(session.ends_at - dt.timedelta(hours=1))
    client.force_login(classroom["instructor"])
    response = client.post(
        session_url("mark", session),
        {"employee": learner.pk, "status": "late", "left_at": leaves.strftime("%H:%M"),
         "note": "Macet"},
    )  # fmt: skip
    assert response.status_code == 302
    attendance = Attendance.objects.get(session=session, employee=learner)
    assert attendance.status == Attendance.Status.LATE
    assert attendance.method == Attendance.Method.INSTRUCTOR
    assert attendance.marked_by == classroom["instructor"]
    assert attendance.left_early
    page = text(client.get(response["Location"]))
    assert f"{learner.name_with_gelar}: Terlambat." in page
    assert "terlambat; pulang lebih awal; Macet" in page
    assert "<strong>1</strong> terlambat" in page
    assert "<strong>1</strong> pulang lebih awal" in page


def test_marking_refuses_bad_input_and_outsiders(client: Client, classroom: dict[str, Any]) -> None:
    session = classroom["sessions"][0]
    client.force_login(classroom["instructor"])
    url = session_url("mark", session)
    outsider = classroom["staff_b"][0]
    for data, message in (
        ({"employee": outsider.pk, "status": "present"}, "bukan peserta"),
        ({"employee": outsider.pk, "status": "sleeping"}, "Isian tidak valid"),
        ({"employee": "abc", "status": "present"}, "Isian tidak valid"),
        ({"employee": 99999999, "status": "present"}, "Peserta tidak ditemukan"),
        ({"employee": outsider.pk, "status": "present", "left_at": "25:99"}, "Isian tidak valid"),
    ):
        response = client.post(url, data, follow=True)
        assert response.status_code == 200
        assert message in text(response), data
    assert not Attendance.objects.exists()
    assert client.get(url).status_code == 405


def test_open_session_adds_someone_by_nip(client: Client, classroom: dict[str, Any]) -> None:
    session = classroom["weekly"][0]
    guest = classroom["staff_b"][1]
    client.force_login(classroom["instructor"])
    page = text(client.get(session_url("session", session)))
    assert "Tambah peserta" in page
    assert "Belum ada yang tercatat hadir." in page
    response = client.post(
        session_url("add", session), {"nip": guest.nip, "status": "present"}, follow=True
    )
    assert f"{guest.name_with_gelar} dicatat: Hadir." in text(response)
    assert guest.full_name in text(response)
    unknown = client.post(
        session_url("add", session), {"nip": "199001012020121999", "status": "present"},
        follow=True,
    )  # fmt: skip
    assert "Tidak ada pegawai aktif dengan NIP 199001012020121999" in text(unknown)
    assert Attendance.objects.filter(session=session).count() == 1


def test_sign_off_credits_jp_and_makes_the_list_read_only(
    client: Client, classroom: dict[str, Any]
) -> None:
    session = classroom["weekly"][0]
    learner = classroom["learner"]
    services.attendance_check_in(actor=learner, code=qr.code_for(session).code)
    client.force_login(classroom["instructor"])
    assert "Tandatangani daftar hadir" in text(client.get(session_url("session", session)))
    response = client.post(session_url("sign_off", session), follow=True)
    body = text(response)
    assert "Daftar hadir ditandatangani oleh Widyaiswara Utama" in body
    assert "Tandatangani daftar hadir" not in body
    assert 'name="status"' not in body  # no more mark forms
    assert "Tampilkan kode QR" not in body
    assert "JP dikreditkan" in body
    assert "2 JP" in body
    entry = JPEntry.objects.get(employee=learner)
    assert entry.jp == Decimal("2")
    assert entry.note == session.title

    # Marking afterwards changes nothing.
    after = client.post(
        session_url("mark", session), {"employee": learner.pk, "status": "absent"}, follow=True
    )
    assert "sudah ditandatangani" in text(after)
    assert Attendance.objects.get(employee=learner).status == Attendance.Status.PRESENT
    # Nor does the QR screen show a code.
    qr_page = client.get(session_url("qr", session))
    assert "sudah ditandatangani" in text(qr_page)
    assert "qr-image" not in text(qr_page)
    assert client.get(session_url("qr_json", session)).status_code == 409
    assert client.get(session_url("sign_off", session)).status_code == 405


def test_pdf_holds_the_names_and_the_signature(
    client: Client, classroom: dict[str, Any], settings: Any
) -> None:
    settings.SINAU_PEMDA_NAME = "Pemerintah Kabupaten Uji Coba"
    session = classroom["sessions"][0]
    a, b, c = classroom["staff_a"]
    enrol(classroom, a, b, c)
    services.attendance_check_in(actor=a, code=qr.code_for(session).code)
    services.attendance_mark(
        actor=classroom["instructor"], session=session, employee=b,
        status=Attendance.Status.ABSENT,
    )  # fmt: skip
    client.force_login(classroom["instructor"])
    response = client.get(session_url("pdf", session))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "daftar-hadir" in response["Content-Disposition"]
    before = pdf_text(response.content)
    assert "Pemerintah Kabupaten Uji Coba".upper() in before
    assert "DAFTAR HADIR" in before
    assert session.title in before
    assert classroom["cohort"].name in before
    assert "Aula BKPSDM" in before
    for person in (a, b, c):
        assert person.full_name in before
    assert "tidak hadir" in before
    assert "belum tercatat" in before
    assert "belum ditandatangani" in before

    services.session_sign_off(actor=classroom["instructor"], session=session)
    after = pdf_text(client.get(session_url("pdf", session)).content)
    assert "belum ditandatangani" not in after
    assert "Ditandatangani pada" in after
    assert "Widyaiswara Utama" in after


def test_qr_screen_shows_the_check_in_address(
    client: Client, classroom: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    session = classroom["weekly"][0]
    services.attendance_check_in(actor=classroom["learner"], code=qr.code_for(session).code)
    client.force_login(classroom["instructor"])
    with django_assert_max_num_queries(10):
        page = client.get(session_url("qr", session))
    assert page.status_code == 200
    body = text(page)
    code = qr.code_for(session).code
    assert f'data-checkin-url="http://testserver/hadir/{code}/"' in body
    assert 'src="data:image/svg+xml' in body
    assert "attendance-qr.js" in body
    assert classroom["learner"].full_name in body
    data = client.get(session_url("qr_json", session)).json()
    assert data["code"] == code
    assert data["url"] == f"http://testserver/hadir/{code}/"
    assert data["svg"].startswith("data:image/svg+xml")
    assert data["present_count"] == 1
    assert data["recent"] == [classroom["learner"].name_with_gelar]
    assert dt.datetime.fromisoformat(data["expires_at"]) > timezone.now()


def test_cancelled_session_shows_no_code(client: Client, classroom: dict[str, Any]) -> None:
    session = classroom["weekly"][1]
    Session.objects.filter(pk=session.pk).update(cancelled_at=timezone.now())
    client.force_login(classroom["instructor"])
    page = client.get(session_url("qr", session))
    assert "Sesi ini dibatalkan." in text(page)
    assert "qr-image" not in text(page)
    assert client.get(session_url("qr_json", session)).json() == {"error": "Sesi ini dibatalkan."}


@pytest.mark.parametrize("who", ["learner", "staff_b", "admin_a", "auditor"])
def test_only_who_runs_the_session_sees_its_pages(
    client: Client, classroom: dict[str, Any], who: str
) -> None:
    viewer = classroom[who] if who != "staff_b" else classroom["staff_b"][0]
    session = classroom["sessions"][0]
    client.force_login(viewer)
    for name in ("session", "qr", "qr_json", "pdf"):
        assert client.get(session_url(name, session)).status_code == 403, name
    for name in ("mark", "add", "sign_off"):
        response = client.post(
            session_url(name, session),
            {"employee": viewer.pk, "status": "present", "nip": viewer.nip},
        )
        assert response.status_code == 403, name
    assert not Attendance.objects.exists()
    assert Session.objects.get(pk=session.pk).signed_off_at is None


def test_instructor_pages_for_anonymous_and_missing_sessions(
    client: Client, classroom: dict[str, Any]
) -> None:
    session = classroom["sessions"][0]
    for name in ("session", "qr", "qr_json", "pdf"):
        response = client.get(session_url(name, session))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("people:login"))
    client.force_login(classroom["superuser"])
    assert client.get(session_url("session", session)).status_code == 200
    assert client.get(reverse("classroom:attendance_session", args=[987654])).status_code == 404
    assert client.get(reverse("classroom:attendance_qr_json", args=[987654])).status_code == 404


def test_a_scan_before_logging_in_is_kept_through_the_login(
    classroom: dict[str, Any], settings: Any, client: Any
) -> None:
    import datetime as dt

    from django.urls import reverse
    from django.utils import timezone

    from lms.classroom import qr
    from lms.classroom.models import Attendance
    from lms.learning.models import Enrolment

    first, learner = classroom["sessions"][0], classroom["learner"]
    Enrolment.objects.create(
        employee=learner, course=classroom["course"], cohort=classroom["cohort"], source="self"
    )

    def checkin_url(code: str) -> str:
        return reverse("classroom:attendance_checkin", kwargs={"code": code})

    fresh = qr.code_for(first).code
    response = client.get(checkin_url(fresh))
    assert response.status_code == 302
    assert "?next=" in response["Location"]
    assert fresh in client.session["attendance_scans"]  # the server noted the scan
    # Logging in took a while: the code the phone scanned has long changed on the screen.
    scanned = timezone.now() - dt.timedelta(seconds=90)
    stale = qr.code_for(first, now=scanned).code
    older = timezone.now() - dt.timedelta(seconds=settings.SINAU_ATTENDANCE_SCAN_GRACE_SECONDS + 5)
    too_old = qr.code_for(first, now=older).code
    session = client.session
    session["attendance_scans"] = {stale: scanned.timestamp(), too_old: older.timestamp()}
    session.save()
    client.force_login(learner)
    assert client.post(checkin_url(too_old)).status_code == 400
    assert not Attendance.objects.exists()
    assert client.get(checkin_url(stale)).status_code == 200
    assert client.post(checkin_url(stale)).status_code == 200
    assert Attendance.objects.get(session=first).employee == learner
