"""Reads of certificates: public verification, the learner's own, the admin list (scoped),
downloads and bundles. Whoever may not see a certificate gets the same answer as for one
that does not exist, so ids and codes cannot be probed."""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet

from courses.models import CompetencyType
from lms.people.models import Employee, OrgUnit
from lms.people.selectors import Scope, scope_for

from .models import Certificate, CertificateBundle

# What a verification code looks like (secrets.token_urlsafe gives [A-Za-z0-9_-]); anything
# else is answered like an unknown code without asking the database.
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def mask_nip(nip: str) -> str:
    """Enough of a NIP to match it against the paper (first 4 and last 3 digits), not
    enough to reuse it: ``1986***********001``."""
    nip = nip or ""
    if len(nip) <= 7:
        return "*" * len(nip)
    return f"{nip[:4]}{'*' * (len(nip) - 7)}{nip[-3:]}"


# --- Public verification ---------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What a verifier is told about a certificate; the page and the API say the same."""

    status: str
    status_label: str
    holder_name: str
    holder_nip: str  # masked
    course: str
    jp: Decimal
    competency_type: str
    completed_on: dt.date
    number: str
    issuer: str
    issued_at: dt.datetime
    code: str
    revoked_at: dt.datetime | None
    revoke_reason: str
    replaced_by_number: str | None
    replaced_by_code: str | None

    @property
    def is_valid(self) -> bool:
        return self.status == Certificate.Status.VALID

    @property
    def is_revoked(self) -> bool:
        return self.status == Certificate.Status.REVOKED

    @property
    def is_replaced(self) -> bool:
        return self.status == Certificate.Status.REPLACED


def certificate_verification(*, code: str) -> Verification | None:
    """The certificate a code names, as a verifier sees it; None for an unknown or
    malformed code (the two must look alike)."""
    code = (code or "").strip()
    if not CODE_RE.fullmatch(code):
        return None
    certificate = Certificate.objects.select_related("replaced_by").filter(code=code).first()
    if certificate is None:
        return None
    replacement: Certificate | None = getattr(certificate, "replaced_by", None)
    replaced = certificate.status == Certificate.Status.REPLACED and replacement is not None
    revoked = certificate.status == Certificate.Status.REVOKED
    types = dict(CompetencyType.choices)
    return Verification(
        status=certificate.status,
        status_label=str(certificate.get_status_display()),
        holder_name=certificate.holder_name,
        holder_nip=mask_nip(certificate.holder_nip),
        course=certificate.course_title,
        jp=certificate.jp,
        competency_type=str(types.get(certificate.competency_type, certificate.competency_type)),
        completed_on=certificate.completed_on,
        number=certificate.number,
        issuer=certificate.issuer_name,
        issued_at=certificate.issued_at,
        code=certificate.code,
        revoked_at=certificate.revoked_at if revoked else None,
        revoke_reason=certificate.revoke_reason if revoked else "",
        replaced_by_number=replacement.number if replaced and replacement else None,
        replaced_by_code=replacement.code if replaced and replacement else None,
    )


