"""No learner is ever enrolled twice, and capacity holds, under real concurrency."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from courses.models import CoursePage
from lms.learning import services
from lms.learning.models import Enrolment
from tests.conftest import ensure_wagtail_root
from tests.factories import EmployeeFactory
from tests.support import at_once


def test_the_database_refuses_a_second_open_enrolment(
    pemda: dict[str, Any], open_course: CoursePage
) -> None:
    Enrolment.objects.create(employee=pemda["learner"], course=open_course, source="self")
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.create(employee=pemda["learner"], course=open_course, source="self")
    # History is not an open enrolment: a withdrawn one beside an active one is fine.
    Enrolment.objects.create(
        employee=pemda["learner"], course=open_course, source="self", status="withdrawn"
    )


@pytest.fixture
def pg_course(transactional_db: None) -> CoursePage:
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (set DATABASE_URL)")
    from courses.demo import seed_demo_catalogue

    ensure_wagtail_root()
    return seed_demo_catalogue()


@pytest.mark.postgres
def test_twenty_simultaneous_enrolments_of_one_learner_make_one(pg_course: CoursePage) -> None:
    learner = EmployeeFactory.create()
    results, failures = at_once(
        20, lambda _i: services.enrolment_request(actor=learner, course=pg_course).pk
    )
    assert not failures, failures
    assert len(set(results)) == 1
    assert Enrolment.objects.filter(employee=learner, course=pg_course).count() == 1


@pytest.mark.postgres
def test_capacity_holds_when_many_enrol_at_once(pg_course: CoursePage) -> None:
    pg_course.capacity = 5
    pg_course.save()
    learners = [EmployeeFactory.create() for _ in range(12)]
    results, failures = at_once(
        12, lambda i: services.enrolment_request(actor=learners[i], course=pg_course).pk
    )
    assert len(results) == 5
    assert len(failures) == 7
    assert all("penuh" in str(f) for f in failures)
    assert Enrolment.objects.filter(course=pg_course).count() == 5
