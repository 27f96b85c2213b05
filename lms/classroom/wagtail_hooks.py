"""Wagtail admin for angkatan, programmes, sessions and questionnaires: each part registers
its own viewsets and menu items when imported here (Wagtail only looks in this module)."""

from __future__ import annotations

from .cohorts import wagtail_admin as _cohorts_admin  # noqa: F401
from .evaluation import wagtail_admin as _evaluation_admin  # noqa: F401
