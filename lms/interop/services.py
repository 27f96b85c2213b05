"""Writing to the outbox (inside the caller's transaction) and delivering from it.

A message exists if and only if the change it reports committed: ``outbox_put`` runs in
the caller's transaction, and the delivery task is queued on commit. Delivery locks one
due message at a time (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL), hands it to
the receiver and marks it sent in the same transaction, so two deliverers never send one
message twice; a failure schedules the next try with capped exponential backoff and
jitter. A crash between the receiver's answer and the commit re-sends the message: the
receivers are idempotent by key (xAPI statement id; the drop file's name).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.core.audit import audit_record
from lms.people.selectors import scope_for

from . import selectors, xapi
from .adapters import PublishError, hr_publisher
from .models import OutboxMessage

if TYPE_CHECKING:
    from courses.models import ModulePage
    from lms.assessments.models import Attempt
    from lms.learning.models import Enrolment, JPEntry
    from lms.people.models import Employee

logger = logging.getLogger(__name__)


def outbox_put(
    *, kind: str, payload: dict[str, Any], dedupe_key: str, destination: str = "", kick: bool = True
) -> None:
    """Write a message in the caller's transaction (one INSERT; a key already there is
    left as it is) and, unless ``kick`` is false, queue its delivery for after the
    commit; the beat sweep delivers whatever is due either way."""
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(kind=kind, destination=destination, payload=payload, dedupe_key=dedupe_key)],
        ignore_conflicts=True,
    )
    if not kick:
        return  # the beat sweep (every minute) delivers it
    # Robust: a broker that is down must not undo the business change; the sweep delivers.
    transaction.on_commit(deliver_soon, robust=True)


def deliver_soon() -> None:
    """Queue one delivery run on the outbox's queue (read now: a deployment, or a test,
    may give the outbox a queue of its own)."""
    from .tasks import deliver  # tasks import this module

    deliver.apply_async(queue=settings.SINAU_OUTBOX_QUEUE)


# --- What goes in ------------------------------------------------------------------------


def hr_credit_payload(entry: JPEntry) -> dict[str, Any]:
    """What an HR system needs of one ledger entry (hours as a decimal string)."""
    nip = _nip(entry.employee_id)
    jenis_code = entry.jenis.code if entry.jenis is not None else None  # cached by jp_credit
    return {
        "entry_id": entry.pk, "nip": nip, "year": entry.year,
        "jp": str(Decimal(entry.jp).quantize(Decimal("0.01"))),
        "competency_type": entry.competency_type, "form": entry.form,
        "jenis_diklat": jenis_code, "source_type": entry.source_type,
        "source_id": entry.source_id, "earned_on": entry.earned_on.isoformat(),
        "reverses": entry.reverses_id,
    }  # fmt: skip


def hr_credit_put(*, entry: JPEntry) -> None:
    """HR systems take batches: the beat sweep delivers these within a minute, so a credit
    adds no on-commit callback of its own to the completion's transaction."""
    if not settings.SINAU_HR_OUTBOX:
        return
    outbox_put(
        kind=OutboxMessage.Kind.HR_CREDIT, payload=hr_credit_payload(entry),
        dedupe_key=f"jp:{entry.pk}", destination=settings.SINAU_HR_PUBLISHER, kick=False,
    )  # fmt: skip


# xAPI statements: one outbox message per learning event, keyed by the event (not by the
# statement's random id), so the same event reported twice writes one statement.


def _put_statement(stmt: dict[str, Any], *, event: str) -> None:
    outbox_put(
        kind=OutboxMessage.Kind.XAPI, payload=stmt, dedupe_key=f"xapi:{event}",
        destination=settings.SINAU_XAPI_LRS_URL,
    )  # fmt: skip


def _nip(employee_id: int) -> str:
    from lms.people.models import Employee

    return str(Employee.objects.values_list("nip", flat=True).get(pk=employee_id))


