"""Evaluating an angkatan or an open session: the learner rates the course and each
instructor once. What they answered is stored apart from the fact that they answered
(the receipt), with nothing that leads from one to the other: the response has no person,
no time and a random key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.people.models import Employee

from ..models import (
    Cohort,
    EvaluationAnswer,
    EvaluationReceipt,
    EvaluationResponse,
    Questionnaire,
    QuestionnaireItem,
    Session,
)
from . import selectors

COMMENT_MAX_LENGTH = 2000

# The questionnaire used when an angkatan or programme names none (and BKPSDM has not
# marked one as the default): what Pemda evaluations of diklat usually ask.
DEFAULT_NAME = "Evaluasi penyelenggaraan dan pengajar (bawaan)"
DEFAULT_ITEMS: tuple[tuple[str, str, str, bool], ...] = (
    ("course", "likert", "Materi sesuai dengan tujuan pelatihan.", True),
    ("course", "likert", "Materi bermanfaat bagi pelaksanaan tugas saya.", True),
    ("course", "likert", "Waktu pelatihan memadai untuk materi yang disampaikan.", True),
    ("course", "likert", "Sarana dan prasarana (ruang, perangkat, tautan daring) mendukung.", True),
    ("course", "comment", "Saran untuk perbaikan penyelenggaraan.", False),
    ("instructor", "likert", "Penguasaan materi.", True),
    ("instructor", "likert", "Cara menyajikan materi jelas dan sistematis.", True),
    ("instructor", "likert", "Memberi kesempatan bertanya dan menanggapi dengan baik.", True),
    ("instructor", "likert", "Ketepatan waktu.", True),
    ("instructor", "comment", "Komentar atau saran untuk pengajar ini.", False),
)


def default_questionnaire() -> Questionnaire:
    """The default questionnaire, made with the items above the first time one is needed."""
    found = Questionnaire.objects.filter(is_default=True).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            questionnaire = Questionnaire.objects.create(name=DEFAULT_NAME, is_default=True)
            QuestionnaireItem.objects.bulk_create(
                QuestionnaireItem(
                    questionnaire=questionnaire,
                    about=about,
                    kind=kind,
                    text=text,
                    required=required,
                    sort_order=order,
                )  # fmt: skip
                for order, (about, kind, text, required) in enumerate(DEFAULT_ITEMS)
            )
    except IntegrityError:
        # Another request made it first (one default, by the database's constraint).
        return Questionnaire.objects.get(is_default=True)
    return questionnaire


def questionnaire_for(*, cohort: Cohort | None = None, session: Session | None = None) -> Any:
    """The angkatan's or programme's questionnaire, else the default."""
    chosen = selectors.chosen_questionnaire(cohort=cohort, session=session)
    return chosen if chosen is not None else default_questionnaire()


def _clean_answers(
    form: selectors.EvaluationForm, answers: Mapping[str, Any]
) -> list[EvaluationAnswer]:
    """The answers as rows, or a ValidationError naming each field that is wrong."""
    errors: dict[str, str] = {}
    rows: list[EvaluationAnswer] = []
    for question in form.questions:
        raw = answers.get(question.key)
        text = "" if raw is None else str(raw).strip()
        item = question.item
        if not text:
            if item.required:
                errors[question.key] = (
                    _("Pilih nilai 1 sampai 5.")
                    if item.kind == QuestionnaireItem.Kind.LIKERT
                    else _("Isian ini wajib diisi.")
                )
            continue
        answer = EvaluationAnswer(item=item, instructor=question.instructor)
        if item.kind == QuestionnaireItem.Kind.LIKERT:
            if text not in {"1", "2", "3", "4", "5"}:
                errors[question.key] = _("Pilih nilai 1 sampai 5.")
                continue
            answer.score = int(text)
        else:
            if len(text) > COMMENT_MAX_LENGTH:
                errors[question.key] = _("Paling banyak %(n)d karakter.") % {
                    "n": COMMENT_MAX_LENGTH
                }
                continue
            answer.comment = text
        rows.append(answer)
    if errors:
        raise ValidationError(errors)
    return rows


def evaluation_submit(
    *,
    actor: Employee,
    cohort: Cohort | None = None,
    session: Session | None = None,
    answers: Mapping[str, Any],
    now: dt.datetime | None = None,
) -> EvaluationResponse:
    """The learner's evaluation of an angkatan (its course and instructors) or of an open
    session: refused to anyone who did not take part, and to a second submission (the
    receipt's unique constraint settles a race). ``answers`` maps each question's key
    (``selectors.question_key``) to a score 1-5 or a comment; nothing is saved unless
    every required question is answered."""
    if (cohort is None) == (session is None):
        raise ValidationError(_("Pilih satu angkatan atau satu sesi."))
    now = now or timezone.now()
    reason = selectors.evaluation_refusal(employee=actor, cohort=cohort, session=session, now=now)
    if reason:
        raise PermissionDenied(reason)
    if selectors.already_evaluated(employee=actor, cohort=cohort, session=session):
        raise ValidationError(_("Anda sudah mengisi evaluasi ini."))
    questionnaire = questionnaire_for(cohort=cohort, session=session)
    form = selectors.evaluation_form(questionnaire=questionnaire, cohort=cohort, session=session)
    rows = _clean_answers(form, answers)
    if cohort is not None:
        year = cohort.starts_on.year
        course_id = cohort.course_id
    else:
        assert session is not None
        year = timezone.localtime(session.starts_at).year
        course_id = None
    with transaction.atomic():
        try:
            with transaction.atomic():
                EvaluationReceipt.objects.create(
                    employee=actor, cohort=cohort, session=session,
                    submitted_on=timezone.localdate(now),
                )  # fmt: skip
        except IntegrityError:
            raise ValidationError(_("Anda sudah mengisi evaluasi ini.")) from None
        response = EvaluationResponse(
            questionnaire=questionnaire, course_id=course_id, cohort=cohort, session=session,
            year=year,
        )  # fmt: skip
        # The related rows were just read; checking that they exist again costs a query each.
        response.full_clean(exclude=["questionnaire", "course", "cohort", "session"])
        response.save()
        for row in rows:
            row.response = response
        EvaluationAnswer.objects.bulk_create(rows)
    return response
