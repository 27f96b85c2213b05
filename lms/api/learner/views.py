"""The learner's endpoints: the catalogue, my enrolments and progress, video heartbeats,
quiz attempts, my competency record, my external training.

Thin, like the pages they mirror: parse, check, call one service or selector, answer. Every
endpoint needs a login and reads or changes the caller's own data only: someone else's
enrolment, attempt or record is a 404, exactly like one that does not exist. The services'
refusals become the one error body (``errors``): 400 for bad input, 409 for a state that
forbids the action, both with the service's message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from knox.models import AuthToken
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, Throttled
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from courses.models import CoursePage, ModulePage
from lms.assessments import presenting as quiz_pages
from lms.assessments import selectors as quiz_selectors
from lms.assessments import services as quiz_services
from lms.assessments.models import Attempt, AttemptQuestion, Quiz
from lms.learning import selectors as learning_selectors
from lms.learning import services as learning_services
from lms.learning.external import selectors as external_selectors
from lms.learning.external import services as external_services
from lms.learning.models import Enrolment, ExternalTraining, JenisDiklat, JPEntry
from lms.people.models import Employee
from lms.videos import watching

from . import errors
from .errors import Conflict
from .filters import CourseFilter, EnrolmentFilter, ExternalTrainingFilter, JPEntryFilter
from .serializers import (
    MAX_ID,
    AnswersInputSerializer,
    AnswersSavedSerializer,
    AttemptSerializer,
    CompetencyRecordSerializer,
    CourseDetailSerializer,
    CourseListItemSerializer,
    EnrolmentDetailSerializer,
    EnrolmentSerializer,
    ExternalTrainingInputSerializer,
    ExternalTrainingResubmitSerializer,
    ExternalTrainingSerializer,
    HeartbeatInputSerializer,
    HeartbeatSerializer,
    JPEntrySerializer,
    ModuleDoneInputSerializer,
    ModuleProgressSerializer,
    QuizDetailSerializer,
    WithdrawInputSerializer,
)


def _me(request: Request) -> Employee:
    return cast(Employee, request.user)


def _path_id(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, {"type": "integer", "minimum": 1, "maximum": MAX_ID}, OpenApiParameter.PATH,
        description=what,
    )  # fmt: skip


COURSE_ID = _path_id("course_id", "A published course.")
ENROLMENT_ID = _path_id("enrolment_id", "One of the caller's enrolments.")
MODULE_ID = _path_id("module_id", "A live module of the enrolment's course.")
VIDEO_ID = _path_id("video_id", "A video shown in a module.")
QUIZ_ID = _path_id("quiz_id", "A quiz in a course the caller is enrolled in.")
ATTEMPT_ID = _path_id("attempt_id", "One of the caller's quiz attempts.")
RECORD_ID = _path_id("record_id", "One of the caller's external-training records.")


# --- The catalogue -------------------------------------------------------------------------


def _published() -> Any:
    return CoursePage.objects.live().public()


def _course(course_id: int) -> CoursePage:
    course = _published().filter(pk=course_id).first()
    if course is None:
        raise NotFound(_("Kursus tidak ditemukan."))
    return cast(CoursePage, course)


def _jenis_codes(courses: list[Any]) -> dict[int, int]:
    """The jenis diklat codes of the courses that name one, in one query."""
    ids = {c.jenis_diklat_id for c in courses if c.jenis_diklat_id is not None}
    if not ids:
        return {}
    return dict(JenisDiklat.objects.filter(pk__in=ids).values_list("pk", "code"))


@extend_schema(
    summary="The catalogue",
    description="Published courses, filtered as on the catalogue page; with `q`, ranked by "
    "the site's search, otherwise by title.",
)
class CourseListApi(generics.ListAPIView[CoursePage]):
    serializer_class = CourseListItemSerializer
    filterset_class = CourseFilter

    def get_queryset(self) -> QuerySet[CoursePage]:
        if getattr(self, "swagger_fake_view", False):
            # The schema is built without a database (`check --deploy` on an empty one).
            return CoursePage.objects.none()
        return cast(QuerySet[CoursePage], _published())

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        results = self.filter_queryset(self.get_queryset())
        page = list(self.paginate_queryset(results) or [])
        context = {**self.get_serializer_context(), "jenis_codes": _jenis_codes(page)}
        data = CourseListItemSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)


@extend_schema(
    summary="A course",
    description="With its modules and, for the caller, their enrolment, progress and whether "
    "they may enrol now (and if not, why).",
    parameters=[COURSE_ID],
    responses={200: CourseDetailSerializer},
)
class CourseDetailApi(APIView):
    def get(self, request: Request, course_id: int) -> Response:
        course = _course(course_id)
        view = learning_selectors.course_view_for_learner(course=course, viewer=_me(request))
        context = {"request": request, "view_data": view, "jenis_codes": _jenis_codes([course])}
        return Response(CourseDetailSerializer(course, context=context).data)


@extend_schema(
    summary="Enrol in a course",
    description="Self-enrolment: active at once, or pending the OPD admin's approval "
    "(`status`). Refused (409, with the reason) when already enrolled, after completing it, "
    "for assigned-only courses, outside the enrolment window or when the course is full.",
    parameters=[COURSE_ID],
    request=None,
    responses={
        201: EnrolmentSerializer,
        409: errors.conflict_response("Enrolment refused; `detail` says why."),
    },
)
class CourseEnrolApi(APIView):
    def post(self, request: Request, course_id: int) -> Response:
        course = _course(course_id)
        me = _me(request)
        current = learning_selectors.enrolment_for(employee=me, course=course)
        if current is not None and current.is_open:
            raise Conflict(_("Anda sudah terdaftar di kursus ini."))
        try:
            enrolment = learning_services.enrolment_request(actor=me, course=course)
        except DjangoValidationError as exc:
            raise errors.conflict(exc) from None
        enrolment.course = course
        return Response(EnrolmentSerializer(enrolment).data, status=status.HTTP_201_CREATED)


# --- My enrolments and progress ------------------------------------------------------------


def _own_enrolment(request: Request, enrolment_id: int) -> Enrolment:
    """The caller's enrolment; someone else's is a 404, not a hint that it exists."""
    enrolment = (
        Enrolment.objects.select_related("course")
        .filter(pk=enrolment_id, employee=_me(request))
        .first()
    )
    if enrolment is None:
        raise NotFound(_("Pendaftaran tidak ditemukan."))
    return enrolment


@extend_schema(summary="My enrolments", description="Newest first, every status.")
class MyEnrolmentListApi(generics.ListAPIView[Enrolment]):
    serializer_class = EnrolmentSerializer
    filterset_class = EnrolmentFilter

    def get_queryset(self) -> QuerySet[Enrolment]:
        if getattr(self, "swagger_fake_view", False):
            return Enrolment.objects.none()
        return (
            Enrolment.objects.filter(employee=_me(self.request))
            .select_related("course")
            .order_by("-created_at", "-pk")
        )


@dataclass
class _ModuleRow:
    id: int
    title: str
    required_for_completion: bool
    started_at: Any
    completed_at: Any
    time_spent_seconds: int


def _progress(enrolment: Enrolment) -> dict[str, Any]:
    """An enrolment with each module's progress and what completion still needs (the
    course page's reading, for this enrolment rather than the course's current one)."""
    modules = list(enrolment.course.modules())
    progress = {p.module_id: p for p in enrolment.progress.all()}
    rows = []
    for module in modules:
        row = progress.get(module.pk)
        rows.append(
            _ModuleRow(
                id=module.pk,
                title=module.title,
                required_for_completion=module.required_for_completion,
                started_at=row.started_at if row else None,
                completed_at=row.completed_at if row else None,
                time_spent_seconds=row.time_spent_seconds if row else 0,
            )
        )
    done_ids = {r.id for r in rows if r.completed_at is not None}
    required = [r for r in rows if r.required_for_completion]
    done = sum(1 for r in required if r.id in done_ids)
    missing: list[str] = []
    if enrolment.status == Enrolment.Status.ACTIVE:
        check = learning_selectors.completion_check(
            enrolment=enrolment, modules=modules, done_ids=done_ids
        )
        missing = check.missing
    if required:
        percent = round(100 * done / len(required))
    else:
        percent = 100 if enrolment.completed_at else 0
    return {
        "id": enrolment.pk,
        "status": enrolment.status,
        "get_status_display": enrolment.get_status_display(),
        "source": enrolment.source,
        "due_date": enrolment.due_date,
        "started_at": enrolment.started_at,
        "completed_at": enrolment.completed_at,
        "created_at": enrolment.created_at,
        "course": enrolment.course,
        "modules": rows,
        "modules_done": done,
        "modules_required": len(required),
        "percent": percent,
        "missing": missing,
    }


@extend_schema(
    summary="One of my enrolments",
    description="With every module's progress (started, completed, time spent), the share of "
    "required modules done and, while active, what completion still needs.",
    parameters=[ENROLMENT_ID],
    responses={200: EnrolmentDetailSerializer},
)
class MyEnrolmentDetailApi(APIView):
    def get(self, request: Request, enrolment_id: int) -> Response:
        enrolment = _own_enrolment(request, enrolment_id)
        return Response(EnrolmentDetailSerializer(_progress(enrolment)).data)


@extend_schema(
    summary="Withdraw from a course",
    description='Leaves an active or pending enrolment (the course page\'s "Batalkan"); '
    "what was done stays as history. 409 when the enrolment is no longer open.",
    parameters=[ENROLMENT_ID],
    request=WithdrawInputSerializer,
    responses={
        200: EnrolmentSerializer,
        409: errors.conflict_response("The enrolment is not open (completed, withdrawn...)."),
    },
)
class MyEnrolmentWithdrawApi(APIView):
    def post(self, request: Request, enrolment_id: int) -> Response:
        enrolment = _own_enrolment(request, enrolment_id)
        given = WithdrawInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            withdrawn = learning_services.enrolment_withdraw(
                actor=_me(request), enrolment=enrolment,
                reason=given.validated_data.get("reason", ""),
            )  # fmt: skip
        except DjangoValidationError as exc:
            raise errors.conflict(exc) from None
        withdrawn.course = enrolment.course
        return Response(EnrolmentSerializer(withdrawn).data)


def _module_of(enrolment: Enrolment, module_id: int) -> ModulePage:
    module = enrolment.course.modules().filter(pk=module_id).first()
    if module is None:
        raise NotFound(_("Modul tidak ditemukan di kursus ini."))
    return module


@extend_schema(
    summary="Start a module",
    description="Records that the learner opened the module (the first time only), as "
    "opening the module page does. 409 while the enrolment is not active.",
    parameters=[ENROLMENT_ID, MODULE_ID],
    request=None,
    responses={
        200: ModuleProgressSerializer,
        409: errors.conflict_response("The enrolment is not active."),
    },
)
class ModuleStartApi(APIView):
    def post(self, request: Request, enrolment_id: int, module_id: int) -> Response:
        enrolment = _own_enrolment(request, enrolment_id)
        module = _module_of(enrolment, module_id)
        try:
            progress = learning_services.module_start(
                actor=_me(request), enrolment=enrolment, module=module
            )
        except DjangoValidationError as exc:
            raise errors.conflict(exc) from None
        data = {
            "progress": progress,
            "enrolment_status": enrolment.status,
            "course_completed": False,
        }
        return Response(ModuleProgressSerializer(data).data)


@extend_schema(
    summary="Mark a module done",
    description="The learner's \"Tandai selesai\": completes a text module, and the course if "
    "that was the last thing missing (`course_completed`). A module with a quiz needs the "
    "pass and one with a video needs its share watched first (409 with the reason).",
    parameters=[ENROLMENT_ID, MODULE_ID],
    request=ModuleDoneInputSerializer,
    responses={
        200: ModuleProgressSerializer,
        409: errors.conflict_response("Not yet: a quiz to pass, a video to watch, or the "
                                      "enrolment is not active."),
    },
)  # fmt: skip
class ModuleDoneApi(APIView):
    def post(self, request: Request, enrolment_id: int, module_id: int) -> Response:
        enrolment = _own_enrolment(request, enrolment_id)
        module = _module_of(enrolment, module_id)
        given = ModuleDoneInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        was_completed = enrolment.status == Enrolment.Status.COMPLETED
        try:
            progress = learning_services.module_mark_done(
                actor=_me(request), enrolment=enrolment, module=module,
                seconds_spent=given.validated_data.get("seconds", 0),
            )  # fmt: skip
        except DjangoValidationError as exc:
            raise errors.conflict(exc) from None
        enrolment.refresh_from_db(fields=["status", "completed_at"])
        completed = enrolment.status == Enrolment.Status.COMPLETED
        data = {
            "progress": progress,
            "enrolment_status": enrolment.status,
            "course_completed": completed and not was_completed,
        }
        return Response(ModuleProgressSerializer(data).data)


# --- Watching ------------------------------------------------------------------------------


def _ticket_binding(request: Request) -> str | None:
    """What a watch ticket is bound to: the API token of a token client, else the login
    session (the module page's player holds tickets bound to it, so either path accepts
    the other's tickets within one browser)."""
    if isinstance(request.auth, AuthToken):
        return request.auth.digest
    return cast(str | None, request.session.session_key)


@extend_schema(
    summary="Video heartbeat",
    description="What the player sends every few seconds while a video plays: the ranges "
    "watched (merged, for this page view), the position, and the ticket of the previous "
    "answer. Credited as on the site: distinct seconds only, no faster than the wall clock "
    "allows, written to the database when the course's share is reached, on `final`, or "
    "every few minutes. 403 when the caller is not enrolled where the module shows the "
    "video; 409 when the video has no playable version; 429 with Retry-After when sent "
    "sooner than the minimum interval or over the `heartbeat` rate.",
    parameters=[VIDEO_ID],
    request=HeartbeatInputSerializer,
    responses={
        200: HeartbeatSerializer,
        403: errors.forbidden_response("Not enrolled where this module shows this video."),
        409: errors.conflict_response("The video is not ready to play."),
    },
)
class VideoHeartbeatApi(APIView):
    throttle_classes = [AnonRateThrottle, UserRateThrottle, ScopedRateThrottle]
    throttle_scope = "heartbeat"
    parser_classes = [JSONParser]

    def post(self, request: Request, video_id: int) -> Response:
        given = HeartbeatInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        beat = watching.Heartbeat(
            module_id=given.validated_data["module"],
            intervals=given.validated_data.get("intervals", []),
            position=given.validated_data["position"],
            final=given.validated_data["final"],
            ticket=given.validated_data["ticket"],
        )
        binding = _ticket_binding(request)
        ticket = watching.watch_ticket_read(
            beat.ticket, video_id=video_id, module_id=beat.module_id, session_key=binding
        )
        checked = ticket is None
        if ticket is None:
            # No valid ticket (none, expired, another session): ask the database.
            try:
                ticket = watching.watch_ticket(
                    employee=_me(request), video_id=video_id, module_id=beat.module_id
                )
            except DjangoPermissionDenied as exc:
                raise PermissionDenied(str(exc)) from None
            except Http404 as exc:
                raise NotFound(str(exc) or _("Video tidak ditemukan.")) from None
            except watching.VideoNotReady:
                raise Conflict(_("Video ini belum siap diputar.")) from None
        try:
            result = watching.watch_heartbeat(ticket=ticket, heartbeat=beat, checked=checked)
        except watching.TooSoon as exc:
            raise Throttled(
                wait=max(1, math.ceil(exc.retry_after)),
                detail=_("Terlalu sering; data tontonan dikirim lagi sebentar lagi."),
            ) from None
        except DjangoValidationError as exc:
            raise errors.input_error(errors.one_line(exc)) from None
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        data = {
            **result.as_json(),
            "ticket": watching.watch_ticket_sign(result.ticket, session_key=binding or ""),
        }
        return Response(HeartbeatSerializer(data).data)


# --- Quizzes -------------------------------------------------------------------------------


def _quiz(quiz_id: int) -> Quiz:
    quiz = Quiz.objects.filter(pk=quiz_id).first()
    if quiz is None:
        raise NotFound(_("Kuis tidak ditemukan."))
    return quiz


def _own_attempt(request: Request, attempt_id: int) -> Attempt:
    attempt = (
        Attempt.objects.select_related("quiz").filter(pk=attempt_id, employee=_me(request)).first()
    )
    if attempt is None:
        raise NotFound(_("Percobaan ini tidak ditemukan."))
    return attempt


@dataclass
class _QuestionRow:
    shown: Any
    review: Any


def _attempt_data(attempt: Attempt) -> dict[str, Any]:
    """An attempt as the learner may see it: an open one's questions without their key; a
    finished one's score, and its questions with key and feedback only when the quiz's
    review rule allows (``selectors.review_allowed``, as the result page)."""
    slots: list[AttemptQuestion] = quiz_selectors.attempt_questions(attempt=attempt)
    review = quiz_selectors.review_allowed(attempt=attempt)
    questions: list[_QuestionRow] = []
    if attempt.is_open:
        questions = [_QuestionRow(quiz_pages.shown_question(slot), None) for slot in slots]
    elif review:
        questions = [
            _QuestionRow(quiz_pages.shown_question(slot), quiz_pages.reviewed_question(slot))
            for slot in slots
        ]
    score = attempt.score
    return {
        "attempt": attempt,
        "now": timezone.now(),
        "passed": None if score is None else score >= attempt.quiz.pass_mark,
        "review_allowed": review,
        "unanswered": sum(1 for slot in slots if not quiz_pages.answered(slot.response)),
        "questions": questions,
    }


def _attempt_response(attempt: Attempt, code: int = status.HTTP_200_OK) -> Response:
    return Response(AttemptSerializer(_attempt_data(attempt)).data, status=code)


NOT_ENROLLED_IN_QUIZ = errors.forbidden_response(
    "The caller is not enrolled in a course that uses this quiz."
)


@extend_schema(
    summary="A quiz",
    description="The quiz's rules, the caller's attempts and graded result, and whether they "
    "may start (or resume) an attempt now; if not, why. An attempt whose time ran out is "
    "closed and graded first, as the quiz page does.",
    parameters=[QUIZ_ID],
    responses={200: QuizDetailSerializer, 403: NOT_ENROLLED_IN_QUIZ},
)
class QuizDetailApi(APIView):
    def get(self, request: Request, quiz_id: int) -> Response:
        quiz = _quiz(quiz_id)
        me = _me(request)
        uses = quiz_selectors.quiz_uses(employee=me, quiz=quiz)
        attempts = list(quiz_selectors.attempts_of(employee=me, quiz=quiz))
        if not uses and not attempts:
            raise PermissionDenied(_("Anda tidak terdaftar di kursus yang memuat kuis ini."))
        now = timezone.now()
        late = [attempt for attempt in attempts if quiz_pages.is_late(attempt, now)]
        for attempt in late:
            quiz_services.attempt_close(attempt=attempt, now=now)
        if late:
            attempts = list(quiz_selectors.attempts_of(employee=me, quiz=quiz))
        count = quiz_selectors.question_count(quiz)
        context = {
            "attempts": attempts,
            "question_count": count,
            "result": quiz_selectors.result_of(employee=me, quiz=quiz),
            "refusal": quiz_pages.start_refusal(
                quiz=quiz, uses=uses, attempts=attempts, question_count=count, now=now
            ),
        }
        return Response(QuizDetailSerializer(quiz, context=context).data)


@extend_schema(
    summary="Start or resume an attempt",
    description="201 with a new attempt and its questions drawn and frozen; 200 with the open "
    "attempt when there is one (from any device). Refused (409, with the reason) past the "
    "attempt limit, outside the quiz's dates, or when the quiz has no questions.",
    parameters=[QUIZ_ID],
    request=None,
    responses={
        200: OpenApiResponse(AttemptSerializer, description="The open attempt, resumed."),
        201: OpenApiResponse(AttemptSerializer, description="A new attempt."),
        403: NOT_ENROLLED_IN_QUIZ,
        409: errors.conflict_response("No attempt may be started now; `detail` says why."),
    },
)
class QuizAttemptStartApi(APIView):
    def post(self, request: Request, quiz_id: int) -> Response:
        quiz = _quiz(quiz_id)
        me = _me(request)
        before = quiz_selectors.open_attempt(employee=me, quiz=quiz)
        try:
            attempt = quiz_services.attempt_start(actor=me, quiz=quiz)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        except DjangoValidationError as exc:
            raise errors.conflict(exc) from None
        resumed = before is not None and before.pk == attempt.pk
        attempt.quiz = quiz
        return _attempt_response(
            attempt, status.HTTP_200_OK if resumed else status.HTTP_201_CREATED
        )


@extend_schema(
    summary="One of my attempts",
    description="Open: its questions, options in this attempt's order, the answers saved so "
    "far, never the key. Finished: the score, and the questions with the key and feedback "
    "only if the quiz's review rule allows it now. An attempt past its deadline is closed "
    "and graded first.",
    parameters=[ATTEMPT_ID],
    responses={200: AttemptSerializer},
)
class AttemptDetailApi(APIView):
    def get(self, request: Request, attempt_id: int) -> Response:
        attempt = _own_attempt(request, attempt_id)
        if quiz_pages.is_late(attempt):
            attempt = quiz_services.attempt_close(attempt=attempt)
        return _attempt_response(attempt)


def _parsed_answers(attempt: Attempt, answers: dict[int, Any]) -> dict[int, Any]:
    """The answers in the service's terms (options by their place in the frozen order, as
    the attempt page sends them); one 400 naming every question that is wrong."""
    slots = {slot.position: slot for slot in quiz_selectors.attempt_questions(attempt=attempt)}
    responses: dict[int, Any] = {}
    problems: list[str] = []
    for position, raw in answers.items():
        slot = slots.get(position)
        if slot is None:
            problems.append(_("Soal nomor %(n)s tidak ada.") % {"n": position})
            continue
        try:
            responses[position] = quiz_pages.response_from_page(slot, raw)
        except DjangoValidationError as exc:
            problems.append(
                _("Soal %(n)s: %(error)s") % {"n": position, "error": errors.one_line(exc)}
            )
    if problems:
        raise errors.input_error(" ".join(problems), attr="answers")
    return responses


ATTEMPT_CLOSED = errors.conflict_response("The attempt is finished (submitted or out of time).")


class AttemptAnswersApi(APIView):
    def _save(self, request: Request, attempt_id: int) -> Response:
        attempt = _own_attempt(request, attempt_id)
        given = AnswersInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        if quiz_pages.is_late(attempt):
            quiz_services.attempt_close(attempt=attempt)
            raise Conflict(_("Waktu habis; percobaan ditutup dan dinilai."))
        if not attempt.is_open:
            raise Conflict(_("Percobaan ini sudah selesai."))
        responses = _parsed_answers(attempt, given.validated_data["answers"])
        try:
            saved = quiz_services.attempt_answers_save(
                actor=_me(request), attempt=attempt, responses=responses
            )
        except quiz_services.TimeUp as exc:
            raise errors.conflict(exc) from None
        except DjangoValidationError as exc:
            if not quiz_pages.still_open(attempt):
                raise Conflict(_("Percobaan ini sudah selesai.")) from None
            raise errors.input_error(quiz_pages.error_text(exc), attr="answers") from None
        unanswered = sum(
            1
            for slot in quiz_selectors.attempt_questions(attempt=attempt)
            if not quiz_pages.answered(slot.response)
        )
        return Response(AnswersSavedSerializer({"saved": saved, "unanswered": unanswered}).data)

    @extend_schema(
        summary="Save answers",
        description="Saves the given answers of an open attempt, all or none (a wrong one is a "
        "400 naming its question). After the deadline nothing is saved and the attempt is "
        "closed and graded (409). PUT and POST do the same.",
        parameters=[ATTEMPT_ID],
        request=AnswersInputSerializer,
        responses={200: AnswersSavedSerializer, 409: ATTEMPT_CLOSED},
    )
    def put(self, request: Request, attempt_id: int) -> Response:
        return self._save(request, attempt_id)

    @extend_schema(
        summary="Save answers",
        description="As PUT.",
        parameters=[ATTEMPT_ID],
        request=AnswersInputSerializer,
        responses={200: AnswersSavedSerializer, 409: ATTEMPT_CLOSED},
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        return self._save(request, attempt_id)


@extend_schema(
    summary="Submit an attempt",
    description="Submits and grades the attempt (answers saved before the deadline count; "
    "after it, the attempt closes as expired). Submitting a finished attempt again changes "
    "nothing and answers with its result.",
    parameters=[ATTEMPT_ID],
    request=None,
    responses={200: AttemptSerializer},
)
class AttemptSubmitApi(APIView):
    def post(self, request: Request, attempt_id: int) -> Response:
        attempt = _own_attempt(request, attempt_id)
        if attempt.is_open:
            attempt = quiz_services.attempt_submit(actor=_me(request), attempt=attempt)
        return _attempt_response(attempt)


# --- My competency record ------------------------------------------------------------------


class YearQuerySerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField(
        required=False, min_value=2000, max_value=2999,
        help_text="The year to show; a year without hours shows this year.",
    )  # fmt: skip


@extend_schema(
    summary="My competency record",
    description="A year's learning hours (JP) against the yearly target, by competency type "
    "and by form, the courses completed in it (with their certificates) and the "
    "competencies they build. The entries behind the total: `me/record/entries/`.",
    responses={200: CompetencyRecordSerializer},
)
class MyRecordApi(APIView):
    query_serializer_class = YearQuerySerializer

    def get(self, request: Request) -> Response:
        query = YearQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        record = learning_selectors.competency_record(
            employee=_me(request), year=query.validated_data.get("year")
        )
        return Response(CompetencyRecordSerializer(record).data)


@extend_schema(
    summary="My JP ledger entries",
    description="The lines behind my yearly totals, newest first; a correction is a "
    "reversing entry (negative `jp`, `reverses` the entry it takes back).",
)
class MyRecordEntriesApi(generics.ListAPIView[JPEntry]):
    serializer_class = JPEntrySerializer
    filterset_class = JPEntryFilter

    def get_queryset(self) -> QuerySet[JPEntry]:
        if getattr(self, "swagger_fake_view", False):
            return JPEntry.objects.none()
        return (
            JPEntry.objects.filter(employee=_me(self.request))
            .select_related("jenis")
            .order_by("-earned_on", "-pk")
        )


# --- External training ---------------------------------------------------------------------


INPUT_FIELDS = list(ExternalTrainingInputSerializer().fields)


def _external_details(data: dict[str, Any]) -> external_services.ExternalDetails:
    return external_services.ExternalDetails(
        title=data["title"], organiser=data["organiser"], jenis=data["jenis"],
        started_on=data["started_on"], ended_on=data["ended_on"], jp=data["jp"],
        competency_type=data["competency_type"], form=data["form"],
        certificate_number=data.get("certificate_number") or "",
    )  # fmt: skip


def _own_record(request: Request, record_id: int) -> ExternalTraining:
    try:
        return external_selectors.my_external_training(employee=_me(request), pk=record_id)
    except ExternalTraining.DoesNotExist:
        raise NotFound(_("Catatan pelatihan tidak ditemukan.")) from None


@extend_schema_view(
    get=extend_schema(
        summary="My external training",
        description="Training done outside Sinau that I submitted, newest first, with its "
        "status and a rejection's reason.",
    ),
    post=extend_schema(
        summary="Submit external training",
        description="A training done elsewhere, with its evidence (multipart). It waits for "
        "the OPD admin's verification, which credits its JP once. Likely duplicates are "
        "flagged for the reviewer, not refused.",
        request=ExternalTrainingInputSerializer,
        responses={201: ExternalTrainingSerializer},
    ),
)
@extend_validation_errors(["invalid"], field_name="competency_type", methods=["post"])
@extend_validation_errors(["invalid"], field_name="form", methods=["post"])
class MyExternalTrainingListApi(generics.ListAPIView[ExternalTraining]):
    serializer_class = ExternalTrainingSerializer
    filterset_class = ExternalTrainingFilter
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[ExternalTraining]:
        if getattr(self, "swagger_fake_view", False):
            return ExternalTraining.objects.none()
        return external_selectors.my_external_trainings(employee=_me(self.request))

    def get_serializer_class(self) -> Any:
        if self.request is not None and self.request.method == "POST":
            return ExternalTrainingInputSerializer
        return ExternalTrainingSerializer

    def post(self, request: Request) -> Response:
        given = ExternalTrainingInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        details = _external_details(data)
        try:
            record = external_services.external_submit(
                actor=_me(request), details=details, evidence=data["evidence"]
            )
        except DjangoValidationError as exc:
            raise errors.invalid(exc, fields=INPUT_FIELDS) from None
        return Response(ExternalTrainingSerializer(record).data, status=status.HTTP_201_CREATED)


@extend_schema(
    summary="One of my external-training records",
    parameters=[RECORD_ID],
    responses={200: ExternalTrainingSerializer},
)
class MyExternalTrainingDetailApi(APIView):
    def get(self, request: Request, record_id: int) -> Response:
        return Response(ExternalTrainingSerializer(_own_record(request, record_id)).data)


@extend_schema(
    summary="Correct and resubmit a rejected record",
    description="Every field again (multipart); without a new `evidence` file the one sent "
    "before stays. Only a rejected record may be corrected: a waiting or verified one is a "
    "409 saying why.",
    parameters=[RECORD_ID],
    request=ExternalTrainingResubmitSerializer,
    responses={
        200: ExternalTrainingSerializer,
        409: errors.conflict_response("The record is waiting for verification or verified."),
    },
)
@extend_validation_errors(["invalid"], field_name="competency_type", methods=["post"])
@extend_validation_errors(["invalid"], field_name="form", methods=["post"])
class MyExternalTrainingResubmitApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    def post(self, request: Request, record_id: int) -> Response:
        record = _own_record(request, record_id)
        given = ExternalTrainingResubmitSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        if record.status != ExternalTraining.Status.REJECTED:
            raise Conflict(external_services.resubmit_refusal(record))
        data = given.validated_data
        try:
            record = external_services.external_resubmit(
                actor=_me(request), record=record, details=_external_details(data),
                evidence=data.get("evidence"),
            )  # fmt: skip
        except DjangoValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise errors.conflict(exc) from None  # rejected no more (decided meanwhile)
            raise errors.invalid(exc, fields=INPUT_FIELDS) from None
        return Response(ExternalTrainingSerializer(record).data)
