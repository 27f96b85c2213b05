"""Reads for learners and their admins: course and module views, the dashboard, approvals."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import (
    CompetencyType,
    CourseCompetencyTag,
    CoursePage,
    EnrolmentPolicy,
    ModulePage,
    TrainingForm,
)
from lms.assessments.selectors import quizzes_passed
from lms.people.models import Employee, EmploymentType
from lms.people.selectors import Scope, scope_for
from lms.videos.models import Video, VideoWatch
from lms.videos.watching import (
    resume_point,
    threshold_reached,
    watch_ticket_sign,
    watch_tickets,
    watched_percent,
)

from .models import Enrolment, JPEntry, JPTarget, JPYearTotal, ModuleProgress


def _as_employee(viewer: Any) -> Employee | None:
    return viewer if isinstance(viewer, Employee) else None


def can_edit_course(*, viewer: Any, page: Any) -> bool:
    """Editors (the course's instructors, BKPSDM) see every module without enrolling."""
    if _as_employee(viewer) is None:
        return False
    return bool(page.permissions_for_user(viewer).can_edit())


def enrolment_for(*, employee: Employee, course: CoursePage) -> Enrolment | None:
    """The learner's current enrolment: an open one, else the latest completed one."""
    enrolments = list(
        Enrolment.objects.filter(employee=employee, course=course).order_by("-created_at")
    )
    for e in enrolments:
        if e.is_open:
            return e
    for e in enrolments:
        if e.status == Enrolment.Status.COMPLETED:
            return e
    return enrolments[0] if enrolments else None


def course_seats_left(course: CoursePage) -> int | None:
    """Seats still free (None: no capacity set). Pending requests hold a seat too."""
    if course.capacity is None:
        return None
    return max(course.capacity - course.enrolments.holding_a_seat().count(), 0)


@dataclass(frozen=True)
class CompletionCheck:
    complete: bool
    modules_done: int
    modules_required: int
    missing: list[str]


def completion_check(
    *,
    enrolment: Enrolment,
    modules: list[ModulePage] | None = None,
    done_ids: set[int] | None = None,
) -> CompletionCheck:
    """The completion rules, read-only: what is still missing. Callers that already loaded
    the course's modules and the enrolment's finished ones pass them in."""
    course = enrolment.course
    if modules is None:
        modules = list(course.modules())
    if done_ids is None:
        done_ids = set(
            enrolment.progress.filter(completed_at__isnull=False).values_list(
                "module_id", flat=True
            )
        )
    required = [m for m in modules if m.required_for_completion]
    missing = [_("Modul: %(title)s") % {"title": m.title} for m in required if m.pk not in done_ids]
    post_test = course.post_test
    if (
        post_test is not None
        and course.require_post_test_pass
        and not quizzes_passed(employee=enrolment.employee, quiz_ids=[post_test.pk])
    ):
        missing.append(_("Lulus post-test: %(title)s") % {"title": post_test.title})
    if course.min_attendance_percent:
        from lms.classroom.selectors import attendance_share  # the app sits above this one

        share = attendance_share(enrolment=enrolment)
        if share.percent < course.min_attendance_percent:
            missing.append(
                _("Kehadiran minimal %(min)s%%: baru %(attended)s dari %(total)s sesi")
                % {
                    "min": course.min_attendance_percent,
                    "attended": share.attended,
                    "total": share.total,
                }
            )
    return CompletionCheck(
        complete=not missing,
        modules_done=sum(1 for m in required if m.pk in done_ids),
        modules_required=len(required),
        missing=missing,
    )


@dataclass
class ModuleRow:
    module: ModulePage
    started: bool = False
    completed: bool = False


@dataclass
class CourseView:
    enrolment: Enrolment | None
    modules: list[ModuleRow]
    instructors: list[Employee]
    can_enrol: bool
    enrol_block_reason: str
    seats_left: int | None
    is_editor: bool
    modules_done: int = 0
    modules_required: int = 0
    completion: CompletionCheck | None = None  # for an active enrolment: what is missing

    @property
    def percent(self) -> int:
        if not self.modules_required:
            return 100 if self.enrolment and self.enrolment.completed_at else 0
        return round(100 * self.modules_done / self.modules_required)

    @property
    def can_open_modules(self) -> bool:
        return self.is_editor or bool(
            self.enrolment
            and self.enrolment.status in (Enrolment.Status.ACTIVE, Enrolment.Status.COMPLETED)
        )


def completed_before_this_year(enrolment: Enrolment, today: dt.date | None = None) -> bool:
    """A course completed in an earlier year may be taken again: a new enrolment, with its
    own completion and credit; the earlier ones stay as they were."""
    if enrolment.completed_at is None:
        return False
    today = today or timezone.localdate()
    return timezone.localdate(enrolment.completed_at).year < today.year


def course_view_for_learner(*, course: CoursePage, viewer: Any) -> CourseView:
    employee = _as_employee(viewer)
    modules = list(course.modules())
    enrolment = enrolment_for(employee=employee, course=course) if employee else None
    progress: dict[int, ModuleProgress] = {}
    if enrolment is not None:
        progress = {p.module_id: p for p in enrolment.progress.all()}
    rows = [
        ModuleRow(
            module=m,
            started=m.pk in progress,
            completed=bool(m.pk in progress and progress[m.pk].completed_at),
        )
        for m in modules
    ]
    required = [r for r in rows if r.module.required_for_completion]
    seats_left = course_seats_left(course)
    reason = ""
    now = timezone.now()
    if employee is None:
        reason = _("Masuk untuk mendaftar.")
    elif enrolment is not None and enrolment.is_open:
        reason = ""
    elif (
        enrolment is not None
        and enrolment.status == Enrolment.Status.COMPLETED
        and not completed_before_this_year(enrolment)
    ):
        reason = _("Anda sudah menyelesaikan kursus ini tahun ini.")
    elif course.enrolment_policy == EnrolmentPolicy.ASSIGNED:
        reason = _("Kursus ini hanya melalui penugasan oleh admin OPD atau BKPSDM.")
    elif course.enrolment_opens and now < course.enrolment_opens:
        reason = _("Pendaftaran belum dibuka.")
    elif course.enrolment_closes and now >= course.enrolment_closes:
        reason = _("Pendaftaran sudah ditutup.")
    elif seats_left == 0:
        reason = _("Kuota sudah penuh.")
    can_enrol = employee is not None and not reason and not (enrolment and enrolment.is_open)
    completion = None
    if enrolment is not None and enrolment.status == Enrolment.Status.ACTIVE:
        completion = completion_check(
            enrolment=enrolment,
            modules=modules,
            done_ids={r.module.pk for r in rows if r.completed},
        )
    return CourseView(
        enrolment=enrolment,
        modules=rows,
        instructors=list(course.instructors.all()),
        can_enrol=can_enrol,
        enrol_block_reason=reason,
        seats_left=seats_left,
        is_editor=can_edit_course(viewer=viewer, page=course),
        modules_done=sum(1 for r in required if r.completed),
        modules_required=len(required),
        completion=completion,
    )


@dataclass(frozen=True)
class ModuleAccess:
    allowed: bool
    reason: str = ""
    enrolment: Enrolment | None = None
    is_editor: bool = False


def module_access(*, viewer: Any, course: CoursePage, module: ModulePage) -> ModuleAccess:
    """Whether the viewer may open a module: enrolled (active or completed), or an editor."""
    employee = _as_employee(viewer)
    if employee is None:
        return ModuleAccess(False, _("Masuk dan daftar kursus untuk membuka modul."))
    enrolment = enrolment_for(employee=employee, course=course)
    if can_edit_course(viewer=viewer, page=course):
        # An editor who also enrolled still gets their progress recorded.
        return ModuleAccess(True, enrolment=enrolment, is_editor=True)
    if enrolment is None or enrolment.status not in (
        Enrolment.Status.ACTIVE,
        Enrolment.Status.COMPLETED,
    ):
        if enrolment is not None and enrolment.status == Enrolment.Status.PENDING:
            return ModuleAccess(False, _("Pendaftaran Anda menunggu persetujuan admin OPD."))
        return ModuleAccess(False, _("Daftar kursus ini dulu untuk membuka modulnya."))
    return ModuleAccess(True, enrolment=enrolment)


@dataclass(frozen=True)
class VideoProgress:
    """How far a learner got in one video of a module, against the course's share."""

    video_id: int
    watched_seconds: float = 0.0
    percent: int = 0
    done: bool = False
    resume_at: float = 0.0
    # The length of the ladder playing (None: none is).
    duration: float | None = None
    # Filled in for the module page: the signed ticket the player sends with its heartbeats.
    ticket: str = ""

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "percent": self.percent,
            "completed": self.done,
            "resume_at": self.resume_at,
        }
        if self.ticket:
            data["ticket"] = self.ticket
        return data


