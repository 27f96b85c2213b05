"""The angkatan pages of learners: one angkatan (schedule, own status and attendance)
and joining it. Refusals (window, capacity, retake) are messages, never errors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from lms.learning.models import Enrolment
from lms.people.models import Employee

from ..models import Cohort
from ..services import cohort_enrol
from . import selectors


def _cohort(cohort_id: int) -> Cohort:
    cohort = selectors.cohort_get(cohort_id=cohort_id)
    if cohort is None:
        raise Http404(_("Angkatan tidak ditemukan."))
    return cohort


@login_required
@require_safe
def cohort_detail(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _cohort(cohort_id)
    view = selectors.cohort_view(request=request, cohort=cohort)
    return render(request, "classroom/cohorts/cohort_detail.html", {"view": view})


@login_required
@require_POST
def cohort_join(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _cohort(cohort_id)
    actor: Employee = request.user  # type: ignore[assignment]
    try:
        enrolment = cohort_enrol(actor=actor, cohort=cohort)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        names = {"cohort": cohort.name, "course": cohort.course.title}
        if enrolment.status == Enrolment.Status.PENDING:
            messages.success(
                request,
                _(
                    "Pendaftaran Anda di %(cohort)s (%(course)s) terkirim dan menunggu "
                    "persetujuan admin OPD Anda."
                )
                % names,
            )
        else:
            messages.success(request, _("Anda terdaftar di %(cohort)s (%(course)s).") % names)
    return redirect("classroom:cohort_detail", cohort_id=cohort.pk)
