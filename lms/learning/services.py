"""Enrolment, progress and completion. Each action is one transaction and names its actor."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from courses.models import CoursePage, EnrolmentPolicy, ModulePage
from lms.assessments.selectors import quizzes_passed
from lms.classroom.models import Cohort
from lms.core.audit import audit_record
from lms.people.models import Employee, OrgUnit
from lms.people.selectors import scope_for

from .models import (
    Enrolment,
    JenisDiklat,
    JPEntry,
    JPMonthTotal,
    JPYearTotal,
    ModuleProgress,
)
from .selectors import (
    completed_before_this_year,
    completion_check,
    course_seats_left,
    videos_progress,
)

logger = logging.getLogger(__name__)

# One "mark as done" or heartbeat may add at most this much time: a tab left open overnight
# is not study time.
MAX_SECONDS_PER_UPDATE = 30 * 60


def _locked_course(course: CoursePage) -> CoursePage:
    """Lock the course row: enrolments for one course are decided one at a time, so that
    capacity and the one-open-enrolment rule hold under concurrent requests."""
    return CoursePage.objects.select_for_update(of=("self",)).get(pk=course.pk)


def local_when(moment: dt.datetime) -> str:
    """A moment as the Pemda reads it in a message: local time, the locale's format."""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def enrolment_request(*, actor: Employee, course: CoursePage) -> Enrolment:
    """A learner enrols themself: active at once, or pending their OPD admin's approval."""
    if not course.live:
        raise ValidationError(_("Kursus ini belum terbit."))
    if course.cohorts.exists():
        raise ValidationError(
            _("Kursus ini berjalan per angkatan: pilih angkatan yang Anda ikuti.")
        )
    if course.enrolment_policy == EnrolmentPolicy.ASSIGNED:
        raise ValidationError(
            _("Kursus ini hanya dapat diikuti melalui penugasan oleh admin OPD atau BKPSDM.")
        )
    now = timezone.now()
    if course.enrolment_opens and now < course.enrolment_opens:
        raise ValidationError(
            _("Pendaftaran dibuka %(when)s.") % {"when": local_when(course.enrolment_opens)}
        )
    if course.enrolment_closes and now >= course.enrolment_closes:
        raise ValidationError(
            _("Pendaftaran sudah ditutup pada %(when)s.")
            % {"when": local_when(course.enrolment_closes)}
        )
    with transaction.atomic():
        course = _locked_course(course)
        existing = course.enrolments.filter(employee=actor).order_by("-created_at").first()
        if existing is not None and existing.is_open:
            return existing  # a second click, or a second tab: the same enrolment
        if (
            existing is not None
            and existing.status == Enrolment.Status.COMPLETED
            and not completed_before_this_year(existing)
        ):
            raise ValidationError(
                _("Anda sudah menyelesaikan kursus ini tahun ini; ulangi tahun depan.")
            )
        if course_seats_left(course) == 0:
            raise ValidationError(_("Kuota kursus ini sudah penuh."))
        needs_approval = course.enrolment_policy == EnrolmentPolicy.APPROVAL
        enrolment = Enrolment(
            employee=actor, course=course, source=Enrolment.Source.SELF,
            status=Enrolment.Status.PENDING if needs_approval else Enrolment.Status.ACTIVE,
        )  # fmt: skip
        try:
            with transaction.atomic():
                enrolment.save()
        except IntegrityError:
            # The database's one-open-enrolment constraint caught a race the lock did not.
            return course.enrolments.open().get(employee=actor)
    return enrolment


def _require_admin_over(actor: Employee, employee: Employee) -> None:
    scope = scope_for(actor)
    unit_path = employee.org_unit.path if employee.org_unit else ""
    if not scope.can_change or not (scope.everything or scope.covers_path(unit_path)):
        raise PermissionDenied(_("Peserta ini di luar lingkup Anda."))


def enrolment_decide(
    *, actor: Employee, enrolment: Enrolment, approve: bool, note: str = ""
) -> Enrolment:
    """The learner's OPD admin (or BKPSDM) approves or rejects a pending enrolment."""
    _require_admin_over(actor, enrolment.employee)
    if not approve and not note.strip():
        raise ValidationError(_("Tuliskan alasan penolakan untuk peserta."))
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if enrolment.status != Enrolment.Status.PENDING:
            raise ValidationError(_("Pendaftaran ini sudah diputuskan."))
        enrolment.status = Enrolment.Status.ACTIVE if approve else Enrolment.Status.REJECTED
        enrolment.decided_by = actor
        enrolment.decided_at = timezone.now()
        enrolment.decision_note = note.strip()[:500]
        enrolment.save()
    return enrolment


