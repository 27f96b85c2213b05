"""A certificate as a PDF: the HTML/CSS template in ``templates/certificates/pdf/``,
rendered by WeasyPrint on A4 landscape, with a QR code (segno) that opens the public
verification page.

Rendering runs in warm Celery workers: the font configuration, the stylesheet, the URL
fetcher and the decoded template images are made once per process and reused for every
certificate (the first render in a process pays for fontconfig; the next ones do not).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import mimetypes
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from courses.models import CompetencyType
from lms.people.models import Employee, EmploymentType

from .models import Certificate, CertificateTemplate

HTML_TEMPLATE = "certificates/pdf/certificate.html"
CSS_TEMPLATE = "certificates/pdf/certificate.css"
DEV_PUBLIC_URL = "http://127.0.0.1:8000"

# Rendition sizes: enough for print at about 150 dpi, small enough that a phone-camera
# background does not make every PDF weigh megabytes.
BACKGROUND_SIZE = "max-1754x1240"
LOGO_SIZE = "max-400x400"
SIGNATURE_SIZE = "max-600x300"
# A JPEG goes into the PDF as it is, while WeasyPrint re-encodes a PNG with transparency
# on every render (several ms each): on a white page the transparency is not needed.
FLAT = "|bgcolor-ffffff|format-jpeg|jpegquality-92"
# Decoded images kept by the warm renderer (a template's logo, background, signature).
IMAGE_CACHE_LIMIT = 64
# Beyond these lengths the name and the course title are set smaller, to stay on one page.
LONG_NAME = 42
VERY_LONG_NAME = 70
LONG_TITLE = 80
VERY_LONG_TITLE = 140


def verification_url(code: str) -> str:
    base = (settings.SINAU_PUBLIC_URL or DEV_PUBLIC_URL).rstrip("/")
    return f"{base}/verify/{code}"


def qr_data_uri(url: str) -> str:
    """The QR code as a PNG of one pixel per module, drawn without interpolation (sharp at
    any size). A tiny PNG costs WeasyPrint far less than the same code as SVG paths."""
    qr = segno.make(url, error="m")
    return str(qr.png_data_uri(scale=1, border=0))


def nip_display(nip: str, employment_type: str = EmploymentType.PNS) -> str:
    """As Employee.nip_display prints it (one rule for the profile page and the certificate)."""
    if len(nip) != 18 or not nip.isdigit():
        return nip
    return Employee(nip=nip, employment_type=employment_type).nip_display


def jp_display(jp: Decimal) -> str:
    """2 -> "2", 2.50 -> "2,5": Indonesian decimals, no trailing zeros."""
    text = f"{jp.normalize():f}"
    return text.replace(".", ",")


def date_display(day: dt.date) -> str:
    """14 Maret 2026, whatever language the request that triggered it spoke."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(formats.date_format(day, "j F Y"))


def competency_label(value: str) -> str:
    try:
        return str(CompetencyType(value).label)
    except ValueError:
        return value.replace("_", " ").capitalize()


# --- Images from Wagtail -------------------------------------------------------------


def image_spec(size: str, *, flat: bool) -> str:
    return size + FLAT if flat else size


def image_data_uri(image: Any, spec: str) -> str | None:
    """A Wagtail image, as a rendition fit for print, read from storage as a data: URI
    (the renderer fetches nothing over the network). Kept per process, keyed by what
    identifies the bytes (the original's content hash and the rendition spec), so a warm
    worker looks a template's logo up once, not once per certificate."""
    if image is None:
        return None
    storage = image.file.storage
    key = (
        f"{type(storage).__name__}:{getattr(storage, 'location', '')}",
        image.file.name, image.get_file_hash(), spec,
    )  # fmt: skip
    with _uri_lock:
        cached = _uri_cache.get(key)
    if cached is not None:
        return cached
    rendition = image.get_rendition(spec)
    with rendition.file.storage.open(rendition.file.name, "rb") as handle:
        data = handle.read()
    mime = mimetypes.guess_type(rendition.file.name)[0] or "image/png"
    uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    with _uri_lock:
        if len(_uri_cache) >= IMAGE_CACHE_LIMIT:
            _uri_cache.clear()
        _uri_cache[key] = uri
    return uri


_uri_cache: dict[tuple[str, ...], str] = {}
_uri_lock = threading.Lock()


# --- What the certificate says ---------------------------------------------------------


@dataclass(frozen=True)
class Look:
    """The template's part: a saved CertificateTemplate, or the built-in look."""

    heading: str
    statement: str
    logo: Any
    background: Any
    signature: Any
    place: str
    signatory_title: str
    signatory_name: str
    signatory_nip: str

    @classmethod
    def of(cls, template: CertificateTemplate | None, issuer_name: str) -> Look:
        if template is None:
            return cls(
                heading="SERTIFIKAT", statement="", logo=None, background=None, signature=None,
                place="", signatory_title=issuer_name, signatory_name="", signatory_nip="",
            )  # fmt: skip
        return cls(
            heading=template.heading, statement=template.statement, logo=template.logo,
            background=template.background, signature=template.signature,
            place=template.signatory_place, signatory_title=template.signatory_title,
            signatory_name=template.signatory_name, signatory_nip=template.signatory_nip,
        )  # fmt: skip


def _size_class(text: str, long: int, very_long: int | None = None) -> str:
    if very_long is not None and len(text) > very_long:
        return "very-long"
    return "long" if len(text) > long else ""