def videos_progress(
    *, employee: Employee, video_ids: set[int], course: CoursePage
) -> dict[int, VideoProgress]:
    """Each video's progress for the learner (unwatched ones at zero), in two queries."""
    if not video_ids:
        return {}
    videos = {
        pk: (duration, bool(prefix))
        for pk, duration, prefix in Video.objects.filter(pk__in=video_ids).values_list(
            "pk", "duration_seconds", "hls_prefix"
        )
    }
    watched_rows = VideoWatch.objects.filter(employee=employee, video_id__in=video_ids)
    watches = {
        video_id: (watched, position)
        for video_id, watched, position in watched_rows.values_list(
            "video_id", "watched_seconds", "last_position"
        )
    }
    result = {}
    for video_id in video_ids:
        duration, has_ladder = videos.get(video_id, (None, False))
        watched, position = watches.get(video_id, (0.0, 0.0))
        result[video_id] = VideoProgress(
            video_id=video_id,
            watched_seconds=watched,
            percent=watched_percent(watched, duration),
            done=threshold_reached(
                watched_seconds=watched, duration=duration, percent=course.video_watch_percent
            ),
            resume_at=resume_point(position, duration),
            duration=duration if has_ladder else None,
        )
    return result


def _sign_watch_tickets(
    videos: dict[int, VideoProgress],
    *,
    enrolment: Enrolment,
    module: ModulePage,
    course: CoursePage,
    session_key: str,
) -> None:
    """Give each playable video's progress the ticket its player's heartbeats carry: the
    page has just checked what the ticket vouches for (the enrolment, the module showing
    the video), so the heartbeats need not check it again every ten seconds."""
    durations = {pk: p.duration for pk, p in videos.items() if p.duration}
    tickets = watch_tickets(
        employee_id=enrolment.employee_id,
        module_id=module.pk,
        enrolment_id=enrolment.pk,
        watch_percent=course.video_watch_percent,
        durations=durations,
    )
    for video_id, ticket in tickets.items():
        signed = watch_ticket_sign(ticket, session_key=session_key)
        videos[video_id] = dataclasses.replace(videos[video_id], ticket=signed)


