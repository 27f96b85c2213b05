"""Read queries for cohorts, sessions and attendance."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from lms.learning.models import Enrolment

from .models import Attendance, Session


@dataclass(frozen=True)
class AttendanceShare:
    attended: int
    total: int

    @property
    def percent(self) -> int:
        """Whole percent, rounded down: 79.9% does not meet an 80% minimum."""
        return 100 * self.attended // self.total if self.total else 0


def attendance_share(*, enrolment: Enrolment) -> AttendanceShare:
    """Of the angkatan's sessions (cancelled ones aside), how many this participant
    attended, counting only attendance lists the instructor has signed off. One query."""
    if enrolment.cohort_id is None:
        return AttendanceShare(0, 0)
    counts = Session.objects.filter(
        cohort_id=enrolment.cohort_id, cancelled_at__isnull=True
    ).aggregate(
        total=Count("pk", distinct=True),
        attended=Count(
            "attendances",
            filter=Q(
                signed_off_at__isnull=False,
                attendances__employee_id=enrolment.employee_id,
                attendances__status__in=Attendance.ATTENDED,
            ),
        ),
    )
    return AttendanceShare(attended=counts["attended"], total=counts["total"])
