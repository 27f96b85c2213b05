"""Small input and output serializers of the learner endpoints: shape only, no rules.

Outputs read the objects the selectors return; inputs parse what a client sends and stop
there: the services decide. Composite inputs (watched ranges, answers) are read as one
JSON value and checked whole, so that an error names the field the client sent
(``intervals``), never a position inside it that the schema cannot name.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from wagtail.rich_text import RichText, expand_db_html

from courses.models import (
    CompetencyType,
    CourseLanguage,
    CourseLevel,
    EnrolmentPolicy,
    TrainingForm,
)
from lms.assessments.models import Attempt, Question, Quiz
from lms.learning.models import Enrolment, ExternalTraining, JenisDiklat, JPEntry
from lms.videos.watching import MAX_INTERVALS, MAX_TICKET_CHARS

# Ids in paths and bodies: a database id has at most 18 digits (lms.core.converters).
MAX_ID = 10**18 - 1


def _html(value: Any) -> str:
    """Rich text as the page shows it (links and images expanded); plain text escaped."""
    if isinstance(value, RichText):
        return expand_db_html(value.source)
    return escape(str(value))


# --- Catalogue -----------------------------------------------------------------------------


class CourseListItemSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    summary = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="The course page on the site.")
    jp = serializers.DecimalField(source="jp_credited", max_digits=5, decimal_places=2)
    competency_type = serializers.ChoiceField(choices=CompetencyType.choices)
    level = serializers.ChoiceField(choices=CourseLevel.choices)
    training_form = serializers.ChoiceField(choices=TrainingForm.choices)
    language = serializers.ChoiceField(choices=CourseLanguage.choices)
    jenis = serializers.SerializerMethodField(
        help_text="SIASN jenis diklat code the completion is credited under."
    )
    enrolment_policy = serializers.ChoiceField(choices=EnrolmentPolicy.choices)
    enrolment_opens = serializers.DateTimeField(allow_null=True)
    enrolment_closes = serializers.DateTimeField(allow_null=True)
    capacity = serializers.IntegerField(allow_null=True)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, course: Any) -> str:
        request = self.context.get("request")
        return course.get_full_url(request) or ""

    def get_jenis(self, course: Any) -> int:
        codes: dict[int, int] = self.context.get("jenis_codes", {})
        if course.jenis_diklat_id is not None and course.jenis_diklat_id in codes:
            return codes[course.jenis_diklat_id]
        from lms.learning.services import JENIS_KLASIKAL, JENIS_ONLINE

        return JENIS_KLASIKAL if course.training_form == "klasikal" else JENIS_ONLINE


class EnrolmentBriefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Enrolment.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    source = serializers.ChoiceField(choices=Enrolment.Source.choices)  # type: ignore[assignment]
    due_date = serializers.DateField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class CourseModuleSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="module.pk")
    title = serializers.CharField(source="module.title")
    intro = serializers.CharField(source="module.intro")
    required_for_completion = serializers.BooleanField(source="module.required_for_completion")
    estimated_minutes = serializers.IntegerField(source="module.estimated_minutes", allow_null=True)
    started = serializers.BooleanField()
    completed = serializers.BooleanField()


class CourseDetailSerializer(CourseListItemSerializer):
    """A course with its modules and, for the caller, their enrolment and progress."""

    body = serializers.SerializerMethodField(help_text="HTML.")
    learning_objectives = serializers.SerializerMethodField(help_text="HTML.")
    prerequisites = serializers.SerializerMethodField(help_text="HTML.")
    instructors = serializers.SerializerMethodField()
    modules = serializers.SerializerMethodField()
    enrolment = serializers.SerializerMethodField()
    can_enrol = serializers.SerializerMethodField()
    enrol_block_reason = serializers.SerializerMethodField(
        help_text="Why the caller cannot enrol now; empty when they can (or are enrolled)."
    )
    seats_left = serializers.SerializerMethodField(help_text="null: no capacity set.")
    modules_done = serializers.SerializerMethodField()
    modules_required = serializers.SerializerMethodField()
    percent = serializers.SerializerMethodField()

    def _view(self) -> Any:
        return self.context["view_data"]

    def get_body(self, course: Any) -> str:
        return expand_db_html(course.body)

    def get_learning_objectives(self, course: Any) -> str:
        return expand_db_html(course.learning_objectives)

    def get_prerequisites(self, course: Any) -> str:
        return expand_db_html(course.prerequisites)

    def get_instructors(self, course: Any) -> list[str]:
        return [e.name_with_gelar for e in self._view().instructors]

    @extend_schema_field(CourseModuleSerializer(many=True))
    def get_modules(self, course: Any) -> Any:
        return CourseModuleSerializer(self._view().modules, many=True).data

    @extend_schema_field(EnrolmentBriefSerializer(allow_null=True))
    def get_enrolment(self, course: Any) -> Any:
        enrolment = self._view().enrolment
        return EnrolmentBriefSerializer(enrolment).data if enrolment is not None else None

    def get_can_enrol(self, course: Any) -> bool:
        return bool(self._view().can_enrol)

    def get_enrol_block_reason(self, course: Any) -> str:
        return str(self._view().enrol_block_reason)

    def get_seats_left(self, course: Any) -> int | None:
        return self._view().seats_left

    def get_modules_done(self, course: Any) -> int:
        return int(self._view().modules_done)

    def get_modules_required(self, course: Any) -> int:
        return int(self._view().modules_required)

    def get_percent(self, course: Any) -> int:
        return int(self._view().percent)


# --- Enrolments and progress ---------------------------------------------------------------


class CourseRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()


class EnrolmentSerializer(EnrolmentBriefSerializer):
    course = CourseRefSerializer()


class ModuleProgressRowSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    required_for_completion = serializers.BooleanField()
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    time_spent_seconds = serializers.IntegerField()


class EnrolmentDetailSerializer(EnrolmentSerializer):
    modules = ModuleProgressRowSerializer(many=True)
    modules_done = serializers.IntegerField()
    modules_required = serializers.IntegerField()
    percent = serializers.IntegerField(help_text="Required modules done, in whole percent.")
    missing = serializers.ListField(
        child=serializers.CharField(),
        help_text="What an active enrolment still lacks to complete (modules, post-test).",
    )


class WithdrawInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=500,
        help_text="Why (not required); the OPD admin sees it.",
    )  # fmt: skip


class ModuleDoneInputSerializer(serializers.Serializer[Any]):
    seconds = serializers.IntegerField(
        required=False, min_value=0, max_value=24 * 60 * 60,
        help_text="Study time the client measured; the server caps what one update adds.",
    )  # fmt: skip


class ModuleProgressSerializer(serializers.Serializer[Any]):
    module = serializers.IntegerField(source="progress.module_id")
    started_at = serializers.DateTimeField(source="progress.started_at")
    completed_at = serializers.DateTimeField(source="progress.completed_at", allow_null=True)
    time_spent_seconds = serializers.IntegerField(source="progress.time_spent_seconds")
    enrolment_status = serializers.ChoiceField(choices=Enrolment.Status.choices)
    course_completed = serializers.BooleanField()


# --- Video heartbeats ----------------------------------------------------------------------


@extend_schema_field(
    {
        "type": "array",
        "maxItems": MAX_INTERVALS,
        "items": {
            "type": "array",
            "minItems": 2,
            "maxItems": 2,
            "items": {"type": "number", "minimum": 0},
        },
        "description": "Ranges watched, [start, end) in seconds, 0 <= start < end.",
    }
)
class IntervalsField(serializers.JSONField):
    pass


def _seconds(value: Any) -> float | None:
    # JSON true is an int in Python, not a time.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


# The player sends JSON: a number is a number, true is not 1 and "5" is not a ticket.


class JSONIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class JSONFloatField(serializers.FloatField):
    def to_internal_value(self, data: Any) -> float:
        if _seconds(data) is None:
            self.fail("invalid")
        return super().to_internal_value(data)


class JSONBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class JSONCharField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class HeartbeatInputSerializer(serializers.Serializer[Any]):
    """``lms.videos.watching.heartbeat_parse``'s rules, field by field."""

    module = JSONIntegerField(
        min_value=1, max_value=MAX_ID, help_text="The module page showing the video."
    )
    intervals = IntervalsField(required=False)
    position = JSONFloatField(
        required=False, default=0.0, min_value=0, help_text="Playback position in seconds."
    )
    final = JSONBooleanField(
        required=False, default=False,
        help_text="The player paused, ended or is leaving: write the watch through now.",
    )  # fmt: skip
    ticket = JSONCharField(
        required=False, default="", allow_blank=True, max_length=MAX_TICKET_CHARS,
        help_text="The watch ticket of the previous answer (or of the module page), if any.",
    )  # fmt: skip

    def validate_intervals(self, value: Any) -> list[tuple[float, float]]:
        if not isinstance(value, list) or len(value) > MAX_INTERVALS:
            raise serializers.ValidationError(
                _("Rentang tontonan harus berupa daftar berisi paling banyak %(n)s pasang.")
                % {"n": MAX_INTERVALS},
                code="invalid",
            )
        intervals = []
        for pair in value:
            if not isinstance(pair, list) or len(pair) != 2:
                raise serializers.ValidationError(
                    _("Setiap rentang tontonan harus berupa pasangan [mulai, akhir]."),
                    code="invalid",
                )
            start, end = _seconds(pair[0]), _seconds(pair[1])
            if start is None or end is None or not 0 <= start < end:
                raise serializers.ValidationError(
                    _("Rentang tontonan harus 0 ≤ mulai < akhir (dalam detik)."), code="invalid"
                )
            intervals.append((start, end))
        return intervals