def verify_throttle(*, client: str) -> int:
    """Count one lookup by this client (an IP address); 0 while it is within
    SINAU_CERTIFICATE_VERIFY_RATE lookups per SINAU_CERTIFICATE_VERIFY_WINDOW seconds,
    otherwise the seconds until it may try again.

    A fixed window in the shared cache (Redis in production), so every web process counts
    together; the page and the API share one budget, so switching does not double it.
    """
    limit: int = settings.SINAU_CERTIFICATE_VERIFY_RATE
    window: int = settings.SINAU_CERTIFICATE_VERIFY_WINDOW
    if limit <= 0:
        return 0
    now = time.time()
    slot = int(now // window)
    key = f"sinau:cert-verify:{client or 'unknown'}:{slot}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    if count <= limit:
        return 0
    return max(1, int((slot + 1) * window - now) + 1)


# --- The learner's certificates and downloads -------------------------------------------


def my_certificates(*, employee: Employee) -> QuerySet[Certificate]:
    return (
        Certificate.objects.filter(employee=employee)
        .select_related("replaced_by")
        .order_by("-issued_at", "-pk")
    )


def certificate_for_download(*, viewer: Any, certificate_id: int) -> Certificate:
    """The certificate if the viewer is its holder or an admin whose scope covers the
    holder; ``Certificate.DoesNotExist`` otherwise (out of scope looks like missing)."""
    certificate = Certificate.objects.select_related("employee__org_unit", "replaced_by").get(
        pk=certificate_id
    )
    if isinstance(viewer, Employee) and certificate.employee_id == viewer.pk:
        return certificate
    scope = scope_for(viewer)
    unit = certificate.employee.org_unit
    if scope.everything or (
        unit is not None and scope.is_admin_scope and scope.covers_path(unit.path)
    ):
        return certificate
    raise Certificate.DoesNotExist


def certificates_by_enrolment(*, enrolment_ids: list[int]) -> dict[int, Certificate]:
    """The certificate in force (valid) for each of these enrolments, for pages that list
    completions (the competency record) and link their certificates; one query."""
    rows = Certificate.objects.filter(
        enrolment_id__in=enrolment_ids, status=Certificate.Status.VALID
    ).only("pk", "enrolment_id", "number", "code", "status", "pdf")
    return {c.enrolment_id: c for c in rows}


# --- Admin list ---------------------------------------------------------------------------


def certificate_list(
    *,
    viewer: Employee,
    scope: Scope | None = None,
    course_id: int | None = None,
    org_unit: OrgUnit | None = None,
    year: int | None = None,
    status: str = "",
    search: str = "",
) -> QuerySet[Certificate]:
    """Certificates as an admin may read them: OPD admins their subtree's employees (by the
    employee's current unit), auditors and superusers all; newest first."""
    scope = scope or scope_for(viewer)
    if not scope.is_admin_scope:
        return Certificate.objects.none()
    qs = Certificate.objects.filter(scope.unit_q("employee__org_unit__"))
    if course_id:
        qs = qs.filter(course_id=course_id)
    if org_unit is not None:
        qs = qs.filter(org_unit.subtree_filter("employee__org_unit__"))
    if year:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    search = search.strip()
    if search:
        digits = "".join(ch for ch in search if ch.isdigit())
        cond = (
            Q(holder_name__icontains=search)
            | Q(employee__full_name__icontains=search)
            | Q(number__icontains=search)
        )
        if len(digits) >= 4 and len(digits) == len(search.replace(" ", "")):
            cond |= Q(holder_nip__startswith=digits) | Q(employee__nip__startswith=digits)
        qs = qs.filter(cond)
    return qs.select_related("employee__org_unit").order_by("-issued_at", "-pk")


def certificate_get(
    *, viewer: Employee, certificate_id: int, scope: Scope | None = None
) -> Certificate:
    """One certificate for the admin pages; ``Certificate.DoesNotExist`` out of scope."""
    scope = scope or scope_for(viewer)
    return (
        certificate_list(viewer=viewer, scope=scope)
        .select_related("course", "revoked_by", "replaces", "replaced_by", "template")
        .get(pk=certificate_id)
    )


# --- Bundles ------------------------------------------------------------------------------


def bundle_certificates(*, bundle: CertificateBundle) -> QuerySet[Certificate]:
    """The certificates a bundle holds: the valid ones of its course and/or OPD (by the
    holder's current unit) and year, in number order."""
    qs = Certificate.objects.filter(status=Certificate.Status.VALID)
    if bundle.course_id:
        qs = qs.filter(course_id=bundle.course_id)
    if bundle.org_unit_id:
        unit = OrgUnit.objects.get(pk=bundle.org_unit_id)
        qs = qs.filter(unit.subtree_filter("employee__org_unit__"))
    if bundle.year:
        qs = qs.filter(year=bundle.year)
    return qs.order_by("year", "sequence")


def bundle_list(*, viewer: Employee) -> QuerySet[CertificateBundle]:
    """Bundles the viewer may open: their own; superusers see everyone's."""
    qs = CertificateBundle.objects.select_related("course", "org_unit", "requested_by")
    if not viewer.is_superuser:
        qs = qs.filter(requested_by=viewer)
    return qs.order_by("-created_at", "-pk")


def bundle_get(*, viewer: Employee, bundle_id: int) -> CertificateBundle:
    """``CertificateBundle.DoesNotExist`` for someone else's bundle (unless superuser)."""
    return bundle_list(viewer=viewer).get(pk=bundle_id)
