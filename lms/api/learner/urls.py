"""The learner's own data under /api/v1/ (namespace "api")."""

from __future__ import annotations

from django.urls import URLPattern, path, register_converter

from . import views


class ApiIdConverter:
    """Any path segment; not a database id (digits, at most 18 of them) becomes 0, which no
    row has: the view then answers 404 in the API's error body, where a stricter pattern
    would leave the request to the site's HTML 404 page."""

    regex = "[^/]+"

    def to_python(self, value: str) -> int:
        if value.isascii() and value.isdigit() and len(value) <= 18:
            return int(value)
        return 0

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(ApiIdConverter, "api_id")

urlpatterns: list[URLPattern] = [
    # The catalogue.
    path("courses/", views.CourseListApi.as_view(), name="course_list"),
    path("courses/<api_id:course_id>/", views.CourseDetailApi.as_view(), name="course_detail"),
    path("courses/<api_id:course_id>/enrol/", views.CourseEnrolApi.as_view(), name="course_enrol"),
    # My enrolments and progress.
    path("me/enrolments/", views.MyEnrolmentListApi.as_view(), name="my_enrolment_list"),
    path(
        "me/enrolments/<api_id:enrolment_id>/",
        views.MyEnrolmentDetailApi.as_view(),
        name="my_enrolment_detail",
    ),
    path(
        "me/enrolments/<api_id:enrolment_id>/withdraw/",
        views.MyEnrolmentWithdrawApi.as_view(),
        name="my_enrolment_withdraw",
    ),
    path(
        "me/enrolments/<api_id:enrolment_id>/modules/<api_id:module_id>/start/",
        views.ModuleStartApi.as_view(),
        name="module_start",
    ),
    path(
        "me/enrolments/<api_id:enrolment_id>/modules/<api_id:module_id>/done/",
        views.ModuleDoneApi.as_view(),
        name="module_done",
    ),
    # Watching.
    path(
        "videos/<api_id:video_id>/heartbeat/",
        views.VideoHeartbeatApi.as_view(),
        name="video_heartbeat",
    ),
    # Quizzes.
    path("quizzes/<api_id:quiz_id>/", views.QuizDetailApi.as_view(), name="quiz_detail"),
    path(
        "quizzes/<api_id:quiz_id>/attempts/",
        views.QuizAttemptStartApi.as_view(),
        name="quiz_attempt_start",
    ),
    path("attempts/<api_id:attempt_id>/", views.AttemptDetailApi.as_view(), name="attempt_detail"),
    path(
        "attempts/<api_id:attempt_id>/answers/",
        views.AttemptAnswersApi.as_view(),
        name="attempt_answers",
    ),
    path(
        "attempts/<api_id:attempt_id>/submit/",
        views.AttemptSubmitApi.as_view(),
        name="attempt_submit",
    ),
    # My competency record.
    path("me/record/", views.MyRecordApi.as_view(), name="my_record"),
    path("me/record/entries/", views.MyRecordEntriesApi.as_view(), name="my_record_entries"),
    # Training done elsewhere.
    path(
        "me/external-trainings/",
        views.MyExternalTrainingListApi.as_view(),
        name="my_external_training_list",
    ),
    path(
        "me/external-trainings/<api_id:record_id>/",
        views.MyExternalTrainingDetailApi.as_view(),
        name="my_external_training_detail",
    ),
    path(
        "me/external-trainings/<api_id:record_id>/resubmit/",
        views.MyExternalTrainingResubmitApi.as_view(),
        name="my_external_training_resubmit",
    ),
]
