"""Angkatan, sessions, attendance, evaluation and calendar pages (namespace ``classroom``);
each part keeps its own URL list."""

from __future__ import annotations

from .attendance import urls as attendance
from .calendar import urls as calendar
from .cohorts import urls as cohorts
from .evaluation import urls as evaluation

app_name = "classroom"
urlpatterns = [
    *cohorts.urlpatterns,
    *attendance.urlpatterns,
    *evaluation.urlpatterns,
    *calendar.urlpatterns,
]