@dataclass
class AssignResult:
    created: list[Enrolment] = field(default_factory=list)
    already: int = 0
    out_of_scope: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    over_capacity: list[str] = field(default_factory=list)


def enrolment_assign(
    *,
    actor: Employee,
    course: CoursePage,
    org_unit: OrgUnit | None = None,
    nips: Iterable[str] = (),
    due_date: dt.date | None = None,
    cohort: Cohort | None = None,
) -> AssignResult:
    """Assign a course (or one angkatan of it) to everyone active in an OPD subtree and/or
    a list of NIPs.

    Assignment stands in for approval and ignores the self-enrolment window, but not the
    capacity (the course's and the angkatan's): who does not fit is reported, not
    silently dropped. Someone already enrolled stays in the angkatan they are in.
    """
    scope = scope_for(actor)
    if not scope.can_change:
        raise PermissionDenied(_("Anda tidak berwenang menugaskan kursus."))
    if not course.live:
        raise ValidationError(_("Kursus ini belum terbit."))
    if cohort is not None and cohort.course_id != course.pk:
        raise ValidationError(_("Angkatan ini bukan angkatan kursus tersebut."))
    if cohort is None and course.cohorts.exists():
        raise ValidationError(_("Kursus ini berjalan per angkatan: pilih angkatannya."))
    if due_date is not None and due_date < timezone.localdate():
        raise ValidationError(_("Tenggat tidak boleh di masa lalu."))
    result = AssignResult()
    targets: dict[int, Employee] = {}
    if org_unit is not None:
        if not scope.covers_path(org_unit.path):
            raise PermissionDenied(_("Unit ini di luar lingkup Anda."))
        for employee in Employee.objects.active().in_unit(org_unit).select_related("org_unit"):
            targets[employee.pk] = employee
    wanted = [n for n in dict.fromkeys(n.strip() for n in nips) if n]
    found = {
        e.nip: e
        for e in Employee.objects.active().filter(nip__in=wanted).select_related("org_unit")
    }
    for nip in wanted:
        employee = found.get(nip)
        if employee is None:
            result.not_found.append(nip)
        elif not scope.covers_path(employee.org_unit.path if employee.org_unit else ""):
            result.out_of_scope.append(nip)
        else:
            targets[employee.pk] = employee
    now = timezone.now()
    with transaction.atomic():
        course = _locked_course(course)
        open_by_employee = {
            e.employee_id: e for e in course.enrolments.open().filter(employee_id__in=targets)
        }
        seats = course_seats_left(course)
        if cohort is not None:
            from lms.classroom.services import cohort_seats_left  # the app sits above this one

            cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
            cohort_seats = cohort_seats_left(cohort)
            if cohort_seats is not None:
                seats = cohort_seats if seats is None else min(seats, cohort_seats)
        for employee in sorted(targets.values(), key=lambda e: e.full_name):
            existing = open_by_employee.get(employee.pk)
            if existing is not None:
                # Already in: an assignment turns a pending request into a place.
                existing.status = Enrolment.Status.ACTIVE
                existing.due_date = due_date or existing.due_date
                existing.assigned_by = existing.assigned_by or actor
                existing.save()
                result.already += 1
                continue
            if seats is not None and seats <= 0:
                result.over_capacity.append(employee.nip)
                continue
            result.created.append(
                Enrolment(
                    employee=employee,
                    course=course,
                    source=Enrolment.Source.ASSIGNED,
                    status=Enrolment.Status.ACTIVE,
                    assigned_by=actor,
                    due_date=due_date,
                    cohort=cohort,
                    decided_by=actor,
                    decided_at=now,
                )  # fmt: skip
            )
            if seats is not None:
                seats -= 1
        Enrolment.objects.bulk_create(result.created)
    return result


