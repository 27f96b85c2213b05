"""The learner's quiz pages: the quiz, an attempt in both layouts, answers saved one by one
(JSON) or by the form, the deadline held by the server, submitting, the result and its review,
the pre-test → post-test gain. Refusals never 500, other learners get 404, the key never
reaches the attempt page, and query counts stay bounded."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import CoursePage, ModulePage
from lms.assessments import services
from lms.assessments.models import (
    Attempt,
    AttemptQuestion,
    Question,
    QuestionBank,
    Quiz,
    QuizResult,
    QuizRule,
)
from lms.learning import services as learning
from lms.learning.models import Enrolment
from lms.people.models import Employee
from tests.assessments.conftest import KINDS, right_answers

# --- helpers -----------------------------------------------------------------------------


def quiz_url(quiz: Quiz) -> str:
    return reverse("assessments:quiz", kwargs={"quiz_id": quiz.pk})


def start_url(quiz: Quiz) -> str:
    return reverse("assessments:start", kwargs={"quiz_id": quiz.pk})


def attempt_url(attempt: Attempt) -> str:
    return reverse("assessments:attempt", kwargs={"attempt_id": attempt.pk})


def answer_url(attempt: Attempt) -> str:
    return reverse("assessments:answer", kwargs={"attempt_id": attempt.pk})


def submit_url(attempt: Attempt) -> str:
    return reverse("assessments:submit", kwargs={"attempt_id": attempt.pk})


def result_url(attempt: Attempt) -> str:
    return reverse("assessments:result", kwargs={"attempt_id": attempt.pk})


def html(response: Any) -> str:
    return response.content.decode()


def said(response: Any) -> str:
    stored = [str(m) for m in get_messages(response.wsgi_request)]
    return " ".join(stored)


def post_json(client: Client, url: str, data: Any) -> Any:
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    return client.post(url, data=body, content_type="application/json")


def place(slot: AttemptQuestion, item: str) -> str:
    """Where the page shows an option (or a matching answer): its place in the frozen order."""
    return str(slot.order.index(item) + 1)


def page_value(slot: AttemptQuestion, response: Any) -> Any:
    """A response the way the page (and quiz.js) sends it."""
    if slot.kind == "single":
        return place(slot, response)
    if slot.kind == "multiple":
        return [place(slot, choice) for choice in response]
    if slot.kind == "matching":
        prompts = [pair["id"] for pair in slot.data["pairs"]]
        return {str(prompts.index(k) + 1): place(slot, v) for k, v in response.items()}
    return response


def form_fields(slot: AttemptQuestion, response: Any) -> dict[str, Any]:
    """The same response as the page's form posts it without JavaScript."""
    name = f"q{slot.position}"
    value = page_value(slot, response)
    if slot.kind == "truefalse":
        return {name: "true" if value else "false"}
    if slot.kind == "matching":
        return {f"{name}-{prompt}": answer for prompt, answer in value.items()}
    return {name: value}


def responses(attempt: Attempt) -> list[Any]:
    return list(attempt.questions.order_by("position").values_list("response", flat=True))


@pytest.fixture
def learner_client(client: Client, learner: Employee) -> Client:
    client.force_login(learner)
    return client


@pytest.fixture
def started(quiz: Quiz, enrolment: Enrolment, learner: Employee) -> Attempt:
    return services.attempt_start(actor=learner, quiz=quiz)


def set_quiz(quiz: Quiz, **fields: Any) -> Quiz:
    Quiz.objects.filter(pk=quiz.pk).update(**fields)
    quiz.refresh_from_db()
    return quiz


# --- the quiz page -----------------------------------------------------------------------


def test_quiz_page_says_what_to_expect_and_starts_then_resumes(
    learner_client: Client, quiz: Quiz, enrolment: Enrolment, module: ModulePage
) -> None:
    set_quiz(quiz, time_limit_minutes=30, max_attempts=2, intro="Kerjakan dengan jujur.")
    page = html(learner_client.get(quiz_url(quiz)))
    assert quiz.title in page
    assert "Kerjakan dengan jujur." in page
    assert "<dt>Jumlah soal</dt><dd>6</dd>" in page
    assert "30 menit" in page
    assert "0 dari 2 dipakai" in page
    assert "<dt>Nilai lulus</dt><dd>70</dd>" in page
    assert "Anda belum menyelesaikan kuis ini." in page
    assert ">Mulai<" in page
    assert module.title in page  # the way back

    response = learner_client.post(start_url(quiz))
    attempt = Attempt.objects.get(quiz=quiz)
    assert response.status_code == 302
    assert response["Location"] == attempt_url(attempt)

    page = html(learner_client.get(quiz_url(quiz)))
    assert "Lanjutkan percobaan" in page
    assert "1 dari 2 dipakai" in page
    # Another device, or the same button again: the same attempt.
    response = learner_client.post(start_url(quiz))
    assert response["Location"] == attempt_url(attempt)
    assert Attempt.objects.filter(quiz=quiz).count() == 1


