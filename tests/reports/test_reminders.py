"""Reminders: the right people get the right email once per period, however often (and, on
PostgreSQL, however concurrently) the task runs; employees without an email address are
skipped and counted; a send that fails is tried again on the next run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from courses.models import CoursePage
from lms.learning import services as learning
from lms.learning.models import Enrolment, JPEntry, JPTarget
from lms.people.models import Employee, EmploymentType, Role
from lms.people.services import role_grant
from lms.reports import reminders
from lms.reports.models import ReminderSent
from tests.factories import EmployeeFactory, make_pemda, valid_pppk_nip
from tests.support import at_once, free_port

YEAR = timezone.localdate().year
OCTOBER = dt.date(YEAR, 10, 15)
_source = iter(range(500_000, 600_000))


def give(employee: Employee, jp: str) -> None:
    learning.jp_credit(
        employee_id=employee.pk, jp=Decimal(jp), competency_type="teknis", form="klasikal",
        source_type=JPEntry.Source.EXTERNAL, source_id=next(_source),
        earned_on=dt.date(YEAR, 3, 1),
    )  # fmt: skip


def mails_to(address: str) -> list[Any]:
    return [m for m in mail.outbox if m.to == [address]]


# --- JP shortfall ---------------------------------------------------------------------------


@pytest.fixture
def short(pemda: dict[str, Any], course_with: Callable[..., CoursePage]) -> dict[str, Any]:
    """a0 has 25 JP (met); a1 8 and a2 none (short); b0 is short but has no email; b1 is
    short but no longer active; b2 has 19.5 (short); the admins have their 20. A part-time
    PPPK owes nothing this year (the Pemda's target for them is 0). Courses: "Populer"
    (3 learners this year), "Sedang" (approval, 2), "Baru" and "Lainnya" (open, none),
    and three that cannot be recommended: assigned only, closed, full."""
    a0, a1, a2 = pemda["staff_a"]
    b0, b1, b2 = pemda["staff_b"]
    give(a0, "25")
    give(a1, "8")
    give(b2, "19.5")
    for admin in (pemda["admin_a"], pemda["auditor"], pemda["superuser"]):
        give(admin, "20")
    Employee.objects.filter(pk=b0.pk).update(email="")
    Employee.objects.filter(pk=b1.pk).update(is_active=False)
    JPTarget.objects.create(year=YEAR, employment_type=EmploymentType.PPPK_PW, minimum=0)
    EmployeeFactory.create(
        nip=valid_pppk_nip(), employment_type=EmploymentType.PPPK_PW, golongan="",
        org_unit=pemda["unit_a"],
    )  # fmt: skip
    text = [("text", "<p>Isi</p>")]
    now = timezone.now()
    courses = {
        "populer": course_with(text, title="Populer"),
        "sedang": course_with(text, title="Sedang", enrolment_policy="approval"),
        "baru": course_with(text, title="Baru"),
        "lainnya": course_with(text, title="Lainnya"),
        "tugas": course_with(text, title="Penugasan", enrolment_policy="assigned"),
        "tutup": course_with(text, title="Ditutup", enrolment_closes=now - dt.timedelta(days=1)),
        "penuh": course_with(text, title="Penuh", capacity=1),
    }
    for who in (pemda["admin_a"], pemda["auditor"], a1):
        status = "completed" if who == a1 else "active"
        Enrolment.objects.create(
            employee=who, course=courses["populer"], source="self", status=status,
            completed_at=now if status == "completed" else None,
        )  # fmt: skip
    for who in (pemda["admin_a"], pemda["auditor"]):
        Enrolment.objects.create(employee=who, course=courses["sedang"], source="self")
    for who in (pemda["admin_a"], pemda["auditor"], pemda["superuser"], a0):
        Enrolment.objects.create(employee=who, course=courses["tugas"], source="assigned")
        Enrolment.objects.create(employee=who, course=courses["tutup"], source="self")
    Enrolment.objects.create(employee=a0, course=courses["penuh"], source="self")
    return {**pemda, "courses": courses}


def test_short_employees_get_their_figures_and_three_courses(short: dict[str, Any]) -> None:
    a1, a2 = short["staff_a"][1:]
    b0, _b1, b2 = short["staff_b"]
    result = reminders.jp_shortfall_reminders(today=OCTOBER)
    assert (result.sent, result.no_email, result.failed) == (3, 1, 0)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([a1.email, a2.email, b2.email])

    (message,) = mails_to(a1.email)
    assert message.subject == f"Pengingat JP {YEAR}: kurang 12 JP"
    body = message.body
    assert f"Anda mengumpulkan 8 JP pengembangan kompetensi tahun {YEAR}, dari target 20 JP" in body
    assert "Masih kurang 12 JP" in body
    assert f"tinggal {(dt.date(YEAR, 12, 31) - OCTOBER).days} hari" in body
    # a1 completed "Populer": the next most popular ones, never assigned-only, closed or full.
    listed = [line[2:].split(" (")[0] for line in body.splitlines() if line.startswith("- ")]
    assert listed == ["Sedang", "Baru", "Lainnya"]
    assert reminders.page_url(short["courses"]["sedang"]) in body
    html = message.alternatives[0][0]
    assert "Sedang</a>" in html

    (message,) = mails_to(a2.email)
    assert "kurang 20 JP" in message.subject
    listed = [
        line[2:].split(" (")[0] for line in message.body.splitlines() if line.startswith("- ")
    ]
    assert listed == ["Populer", "Sedang", "Baru"]
    (message,) = mails_to(b2.email)
    assert "kurang 0,5 JP" in message.subject
    assert not mails_to(b0.email or "-")


def test_sent_once_per_month_however_often_the_task_runs(short: dict[str, Any]) -> None:
    reminders.jp_shortfall_reminders(today=OCTOBER)
    again = reminders.jp_shortfall_reminders(today=OCTOBER + dt.timedelta(days=5))
    assert (again.sent, len(mail.outbox)) == (0, 3)
    assert ReminderSent.objects.filter(kind="jp_shortfall", period=f"{YEAR}-10").count() == 3
    # The next month is a new period; someone who caught up in between hears nothing.
    give(short["staff_a"][1], "12")
    november = reminders.jp_shortfall_reminders(today=dt.date(YEAR, 11, 1))
    assert november.sent == 2
    assert len(mail.outbox) == 5


def test_nothing_before_the_configured_month(short: dict[str, Any], settings: Any) -> None:
    result = reminders.jp_shortfall_reminders(today=dt.date(YEAR, 9, 30))
    assert (result.off_season, result.sent, mail.outbox) == (True, 0, [])
    settings.SINAU_REMINDER_JP_FROM_MONTH = 9
    assert reminders.jp_shortfall_reminders(today=dt.date(YEAR, 9, 30)).sent == 3


def test_a_failed_send_is_tried_again_next_run(short: dict[str, Any], settings: Any) -> None:
    # A real SMTP connection to a port nothing listens on.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    result = reminders.jp_shortfall_reminders(today=OCTOBER)
    assert (result.sent, result.failed) == (0, 3)
    assert not ReminderSent.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert reminders.jp_shortfall_reminders(today=OCTOBER).sent == 3


def test_an_employee_given_an_email_later_gets_it_then(short: dict[str, Any]) -> None:
    b0 = short["staff_b"][0]
    reminders.jp_shortfall_reminders(today=OCTOBER)
    Employee.objects.filter(pk=b0.pk).update(email="b0@uji.go.id")
    assert reminders.jp_shortfall_reminders(today=OCTOBER).sent == 1
    assert len(mails_to("b0@uji.go.id")) == 1


@pytest.mark.postgres
def test_concurrent_runs_send_each_reminder_once(transactional_db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (set DATABASE_URL)")
    people = make_pemda()
    for who in (people["admin_a"], people["auditor"], people["superuser"]):
        give(who, "20")
    results, failures = at_once(4, lambda _i: reminders.jp_shortfall_reminders(today=OCTOBER))
    assert not failures, failures
    # The six staff are short; each hears once, whichever run got there first.
    assert sum(r.sent for r in results) == 6
    assert len(mail.outbox) == 6
    assert len({m.to[0] for m in mail.outbox}) == 6
    assert ReminderSent.objects.count() == 6


# --- OPD admins' weekly summary ------------------------------------------------------------


@pytest.fixture
def opd(pemda: dict[str, Any], course_with: Callable[..., CoursePage]) -> dict[str, Any]:
    """OPD A: a0 25 JP and admin_a 20 (met), a1 8 and a2 none; waiting: a1's external
    training, a2's signed-off mentoring, a0's enrolment request. OPD B has its own waiting
    training; its admin has no email. The auditor is not an OPD admin."""
    from lms.learning.models import ExternalTraining, MentoringAssignment

    a0, a1, a2 = pemda["staff_a"]
    b0 = pemda["staff_b"][0]
    give(a0, "25")
    give(a1, "8")
    give(pemda["admin_a"], "20")
    now = timezone.now()
    for who in (a1, b0):
        ExternalTraining.objects.create(
            employee=who, title="Seminar", organiser="LAN", started_on=dt.date(YEAR, 3, 1),
            ended_on=dt.date(YEAR, 3, 1), jp=Decimal("4"), competency_type="teknis",
            form="klasikal", evidence="bukti/x.pdf", submitted_at=now,
        )  # fmt: skip
    MentoringAssignment.objects.create(
        mentor=a0, mentee=a2, topic="SOP", jp=Decimal("2"), competency_type="teknis",
        starts_on=dt.date(YEAR, 3, 1), ends_on=dt.date(YEAR, 4, 1), status="signed_off",
        assigned_by=pemda["admin_a"], signed_off_at=now,
    )  # fmt: skip
    course = course_with([("text", "<p>Isi</p>")], title="Kursus", enrolment_policy="approval")
    Enrolment.objects.create(employee=a0, course=course, source="self", status="pending")
    admin_b = EmployeeFactory.create(org_unit=pemda["opd_b"], email="", full_name="Admin B")
    role_grant(
        actor=None, employee=admin_b, role=Role.OPD_ADMIN, org_unit=pemda["opd_b"], reason="uji"
    )
    return {**pemda, "admin_b": admin_b}


def test_opd_admins_get_their_weekly_summary_once(opd: dict[str, Any]) -> None:
    monday = dt.date(YEAR, 11, 16)
    result = reminders.opd_summary_reminders(today=monday)
    assert (result.sent, result.no_email) == (1, 1)
    (message,) = mail.outbox
    assert message.to == [opd["admin_a"].email]
    assert message.subject == "Ringkasan mingguan Dinas Pendidikan: 50% memenuhi target JP"
    body = message.body
    assert "ASN aktif: 4" in body
    assert "Memenuhi target JP: 2 (50%)" in body
    assert "Pelatihan eksternal menunggu verifikasi: 1" in body
    assert "Pembimbingan sudah ditandatangani mentor, menunggu persetujuan: 1" in body
    assert "Pendaftaran kursus menunggu persetujuan: 1" in body
    assert "/kelola/pelatihan-eksternal/" in body
    # Later the same ISO week: nothing; the next week: again.
    again = reminders.opd_summary_reminders(today=monday + dt.timedelta(days=3))
    assert (again.sent, again.already, len(mail.outbox)) == (0, 1, 1)
    assert reminders.opd_summary_reminders(today=monday + dt.timedelta(days=7)).sent == 1


def test_opd_summary_figures_stay_in_the_subtree(opd: dict[str, Any]) -> None:
    rules = reminders.targets_for(YEAR)
    summary = reminders.opd_summary(unit=opd["opd_b"], year=YEAR, rules=rules)
    # Three staff and admin B, none with hours; only b0's training waits.
    assert (summary.employees, summary.compliant, summary.external_pending) == (4, 0, 1)
    assert (summary.mentoring_pending, summary.approvals_pending) == (0, 0)


# --- Due dates of assigned courses ---------------------------------------------------------


def test_due_date_reminders_a_week_and_a_day_before(
    pemda: dict[str, Any], course_with: Callable[..., CoursePage]
) -> None:
    today = dt.date(YEAR, 6, 10)
    course = course_with([("text", "<p>Isi</p>")], title="Kursus Wajib")
    plan = {  # days to the due date, status
        "h7": (7, "active"), "h5": (5, "active"), "h1": (1, "active"), "h0": (0, "active"),
        "h8": (8, "active"), "lewat": (-1, "active"), "selesai": (1, "completed"),
        "mundur": (1, "withdrawn"),
    }  # fmt: skip
    people: dict[str, Employee] = {}
    for key, (days, status) in plan.items():
        people[key] = EmployeeFactory.create(org_unit=pemda["unit_a"], email=f"{key}@uji.go.id")
        Enrolment.objects.create(
            employee=people[key], course=course, source="assigned", status=status,
            due_date=today + dt.timedelta(days=days),
            completed_at=timezone.now() if status == "completed" else None,
        )  # fmt: skip
    result = reminders.due_date_reminders(today=today)
    assert result.sent == 4
    assert sorted(m.to[0].split("@")[0] for m in mail.outbox) == ["h0", "h1", "h5", "h7"]
    (h5,) = mails_to("h5@uji.go.id")
    assert h5.subject == "Tenggat kursus Kursus Wajib: 5 hari lagi"
    due = today + dt.timedelta(days=5)
    assert f"bertenggat {due.day} Juni {YEAR}, 5 hari lagi" in h5.body
    assert reminders.page_url(course) in h5.body
    (h0,) = mails_to("h0@uji.go.id")
    assert h0.subject == "Hari ini tenggat kursus Kursus Wajib"

    assert reminders.due_date_reminders(today=today).sent == 0
    assert len(mail.outbox) == 4
    # Four days on: h5 is a day away (its 1-day reminder), h8 enters the week; h7's week
    # reminder went out already.
    later = reminders.due_date_reminders(today=today + dt.timedelta(days=4))
    assert later.sent == 2
    assert sorted(m.to[0].split("@")[0] for m in mail.outbox[4:]) == ["h5", "h8"]


def test_due_thresholds() -> None:
    assert [reminders.due_threshold(d, [7, 1]) for d in (9, 8, 7, 5, 2, 1, 0)] == [
        None, None, 7, 7, 7, 1, 1,
    ]  # fmt: skip


def test_queries_per_reminder_do_not_depend_on_how_many_there_are(
    short: dict[str, Any],
) -> None:
    """The recommendations and the targets are read once per run, not per employee: each
    more reminder costs the same few statements (its savepoint, its row, its release)."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        assert reminders.jp_shortfall_reminders(today=OCTOBER).sent == 3
    for _i in range(6):
        EmployeeFactory.create(org_unit=short["unit_b"])
    with CaptureQueriesContext(connection) as second:
        assert reminders.jp_shortfall_reminders(today=dt.date(YEAR, 11, 1)).sent == 9
    per_reminder = (len(second) - len(first)) / 6
    assert per_reminder <= 3, (len(first), len(second))
