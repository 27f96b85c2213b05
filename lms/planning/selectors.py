"""Reads shared by the planning pages."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import JabatanStandard, jabatan_key


def jabatan_standard(jabatan: str) -> QuerySet[JabatanStandard]:
    """The standard of a jabatan (matched by its normalised name), with the competencies."""
    return (
        JabatanStandard.objects.filter(jabatan_key=jabatan_key(jabatan), competency__is_active=True)
        .select_related("competency")
        .order_by("competency__competency_type", "competency__code")
    )
