"""JP compliance: the figures of the small Pemda in conftest.py equal the ones worked out by
hand below; an OPD admin cannot reach another OPD by any filter, URL or download; learners
get 403; garbage in the query string is never a 500; the number of queries a page makes
does not grow with the number of employees.

The fixture's year (YEAR), by hand:

    Dinas Pendidikan  Guru Andalas 0 22 (12 teknis klasikal + 10 manajerial), 1 5 (teknis),
                      2 0, Admin Pendidikan 20 (pemerintahan klasikal; placed in the OPD)
                      -> 4 ASN, 2 met, 47 JP, mean 11.75, median of 0 5 20 22 = 12.5
    Dinas Kesehatan   Perawat Bukit 0 30 (sosial kultural), 1 7.5 (teknis), 2 12 (teknis,
                      a PPPK whose target is 10: met)
                      -> 3 ASN, 2 met, 49.5 JP, mean 16.5, median 12
    the Pemda itself  the auditor and the superuser, 0 each -> 2 ASN, 0 met
    Pemda             9 ASN, 4 met (44.4 %), 96.5 JP, mean 10.72, median of
                      0 0 0 5 7.5 12 20 22 30 = 7.5; teknis 36.5, manajerial 10,
                      sosial kultural 30, pemerintahan 20; klasikal 32, non-klasikal 64.5;
                      3 courses completed (2 + 1), 7.5 external JP verified (Kesehatan),
                      1 verification waiting (Pendidikan).
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.learning.models import JPTarget
from lms.learning.selectors import jp_target_for
from lms.people.models import EmploymentType, JabatanKind, Role, RoleAssignment
from lms.people.selectors import scope_for
from lms.people.services import role_grant, role_revoke
from lms.reports import selectors as s
from tests.factories import EmployeeFactory

from .conftest import YEAR, credit

D = Decimal


def report_for(user: Any, **filters: Any) -> s.ComplianceReport:
    return s.compliance_report(
        scope=scope_for(user), filters=s.ComplianceFilters(year=YEAR, **filters)
    )


def rows_by_label(report: s.ComplianceReport) -> dict[str, s.Figures]:
    return {g.label: g.figures for g in report.rows}


def csv_rows(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


# --- Figures ----------------------------------------------------------------------------


def test_pemda_totals_equal_the_hand_computed_ones(compliance: dict[str, Any]) -> None:
    t = report_for(compliance["auditor"]).totals
    assert (t.asn, t.met, t.not_met) == (9, 4, 5)
    assert t.percent == D("44.4")
    assert t.jp_sum == D("96.5")
    assert t.mean == D("10.72")
    assert t.median == D("7.5")
    assert (t.teknis, t.manajerial, t.sosial_kultural, t.pemerintahan) == (
        D("36.5"), D("10"), D("30"), D("20"),
    )  # fmt: skip
    assert (t.klasikal, t.non_klasikal) == (D("32"), D("64.5"))
    assert (t.courses_completed, t.external_jp, t.pending) == (3, D("7.5"), 1)


def test_each_opd_row_equals_the_hand_computed_one(compliance: dict[str, Any]) -> None:
    report = report_for(compliance["auditor"])
    # OPDs by name, then the staff placed above every OPD.
    assert [g.label for g in report.rows] == [
        "Dinas Kesehatan",
        "Dinas Pendidikan",
        "Langsung di Pemerintah Kabupaten Uji (di luar OPD)",
    ]
    rows = rows_by_label(report)
    a, b = rows["Dinas Pendidikan"], rows["Dinas Kesehatan"]
    rest = rows["Langsung di Pemerintah Kabupaten Uji (di luar OPD)"]
    assert (a.asn, a.met, a.jp_sum, a.mean, a.median) == (4, 2, D("47"), D("11.75"), D("12.5"))
    assert (a.teknis, a.manajerial, a.pemerintahan) == (D("17"), D("10"), D("20"))
    assert (a.klasikal, a.non_klasikal) == (D("32"), D("15"))
    assert (a.courses_completed, a.external_jp, a.pending) == (2, D("0"), 1)
    assert a.percent == D("50.0")
    assert (b.asn, b.met, b.jp_sum, b.mean, b.median) == (3, 2, D("49.5"), D("16.5"), D("12"))
    assert (b.sosial_kultural, b.teknis) == (D("30"), D("19.5"))
    assert (b.courses_completed, b.external_jp, b.pending) == (1, D("7.5"), 0)
    assert b.percent == D("66.7")
    assert (rest.asn, rest.met, rest.jp_sum, rest.median) == (2, 0, D("0"), D("0"))
    # The rows add up to the totals.
    assert sum(g.figures.asn for g in report.rows) == report.totals.asn
    assert sum(g.figures.jp_sum for g in report.rows) == report.totals.jp_sum


def test_a_units_page_splits_it_into_its_children_and_its_own_staff(
    compliance: dict[str, Any],
) -> None:
    scope = scope_for(compliance["auditor"])
    unit = s.unit_in_scope(scope=scope, unit_id=compliance["opd_a"].pk)
    report = s.compliance_report(scope=scope, filters=s.ComplianceFilters(year=YEAR), unit=unit)
    rows = rows_by_label(report)
    assert list(rows) == ["Bidang SD", "Langsung di Dinas Pendidikan"]
    sd, own = rows["Bidang SD"], rows["Langsung di Dinas Pendidikan"]
    assert (sd.asn, sd.met, sd.jp_sum, sd.median) == (3, 1, D("27"), D("5"))
    assert (own.asn, own.met, own.jp_sum, own.median) == (1, 1, D("20"), D("20"))
    assert (report.totals.asn, report.totals.met, report.totals.median) == (4, 2, D("12.5"))


def test_staff_outside_every_opd_get_their_own_rows_with_true_medians(
    compliance: dict[str, Any],
) -> None:
    """A unit under the Pemda that is not an OPD (its own path prefix) and staff with no
    unit at all: they count in the Pemda's totals, in rows of their own, and the median of
    a row made of several prefixes is still the median of its people."""
    from tests.factories import OrgUnitFactory

    dprd = OrgUnitFactory.child(compliance["root"], "Sekretariat DPRD")  # kind: unit
    for jp in ("4", "9", "30"):
        credit(EmployeeFactory.create(org_unit=dprd), jp)
    nowhere = EmployeeFactory.create(org_unit=None, full_name="Belum Ditempatkan")
    credit(nowhere, "21")
    report = report_for(compliance["auditor"])
    rows = rows_by_label(report)
    rest = rows["Langsung di Pemerintah Kabupaten Uji (di luar OPD)"]
    # the auditor and the superuser (0, 0) and the DPRD's 4, 9, 30
    assert (rest.asn, rest.met, rest.jp_sum, rest.median) == (5, 1, D("43"), D("4"))
    assert len(next(g for g in report.rows if g.label.startswith("Langsung")).keys) == 2
    none = rows["Tanpa unit kerja"]
    assert (none.asn, none.met, none.median) == (1, 1, D("21"))
    assert [g.label for g in report.rows][-2:] == [
        "Langsung di Pemerintah Kabupaten Uji (di luar OPD)", "Tanpa unit kerja",
    ]  # fmt: skip
    t = report.totals
    # 0 0 0 4 5 7.5 [9] 12 20 21 22 30 30
    assert (t.asn, t.met, t.median) == (13, 6, D("9"))
    assert sum(g.figures.asn for g in report.rows) == t.asn


def test_distribution_and_monthly_trend(compliance: dict[str, Any]) -> None:
    report = report_for(compliance["auditor"])
    assert report.histogram == [
        ("0", 3), ("<5", 0), ("5–10", 2), ("10–15", 1), ("15–20", 0), ("≥20", 3),
    ]  # fmt: skip
    months = dict(report.monthly)
    assert len(report.monthly) == 12
    assert (months["Feb"], months["Mar"], months["Jun"], months["Jul"], months["Agu"]) == (
        D("12"), D("15"), D("20"), D("30"), D("19.5"),
    )  # fmt: skip
    assert months["Apr"] == 0  # the inactive employee's 40 JP are not counted
    assert sum(months.values()) == report.totals.jp_sum  # no reversal in the fixture
    # The same months for the Pemda seen through a filter (another way to the same rows).
    pns = dict(report_for(compliance["auditor"], employment_type="PNS").monthly)
    assert (pns["Apr"], pns["Agu"]) == (D("0"), D("7.5"))


def test_targets_are_read_as_jp_target_for_reads_them(db: None) -> None:
    for year in (2031, 2032, 2033):
        # 2031: nothing (the default); 2032: a row for all; 2033: all plus PPPK's own.
        if year >= 2032:
            JPTarget.objects.create(year=year, employment_type="", minimum=D(16))
        if year == 2033:
            JPTarget.objects.create(year=year, employment_type="PPPK", minimum=D(8), cap=D(24))
        targets = s.year_targets(year)
        for kind in EmploymentType.values:
            expected = jp_target_for(employment_type=kind, year=year).minimum
            assert targets.for_type(kind) == expected, (year, kind)


def test_filters_narrow_the_figures(compliance: dict[str, Any]) -> None:
    auditor = compliance["auditor"]
    pppk = report_for(auditor, employment_type=EmploymentType.PPPK).totals
    assert (pppk.asn, pppk.met, pppk.jp_sum) == (1, 1, D("12"))
    b2 = compliance["staff_b"][2]
    b2.jabatan_kind = JabatanKind.STRUKTURAL
    b2.save()
    structural = report_for(auditor, jabatan_kind=JabatanKind.STRUKTURAL).totals
    assert (structural.asn, structural.jp_sum, structural.pending) == (1, D("12"), 0)
    golongan = report_for(auditor, golongan="IX").totals
    assert (golongan.asn, golongan.jp_sum) == (1, D("12"))
    nobody = report_for(auditor, golongan="IV/e").totals
    assert (nobody.asn, nobody.percent, nobody.mean, nobody.median) == (0, None, None, None)


def test_dashboard_page_shows_the_figures(compliance: dict[str, Any], client: Client) -> None:
    client.force_login(compliance["auditor"])
    response = client.get(reverse("reports:compliance"), {"tahun": YEAR})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Kepatuhan JP {YEAR}" in html
    assert "44,4%" in html  # Indonesian decimals
    assert "4 dari 9 ASN memenuhi target" in html
    assert "10,72" in html
    unit_url = reverse("reports:unit", kwargs={"unit_id": compliance["opd_a"].pk})
    assert f'href="{unit_url}?tahun={YEAR}"' in html
    # Three charts, each named and with its table.
    assert html.count('role="img"') == 3
    for name in ("chart-opd-title", "chart-dist-title", "chart-month-title"):
        assert f'aria-labelledby="{name} ' in html
    assert "<script" not in html.split("<main", 1)[1]
    assert ' style="' not in html  # the CSP allows no inline style


def test_the_default_year_is_this_year(compliance: dict[str, Any], client: Client) -> None:
    client.force_login(compliance["auditor"])
    response = client.get(reverse("reports:compliance"))
    assert response.status_code == 200
    assert response.context["report"].year == s.current_year()


def test_employee_list_is_sorted_by_jp_with_status_and_links(
    compliance: dict[str, Any], client: Client
) -> None:
    client.force_login(compliance["auditor"])
    url = reverse("reports:unit", kwargs={"unit_id": compliance["opd_b"].pk})
    page = client.get(url, {"tahun": YEAR}).context["page"]
    assert [(e.full_name, e.jp, e.target, e.met) for e in page] == [
        ("Perawat Bukit 1", D("7.5"), D("20"), False),
        ("Perawat Bukit 2", D("12"), D("10"), True),  # PPPK: their own target
        ("Perawat Bukit 0", D("30"), D("20"), True),
    ]
    desc = client.get(url, {"tahun": str(YEAR), "urut": "-jp"}).context["page"]
    assert [e.full_name for e in desc] == ["Perawat Bukit 0", "Perawat Bukit 2", "Perawat Bukit 1"]
    html = client.get(url, {"tahun": YEAR}).content.decode()
    record = reverse("learning:employee_record", kwargs={"nip": compliance["staff_b"][0].nip})
    assert f'href="{record}?tahun={YEAR}"' in html
    assert "Kurang 12,5 JP" in html


def test_employee_list_paginates(compliance: dict[str, Any], client: Client, settings: Any) -> None:
    for i in range(55):
        EmployeeFactory.create(org_unit=compliance["unit_b"], full_name=f"Bidan {i:02d}")
    client.force_login(compliance["auditor"])
    url = reverse("reports:unit", kwargs={"unit_id": compliance["opd_b"].pk})
    first = client.get(url, {"tahun": YEAR}).context["page"]
    assert (first.paginator.count, len(first.object_list), first.paginator.num_pages) == (58, 50, 2)
    second = client.get(url, {"tahun": YEAR, "halaman": 2}).context["page"]
    assert len(second.object_list) == 8
    # the ones with the most hours come last when sorted by JP ascending
    assert second.object_list[-1].full_name == "Perawat Bukit 0"


# --- Who sees what ----------------------------------------------------------------------


def test_opd_admin_sees_only_their_opd(compliance: dict[str, Any], client: Client) -> None:
    admin = compliance["admin_a"]
    report = report_for(admin)
    assert [g.label for g in report.rows] == ["Dinas Pendidikan"]
    t = report.totals
    assert (t.asn, t.met, t.jp_sum, t.median, t.pending, t.external_jp) == (
        4, 2, D("47"), D("12.5"), 1, D("0"),
    )  # fmt: skip
    months = dict(report.monthly)
    assert (months["Jul"], months["Agu"]) == (D("0"), D("0"))  # Kesehatan's months
    # No filter widens it.
    for filters in (
        {"employment_type": "PPPK"},
        {"golongan": "IX"},
        {"jabatan_kind": "fungsional"},
    ):
        narrowed = report_for(admin, **filters)
        assert narrowed.totals.asn <= 4
        assert all(g.label == "Dinas Pendidikan" for g in narrowed.rows)
    client.force_login(admin)
    html = client.get(reverse("reports:compliance"), {"tahun": YEAR}).content.decode()
    assert "Dinas Kesehatan" not in html
    assert "Perawat Bukit" not in html


@pytest.mark.parametrize("unit", ["opd_b", "unit_b", "root"])
def test_opd_admin_cannot_open_another_unit(
    compliance: dict[str, Any], client: Client, unit: str
) -> None:
    client.force_login(compliance["admin_a"])
    unit_id = compliance[unit].pk
    assert client.get(reverse("reports:unit", kwargs={"unit_id": unit_id})).status_code == 404
    for table in ("opd", "jenis-jp", "distribusi", "bulanan", "pegawai"):
        url = reverse("reports:download", kwargs={"table": table, "fmt": "csv"})
        assert client.get(url, {"tahun": YEAR, "unit": unit_id}).status_code == 404, table
    response = client.post(
        reverse("reports:exports"), {"format": "xlsx", "tahun": YEAR, "unit": unit_id}
    )
    assert response.status_code == 404


def test_opd_admin_downloads_hold_only_their_opd(
    compliance: dict[str, Any], client: Client
) -> None:
    client.force_login(compliance["admin_a"])
    url = reverse("reports:download", kwargs={"table": "pegawai", "fmt": "csv"})
    rows = csv_rows(client.get(url, {"tahun": YEAR}))
    names = sorted(r[1] for r in rows[1:])
    assert names == ["Admin Pendidikan", "Guru Andalas 0", "Guru Andalas 1", "Guru Andalas 2"]
    rows = csv_rows(client.get(url, {"tahun": str(YEAR), "jenis": "PPPK"}))
    assert rows[1:] == []  # the only PPPK is in Dinas Kesehatan
    groups = csv_rows(
        client.get(
            reverse("reports:download", kwargs={"table": "opd", "fmt": "csv"}), {"tahun": YEAR}
        )
    )
    assert [r[0] for r in groups[1:]] == ["Dinas Pendidikan", "Jumlah"]


def test_an_admin_of_one_bidang_sees_that_bidang_only(
    compliance: dict[str, Any], client: Client
) -> None:
    bidang_admin = EmployeeFactory.create(org_unit=compliance["unit_a"], full_name="Kabid SD")
    role_grant(
        actor=None, employee=bidang_admin, role=Role.OPD_ADMIN, org_unit=compliance["unit_a"],
        reason="uji",
    )  # fmt: skip
    report = report_for(bidang_admin)
    assert [(g.label, g.drillable) for g in report.rows] == [("Bidang SD", True)]
    t = report.totals
    # Guru Andalas 0-2 (22, 5, 0) and the new admin (0)
    assert (t.asn, t.met, t.jp_sum, t.median) == (4, 1, D("27"), D("2.5"))
    client.force_login(bidang_admin)
    unit = reverse("reports:unit", kwargs={"unit_id": compliance["unit_a"].pk})
    assert client.get(unit).status_code == 200
    above = reverse("reports:unit", kwargs={"unit_id": compliance["opd_a"].pk})
    assert client.get(above).status_code == 404


def test_opd_admin_reaches_their_units(compliance: dict[str, Any], client: Client) -> None:
    client.force_login(compliance["admin_a"])
    for unit in ("opd_a", "unit_a"):
        url = reverse("reports:unit", kwargs={"unit_id": compliance[unit].pk})
        response = client.get(url, {"tahun": YEAR})
        assert response.status_code == 200
        # The trail stops at their OPD: the Pemda above it is not theirs to open.
        assert all(u.pk != compliance["root"].pk for u in response.context["report"].trail)


def test_learners_get_403_and_visitors_the_login(
    compliance: dict[str, Any], client: Client
) -> None:
    urls = [
        reverse("reports:compliance"),
        reverse("reports:unit", kwargs={"unit_id": compliance["opd_a"].pk}),
        reverse("reports:download", kwargs={"table": "pegawai", "fmt": "xlsx"}),
        reverse("reports:exports"),
    ]
    for url in urls:
        assert client.get(url).status_code == 302, url
    client.force_login(compliance["learner"])
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert (
        client.post(reverse("reports:exports"), {"format": "csv", "tahun": YEAR}).status_code == 403
    )


def test_an_auditor_reads_everything_and_changes_nothing(
    compliance: dict[str, Any], client: Client
) -> None:
    client.force_login(compliance["auditor"])
    response = client.get(reverse("reports:compliance"), {"tahun": YEAR})
    assert response.status_code == 200
    assert not response.context["scope"].can_change
    assert "hanya baca" in response.content.decode()
    for unit in ("root", "opd_a", "unit_b"):
        url = reverse("reports:unit", kwargs={"unit_id": compliance[unit].pk})
        assert client.get(url).status_code == 200


def test_a_revoked_admin_loses_the_pages(compliance: dict[str, Any], client: Client) -> None:
    admin = compliance["admin_a"]
    client.force_login(admin)
    assert client.get(reverse("reports:compliance")).status_code == 200
    assignment = RoleAssignment.objects.get(employee=admin, role=Role.OPD_ADMIN)
    role_revoke(actor=None, assignment=assignment, reason="pindah tugas")
    assert client.get(reverse("reports:compliance")).status_code == 403


# --- Garbage in --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"tahun": "abc"},
        {"tahun": "99999999999999999999"},
        {"tahun": "-1"},
        {"tahun": "1999"},
        {"jenis": "DIREKTUR"},
        {"jabatan": "<script>"},
        {"golongan": "'; DROP TABLE people_employee; --"},
        {"urut": "password"},
        {"halaman": "99999"},
        {"halaman": "-3"},
        {"tahun": ["2025", "2024"]},
        {"unit": "abc"},
    ],
)
def test_garbage_filters_never_500(
    compliance: dict[str, Any], client: Client, query: dict[str, Any]
) -> None:
    client.force_login(compliance["auditor"])
    dashboard = client.get(reverse("reports:compliance"), query)
    assert dashboard.status_code == 200
    unit = client.get(reverse("reports:unit", kwargs={"unit_id": compliance["opd_a"].pk}), query)
    assert unit.status_code == 200
    download = client.get(reverse("reports:download", kwargs={"table": "opd", "fmt": "csv"}), query)
    assert download.status_code in (200, 404)


def test_a_bad_filter_is_shown_and_dropped(compliance: dict[str, Any], client: Client) -> None:
    client.force_login(compliance["auditor"])
    response = client.get(reverse("reports:compliance"), {"tahun": str(YEAR), "jenis": "DIREKTUR"})
    assert response.context["form"].errors["jenis"]
    assert response.context["report"].totals.asn == 9  # the bad filter is not applied
    assert response.context["report"].year == YEAR  # the good one is


@pytest.mark.parametrize(
    "path",
    [
        "/laporan/unit/0/",
        "/laporan/unit/999999999999999999/",
        "/laporan/unit/9999999999999999999999/",
        "/laporan/unduh/opd.pdf",
        "/laporan/unduh/rahasia.csv",
        "/laporan/unduh/opd.csv?unit=999999999999999999999",
        "/laporan/ekspor/999999/",
        "/laporan/ekspor/999999/unduh/",
    ],
)
def test_bad_urls_are_404(compliance: dict[str, Any], client: Client, path: str) -> None:
    client.force_login(compliance["auditor"])
    assert client.get(path).status_code == 404


# --- Queries ------------------------------------------------------------------------------


def _grow(compliance: dict[str, Any], count: int) -> None:
    """More employees in both OPDs, with hours (and a PPPK now and then)."""
    for i in range(count):
        unit = compliance["unit_a"] if i % 2 else compliance["unit_b"]
        employee = EmployeeFactory.create(org_unit=unit, full_name=f"Tambahan {i}")
        if i % 5 == 0:
            employee.employment_type = EmploymentType.PPPK
            employee.save()
        credit(employee, str(5 + i % 20))


def _queries(client: Client, url: str, query: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize("viewer", ["auditor", "admin_a"])
def test_query_count_is_bounded_and_independent_of_employees(
    compliance: dict[str, Any], client: Client, viewer: str
) -> None:
    client.force_login(compliance[viewer])
    unit_a = reverse("reports:unit", kwargs={"unit_id": compliance["unit_a"].pk})
    pages: list[tuple[str, dict[str, Any]]] = [
        (reverse("reports:compliance"), {"tahun": YEAR}),
        (reverse("reports:compliance"), {"tahun": YEAR, "jenis": "PNS", "golongan": "III/a"}),
        (reverse("reports:unit", kwargs={"unit_id": compliance["opd_a"].pk}), {"tahun": YEAR}),
        (unit_a, {"tahun": YEAR, "urut": "-jp"}),
        (reverse("reports:download", kwargs={"table": "opd", "fmt": "xlsx"}), {"tahun": YEAR}),
        (reverse("reports:download", kwargs={"table": "pegawai", "fmt": "csv"}), {"tahun": YEAR}),
    ]  # fmt: skip
    _grow(compliance, 3)
    small = [_queries(client, url, query) for url, query in pages]
    _grow(compliance, 40)
    large = [_queries(client, url, query) for url, query in pages]
    assert small == large
    assert max(large) <= 16, large
