"""Quizzes in the Wagtail admin: banks (import, GIFT export, the Excel template), the question
and quiz forms, the reports (results and their CSV, a learner's attempts, item analysis with
regrading, pre/post-test gain), who may see them, and bounded query counts."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from courses.models import CoursePage
from lms.assessments import services
from lms.assessments.formats import parse_gift
from lms.assessments.models import (
    Attempt,
    Question,
    QuestionBank,
    QuestionCategory,
    Quiz,
    QuizResult,
)
from lms.learning import services as learning
from lms.people.models import Employee, Role
from lms.people.services import role_grant
from tests.assessments.conftest import KINDS, answer_all, right_answers
from tests.factories import EmployeeFactory

ADMIN_HOME = "/admin/"
BANKS = reverse("wagtailsnippets_assessments_questionbank:list")
QUESTIONS = reverse("wagtailsnippets_assessments_question:list")
QUESTION_ADD = reverse("wagtailsnippets_assessments_question:add")
QUIZZES = reverse("wagtailsnippets_assessments_quiz:list")
QUIZ_ADD = reverse("wagtailsnippets_assessments_quiz:add")
TEMPLATE = reverse("wagtailsnippets_assessments_questionbank:xlsx_template")
REPORTS = reverse("laporan_kuis:index")
GAINS = reverse("laporan_kuis:gain_index")
QUIZ_CHOOSER = "/admin/snippets/choose/assessments/quiz/"

WRONG = {kind: spec["wrong"] for kind, spec in KINDS.items()}

GOOD_GIFT = """// Dua kategori, tiga soal
$CATEGORY: $course$/top/Wawasan

::Ibu kota::Ibu kota Jawa Tengah adalah {=Semarang ~Surabaya ~Bandung}

::JP::Satu JP sama dengan 45 menit. {T}

$CATEGORY: Numerasi

