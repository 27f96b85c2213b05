"""BKPSDM's outbox page: what Sinau sends to the LRS and to HR systems, what waits and
what failed, and sending a failed message again.

Thin: check, call one selector or service, answer. Auditors read; sending again is a
change, made by BKPSDM's administrators (superusers)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from lms.core.paging import paginate
from lms.people.models import Employee
from lms.planning.permissions import require_bkpsdm

from . import selectors, services
from .forms import OutboxFilterForm
from .models import OutboxMessage

# What the list keeps across a "send again" (the filters and the page it was on).
KEPT_PARAMS = ("jenis", "status", "halaman")


@login_required
@require_safe
def outbox_list(request: HttpRequest) -> HttpResponse:
    scope = require_bkpsdm(request.user)
    form = OutboxFilterForm(request.GET or None)
    filters = form.filters()
    page = paginate(request, selectors.outbox_messages(scope=scope, **filters))
    page.object_list = list(page.object_list)
    for message in page.object_list:
        message.summary = selectors.message_summary(message)
    counts = selectors.outbox_status_counts(scope=scope, kind=filters["kind"])
    return render(
        request,
        "interop/outbox_list.html",
        {
            "form": form,
            "page": page,
            "counts": [
                (value, label, counts[value]) for value, label in OutboxMessage.Status.choices
            ],
            "kind": filters["kind"] or "",
            "status": filters["status"] or "",
            "may_requeue": scope.can_change,
            "kept": [(k, request.GET[k]) for k in KEPT_PARAMS if request.GET.get(k)],
        },
    )


@login_required
@require_POST
def outbox_requeue(request: HttpRequest, message_id: int) -> HttpResponse:
    scope = require_bkpsdm(request.user)
    if not scope.can_change:
        raise PermissionDenied(_("Pesan keluar dikirim ulang oleh admin BKPSDM."))
    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None:
        raise Http404(_("Pesan tidak ditemukan."))
    actor: Employee = request.user  # type: ignore[assignment]
    try:
        services.outbox_requeue(actor=actor, message=message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Pesan %(key)s diantrekan untuk dikirim ulang.") % {"key": message.dedupe_key},
        )
    # Back to the list as it was; only the list's own parameters, so no open redirect.
    query = urlencode([(k, str(request.POST[k])[:20]) for k in KEPT_PARAMS if request.POST.get(k)])
    return redirect(reverse("interop:outbox_list") + (f"?{query}" if query else ""))
