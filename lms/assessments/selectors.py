from __future__ import annotations

from collections.abc import Iterable

from lms.people.models import Employee

from .models import QuizResult


def quizzes_passed(*, employee: Employee, quiz_ids: Iterable[int]) -> set[int]:
    """Of these quizzes, the ones the employee has a passing graded result for."""
    ids = set(quiz_ids)
    if not ids:
        return set()
    return set(
        QuizResult.objects.filter(employee=employee, quiz_id__in=ids, passed=True)
        .values_list("quiz_id", flat=True)
        .distinct()
    )
