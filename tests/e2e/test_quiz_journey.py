"""A learner takes the demo's timed quiz in Chromium: opens it from its module, sees the timer
count down, answers one question per page (some with the keyboard alone), sees each answer
saved, reloads half-way and finds the answers there, submits, passes and reads the review;
the module and the course complete. The attempt on a 360-px phone, the rest at 1280 px."""

from __future__ import annotations

import re
import time
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from courses.models import CoursePage
from lms.assessments.demo import seed_demo_quizzes
from lms.assessments.models import Attempt, AttemptQuestion, QuizResult
from lms.learning import services
from lms.learning.models import Enrolment, ModuleProgress
from lms.people.demo import DemoAccount
from lms.people.models import Employee

from .conftest import DESKTOP, PHONE, Tab
from .test_journeys import LEARNER, assert_fits, log_in
from .test_learning_journey import assert_clean
from .test_video_journey import shoot as _shoot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CLOCK = re.compile(r"^\d\d:\d\d$")
SECONDS_LEFT = """() => {
  const [m, s] = document.querySelector('[data-quiz-clock]').textContent.split(':').map(Number);
  return m * 60 + s;
}"""


# What sticks out past a phone's width: the innermost such element and its ancestors, with
# their right edges (the first ancestor that fits is where the width was lost).
TOO_WIDE = """() => {
  const edge = document.documentElement.clientWidth + 1;
  const wide = (el) => el.getBoundingClientRect().right > edge;
  const culprit = Array.from(document.querySelectorAll('body *'))
    .find((el) => wide(el) && !Array.from(el.children).some(wide));
  const chain = [];
  for (let el = culprit; el && el !== document.body; el = el.parentElement) {
    const style = getComputedStyle(el);
    const right = Math.round(el.getBoundingClientRect().right);
    chain.push(`${el.tagName.toLowerCase()}.${el.className}: right ${right}px, `
      + `${style.display}, min-width ${style.minWidth}`);
  }
  return chain;
}"""


def fits(tab: Tab) -> None:
    """``assert_fits`` once the page's styles are in, naming what sticks out."""
    tab.page.wait_for_load_state("load")
    try:
        assert_fits(tab)
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {tab.page.evaluate(TOO_WIDE)}") from None


def shoot(tab: Tab, name: str) -> None:
    """A full-page screenshot of the page once it has all loaded (not half-parsed)."""
    tab.page.wait_for_load_state("load")
    _shoot(tab, name)


def seconds_left(page: Page) -> int:
    return int(page.evaluate(SECONDS_LEFT))


def saved(slot: AttemptQuestion) -> Any:
    slot.refresh_from_db(fields=["response"])
    return slot.response


def wait_saved(page: Page, slot: AttemptQuestion, response: Any, timeout: float = 10) -> None:
    """Wait until the database the live server writes to holds this response."""
    deadline = time.monotonic() + timeout
    while saved(slot) != response:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"question {slot.position} ({slot.kind}): {saved(slot)!r} saved, not {response!r}"
            )
        page.wait_for_timeout(100)


def _choice_text(slot: AttemptQuestion, choice_id: str) -> str:
    return next(c["text"] for c in slot.data["choices"] if c["id"] == choice_id)


def answer(page: Page, question: Locator, slot: AttemptQuestion) -> Any:
    """Answer the question as a learner who studied would (all right but one choice of the
    multiple-answer question); returns the response the server should have saved."""
    data = slot.data
    if slot.kind == "single":
        right = next(c["id"] for c in data["choices"] if Decimal(str(c["fraction"])) == 100)
        question.get_by_label(_choice_text(slot, right), exact=True).check()
        return right
    if slot.kind == "multiple":
        right = [c["id"] for c in data["choices"] if Decimal(str(c["fraction"])) > 0]
        ticked = sorted(right[:-1], key=slot.order.index)  # one right choice missed
        for choice_id in ticked:
            question.get_by_label(_choice_text(slot, choice_id), exact=True).check()
        return ticked
    if slot.kind == "truefalse":
        # The keyboard alone: focus the first radio; Space picks it, an arrow the other one.
        question.get_by_label("Benar", exact=True).focus()
        page.keyboard.press("Space" if data["correct"] else "ArrowDown")
        expect(
            question.get_by_label("Benar" if data["correct"] else "Salah", exact=True)
        ).to_be_checked()
        return data["correct"]
    if slot.kind == "short":
        given = data["answers"][0]["text"].capitalize()  # the key is matched without case
        question.get_by_label("Jawaban Anda", exact=True).focus()
        page.keyboard.type(given)
        return given
    if slot.kind == "numeric":
        # The Indonesian decimal comma, as a learner writes it.
        given = f"{Decimal(str(data['answers'][0]['value'])):.1f}".replace(".", ",")
        question.get_by_label("Jawaban Anda (angka)").fill(given)
        return given
    if slot.kind == "matching":
        for pair in data["pairs"]:
            question.get_by_label(pair["prompt"], exact=True).select_option(label=pair["answer"])
        return {pair["id"]: pair["answer"] for pair in data["pairs"]}
    raise AssertionError(f"unexpected kind {slot.kind}")


