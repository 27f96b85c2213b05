"""What a course builds, in the dictionary's terms: the "Kompetensi (kamus)" inline panel of
the course editor. Posted through the real Wagtail edit view, as the browser sends it."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.utils.html import escape
from wagtail.models import Page

from courses.authoring import authoring_setup, course_instructors_sync
from courses.models import CoursePage
from lms.planning.models import Competency, CourseCompetency
from tests.courses.test_authoring import edit_url, editor_form, login, make_instructor

PREFIX = "competency_levels"


def with_levels(data: dict[str, list[str]], *levels: tuple[Competency, int]) -> dict[str, Any]:
    """The editor's own fields plus the inline rows, numbered as the panel's JavaScript
    numbers the rows it adds."""
    posted: dict[str, Any] = {
        name: values for name, values in data.items() if not name.startswith(f"{PREFIX}-")
    }
    posted.update(
        {
            f"{PREFIX}-TOTAL_FORMS": [str(len(levels))],
            f"{PREFIX}-INITIAL_FORMS": ["0"],
            f"{PREFIX}-MIN_NUM_FORMS": ["0"],
            f"{PREFIX}-MAX_NUM_FORMS": ["1000"],
        }
    )
    for index, (competency, level) in enumerate(levels):
        posted.update(
            {
                f"{PREFIX}-{index}-id": [""],
                f"{PREFIX}-{index}-competency": [str(competency.pk)],
                f"{PREFIX}-{index}-level": [str(level)],
                f"{PREFIX}-{index}-ORDER": [str(index + 1)],
                f"{PREFIX}-{index}-DELETE": [""],
            }
        )
    return posted


def latest(course: CoursePage) -> Any:
    return Page.objects.get(pk=course.pk).specific.get_latest_revision_as_object()


@pytest.fixture
def course(course_with: Any, pemda: dict[str, Any]) -> CoursePage:
    authoring_setup()
    return course_with(title="Pengelolaan Keuangan Daerah")


def test_editor_lists_the_dictionary_in_the_inline_panel(
    course: CoursePage, pemda: dict[str, Any], dictionary: dict[str, Competency]
) -> None:
    response = login(pemda["superuser"]).get(edit_url(course))
    assert response.status_code == 200
    html = BeautifulSoup(response.content, "html.parser")
    assert html.find("input", attrs={"name": f"{PREFIX}-TOTAL_FORMS"}) is not None
    assert "TEK-01 Pengelolaan keuangan daerah" in response.content.decode()


def test_bkpsdm_publishes_a_course_with_two_competency_levels(
    course: CoursePage, pemda: dict[str, Any], dictionary: dict[str, Competency]
) -> None:
    client = login(pemda["superuser"])
    data = editor_form(client, edit_url(course))
    posted = with_levels(data, (dictionary["TEK-01"], 3), (dictionary["MAN-01"], 2))
    response = client.post(edit_url(course), {**posted, "action-publish": "action-publish"})
    assert response.status_code == 302

    rows = CourseCompetency.objects.filter(course=course).order_by("sort_order")
    assert [(r.competency.code, r.level) for r in rows] == [("TEK-01", 3), ("MAN-01", 2)]

    # Editing again keeps the rows (the formset sends their ids back) and may change a level.
    data = editor_form(client, edit_url(course))
    assert data[f"{PREFIX}-TOTAL_FORMS"] == ["2"]
    level_field = next(
        name
        for name, values in data.items()
        if name.endswith("-level") and values == ["2"] and "__prefix__" not in name
    )
    data[level_field] = ["4"]
    response = client.post(edit_url(course), {**data, "action-publish": "action-publish"})
    assert response.status_code == 302
    rows = CourseCompetency.objects.filter(course=course).order_by("sort_order")
    assert [(r.competency.code, r.level) for r in rows] == [("TEK-01", 3), ("MAN-01", 4)]


def test_instructor_saves_competency_levels_as_a_draft(
    course: CoursePage, pemda: dict[str, Any], dictionary: dict[str, Competency]
) -> None:
    ani = make_instructor("Ani Widyaiswara")
    course.instructors.set([ani])
    course.save_revision().publish()
    course_instructors_sync(course)
    client = login(ani)
    data = editor_form(client, edit_url(course))
    posted = with_levels(data, (dictionary["TEK-02"], 4), (dictionary["SK-01"], 2))
    assert client.post(edit_url(course), posted).status_code == 302

    draft = latest(course)
    assert [(r.competency.code, r.level) for r in draft.competency_levels.all()] == [
        ("TEK-02", 4),
        ("SK-01", 2),
    ]
    # A draft: what learners and recommendations read is unchanged until BKPSDM approves.
    assert not CourseCompetency.objects.filter(course=course).exists()


def test_one_competency_twice_on_a_course_is_refused_with_a_message(
    course: CoursePage, pemda: dict[str, Any], dictionary: dict[str, Competency]
) -> None:
    client = login(pemda["superuser"])
    data = editor_form(client, edit_url(course))
    posted = with_levels(data, (dictionary["TEK-01"], 3), (dictionary["TEK-01"], 4))
    response = client.post(edit_url(course), {**posted, "action-publish": "action-publish"})

    assert response.status_code == 200  # the editor again, with the error, not a 500
    assert not CourseCompetency.objects.filter(course=course).exists()
    formset = response.context["form"].formsets[PREFIX]
    refusal = " ".join(formset.non_form_errors())
    assert refusal  # "Perbaiki data ganda ...": said on the panel, beside the two rows
    assert escape(refusal) in response.content.decode()
    assert client.get(edit_url(course)).status_code == 200


def test_a_level_outside_1_to_5_is_refused(
    course: CoursePage, pemda: dict[str, Any], dictionary: dict[str, Competency]
) -> None:
    client = login(pemda["superuser"])
    data = editor_form(client, edit_url(course))
    posted = with_levels(data, (dictionary["TEK-01"], 6))
    response = client.post(edit_url(course), {**posted, "action-publish": "action-publish"})
    assert response.status_code == 200
    assert not CourseCompetency.objects.filter(course=course).exists()
