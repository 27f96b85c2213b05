"""External training pages: the learner's list, submit and correct forms, the evidence, and
the reviewers' queue with verify and reject.

Thin: parse, check, call one service or selector, answer. Refusals are messages or form
errors; a bad id is a 404, a record out of scope a 404 to read and a 403 to act on.
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from courses.models import CompetencyType, TrainingForm
from lms.core.paging import paginate
from lms.learning.models import ExternalTraining
from lms.people.models import Employee
from lms.people.permissions import require_admin_scope

from . import selectors, services
from .forms import ExternalTrainingForm, QueueFilterForm, RejectForm, VerifyForm

# Stored suffix -> the type it is served as; the suffix was given from the file's content.
CONTENT_TYPES = dict(services.EVIDENCE_KINDS.values())


def _viewer(request: HttpRequest) -> Employee:
    return request.user  # type: ignore[return-value]


def _labelled(records: Any) -> Any:
    """Give each record the labels of its choice fields (the model stores bare codes)."""
    competency = dict(CompetencyType.choices)
    forms_ = dict(TrainingForm.choices)
    for record in records:
        record.competency_label = competency.get(record.competency_type, record.competency_type)
        record.form_label = forms_.get(record.form, record.form)
    return records


def _duplicate_notice(record: ExternalTraining) -> str:
    return _(
        "Catatan ini mirip dengan %(n)s catatan lain (nomor sertifikat yang sama, atau "
        "pelatihan dan tanggal yang sama). Catatan tetap diperiksa; pemeriksa akan "
        "memastikan tidak ada yang tercatat dua kali."
    ) % {"n": len(record.duplicate_of)}


# --- Learner ---------------------------------------------------------------------------


@login_required
@require_safe
def external_list(request: HttpRequest) -> HttpResponse:
    """Pelatihan Eksternal Saya: every record, its status, and the reason of a rejection."""
    page = paginate(request, selectors.my_external_trainings(employee=_viewer(request)))
    page.object_list = _labelled(list(page.object_list))
    return render(request, "learning/external/list.html", {"page": page})


@login_required
def external_create(request: HttpRequest) -> HttpResponse:
    form = ExternalTrainingForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.external_submit(
                actor=_viewer(request), details=form.details(),
                evidence=form.cleaned_data["evidence"],
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Pelatihan %(title)s diajukan dan menunggu verifikasi admin OPD Anda.")
                % {"title": record.title},
            )
            if record.duplicate_of:
                messages.info(request, _duplicate_notice(record))
            return redirect("learning:external_detail", record_id=record.pk)
    return render(request, "learning/external/form.html", {"form": form, "record": None})


def _own(request: HttpRequest, record_id: int) -> ExternalTraining:
    try:
        return selectors.my_external_training(employee=_viewer(request), pk=record_id)
    except ExternalTraining.DoesNotExist:
        raise Http404(_("Catatan pelatihan tidak ditemukan.")) from None


@login_required
@require_safe
def external_detail(request: HttpRequest, record_id: int) -> HttpResponse:
    record = _labelled([_own(request, record_id)])[0]
    return render(request, "learning/external/detail.html", {"record": record})


@login_required
def external_edit(request: HttpRequest, record_id: int) -> HttpResponse:
    """Correct a rejected record and submit it again."""
    record = _own(request, record_id)
    if record.status != ExternalTraining.Status.REJECTED:
        messages.error(request, services.resubmit_refusal(record))
        return redirect("learning:external_detail", record_id=record.pk)
    form = ExternalTrainingForm(request.POST or None, request.FILES or None, record=record)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.external_resubmit(
                actor=_viewer(request), record=record, details=form.details(),
                evidence=form.cleaned_data.get("evidence") or None,
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Perbaikan %(title)s diajukan lagi dan menunggu verifikasi.")
                % {"title": record.title},
            )
            if record.duplicate_of:
                messages.info(request, _duplicate_notice(record))
            return redirect("learning:external_detail", record_id=record.pk)
    return render(request, "learning/external/form.html", {"form": form, "record": record})


@login_required
@require_safe
def external_evidence(request: HttpRequest, record_id: int) -> FileResponse:
    """The evidence, for its owner and the reviewers in scope only: never a public media URL.
    Served with the type read from its content at upload, and told not to be sniffed."""
    try:
        record = selectors.external_for_evidence(viewer=_viewer(request), pk=record_id)
    except ExternalTraining.DoesNotExist:
        raise Http404(_("Bukti tidak ditemukan.")) from None
    name = record.evidence.name or ""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    content_type = CONTENT_TYPES.get(suffix, "application/octet-stream")
    try:
        handle = record.evidence.storage.open(name, "rb")
    except (OSError, ValueError):
        raise Http404(_("Berkas bukti tidak ditemukan di penyimpanan.")) from None
    label = os.path.splitext(record.evidence_name or "bukti")[0] or "bukti"
    download = request.GET.get("unduh") == "1" or content_type == "application/octet-stream"
    response = FileResponse(
        handle, content_type=content_type, as_attachment=download,
        filename=f"{label}.{suffix or 'bin'}",
    )  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- Reviewers ---------------------------------------------------------------------------


@login_required
@require_safe
def external_queue(request: HttpRequest) -> HttpResponse:
    scope = require_admin_scope(request.user)
    viewer = _viewer(request)
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status") or ExternalTraining.Status.SUBMITTED
    rows = selectors.external_review_queue(
        viewer=viewer, scope=scope, status=status, search=filters.get("q") or ""
    )
    return render(
        request,
        "learning/external/queue.html",
        {
            "form": form,
            "page": paginate(request, rows),
            "status": status,
            "counts": selectors.external_status_counts(viewer=viewer, scope=scope),
            "statuses": ExternalTraining.Status,
        },
    )


def _reviewable(request: HttpRequest, record_id: int) -> tuple[ExternalTraining, Any]:
    scope = require_admin_scope(request.user)
    try:
        record = selectors.external_for_review(viewer=_viewer(request), pk=record_id, scope=scope)
    except ExternalTraining.DoesNotExist:
        raise Http404(_("Catatan pelatihan tidak ditemukan.")) from None
    return record, scope


@login_required
@require_safe
def external_review(request: HttpRequest, record_id: int) -> HttpResponse:
    record, scope = _reviewable(request, record_id)
    _labelled([record])
    days = (record.ended_on - record.started_on).days + 1
    return render(
        request,
        "learning/external/review.html",
        {
            "record": record,
            "duplicates": selectors.external_duplicates(record=record, scope=scope),
            "own": record.employee_id == request.user.pk,
            "days": days,
            # More than 12 JP (9 hours) a day is more than a training day holds: worth a look.
            "jp_heavy": record.jp > 12 * days,
            "verify_form": VerifyForm(),
            "reject_form": RejectForm(),
        },
    )


def _act(request: HttpRequest, record_id: int, action: str) -> HttpResponse:
    """Verify or reject. Out of scope: the service refuses with 403 and nothing changes."""
    viewer = _viewer(request)
    require_admin_scope(request.user)
    record = (
        ExternalTraining.objects.select_related("employee__org_unit").filter(pk=record_id).first()
    )
    if record is None:
        raise Http404(_("Catatan pelatihan tidak ditemukan."))
    back = reverse("learning:external_review", kwargs={"record_id": record.pk})
    if action == "verify":
        form: VerifyForm | RejectForm = VerifyForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        try:
            services.external_verify(actor=viewer, record=record, note=note)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(back)
        messages.success(
            request,
            _("%(title)s milik %(name)s terverifikasi; %(jp)s JP dikreditkan.")
            % {
                "title": record.title,
                "name": record.employee.name_with_gelar,
                "jp": f"{record.jp.normalize():f}",
            },
        )
    else:
        form = RejectForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        try:
            services.external_reject(actor=viewer, record=record, reason=reason)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(back)
        messages.success(
            request,
            _("%(title)s milik %(name)s ditolak; pegawai dapat memperbaiki dan mengajukannya lagi.")
            % {"title": record.title, "name": record.employee.name_with_gelar},
        )
    return redirect("learning:external_queue")


@login_required
@require_POST
def external_verify(request: HttpRequest, record_id: int) -> HttpResponse:
    return _act(request, record_id, "verify")


@login_required
@require_POST
def external_reject(request: HttpRequest, record_id: int) -> HttpResponse:
    return _act(request, record_id, "reject")