::Pi::Berapa nilai pi sampai dua desimal? {#3.14:0.005}
"""


# --- helpers -----------------------------------------------------------------------------


def login(user: Employee) -> Client:
    client = Client()
    client.force_login(user)
    return client


def instructor(name: str) -> Employee:
    employee = EmployeeFactory.create(full_name=name)
    role_grant(actor=None, employee=employee, role=Role.INSTRUCTOR, reason="uji")
    return employee


def teach(course: CoursePage, *instructors: Employee) -> None:
    course.instructors.set(instructors)
    course.save()


def import_url(bank: QuestionBank) -> str:
    return reverse("wagtailsnippets_assessments_questionbank:import", args=[bank.pk])


def export_url(bank: QuestionBank) -> str:
    return reverse("wagtailsnippets_assessments_questionbank:export_gift", args=[bank.pk])


def results_url(quiz: Quiz) -> str:
    return reverse("laporan_kuis:results", args=[quiz.pk])


def csv_url(quiz: Quiz) -> str:
    return reverse("laporan_kuis:results_csv", args=[quiz.pk])


def learner_url(quiz: Quiz, employee: Employee) -> str:
    return reverse("laporan_kuis:learner", args=[quiz.pk, employee.pk])


def analysis_url(quiz: Quiz) -> str:
    return reverse("laporan_kuis:analysis", args=[quiz.pk])


def regrade_url(quiz: Quiz, question: Question) -> str:
    return reverse("laporan_kuis:regrade", args=[quiz.pk, question.pk])


def gain_url(course: CoursePage) -> str:
    return reverse("laporan_kuis:gain", args=[course.pk])


def text_of(response: Any) -> str:
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())


def rows(response: Any) -> list[list[str]]:
    soup = BeautifulSoup(response.content, "html.parser")
    table = soup.select_one("table.listing")
    assert isinstance(table, Tag)
    return [
        [
            " ".join(td.get_text(" ", strip=True).split())
            for td in tr.find_all("td", recursive=False)
        ]
        for tr in table.select(":scope > tbody > tr")
    ]


def messages_of(response: Any) -> list[str]:
    return [str(m).strip() for m in response.wsgi_request._messages]


def upload(name: str, content: bytes | str) -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def take(quiz: Quiz, learner: Employee, answers: dict[str, Any]) -> Attempt:
    attempt = services.attempt_start(actor=learner, quiz=quiz, seed=7)
    answer_all(attempt, learner, answers)
    return services.attempt_submit(actor=learner, attempt=attempt)


def contentstate(text: str) -> str:
    block = {
        "key": "b1", "type": "unstyled", "text": text, "depth": 0,
        "inlineStyleRanges": [], "entityRanges": [], "data": {},
    }  # fmt: skip
    return json.dumps({"blocks": [block], "entityMap": {}})


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def ani(course: CoursePage) -> Employee:
    """An instructor of the course whose module holds the quiz."""
    employee = instructor("Ani Widyaiswara")
    teach(course, employee)
    return employee


@pytest.fixture
def budi(db: None) -> Employee:
    """An instructor who teaches nothing with this quiz."""
    return instructor("Budi Widyaiswara")


@pytest.fixture
def takers(pemda: dict[str, Any], course: CoursePage) -> list[Employee]:
    people = [*pemda["staff_a"], pemda["staff_b"][0]]
    for person in people:
        learning.enrolment_request(actor=person, course=course)
    return people


@pytest.fixture
def sittings(quiz: Quiz, takers: list[Employee]) -> dict[str, Attempt]:
    """Four finished attempts: all right, all wrong, half right, one third right."""
    right = right_answers()
    half = {**WRONG, **{k: right[k] for k in ("single", "truefalse", "short")}}
    third = {**WRONG, **{k: right[k] for k in ("single", "multiple")}}
    answers = [right, WRONG, half, third]
    return {
        person.full_name: take(quiz, person, given)
        for person, given in zip(takers, answers, strict=True)
    }


# --- importing questions -----------------------------------------------------------------


def test_a_gift_file_with_errors_imports_nothing_and_lists_each_line(
    pemda: dict[str, Any], bank: QuestionBank, django_assert_max_num_queries: Any
) -> None:
    client = login(pemda["superuser"])
    page = client.get(import_url(bank))
    assert page.status_code == 200
    assert "Moodle GIFT" in text_of(page)
    with open("tests/assessments/files/mixed.gift.txt", "rb") as handle:
        content = handle.read()
    with django_assert_max_num_queries(30):
        response = client.post(
            import_url(bank), {"format": "gift", "file": upload("campuran.txt", content)}
        )
    assert response.status_code == 200
    text = text_of(response)
    assert "Tidak ada soal yang diimpor dari campuran.txt" in text
    errors = [
        " ".join(li.get_text(" ").split())
        for li in BeautifulSoup(response.content, "html.parser").select(".quiz-admin-error-list li")
    ]
    assert [e.split(":")[0] for e in errors] == [
        "Baris 10", "Baris 14", "Baris 18", "Baris 24", "Baris 33",
    ]  # fmt: skip
    assert "Tidak ada jawaban benar" in errors[1]
    assert not Question.objects.filter(bank=bank).exists()
    assert not QuestionCategory.objects.filter(bank=bank).exists()


def test_a_good_gift_file_creates_its_questions(pemda: dict[str, Any], bank: QuestionBank) -> None:
    client = login(pemda["superuser"])
    response = client.post(
        import_url(bank), {"format": "gift", "file": upload("soal.gift", GOOD_GIFT)}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{QUESTIONS}?bank={bank.pk}"
    assert "3 soal diimpor ke bank “Bank Wawasan Kebangsaan”." in messages_of(response)
    imported = Question.objects.filter(bank=bank).select_related("category").order_by("pk")
    assert [(q.name, q.kind, q.category.name if q.category else None) for q in imported] == [
        ("Ibu kota", "single", "Wawasan"),
        ("JP", "truefalse", "Wawasan"),
        ("Pi", "numeric", "Numerasi"),
    ]
    listing = rows(client.get(f"{QUESTIONS}?bank={bank.pk}"))
    assert sorted(row[1].split(" ")[0] for row in listing) == ["Ibu", "JP", "Pi"]


@pytest.mark.parametrize(
    ("fmt", "name", "content", "message"),
    [
        ("gift", "soal.pdf", GOOD_GIFT, "harus berakhiran .txt atau .gift"),
        ("xlsx", "soal.txt", GOOD_GIFT, "harus berakhiran .xlsx"),
        ("gift", "soal.txt", b"PK\x03\x04\x00\x00binary\x00", "bukan berkas teks"),
        ("xlsx", "soal.xlsx", b"bukan zip sama sekali", "bukan XLSX"),
        ("aiken", "soal.txt", b"   \n", "Berkas ini kosong"),
        ("gift", "besar.txt", b"x" * (2 * 1024 * 1024 + 1), "Berkas terlalu besar"),
    ],
)
def test_bad_files_get_a_clear_message(
    pemda: dict[str, Any], bank: QuestionBank, fmt: str, name: str, content: Any, message: str
) -> None:
    response = login(pemda["superuser"]).post(
        import_url(bank), {"format": fmt, "file": upload(name, content)}
    )
    assert response.status_code == 200
    assert message in text_of(response)
    assert not Question.objects.filter(bank=bank).exists()


def test_a_broken_xlsx_is_reported_not_a_server_error(
    pemda: dict[str, Any], bank: QuestionBank
) -> None:
    response = login(pemda["superuser"]).post(
        import_url(bank), {"format": "xlsx", "file": upload("soal.xlsx", b"PK\x03\x04rusak")}
    )
    assert response.status_code == 200
    assert "Tidak ada soal yang diimpor" in text_of(response)
    assert "bukan XLSX" in text_of(response)


def test_export_is_gift_that_reads_back(
    pemda: dict[str, Any], bank: QuestionBank, questions: dict[str, Question]
) -> None:
    response = login(pemda["superuser"]).get(export_url(bank))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert 'filename="bank-wawasan-kebangsaan.gift.txt"' in response["Content-Disposition"]
    parsed, errors = parse_gift(response.content)
    assert errors == []
    assert sorted(q.kind for q in parsed) == sorted(KINDS)
    assert {q.category for q in parsed} == {"Dasar"}


def test_the_excel_template_opens(pemda: dict[str, Any], bank: QuestionBank) -> None:
    from openpyxl import load_workbook

    response = login(pemda["superuser"]).get(TEMPLATE)
    assert response.status_code == 200
    assert "templat-soal-sinau.xlsx" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames[:2] == ["Soal", "Petunjuk"]
    # The bank listing links to it, and each bank row to its import and export.
    listing = login(pemda["superuser"]).get(BANKS)
    assert TEMPLATE.encode() in listing.content
    assert import_url(bank).encode() in listing.content
    assert export_url(bank).encode() in listing.content


# --- the question and quiz forms ---------------------------------------------------------


def question_post(bank: QuestionBank, **fields: Any) -> dict[str, Any]:
    data = {
        "bank": bank.pk, "category": "", "kind": "single", "name": "Dasar negara",
        "stem": contentstate("Dasar negara Indonesia adalah"),
        "general_feedback": "null",
        "data": json.dumps(KINDS["single"]["data"]),
        "default_mark": "2", "competencies": "wawasan kebangsaan, teknis",
    }  # fmt: skip
    return {**data, **fields}


def test_a_question_is_saved_through_the_service(pemda: dict[str, Any], bank: QuestionBank) -> None:
    client = login(pemda["superuser"])
    assert client.get(QUESTION_ADD).status_code == 200
    key = json.loads(json.dumps(KINDS["single"]["data"]))
    key["choices"][1]["text"] = '<p onclick="curi()">UUD 1945</p><script>curi()</script>'
    response = client.post(QUESTION_ADD, question_post(bank, data=json.dumps(key)))
    assert response.status_code == 302, text_of(response)
    question = Question.objects.get(bank=bank)
    assert question.stem == "<p>Dasar negara Indonesia adalah</p>"
    assert question.data["choices"][1]["text"] == "<p>UUD 1945</p>"  # sanitised
    assert question.default_mark == Decimal("2")
    assert sorted(question.competencies.names()) == ["teknis", "wawasan kebangsaan"]
    assert question.version == 1

    # Changing the key bumps the version (a regrade picks it up).
    edit = reverse("wagtailsnippets_assessments_question:edit", args=[question.pk])
    page = client.get(edit)
    assert page.status_code == 200
    assert "&quot;choices&quot;: [" in page.content.decode()  # the key, indented
    key["choices"][0]["fraction"], key["choices"][1]["fraction"] = 0, 100
    assert client.post(edit, question_post(bank, data=json.dumps(key))).status_code == 302
    question.refresh_from_db()
    assert question.version == 2


def test_key_problems_show_on_the_key_field(pemda: dict[str, Any], bank: QuestionBank) -> None:
    client = login(pemda["superuser"])
    no_right = {"choices": [{"id": "a", "text": "A", "fraction": 0, "feedback": ""}]}
    response = client.post(QUESTION_ADD, question_post(bank, data=json.dumps(no_right)))
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    field_errors = soup.select_one("#panel-child-data-errors")
    assert isinstance(field_errors, Tag)
    assert "Paling sedikit satu pilihan harus bernilai 100%." in field_errors.get_text(" ")
    # On the key field only, not repeated as an error of the whole form.
    assert text_of(response).count("Paling sedikit satu pilihan harus bernilai 100%.") == 1
    assert not Question.objects.exists()

    broken = client.post(QUESTION_ADD, question_post(bank, data="{bukan json"))
    assert broken.status_code == 200
    broken_errors = BeautifulSoup(broken.content, "html.parser").select_one(
        "#panel-child-data-errors"
    )
    assert isinstance(broken_errors, Tag)
    assert "JSON" in broken_errors.get_text(" ")
    assert not Question.objects.exists()

    other = QuestionCategory.objects.create(
        bank=QuestionBank.objects.create(title="Bank lain"), name="Lain"
    )
    wrong_bank = client.post(QUESTION_ADD, question_post(bank, category=other.pk))
    assert wrong_bank.status_code == 200
    assert "Kategori ini milik bank soal lain" in text_of(wrong_bank)


def quiz_post(*rules: dict[str, Any], **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Kuis Baru", "kind": "graded", "intro": "", "pass_mark": "70",
        "grading": "highest", "max_attempts": "", "time_limit_minutes": "",
        "opens_at": "", "closes_at": "", "layout": "one", "shuffle_questions": "on",
        "shuffle_choices": "on", "review": "after_submit",
        "rules-TOTAL_FORMS": str(len(rules)), "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0", "rules-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for i, rule in enumerate(rules):
        base = {"id": "", "ORDER": str(i + 1), "DELETE": "", "question": "", "category": "",
                "draw_count": "1", "mark": ""}  # fmt: skip
        data.update({f"rules-{i}-{k}": v for k, v in {**base, **rule}.items()})
    return {**data, **fields}


def test_a_quiz_is_made_with_its_rules(
    pemda: dict[str, Any], questions: dict[str, Question]
) -> None:
    client = login(pemda["superuser"])
    assert client.get(QUIZ_ADD).status_code == 200
    category = questions["single"].category
    assert category is not None
    both = quiz_post({"question": questions["single"].pk, "category": category.pk})
    response = client.post(QUIZ_ADD, both)
    assert response.status_code == 200
    assert "tidak keduanya sekaligus" in text_of(response)
    neither = client.post(QUIZ_ADD, quiz_post({"draw_count": "2"}))
    assert "Pilih satu soal, atau kategori untuk diacak." in text_of(neither)
    late = client.post(
        QUIZ_ADD,
        quiz_post(opens_at="2026-12-01 08:00", closes_at="2026-11-30 08:00"),
    )
    assert "Waktu ditutup harus sesudah waktu dibuka." in text_of(late)
    assert not Quiz.objects.filter(title="Kuis Baru").exists()

    good = quiz_post(
        {"question": questions["truefalse"].pk, "mark": "2"},
        {"category": category.pk, "draw_count": "3"},
    )
    assert client.post(QUIZ_ADD, good).status_code == 302
    quiz = Quiz.objects.get(title="Kuis Baru")
    assert [(r.question_id, r.category_id, r.draw_count, r.mark) for r in quiz.rules.all()] == [
        (questions["truefalse"].pk, None, 1, Decimal("2")),
        (None, category.pk, 3, None),
    ]


def test_instructors_author_banks_questions_and_quizzes(
    ani: Employee, bank: QuestionBank, quiz: Quiz, questions: dict[str, Question]
) -> None:
    client = login(ani)
    for url in (BANKS, QUESTIONS, QUIZZES, QUESTION_ADD, QUIZ_ADD, import_url(bank), TEMPLATE):
        assert client.get(url).status_code == 200, url
    edit = reverse("wagtailsnippets_assessments_quiz:edit", args=[quiz.pk])
    assert client.get(edit).status_code == 200
    add_bank = reverse("wagtailsnippets_assessments_questionbank:add")
    response = client.post(add_bank, {"title": "Bank Ani", "course": "", "description": ""})
    assert response.status_code == 302
    assert QuestionBank.objects.get(title="Bank Ani").owner == ani
    # Deleting stays with BKPSDM: a bank takes its questions with it.
    delete = reverse("wagtailsnippets_assessments_questionbank:delete", args=[bank.pk])
    assert client.get(delete)["Location"] == ADMIN_HOME
    # Module pages still choose quizzes.
    chooser = client.get(QUIZ_CHOOSER)
    assert chooser.status_code == 200
    assert "Kuis Wawasan" in chooser.json()["html"]


def test_question_listing_filters_and_searches(
    pemda: dict[str, Any], questions: dict[str, Question], django_assert_max_num_queries: Any
) -> None:
    client = login(pemda["superuser"])
    client.get(QUESTIONS)
    with django_assert_max_num_queries(15):
        response = client.get(QUESTIONS)
    assert len(rows(response)) == len(KINDS)
    assert len(rows(client.get(QUESTIONS, {"kind": "numeric"}))) == 1
    assert len(rows(client.get(QUESTIONS, {"q": "matching"}))) == 1
    category = questions["single"].category
    assert category is not None
    assert len(rows(client.get(QUESTIONS, {"category": category.pk}))) == len(KINDS)
    other = QuestionBank.objects.create(title="Bank kosong")
    assert "soal" in text_of(client.get(QUESTIONS, {"bank": other.pk}))
    # More questions and categories, the same number of queries.
    for i in range(10):
        extra = QuestionCategory.objects.create(bank=other, name=f"K{i}")
        Question.objects.create(
            bank=other, category=extra, kind="truefalse", name=f"Tambahan {i}",
            stem="<p>x</p>", data=KINDS["truefalse"]["data"],
        )  # fmt: skip
    with django_assert_max_num_queries(15):
        assert client.get(QUESTIONS).status_code == 200
    with django_assert_max_num_queries(15):
        assert client.get(BANKS).status_code == 200
    with django_assert_max_num_queries(15):
        assert client.get(QUIZZES).status_code == 200


# --- results -----------------------------------------------------------------------------


def test_results_list_each_learner_with_their_grade(
    pemda: dict[str, Any],
    quiz: Quiz,
    sittings: dict[str, Attempt],
    takers: list[Employee],
    django_assert_max_num_queries: Any,
) -> None:
    client = login(pemda["superuser"])
    client.get(results_url(quiz))
    with django_assert_max_num_queries(15):
        response = client.get(results_url(quiz))
    assert response.status_code == 200
    found = {row[0]: row for row in rows(response)}
    assert set(found) == {p.full_name for p in takers}
    first = found["Guru Andalas 0"]
    assert first[1] == takers[0].nip
    assert first[2] == "Dinas Pendidikan"
    assert first[3] == "1"
    assert first[4] == "100,00"
    assert first[5] == "Lulus"
    assert found["Perawat Bukit 0"][2] == "Dinas Kesehatan"
    assert found["Guru Andalas 1"][4] == "0,00"
    assert found["Guru Andalas 1"][5] == "Belum lulus"
    assert learner_url(quiz, takers[0]).encode() in response.content
    assert csv_url(quiz).encode() in response.content

    # More learners, the same number of queries; a page holds 50.
    course = CoursePage.objects.get(title="Kursus Kuis")
    for i in range(55):
        person = EmployeeFactory.create(org_unit=pemda["unit_b"], full_name=f"Tambahan {i:02d}")
        learning.enrolment_request(actor=person, course=course)
        services.attempt_start(actor=person, quiz=quiz, seed=i)
    with django_assert_max_num_queries(15):
        page_one = client.get(results_url(quiz))
    assert len(rows(page_one)) == 50
    page_two = client.get(results_url(quiz), {"p": 2})
    assert len(rows(page_two)) == 59 - 50
    started = next(r for r in rows(page_one) if r[0] == "Tambahan 00")
    assert started[3:6] == ["1", "—", "—"]  # started, not yet graded


def test_results_csv(pemda: dict[str, Any], quiz: Quiz, sittings: dict[str, Attempt]) -> None:
    response = login(pemda["superuser"]).get(csv_url(quiz))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="hasil-kuis-wawasan-' in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    table = list(csv.reader(io.StringIO(body)))
    assert table[0] == [
        "Nama", "NIP", "OPD", "Percobaan", "Nilai", "Lulus", "Percobaan terakhir",
    ]  # fmt: skip
    by_name = {row[0]: row for row in table[1:]}
    assert len(by_name) == 4
    for result in QuizResult.objects.filter(quiz=quiz).select_related("employee"):
        row = by_name[result.employee.full_name]
        assert row[1] == result.employee.nip
        assert Decimal(row[4]) == result.score
        assert row[5] == ("ya" if result.passed else "tidak")
    assert by_name["Perawat Bukit 0"][2] == "Dinas Kesehatan"


def test_a_learners_attempts_with_their_answers_and_marks(
    pemda: dict[str, Any],
    quiz: Quiz,
    sittings: dict[str, Attempt],
    takers: list[Employee],
    django_assert_max_num_queries: Any,
) -> None:
    person = takers[3]  # single and multiple right
    client = login(pemda["superuser"])
    client.get(learner_url(quiz, person))
    with django_assert_max_num_queries(15):
        response = client.get(learner_url(quiz, person))
    assert response.status_code == 200
    text = text_of(response)
    assert "Percobaan ke-1" in text
    assert person.nip in text
    by_position = {row[0]: row for row in rows(response)}
    assert by_position["1"][2] == "Pancasila"  # the single choice, as text
    assert by_position["1"][4] == "1,00 / 1,00"
    assert by_position["3"][2] == "Salah"  # true/false answered wrong
    assert by_position["3"][3] == "Benar"  # the key
    assert by_position["3"][4] == "0,00 / 1,00"
    assert "Ibu kota Jawa Tengah → Bandung" in by_position["6"][2]
    # Someone who never attempted the quiz is not a page.
    outsider = pemda["staff_b"][1]
    assert client.get(learner_url(quiz, outsider)).status_code == 404


# --- item analysis and regrading ---------------------------------------------------------


def test_item_analysis_shows_each_questions_facility(
    pemda: dict[str, Any],
    quiz: Quiz,
    questions: dict[str, Question],
    sittings: dict[str, Attempt],
    django_assert_max_num_queries: Any,
) -> None:
    client = login(pemda["superuser"])
    client.get(analysis_url(quiz))
    with django_assert_max_num_queries(15):
        response = client.get(analysis_url(quiz))
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    facility = {
        tr["data-question"]: tr.select_one("[data-facility]").get_text(strip=True)  # type: ignore[union-attr]
        for tr in soup.select("tr[data-question]")
    }
    expected = {"single": 75, "multiple": 50, "truefalse": 50, "short": 50, "numeric": 25,
                "matching": 25}  # fmt: skip
    assert facility == {str(questions[k].pk): f"{v},0" for k, v in expected.items()}
    single_row = soup.select_one(f'tr[data-question="{questions["single"].pk}"]')
    assert isinstance(single_row, Tag)
    options = [
        " ".join(tr.get_text(" ", strip=True).split())
        for tr in single_row.select(".quiz-admin-options tr")
    ]
    assert options[0].startswith("a. Pancasila 3")
    assert options[1].startswith("b. UUD 1945 1")
    assert options[-1].startswith("(tidak dijawab) 0")
    assert single_row.select("meter")  # the bar: no inline style
    assert "style=" not in response.content.decode().split('id="item-figures"')[1]
    assert "Percobaan selesai 4" in text_of(response)
    assert regrade_url(quiz, questions["single"]).encode() in response.content


def test_the_regrade_button_rescores_after_a_fix(
    pemda: dict[str, Any],
    quiz: Quiz,
    questions: dict[str, Question],
    sittings: dict[str, Attempt],
    takers: list[Employee],
) -> None:
    wrong_one = sittings[takers[1].full_name]  # answered "b" on the single choice
    before = wrong_one.score
    # The instructor finds "b" was right too and fixes the key.
    single = questions["single"]
    single.data = {
        "choices": [
            {**c, "fraction": 100 if c["id"] in ("a", "b") else 0} for c in single.data["choices"]
        ]
    }
    services.question_save(question=single)

    client = login(pemda["superuser"])
    page = client.get(regrade_url(quiz, single))
    assert page.status_code == 200
    assert "4 percobaan yang sudah selesai memuat soal ini" in text_of(page)
    wrong_one.refresh_from_db()
    assert wrong_one.score == before  # a GET changes nothing

    response = client.post(regrade_url(quiz, single))
    assert response.status_code == 302
    assert response["Location"] == analysis_url(quiz)
    assert any("4 percobaan dinilai ulang" in m for m in messages_of(response))
    wrong_one.refresh_from_db()
    assert wrong_one.score is not None
    assert before is not None
    assert wrong_one.score > before
    result = QuizResult.objects.get(quiz=quiz, employee=takers[1])
    assert result.score == wrong_one.score
    # A question the quiz does not hold is not regraded from this quiz's page.
    stray = Question.objects.create(
        bank=single.bank, kind="truefalse", stem="<p>x</p>", data=KINDS["truefalse"]["data"]
    )
    assert client.post(regrade_url(quiz, stray)).status_code == 404


# --- who sees what -----------------------------------------------------------------------


def test_instructors_see_the_reports_of_their_courses_only(
    ani: Employee,
    budi: Employee,
    quiz: Quiz,
    quiz_with: Callable[..., Quiz],
    questions: dict[str, Question],
    sittings: dict[str, Attempt],
    takers: list[Employee],
) -> None:
    other = quiz_with("truefalse", title="Kuis Lain")
    mine = login(ani)
    for url in (
        results_url(quiz), csv_url(quiz), learner_url(quiz, takers[0]), analysis_url(quiz),
        regrade_url(quiz, questions["single"]),
    ):  # fmt: skip
        assert mine.get(url).status_code == 200, url
    index = mine.get(REPORTS)
    assert [row[0] for row in rows(index)] == ["Kuis Wawasan"]
    quiz_list = mine.get(QUIZZES)
    assert results_url(quiz).encode() in quiz_list.content
    assert results_url(other).encode() not in quiz_list.content
    assert mine.get(results_url(other)).status_code == 403

    theirs = login(budi)
    for url in (
        results_url(quiz), csv_url(quiz), learner_url(quiz, takers[0]), analysis_url(quiz),
        regrade_url(quiz, questions["single"]),
    ):  # fmt: skip
        response = theirs.get(url)
        assert response.status_code == 403, url
        assert "hanya untuk instruktur" in text_of(response)
    before = Attempt.objects.get(pk=sittings[takers[1].full_name].pk).score
    assert theirs.post(regrade_url(quiz, questions["single"])).status_code == 403
    assert Attempt.objects.get(pk=sittings[takers[1].full_name].pk).score == before
    assert theirs.get(REPORTS).status_code == 403  # teaches no course


def test_auditors_read_reports_but_do_not_regrade(
    pemda: dict[str, Any], quiz: Quiz, questions: dict[str, Question], sittings: dict[str, Attempt]
) -> None:
    client = login(pemda["auditor"])
    assert client.get(results_url(quiz)).status_code == 200
    analysis = client.get(analysis_url(quiz))
    assert analysis.status_code == 200
    assert regrade_url(quiz, questions["single"]).encode() not in analysis.content
    assert client.get(regrade_url(quiz, questions["single"])).status_code == 403
    assert client.post(regrade_url(quiz, questions["single"])).status_code == 403
    assert client.get(REPORTS).status_code == 200
    # Authoring is not theirs.
    assert client.get(QUESTION_ADD)["Location"] == ADMIN_HOME


def test_view_quiz_result_permission_opens_every_quiz(
    pemda: dict[str, Any], quiz: Quiz, sittings: dict[str, Attempt]
) -> None:
    staff = EmployeeFactory.create(full_name="Staf BKPSDM", is_staff=True)
    role_grant(actor=None, employee=staff, role=Role.INSTRUCTOR, reason="uji")  # admin access
    assert login(staff).get(results_url(quiz)).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_quizresult"))
    staff = Employee.objects.get(pk=staff.pk)
    assert login(staff).get(results_url(quiz)).status_code == 200


def test_learners_do_not_reach_the_admin(
    pemda: dict[str, Any], quiz: Quiz, bank: QuestionBank, sittings: dict[str, Attempt]
) -> None:
    client = login(pemda["learner"])
    for url in (REPORTS, results_url(quiz), analysis_url(quiz), import_url(bank), BANKS):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/admin/login/" in response["Location"], url
    assert Client().get(results_url(quiz)).status_code == 302


def test_missing_things_are_404(pemda: dict[str, Any], quiz: Quiz) -> None:
    client = login(pemda["superuser"])
    assert client.get(reverse("laporan_kuis:results", args=[999_999])).status_code == 404
    assert client.get(reverse("laporan_kuis:gain", args=[999_999])).status_code == 404
    missing_bank = reverse("wagtailsnippets_assessments_questionbank:import", args=[999_999])
    assert client.get(missing_bank).status_code == 404


# --- pre/post-test gain ------------------------------------------------------------------


@pytest.fixture
def gain_course(
    course_with: Callable[..., CoursePage], quiz_with: Callable[..., Quiz]
) -> CoursePage:
    pre = quiz_with("single", "truefalse", title="Pre-test Wawasan", kind=Quiz.Kind.PRE_TEST)
    post = quiz_with("single", "truefalse", title="Post-test Wawasan", kind=Quiz.Kind.POST_TEST)
    return course_with(
        [("text", "<p>Bacaan</p>")], title="Kursus Gain", pre_test=pre, post_test=post
    )


def test_gain_per_learner_and_on_average(
    pemda: dict[str, Any], gain_course: CoursePage, django_assert_max_num_queries: Any
) -> None:
    right, wrong = right_answers(), WRONG
    half = {**wrong, "single": right["single"]}
    pre, post = gain_course.pre_test, gain_course.post_test
    assert pre is not None
    assert post is not None
    a0, a1, a2 = pemda["staff_a"]
    plan = [(a0, wrong, right), (a1, half, right), (a2, wrong, None)]
    for person, before, after in plan:
        learning.enrolment_request(actor=person, course=gain_course)
        take(pre, person, before)
        if after is not None:
            take(post, person, after)

    client = login(pemda["superuser"])
    index = client.get(GAINS)
    assert gain_url(gain_course).encode() in index.content
    client.get(gain_url(gain_course))
    with django_assert_max_num_queries(15):
        response = client.get(gain_url(gain_course))
    assert response.status_code == 200
    found = {row[0]: row[3:] for row in rows(response)}
    assert found == {
        "Guru Andalas 0": ["0,00", "100,00", "+100,00"],
        "Guru Andalas 1": ["50,00", "100,00", "+50,00"],
        "Guru Andalas 2": ["0,00", "—", "—"],
    }
    mean = BeautifulSoup(response.content, "html.parser").select_one("[data-mean-gain]")
    assert isinstance(mean, Tag)
    assert mean.get_text(strip=True) == "75,00"


def test_gain_is_for_the_courses_instructors(
    pemda: dict[str, Any], gain_course: CoursePage, budi: Employee
) -> None:
    assert login(budi).get(gain_url(gain_course)).status_code == 403
    teach(gain_course, budi)
    assert login(budi).get(gain_url(gain_course)).status_code == 200
    assert gain_url(gain_course).encode() in login(budi).get(GAINS).content
    assert login(pemda["auditor"]).get(gain_url(gain_course)).status_code == 200


# --- the menu ----------------------------------------------------------------------------


def test_the_kuis_menu(ani: Employee, pemda: dict[str, Any]) -> None:
    home = login(ani).get(ADMIN_HOME).content.decode()
    for label in ("Kuis", "Bank soal", "Soal", "Daftar kuis", "Laporan kuis"):
        assert f'"{label}"' in home, label
    auditor_home = login(pemda["auditor"]).get(ADMIN_HOME).content.decode()
    assert '"Laporan kuis"' in auditor_home
    assert '"Bank soal"' not in auditor_home