def enrolment_withdraw(*, actor: Employee, enrolment: Enrolment, reason: str = "") -> Enrolment:
    """The learner leaves (or their OPD admin takes them off) an open enrolment."""
    if enrolment.employee_id != actor.pk:
        _require_admin_over(actor, enrolment.employee)
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if not enrolment.is_open:
            raise ValidationError(_("Pendaftaran ini tidak aktif."))
        enrolment.status = Enrolment.Status.WITHDRAWN
        enrolment.withdrawn_at = timezone.now()
        enrolment.decision_note = reason.strip()[:500]
        enrolment.save()
    return enrolment


# --- Progress and completion ----------------------------------------------------------


def _require_active(actor: Employee, enrolment: Enrolment, module: ModulePage) -> None:
    if enrolment.employee_id != actor.pk:
        raise PermissionDenied(_("Ini bukan pendaftaran Anda."))
    if enrolment.status not in (Enrolment.Status.ACTIVE, Enrolment.Status.COMPLETED):
        raise ValidationError(_("Pendaftaran Anda belum aktif."))
    if module.get_parent().pk != enrolment.course_id:
        raise ValidationError(_("Modul ini bukan bagian dari kursus Anda."))


def module_start(*, actor: Employee, enrolment: Enrolment, module: ModulePage) -> ModuleProgress:
    """Record that the learner opened a module (first time only)."""
    _require_active(actor, enrolment, module)
    now = timezone.now()
    with transaction.atomic():
        progress, created = ModuleProgress.objects.get_or_create(
            enrolment=enrolment, module=module, defaults={"started_at": now}
        )
        if created:  # the first visit in this enrolment: later page views write nothing
            from lms.interop.services import xapi_module_launched  # above this app too

            xapi_module_launched(enrolment=enrolment, module=module, at=now)
        if enrolment.started_at is None:
            Enrolment.objects.filter(pk=enrolment.pk, started_at__isnull=True).update(
                started_at=now
            )
    return progress


def _quizzes_done(actor: Employee, module: ModulePage) -> bool:
    required = module.quiz_ids()
    return not required or quizzes_passed(employee=actor, quiz_ids=required) == required


def _videos_done(actor: Employee, enrolment: Enrolment, module: ModulePage) -> bool:
    progress = videos_progress(
        employee=actor, video_ids=module.video_ids(), course=enrolment.course
    )
    return all(v.done for v in progress.values())


def module_mark_done(
    *, actor: Employee, enrolment: Enrolment, module: ModulePage, seconds_spent: int = 0
) -> ModuleProgress:
    """The learner says they finished a text module; a module with a quiz needs the pass, one
    with a video needs the course's share of it watched."""
    _require_active(actor, enrolment, module)
    if not _quizzes_done(actor, module):
        raise ValidationError(_("Modul ini selesai setelah Anda lulus kuisnya."))
    if not _videos_done(actor, enrolment, module):
        raise ValidationError(
            _("Modul ini selesai setelah Anda menonton minimal %(percent)s%% videonya.")
            % {"percent": enrolment.course.video_watch_percent}
        )
    seconds = max(0, min(int(seconds_spent), MAX_SECONDS_PER_UPDATE))
    now = timezone.now()
    with transaction.atomic():
        progress, _created = ModuleProgress.objects.select_for_update().get_or_create(
            enrolment=enrolment, module=module, defaults={"started_at": now}
        )
        progress.time_spent_seconds += seconds
        completed_now = progress.completed_at is None
        if completed_now:
            progress.completed_at = now
        progress.save()
        if completed_now:
            from lms.interop.services import xapi_module_completed  # above this app too

            xapi_module_completed(enrolment=enrolment, module=module, at=now)
        completion_evaluate(enrolment=enrolment)
    return progress


def module_requirements_met(
    *, actor: Employee, enrolment: Enrolment, module: ModulePage
) -> ModuleProgress | None:
    """Complete the module (once) now that a video in it is watched past the course's share
    or a quiz in it is passed, if every video in it is watched and every required quiz
    passed; then the course, if that was the last thing missing. Called by the watch
    heartbeat and by grading; None: not yet."""
    done = (
        ModuleProgress.objects.filter(
            enrolment=enrolment, module=module, completed_at__isnull=False
        )
        .order_by()
        .first()
    )
    if done is not None:
        return done  # most heartbeats after the threshold: re-watching changes nothing here
    _require_active(actor, enrolment, module)
    if not _videos_done(actor, enrolment, module) or not _quizzes_done(actor, module):
        return None
    now = timezone.now()
    with transaction.atomic():
        progress, _created = ModuleProgress.objects.select_for_update().get_or_create(
            enrolment=enrolment, module=module, defaults={"started_at": now}
        )
        if progress.completed_at is None:
            progress.completed_at = now
            progress.save()
            from lms.interop.services import xapi_module_completed  # above this app too

            xapi_module_completed(enrolment=enrolment, module=module, at=now)
            completion_evaluate(enrolment=enrolment)
    return progress


