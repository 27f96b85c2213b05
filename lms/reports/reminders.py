"""Reminders by email, run by Celery beat (``lms.reports.tasks``):

- *kekurangan JP*: from a configurable month (October by default) to December, once a
  month, every active employee still short of their year's JP target hears how many JP
  they have, how many they still owe, and up to three courses they can enrol in now;
- *ringkasan OPD*: once a week, each OPD admin gets their subtree's compliance and what
  waits for them (external trainings to verify, mentorings signed off, enrolment requests);
- *tenggat kursus*: a learner with an assigned course not yet completed hears about it
  a week before its due date and again the day before (configurable).

Once per period, never twice: the ``ReminderSent`` row is inserted first, in the same
transaction as the sending; its unique constraint (kind, employee, period, subject) turns
a second run, or a concurrent one, into an ``IntegrityError`` and the reminder is skipped.
A failed send rolls the row back, so the next run tries again. The tasks run daily: a
monthly or weekly reminder goes out on the first run of its period, also after a worker
was down on the day it was due.

Employees without an email address are skipped and counted (no row, so they get the
reminder once they have one). Messages are in the Pemda's language (Bahasa Indonesia).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from courses.models import CoursePage, EnrolmentPolicy
from lms.learning.models import (
    Enrolment,
    ExternalTraining,
    JPYearTotal,
    MentoringAssignment,
)
from lms.learning.selectors import JPRule, jp_target_for
from lms.people.models import Employee, EmploymentType, OrgUnit, Role, RoleAssignment

from .models import ReminderSent

logger = logging.getLogger(__name__)

Kind = ReminderSent.Kind
CHUNK = 500
RECOMMENDED = 3
# Courses considered for recommendations: the most enrolled-in of the last year.
CANDIDATES = 60
POPULAR_DAYS = 365


@dataclass
class ReminderResult:
    """What a run did: sent now, sent before in this period, skipped for want of an
    email address, failed (tried again next run)."""

    sent: int = 0
    already: int = 0
    no_email: int = 0
    failed: int = 0
    period: str = ""
    off_season: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent, "already": self.already, "no_email": self.no_email,
            "failed": self.failed, "period": self.period, "off_season": self.off_season,
        }  # fmt: skip


# --- Sending once -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str = ""


def site_url(path: str = "") -> str:
    """An absolute address for a link in an email (emails have no request to ask)."""
    base = (settings.SINAU_PUBLIC_URL or settings.WAGTAILADMIN_BASE_URL).rstrip("/")
    return f"{base}{path}"


def page_url(page: Any) -> str:
    """A page's absolute address on the public site (Wagtail gives a relative one when
    there is a single site)."""
    url = page.get_url() or "/"
    return url if url.startswith(("http://", "https://")) else site_url(url)


def render_message(template: str, subject: str, context: dict[str, Any]) -> Message:
    """The text body (``<template>.txt``) and, if there is one, the HTML body."""
    context = {**context, "PEMDA_NAME": settings.SINAU_PEMDA_NAME, "site_url": site_url()}
    text = render_to_string(f"reports/email/{template}.txt", context)
    html = render_to_string(f"reports/email/{template}.html", context)
    return Message(subject=subject, text=text, html=html)


def send_once(
    *,
    kind: str,
    employee: Employee,
    period: str,
    subject_id: int = 0,
    build: Callable[[], Message],
    result: ReminderResult,
) -> bool:
    """Record the reminder, then send it, in one transaction: a second run (or a
    concurrent worker) meets the unique constraint and skips it; a failed send undoes the
    record so the next run tries again. True when it was sent now."""
    if not employee.email:
        result.no_email += 1
        return False
    try:
        with transaction.atomic():
            ReminderSent.objects.create(
                kind=kind, employee=employee, period=period, subject_id=subject_id
            )
            message = build()
            mail = EmailMultiAlternatives(
                subject=message.subject,
                body=message.text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[employee.email],
            )
            if message.html:
                mail.attach_alternative(message.html, "text/html")
            mail.send()
    except IntegrityError:
        result.already += 1
        return False
    except Exception:
        # SMTP refused or was away: nothing recorded, the next run tries again.
        logger.exception(
            "reminder not sent", extra={"kind": kind, "employee_id": employee.pk, "period": period}
        )
        result.failed += 1
        return False
    result.sent += 1
    return True


def _sent(kind: str, period: str, subject: Any = 0) -> Exists:
    return Exists(
        ReminderSent.objects.filter(
            kind=kind, period=period, employee_id=OuterRef("pk"), subject_id=subject
        )
    )


def _chunks(qs: QuerySet[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """Rows a chunk at a time by primary key (keyset): rows sent meanwhile drop out of
    the query without shifting the next chunk."""
    last = 0
    while True:
        batch = list(qs.filter(pk__gt=last).order_by("pk")[:size])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


# --- JP shortfall -------------------------------------------------------------------------------


def targets_for(year: int) -> dict[str, JPRule]:
    return {t: jp_target_for(employment_type=t, year=year) for t in EmploymentType.values}


def _short_q(rules: dict[str, JPRule], total: str) -> Q:
    short = Q(pk__in=[])
    for employment_type, rule in rules.items():
        if rule.minimum > 0:
            short |= Q(employment_type=employment_type, **{f"{total}__lt": rule.minimum})
    return short


def short_of_target(*, year: int, rules: dict[str, JPRule] | None = None) -> QuerySet[Employee]:
    """Active employees whose year total (the aggregate, never the ledger) is below the
    minimum for their employment type, annotated with ``jp_total``."""
    rules = rules or targets_for(year)
    total = Subquery(
        JPYearTotal.objects.filter(employee_id=OuterRef("pk"), year=year).values("total")[:1]
    )
    return (
        Employee.objects.active()
        .annotate(
            jp_total=Coalesce(
                total,
                Value(Decimal("0")),
                output_field=DecimalField(max_digits=8, decimal_places=2),
            )
        )
        .filter(_short_q(rules, "jp_total"))
        .select_related("org_unit")
    )


@dataclass
class Candidate:
    course: CoursePage
    url: str
    unit_paths: tuple[str, ...] = ()
    jabatan_kinds: tuple[str, ...] = ()

    def suits(self, employee: Employee) -> bool:
        """The course's audience (empty means everyone) includes the employee."""
        if self.jabatan_kinds and employee.jabatan_kind not in self.jabatan_kinds:
            return False
        if self.unit_paths:
            path = employee.org_unit.path if employee.org_unit else ""
            return any(path.startswith(p) for p in self.unit_paths)
        return True