class HeartbeatSerializer(serializers.Serializer[Any]):
    watched_seconds = serializers.FloatField(help_text="Distinct seconds watched.")
    percent = serializers.IntegerField()
    completed = serializers.BooleanField(help_text="The course's share of the video is watched.")
    resume_at = serializers.FloatField()
    credited_seconds = serializers.FloatField(help_text="New seconds this heartbeat added.")
    module_completed = serializers.BooleanField()
    ticket = serializers.CharField(help_text="Send it with the next heartbeat.")


# --- Quizzes -------------------------------------------------------------------------------


class AttemptBriefSerializer(serializers.Serializer[Attempt]):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    state = serializers.ChoiceField(choices=Attempt.State.choices)
    score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class QuizResultSerializer(serializers.Serializer[Any]):
    score = serializers.DecimalField(max_digits=5, decimal_places=2)
    passed = serializers.BooleanField()


class QuizDetailSerializer(serializers.Serializer[Quiz]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=Quiz.Kind.choices)
    intro = serializers.CharField()
    pass_mark = serializers.DecimalField(max_digits=5, decimal_places=2)
    time_limit_minutes = serializers.IntegerField(allow_null=True)
    max_attempts = serializers.IntegerField(allow_null=True)
    grading = serializers.ChoiceField(choices=Quiz.Grading.choices)
    review = serializers.ChoiceField(choices=Quiz.Review.choices)
    opens_at = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField(allow_null=True)
    question_count = serializers.SerializerMethodField()
    attempts_left = serializers.SerializerMethodField(help_text="null: no limit.")
    can_start = serializers.SerializerMethodField(
        help_text="Whether POST .../attempts/ would start or resume an attempt now."
    )
    refusal = serializers.SerializerMethodField(help_text="Why not, when it would not.")
    open_attempt = serializers.SerializerMethodField(help_text="The attempt to resume, if any.")
    result = serializers.SerializerMethodField(help_text="The graded result, by the quiz's rule.")
    attempts = serializers.SerializerMethodField()

    def get_question_count(self, quiz: Quiz) -> int:
        return int(self.context["question_count"])

    def get_attempts_left(self, quiz: Quiz) -> int | None:
        if quiz.max_attempts is None:
            return None
        return max(0, quiz.max_attempts - len(self.context["attempts"]))

    def get_can_start(self, quiz: Quiz) -> bool:
        return not self.context["refusal"]

    def get_refusal(self, quiz: Quiz) -> str:
        return str(self.context["refusal"])

    def get_open_attempt(self, quiz: Quiz) -> int | None:
        return next((a.pk for a in self.context["attempts"] if a.is_open), None)

    @extend_schema_field(QuizResultSerializer(allow_null=True))
    def get_result(self, quiz: Quiz) -> Any:
        result = self.context["result"]
        return QuizResultSerializer(result).data if result is not None else None

    @extend_schema_field(AttemptBriefSerializer(many=True))
    def get_attempts(self, quiz: Quiz) -> Any:
        return AttemptBriefSerializer(self.context["attempts"], many=True).data