def quiz_passed(*, actor: Employee, quiz_id: int) -> None:
    """A learner's result on a quiz is now a pass: complete what it completes, in each
    course they are enrolled in that uses it (a module requiring it, or the post-test)."""
    from lms.assessments.models import Quiz
    from lms.assessments.selectors import quiz_uses

    quiz = Quiz.objects.get(pk=quiz_id)
    for use in quiz_uses(employee=actor, quiz=quiz):
        enrolment = Enrolment.objects.select_related("course").get(pk=use.enrolment_id)
        if enrolment.status != Enrolment.Status.ACTIVE:
            continue
        if use.module is not None and quiz_id in use.module.specific.quiz_ids():
            module_requirements_met(actor=actor, enrolment=enrolment, module=use.module.specific)
        completion_evaluate(enrolment=enrolment)


def completion_evaluate(*, enrolment: Enrolment) -> Enrolment:
    """Complete the enrolment if the rules are met; otherwise leave it as it is."""
    if enrolment.status != Enrolment.Status.ACTIVE:
        return enrolment
    if completion_check(enrolment=enrolment).complete:
        return enrolment_complete(enrolment=enrolment, actor=None)
    return enrolment


def enrolment_complete(*, enrolment: Enrolment, actor: Employee | None) -> Enrolment:
    """The one place a course becomes completed. Idempotent: a second call changes nothing.

    What completion brings (JP credit in the ledger, the certificate) hangs here, in this
    transaction, so that a completion and its consequences are never apart.
    """
    with transaction.atomic():
        locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if locked.status == Enrolment.Status.COMPLETED:
            return locked
        if locked.status != Enrolment.Status.ACTIVE:
            raise ValidationError(_("Hanya pendaftaran aktif yang dapat diselesaikan."))
        locked.status = Enrolment.Status.COMPLETED
        locked.completed_at = timezone.now()
        locked.save(update_fields=["status", "completed_at", "updated_at"])
        course = CoursePage.objects.get(pk=locked.course_id)
        if course.jp_credited > 0:
            jp_credit(
                employee_id=locked.employee_id, jp=course.jp_credited,
                competency_type=course.competency_type, form=course.training_form,
                jenis_code=_course_jenis(course),
                source_type=JPEntry.Source.COURSE, source_id=locked.pk,
                earned_on=timezone.localdate(locked.completed_at), created_by=actor,
                note=course.title,
            )  # fmt: skip
        from lms.interop.services import xapi_course_completed  # above this app too

        xapi_course_completed(enrolment=locked)  # nothing unless an LRS is configured
        from lms.certificates.tasks import certificate_issue_task  # the app sits above this one

        enrolment_id = locked.pk
        # After the commit, so the worker finds the completion; robust, so that a broker
        # that is down does not turn a completed course into an error page (the
        # certificates sweep issues it later).
        transaction.on_commit(lambda: certificate_issue_task.delay(enrolment_id), robust=True)
        logger.info(
            "course completed",
            extra={"enrolment_id": locked.pk, "course_id": locked.course_id},
        )
    return locked


# --- The JP ledger --------------------------------------------------------------------

# SIASN's jenis diklat for a Sinau course by its form, until a course names its own.
JENIS_ONLINE = 16  # e-learning
JENIS_KLASIKAL = 13  # other classroom training

_TOTAL_COLUMNS = {
    "teknis", "manajerial", "sosial_kultural", "pemerintahan", "klasikal", "non_klasikal",
}  # fmt: skip


def _course_jenis(course: CoursePage) -> int:
    if course.jenis_diklat_id is not None:
        return JenisDiklat.objects.get(pk=course.jenis_diklat_id).code
    return JENIS_KLASIKAL if course.training_form == "klasikal" else JENIS_ONLINE