def test_quiz_page_lists_attempts_and_the_result(
    learner_client: Client, started: Attempt, learner: Employee, quiz: Quiz
) -> None:
    for slot in started.questions.all():
        services.attempt_answer(
            actor=learner,
            attempt=started,
            position=slot.position,
            response=KINDS[slot.kind]["right"],
        )
    services.attempt_submit(actor=learner, attempt=started)
    page = html(learner_client.get(quiz_url(quiz)))
    assert "Nilai 100" in page
    assert "Lulus" in page
    assert "Dihitung dengan cara: nilai tertinggi." in page
    assert "Dikumpulkan" in page
    assert result_url(started) in page
    assert "Mulai percobaan baru" in page


def test_not_enrolled_is_refused_and_nothing_starts(
    learner_client: Client, quiz: Quiz, course: CoursePage
) -> None:
    response = learner_client.get(quiz_url(quiz))
    assert response.status_code == 403
    assert "tidak terdaftar di kursus yang memuat kuis ini" in html(response)
    response = learner_client.post(start_url(quiz))
    assert response.status_code == 403
    assert "tidak terdaftar" in html(response)
    assert not Attempt.objects.exists()


def test_anonymous_is_sent_to_log_in(client: Client, quiz: Quiz, started: Attempt) -> None:
    for url in (quiz_url(quiz), attempt_url(started), result_url(started)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("people:login"))
    response = post_json(client, answer_url(started), {"position": 1, "response": "1"})
    assert response.status_code == 403
    assert "masuk lagi" in response.json()["error"]


def test_unknown_quiz_is_404(learner_client: Client, enrolment: Enrolment) -> None:
    assert learner_client.get("/kuis/999999/").status_code == 404
    assert learner_client.post("/kuis/999999/mulai/").status_code == 404
    assert learner_client.get("/kuis/percobaan/999999/").status_code == 404


def test_limit_reached_is_said_and_refused(
    learner_client: Client, quiz: Quiz, started: Attempt, learner: Employee
) -> None:
    set_quiz(quiz, max_attempts=1)
    services.attempt_submit(actor=learner, attempt=started)
    page = html(learner_client.get(quiz_url(quiz)))
    assert "Anda sudah memakai semua 1 percobaan untuk kuis ini." in page
    assert start_url(quiz) not in page
    response = learner_client.post(start_url(quiz))
    assert response.status_code == 302
    assert response["Location"] == quiz_url(quiz)
    assert "sudah memakai semua 1 percobaan" in said(response)
    assert Attempt.objects.filter(quiz=quiz).count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"opens_at": timezone.now() + dt.timedelta(days=2)}, "Kuis ini dibuka pada"),
        ({"closes_at": timezone.now() - dt.timedelta(days=1)}, "Kuis ini sudah ditutup pada"),
    ],
)
def test_a_quiz_not_open_is_said_and_refused(
    learner_client: Client, quiz: Quiz, enrolment: Enrolment, fields: dict, message: str
) -> None:
    set_quiz(quiz, **fields)
    page = html(learner_client.get(quiz_url(quiz)))
    assert message in page
    assert start_url(quiz) not in page
    response = learner_client.post(start_url(quiz))
    assert response.status_code == 302
    assert "Kuis ini" in said(response)
    assert not Attempt.objects.exists()


def test_an_empty_quiz_is_said_not_a_500(
    learner_client: Client, quiz: Quiz, enrolment: Enrolment
) -> None:
    QuizRule.objects.filter(quiz=quiz).delete()
    assert "Kuis ini belum berisi soal." in html(learner_client.get(quiz_url(quiz)))
    response = learner_client.post(start_url(quiz))
    assert response.status_code == 302
    assert "belum berisi soal" in said(response)