@dataclass
class ModuleView:
    course: CoursePage
    previous: ModulePage | None
    next: ModulePage | None
    position: int
    count: int
    progress: ModuleProgress | None
    enrolment: Enrolment | None
    can_mark_done: bool
    needs_quiz: bool
    needs_video: bool = False
    # Watch progress is recorded: the viewer is enrolled (active or completed).
    tracking: bool = False
    videos: dict[int, VideoProgress] = field(default_factory=dict)

    @property
    def player_state(self) -> dict[str, Any]:
        """What the video player reads from the page (json_script): where to resume, how far
        the learner got, whether to send heartbeats at all."""
        return {
            "tracking": self.tracking,
            "threshold": self.course.video_watch_percent,
            "videos": {str(pk): v.as_json() for pk, v in self.videos.items()},
        }


def module_view(
    *,
    module: ModulePage,
    viewer: Any,
    access: ModuleAccess | None,
    session_key: str | None = None,
) -> ModuleView:
    course = module.get_parent().specific
    siblings = list(course.modules().only("id", "title", "url_path", "path", "depth"))
    index = next((i for i, m in enumerate(siblings) if m.pk == module.pk), 0)
    enrolment = access.enrolment if access else None
    progress = None
    if enrolment is not None:
        progress = ModuleProgress.objects.filter(enrolment=enrolment, module=module).first()
    required_quizzes = module.quiz_ids()
    needs_quiz = bool(required_quizzes)
    quiz_done = not needs_quiz or (
        enrolment is not None
        and quizzes_passed(employee=enrolment.employee, quiz_ids=required_quizzes)
        == required_quizzes
    )
    video_ids = module.video_ids()
    tracking = enrolment is not None and enrolment.status in (
        Enrolment.Status.ACTIVE,
        Enrolment.Status.COMPLETED,
    )
    videos: dict[int, VideoProgress] = {}
    if tracking and enrolment is not None:
        videos = videos_progress(employee=enrolment.employee, video_ids=video_ids, course=course)
        if session_key and enrolment.employee_id == getattr(viewer, "pk", None):
            _sign_watch_tickets(
                videos, enrolment=enrolment, module=module, course=course, session_key=session_key
            )
    # A module with a video is completed by watching it (the heartbeat does that); the button
    # is left for a video module whose quiz is passed after the watching.
    videos_done = all(v.done for v in videos.values())
    return ModuleView(
        course=course,
        previous=siblings[index - 1] if index > 0 else None,
        next=siblings[index + 1] if index + 1 < len(siblings) else None,
        position=index + 1,
        count=len(siblings),
        progress=progress,
        enrolment=enrolment,
        can_mark_done=bool(
            enrolment is not None
            and enrolment.status == Enrolment.Status.ACTIVE
            and quiz_done
            and videos_done
            and not (progress and progress.completed_at)
        ),
        needs_quiz=needs_quiz,
        needs_video=bool(video_ids),
        tracking=tracking,
        videos=videos,
    )


