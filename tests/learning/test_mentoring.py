"""Mentoring and induction: an OPD admin assigns, the mentor logs sessions and signs off, the
admin approves and the mentee is credited once; or the admin sends it back or cancels it.
Driven through the pages a user clicks, with scope, refusals, audit and query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from lms.learning.mentoring import services
from lms.learning.models import (
    JenisDiklat,
    JPEntry,
    JPYearTotal,
    MentoringAssignment,
    MentoringSession,
)
from lms.people.models import Employee, Role
from lms.people.services import role_grant
from tests.factories import EmployeeFactory, make_pemda
from tests.support import at_once

Status = MentoringAssignment.Status
TODAY = timezone.localdate


def days(n: int) -> dt.date:
    return TODAY() + dt.timedelta(days=n)


def client_for(user: Employee) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(response: Any) -> str:
    return response.content.decode()


def audit(assignment: MentoringAssignment, action: str) -> list[ModelLogEntry]:
    return list(
        ModelLogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(MentoringAssignment),
            object_id=str(assignment.pk),
            action=action,
        ).order_by("pk")
    )


def url(name: str, assignment: MentoringAssignment) -> str:
    return reverse(f"learning:{name}", kwargs={"assignment_id": assignment.pk})


@pytest.fixture
def people(pemda: dict[str, Any]) -> dict[str, Any]:
    """The learner (staff_a[0]) is mentored by a head of section (staff_a[1]) in OPD A; an
    admin of OPD B stands by to try things they should not."""
    admin_b = EmployeeFactory.create(org_unit=pemda["opd_b"], full_name="Admin Kesehatan")
    role_grant(
        actor=None, employee=admin_b, role=Role.OPD_ADMIN, org_unit=pemda["opd_b"], reason="uji"
    )
    mentor = pemda["staff_a"][1]
    mentor.full_name = "Kepala Seksi Kurikulum"
    mentor.save()
    return {**pemda, "mentor": mentor, "mentee": pemda["learner"], "admin_b": admin_b}


def assign(people: dict[str, Any], **overrides: Any) -> MentoringAssignment:
    fields: dict[str, Any] = {
        "actor": people["admin_a"],
        "mentor_nip": people["mentor"].nip,
        "mentee_nip": people["mentee"].nip,
        "topic": "Penyusunan kurikulum merdeka",
        "jp": Decimal("6"),
        "competency_type": "manajerial",
        "starts_on": days(-30),
        "ends_on": days(30),
    }
    fields.update(overrides)
    return services.mentoring_assign(**fields)


def signed_off(people: dict[str, Any], **overrides: Any) -> MentoringAssignment:
    assignment = assign(people, **overrides)
    # Three days ago, or the period's last day if it ended before that.
    held_on = min(max(assignment.starts_on, days(-3)), assignment.ends_on)
    services.mentoring_session_log(
        actor=assignment.mentor, assignment=assignment, held_on=held_on, minutes=120,
        notes="Menyusun capaian pembelajaran",
    )  # fmt: skip
    return services.mentoring_sign_off(
        actor=assignment.mentor, assignment=assignment, summary="Mampu menyusun kurikulum."
    )


def credits_for(assignment: MentoringAssignment) -> int:
    return JPEntry.objects.filter(
        source_type=JPEntry.Source.MENTORING, source_id=assignment.pk
    ).count()


# --- The whole lifecycle -------------------------------------------------------------------


def test_assign_log_sign_off_approve_credits_the_mentee_once(people: dict[str, Any]) -> None:
    admin = client_for(people["admin_a"])
    mentor_client = client_for(people["mentor"])
    mentee_client = client_for(people["mentee"])

    form = admin.get(reverse("learning:mentoring_assign"))
    assert form.status_code == 200
    assert "selected>Mentoring</option>" in page(form)  # SIASN 15 is the default jenis

    # The admin types the NIPs the way an SK prints them, with spaces.
    mentor_nip = people["mentor"].nip_display
    response = admin.post(
        reverse("learning:mentoring_assign"),
        {
            "mentor_nip": mentor_nip, "mentee_nip": people["mentee"].nip,
            "topic": "Penyusunan kurikulum merdeka", "jp": "6.5",
            "competency_type": "manajerial",
            "jenis": JenisDiklat.objects.get(code=15).pk,
            "starts_on": days(-20).isoformat(), "ends_on": days(20).isoformat(),
        },
        follow=True,
    )  # fmt: skip
    assert response.status_code == 200
    assignment = MentoringAssignment.objects.get()
    assert response.redirect_chain[-1][0] == url("mentoring_detail", assignment)
    assert "Penyusunan kurikulum merdeka ditugaskan" in page(response)
    assert assignment.status == Status.ACTIVE
    assert assignment.jp == Decimal("6.5")
    assert assignment.mentor == people["mentor"]

    # The mentor finds it on "Pembimbingan Saya" and logs two sessions.
    mine = mentor_client.get(reverse("learning:mentoring_mine"))
    assert "Penyusunan kurikulum merdeka" in page(mine)
    for held_on, notes in ((days(-10), "Analisis capaian"), (days(-2), "Praktik modul ajar")):
        response = mentor_client.post(
            url("mentoring_session_add", assignment),
            {"held_on": held_on.isoformat(), "minutes": "150", "notes": notes},
            follow=True,
        )
        assert "Sesi pembimbingan dicatat." in page(response)
    assert assignment.sessions.count() == 2

    # The mentee sees the sessions and the status, and no form to change them.
    mentee_view = mentee_client.get(url("mentoring_view", assignment))
    assert mentee_view.status_code == 200
    assert "Praktik modul ajar" in page(mentee_view)
    assert "Berjalan" in page(mentee_view)
    assert "Simpan sesi" not in page(mentee_view)
    # The mentee is not in the mentor list on their own page, but in "Saya dibimbing".
    assert "Anda belum ditugaskan sebagai mentor." in page(
        mentee_client.get(reverse("learning:mentoring_mine"))
    )

    response = mentor_client.post(
        url("mentoring_sign_off", assignment),
        {"summary": "Peserta mampu menyusun modul ajar sendiri."},
        follow=True,
    )
    assert "menunggu persetujuan admin OPD" in page(response)
    assignment.refresh_from_db()
    assert assignment.status == Status.SIGNED_OFF

    detail = admin.get(url("mentoring_detail", assignment))
    assert "Setujui dan kreditkan JP" in page(detail)
    assert "Peserta mampu menyusun modul ajar sendiri." in page(detail)
    response = admin.post(url("mentoring_approve", assignment), {"note": "Baik"}, follow=True)
    assert "6,5 JP dikreditkan" in page(response)

    assignment.refresh_from_db()
    assert assignment.status == Status.APPROVED
    assert assignment.decided_by == people["admin_a"]
    entry = JPEntry.objects.get(source_type=JPEntry.Source.MENTORING, source_id=assignment.pk)
    assert entry.employee == people["mentee"]
    assert entry.jp == Decimal("6.5")
    assert entry.form == "non_klasikal"
    assert entry.competency_type == "manajerial"
    assert entry.jenis is not None
    assert entry.jenis.code == 15
    assert entry.created_by == people["admin_a"]
    assert entry.note == "Penyusunan kurikulum merdeka"
    assert entry.earned_on == TODAY()  # signed off today, inside the period
    total = JPYearTotal.objects.get(employee=people["mentee"], year=entry.year)
    assert total.total == Decimal("6.5")
    assert total.non_klasikal == Decimal("6.5")
    assert total.manajerial == Decimal("6.5")

    record = mentee_client.get(reverse("learning:competency_record"))
    assert "Pembimbingan" in page(record)
    assert "Penyusunan kurikulum merdeka" in page(record)
    assert "6,5 dari 20 JP" in page(record)

    # Every step is in the audit log, with who did it.
    assert [e.user for e in audit(assignment, "sinau.mentoring.assign")] == [people["admin_a"]]
    sessions = audit(assignment, "sinau.mentoring.session")
    assert [e.user for e in sessions] == [people["mentor"]] * 2
    assert [e.user for e in audit(assignment, "sinau.mentoring.sign_off")] == [people["mentor"]]
    approvals = audit(assignment, "sinau.mentoring.approve")
    assert [e.user for e in approvals] == [people["admin_a"]]
    assert approvals[0].data["reason"] == "Baik"
    assert approvals[0].data["entry"] == entry.pk


def test_approving_twice_credits_once(people: dict[str, Any]) -> None:
    assignment = signed_off(people)
    admin = client_for(people["admin_a"])
    admin.post(url("mentoring_approve", assignment), {})
    again = admin.post(url("mentoring_approve", assignment), {}, follow=True)
    assert "sudah disetujui" in page(again)
    assert credits_for(assignment) == 1
    year = JPYearTotal.objects.get(employee=people["mentee"])
    assert year.total == Decimal("6")
    assert year.entries == 1
    assert len(audit(assignment, "sinau.mentoring.approve")) == 1


@pytest.fixture
def pg_people(transactional_db: None) -> dict[str, Any]:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (set DATABASE_URL)")
    pemda = make_pemda()
    return {**pemda, "mentor": pemda["staff_a"][1], "mentee": pemda["learner"]}


@pytest.mark.postgres
def test_concurrent_approvals_credit_once(pg_people: dict[str, Any]) -> None:
    assignment = signed_off(pg_people)
    superuser = pg_people["superuser"]
    approvers = [pg_people["admin_a"], superuser] * 5

    results, failures = at_once(
        len(approvers),
        lambda i: services.mentoring_approve(actor=approvers[i], assignment=assignment),
    )
    assert len(results) == 1, failures
    assert len(failures) == len(approvers) - 1
    assert all(isinstance(f, ValidationError) for f in failures), failures
    assert credits_for(assignment) == 1
    year = JPYearTotal.objects.get(employee=pg_people["mentee"])
    assert (year.total, year.entries) == (Decimal("6"), 1)
    assert len(audit(assignment, "sinau.mentoring.approve")) == 1


# --- Refusals ----------------------------------------------------------------------------


def test_sign_off_without_sessions_is_refused(people: dict[str, Any]) -> None:
    assignment = assign(people)
    mentor = client_for(people["mentor"])
    assert "Catat setidaknya satu sesi" in page(mentor.get(url("mentoring_view", assignment)))
    response = mentor.post(url("mentoring_sign_off", assignment), {"summary": "Selesai"})
    assert response.status_code == 200
    assert "Catat setidaknya satu sesi sebelum menandatangani" in page(response)
    assignment.refresh_from_db()
    assert assignment.status == Status.ACTIVE
    assert assignment.signed_off_at is None
    assert not audit(assignment, "sinau.mentoring.sign_off")


def test_sign_off_needs_a_summary(people: dict[str, Any]) -> None:
    assignment = assign(people)
    services.mentoring_session_log(
        actor=people["mentor"], assignment=assignment, held_on=days(-1), minutes=60, notes="x"
    )
    response = client_for(people["mentor"]).post(
        url("mentoring_sign_off", assignment), {"summary": "   "}
    )
    assert response.status_code == 200
    assignment.refresh_from_db()
    assert assignment.status == Status.ACTIVE


def test_approve_before_sign_off_is_refused(people: dict[str, Any]) -> None:
    assignment = assign(people)
    services.mentoring_session_log(
        actor=people["mentor"], assignment=assignment, held_on=days(-1), minutes=60, notes="x"
    )
    response = client_for(people["admin_a"]).post(
        url("mentoring_approve", assignment), {}, follow=True
    )
    assert "sudah ditandatangani mentor yang dapat disetujui" in page(response)
    assignment.refresh_from_db()
    assert assignment.status == Status.ACTIVE
    assert credits_for(assignment) == 0
    assert "Setujui dan kreditkan JP" not in page(response)


@pytest.mark.parametrize(
    ("held_on", "message"),
    [
        (-31, "harus dalam masa pembimbingan"),  # before the start
        (1, "tidak boleh di masa depan"),  # inside the period, but tomorrow
    ],
)
def test_session_outside_the_period_or_in_the_future_is_refused(
    people: dict[str, Any], held_on: int, message: str
) -> None:
    assignment = assign(people)
    response = client_for(people["mentor"]).post(
        url("mentoring_session_add", assignment),
        {"held_on": days(held_on).isoformat(), "minutes": "60", "notes": "Diskusi"},
    )
    assert response.status_code == 200
    assert message in page(response)
    assert "Diskusi" in page(response)  # what the mentor typed is kept
    assert not MentoringSession.objects.exists()
    assert not audit(assignment, "sinau.mentoring.session")


def test_session_after_the_period_is_refused(people: dict[str, Any]) -> None:
    assignment = assign(people, starts_on=days(-40), ends_on=days(-20))
    with pytest.raises(ValidationError, match="masa pembimbingan"):
        services.mentoring_session_log(
            actor=people["mentor"], assignment=assignment, held_on=days(-19), minutes=60,
            notes="Terlambat",
        )  # fmt: skip


@pytest.mark.parametrize(
    ("minutes", "notes"), [("14", "Singkat"), ("481", "Seharian"), ("60", "   "), ("abc", "x")]
)
def test_session_length_and_notes_are_checked(
    people: dict[str, Any], minutes: str, notes: str
) -> None:
    assignment = assign(people)
    response = client_for(people["mentor"]).post(
        url("mentoring_session_add", assignment),
        {"held_on": days(-1).isoformat(), "minutes": minutes, "notes": notes},
    )
    assert response.status_code == 200
    assert 'class="error"' in page(response)
    assert not MentoringSession.objects.exists()


def test_one_day_holds_at_most_a_working_day_of_sessions(people: dict[str, Any]) -> None:
    assignment = assign(people)
    log = services.mentoring_session_log
    log(actor=people["mentor"], assignment=assignment, held_on=days(-1), minutes=400, notes="a")
    with pytest.raises(ValidationError, match="sehari paling banyak"):
        log(actor=people["mentor"], assignment=assignment, held_on=days(-1), minutes=90, notes="b")
    log(actor=people["mentor"], assignment=assignment, held_on=days(-2), minutes=90, notes="c")
    assert assignment.sessions.count() == 2


def test_only_the_mentor_logs_sessions_and_signs_off(people: dict[str, Any]) -> None:
    assignment = assign(people)
    data = {"held_on": days(-1).isoformat(), "minutes": "60", "notes": "Diskusi"}
    # The mentee sees the page but may not write on it.
    mentee = client_for(people["mentee"])
    assert mentee.post(url("mentoring_session_add", assignment), data).status_code == 403
    assert mentee.post(url("mentoring_sign_off", assignment), {"summary": "x"}).status_code == 403
    # Anyone else, even the admin who assigned it, does not find it here.
    for outsider in (people["admin_a"], people["staff_a"][2], people["superuser"]):
        client = client_for(outsider)
        assert client.get(url("mentoring_view", assignment)).status_code == 404
        assert client.post(url("mentoring_session_add", assignment), data).status_code == 404
    with pytest.raises(PermissionDenied):
        services.mentoring_session_log(
            actor=people["admin_a"], assignment=assignment, held_on=days(-1), minutes=60,
            notes="x",
        )  # fmt: skip
    assert not MentoringSession.objects.exists()
    assignment.refresh_from_db()
    assert assignment.status == Status.ACTIVE


def test_sessions_are_frozen_after_sign_off(people: dict[str, Any]) -> None:
    assignment = signed_off(people)
    mentor = client_for(people["mentor"])
    view = mentor.get(url("mentoring_view", assignment))
    assert "Simpan sesi" not in page(view)
    assert "menunggu persetujuan admin OPD" in page(view)
    response = mentor.post(
        url("mentoring_session_add", assignment),
        {"held_on": days(-1).isoformat(), "minutes": "60", "notes": "Tambahan"},
    )
    assert "hanya dapat dicatat selama pembimbingan berjalan" in page(response)
    assert assignment.sessions.count() == 1


# --- Scope -----------------------------------------------------------------------------


def test_an_opd_admin_of_another_opd_gets_403_and_nothing_changes(
    people: dict[str, Any],
) -> None:
    assignment = signed_off(people)
    other = client_for(people["admin_b"])

    listing = other.get(reverse("learning:mentoring_list"))
    assert listing.status_code == 200
    assert "Penyusunan kurikulum" not in page(listing)
    assert other.get(url("mentoring_detail", assignment)).status_code == 404
    assert other.post(url("mentoring_approve", assignment), {}).status_code == 403
    assert other.post(url("mentoring_send_back", assignment), {"reason": "x"}).status_code == 403
    assert other.post(url("mentoring_cancel", assignment), {"reason": "x"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.mentoring_approve(actor=people["admin_b"], assignment=assignment)

    assignment.refresh_from_db()
    assert assignment.status == Status.SIGNED_OFF
    assert assignment.decided_by is None
    assert credits_for(assignment) == 0
    assert not audit(assignment, "sinau.mentoring.approve")
    assert not audit(assignment, "sinau.mentoring.cancel")


def test_an_opd_admin_assigns_only_people_of_their_opd(people: dict[str, Any]) -> None:
    admin = client_for(people["admin_a"])
    base = {
        "topic": "Pelayanan prima", "jp": "4", "competency_type": "teknis",
        "starts_on": days(0).isoformat(), "ends_on": days(30).isoformat(),
    }  # fmt: skip
    outsider = people["staff_b"][0]
    response = admin.post(
        reverse("learning:mentoring_assign"),
        {**base, "mentor_nip": people["mentor"].nip, "mentee_nip": outsider.nip},
    )
    assert "Peserta bimbingan dengan NIP" in page(response)
    assert "lingkup OPD Anda" in page(response)
    response = admin.post(
        reverse("learning:mentoring_assign"),
        {**base, "mentor_nip": outsider.nip, "mentee_nip": people["mentee"].nip},
    )
    assert "Mentor dengan NIP" in page(response)
    assert "mintalah BKPSDM menugaskannya" in page(response)
    assert not MentoringAssignment.objects.exists()
    assert not ModelLogEntry.objects.filter(action="sinau.mentoring.assign").exists()

    # BKPSDM (a superuser) may pair across OPDs; the mentee's OPD then owns it.
    assignment = assign(people, actor=people["superuser"], mentor_nip=outsider.nip)
    assert assignment.mentor == outsider
    assert client_for(people["admin_b"]).get(url("mentoring_detail", assignment)).status_code == 404
    assert admin.get(url("mentoring_detail", assignment)).status_code == 200


def test_the_auditor_reads_everything_but_changes_nothing(people: dict[str, Any]) -> None:
    assignment = signed_off(people)
    auditor = client_for(people["auditor"])
    listing = auditor.get(reverse("learning:mentoring_list"))
    assert "Penyusunan kurikulum merdeka" in page(listing)
    assert "Tugaskan pembimbingan" not in page(listing)
    detail = auditor.get(url("mentoring_detail", assignment))
    assert detail.status_code == 200
    assert "Menyusun capaian pembelajaran" in page(detail)
    assert "Setujui dan kreditkan JP" not in page(detail)
    assert "Batalkan pembimbingan" not in page(detail)

    assert auditor.post(url("mentoring_approve", assignment), {}).status_code == 403
    assert auditor.post(url("mentoring_cancel", assignment), {"reason": "x"}).status_code == 403
    assert auditor.get(reverse("learning:mentoring_assign")).status_code == 403
    assignment.refresh_from_db()
    assert assignment.status == Status.SIGNED_OFF
    assert credits_for(assignment) == 0


def test_learners_do_not_reach_the_admin_pages(people: dict[str, Any]) -> None:
    assignment = signed_off(people)
    learner = client_for(people["staff_a"][2])
    assert learner.get(reverse("learning:mentoring_list")).status_code == 403
    assert learner.get(reverse("learning:mentoring_assign")).status_code == 403
    assert learner.get(url("mentoring_detail", assignment)).status_code == 403
    assert learner.post(url("mentoring_approve", assignment), {}).status_code == 403
    anonymous = Client().get(reverse("learning:mentoring_mine"))
    assert anonymous.status_code == 302


def test_the_mentor_or_mentee_cannot_approve_their_own_mentoring(people: dict[str, Any]) -> None:
    # The OPD admin mentors a member of their own staff: someone else must approve.
    assignment = signed_off(people, mentor_nip=people["admin_a"].nip)
    admin = client_for(people["admin_a"])
    assert "keputusannya diambil admin OPD lain" in page(
        admin.get(url("mentoring_detail", assignment))
    )
    assert admin.post(url("mentoring_approve", assignment), {}).status_code == 403
    assert credits_for(assignment) == 0
    client_for(people["superuser"]).post(url("mentoring_approve", assignment), {})
    assert credits_for(assignment) == 1


# --- Send back and cancel ----------------------------------------------------------------


def test_send_back_with_reason_returns_it_to_the_mentor(people: dict[str, Any]) -> None:
    assignment = signed_off(people)
    admin = client_for(people["admin_a"])
    refused = admin.post(url("mentoring_send_back", assignment), {"reason": "  "}, follow=True)
    assert "Tuliskan alasan pengembalian" in page(refused)
    assignment.refresh_from_db()
    assert assignment.status == Status.SIGNED_OFF

    reason = "Lampirkan praktik modul ajar di kelas."
    response = admin.post(url("mentoring_send_back", assignment), {"reason": reason}, follow=True)
    assert "dikembalikan" in page(response)
    assignment.refresh_from_db()
    assert assignment.status == Status.ACTIVE
    assert assignment.signed_off_at is None
    assert credits_for(assignment) == 0
    entries = audit(assignment, services.SEND_BACK_ACTION)
    assert [(e.user, e.data["reason"]) for e in entries] == [(people["admin_a"], reason)]

    # The mentor reads why, logs what was missing and signs off again; then it is approved.
    mentor = client_for(people["mentor"])
    view = mentor.get(url("mentoring_view", assignment))
    assert reason in page(view)
    assert "Simpan sesi" in page(view)
    mentor.post(
        url("mentoring_session_add", assignment),
        {"held_on": days(-1).isoformat(), "minutes": "90", "notes": "Praktik di kelas 4"},
    )
    mentor.post(url("mentoring_sign_off", assignment), {"summary": "Praktik sudah dilakukan."})
    admin.post(url("mentoring_approve", assignment), {})
    assignment.refresh_from_db()
    assert assignment.status == Status.APPROVED
    assert assignment.sessions.count() == 2
    assert credits_for(assignment) == 1


def test_cancel_needs_a_reason_and_ends_the_mentoring(people: dict[str, Any]) -> None:
    assignment = assign(people)
    admin = client_for(people["admin_a"])
    refused = admin.post(url("mentoring_cancel", assignment), {"reason": ""}, follow=True)
    assert "Tuliskan alasan pembatalan." in page(refused)
    assignment.refresh_from_db()
    assert assignment.status == Status.ACTIVE

    reason = "Mentor dimutasi ke OPD lain."
    response = admin.post(url("mentoring_cancel", assignment), {"reason": reason}, follow=True)
    assert "dibatalkan" in page(response)
    assignment.refresh_from_db()
    assert assignment.status == Status.CANCELLED
    assert assignment.decision_note == reason
    entries = audit(assignment, "sinau.mentoring.cancel")
    assert [(e.user, e.data["reason"]) for e in entries] == [(people["admin_a"], reason)]

    with pytest.raises(ValidationError):
        services.mentoring_session_log(
            actor=people["mentor"], assignment=assignment, held_on=days(-1), minutes=60,
            notes="x",
        )  # fmt: skip
    with pytest.raises(ValidationError):
        services.mentoring_approve(actor=people["admin_a"], assignment=assignment)
    assert "Dibatalkan" in page(client_for(people["mentee"]).get(url("mentoring_view", assignment)))
    # The same pairing and topic can be assigned again once the first is cancelled.
    assert assign(people).status == Status.ACTIVE


def test_an_approved_mentoring_cannot_be_cancelled(people: dict[str, Any]) -> None:
    assignment = signed_off(people)
    services.mentoring_approve(actor=people["admin_a"], assignment=assignment)
    with pytest.raises(ValidationError, match="entri pembalik"):
        services.mentoring_cancel(actor=people["admin_a"], assignment=assignment, reason="salah")
    assert credits_for(assignment) == 1


# --- Assignment rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"jp": "0"}, 'name="jp"'),
        ({"jp": "61"}, 'name="jp"'),
        ({"jp": "NaN"}, 'name="jp"'),
        ({"starts_on": days(5).isoformat(), "ends_on": days(1).isoformat()}, "sebelum tanggal"),
        ({"ends_on": days(400).isoformat()}, "paling lama satu tahun"),
        ({"topic": "   "}, 'name="topic"'),
        ({"competency_type": "sihir"}, 'name="competency_type"'),
        ({"mentee_nip": "123"}, "tidak ditemukan"),
        ({"starts_on": "kemarin"}, 'name="starts_on"'),
    ],
)
def test_assignment_form_refuses_bad_input(
    people: dict[str, Any], changes: dict[str, str], message: str
) -> None:
    data = {
        "mentor_nip": people["mentor"].nip, "mentee_nip": people["mentee"].nip,
        "topic": "Kepemimpinan", "jp": "4", "competency_type": "manajerial",
        "starts_on": days(0).isoformat(), "ends_on": days(30).isoformat(), **changes,
    }  # fmt: skip
    response = client_for(people["admin_a"]).post(reverse("learning:mentoring_assign"), data)
    assert response.status_code == 200
    assert 'class="error"' in page(response) or 'class="form-errors"' in page(response)
    assert message in page(response)
    assert not MentoringAssignment.objects.exists()


def test_mentor_and_mentee_must_differ_and_be_active(people: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="harus berbeda"):
        assign(people, mentee_nip=people["mentor"].nip)
    with pytest.raises(ValidationError, match="diri sendiri"):
        assign(people, mentee_nip=people["admin_a"].nip)
    people["mentee"].is_active = False
    people["mentee"].save()
    with pytest.raises(ValidationError, match="tidak ditemukan sebagai pegawai aktif"):
        assign(people)
    assert not MentoringAssignment.objects.exists()


def test_no_second_open_assignment_for_the_same_pair_and_topic(people: dict[str, Any]) -> None:
    first = assign(people)
    with pytest.raises(ValidationError, match="dengan topik ini"):
        assign(people, topic="  penyusunan KURIKULUM   merdeka ")
    signed = signed_off(people, topic="Evaluasi pembelajaran")
    with pytest.raises(ValidationError, match="dengan topik ini"):
        assign(people, topic="Evaluasi pembelajaran")
    # Another topic, or the same topic once approved, is a new mentoring.
    assert assign(people, topic="Asesmen diagnostik").pk != first.pk
    services.mentoring_approve(actor=people["admin_a"], assignment=signed)
    assert assign(people, topic="Evaluasi pembelajaran").status == Status.ACTIVE


def test_coaching_can_be_chosen_and_credits_as_coaching(people: dict[str, Any]) -> None:
    coaching = JenisDiklat.objects.get(code=14)
    assignment = signed_off(people, jenis=coaching)
    _, entry = services.mentoring_approve(actor=people["admin_a"], assignment=assignment)
    assert entry.jenis == coaching
    with pytest.raises(ValidationError):
        assign(people, topic="Lain", jenis=JenisDiklat.objects.get(code=9))  # a seminar


def test_a_late_sign_off_credits_the_last_day_of_the_period(people: dict[str, Any]) -> None:
    """Signed off after the period ended: the hours belong to the period, not to the day
    the mentor got round to signing."""
    assignment = signed_off(people, starts_on=days(-60), ends_on=days(-20))
    assert assignment.sessions.get().held_on == days(-20)
    _, entry = services.mentoring_approve(actor=people["admin_a"], assignment=assignment)
    assert entry.earned_on == days(-20)
    assert entry.year == days(-20).year


# --- Lists, query counts, robustness -----------------------------------------------------


def test_admin_list_filters_and_searches(people: dict[str, Any]) -> None:
    assign(people, topic="Kurikulum")
    signed_off(people, topic="Asesmen")
    admin = client_for(people["admin_a"])
    waiting = page(admin.get(reverse("learning:mentoring_list"), {"status": "signed_off"}))
    assert "Asesmen" in waiting
    assert ">Kurikulum<" not in waiting
    assert "Menunggu persetujuan (1)" in waiting
    found = page(admin.get(reverse("learning:mentoring_list"), {"q": "asesm"}))
    assert ">Asesmen<" in found
    assert ">Kurikulum<" not in found
    by_nip = page(admin.get(reverse("learning:mentoring_list"), {"q": people["mentee"].nip}))
    assert ">Kurikulum<" in by_nip
    assert ">Asesmen<" in by_nip


@pytest.fixture
def many(people: dict[str, Any]) -> MentoringAssignment:
    """Sixty assignments in OPD A, each with a session, and one with sixty sessions."""
    for i in range(60):
        mentee = EmployeeFactory.create(org_unit=people["unit_a"])
        assignment = assign(people, mentee_nip=mentee.nip, topic=f"Topik {i}")
        MentoringSession.objects.create(
            assignment=assignment, held_on=days(-1), minutes=60, notes="n",
            logged_by=people["mentor"],
        )  # fmt: skip
    busy = assign(people, topic="Sesi banyak")
    MentoringSession.objects.bulk_create(
        MentoringSession(
            assignment=busy,
            held_on=days(-1 - i % 25),
            minutes=30,
            notes=f"Sesi {i}",
            logged_by=people["mentor"],
        )  # fmt: skip
        for i in range(60)
    )
    return busy


def test_pages_stay_within_a_query_budget(
    people: dict[str, Any], many: MentoringAssignment, django_assert_max_num_queries: Any
) -> None:
    admin = client_for(people["admin_a"])
    mentor = client_for(people["mentor"])
    auditor = client_for(people["auditor"])
    checks = [
        (admin, reverse("learning:mentoring_list"), "Topik 59"),
        (admin, reverse("learning:mentoring_list") + "?status=active&q=Topik", "Topik 5"),
        (auditor, reverse("learning:mentoring_list"), "Topik 59"),
        (admin, url("mentoring_detail", many), "Sesi 59"),
        (mentor, reverse("learning:mentoring_mine"), "Sesi banyak"),
        (mentor, url("mentoring_view", many), "Sesi 59"),
        (admin, reverse("learning:mentoring_assign"), "NIP mentor"),
    ]
    for client, target, expected in checks:
        with django_assert_max_num_queries(9):
            response = client.get(target)
        assert response.status_code == 200, target
        assert expected in page(response), target
    # The lists paginate.
    assert "Halaman 1 dari 2" in page(admin.get(reverse("learning:mentoring_list")))
    assert "Halaman 1 dari 2" in page(mentor.get(url("mentoring_view", many)))


def test_bad_ids_and_garbage_never_make_a_500(people: dict[str, Any]) -> None:
    assignment = assign(people)
    admin = client_for(people["admin_a"])
    mentor = client_for(people["mentor"])
    assert admin.get("/kelola/pembimbingan/999999/").status_code == 404
    assert admin.get("/kelola/pembimbingan/9999999999999999999999/").status_code == 404
    assert admin.get("/kelola/pembimbingan/abc/").status_code == 404
    assert admin.post("/kelola/pembimbingan/999999/setujui/", {}).status_code == 404
    assert mentor.get("/pembimbingan/999999/").status_code == 404
    assert admin.get(url("mentoring_approve", assignment)).status_code == 405
    listing = admin.get(
        reverse("learning:mentoring_list"), {"status": "zzz", "unit": "x", "page": "999", "q": "é"}
    )
    assert listing.status_code == 200
    garbage = {"held_on": "31-02-2024", "minutes": "1e9", "notes": "x" * 6000}
    assert mentor.post(url("mentoring_session_add", assignment), garbage).status_code == 200
    assert mentor.post(url("mentoring_sign_off", assignment), {}).status_code == 200
    assert admin.post(url("mentoring_approve", assignment), {"note": "x" * 9000}).status_code == 302
    assert admin.post(url("mentoring_cancel", assignment), {}).status_code == 302
    odd = {"mentor_nip": "x" * 40, "mentee_nip": "", "jp": "1e999", "jenis": "abc"}
    assert admin.post(reverse("learning:mentoring_assign"), odd).status_code == 200
    assignment.refresh_from_db()
    assert assignment.status == Status.ACTIVE
    assert not assignment.sessions.exists()


def test_works_without_the_jenis_reference_data(people: dict[str, Any]) -> None:
    """Transactional tests and fresh installs may lack SIASN's table: mentoring still works."""
    JenisDiklat.objects.all().delete()
    form = client_for(people["admin_a"]).get(reverse("learning:mentoring_assign"))
    assert form.status_code == 200
    assert 'name="jenis"' not in page(form)
    assignment = signed_off(people)
    assert assignment.jenis is None
    _, entry = services.mentoring_approve(actor=people["admin_a"], assignment=assignment)
    assert entry.jenis is None
