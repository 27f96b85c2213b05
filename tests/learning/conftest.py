from __future__ import annotations

from typing import Any

import pytest

from courses.models import CoursePage


@pytest.fixture
def courses(home: Any) -> dict[str, CoursePage]:
    """The demo catalogue: open, approval and assigned-only courses, three modules each."""
    return {c.slug: c for c in CoursePage.objects.all()}


@pytest.fixture
def open_course(courses: dict[str, CoursePage]) -> CoursePage:
    return courses["integritas-asn"]


@pytest.fixture
def approval_course(courses: dict[str, CoursePage]) -> CoursePage:
    return courses["pelayanan-publik-prima"]


@pytest.fixture
def assigned_course(courses: dict[str, CoursePage]) -> CoursePage:
    return courses["pengelolaan-keuangan-daerah"]