def test_an_attempt_whose_time_ran_out_is_closed_when_the_learner_returns(
    learner_client: Client, quiz: Quiz, enrolment: Enrolment, learner: Employee
) -> None:
    set_quiz(quiz, time_limit_minutes=10)
    attempt = services.attempt_start(
        actor=learner, quiz=quiz, now=timezone.now() - dt.timedelta(hours=1)
    )
    page = html(learner_client.get(quiz_url(quiz)))
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.EXPIRED
    assert "Ditutup saat waktu habis" in page
    assert ">Mulai percobaan baru<" in page


# --- the attempt page --------------------------------------------------------------------


def test_one_question_per_page_with_a_navigator(learner_client: Client, started: Attempt) -> None:
    slots = list(started.questions.order_by("position"))
    page = html(learner_client.get(attempt_url(started)))
    assert KINDS[slots[0].kind]["stem"] in page
    assert KINDS[slots[1].kind]["stem"] not in page
    assert "Soal 1 dari 6" in page
    assert page.count('form="jawaban" name="ke"') == 6  # the navigator saves and goes
    assert 'aria-current="step"' in page
    assert "6 soal belum dijawab." in page

    page = html(learner_client.get(attempt_url(started), {"soal": 3}))
    assert KINDS[slots[2].kind]["stem"] in page
    assert "Soal 3 dari 6" in page
    # Nonsense page numbers land on a real page.
    for junk in ("0", "99", "x", "-1", "9" * 40):
        response = learner_client.get(attempt_url(started), {"soal": junk})
        assert response.status_code == 200


def test_every_kind_is_a_real_labelled_control(
    learner_client: Client, quiz: Quiz, enrolment: Enrolment, learner: Employee
) -> None:
    set_quiz(quiz, layout=Quiz.Layout.ALL)
    attempt = services.attempt_start(actor=learner, quiz=quiz)
    page = html(learner_client.get(attempt_url(attempt)))
    for spec in KINDS.values():
        assert spec["stem"] in page
    by_kind = {slot.kind: slot for slot in attempt.questions.all()}
    single, multiple = by_kind["single"], by_kind["multiple"]
    assert f'type="radio" id="q{single.position}-1" name="q{single.position}" value="1"' in page
    assert f'<label for="q{single.position}-1">' in page
    assert f'type="checkbox" id="q{multiple.position}-1"' in page
    tf = by_kind["truefalse"].position
    assert f'name="q{tf}" value="true"' in page
    assert f'name="q{tf}" value="false"' in page
    numeric = by_kind["numeric"].position
    assert re.search(rf'inputmode="decimal" id="q{numeric}" name="q{numeric}"', page)
    assert f'<label for="q{numeric}">' in page
    short = by_kind["short"].position
    assert f'type="text" id="q{short}" name="q{short}"' in page
    matching = by_kind["matching"]
    for prompt in ("Ibu kota Jawa Tengah", "Ibu kota Jawa Timur"):
        assert prompt in page
    assert f'<select id="q{matching.position}-1" name="q{matching.position}-1"' in page
    # The matching answers are listed in the attempt's frozen order.
    offered = re.findall(r'<option value="(\d)">([^<]+)</option>', page)
    assert [text for _value, text in offered][:3] == matching.order
    # Options in the frozen order.
    choice_text = {c["id"]: c["text"] for c in KINDS["single"]["data"]["choices"]}
    shown = [choice_text[i] for i in single.order]
    assert [page.index(t) for t in shown] == sorted(page.index(t) for t in shown)
    # All on one page: the navigator jumps to the question.
    assert 'href="#soal-6"' in page
    assert "quiz.js" in page
    assert "<script>" not in page  # the CSP allows no inline script


SECRETS = {
    "feedback": "UMPANBALIKRAHASIA",
    "short": "Kuncirahasiasingkat",
    "numeric": "271828",
    "general": "PEMBAHASANUMUMRAHASIA",
    "choice_id": "idpilihanrahasia",
}