def _page_iri(page: Any, fallback: str) -> str:
    # The page's public address is the activity's id, as the learner's browser saw it.
    return _absolute(page.get_url() or fallback)


def _course_iri(course: Any) -> str:
    return _page_iri(course, f"/kursus/{course.pk}/")


def xapi_module_launched(*, enrolment: Enrolment, module: ModulePage, at: dt.datetime) -> None:
    """``launched`` the module: called where the first visit in an enrolment is recorded
    (the module's progress row is made), so a page view adds no write of its own."""
    if not xapi.enabled():
        return
    course = enrolment.course
    _put_statement(
        xapi.module_launched(
            nip=_nip(enrolment.employee_id), module_url=_page_iri(module, f"/modul/{module.pk}/"),
            title=module.title, course_url=_course_iri(course), launched_at=at,
            registration=xapi.registration_for(enrolment.pk),
        ),
        event=f"launched:{enrolment.pk}:{module.pk}",
    )  # fmt: skip


def xapi_module_completed(*, enrolment: Enrolment, module: ModulePage, at: dt.datetime) -> None:
    """``progressed`` in the course, with its new percentage: called where a module's
    completion is recorded (once per enrolment and module), never per video heartbeat."""
    if not xapi.enabled():
        return
    course = enrolment.course
    _put_statement(
        xapi.course_progressed(
            nip=_nip(enrolment.employee_id), course_url=_course_iri(course), title=course.title,
            percent=selectors.course_percent(enrolment=enrolment),
            module_url=_page_iri(module, f"/modul/{module.pk}/"), progressed_at=at,
            registration=xapi.registration_for(enrolment.pk),
        ),
        event=f"progressed:{enrolment.pk}:{module.pk}",
    )  # fmt: skip


def xapi_course_completed(*, enrolment: Enrolment) -> None:
    """A ``completed`` statement for the course (nothing when no LRS is configured)."""
    if not xapi.enabled():
        return
    from courses.models import CoursePage

    course = CoursePage.objects.get(pk=enrolment.course_id)
    _put_statement(
        xapi.course_completed(
            nip=_nip(enrolment.employee_id), course_id=course.pk, course_url=_course_iri(course),
            title=course.title, completed_at=enrolment.completed_at or timezone.now(),
            registration=xapi.registration_for(enrolment.pk),
        ),
        event=f"completed:{enrolment.pk}",
    )  # fmt: skip


def xapi_attempt_graded(*, attempt: Attempt) -> None:
    """One statement per graded attempt (nothing without an LRS): ``passed`` or ``failed``
    with the score where the pass mark is a verdict (a graded quiz, a post-test); ``scored``
    where it is not (practice, pre-test), so a pre-test taken before the course is never
    reported as a failure. The courses using the quiz are its parents."""
    if not xapi.enabled() or attempt.score is None:
        return
    from lms.assessments.models import Quiz
    from lms.assessments.selectors import quiz_uses

    quiz = attempt.quiz
    employee = attempt.employee
    uses = quiz_uses(employee=employee, quiz=quiz)
    verdict = quiz.kind in (Quiz.Kind.GRADED, Quiz.Kind.POST_TEST)
    _put_statement(
        xapi.attempt_graded(
            nip=employee.nip, quiz_url=_absolute(reverse("assessments:quiz", args=[quiz.pk])),
            title=quiz.title, passed=attempt.score >= quiz.pass_mark if verdict else None,
            score_percent=Decimal(attempt.score), marks=Decimal(attempt.marks or 0),
            max_marks=Decimal(attempt.max_marks), finished_at=attempt.finished_at or timezone.now(),
            course_urls=[_course_iri(use.course) for use in uses],
            # One enrolment's attempt only when one course uses the quiz.
            registration=xapi.registration_for(uses[0].enrolment_id) if len(uses) == 1 else None,
        ),
        event=f"graded:{attempt.pk}",
    )  # fmt: skip


