"""Evaluation of angkatan, open sessions and instructors: who may answer, once only, what
is stored (nothing that names the participant), and what BKPSDM and the instructor see."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lms.classroom.evaluation import selectors, services
from lms.classroom.models import (
    Attendance,
    EvaluationAnswer,
    EvaluationReceipt,
    EvaluationResponse,
    Questionnaire,
    QuestionnaireItem,
)
from lms.learning.models import Enrolment
from lms.people.models import Employee
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

MINIMUM_NOTICE = "Hasil tampil setelah minimal 3 peserta mengisi"


def text_of(response: Any) -> str:
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())


def client_for(user: Employee) -> Client:
    client = Client()
    client.force_login(user)
    return client


def enrol(employee: Employee, cohort: Any, status: str = Enrolment.Status.ACTIVE) -> Enrolment:
    done = timezone.now() if status == Enrolment.Status.COMPLETED else None
    return Enrolment.objects.create(
        employee=employee, course=cohort.course, cohort=cohort,
        source=Enrolment.Source.SELF, status=status, completed_at=done,
    )  # fmt: skip


def attend(employee: Employee, session: Any, status: str = Attendance.Status.PRESENT) -> None:
    Attendance.objects.create(
        session=session, employee=employee, status=status,
        method=Attendance.Method.INSTRUCTOR, checked_in_at=session.starts_at,
    )  # fmt: skip


def answers_for(
    *, cohort: Any = None, session: Any = None, score: int = 4, comment: str = ""
) -> dict[str, str]:
    """Every question answered: each Likert item ``score``, each comment ``comment``."""
    questionnaire = services.questionnaire_for(cohort=cohort, session=session)
    form = selectors.evaluation_form(questionnaire=questionnaire, cohort=cohort, session=session)
    return {
        q.key: str(score) if q.item.kind == QuestionnaireItem.Kind.LIKERT else comment
        for q in form.questions
    }


def q2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture
def two_instructors(classroom: dict[str, Any]) -> dict[str, Any]:
    """Session 2 of the angkatan is taught by a guest: the angkatan has two instructors."""
    guest = EmployeeFactory.create(org_unit=classroom["opd_b"], full_name="Narasumber Tamu")
    session = classroom["sessions"][1]
    session.instructor = guest
    session.save()
    return {**classroom, "guest": guest}


# --- The form and the service -----------------------------------------------------------


def test_default_questionnaire_is_made_once_with_indonesian_items(db: None) -> None:
    first = services.default_questionnaire()
    second = services.default_questionnaire()
    assert first.pk == second.pk
    assert Questionnaire.objects.filter(is_default=True).count() == 1
    kinds = {(i.about, i.kind) for i in first.items.all()}
    assert kinds == {
        ("course", "likert"), ("course", "comment"), ("instructor", "likert"),
        ("instructor", "comment"),
    }  # fmt: skip
    assert "Penguasaan materi." in [i.text for i in first.items.all()]


def test_cohort_questionnaire_wins_over_the_default(classroom: dict[str, Any]) -> None:
    services.default_questionnaire()
    own = Questionnaire.objects.create(name="Kuesioner PKP")
    QuestionnaireItem.objects.create(
        questionnaire=own, about="course", kind="likert", text="Relevan?"
    )
    cohort = classroom["cohort"]
    cohort.questionnaire = own
    cohort.save()
    assert services.questionnaire_for(cohort=cohort) == own
    series = classroom["series"]
    series.questionnaire = own
    series.save()
    assert services.questionnaire_for(session=classroom["weekly"][0]) == own


def test_form_asks_course_items_once_and_instructor_items_per_instructor(
    two_instructors: dict[str, Any],
) -> None:
    cohort = two_instructors["cohort"]
    questionnaire = services.questionnaire_for(cohort=cohort)
    form = selectors.evaluation_form(questionnaire=questionnaire, cohort=cohort)
    about_course = questionnaire.items.filter(about="course").count()
    about_instructor = questionnaire.items.filter(about="instructor").count()
    assert len(form.course_questions) == about_course
    assert [p for p, _qs in form.instructor_sections] == sorted(
        [two_instructors["guest"], two_instructors["instructor"]], key=lambda e: e.full_name
    )
    assert all(len(qs) == about_instructor for _p, qs in form.instructor_sections)
    assert len({q.key for q in form.questions}) == len(form.questions)


def test_submit_stores_answers_once(two_instructors: dict[str, Any]) -> None:
    cohort, learner = two_instructors["cohort"], two_instructors["learner"]
    enrol(learner, cohort)
    answers = answers_for(cohort=cohort, score=5, comment="Sangat bermanfaat")
    response = services.evaluation_submit(actor=learner, cohort=cohort, answers=answers)
    assert response.cohort == cohort
    assert response.course_id == cohort.course_id
    assert response.year == cohort.starts_on.year
    assert response.answers.count() == len(answers)
    assert response.answers.filter(instructor=two_instructors["guest"]).exists()
    assert EvaluationReceipt.objects.filter(employee=learner, cohort=cohort).count() == 1
    with pytest.raises(ValidationError, match="Anda sudah mengisi evaluasi ini"):
        services.evaluation_submit(actor=learner, cohort=cohort, answers=answers)
    assert EvaluationResponse.objects.count() == 1


def test_required_items_enforced_and_nothing_saved(classroom: dict[str, Any]) -> None:
    cohort, learner = classroom["cohort"], classroom["learner"]
    enrol(learner, cohort)
    answers = answers_for(cohort=cohort)
    missing = next(k for k, v in answers.items() if v == "4")
    answers[missing] = ""
    with pytest.raises(ValidationError) as caught:
        services.evaluation_submit(actor=learner, cohort=cohort, answers=answers)
    assert caught.value.message_dict == {missing: ["Pilih nilai 1 sampai 5."]}
    answers[missing] = "9"
    with pytest.raises(ValidationError):
        services.evaluation_submit(actor=learner, cohort=cohort, answers=answers)
    assert not EvaluationReceipt.objects.exists()
    assert not EvaluationResponse.objects.exists()
    assert not EvaluationAnswer.objects.exists()


def test_optional_comment_may_stay_empty(classroom: dict[str, Any]) -> None:
    cohort, learner = classroom["cohort"], classroom["learner"]
    enrol(learner, cohort)
    response = services.evaluation_submit(
        actor=learner, cohort=cohort, answers=answers_for(cohort=cohort, comment="")
    )
    assert not response.answers.filter(item__kind="comment").exists()


def test_who_may_evaluate_a_cohort(classroom: dict[str, Any]) -> None:
    cohort = classroom["cohort"]
    staff = classroom["staff_a"]
    enrol(staff[0], cohort, Enrolment.Status.COMPLETED)
    enrol(staff[1], cohort, Enrolment.Status.PENDING)
    assert selectors.evaluation_refusal(employee=staff[0], cohort=cohort) == ""
    assert "hanya untuk peserta" in selectors.evaluation_refusal(employee=staff[1], cohort=cohort)
    assert "hanya untuk peserta" in selectors.evaluation_refusal(employee=staff[2], cohort=cohort)
    # Before its first session starts, the angkatan cannot be evaluated yet.
    for session in cohort.sessions.all():
        session.starts_at += dt.timedelta(days=10)
        session.ends_at += dt.timedelta(days=10)
        session.save()
    assert "setelah sesi pertamanya" in selectors.evaluation_refusal(
        employee=staff[0], cohort=cohort
    )
    with pytest.raises(PermissionDenied):
        services.evaluation_submit(
            actor=staff[0], cohort=cohort, answers=answers_for(cohort=cohort)
        )


def test_open_session_needs_attendance(classroom: dict[str, Any]) -> None:
    session = classroom["weekly"][0]
    staff = classroom["staff_a"]
    attend(staff[0], session, Attendance.Status.LATE)
    attend(staff[1], session, Attendance.Status.EXCUSED)
    response = services.evaluation_submit(
        actor=staff[0], session=session, answers=answers_for(session=session)
    )
    assert response.session == session
    assert response.course_id is None
    assert response.answers.filter(instructor=classroom["instructor"]).exists()
    with pytest.raises(PermissionDenied):
        services.evaluation_submit(
            actor=staff[1], session=session, answers=answers_for(session=session)
        )


# --- Anonymity --------------------------------------------------------------------------


def test_responses_and_answers_name_nobody() -> None:
    def person_fields(model: type[models.Model]) -> list[str]:
        return [
            f.name
            for f in model._meta.get_fields()
            if f.is_relation and f.related_model is Employee and f.concrete
        ]

    assert person_fields(EvaluationResponse) == []
    # The instructor on an answer is the one evaluated, never the one answering.
    assert person_fields(EvaluationAnswer) == ["instructor"]
    for model in (EvaluationResponse, EvaluationAnswer):
        kinds = {type(f) for f in model._meta.concrete_fields}
        assert not kinds & {models.DateTimeField, models.DateField, models.TimeField}
        assert isinstance(model._meta.pk, models.UUIDField)


def test_receipts_and_responses_cannot_be_paired_by_order(classroom: dict[str, Any]) -> None:
    cohort = classroom["cohort"]
    for person in classroom["staff_a"]:
        enrol(person, cohort)
        services.evaluation_submit(actor=person, cohort=cohort, answers=answers_for(cohort=cohort))
    keys = list(EvaluationResponse.objects.values_list("pk", flat=True))
    assert all(isinstance(k, uuid.UUID) and k.version == 4 for k in keys)
    answer_keys = list(EvaluationAnswer.objects.values_list("pk", flat=True))
    assert all(isinstance(k, uuid.UUID) and k.version == 4 for k in answer_keys)
    # A receipt holds who and the day, nothing that points at a response.
    receipt_fields = {f.name for f in EvaluationReceipt._meta.concrete_fields}
    assert receipt_fields == {"id", "employee", "cohort", "session", "submitted_on"}


def test_receipt_is_unique_in_the_database(classroom: dict[str, Any]) -> None:
    cohort, learner = classroom["cohort"], classroom["learner"]
    EvaluationReceipt.objects.create(
        employee=learner, cohort=cohort, submitted_on=timezone.localdate()
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        EvaluationReceipt.objects.create(
            employee=learner, cohort=cohort, submitted_on=timezone.localdate()
        )


# --- Learner pages ----------------------------------------------------------------------


def test_learner_fills_the_form_once(
    two_instructors: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    cohort, learner = two_instructors["cohort"], two_instructors["learner"]
    enrol(learner, cohort)
    url = reverse("classroom:evaluation_cohort", kwargs={"cohort_id": cohort.pk})
    client = client_for(learner)
    services.default_questionnaire()
    with django_assert_max_num_queries(14):
        page = client.get(url)
    assert page.status_code == 200
    text = text_of(page)
    assert "Instruktur: Narasumber Tamu" in text
    assert "Instruktur: Widyaiswara Utama" in text
    assert "Penguasaan materi." in text
    answers = answers_for(cohort=cohort, score=3, comment="Ruang terlalu dingin")
    with django_assert_max_num_queries(25):
        done = client.post(url, answers)
    assert done.status_code == 302
    done = client.get(done["Location"])
    assert "Terima kasih, evaluasi Anda tersimpan." in text_of(done)
    assert EvaluationResponse.objects.filter(cohort=cohort).count() == 1
    again = client.post(url, answers, follow=True)
    assert "Anda sudah mengisi evaluasi ini" in text_of(again)
    assert EvaluationResponse.objects.filter(cohort=cohort).count() == 1
    page = client.get(url)
    assert "Anda sudah mengisi evaluasi ini" in text_of(page)
    assert b'<form method="post" novalidate class="card evaluation-form"' not in page.content


def test_missing_required_answer_shows_a_message_and_saves_nothing(
    classroom: dict[str, Any],
) -> None:
    cohort, learner = classroom["cohort"], classroom["learner"]
    enrol(learner, cohort)
    answers = answers_for(cohort=cohort)
    missing = next(k for k, v in answers.items() if v == "4")
    del answers[missing]
    url = reverse("classroom:evaluation_cohort", kwargs={"cohort_id": cohort.pk})
    page = client_for(learner).post(url, answers)
    assert page.status_code == 200
    text = text_of(page)
    assert "Evaluasi belum tersimpan" in text
    assert "Pilih nilai 1 sampai 5." in text
    assert not EvaluationReceipt.objects.exists()
    assert not EvaluationResponse.objects.exists()


def test_non_participants_are_refused(classroom: dict[str, Any]) -> None:
    cohort = classroom["cohort"]
    other = classroom["staff_b"][0]
    client = client_for(other)
    cohort_url = reverse("classroom:evaluation_cohort", kwargs={"cohort_id": cohort.pk})
    assert client.get(cohort_url).status_code == 403
    assert client.post(cohort_url, answers_for(cohort=cohort)).status_code == 403
    open_session = classroom["weekly"][0]
    session_url = reverse("classroom:evaluation_session", kwargs={"session_id": open_session.pk})
    refused = client.get(session_url)
    assert refused.status_code == 403
    assert "hanya untuk peserta yang tercatat hadir" in text_of(refused)
    # A session of an angkatan is evaluated with its angkatan; unknown ids are 404.
    cohort_session = classroom["sessions"][0]
    assert (
        client.get(
            reverse("classroom:evaluation_session", kwargs={"session_id": cohort_session.pk})
        ).status_code
        == 404
    )
    assert (
        client.get(
            reverse("classroom:evaluation_cohort", kwargs={"cohort_id": cohort.pk + 999})
        ).status_code
        == 404
    )
    assert Client().get(cohort_url).status_code == 302  # to the login page
    assert not EvaluationResponse.objects.exists()


def test_open_session_page_for_attendee(
    classroom: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    session, learner = classroom["weekly"][0], classroom["learner"]
    attend(learner, session)
    url = reverse("classroom:evaluation_session", kwargs={"session_id": session.pk})
    client = client_for(learner)
    services.default_questionnaire()
    with django_assert_max_num_queries(14):
        page = client.get(url)
    assert page.status_code == 200
    assert "Tentang sesi ini" in text_of(page)
    client.post(url, answers_for(session=session))
    assert EvaluationReceipt.objects.filter(employee=learner, session=session).exists()


def test_evaluations_due(classroom: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    cohort, learner = classroom["cohort"], classroom["learner"]
    session = classroom["weekly"][0]
    enrol(learner, cohort)
    attend(learner, session)
    attend(learner, classroom["weekly"][1])  # a week ahead: not yet
    with django_assert_max_num_queries(2):
        due = selectors.evaluations_due(learner)
    assert {(d.kind, d.pk) for d in due} == {("cohort", cohort.pk), ("session", session.pk)}
    services.evaluation_submit(actor=learner, cohort=cohort, answers=answers_for(cohort=cohort))
    assert [(d.kind, d.pk) for d in selectors.evaluations_due(learner)] == [("session", session.pk)]
    assert selectors.evaluations_due(classroom["staff_b"][0]) == []
    # The dashboard include renders from the selector's list alone.
    rendered = render_to_string(
        "classroom/evaluation/_due.html", {"evaluations_due": selectors.evaluations_due(learner)}
    )
    assert reverse("classroom:evaluation_session", kwargs={"session_id": session.pk}) in rendered


# --- Results ----------------------------------------------------------------------------


def submit_three(two_instructors: dict[str, Any]) -> dict[str, Any]:
    """Three participants answer with different scores; returns what they gave."""
    cohort = two_instructors["cohort"]
    given: dict[str, Any] = {"scores": {}, "comments": []}
    comments = ["Cukup baik", "Amat membantu", "Bagus sekali"]
    for n, person in enumerate(two_instructors["staff_a"]):
        enrol(person, cohort)
        answers = answers_for(cohort=cohort)
        questionnaire = services.questionnaire_for(cohort=cohort)
        form = selectors.evaluation_form(questionnaire=questionnaire, cohort=cohort)
        for i, q in enumerate(form.questions):
            if q.item.kind == QuestionnaireItem.Kind.LIKERT:
                answers[q.key] = str((n + i) % 5 + 1)
                given["scores"].setdefault(q.key, []).append((n + i) % 5 + 1)
            elif q.instructor == two_instructors["instructor"]:
                answers[q.key] = comments[n]
                given["comments"].append(comments[n])
            else:
                answers[q.key] = ""
        services.evaluation_submit(actor=person, cohort=cohort, answers=answers)
    given["form"] = form
    return given


def expected_means(given: dict[str, Any], who: Any) -> tuple[Decimal, dict[str, Decimal]]:
    """(overall mean, mean per item text) of the Likert answers about ``who`` (an
    instructor, or None for the course)."""
    all_scores: list[int] = []
    per_item: dict[str, Decimal] = {}
    for q in given["form"].questions:
        if q.item.kind != QuestionnaireItem.Kind.LIKERT or q.instructor != who:
            continue
        scores = given["scores"][q.key]
        all_scores += scores
        per_item[q.item.text] = q2(Decimal(sum(scores)) / len(scores))
    return q2(Decimal(sum(all_scores)) / len(all_scores)), per_item


def test_bkpsdm_results_page_and_export(
    two_instructors: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    given = submit_three(two_instructors)
    instructor = two_instructors["instructor"]
    overall, per_item = expected_means(given, instructor)
    course_overall, course_items = expected_means(given, None)
    year = two_instructors["cohort"].starts_on.year
    client = client_for(two_instructors["auditor"])
    url = reverse("classroom:evaluation_results") + f"?tahun={year}"
    with django_assert_max_num_queries(14):
        page = client.get(url)
    assert page.status_code == 200
    soup = BeautifulSoup(page.content, "html.parser")
    rows = {
        tr.th.get_text(strip=True): [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        for tr in soup.select("table.evaluation-instructors tbody tr")
        if tr.th
    }
    row = rows["Widyaiswara Utama"]
    assert row[0] == "3"
    assert row[1] in (f"{overall:.2f}", f"{overall:.2f}".replace(".", ","))
    course_row = next(
        [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        for tr in soup.select("table.evaluation-courses tbody tr")
        if tr.th and tr.th.get_text(strip=True) == two_instructors["course"].title
    )
    assert course_row[1] == "3"
    assert course_row[2] in (f"{course_overall:.2f}", f"{course_overall:.2f}".replace(".", ","))
    comments = [b.get_text(strip=True) for b in soup.select(".evaluation-comments blockquote")]
    assert comments == sorted(given["comments"])
    text = text_of(page)
    for person in two_instructors["staff_a"]:
        assert person.full_name not in text
        assert person.nip not in text

    earlier = client.get(reverse("classroom:evaluation_results") + f"?tahun={year - 1}")
    assert "Belum ada evaluasi instruktur tahun ini." in text_of(earlier)
    assert "Widyaiswara Utama" not in text_of(earlier)

    with django_assert_max_num_queries(10):
        export = client.get(reverse("classroom:evaluation_export") + f"?tahun={year}")
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(export.streaming_content)), read_only=True)  # type: ignore[attr-defined]
    assert book.sheetnames == ["Instruktur", "Kursus", "Komentar"]
    lines = list(book["Instruktur"].iter_rows(values_only=True))
    mine = [line for line in lines[1:] if line[0] == "Widyaiswara Utama"]
    assert mine[0][2] == 3
    assert mine[0][3] == "Keseluruhan"
    assert Decimal(str(mine[0][5])) == overall
    assert {line[3]: Decimal(str(line[5])) for line in mine[1:]} == per_item
    course_lines = [
        line
        for line in book["Kursus"].iter_rows(values_only=True)
        if line[0] == two_instructors["course"].title
    ]
    assert Decimal(str(course_lines[0][5])) == course_overall
    assert {line[3]: Decimal(str(line[5])) for line in course_lines[1:]} == course_items
    comment_lines = list(book["Komentar"].iter_rows(values_only=True))[1:]
    assert [line[4] for line in comment_lines] == sorted(given["comments"])
    every_cell = " ".join(
        str(cell) for sheet in book.worksheets for line in sheet.iter_rows(values_only=True)
        for cell in line
    )  # fmt: skip
    for person in two_instructors["staff_a"]:
        assert person.full_name not in every_cell
        assert person.nip not in every_cell


@pytest.mark.parametrize("who", ["admin_a", "learner", "instructor"])
def test_results_refused_outside_bkpsdm(classroom: dict[str, Any], who: str) -> None:
    client = client_for(classroom[who])
    assert client.get(reverse("classroom:evaluation_results")).status_code == 403
    assert client.get(reverse("classroom:evaluation_export")).status_code == 403


def test_results_for_superuser_bad_year_and_post(classroom: dict[str, Any]) -> None:
    client = client_for(classroom["superuser"])
    url = reverse("classroom:evaluation_results")
    page = client.get(url + "?tahun=abc")
    assert page.status_code == 200
    assert "Tahun tidak dikenal" in text_of(page)
    assert client.post(url).status_code == 405
    assert client.post(reverse("classroom:evaluation_export")).status_code == 405


def test_manage_page_links_results_for_bkpsdm_only(classroom: dict[str, Any]) -> None:
    link = reverse("classroom:evaluation_results")
    manage = reverse("learning:manage")
    assert link in client_for(classroom["auditor"]).get(manage).content.decode()
    assert link not in client_for(classroom["admin_a"]).get(manage).content.decode()


# --- The instructor's own page ----------------------------------------------------------


def test_instructor_sees_nothing_below_the_minimum(
    two_instructors: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    cohort, instructor = two_instructors["cohort"], two_instructors["instructor"]
    for person in two_instructors["staff_a"][:2]:
        enrol(person, cohort)
        services.evaluation_submit(
            actor=person, cohort=cohort, answers=answers_for(cohort=cohort, comment="Rahasia")
        )
    client = client_for(instructor)
    url = reverse("classroom:evaluation_mine")
    with django_assert_max_num_queries(10):
        page = client.get(url)
    text = text_of(page)
    assert MINIMUM_NOTICE in text
    assert "Rahasia" not in text
    assert "4,00" not in text
    assert "4.00" not in text
    for person in two_instructors["staff_a"]:
        assert person.full_name not in text
        assert person.nip not in text


def test_instructor_sees_own_means_and_sorted_comments(
    two_instructors: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    given = submit_three(two_instructors)
    instructor = two_instructors["instructor"]
    overall, per_item = expected_means(given, instructor)
    client = client_for(instructor)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("classroom:evaluation_mine"))
    soup = BeautifulSoup(page.content, "html.parser")
    text = text_of(page)
    assert MINIMUM_NOTICE not in text
    assert "3 peserta mengisi" in text
    shown = {
        li.get_text(" ", strip=True).split(":")[0]: strong.get_text(strip=True)
        for li in soup.select(".evaluation-items li")
        if (strong := li.find("strong")) is not None
    }
    assert {k: v.replace(",", ".") for k, v in shown.items()} == {
        k: f"{v:.2f}" for k, v in per_item.items()
    }
    assert f"{overall:.2f}".replace(".", ",") in text or f"{overall:.2f}" in text
    comments = [b.get_text(strip=True) for b in soup.select(".evaluation-comments blockquote")]
    assert comments == sorted(given["comments"])
    for person in two_instructors["staff_a"]:
        assert person.full_name not in text
        assert person.nip not in text
    # The guest sees only what is about them: none of the comments were.
    guest_text = text_of(
        client_for(two_instructors["guest"]).get(reverse("classroom:evaluation_mine"))
    )
    assert not any(c in guest_text for c in given["comments"])


# --- Wagtail admin ----------------------------------------------------------------------

ADMIN_INDEX = "/admin/snippets/classroom/questionnaire/"


def test_only_superusers_manage_questionnaires(classroom: dict[str, Any]) -> None:
    assert client_for(classroom["admin_a"]).get(ADMIN_INDEX).status_code in (302, 403)
    assert client_for(classroom["auditor"]).get(ADMIN_INDEX).status_code in (302, 403)
    superuser = client_for(classroom["superuser"])
    assert superuser.get(ADMIN_INDEX).status_code == 200
    assert superuser.get(ADMIN_INDEX + "add/").status_code == 200


def test_superuser_adds_a_questionnaire_with_items(classroom: dict[str, Any]) -> None:
    data = {
        "name": "Evaluasi Kamis Belajar",
        "items-TOTAL_FORMS": "2", "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "1", "items-MAX_NUM_FORMS": "1000",
        "items-0-about": "course", "items-0-kind": "likert", "items-0-text": "Topik menarik",
        "items-0-required": "on", "items-0-ORDER": "1",
        "items-1-about": "instructor", "items-1-kind": "comment", "items-1-text": "Saran",
        "items-1-ORDER": "2",
    }  # fmt: skip
    response = client_for(classroom["superuser"]).post(ADMIN_INDEX + "add/", data)
    assert response.status_code == 302, response.content[:2000]
    made = Questionnaire.objects.get(name="Evaluasi Kamis Belajar")
    assert [(i.about, i.kind, i.text, i.required) for i in made.items.all()] == [
        ("course", "likert", "Topik menarik", True),
        ("instructor", "comment", "Saran", False),
    ]


def test_answered_questionnaire_keeps_its_items(classroom: dict[str, Any]) -> None:
    cohort, learner = classroom["cohort"], classroom["learner"]
    enrol(learner, cohort)
    services.evaluation_submit(actor=learner, cohort=cohort, answers=answers_for(cohort=cohort))
    questionnaire = Questionnaire.objects.get(is_default=True)
    client = client_for(classroom["superuser"])
    refused = client.post(ADMIN_INDEX + f"delete/{questionnaire.pk}/")
    assert refused.status_code == 302
    assert Questionnaire.objects.filter(pk=questionnaire.pk).exists()
    items = list(questionnaire.items.all())
    data: dict[str, str] = {
        "name": questionnaire.name, "is_default": "on",
        "items-TOTAL_FORMS": str(len(items)), "items-INITIAL_FORMS": str(len(items)),
        "items-MIN_NUM_FORMS": "1", "items-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for n, item in enumerate(items):
        data.update(
            {
                f"items-{n}-id": str(item.pk),
                f"items-{n}-about": item.about,
                f"items-{n}-kind": item.kind,
                f"items-{n}-text": item.text,
                f"items-{n}-ORDER": str(n + 1),
            }  # fmt: skip
        )
        if item.required:
            data[f"items-{n}-required"] = "on"
    data["items-0-DELETE"] = "on"
    edit = ADMIN_INDEX + f"edit/{questionnaire.pk}/"
    page = client.post(edit, data)
    assert page.status_code == 200
    assert "sudah dijawab peserta" in page.content.decode()
    assert questionnaire.items.count() == len(items)


# --- Concurrency (PostgreSQL) -----------------------------------------------------------


@pytest.mark.postgres
def test_double_submission_at_once_stores_one_response(transactional_db: None) -> None:
    from django.db import connection

    from tests.classroom.conftest import make_classroom
    from tests.conftest import ensure_wagtail_root, make_catalogue
    from tests.factories import make_pemda
    from tests.support import at_once

    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL (set DATABASE_URL)")
    ensure_wagtail_root()
    room = make_classroom(make_catalogue(), make_pemda())
    cohort, learner = room["cohort"], room["learner"]
    enrol(learner, cohort)
    answers = answers_for(cohort=cohort)
    results, failures = at_once(
        6,
        lambda _i: services.evaluation_submit(actor=learner, cohort=cohort, answers=answers).pk,
    )
    assert len(results) == 1
    assert len(failures) == 5
    assert all(
        isinstance(f, ValidationError) and "sudah mengisi" in f.messages[0] for f in failures
    )
    assert EvaluationResponse.objects.filter(cohort=cohort).count() == 1
    assert EvaluationReceipt.objects.filter(employee=learner, cohort=cohort).count() == 1
