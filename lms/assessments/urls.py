from django.urls import path

import lms.core.converters  # noqa: F401  (registers row_id)

from . import views

app_name = "assessments"

urlpatterns = [
    path("<row_id:quiz_id>/", views.quiz_detail, name="quiz"),
    path("<row_id:quiz_id>/mulai/", views.quiz_start, name="start"),
    path("percobaan/<row_id:attempt_id>/", views.attempt_page, name="attempt"),
    path("percobaan/<row_id:attempt_id>/jawab/", views.attempt_answer, name="answer"),
    path("percobaan/<row_id:attempt_id>/kumpulkan/", views.attempt_submit, name="submit"),
    path("percobaan/<row_id:attempt_id>/hasil/", views.attempt_result, name="result"),
]
