"""Bad input in assessments: fuzzed GIFT and XLSX question files import nothing and say so;
HTML and script typed as a quiz answer are kept as text and shown escaped to the learner
and to the instructor's report."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from lms.assessments.models import Attempt, Question, QuestionBank
from tests.assessments.test_admin import import_url, text_of, upload
from tests.assessments.test_views import answer_url, post_json, result_url, submit_url

SCRIPT = "<script>alert(1)</script>"
FUZZ = hypothesis_settings(
    max_examples=15, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip


def client_for(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@FUZZ
@given(
    data=st.one_of(st.binary(max_size=3000), st.text(max_size=1500).map(str.encode)),
    kind=st.sampled_from([("gift", "soal.gift"), ("gift", "soal.txt"), ("xlsx", "soal.xlsx")]),
)
def test_fuzzed_question_files_import_nothing_and_say_why(
    pemda: dict[str, Any], bank: QuestionBank, data: bytes, kind: tuple[str, str]
) -> None:
    before = Question.objects.filter(bank=bank).count()
    fmt, name = kind
    response = client_for(pemda["superuser"]).post(
        import_url(bank), {"format": fmt, "file": upload(name, data)}
    )
    assert response.status_code < 500
    after = Question.objects.filter(bank=bank).count()
    if after == before:
        assert response.status_code == 200
        page = text_of(response)
        reasons = ("Tidak ada soal yang diimpor", "kosong", "bukan")
        assert any(reason in page for reason in reasons), page[:300]


def test_script_in_a_quiz_answer_is_kept_as_text_and_escaped(
    pemda: dict[str, Any], learner: Any, started: Attempt
) -> None:
    client = client_for(learner)
    slot = started.questions.get(kind="short")
    answer = {"position": slot.position, "response": SCRIPT}
    response = post_json(client, answer_url(started), answer)
    assert response.status_code == 200
    response = client.post(submit_url(started))
    assert response.status_code < 500
    page = client.get(result_url(started)).content.decode()
    assert SCRIPT not in page
    # The instructor's (here BKPSDM's) report of this learner's attempt.
    report = client_for(pemda["superuser"]).get(
        reverse("laporan_kuis:learner", args=[started.quiz_id, learner.pk])
    )
    assert report.status_code == 200
    html = report.content.decode()
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