@dataclass
class Dashboard:
    in_progress: list[Enrolment] = field(default_factory=list)
    pending: list[Enrolment] = field(default_factory=list)
    assigned: list[Enrolment] = field(default_factory=list)
    completed: list[Enrolment] = field(default_factory=list)
    jp_this_year: Decimal = Decimal("0")
    jp_target: Decimal = Decimal("20")
    year: int = 0

    @property
    def jp_percent(self) -> int:
        if not self.jp_target:
            return 100
        return min(100, round(100 * self.jp_this_year / self.jp_target))


def my_courses(*, employee: Employee) -> Dashboard:
    """ "Kursus Saya": what the learner is doing, owes, and has done, in two queries."""
    year = timezone.localdate().year
    enrolments = list(
        Enrolment.objects.filter(employee=employee)
        .exclude(status__in=[Enrolment.Status.WITHDRAWN, Enrolment.Status.REJECTED])
        .select_related("course")
        .order_by("due_date", "-updated_at")
    )
    rule = jp_target_for(employment_type=employee.employment_type, year=year)
    board = Dashboard(jp_target=rule.minimum, year=year)
    for e in enrolments:
        if e.status == Enrolment.Status.COMPLETED:
            board.completed.append(e)
        elif e.status == Enrolment.Status.PENDING:
            board.pending.append(e)
        elif e.source == Enrolment.Source.ASSIGNED and e.started_at is None:
            board.assigned.append(e)
        else:
            board.in_progress.append(e)
    # The year's hours from the ledger's yearly total (courses and, as they come, verified
    # external training and mentoring), never a sum over entries.
    board.jp_this_year = JPYearTotal.objects.filter(employee=employee, year=year).values_list(
        "total", flat=True
    ).first() or Decimal("0")
    return board


def pending_approvals(*, viewer: Employee) -> QuerySet[Enrolment]:
    """Self-enrolments waiting for this admin's decision: learners in their scope only."""
    scope = scope_for(viewer)
    if not scope.can_change:
        return Enrolment.objects.none()
    return (
        Enrolment.objects.filter(status=Enrolment.Status.PENDING)
        .filter(scope.unit_q("employee__org_unit__"))
        .select_related("employee", "employee__org_unit", "course")
        .order_by("created_at")
    )


# --- The competency record ------------------------------------------------------------


@dataclass(frozen=True)
class JPRule:
    """What an employee owes in a year, and the most the agency should pay for."""

    minimum: Decimal
    cap: Decimal | None = None


def jp_target_for(*, employment_type: str, year: int) -> JPRule:
    """The Pemda's rule for this employment type and year: its own row, else the row for
    every type, else the defaults (20 JP; PPPK capped at 24 a contract year)."""
    rows = {
        t.employment_type: t
        for t in JPTarget.objects.filter(year=year, employment_type__in=[employment_type, ""])
    }
    row = rows.get(employment_type) or rows.get("")
    if row is not None:
        return JPRule(minimum=row.minimum, cap=row.cap)
    cap = None
    if employment_type in (EmploymentType.PPPK, EmploymentType.PPPK_PW):
        cap = Decimal(settings.SINAU_JP_CAP_PPPK)
    return JPRule(minimum=Decimal(settings.SINAU_JP_TARGET), cap=cap)