def _add_to_year(entry: JPEntry) -> None:
    """Keep the employee's yearly total in step with a new entry (same transaction). The
    row exists after the year's first entry, so the common case is one UPDATE."""
    changes: dict[str, Any] = {"total": F("total") + entry.jp, "entries": F("entries") + 1}
    for column in (entry.competency_type, entry.form):
        if column in _TOTAL_COLUMNS:
            changes[column] = F(column) + entry.jp
    year = {"employee_id": entry.employee_id, "year": entry.year}
    _upsert(JPYearTotal, year, changes)
    # A reversal takes the hours back from the month they were earned in.
    earned = entry.reverses.earned_on if entry.reverses else entry.earned_on
    month = {**year, "year": earned.year, "month": earned.month}
    _upsert(JPMonthTotal, month, {"total": F("total") + entry.jp})


def _upsert(model: Any, key: dict[str, Any], changes: dict[str, Any]) -> None:
    """UPDATE the aggregate row; the first time, create it (race-safe) and UPDATE again."""
    rows = model.objects.filter(**key)
    if rows.update(**changes):
        return
    try:
        with transaction.atomic():
            model.objects.create(**key)
    except IntegrityError:
        pass  # another transaction made the row first; the update below waits for it
    rows.update(**changes)


def jp_credit(
    *,
    employee_id: int,
    jp: Decimal,
    competency_type: str,
    form: str,
    source_type: str,
    source_id: int,
    earned_on: dt.date,
    created_by: Employee | None = None,
    jenis_code: int | None = None,
    note: str = "",
) -> tuple[JPEntry, bool]:
    """Credit hours for one source, once: (the entry, whether this call made it). A second
    call for the same source returns the first entry; the database's unique constraint
    holds even when two calls race. The entry, the yearly total and the audit line are
    one transaction."""
    if jp <= 0:
        raise ValidationError(_("JP yang dikreditkan harus lebih dari nol."))
    source = {"employee_id": employee_id, "source_type": source_type, "source_id": source_id}
    with transaction.atomic():
        existing = JPEntry.objects.filter(**source, reverses__isnull=True).first()
        if existing is not None:
            return existing, False
        entry = JPEntry(
            **source, year=earned_on.year, jp=jp, competency_type=competency_type, form=form,
            earned_on=earned_on, created_by=created_by, note=note[:1000],
        )  # fmt: skip
        if jenis_code:
            entry.jenis = JenisDiklat.objects.filter(code=jenis_code).first()
        try:
            with transaction.atomic():
                entry.save()
                _add_to_year(entry)
        except IntegrityError:
            # Another transaction credited the same source first: theirs stands.
            return JPEntry.objects.get(**source, reverses__isnull=True), False
        audit_record(
            actor=created_by, action="sinau.jp.credit", instance=entry,
            data={"jp": str(jp), "source": f"{source_type}:{source_id}", "year": entry.year},
        )  # fmt: skip
    return entry, True


def jp_reverse(*, entry: JPEntry, actor: Employee | None, reason: str) -> JPEntry:
    """Take an entry's hours back with a reversing entry (the only correction the ledger
    knows); once per entry."""
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Tuliskan alasan pembatalan JP."))
    if entry.reverses_id is not None:
        raise ValidationError(_("Entri pembatalan tidak dapat dibatalkan lagi."))
    with transaction.atomic():
        try:
            with transaction.atomic():
                reversal = JPEntry.objects.create(
                    employee_id=entry.employee_id, year=entry.year, jp=-entry.jp,
                    competency_type=entry.competency_type, form=entry.form,
                    jenis_id=entry.jenis_id, source_type=entry.source_type,
                    source_id=entry.source_id, earned_on=timezone.localdate(),
                    created_by=actor, note=reason[:1000], reverses=entry,
                )  # fmt: skip
                _add_to_year(reversal)
        except IntegrityError:
            raise ValidationError(_("Entri ini sudah dibatalkan.")) from None
        audit_record(
            actor=actor, action="sinau.jp.reverse", instance=reversal, reason=reason,
            data={"jp": str(reversal.jp), "reverses": entry.pk},
        )  # fmt: skip
    return reversal
