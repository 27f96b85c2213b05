"""Quiz answers and submits per second against a bare view, and submit latency with 200
learners taking a quiz at once, on the real stack.

Run: ``.venv/bin/python -m bench.quiz`` (PostgreSQL on 127.0.0.1:5432 as ``postgres``, or the
server in ``BENCH_DATABASE_URL``). Like ``bench.catalogue``: gunicorn as deployed (2 workers
x 4 threads) on a fresh database, keep-alive client threads in this process, and a view
that returns a tiny response without touching the database, measured before, between and
after, so only ratios to it compare between runs.

200 learners are enrolled in a course whose module holds a 20-question quiz (single and
multiple choice, true/false, short answer, numeric), each with an attempt open (started
through the service, as the "Mulai" button does). Each request is what the quiz page sends:

- *answer*: ``POST /kuis/percobaan/<id>/jawab/`` with ``{position, response}`` as JSON,
  the learner's session cookie and CSRF header; the client threads go round the learners
  and questions, changing answers as a learner does;
- *submit*: ``POST /kuis/percobaan/<id>/kumpulkan/``, which grades the attempt, writes the
  result and completes the module (answered 302, to the result page); every attempt is
  submitted once, so this phase is the 200 submits as fast as the client threads go.

Then the class: 200 learners (a thread each) take the quiz at the same time on fresh
attempts: each answers its 20 questions with a pause of 2 to 6 s between answers, and
submits; the figure is the submits' 95th-percentile latency (target under 100 ms). A real
sitting gives a question half a minute or more: the pauses compress it about tenfold, so
that the 200 answer about 50 times a second and their submits arrive within a few seconds
of each other. (All 200 submitting in the same instant, as a shared deadline would make
them, is the flat-out submit phase above: its rate says how long such a burst takes.)
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bench._common import (
    django_on_fresh_database,
    enrol_all,
    logged_in,
    machine_info,
    plain_learners,
    write_results,
)
from bench._load import Call, Maker, bare_maker, measure
from bench.catalogue import (
    BARE_PATH,
    CLIENT_THREADS,
    GUNICORN_THREADS,
    GUNICORN_WORKERS,
    MEASURE_SECONDS,
    REQUEST_TIMEOUT_SECONDS,
    SETTINGS_MODULE,
    WARMUP_SECONDS,
    Phase,
    Target,
    free_port,
    start_gunicorn,
    stop_gunicorn,
    wait_until_serving,
)

NAME = "quiz"
DB_NAME = "sinau_bench_quiz"
SEED = 20_261_125
LEARNERS = 200
# Twenty questions: what each kind contributes, and the answer the client sends.
QUESTION_KINDS = ["single"] * 8 + ["multiple"] * 4 + ["truefalse"] * 4 + ["short"] * 2
QUESTION_KINDS += ["numeric"] * 2
THINK_SECONDS = (2.0, 6.0)
P95_TARGET_MS = 100.0


@dataclass
class Learner:
    employee_id: int
    cookie: str
    csrf: str
    attempt_id: int = 0
    kinds: dict[int, str] = field(default_factory=dict)  # position -> kind

    def headers(self, content_type: str | None = None) -> dict[str, str]:
        headers = {"Cookie": self.cookie, "X-CSRFToken": self.csrf}
        if content_type:
            headers["Content-Type"] = content_type
        return headers


def _question_data(kind: str, number: int) -> dict[str, Any]:
    if kind == "single":
        return {
            "choices": [
                {"id": "a", "text": f"Jawaban benar {number}", "fraction": 100, "feedback": ""},
                {"id": "b", "text": "Pengecoh pertama", "fraction": 0, "feedback": ""},
                {"id": "c", "text": "Pengecoh kedua", "fraction": 0, "feedback": ""},
                {"id": "d", "text": "Pengecoh ketiga", "fraction": 0, "feedback": ""},
            ]
        }
    if kind == "multiple":
        return {
            "rule": "sum",
            "choices": [
                {"id": "a", "text": "Benar satu", "fraction": 50, "feedback": ""},
                {"id": "b", "text": "Benar dua", "fraction": 50, "feedback": ""},
                {"id": "c", "text": "Salah", "fraction": -100, "feedback": ""},
            ],
        }
    if kind == "truefalse":
        return {"correct": number % 2 == 0}
    if kind == "short":
        return {"answers": [{"text": "Pancasila", "fraction": 100, "feedback": ""}]}
    return {"answers": [{"value": 20, "tolerance": 0, "fraction": 100, "feedback": ""}]}


def make_quiz(title: str, **fields: Any) -> Any:
    """A quiz of the twenty questions (one of each of QUESTION_KINDS, in a bank of its own),
    pass mark 60."""
    from lms.assessments.models import Question, QuestionBank, Quiz, QuizRule

    bank = QuestionBank.objects.create(title=f"Bank Soal {title}")
    quiz = Quiz.objects.create(title=title, pass_mark=Decimal("60"), **fields)
    for number, kind in enumerate(QUESTION_KINDS, start=1):
        question = Question.objects.create(
            bank=bank, kind=kind, name=f"Soal {number}", stem=f"<p>Pertanyaan {number}</p>",
            data=_question_data(kind, number),
        )  # fmt: skip
        QuizRule.objects.create(quiz=quiz, question=question, sort_order=number)
    return quiz


def seed(rng: random.Random) -> tuple[list[Learner], int]:
    """The course, the quiz and the learners with their sessions; returns the quiz id."""
    from django.db import transaction

    from courses.demo import seed_demo_catalogue
    from courses.models import CatalogueIndexPage, CoursePage, ModulePage
    from lms.people.demo import seed_demo_pemda

    logging.getLogger("wagtail").setLevel(logging.WARNING)
    seed_demo_pemda(employees=LEARNERS + 40)
    seed_demo_catalogue()
    quiz = make_quiz("Kuis Uji Beban", shuffle_questions=True, shuffle_choices=True)
    course = CoursePage(
        title="Kuis Integritas Massal", slug="kuis-massal", summary="Satu modul, satu kuis.",
        jp_credited=Decimal("2"),
    )  # fmt: skip
    CatalogueIndexPage.objects.get().add_child(instance=course)
    course.save_revision().publish()
    module = ModulePage(title="Evaluasi", slug="evaluasi")
    course.add_child(instance=module)
    module.body = [("quiz", {"quiz": quiz, "required_to_pass": True})]
    module.save_revision().publish()  # fills the reference index, through which access runs
    employees = plain_learners(LEARNERS)
    with transaction.atomic():
        enrol_all(course, employees, started_days_ago=1)
    learners = []
    for employee in employees:
        cookie, csrf, _session = logged_in(employee)
        learners.append(Learner(employee_id=employee.pk, cookie=cookie, csrf=csrf))
    rng.shuffle(learners)
    return learners, quiz.pk


def open_attempts(learners: list[Learner], quiz_id: int) -> None:
    """A fresh open attempt for every learner, as the "Mulai" button starts one."""
    from lms.assessments import services
    from lms.assessments.models import Quiz
    from lms.people.models import Employee

    quiz = Quiz.objects.get(pk=quiz_id)
    people = Employee.objects.in_bulk([learner.employee_id for learner in learners])
    for learner in learners:
        attempt = services.attempt_start(actor=people[learner.employee_id], quiz=quiz)
        learner.attempt_id = attempt.pk
        learner.kinds = dict(attempt.questions.values_list("position", "kind"))


def answer_for(kind: str, rng: random.Random) -> Any:
    """A response as the quiz page sends it (places in the shown order, not ids)."""
    if kind == "single":
        return str(rng.randint(1, 4))
    if kind == "multiple":
        return sorted(rng.sample(["1", "2", "3"], rng.randint(1, 2)))
    if kind == "truefalse":
        return rng.choice(["true", "false"])
    if kind == "short":
        return rng.choice(["Pancasila", "pancasila ", "UUD 1945"])
    return rng.choice(["20", "19,5", "21"])


def answer_call(learner: Learner, position: int, rng: random.Random) -> Call:
    body = json.dumps(
        {"position": position, "response": answer_for(learner.kinds[position], rng)}
    ).encode()
    return Call(
        "POST", f"/kuis/percobaan/{learner.attempt_id}/jawab/", body,
        learner.headers("application/json"),
    )  # fmt: skip


def submit_call(learner: Learner) -> Call:
    return Call(
        "POST", f"/kuis/percobaan/{learner.attempt_id}/kumpulkan/", b"",
        learner.headers("application/x-www-form-urlencoded"), expect=(302,),
    )  # fmt: skip


def answer_maker(learners: list[Learner], rng: random.Random) -> Maker:
    """Go round this thread's learners, each time another question of theirs."""
    state = {"next": 0}

    def make() -> Call:
        number = state["next"]
        state["next"] += 1
        learner = learners[number % len(learners)]
        position = (number // len(learners)) % len(QUESTION_KINDS) + 1
        return answer_call(learner, position, rng)

    return make


def send(conn: http.client.HTTPConnection, call: Call) -> float:
    """One request on the connection; its latency in seconds (a wrong status stops it)."""
    started = time.perf_counter()
    conn.request(call.method, call.path, body=call.body or None, headers=call.headers)
    response = conn.getresponse()
    content = response.read()
    elapsed = time.perf_counter() - started
    if response.status not in call.expect:
        raise RuntimeError(f"{call.path} answered {response.status}: {content[:200]!r}")
    return elapsed


def submit_all(port: int, learners: list[Learner]) -> dict[str, Any]:
    """Every open attempt submitted once, by ``CLIENT_THREADS`` threads going flat out."""
    shares = [learners[i::CLIENT_THREADS] for i in range(CLIENT_THREADS)]
    latencies: list[float] = []
    failures: list[str] = []

    def run(share: list[Learner]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS)
        try:
            for learner in share:
                latencies.append(send(conn, submit_call(learner)))
        except Exception as error:  # reported by the main thread
            failures.append(f"submit: {type(error).__name__}: {error}")
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if failures:
        raise SystemExit(failures[0])
    return {
        "requests": len(latencies),
        "seconds": round(seconds, 2),
        "requests_per_second": round(len(latencies) / seconds, 1),
        "latency_mean_ms": round(1000 * statistics.fmean(latencies), 2),
        "latency_p95_ms": round(1000 * percentile(latencies, 0.95), 2),
    }


def percentile(samples: Sequence[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def class_sitting(port: int, learners: list[Learner], rng_seed: int) -> dict[str, Any]:
    """200 learners at once: each answers every question with a pause between answers, then
    submits; the latencies of each kind of request."""
    answers: list[float] = []
    submits: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(learners))

    def sit(learner: Learner, seed: int) -> None:
        rng = random.Random(seed)

        def once(call: Call) -> float:
            # A connection per request: with seconds between answers, the server's
            # keep-alive (a few seconds) would have closed a kept one, as for a browser.
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS)
            try:
                return send(conn, call)
            finally:
                conn.close()

        try:
            start.wait()
            time.sleep(rng.uniform(0, THINK_SECONDS[1]))  # not all in the same millisecond
            mine = []
            for position in sorted(learner.kinds):
                time.sleep(rng.uniform(*THINK_SECONDS))
                mine.append(once(answer_call(learner, position, rng)))
            submitted = once(submit_call(learner))
            with lock:
                answers.extend(mine)
                submits.append(submitted)
        except Exception as error:  # reported by the main thread
            failures.append(f"class: {type(error).__name__}: {error}")

    threads = [
        threading.Thread(target=sit, args=(learner, rng_seed + i), name=f"learner-{i}")
        for i, learner in enumerate(learners)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if failures:
        raise SystemExit(failures[0])
    return {
        "learners": len(learners),
        "seconds": round(seconds, 1),
        "answers": len(answers),
        "answers_per_second": round(len(answers) / seconds, 1),
        "answer_p95_ms": round(1000 * percentile(answers, 0.95), 2),
        "submits": len(submits),
        "submit_mean_ms": round(1000 * statistics.fmean(submits), 2),
        "submit_p50_ms": round(1000 * percentile(submits, 0.5), 2),
        "submit_p95_ms": round(1000 * percentile(submits, 0.95), 2),
        "submit_max_ms": round(1000 * max(submits), 2),
    }


def graded_count(quiz_id: int) -> dict[str, int]:
    from lms.assessments.models import Attempt, QuizResult

    return {
        "attempts_graded": Attempt.objects.filter(quiz_id=quiz_id, score__isnull=False).count(),
        "results": QuizResult.objects.filter(quiz_id=quiz_id).count(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quiz", description=__doc__)
    parser.parse_args(argv)
    rng = random.Random(SEED)
    print(f"{NAME}: database {DB_NAME}, settings {SETTINGS_MODULE}")
    with django_on_fresh_database(DB_NAME, settings_module=SETTINGS_MODULE):
        learners, quiz_id = seed(rng)
        open_attempts(learners, quiz_id)
        machine = machine_info()
        print(
            f"  seeded {LEARNERS} learners, a {len(QUESTION_KINDS)}-question quiz; serving on "
            f"gunicorn, {GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads"
        )
        bare = Target("bare", "bare view", BARE_PATH, logged_in=False)
        answer = Target("answer", "answer", "/kuis/percobaan/<id>/jawab/ (POST, JSON)", True)
        port = free_port()
        with tempfile.TemporaryFile(prefix=f"{NAME}-gunicorn-") as log:
            server = start_gunicorn(port, log)
            try:
                wait_until_serving(server, port)
                bare_makers = [bare_maker() for _ in range(CLIENT_THREADS)]
                shares = [learners[i::CLIENT_THREADS] for i in range(CLIENT_THREADS)]
                answer_makers = [
                    answer_maker(share, random.Random(SEED + i)) for i, share in enumerate(shares)
                ]
                phases: list[Phase] = [measure(server, port, bare, bare_makers)]
                phases.append(measure(server, port, answer, answer_makers))
                phases.append(measure(server, port, bare, bare_makers))
                submits = submit_all(port, learners)
                phases.append(measure(server, port, bare, bare_makers))
                open_attempts(learners, quiz_id)
                sitting = class_sitting(port, learners, SEED)
            except BaseException:
                stop_gunicorn(server)
                log.seek(0)
                tail = log.read().decode(errors="replace").splitlines()[-20:]
                print("gunicorn log, last lines:\n  " + "\n  ".join(tail), file=sys.stderr)
                raise
            stop_gunicorn(server)
        graded = graded_count(quiz_id)
    if graded["attempts_graded"] != 2 * LEARNERS or graded["results"] != LEARNERS:
        raise SystemExit(f"not every submit was graded once: {graded}")
    report(phases, submits, sitting, graded, machine)
    return 0


def report(
    phases: list[Phase],
    submits: dict[str, Any],
    sitting: dict[str, Any],
    graded: dict[str, int],
    machine: dict[str, Any],
) -> None:
    bares = [p for p in phases if p.target.key == "bare"]
    answer = next(p for p in phases if p.target.key == "answer")
    baseline_rps = statistics.fmean(p.rps for p in bares)
    figures: dict[str, Any] = {
        "learners": LEARNERS,
        "questions": len(QUESTION_KINDS),
        "answer": answer.figures(),
        "submit": submits,
        "class_of_200": sitting,
        **graded,
    }
    baseline: dict[str, Any] = {
        "what": f"a view returning a 2-byte HttpResponse ({BARE_PATH}) through the same "
        "gunicorn and middleware, no database; measured before, between and after",
        "requests_per_second": round(baseline_rps, 1),
        "phases": [p.figures() for p in bares],
    }
    ratio: dict[str, Any] = {
        "answer_rps_vs_baseline": round(answer.rps / baseline_rps, 3),
        "submit_rps_vs_baseline": round(submits["requests_per_second"] / baseline_rps, 3),
        "class_submit_p95_ms": sitting["submit_p95_ms"],
        "class_submit_p95_target_ms": P95_TARGET_MS,
    }
    machine.update(
        {
            "gunicorn": f"{GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads (gthread), "
            "deploy/gunicorn.conf.py with --max-requests 0",
            "client": f"{CLIENT_THREADS} threads for the rates ({WARMUP_SECONDS:g} s warm-up + "
            f"{MEASURE_SECONDS:g} s per phase), {LEARNERS} threads for the class, same machine",
        }
    )
    path = write_results(NAME, figures=figures, baseline=baseline, ratio=ratio, machine=machine)
    print(
        f"  bare view    {baseline_rps:8.1f} req/s (mean of {len(bares)} phases)\n"
        f"  answer       {answer.rps:8.1f} req/s  ({ratio['answer_rps_vs_baseline']:.2f} x bare), "
        f"p95 {answer.latency_ms(0.95):.1f} ms\n"
        f"  submit       {submits['requests_per_second']:8.1f} req/s  "
        f"({ratio['submit_rps_vs_baseline']:.2f} x bare; {submits['requests']} submits "
        f"flat out), p95 {submits['latency_p95_ms']:.1f} ms\n"
        f"  class of {LEARNERS}: {sitting['answers']} answers in {sitting['seconds']} s, answer "
        f"p95 {sitting['answer_p95_ms']:.1f} ms; submit p50 {sitting['submit_p50_ms']:.1f} ms, "
        f"p95 {sitting['submit_p95_ms']:.1f} ms (target under {P95_TARGET_MS:g}), "
        f"max {sitting['submit_max_ms']:.1f} ms\n"
        f"  graded       {graded['attempts_graded']} attempts, {graded['results']} results\n"
        f"  machine      {machine['cpu_count']} CPUs, Python {machine['python']}, "
        f"PostgreSQL {machine['postgresql']}\n"
        f"  written      {path.relative_to(path.parents[2])}"
    )


if __name__ == "__main__":
    sys.exit(main())