class OptionSerializer(serializers.Serializer[Any]):
    value = serializers.CharField(
        help_text="What an answer sends: the option's place in this attempt's order, from 1 "
        "('true'/'false' for true/false questions)."
    )
    label = serializers.SerializerMethodField(help_text="HTML.")  # type: ignore[assignment]
    checked = serializers.BooleanField()

    def get_label(self, option: Any) -> str:
        return _html(option.label)


class PromptSerializer(serializers.Serializer[Any]):
    value = serializers.CharField(help_text="The prompt's place, from 1: the key of an answer.")
    text = serializers.CharField()
    chosen = serializers.CharField(help_text="The value of the option chosen for it, or ''.")


class ReviewSerializer(serializers.Serializer[Any]):
    given = serializers.SerializerMethodField(help_text="The answer as given (HTML lines).")
    correct = serializers.SerializerMethodField(help_text="The right answer (HTML lines).")
    feedback = serializers.SerializerMethodField(help_text="HTML.")
    general_feedback = serializers.SerializerMethodField(help_text="HTML.")
    mark = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    outcome = serializers.ChoiceField(
        choices=[("right", "right"), ("partial", "partial"), ("wrong", "wrong")]
    )

    def get_given(self, review: Any) -> list[str]:
        return [_html(line) for line in review.given]

    def get_correct(self, review: Any) -> list[str]:
        return [_html(line) for line in review.correct]

    def get_feedback(self, review: Any) -> list[str]:
        return [_html(line) for line in review.feedback]

    def get_general_feedback(self, review: Any) -> str:
        return _html(review.general_feedback) if review.general_feedback else ""