def _absolute(path: str) -> str:
    return path if "://" in path else f"{xapi.public_base()}{path}"


# --- Delivery ------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int) -> dt.timedelta:
    """Capped exponential backoff with full jitter in its upper half."""
    base, cap = settings.SINAU_OUTBOX_BACKOFF_BASE, settings.SINAU_OUTBOX_BACKOFF_MAX
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return dt.timedelta(seconds=delay * random.uniform(0.5, 1.0))  # noqa: S311 - jitter


def _send(message: OutboxMessage) -> None:
    if message.kind == OutboxMessage.Kind.XAPI:
        xapi.send(message.payload)
    elif message.kind == OutboxMessage.Kind.HR_CREDIT:
        hr_publisher().publish(message)
    else:
        raise xapi.PermanentError(f"unknown kind {message.kind!r}")


def _due(now: dt.datetime) -> Any:
    return OutboxMessage.objects.filter(
        status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now
    ).order_by("next_attempt_at", "pk")


def outbox_deliver_due(*, now: dt.datetime | None = None, limit: int = 200) -> DeliveryReport:
    """Deliver the messages that are due, one locked row at a time; a row another
    deliverer holds is skipped, not waited for."""
    report = DeliveryReport()
    for _round in range(limit):
        moment = now or timezone.now()
        with transaction.atomic():
            message = _due(moment).select_for_update(skip_locked=True).first()
            if message is None:
                break
            outcome = _deliver_one(message, moment)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _deliver_one(message: OutboxMessage, now: dt.datetime) -> str:
    message.attempts += 1
    try:
        _send(message)
    except (xapi.TransientError, PublishError) as exc:
        message.last_error = str(exc)[:2000]
        if message.attempts >= settings.SINAU_OUTBOX_MAX_ATTEMPTS:
            message.status = OutboxMessage.Status.FAILED
            outcome = "failed"
        else:
            message.next_attempt_at = now + backoff(message.attempts)
            outcome = "retried"
        logger.warning(
            "outbox delivery failed", extra={"message_id": message.pk, "error": str(exc)}
        )
    except xapi.PermanentError as exc:
        message.last_error = str(exc)[:2000]
        message.status = OutboxMessage.Status.FAILED
        outcome = "failed"
        logger.error("outbox message refused", extra={"message_id": message.pk, "error": str(exc)})
    else:
        message.status = OutboxMessage.Status.SENT
        message.sent_at = timezone.now()
        message.last_error = ""
        outcome = "sent"
    message.save(update_fields=["attempts", "status", "next_attempt_at", "last_error", "sent_at"])
    return outcome


# --- BKPSDM's hand on the outbox ------------------------------------------------------------


def outbox_requeue(*, actor: Employee, message: OutboxMessage, reason: str = "") -> OutboxMessage:
    """Send a failed message again: pending, due now, with a fresh budget of attempts (the
    receiver is fixed, or it has come back after the last try), and a delivery queued once
    this commits. The audit entry keeps what the message had been through."""
    scope = scope_for(actor)
    if not (scope.everything and scope.can_change):
        raise PermissionDenied(_("Pesan keluar dikirim ulang oleh admin BKPSDM."))
    with transaction.atomic():
        locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if locked.status != OutboxMessage.Status.FAILED:
            raise ValidationError(_("Hanya pesan yang gagal yang dapat dikirim ulang."))
        before = {"attempts": locked.attempts, "last_error": locked.last_error}
        locked.status = OutboxMessage.Status.PENDING
        locked.attempts = 0
        locked.next_attempt_at = timezone.now()
        locked.full_clean()
        locked.save(update_fields=["status", "attempts", "next_attempt_at"])
        audit_record(
            actor=actor, action="sinau.outbox.requeue", instance=locked,
            reason=reason.strip()[:500], data=before,
        )  # fmt: skip
        transaction.on_commit(deliver_soon, robust=True)
    return locked