@pytest.fixture
def secret_quiz(bank: QuestionBank, course_with: Callable[..., CoursePage]) -> Quiz:
    """A quiz of every kind whose key, feedback and ids are words found nowhere else."""
    feedback = SECRETS["feedback"]
    data = {
        "single": {
            "choices": [
                {"id": SECRETS["choice_id"] + "1", "text": "Benar satu", "fraction": 100,
                 "feedback": feedback},
                {"id": SECRETS["choice_id"] + "2", "text": "Salah satu", "fraction": 0,
                 "feedback": feedback},
            ]
        },
        "multiple": {
            "rule": "all_or_nothing",
            "choices": [
                {"id": SECRETS["choice_id"] + "3", "text": "Benar dua", "fraction": 100,
                 "feedback": feedback},
                {"id": SECRETS["choice_id"] + "4", "text": "Salah dua", "fraction": -100,
                 "feedback": feedback},
            ],
        },
        "truefalse": {"correct": False, "feedback_true": feedback, "feedback_false": feedback},
        "short": {"answers": [{"text": SECRETS["short"], "fraction": 100, "feedback": feedback}]},
        "numeric": {
            "answers": [
                {"value": int(SECRETS["numeric"]), "tolerance": 0, "fraction": 100,
                 "feedback": feedback}
            ]
        },
        "matching": {
            "pairs": [
                {"id": "p1", "prompt": "Gunung", "answer": "Merapi"},
                {"id": "p2", "prompt": "Danau", "answer": "Toba"},
            ],
            "distractors": ["Musi"],
        },
    }  # fmt: skip
    quiz = Quiz.objects.create(title="Kuis Rahasia", shuffle_questions=False)
    for order, kind in enumerate(KINDS):
        question = Question.objects.create(
            bank=bank, kind=kind, stem=f"<p>Pertanyaan {kind}</p>", data=data[kind],
            general_feedback=f"<p>{SECRETS['general']}</p>",
        )  # fmt: skip
        QuizRule.objects.create(quiz=quiz, sort_order=order, question=question)
    course_with([("quiz", {"quiz": quiz, "required_to_pass": True})], title="Kursus Rahasia")
    return quiz


@pytest.mark.parametrize("layout", [Quiz.Layout.ALL, Quiz.Layout.ONE_PER_PAGE])
def test_the_attempt_page_never_carries_the_key(
    learner_client: Client, secret_quiz: Quiz, learner: Employee, layout: str
) -> None:
    set_quiz(secret_quiz, layout=layout, time_limit_minutes=20)
    learning.enrolment_request(actor=learner, course=CoursePage.objects.get(title="Kursus Rahasia"))
    attempt = services.attempt_start(actor=learner, quiz=secret_quiz)
    slots = list(attempt.questions.order_by("position"))
    # Answered (wrongly and rightly) and not: neither shows anything of the key.
    post_json(learner_client, answer_url(attempt), {"position": 1, "response": "1"})
    post_json(learner_client, answer_url(attempt), {"position": 4, "response": "salah"})
    pages = [html(learner_client.get(attempt_url(attempt)))]
    if layout == Quiz.Layout.ONE_PER_PAGE:
        pages = [
            html(learner_client.get(attempt_url(attempt), {"soal": slot.position}))
            for slot in slots
        ]
    for page in pages:
        lowered = page.lower()
        assert "fraction" not in lowered
        assert "feedback" not in lowered
        assert "correct" not in lowered
        assert "tolerance" not in lowered
        for secret in SECRETS.values():
            assert secret.lower() not in lowered, secret
        # The only JSON on the page is the clock.
        scripts = re.findall(r'<script[^>]*type="application/json"[^>]*>(.*?)</script>', page, re.S)
        assert len(scripts) == 1
        assert set(json.loads(scripts[0])) == {"deadline", "now"}
    everything = "".join(pages)
    for kind in KINDS:
        assert f"Pertanyaan {kind}" in everything
    for text in ("Benar satu", "Salah satu", "Gunung", "Danau", "Merapi", "Toba", "Musi"):
        assert text in everything


# --- saving answers ----------------------------------------------------------------------


def test_each_answer_is_saved_as_it_is_given(
    learner_client: Client, started: Attempt, learner: Employee
) -> None:
    for slot in started.questions.order_by("position"):
        response = post_json(
            learner_client,
            answer_url(started),
            {"position": slot.position, "response": page_value(slot, KINDS[slot.kind]["right"])},
        )
        assert response.status_code == 200, response.content
        assert response.json() == {"saved": True, "position": slot.position, "answered": True}
    saved: dict[str, Any] = {s.kind: s.response for s in started.questions.all()}
    assert saved["single"] == "a"
    assert sorted(saved["multiple"]) == ["a", "b"]
    assert saved["truefalse"] is True
    assert saved["matching"] == {"1": "Semarang", "2": "Surabaya"}
    # The page now shows them as given, and the navigator counts them.
    page = html(learner_client.get(attempt_url(started)))
    assert "Semua soal sudah dijawab." in page
    assert page.count("nav-item is-answered") == 6
    # Clearing an answer: null.
    response = post_json(learner_client, answer_url(started), {"position": 1, "response": None})
    assert response.json()["answered"] is False
    assert started.questions.get(position=1).response is None
    finished = services.attempt_submit(actor=learner, attempt=started)
    assert finished.score == Decimal("83.33")  # five of six right