def recommendation_candidates(*, now: dt.datetime | None = None) -> list[Candidate]:
    """Live, public courses one can enrol in today (self-enrolment, window open, seats
    left), the most enrolled-in over the last year first. Competency gaps (AKPK) would
    rank them better; until they are recorded, popularity does. Three queries."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=POPULAR_DAYS)
    courses = (
        CoursePage.objects.live()
        .public()
        .exclude(enrolment_policy=EnrolmentPolicy.ASSIGNED)
        .filter(Q(enrolment_opens__isnull=True) | Q(enrolment_opens__lte=now))
        .filter(Q(enrolment_closes__isnull=True) | Q(enrolment_closes__gt=now))
        .annotate(
            popularity=Count("enrolments", filter=Q(enrolments__created_at__gte=since)),
            seats_taken=Count(
                "enrolments", filter=Q(enrolments__status__in=Enrolment.SEAT_STATUSES)
            ),
        )
        .order_by("-popularity", "title", "pk")
        .prefetch_related("target_org_units")
    )
    found: list[Candidate] = []
    for course in courses[: CANDIDATES * 2]:
        if course.capacity is not None and course.seats_taken >= course.capacity:
            continue
        found.append(
            Candidate(
                course=course,
                url=page_url(course),
                unit_paths=tuple(u.path for u in course.target_org_units.all()),
                jabatan_kinds=tuple(course.target_jabatan_kinds or ()),
            )
        )
        if len(found) >= CANDIDATES:
            break
    return found


def recommend(
    employee: Employee, candidates: Sequence[Candidate], taken: set[int]
) -> list[Candidate]:
    """Up to three courses for the employee: not completed nor being taken by them,
    meant for them first, then the most popular of the rest."""
    free = [c for c in candidates if c.course.pk not in taken]
    meant = [c for c in free if c.suits(employee) and (c.unit_paths or c.jabatan_kinds)]
    rest = [c for c in free if c.suits(employee) and c not in meant]
    return (meant + rest)[:RECOMMENDED]


def jp_shortfall_reminders(*, today: dt.date | None = None) -> ReminderResult:
    """The monthly reminder to employees short of their JP target, from the configured
    month to the end of the year."""
    today = today or timezone.localdate()
    result = ReminderResult(period=f"{today.year}-{today.month:02d}")
    if today.month < settings.SINAU_REMINDER_JP_FROM_MONTH:
        result.off_season = True
        return result
    year = today.year
    rules = targets_for(year)
    employees = short_of_target(year=year, rules=rules).filter(
        ~_sent(Kind.JP_SHORTFALL, result.period)
    )
    candidates = recommendation_candidates()
    year_end = dt.date(year, 12, 31)
    with translation.override(settings.LANGUAGE_CODE):
        for batch in _chunks(employees):
            taken: dict[int, set[int]] = {}
            if candidates:
                rows = Enrolment.objects.filter(
                    employee_id__in=[e.pk for e in batch],
                    course_id__in=[c.course.pk for c in candidates],
                    status__in=[*Enrolment.OPEN_STATUSES, Enrolment.Status.COMPLETED],
                ).values_list("employee_id", "course_id")
                for employee_id, course_id in rows:
                    taken.setdefault(employee_id, set()).add(course_id)
            for employee in batch:
                target = rules[employee.employment_type].minimum
                context = {
                    "employee": employee,
                    "year": year,
                    "jp": employee.jp_total,
                    "target": target,
                    "shortfall": target - employee.jp_total,
                    "days_left": (year_end - today).days,
                    "courses": recommend(employee, candidates, taken.get(employee.pk, set())),
                    "record_url": site_url(reverse("learning:competency_record")),
                    "external_url": site_url(reverse("learning:external_create")),
                }
                subject = _("Pengingat JP %(year)s: kurang %(short)s JP") % {
                    "year": year,
                    "short": _jp(context["shortfall"]),
                }
                send_once(
                    kind=Kind.JP_SHORTFALL, employee=employee, period=result.period,
                    build=partial(render_message, "jp_shortfall", subject, context),
                    result=result,
                )  # fmt: skip
    logger.info("jp shortfall reminders", extra=result.as_dict())
    return result


def _jp(value: Decimal) -> str:
    from lms.learning.templatetags.learning_tags import jp

    return jp(value)


# --- OPD admins' weekly summary ---------------------------------------------------------------


@dataclass
class OpdSummary:
    unit: OrgUnit
    year: int
    employees: int = 0
    compliant: int = 0
    jp_sum: Decimal = Decimal("0")
    external_pending: int = 0
    mentoring_pending: int = 0
    approvals_pending: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.compliant / self.employees) if self.employees else 0

    @property
    def mean_jp(self) -> Decimal:
        if not self.employees:
            return Decimal("0")
        return (self.jp_sum / self.employees).quantize(Decimal("0.01"))

    @property
    def short(self) -> int:
        return self.employees - self.compliant

    @property
    def pending(self) -> int:
        return self.external_pending + self.mentoring_pending + self.approvals_pending


def opd_summary(*, unit: OrgUnit, year: int, rules: dict[str, JPRule]) -> OpdSummary:
    """One unit subtree's compliance from the yearly aggregates, and what waits for its
    admin; four queries."""
    met = Q(pk__in=[])
    for employment_type, rule in rules.items():
        if rule.minimum > 0:
            met |= Q(employment_type=employment_type, year_total__total__gte=rule.minimum)
        else:
            met |= Q(employment_type=employment_type)
    figures = (
        Employee.objects.active()
        .filter(unit.subtree_filter("org_unit__"))
        .annotate(
            year_total=FilteredRelation("jp_years", condition=Q(jp_years__year=year)),
        )
        .aggregate(
            employees=Count("pk"),
            compliant=Count("pk", filter=met),
            jp_sum=Sum("year_total__total"),
        )
    )
    in_unit = unit.subtree_filter("employee__org_unit__")
    return OpdSummary(
        unit=unit,
        year=year,
        employees=figures["employees"],
        compliant=figures["compliant"],
        jp_sum=figures["jp_sum"] or Decimal("0"),
        external_pending=ExternalTraining.objects.filter(
            in_unit, status=ExternalTraining.Status.SUBMITTED
        ).count(),
        mentoring_pending=MentoringAssignment.objects.filter(
            unit.subtree_filter("mentee__org_unit__"),
            status=MentoringAssignment.Status.SIGNED_OFF,
        ).count(),
        approvals_pending=Enrolment.objects.filter(
            in_unit, status=Enrolment.Status.PENDING
        ).count(),
    )


def _opd_message(
    *,
    admin: Employee,
    unit: OrgUnit,
    today: dt.date,
    rules: dict[str, JPRule],
    links: dict[str, str],
) -> Message:
    summary = opd_summary(unit=unit, year=today.year, rules=rules)
    return render_message(
        "opd_summary",
        _("Ringkasan mingguan %(unit)s: %(percent)s%% memenuhi target JP")
        % {"unit": unit.name, "percent": summary.percent},
        {"employee": admin, "summary": summary, "today": today, **links},
    )


def week_period(day: dt.date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def opd_summary_reminders(*, today: dt.date | None = None) -> ReminderResult:
    """The weekly summary to every OPD admin, one per unit they administer."""
    today = today or timezone.localdate()
    result = ReminderResult(period=week_period(today))
    rules = targets_for(today.year)
    sent = set(
        ReminderSent.objects.filter(kind=Kind.OPD_SUMMARY, period=result.period).values_list(
            "employee_id", "subject_id"
        )
    )
    assignments = (
        RoleAssignment.objects.filter(
            role=Role.OPD_ADMIN, org_unit__isnull=False, employee__is_active=True
        )
        .select_related("employee", "org_unit")
        .order_by("pk")
    )
    links = {
        "external_url": site_url(reverse("learning:external_queue")),
        "mentoring_url": site_url(reverse("learning:mentoring_list") + "?status=signed_off"),
        "approvals_url": site_url(reverse("learning:approvals")),
        "manage_url": site_url(reverse("learning:manage")),
    }
    with translation.override(settings.LANGUAGE_CODE):
        for assignment in assignments:
            admin, unit = assignment.employee, assignment.org_unit
            assert unit is not None  # filtered above; for the type checker
            if (admin.pk, unit.pk) in sent:
                result.already += 1
                continue
            if not admin.email:
                result.no_email += 1
                continue
            build = partial(
                _opd_message, admin=admin, unit=unit, today=today, rules=rules, links=links
            )
            send_once(
                kind=Kind.OPD_SUMMARY, employee=admin, period=result.period,
                subject_id=unit.pk, build=build, result=result,
            )  # fmt: skip
    logger.info("opd summary reminders", extra=result.as_dict())
    return result


# --- Due dates of assigned courses ---------------------------------------------------------


def due_thresholds() -> list[int]:
    """Days before the due date a reminder goes out, largest first (default 7 and 1)."""
    days = sorted({int(d) for d in settings.SINAU_REMINDER_DUE_DAYS if int(d) >= 0}, reverse=True)
    return days or [1]


def due_threshold(days_left: int, thresholds: Sequence[int]) -> int | None:
    """The reminder a due date this many days away calls for: the smallest threshold at or
    above it (5 days left: the 7-day one; a course assigned 2 days before its due date
    gets only the 1-day one when that comes), None when none is due yet."""
    fitting = [d for d in thresholds if d >= days_left]
    return min(fitting) if fitting else None


def due_period(due: dt.date, threshold: int) -> str:
    """Per due date and threshold: a due date moved later reminds again."""
    return f"{due:%Y%m%d}-h{threshold}"


def due_date_reminders(*, today: dt.date | None = None) -> ReminderResult:
    """Learners with an active enrolment due within the largest threshold, not completed,
    hear about it once per threshold."""
    today = today or timezone.localdate()
    thresholds = due_thresholds()
    result = ReminderResult(period=today.isoformat())
    enrolments = Enrolment.objects.filter(
        status=Enrolment.Status.ACTIVE,
        due_date__gte=today,
        due_date__lte=today + dt.timedelta(days=max(thresholds)),
        employee__is_active=True,
    ).select_related("employee", "course")
    course_urls: dict[int, str] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for batch in _chunks(enrolments):
            sent = set(
                ReminderSent.objects.filter(
                    kind=Kind.DUE_DATE, subject_id__in=[e.pk for e in batch]
                ).values_list("subject_id", "period")
            )
            for enrolment in batch:
                assert enrolment.due_date is not None  # filtered above
                days_left = (enrolment.due_date - today).days
                threshold = due_threshold(days_left, thresholds)
                if threshold is None:
                    continue
                period = due_period(enrolment.due_date, threshold)
                if (enrolment.pk, period) in sent:
                    result.already += 1
                    continue
                course = enrolment.course
                if course.pk not in course_urls:
                    course_urls[course.pk] = page_url(course)
                context = {
                    "employee": enrolment.employee,
                    "course": course,
                    "course_url": course_urls[course.pk],
                    "due": enrolment.due_date,
                    "days_left": days_left,
                    "dashboard_url": site_url(reverse("learning:dashboard")),
                }
                if days_left == 0:
                    subject = _("Hari ini tenggat kursus %(course)s") % {"course": course.title}
                else:
                    subject = _("Tenggat kursus %(course)s: %(days)d hari lagi") % {
                        "course": course.title,
                        "days": days_left,
                    }
                send_once(
                    kind=Kind.DUE_DATE, employee=enrolment.employee, period=period,
                    subject_id=enrolment.pk,
                    build=partial(render_message, "due_date", subject, context),
                    result=result,
                )  # fmt: skip
    logger.info("due date reminders", extra=result.as_dict())
    return result
