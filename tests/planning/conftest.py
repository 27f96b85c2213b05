"""A small competency dictionary, two jabatan standards and AKPK built straight from the
models, for the planning suites."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lms.planning.models import AKPK, AKPKItem, Competency, JabatanStandard

DICTIONARY = [
    # code, name, type
    ("TEK-01", "Pengelolaan keuangan daerah", "teknis"),
    ("TEK-02", "Analisis kebijakan publik", "teknis"),
    ("TEK-03", "Pengadaan barang dan jasa", "teknis"),
    ("MAN-01", "Integritas", "manajerial"),
    ("MAN-02", "Kerja sama", "manajerial"),
    ("SK-01", "Perekat bangsa", "sosial_kultural"),
]
# The EmployeeFactory's jabatan is "Analis".
STANDARDS = {
    "Analis": {"TEK-01": 3, "TEK-02": 4, "MAN-01": 3, "MAN-02": 2, "SK-01": 2},
    "Kepala Seksi": {"TEK-01": 3, "MAN-01": 4, "MAN-02": 4, "SK-01": 3},
}


@pytest.fixture
def dictionary(db: None) -> dict[str, Competency]:
    competencies = {
        code: Competency.objects.create(code=code, name=name, competency_type=kind)
        for code, name, kind in DICTIONARY
    }
    for jabatan, levels in STANDARDS.items():
        for code, level in levels.items():
            JabatanStandard.objects.create(
                jabatan=jabatan, competency=competencies[code], required_level=level
            )
    return competencies


@pytest.fixture
def make_akpk(dictionary: dict[str, Competency]) -> Callable[..., AKPK]:
    """``make_akpk(employee, year, {"TEK-01": 1, ...}, status=..., source="self")``: an AKPK
    measured against the employee's jabatan standard, with the given current levels."""

    def make(
        employee: Any,
        year: int,
        levels: dict[str, int],
        *,
        status: str = AKPK.Status.ASSESSED,
        source: str = "supervisor",
    ) -> AKPK:
        unit = employee.org_unit
        opd = unit.opd_node() if unit is not None else None
        akpk = AKPK.objects.create(
            employee=employee, year=year, org_unit=unit, opd=opd, jabatan=employee.jabatan,
            status=status,
        )  # fmt: skip
        required = STANDARDS.get(employee.jabatan, {})
        for code in sorted(set(required) | set(levels)):
            item = AKPKItem(
                akpk=akpk, competency=dictionary[code], required_level=required.get(code, 0)
            )
            if code in levels:
                setattr(item, f"{source}_level", levels[code])
            item.recompute()
            item.save()
        return akpk

    return make