def assert_shown(question: Locator, slot: AttemptQuestion, response: Any) -> None:
    """The page, as the server renders it afresh, shows the saved answer."""
    if slot.kind in ("single", "multiple"):
        chosen = response if isinstance(response, list) else [response]
        for choice in slot.data["choices"]:
            box = question.get_by_label(choice["text"], exact=True)
            if choice["id"] in chosen:
                expect(box).to_be_checked()
            else:
                expect(box).not_to_be_checked()
    elif slot.kind == "truefalse":
        expect(question.get_by_label("Benar" if response else "Salah", exact=True)).to_be_checked()
    elif slot.kind in ("short", "numeric"):
        expect(question.locator("input[type=text]")).to_have_value(response)
    elif slot.kind == "matching":
        for pair in slot.data["pairs"]:
            select = question.get_by_label(pair["prompt"], exact=True)
            expect(select.locator("option:checked")).to_have_text(response[pair["id"]])
    expect(question.locator("[data-answer-status]")).to_have_text("Sudah dijawab.")


def test_learner_passes_the_timed_demo_quiz_and_the_course_completes(
    tab: Tab, demo: dict[str, DemoAccount]
) -> None:
    page = tab.page
    course = CoursePage.objects.get(slug="integritas-asn")
    quiz = seed_demo_quizzes(course=course)  # as `make run`'s seed_demo does
    learner = Employee.objects.get(nip=demo[LEARNER].nip)
    enrolment = services.enrolment_request(actor=learner, course=course)
    *others, last = course.modules()
    for module in others:
        services.module_mark_done(actor=learner, enrolment=enrolment, module=module)

    # The course page leads to the one module left; it ends with the quiz.
    log_in(tab, learner.nip)
    tab.open(course.url)
    expect(page.get_by_text("2 dari 3 modul wajib selesai")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Lanjutkan belajar")).click()
    expect(page).to_have_url(tab.base_url + last.url)
    expect(page.get_by_role("heading", level=1)).to_have_text(last.title)
    block = page.locator(".block-quiz")
    expect(block).to_contain_text(f"Kuis: {quiz.title}")
    expect(block.locator(".chip")).to_have_text(
        ["Dinilai", "10 menit", "Nilai lulus 70", "Maksimal 3 percobaan"]
    )
    expect(page.get_by_text("Modul ini selesai setelah Anda lulus kuisnya.")).to_be_visible()
    expect(page.get_by_role("button", name="Tandai selesai")).to_have_count(0)
    shoot(tab, "quiz-module-1280")
    block.get_by_role("link", name=re.compile("^Buka kuis")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(quiz.title)
    facts = page.locator(".quiz-facts")
    expect(facts).to_contain_text("Jumlah soal6")
    expect(facts).to_contain_text("10 menit")
    expect(facts).to_contain_text("0 dari 3 dipakai")
    expect(page.get_by_text("Anda belum menyelesaikan kuis ini.")).to_be_visible()
    shoot(tab, "quiz-page-1280")

    # The attempt, on a phone.
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Mulai", exact=True).click()
    expect(page).to_have_url(re.compile(r"/kuis/percobaan/\d+/$"))
    attempt = Attempt.objects.get(quiz=quiz, employee=learner)
    assert attempt.deadline is not None
    assert (attempt.deadline - attempt.started_at).total_seconds() == 600
    slots = list(attempt.questions.order_by("position"))
    count = len(slots)
    assert sorted(s.kind for s in slots) == sorted(
        ["single", "multiple", "truefalse", "short", "numeric", "matching"]
    )

    # The timer counts down from the server's deadline.
    clock = page.get_by_role("timer")
    expect(clock).to_have_text(CLOCK)
    started = seconds_left(page)
    assert 590 <= started <= 600, started
    page.wait_for_function(f"() => ({SECONDS_LEFT})() < {started}")

    expected: dict[int, Any] = {}
    halfway = count // 2
    for slot in slots:
        n = slot.position
        question = page.locator(f'[data-question][data-position="{n}"]')
        expect(question.get_by_role("heading", level=2)).to_contain_text(f"Soal {n} dari {count}")
        expect(page.locator(".question")).to_have_count(1)
        # The clock ticking in minutes and seconds: quiz.js is running and listening.
        expect(clock).to_have_text(CLOCK)
        fits(tab)
        expected[n] = answer(page, question, slot)
        # Saved as given, as it was given: no button pressed.
        wait_saved(page, slot, expected[n])
        expect(question.locator("[data-answer-status]")).to_have_text("Tersimpan")
        expect(page.locator(f'.quiz-nav [data-nav="{n}"]')).to_have_class(
            re.compile(r"\bis-answered\b")
        )
        shoot(tab, f"quiz-attempt-{slot.kind}-360")

        if n == halfway:
            # Reloaded half-way: the answer comes back from the server, the clock goes on.
            before = seconds_left(page)
            page.reload()
            question = page.locator(f'[data-question][data-position="{n}"]')
            assert_shown(question, slot, expected[n])
            expect(clock).to_have_text(CLOCK)
            assert seconds_left(page) <= before
            answered = page.locator(".quiz-nav .nav-item.is-answered")
            expect(answered).to_have_count(n)
            expect(page.locator("[data-quiz-unanswered]")).to_have_text(
                f"{count - n} soal belum dijawab."
            )
        if n < count:
            page.get_by_role("button", name="Berikutnya →").click()

    expect(page.locator("[data-quiz-unanswered]")).to_have_text("Semua soal sudah dijawab.")
    page.set_viewport_size(DESKTOP)
    shoot(tab, "quiz-attempt-last-1280")
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Kumpulkan").click()

    # The result: a pass, and the review question by question.
    expect(page).to_have_url(re.compile(rf"/kuis/percobaan/{attempt.pk}/hasil/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hasil percobaan ke-1")
    expect(page.get_by_text("Jawaban Anda sudah dikumpulkan dan dinilai.")).to_be_visible()
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.SUBMITTED
    assert {s.position: s.response for s in attempt.questions.all()} == expected
    # Five right, and two thirds of the multiple-answer question: 5.67 of 6 points.
    assert attempt.score == Decimal("94.50")
    score = page.locator(".quiz-score")
    expect(score).to_contain_text(re.compile(r"94[,.]5"))
    expect(score).to_contain_text("Lulus")
    expect(score).to_have_class(re.compile(r"\bis-passed\b"))
    review = page.locator(".review-item")
    expect(review).to_have_count(count)
    expect(page.locator(".review-item.is-right")).to_have_count(count - 1)
    partial = page.locator(".review-item.is-partial")
    expect(partial).to_have_count(1)
    expect(partial).to_contain_text("sebagian benar")
    expect(partial).to_contain_text("Jawaban yang benar")
    fits(tab)
    shoot(tab, "quiz-result-360")
    page.set_viewport_size(DESKTOP)
    shoot(tab, "quiz-result-1280")
    assert QuizResult.objects.get(quiz=quiz, employee=learner).passed

    # The quiz page counts the attempt and shows the pass.
    page.get_by_role("link", name="Kembali ke kuis").click()
    expect(page.locator(".quiz-facts")).to_contain_text("1 dari 3 dipakai")
    expect(page.locator(".quiz-result .quiz-score")).to_contain_text("Lulus")

    # The module is complete, and with it the course (the quiz was its last requirement).
    tab.open(last.url)
    expect(page.locator(".status-completed").first).to_contain_text(
        "Anda menyelesaikan modul ini pada"
    )
    expect(page.get_by_text("Modul ini selesai setelah Anda lulus kuisnya.")).to_have_count(0)
    tab.open(course.url)
    expect(page.get_by_text("3 dari 3 modul wajib selesai (100%)")).to_be_visible()
    expect(page.locator(".status-completed")).to_contain_text("Selesai pada")
    shoot(tab, "quiz-course-completed-1280")
    assert ModuleProgress.objects.get(enrolment=enrolment, module=last).completed_at is not None
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.COMPLETED
    assert_clean(tab)
