"""Enrolment policies, window, capacity, assignment, withdrawal and the completion rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from courses.models import CoursePage, ModulePage
from lms.assessments.models import Quiz, QuizResult
from lms.learning import services
from lms.learning.models import Enrolment
from lms.learning.selectors import module_access, my_courses


def test_open_course_enrols_at_once_and_twice_is_once(
    pemda: dict[str, Any], open_course: CoursePage
) -> None:
    learner = pemda["learner"]
    first = services.enrolment_request(actor=learner, course=open_course)
    second = services.enrolment_request(actor=learner, course=open_course)
    assert first.pk == second.pk
    assert first.status == Enrolment.Status.ACTIVE
    assert Enrolment.objects.filter(employee=learner, course=open_course).count() == 1


def test_approval_course_waits_for_the_learners_opd_admin(
    pemda: dict[str, Any], approval_course: CoursePage
) -> None:
    learner = pemda["learner"]  # Dinas Pendidikan
    enrolment = services.enrolment_request(actor=learner, course=approval_course)
    assert enrolment.status == Enrolment.Status.PENDING
    module = approval_course.modules().first()
    assert module is not None
    assert not module_access(viewer=learner, course=approval_course, module=module).allowed
    # The neighbouring OPD's admin has no say.
    neighbour_admin = pemda["staff_b"][0]
    from lms.people.services import role_grant

    role_grant(actor=None, employee=neighbour_admin, role="opd_admin", org_unit=pemda["opd_b"],
               reason="uji")  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.enrolment_decide(actor=neighbour_admin, enrolment=enrolment, approve=True)
    # Auditors read; they do not decide.
    with pytest.raises(PermissionDenied):
        services.enrolment_decide(actor=pemda["auditor"], enrolment=enrolment, approve=True)
    approved = services.enrolment_decide(actor=pemda["admin_a"], enrolment=enrolment, approve=True)
    assert (approved.status, approved.decided_by) == (Enrolment.Status.ACTIVE, pemda["admin_a"])
    assert module_access(viewer=learner, course=approval_course, module=module).allowed
    with pytest.raises(ValidationError):
        services.enrolment_decide(actor=pemda["admin_a"], enrolment=enrolment, approve=False)


def test_rejection_needs_a_reason(pemda: dict[str, Any], approval_course: CoursePage) -> None:
    enrolment = services.enrolment_request(actor=pemda["learner"], course=approval_course)
    with pytest.raises(ValidationError):
        services.enrolment_decide(actor=pemda["admin_a"], enrolment=enrolment, approve=False)
    rejected = services.enrolment_decide(
        actor=pemda["admin_a"], enrolment=enrolment, approve=False, note="Kuota OPD habis"
    )
    assert rejected.status == Enrolment.Status.REJECTED
    # A rejected learner may ask again later.
    again = services.enrolment_request(actor=pemda["learner"], course=approval_course)
    assert again.pk != enrolment.pk
    assert again.status == Enrolment.Status.PENDING


def test_assigned_only_course_refuses_self_enrolment(
    pemda: dict[str, Any], assigned_course: CoursePage
) -> None:
    with pytest.raises(ValidationError, match="penugasan"):
        services.enrolment_request(actor=pemda["learner"], course=assigned_course)
    assert not Enrolment.objects.exists()


def test_enrolment_window_is_enforced(pemda: dict[str, Any], open_course: CoursePage) -> None:
    now = timezone.now()
    open_course.enrolment_opens = now + dt.timedelta(days=3)
    open_course.save()
    with pytest.raises(ValidationError, match="dibuka"):
        services.enrolment_request(actor=pemda["learner"], course=open_course)
    open_course.enrolment_opens = now - dt.timedelta(days=10)
    open_course.enrolment_closes = now - dt.timedelta(days=1)
    open_course.save()
    with pytest.raises(ValidationError, match="ditutup"):
        services.enrolment_request(actor=pemda["learner"], course=open_course)
    assert not Enrolment.objects.exists()


def test_capacity_is_enforced(pemda: dict[str, Any], open_course: CoursePage) -> None:
    open_course.capacity = 2
    open_course.save()
    for employee in pemda["staff_a"][:2]:
        services.enrolment_request(actor=employee, course=open_course)
    with pytest.raises(ValidationError, match="penuh"):
        services.enrolment_request(actor=pemda["staff_a"][2], course=open_course)
    # A withdrawal frees a seat.
    first = Enrolment.objects.filter(course=open_course).first()
    assert first is not None
    services.enrolment_withdraw(actor=first.employee, enrolment=first, reason="mutasi")
    services.enrolment_request(actor=pemda["staff_a"][2], course=open_course)
    assert Enrolment.objects.holding_a_seat().filter(course=open_course).count() == 2


def test_assignment_to_an_opd_and_by_nip(
    pemda: dict[str, Any], assigned_course: CoursePage
) -> None:
    due = timezone.localdate() + dt.timedelta(days=30)
    result = services.enrolment_assign(
        actor=pemda["admin_a"], course=assigned_course, org_unit=pemda["unit_a"],
        nips=[pemda["staff_b"][0].nip, "199901012020121999"], due_date=due,
    )  # fmt: skip
    assert {e.employee for e in result.created} == set(pemda["staff_a"])
    assert result.out_of_scope == [pemda["staff_b"][0].nip]  # a neighbour's employee
    assert result.not_found == ["199901012020121999"]
    assert all(e.due_date == due and e.status == "active" for e in result.created)
    # Assigning again changes nothing but counts who is already in.
    again = services.enrolment_assign(
        actor=pemda["admin_a"], course=assigned_course, org_unit=pemda["unit_a"]
    )
    assert (len(again.created), again.already) == (0, 3)
    board = my_courses(employee=pemda["staff_a"][0])
    assert [e.course_id for e in board.assigned] == [assigned_course.pk]


def test_assignment_scope_and_capacity(pemda: dict[str, Any], assigned_course: CoursePage) -> None:
    with pytest.raises(PermissionDenied):
        services.enrolment_assign(
            actor=pemda["admin_a"], course=assigned_course, org_unit=pemda["opd_b"]
        )
    with pytest.raises(PermissionDenied):
        services.enrolment_assign(actor=pemda["auditor"], course=assigned_course, nips=["x"])
    with pytest.raises(ValidationError):
        services.enrolment_assign(
            actor=pemda["admin_a"], course=assigned_course, org_unit=pemda["unit_a"],
            due_date=timezone.localdate() - dt.timedelta(days=1),
        )  # fmt: skip
    assigned_course.capacity = 2
    assigned_course.save()
    result = services.enrolment_assign(
        actor=pemda["superuser"], course=assigned_course, org_unit=pemda["root"]
    )
    assert len(result.created) == 2
    assert len(result.over_capacity) > 0
    assert Enrolment.objects.filter(course=assigned_course).count() == 2


def test_assignment_turns_a_pending_request_into_a_place(
    pemda: dict[str, Any], approval_course: CoursePage
) -> None:
    learner = pemda["learner"]
    pending = services.enrolment_request(actor=learner, course=approval_course)
    services.enrolment_assign(actor=pemda["admin_a"], course=approval_course, nips=[learner.nip])
    pending.refresh_from_db()
    assert pending.status == Enrolment.Status.ACTIVE
    assert Enrolment.objects.filter(employee=learner, course=approval_course).count() == 1


def test_withdrawal_by_learner_or_their_admin_only(
    pemda: dict[str, Any], open_course: CoursePage
) -> None:
    enrolment = services.enrolment_request(actor=pemda["learner"], course=open_course)
    with pytest.raises(PermissionDenied):
        services.enrolment_withdraw(actor=pemda["staff_b"][0], enrolment=enrolment)
    services.enrolment_withdraw(actor=pemda["admin_a"], enrolment=enrolment, reason="mutasi")
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.WITHDRAWN
    with pytest.raises(ValidationError):
        services.enrolment_withdraw(actor=pemda["learner"], enrolment=enrolment)


def _modules(course: CoursePage) -> list[ModulePage]:
    return list(course.modules())


def test_completion_needs_every_required_module(
    pemda: dict[str, Any], open_course: CoursePage
) -> None:
    learner = pemda["learner"]
    enrolment = services.enrolment_request(actor=learner, course=open_course)
    first, second, third = _modules(open_course)
    third.required_for_completion = False
    third.save_revision().publish()
    services.module_mark_done(actor=learner, enrolment=enrolment, module=first)
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.ACTIVE
    check = services.completion_check(enrolment=enrolment)
    assert (check.modules_done, check.modules_required) == (1, 2)
    assert check.missing == [f"Modul: {second.title}"]
    services.module_mark_done(
        actor=learner, enrolment=enrolment, module=second, seconds_spent=99999
    )
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.COMPLETED
    assert enrolment.completed_at is not None
    progress = enrolment.progress.get(module=second)
    assert progress.time_spent_seconds == services.MAX_SECONDS_PER_UPDATE  # capped
    board = my_courses(employee=learner)
    assert board.jp_this_year == Decimal("4")
    assert [e.pk for e in board.completed] == [enrolment.pk]


def test_completion_needs_a_passed_post_test(
    pemda: dict[str, Any], open_course: CoursePage
) -> None:
    learner = pemda["learner"]
    post = Quiz.objects.create(title="Post-test integritas", kind="post_test")
    open_course.post_test = post
    open_course.save()
    enrolment = services.enrolment_request(actor=learner, course=open_course)
    for module in _modules(open_course):
        services.module_mark_done(actor=learner, enrolment=enrolment, module=module)
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.ACTIVE
    assert services.completion_check(enrolment=enrolment).missing == [
        "Lulus post-test: Post-test integritas"
    ]
    QuizResult.objects.create(
        quiz=post, employee=learner, score=Decimal("55"), passed=False, graded_at=timezone.now()
    )
    assert services.completion_evaluate(enrolment=enrolment).status == Enrolment.Status.ACTIVE
    # A later attempt passes: the learner's one result on the quiz says so now.
    QuizResult.objects.filter(quiz=post, employee=learner).update(
        score=Decimal("85"), passed=True, graded_at=timezone.now()
    )
    assert services.completion_evaluate(enrolment=enrolment).status == Enrolment.Status.COMPLETED


def test_a_module_with_a_quiz_is_not_done_by_a_click(
    pemda: dict[str, Any], open_course: CoursePage
) -> None:
    learner = pemda["learner"]
    quiz = Quiz.objects.create(title="Kuis gratifikasi")
    module = _modules(open_course)[2]
    module.body = [("quiz", {"quiz": quiz, "required_to_pass": True})]
    module.save_revision().publish()
    module = ModulePage.objects.get(pk=module.pk)
    enrolment = services.enrolment_request(actor=learner, course=open_course)
    with pytest.raises(ValidationError, match="kuis"):
        services.module_mark_done(actor=learner, enrolment=enrolment, module=module)
    QuizResult.objects.create(
        quiz=quiz, employee=learner, score=Decimal("90"), passed=True, graded_at=timezone.now()
    )
    services.module_mark_done(actor=learner, enrolment=enrolment, module=module)
    assert enrolment.progress.filter(module=module, completed_at__isnull=False).exists()


def test_progress_only_for_ones_own_active_enrolment(
    pemda: dict[str, Any], open_course: CoursePage, approval_course: CoursePage
) -> None:
    learner, other = pemda["learner"], pemda["staff_a"][1]
    enrolment = services.enrolment_request(actor=learner, course=open_course)
    module = _modules(open_course)[0]
    with pytest.raises(PermissionDenied):
        services.module_mark_done(actor=other, enrolment=enrolment, module=module)
    foreign_module = _modules(approval_course)[0]
    with pytest.raises(ValidationError):
        services.module_mark_done(actor=learner, enrolment=enrolment, module=foreign_module)
    pending = services.enrolment_request(actor=learner, course=approval_course)
    with pytest.raises(ValidationError):
        services.module_mark_done(actor=learner, enrolment=pending, module=foreign_module)
    assert not enrolment.progress.exists()


def test_completion_is_idempotent(pemda: dict[str, Any], open_course: CoursePage) -> None:
    enrolment = services.enrolment_request(actor=pemda["learner"], course=open_course)
    done = services.enrolment_complete(enrolment=enrolment, actor=None)
    again = services.enrolment_complete(enrolment=enrolment, actor=None)
    assert done.completed_at == again.completed_at
    with pytest.raises(ValidationError, match="sudah menyelesaikan"):
        services.enrolment_request(actor=pemda["learner"], course=open_course)


def test_a_course_is_retaken_in_a_later_year_as_a_new_enrolment(
    pemda: dict[str, Any], open_course: CoursePage
) -> None:
    from lms.learning.models import JPEntry
    from lms.learning.selectors import course_view_for_learner

    learner = pemda["learner"]
    first = services.enrolment_request(actor=learner, course=open_course)
    services.enrolment_complete(enrolment=first, actor=None)
    with pytest.raises(ValidationError, match="tahun ini"):
        services.enrolment_request(actor=learner, course=open_course)
    assert not course_view_for_learner(course=open_course, viewer=learner).can_enrol
    # The completion was last year: the course may be taken again.
    last_year = timezone.now() - dt.timedelta(days=366)
    Enrolment.objects.filter(pk=first.pk).update(completed_at=last_year)
    assert course_view_for_learner(course=open_course, viewer=learner).can_enrol
    again = services.enrolment_request(actor=learner, course=open_course)
    assert again.pk != first.pk
    assert again.status == Enrolment.Status.ACTIVE
    services.enrolment_complete(enrolment=again, actor=None)
    first.refresh_from_db()
    assert (first.status, first.completed_at) == (Enrolment.Status.COMPLETED, last_year)
    credits = JPEntry.objects.filter(employee=learner).order_by("pk")
    assert [c.source_id for c in credits] == [first.pk, again.pk]
    assert credits[0].jp == credits[1].jp == open_course.jp_credited