BAD_ANSWERS: list[Any] = [
    "bukan json",
    b"\xff\xfe",
    [1, 2],
    {"position": 1},
    {"response": "1"},
    {"position": "1", "response": "1"},
    {"position": True, "response": "1"},
    {"position": 99, "response": "1"},
    {"position": 10**30, "response": "1"},
    {"position": -1, "response": "1"},
    {"position": 1.5, "response": "1"},
]


@pytest.mark.parametrize("body", BAD_ANSWERS)
def test_a_bad_answer_body_is_400_and_saves_nothing(
    learner_client: Client, started: Attempt, body: Any
) -> None:
    response = post_json(learner_client, answer_url(started), body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert responses(started) == [None] * 6


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("single", "9"),
        ("single", "a"),  # the author's id is not what the page sends
        ("single", ["1"]),
        ("multiple", "1"),
        ("multiple", ["1", "7"]),
        ("multiple", ["1", "1", "1", "1"]),
        ("truefalse", "mungkin"),
        ("truefalse", 1),
        ("short", {"x": 1}),
        ("short", "x" * 600),
        ("numeric", ["20"]),
        ("matching", "Semarang"),
        ("matching", {"9": "1"}),
        ("matching", {"1": "9"}),
    ],
)
def test_a_bad_answer_is_400_with_a_message_and_saves_nothing(
    learner_client: Client, started: Attempt, kind: str, value: Any
) -> None:
    slot = started.questions.get(kind=kind)
    response = post_json(
        learner_client, answer_url(started), {"position": slot.position, "response": value}
    )
    assert response.status_code == 400
    assert response.json()["error"]
    assert responses(started) == [None] * 6


