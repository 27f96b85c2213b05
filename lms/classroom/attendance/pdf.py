"""The daftar hadir as a PDF: the HTML template ``classroom/attendance/daftar_hadir_pdf.html``
rendered by WeasyPrint on A4 portrait, in the Pemda's language."""

from __future__ import annotations

import threading

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from ..models import Session
from . import selectors

TEMPLATE = "classroom/attendance/daftar_hadir_pdf.html"
# WeasyPrint's font configuration is not made for threads (see certificates.rendering).
_LOCK = threading.Lock()


def attendance_html(session: Session) -> str:
    rows = selectors.sheet_rows(session, selectors.sheet_people(session))
    context = {
        "session": session,
        "rows": rows,
        "counts": selectors.sheet_counts(session),
        "pemda": settings.SINAU_PEMDA_NAME,
        "printed_at": timezone.now(),
    }
    # An official document speaks the Pemda's language, whoever asked for it.
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(TEMPLATE, context)


def attendance_pdf(session: Session) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = attendance_html(session)
    # Nothing in the list may make the server fetch a URL or read a file.
    fetcher = URLFetcher(allowed_protocols=("data",), timeout=5)
    with _LOCK:
        return bytes(HTML(string=html, url_fetcher=fetcher, base_url=None).write_pdf())
