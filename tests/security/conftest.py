from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lms.assessments.models import Quiz
from lms.videos.models import Video
from tests.assessments.conftest import bank, questions, quiz_with  # noqa: F401  (fixtures)
from tests.security.world import build_world


@pytest.fixture
def world(course_with: Callable[..., Any], quiz_with: Callable[..., Quiz]) -> dict[str, Any]:  # noqa: F811
    video = Video.objects.create(
        title="Kuliah Integritas", status=Video.Status.READY, duration_seconds=60.0,
        hls_prefix="videos/hls/0/siap/",
    )  # fmt: skip
    return build_world(course_with, quiz_with(), video)