def test_the_page_gives_the_script_its_csrf_token(started: Attempt, learner: Employee) -> None:
    """quiz.js sends the token from the page's data attribute (the cookie is HttpOnly)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    page = html(client.get(attempt_url(started)))
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert f'data-answer-url="{answer_url(started)}"' in page
    body = json.dumps({"position": 1, "response": "1"})
    refused = client.post(answer_url(started), body, content_type="application/json")
    assert refused.status_code == 403
    saved = client.post(
        answer_url(started), body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert saved.status_code == 200
    assert saved.json()["saved"] is True


def test_too_big_an_answer_is_400(learner_client: Client, started: Attempt) -> None:
    response = post_json(
        learner_client, answer_url(started), {"position": 1, "response": "x" * 20000}
    )
    assert response.status_code == 400


def test_other_learners_get_404_everywhere(
    client: Client, started: Attempt, pemda: dict[str, Any]
) -> None:
    client.force_login(pemda["staff_a"][1])
    assert client.get(attempt_url(started)).status_code == 404
    assert client.post(attempt_url(started), {"shown": "1"}).status_code == 404
    assert client.get(result_url(started)).status_code == 404
    assert client.post(submit_url(started)).status_code == 404
    response = post_json(client, answer_url(started), {"position": 1, "response": "1"})
    assert response.status_code == 404
    assert response.json()["error"]
    started.refresh_from_db()
    assert started.state == Attempt.State.IN_PROGRESS
    assert responses(started) == [None] * 6


def test_an_answer_after_the_deadline_is_409_and_closes_the_attempt(
    learner_client: Client, quiz: Quiz, enrolment: Enrolment, learner: Employee
) -> None:
    set_quiz(quiz, time_limit_minutes=10)
    attempt = services.attempt_start(
        actor=learner, quiz=quiz, now=timezone.now() - dt.timedelta(minutes=11)
    )
    response = post_json(learner_client, answer_url(attempt), {"position": 1, "response": "1"})
    assert response.status_code == 409
    assert response.json()["closed"] is True
    assert "Waktu habis" in response.json()["error"]
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.EXPIRED
    assert responses(attempt) == [None] * 6
    # And again, now that it is closed.
    response = post_json(learner_client, answer_url(attempt), {"position": 1, "response": "1"})
    assert response.status_code == 409
    assert response.json()["closed"] is True


def test_the_form_after_the_deadline_saves_nothing_and_shows_the_result(
    learner_client: Client, quiz: Quiz, enrolment: Enrolment, learner: Employee
) -> None:
    set_quiz(quiz, time_limit_minutes=10)
    attempt = services.attempt_start(
        actor=learner, quiz=quiz, now=timezone.now() - dt.timedelta(minutes=11)
    )
    response = learner_client.get(attempt_url(attempt))
    assert response["Location"] == result_url(attempt)
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.EXPIRED
    page = html(learner_client.get(result_url(attempt)))
    assert "Ditutup saat waktu habis" in page


def test_the_timer_gets_the_deadline_and_the_servers_now(
    learner_client: Client, quiz: Quiz, enrolment: Enrolment, learner: Employee
) -> None:
    set_quiz(quiz, time_limit_minutes=15)
    attempt = services.attempt_start(actor=learner, quiz=quiz)
    page = html(learner_client.get(attempt_url(attempt)))
    clock = json.loads(re.search(r'id="quiz-clock"[^>]*>(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    deadline = dt.datetime.fromisoformat(clock["deadline"].replace("Z", "+00:00"))
    now = dt.datetime.fromisoformat(clock["now"].replace("Z", "+00:00"))
    assert attempt.deadline is not None
    assert abs(deadline - attempt.deadline) < dt.timedelta(milliseconds=1)
    assert dt.timedelta(minutes=14) < deadline - now <= dt.timedelta(minutes=15)
    assert 'role="timer"' in page
    assert 'aria-live="assertive"' in page
    assert "data-t-left=" in page


def test_no_time_limit_no_timer(learner_client: Client, started: Attempt) -> None:
    page = html(learner_client.get(attempt_url(started)))
    assert "quiz-clock" not in page
    assert 'role="timer"' not in page


def test_a_finished_attempt_takes_no_answers(
    learner_client: Client, started: Attempt, learner: Employee
) -> None:
    services.attempt_submit(actor=learner, attempt=started)
    response = post_json(learner_client, answer_url(started), {"position": 1, "response": "1"})
    assert response.status_code == 409
    assert response.json()["closed"] is True
    assert learner_client.get(attempt_url(started))["Location"] == result_url(started)
    response = learner_client.post(attempt_url(started), {"shown": "1", "q1": "1"})
    assert response["Location"] == result_url(started)
    assert responses(started) == [None] * 6


def test_without_javascript_the_form_saves_the_page_and_goes_on(
    learner_client: Client, started: Attempt
) -> None:
    slot = started.questions.get(position=1)
    fields = form_fields(slot, KINDS[slot.kind]["right"])
    response = learner_client.post(
        attempt_url(started), {"shown": "1", "soal": "1", "ke": "2", **fields}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(attempt_url(started) + "?soal=2")
    assert "Jawaban tersimpan." in said(response)
    slot.refresh_from_db()
    assert (slot.kind, slot.response) == ("single", "a")


def test_without_javascript_every_kind_saves_from_one_page(
    learner_client: Client, quiz: Quiz, enrolment: Enrolment, learner: Employee
) -> None:
    set_quiz(quiz, layout=Quiz.Layout.ALL)
    attempt = services.attempt_start(actor=learner, quiz=quiz)
    data: dict[str, Any] = {"shown": [str(p) for p in range(1, 7)]}
    for slot in attempt.questions.all():
        data.update(form_fields(slot, KINDS[slot.kind]["right"]))
    response = learner_client.post(attempt_url(attempt), data)
    assert response.status_code == 302, html(response)
    assert all(r is not None for r in responses(attempt))
    # Untouched controls on a shown question clear it (the form shows what is saved).
    response = learner_client.post(attempt_url(attempt), {"shown": ["1", "2"]})
    assert responses(attempt)[:2] == [None, []]


@pytest.mark.parametrize(
    "data",
    [
        {"shown": "1", "q1": "99"},
        {"shown": "x"},
        {"shown": "42"},
        {"shown": "2", "q2": ["1", "9"]},
    ],
)
def test_without_javascript_bad_input_is_400_and_saves_nothing(
    learner_client: Client, started: Attempt, data: dict[str, Any]
) -> None:
    # Question 1 is the single choice (the quiz keeps its order), 2 the multiple one.
    response = learner_client.post(attempt_url(started), {**data, "soal": "1"})
    assert response.status_code == 400
    assert 'role="alert"' in html(response)
    assert responses(started) == [None] * 6


# --- submitting and the result -----------------------------------------------------------


def answer_right(client: Client, attempt: Attempt) -> None:
    for slot in attempt.questions.all():
        value = page_value(slot, right_answers()[slot.kind])
        response = post_json(
            client, answer_url(attempt), {"position": slot.position, "response": value}
        )
        assert response.status_code == 200


def test_submit_grades_and_submitting_twice_only_shows_the_result(
    learner_client: Client, started: Attempt, learner: Employee, quiz: Quiz
) -> None:
    assert learner_client.get(result_url(started))["Location"] == attempt_url(started)
    answer_right(learner_client, started)
    response = learner_client.post(submit_url(started))
    assert response["Location"] == result_url(started)
    assert "dikumpulkan" in said(response)
    started.refresh_from_db()
    assert (started.state, started.score) == (Attempt.State.SUBMITTED, Decimal("100.00"))
    graded_at = QuizResult.objects.get(quiz=quiz, employee=learner).graded_at
    response = learner_client.post(submit_url(started))
    assert response["Location"] == result_url(started)
    assert QuizResult.objects.get(quiz=quiz, employee=learner).graded_at == graded_at
    page = html(learner_client.get(result_url(started)))
    assert "100" in page
    assert "✓ Lulus" in page
    assert "6 dari 6" in page
    assert "<dt>Nilai lulus</dt><dd>70</dd>" in page


def test_submit_saves_what_the_page_showed_first(learner_client: Client, started: Attempt) -> None:
    data: dict[str, Any] = {"shown": [str(p) for p in range(1, 7)]}
    for slot in started.questions.all():
        data.update(form_fields(slot, KINDS[slot.kind]["right"]))
    response = learner_client.post(submit_url(started), data)
    assert response["Location"] == result_url(started)
    started.refresh_from_db()
    assert started.score == Decimal("100.00")


def test_submit_with_bad_answers_is_400_and_stays_open(
    learner_client: Client, started: Attempt
) -> None:
    response = learner_client.post(submit_url(started), {"shown": "1", "q1": "99"})
    assert response.status_code == 400
    started.refresh_from_db()
    assert started.is_open


def test_the_review_shows_key_and_feedback_only_when_allowed(
    learner_client: Client, started: Attempt, learner: Employee, quiz: Quiz
) -> None:
    wrong = {kind: spec["wrong"] for kind, spec in KINDS.items()}
    for slot in started.questions.all():
        value = page_value(slot, wrong[slot.kind])
        post_json(
            learner_client, answer_url(started), {"position": slot.position, "response": value}
        )
    learner_client.post(submit_url(started))
    page = html(learner_client.get(result_url(started)))
    assert "Belum lulus" in page
    review = page.split('id="pembahasan"')[1]
    assert "Jawaban yang benar" in review
    assert "Itu konstitusi." in page  # the feedback on the choice made
    assert "UUD 1945" in page  # the answer given
    assert "Pancasila" in page  # the right one
    assert "PNS" in review
    assert "ASN" in review  # the short answer's key (the stem spells it out)
    assert "Ibu kota Jawa Tengah → Semarang" in page
    assert "Ibu kota Jawa Tengah → Bandung" in page

    set_quiz(quiz, review=Quiz.Review.NEVER)
    page = html(learner_client.get(result_url(started)))
    assert "Jawaban yang benar" not in page
    assert "Itu konstitusi." not in page
    assert "Pancasila" not in page
    assert "tidak ditampilkan" in page

    closes = timezone.now() + dt.timedelta(days=3)
    set_quiz(quiz, review=Quiz.Review.AFTER_CLOSE, closes_at=closes)
    page = html(learner_client.get(result_url(started)))
    assert "Pancasila" not in page
    assert "setelah kuis ditutup pada" in page

    set_quiz(quiz, closes_at=timezone.now() - dt.timedelta(minutes=1))
    page = html(learner_client.get(result_url(started)))
    assert "Pancasila" in page


def test_general_feedback_is_shown_in_the_review(
    learner_client: Client, secret_quiz: Quiz, learner: Employee
) -> None:
    learning.enrolment_request(actor=learner, course=CoursePage.objects.get(title="Kursus Rahasia"))
    attempt = services.attempt_start(actor=learner, quiz=secret_quiz)
    learner_client.post(submit_url(attempt))
    page = html(learner_client.get(result_url(attempt)))
    assert SECRETS["general"] in page
    assert SECRETS["short"] in page
    assert SECRETS["numeric"] in page
    assert "Tidak dijawab" in page


# --- the pre-test → post-test gain ---------------------------------------------------------


def test_the_gain_from_pre_test_to_post_test(
    learner_client: Client,
    quiz_with: Callable[..., Quiz],
    course_with: Callable[..., CoursePage],
    learner: Employee,
) -> None:
    pre = quiz_with("single", "truefalse", title="Pre-test Etika", kind=Quiz.Kind.PRE_TEST)
    post = quiz_with("single", "truefalse", title="Post-test Etika", kind=Quiz.Kind.POST_TEST)
    course = course_with(
        [("text", "<p>Bacaan</p>")], title="Etika ASN", pre_test=pre, post_test=post
    )
    learning.enrolment_request(actor=learner, course=course)
    # The course page leads to both.
    course_page = html(learner_client.get(course.url))
    assert f'href="{quiz_url(pre)}">Pre-test Etika</a>' in course_page
    assert f'href="{quiz_url(post)}">Post-test Etika</a>' in course_page

    page = html(learner_client.get(quiz_url(post)))
    assert "Pre-test dan post-test kursus ini belum dikerjakan." in page

    attempt = services.attempt_start(actor=learner, quiz=pre)
    for slot in attempt.questions.all():
        services.attempt_answer(
            actor=learner, attempt=attempt, position=slot.position,
            response=KINDS["single"]["right"] if slot.kind == "single" else False,
        )  # fmt: skip
    services.attempt_submit(actor=learner, attempt=attempt)
    page = html(learner_client.get(quiz_url(post)))
    assert "Pre-test 50; post-test belum dikerjakan." in page

    attempt = services.attempt_start(actor=learner, quiz=post)
    for slot in attempt.questions.all():
        services.attempt_answer(
            actor=learner, attempt=attempt, position=slot.position,
            response=KINDS[slot.kind]["right"],
        )  # fmt: skip
    services.attempt_submit(actor=learner, attempt=attempt)
    for quiz in (pre, post):
        page = html(learner_client.get(quiz_url(quiz)))
        assert "Pre-test 50 → post-test 100" in page
        assert "+50 poin" in page


# --- the quiz in its module ----------------------------------------------------------------


def test_the_module_links_to_its_quiz(
    learner_client: Client, quiz: Quiz, enrolment: Enrolment, module: ModulePage
) -> None:
    page = html(learner_client.get(module.url))
    assert quiz.title in page
    assert quiz_url(quiz) in page
    assert "Buka kuis" in page
    assert "Nilai lulus 70" in page


# --- query counts ------------------------------------------------------------------------


def test_query_counts_are_bounded(
    learner_client: Client,
    quiz: Quiz,
    enrolment: Enrolment,
    learner: Employee,
    django_assert_max_num_queries: Any,
) -> None:
    with django_assert_max_num_queries(13):
        assert learner_client.get(quiz_url(quiz)).status_code == 200
    with django_assert_max_num_queries(13):
        response = learner_client.post(start_url(quiz))
    attempt = Attempt.objects.get(quiz=quiz)
    assert response["Location"] == attempt_url(attempt)
    with django_assert_max_num_queries(6):
        assert learner_client.get(attempt_url(attempt), {"soal": 2}).status_code == 200
    set_quiz(quiz, layout=Quiz.Layout.ALL)
    with django_assert_max_num_queries(6):
        assert learner_client.get(attempt_url(attempt)).status_code == 200
    slots = list(attempt.questions.order_by("position"))
    for slot in slots:
        value = page_value(slot, KINDS[slot.kind]["right"])
        with django_assert_max_num_queries(9):
            response = post_json(
                learner_client, answer_url(attempt), {"position": slot.position, "response": value}
            )
        assert response.status_code == 200
    with django_assert_max_num_queries(9):
        response = learner_client.post(
            attempt_url(attempt), {"shown": [str(s.position) for s in slots], "q1": "1"}
        )
    assert response.status_code in (302, 400)
    # Grading, the result, and what a pass completes (the module, the course).
    with django_assert_max_num_queries(25):
        assert learner_client.post(submit_url(attempt))["Location"] == result_url(attempt)
    with django_assert_max_num_queries(7):
        assert learner_client.get(result_url(attempt)).status_code == 200
    with django_assert_max_num_queries(13):
        assert learner_client.get(quiz_url(quiz)).status_code == 200