def certificate_context(
    certificate: Certificate,
    *,
    template: CertificateTemplate | None = None,
    employment_type: str | None = None,
    preview: bool = False,
) -> dict[str, Any]:
    """Everything the HTML template prints, as text ready to print."""
    template = template if template is not None else certificate.template
    look = Look.of(template, certificate.issuer_name)
    if employment_type is None:
        employment_type = (
            certificate.employee.employment_type
            if certificate.employee_id is not None
            else EmploymentType.PNS
        )
    issued_on = timezone.localdate(certificate.issued_at)
    url = verification_url(certificate.code)
    pemda = settings.SINAU_PEMDA_NAME
    statement = look.statement.strip() or _("telah menyelesaikan pelatihan")
    # Over a background image the logo and signature keep their transparency.
    white_page = look.background is None
    name_size = _size_class(certificate.holder_name, LONG_NAME, VERY_LONG_NAME)
    title_size = _size_class(certificate.course_title, LONG_TITLE, VERY_LONG_TITLE)
    return {
        "preview": preview,
        "pemda_name": pemda,
        # Printed once when the built-in look names the Pemda itself as the issuer.
        "issuer_name": "" if certificate.issuer_name == pemda else certificate.issuer_name,
        "heading": look.heading,
        "number": certificate.number,
        "holder_name": certificate.holder_name,
        "name_size": name_size,
        "holder_nip": nip_display(certificate.holder_nip, employment_type),
        "statement": statement,
        "course_title": certificate.course_title,
        "title_size": title_size,
        # Two long blocks, or one very long: set tighter to stay clear of the signature.
        "dense": bool(name_size and title_size) or "very-long" in (name_size, title_size),
        "jp": jp_display(certificate.jp),
        "competency": competency_label(certificate.competency_type),
        "completed_on": date_display(certificate.completed_on),
        "issued_on": date_display(issued_on),
        "place": look.place,
        "signatory_title": look.signatory_title,
        "signatory_name": look.signatory_name,
        "signatory_nip": nip_display(look.signatory_nip) if look.signatory_nip else "",
        "logo": image_data_uri(look.logo, image_spec(LOGO_SIZE, flat=white_page)),
        "background": image_data_uri(look.background, image_spec(BACKGROUND_SIZE, flat=True)),
        "signature": image_data_uri(look.signature, image_spec(SIGNATURE_SIZE, flat=white_page)),
        "qr": qr_data_uri(url),
        "verification_url": url,
    }


def certificate_html(certificate: Certificate, **kwargs: Any) -> str:
    context = certificate_context(certificate, **kwargs)
    # An official document speaks the Pemda's language, whoever's request led to it.
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(HTML_TEMPLATE, context)


# --- WeasyPrint, warm ------------------------------------------------------------------


class _Renderer:
    """What WeasyPrint can reuse between documents: built once per process."""

    def __init__(self) -> None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import URLFetcher

        self.font_config = FontConfiguration()
        # Only data: URIs: a certificate's images are inlined, and nothing in a template
        # may make the worker fetch a URL (or read a local file).
        self.url_fetcher = URLFetcher(allowed_protocols=("data",), timeout=5)
        self.stylesheet = CSS(
            string=render_to_string(CSS_TEMPLATE), font_config=self.font_config,
            url_fetcher=self.url_fetcher,
        )  # fmt: skip
        self.image_cache: dict[Any, Any] = {}
        # One document at a time: WeasyPrint's font configuration is not made for threads
        # (a prefork worker never contends; an admin preview in a threaded server might).
        self.lock = threading.Lock()

    def pdf(self, html: str) -> bytes:
        from weasyprint import HTML

        with self.lock:
            if len(self.image_cache) > IMAGE_CACHE_LIMIT * 4:
                self.image_cache.clear()
            document = HTML(string=html, url_fetcher=self.url_fetcher, base_url=None)
            return bytes(
                document.write_pdf(
                    stylesheets=[self.stylesheet], font_config=self.font_config,
                    cache=self.image_cache,
                )
            )  # fmt: skip


@functools.cache
def renderer() -> _Renderer:
    return _Renderer()


def html_to_pdf(html: str) -> bytes:
    return renderer().pdf(html)


def certificate_pdf(certificate: Certificate, **kwargs: Any) -> bytes:
    """The PDF of any certificate (issued, reissued, or an unsaved sample), as bytes."""
    return html_to_pdf(certificate_html(certificate, **kwargs))


def certificate_render(*, certificate: Certificate, force: bool = False) -> Certificate | None:
    """Render and store the certificate's PDF now, for callers that hold the row (the zip
    builder): ``services.certificate_render``, which skips one whose file is there."""
    from .services import certificate_render as render

    return render(certificate_id=certificate.pk, force=force)


# --- Preview ---------------------------------------------------------------------------


def template_sample(template: CertificateTemplate) -> Certificate:
    """An unsaved certificate with made-up holder data, for an editor's preview."""
    now = timezone.now()
    course = template.course
    return Certificate(
        number=f"{settings.SINAU_KODE_PEMDA}/{timezone.localdate(now).year}/000123",
        year=timezone.localdate(now).year, sequence=123, code="CONTOH-PRATINJAU",
        holder_name="Dr. Rina Kartika Sari, S.Kom., M.T.", holder_nip="198803142012042001",
        course_title=course.title if course else _("Contoh Judul Pelatihan Aparatur Sipil Negara"),
        jp=course.jp_credited if course else Decimal("20"),
        competency_type=course.competency_type if course else CompetencyType.TEKNIS,
        completed_on=timezone.localdate(now), issuer_name=template.issuer_name,
        issued_at=now, template=template,
    )  # fmt: skip


def template_preview_pdf(template: CertificateTemplate) -> bytes:
    """A sample certificate from the template, marked as a sample. An editor's single,
    deliberate render: acceptable in the request."""
    sample = template_sample(template)
    html = certificate_html(
        sample, template=template, employment_type=EmploymentType.PNS, preview=True
    )
    return html_to_pdf(html)