class AttemptQuestionSerializer(serializers.Serializer[Any]):
    """A frozen question as the learner sees it: never its key, unless ``review`` is
    present (the quiz's review rule allows it, after the attempt is finished)."""

    position = serializers.IntegerField(source="shown.position")
    kind = serializers.ChoiceField(source="shown.kind", choices=Question.Kind.choices)
    stem = serializers.SerializerMethodField(help_text="HTML.")
    max_mark = serializers.DecimalField(source="shown.max_mark", max_digits=6, decimal_places=2)
    options = OptionSerializer(source="shown.options", many=True)
    prompts = PromptSerializer(source="shown.prompts", many=True)
    text = serializers.CharField(source="shown.text", help_text="Short and numeric answers.")
    answered = serializers.BooleanField(source="shown.answered")
    review = ReviewSerializer(allow_null=True)

    def get_stem(self, row: Any) -> str:
        return _html(row.shown.stem)


class AttemptSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="attempt.pk")
    quiz = serializers.IntegerField(source="attempt.quiz_id")
    quiz_title = serializers.CharField(source="attempt.quiz.title")
    number = serializers.IntegerField(source="attempt.number")
    state = serializers.ChoiceField(source="attempt.state", choices=Attempt.State.choices)
    started_at = serializers.DateTimeField(source="attempt.started_at")
    deadline = serializers.DateTimeField(source="attempt.deadline", allow_null=True)
    finished_at = serializers.DateTimeField(source="attempt.finished_at", allow_null=True)
    now = serializers.DateTimeField(help_text="The server's clock: count down from here.")
    score = serializers.DecimalField(
        source="attempt.score", max_digits=5, decimal_places=2, allow_null=True
    )
    passed = serializers.BooleanField(allow_null=True)
    review_allowed = serializers.BooleanField()
    unanswered = serializers.IntegerField()
    questions = AttemptQuestionSerializer(many=True)