@dataclass
class CompetencyRecord:
    """One employee's hours in one year against the target, with the lines behind them."""

    employee: Employee
    year: int
    years: list[int]
    target: Decimal
    total: JPYearTotal | None
    entries: QuerySet[JPEntry]
    completed: list[Enrolment]
    cap: Decimal | None = None
    competencies: list[str] = field(default_factory=list)

    @property
    def jp(self) -> Decimal:
        return self.total.total if self.total else Decimal("0")

    @property
    def met(self) -> bool:
        return self.jp >= self.target

    @property
    def over_cap(self) -> bool:
        return self.cap is not None and self.jp > self.cap

    @property
    def percent(self) -> int:
        if not self.target:
            return 100
        return max(0, min(100, round(100 * self.jp / self.target)))

    def by_type(self) -> list[tuple[str, Decimal]]:
        labels = dict(CompetencyType.choices)
        return [(str(labels[k]), getattr(self.total, k) if self.total else Decimal("0"))
                for k in ("teknis", "manajerial", "sosial_kultural", "pemerintahan")]  # fmt: skip

    def by_form(self) -> list[tuple[str, Decimal]]:
        labels = dict(TrainingForm.choices)
        return [(str(labels[k]), getattr(self.total, k) if self.total else Decimal("0"))
                for k in ("klasikal", "non_klasikal")]  # fmt: skip


def competency_record(*, employee: Employee, year: int | None = None) -> CompetencyRecord:
    """ "Rekam Kompetensi": the year's total from the yearly aggregate (never a sum of
    entries), the years that have hours, the entries of the year (a queryset to paginate),
    the courses completed in it and the competencies those courses build."""
    current = timezone.localdate().year
    years = sorted(
        set(JPYearTotal.objects.filter(employee=employee).values_list("year", flat=True))
        | {current},
        reverse=True,
    )
    year = year if year in years else current
    rule = jp_target_for(employment_type=employee.employment_type, year=year)
    completed = list(
        Enrolment.objects.filter(
            employee=employee, status=Enrolment.Status.COMPLETED, completed_at__year=year
        )
        .select_related("course")
        .order_by("-completed_at")
    )
    from lms.certificates.selectors import certificates_by_enrolment  # the app sits above

    certificates = certificates_by_enrolment(enrolment_ids=[e.pk for e in completed])
    for enrolment in completed:
        enrolment.certificate = certificates.get(enrolment.pk)  # type: ignore[attr-defined]
    competencies = sorted(
        set(
            CourseCompetencyTag.objects.filter(
                content_object_id__in=[e.course_id for e in completed]
            ).values_list("tag__name", flat=True)
        ),
        key=str.casefold,
    )
    return CompetencyRecord(
        employee=employee,
        year=year,
        years=years,
        target=rule.minimum,
        cap=rule.cap,
        total=JPYearTotal.objects.filter(employee=employee, year=year).first(),
        entries=JPEntry.objects.filter(employee=employee, year=year)
        .select_related("jenis", "reverses")
        .order_by("-earned_on", "-pk"),
        completed=completed,
        competencies=competencies,
    )


def ledger_entries(
    *,
    viewer: Employee,
    year: int | None = None,
    source_type: str = "",
    search: str = "",
    scope: Scope | None = None,
) -> QuerySet[JPEntry]:
    """The ledger as an admin may read it: an OPD admin their subtree's employees, an
    auditor or superuser everyone; newest first."""
    scope = scope or scope_for(viewer)
    if not scope.is_admin_scope:
        return JPEntry.objects.none()
    qs = JPEntry.objects.filter(scope.unit_q("employee__org_unit__"))
    if year:
        qs = qs.filter(year=year)
    if source_type:
        qs = qs.filter(source_type=source_type)
    search = search.strip()
    if search:
        digits = "".join(ch for ch in search if ch.isdigit())
        cond = Q(employee__full_name__icontains=search) | Q(note__icontains=search)
        if len(digits) >= 4:
            cond |= Q(employee__nip__startswith=digits)
        qs = qs.filter(cond)
    return qs.select_related("employee", "jenis", "reversal", "created_by").order_by(
        "-created_at", "-pk"
    )