@extend_schema_field(
    {
        "type": "array",
        "minItems": 1,
        "maxItems": 500,
        "items": {
            "type": "object",
            "required": ["position", "response"],
            "properties": {
                "position": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                "response": {
                    "description": "single: an option value; multiple: a list of them; "
                    "truefalse: true/false; short, numeric: text; matching: {prompt value: "
                    "option value}; null or '' clears the answer.",
                    "nullable": True,
                },
            },
        },
    }
)
class AnswersField(serializers.JSONField):
    pass


class AnswersInputSerializer(serializers.Serializer[Any]):
    answers = AnswersField()

    def validate_answers(self, value: Any) -> dict[int, Any]:
        message = _("Kirim jawaban sebagai daftar {position, response}.")
        if not isinstance(value, list) or not 1 <= len(value) <= 500:
            raise serializers.ValidationError(message, code="invalid")
        answers: dict[int, Any] = {}
        for item in value:
            if not isinstance(item, dict) or "response" not in item:
                raise serializers.ValidationError(message, code="invalid")
            position = item.get("position")
            if isinstance(position, bool) or not isinstance(position, int):
                raise serializers.ValidationError(_("Nomor soal tidak sah."), code="invalid")
            if not 0 < position < 2**31:
                raise serializers.ValidationError(_("Nomor soal tidak sah."), code="invalid")
            answers[position] = item["response"]
        return answers


class AnswersSavedSerializer(serializers.Serializer[Any]):
    saved = serializers.IntegerField(help_text="Answers saved by this request.")
    unanswered = serializers.IntegerField(help_text="Questions of the attempt still unanswered.")


# --- The competency record -----------------------------------------------------------------


class JPShareSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    jp = serializers.DecimalField(max_digits=8, decimal_places=2)


class CompletedCourseSerializer(serializers.Serializer[Enrolment]):
    enrolment = serializers.IntegerField(source="pk")
    course = serializers.IntegerField(source="course_id")
    title = serializers.CharField(source="course.title")
    jp = serializers.DecimalField(source="course.jp_credited", max_digits=5, decimal_places=2)
    completed_at = serializers.DateTimeField()
    certificate_number = serializers.SerializerMethodField()

    def get_certificate_number(self, enrolment: Enrolment) -> str | None:
        certificate = getattr(enrolment, "certificate", None)
        return certificate.number if certificate is not None else None


class CompetencyRecordSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField()
    years = serializers.ListField(
        child=serializers.IntegerField(), help_text="Years with hours, and this year."
    )
    jp = serializers.DecimalField(max_digits=8, decimal_places=2, help_text="Hours this year.")
    target = serializers.DecimalField(max_digits=6, decimal_places=2)
    cap = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    met = serializers.BooleanField()
    over_cap = serializers.BooleanField()
    percent = serializers.IntegerField(help_text="Of the target, 0-100.")
    by_type = serializers.SerializerMethodField()
    by_form = serializers.SerializerMethodField()
    completed = CompletedCourseSerializer(many=True)
    competencies = serializers.ListField(child=serializers.CharField())

    def _shares(self, record: Any, choices: list[tuple[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                "code": code,
                "label": str(label),
                "jp": getattr(record.total, code) if record.total else Decimal("0"),
            }
            for code, label in choices
        ]

    @extend_schema_field(JPShareSerializer(many=True))
    def get_by_type(self, record: Any) -> Any:
        return JPShareSerializer(self._shares(record, CompetencyType.choices), many=True).data

    @extend_schema_field(JPShareSerializer(many=True))
    def get_by_form(self, record: Any) -> Any:
        return JPShareSerializer(self._shares(record, TrainingForm.choices), many=True).data


class JPEntrySerializer(serializers.Serializer[JPEntry]):
    id = serializers.IntegerField()
    year = serializers.IntegerField()
    jp = serializers.DecimalField(max_digits=6, decimal_places=2, help_text="Negative: a reversal.")
    competency_type = serializers.CharField()
    form = serializers.CharField()
    jenis = serializers.IntegerField(source="jenis.code", allow_null=True, default=None)
    jenis_name = serializers.CharField(source="jenis.name", allow_null=True, default=None)
    source_type = serializers.ChoiceField(choices=JPEntry.Source.choices)
    earned_on = serializers.DateField()
    note = serializers.CharField()
    reverses = serializers.IntegerField(source="reverses_id", allow_null=True)
    created_at = serializers.DateTimeField()


# --- External training ---------------------------------------------------------------------


class ExternalTrainingSerializer(serializers.Serializer[ExternalTraining]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    organiser = serializers.CharField()
    jenis = serializers.IntegerField(source="jenis.code", allow_null=True, default=None)
    jenis_name = serializers.CharField(source="jenis.name", allow_null=True, default=None)
    started_on = serializers.DateField()
    ended_on = serializers.DateField()
    jp = serializers.DecimalField(max_digits=6, decimal_places=2)
    competency_type = serializers.ChoiceField(choices=CompetencyType.choices)
    form = serializers.ChoiceField(choices=TrainingForm.choices)
    certificate_number = serializers.CharField()
    evidence_name = serializers.CharField()
    status = serializers.ChoiceField(choices=ExternalTraining.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    submitted_at = serializers.DateTimeField()
    submissions = serializers.IntegerField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    review_note = serializers.CharField(help_text="The reviewer's note; a rejection's reason.")
    possible_duplicates = serializers.SerializerMethodField(
        help_text="How many other records look like this one (the reviewer checks)."
    )

    def get_possible_duplicates(self, record: ExternalTraining) -> int:
        return len(record.duplicate_of or [])


class ExternalTrainingInputSerializer(serializers.Serializer[Any]):
    """The form of ``lms.learning.external.forms.ExternalTrainingForm``; the service checks
    the rules (dates, JP, the evidence's type and size)."""

    title = serializers.CharField(max_length=255)
    organiser = serializers.CharField(max_length=255)
    jenis = serializers.SlugRelatedField(
        slug_field="code", queryset=JenisDiklat.objects.all(),
        help_text="SIASN jenis diklat code (1-25).",
    )  # fmt: skip
    started_on = serializers.DateField()
    ended_on = serializers.DateField()
    jp = serializers.DecimalField(max_digits=8, decimal_places=2)
    competency_type = serializers.ChoiceField(choices=CompetencyType.choices)
    form = serializers.ChoiceField(choices=TrainingForm.choices)
    certificate_number = serializers.CharField(
        max_length=100, required=False, default="", allow_blank=True
    )
    evidence = serializers.FileField(
        help_text="The certificate or STTPP: PDF, JPG, PNG or WebP.", use_url=False
    )


class ExternalTrainingResubmitSerializer(ExternalTrainingInputSerializer):
    evidence = serializers.FileField(
        required=False, use_url=False,
        help_text="A new file, or none to keep the evidence already sent.",
    )  # fmt: skip
