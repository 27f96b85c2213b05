"""The competency map, the gaps no course covers, and competency profiles: figures on a
planted dataset, scope (an OPD admin never sees the other OPD), downloads, bad input and
bounded query counts.

Planted (AKPK 2026, assessed, jabatan Analis: TEK-01 3, TEK-02 4, MAN-01 3, MAN-02 2,
SK-01 2):

| employee   | TEK-01 | TEK-02 | SK-01 |
| staff_a[0] | 1 (2)  | 4      | 2     |
| staff_a[1] | 3      | 4      | 2     |
| staff_a[2] | 2 (1)  | 2 (2)  | 1 (1) |
| staff_b[0] | 3      | 1 (3)  | 2     |
| staff_b[1] | 3      | 4      | 2     |
| staff_b[2] | 3      | 4      | 2     |

(gaps in brackets; MAN-01 and MAN-02 at the standard). Not counted: a self-assessed AKPK
in OPD B, an inactive employee's assessed AKPK, and AKPK 2025.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from courses.models import CoursePage
from lms.certificates.models import Certificate
from lms.learning.models import Enrolment, ExternalTraining, JPYearTotal
from lms.people.models import Employee, OrgUnit, Role
from lms.people.selectors import scope_for
from lms.people.services import role_grant
from lms.planning.insight import selectors
from lms.planning.models import AKPK, AKPKItem, Competency, CourseCompetency, Priority
from tests.factories import EmployeeFactory, OrgUnitFactory

YEAR = 2026
AT_STANDARD = {"TEK-01": 3, "TEK-02": 4, "MAN-01": 3, "MAN-02": 2, "SK-01": 2}
PLANTED = {
    ("a", 0): {"TEK-01": 1},
    ("a", 1): {},
    ("a", 2): {"TEK-01": 2, "TEK-02": 2, "SK-01": 1},
    ("b", 0): {"TEK-02": 1},
    ("b", 1): {},
    ("b", 2): {},
}


@pytest.fixture
def planted(pemda: dict[str, Any], make_akpk: Callable[..., AKPK]) -> dict[str, Any]:
    for (opd, index), levels in PLANTED.items():
        make_akpk(pemda[f"staff_{opd}"][index], YEAR, {**AT_STANDARD, **levels})
    AKPKItem.objects.filter(
        akpk__employee=pemda["staff_a"][2], competency__code="SK-01"
    ).update(priority=Priority.HIGH)  # fmt: skip
    # Not counted: a self-assessment, an inactive employee, another year.
    newcomer = EmployeeFactory.create(org_unit=pemda["unit_b"], full_name="Perawat Baru")
    make_akpk(newcomer, YEAR, {"TEK-01": 1}, status=AKPK.Status.SELF_SUBMITTED, source="self")
    retired = EmployeeFactory.create(org_unit=pemda["unit_a"], full_name="Guru Pensiun")
    make_akpk(retired, YEAR, {"TEK-01": 1, "TEK-02": 1})
    retired.is_active = False
    retired.save()
    make_akpk(pemda["staff_a"][1], YEAR - 1, {"TEK-01": 1, "MAN-01": 1})
    return pemda


@pytest.fixture
def course_building(
    course_with: Callable[..., CoursePage], dictionary: dict[str, Competency]
) -> Callable[..., CoursePage]:
    def make(title: str, levels: dict[str, int], **fields: Any) -> CoursePage:
        course = course_with(title=title, **fields)
        for code, level in levels.items():
            CourseCompetency(course=course, competency=dictionary[code], level=level).save()
        return course

    return make


def scope_of(employee: Employee) -> Any:
    return scope_for(employee)


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def text_of(response: Any) -> str:
    return " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())


def body(response: Any) -> bytes:
    """A download's bytes (CSV is streamed, XLSX served from a file: both stream)."""
    return b"".join(response.streaming_content)


def csv_rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))


def xlsx_rows(response: Any, sheet: str | None = None) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(body(response)), read_only=True)
    ws = book[sheet] if sheet else book.worksheets[0]
    return [tuple(row) for row in ws.iter_rows(values_only=True)]


def map_url(**query: Any) -> str:
    base = reverse("planning:insight_map")
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# --- The competency map: figures --------------------------------------------------------


def cells(cmap: selectors.CompetencyMap, code: str) -> dict[str, selectors.Cell]:
    [row] = [r for r in cmap.rows if r.competency.code == code]
    found = {col.label: cell for col, cell in zip(cmap.columns, row.cells, strict=True)}
    found[cmap.total_label] = row.total
    return found


def test_map_figures_on_the_planted_dataset(planted: dict[str, Any]) -> None:
    cmap = selectors.competency_map(scope=scope_of(planted["auditor"]), year=YEAR)
    assert [c.label for c in cmap.columns] == ["Dinas Kesehatan", "Dinas Pendidikan"]
    assert cmap.total_label == "Pemda"
    tek01 = cells(cmap, "TEK-01")
    a, b, pemda = tek01["Dinas Pendidikan"], tek01["Dinas Kesehatan"], tek01["Pemda"]
    assert (a.assessed, a.with_gap, a.gap_sum) == (3, 2, 3)
    assert a.share == Decimal("66.7")
    assert a.average_gap == Decimal("1.50")
    assert a.heat == "heat-4"
    assert (b.assessed, b.with_gap, b.share, b.average_gap, b.heat) == (
        3, 0, Decimal("0.0"), None, "heat-0",
    )  # fmt: skip
    assert (pemda.assessed, pemda.with_gap, pemda.share, pemda.average_gap, pemda.heat) == (
        6, 2, Decimal("33.3"), Decimal("1.50"), "heat-2",
    )  # fmt: skip
    tek02 = cells(cmap, "TEK-02")
    assert tek02["Dinas Kesehatan"].average_gap == Decimal("3.00")
    assert tek02["Pemda"].average_gap == Decimal("2.50")
    # Not in the Analis standard: nobody assessed, no colour but "none".
    tek03 = cells(cmap, "TEK-03")
    assert tek03["Pemda"].assessed == 0
    assert tek03["Pemda"].share is None
    assert tek03["Pemda"].heat == "heat-none"
    assert cells(cmap, "MAN-01")["Dinas Pendidikan"].assessed == 3  # 2025's gap not counted


def test_map_filters_by_competency_type(planted: dict[str, Any]) -> None:
    scope = scope_of(planted["auditor"])
    cmap = selectors.competency_map(scope=scope, year=YEAR, competency_type="manajerial")
    assert [r.competency.code for r in cmap.rows] == ["MAN-01", "MAN-02"]
    older = selectors.competency_map(scope=scope, year=YEAR - 1, competency_type="manajerial")
    assert cells(older, "MAN-01")["Dinas Pendidikan"].with_gap == 1


def test_an_opd_admin_sees_only_their_opd(planted: dict[str, Any]) -> None:
    cmap = selectors.competency_map(scope=scope_of(planted["admin_a"]), year=YEAR)
    assert [c.label for c in cmap.columns] == ["Dinas Pendidikan"]
    assert cmap.total_label == "Seluruh lingkup Anda"
    tek02 = cells(cmap, "TEK-02")
    # The scope's total holds OPD A only (OPD B's gap of 3 stays out).
    assert (tek02["Seluruh lingkup Anda"].assessed, tek02["Seluruh lingkup Anda"].gap_sum) == (
        3, 2,
    )  # fmt: skip


def test_an_admin_of_one_bidang_sees_its_employees_under_their_opd(
    planted: dict[str, Any],
) -> None:
    other_unit = OrgUnitFactory.child(planted["opd_a"], "Bidang SMP")
    newcomer = EmployeeFactory.create(org_unit=other_unit)
    AKPK.objects.create(employee=newcomer, year=YEAR, org_unit=other_unit,
                        opd=planted["opd_a"], status=AKPK.Status.ASSESSED)  # fmt: skip
    admin = EmployeeFactory.create(org_unit=planted["unit_a"], full_name="Admin Bidang SD")
    role_grant(actor=None, employee=admin, role=Role.OPD_ADMIN, org_unit=planted["unit_a"],
               reason="uji")  # fmt: skip
    cmap = selectors.competency_map(scope=scope_of(admin), year=YEAR)
    assert [c.label for c in cmap.columns] == ["Dinas Pendidikan"]
    assert cells(cmap, "TEK-01")["Dinas Pendidikan"].assessed == 3


# --- The competency map: the page and its download ----------------------------------------


def test_map_page_for_bkpsdm(client: Client, planted: dict[str, Any]) -> None:
    client.force_login(planted["auditor"])
    response = client.get(map_url(tahun=YEAR))
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    headers = [th.get_text(" ", strip=True) for th in soup.select("table.heat-map thead th")]
    assert headers == ["Kompetensi", "Dinas Kesehatan", "Dinas Pendidikan", "Pemda"]
    row = next(tr for tr in soup.select("table.heat-map tbody tr") if "TEK-01" in tr.get_text())
    tds = row.find_all("td")
    # The number is in the cell, the band in its class, and the legend names the bands.
    assert "heat-4" in tds[1]["class"]
    assert " ".join(tds[1].get_text(" ").split()) == "66,7% 2 dari 3 · rerata 1,5 level"
    assert " ".join(tds[0].get_text(" ").split()) == "0% 0 dari 3"
    assert "80% atau lebih" in text_of(response)
    assert soup.select(".heat-legend .swatch.heat-5")


def test_map_page_for_an_opd_admin_never_shows_the_other_opd(
    client: Client, planted: dict[str, Any]
) -> None:
    client.force_login(planted["admin_a"])
    response = client.get(map_url(tahun=YEAR))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Dinas Pendidikan" in page
    assert "Dinas Kesehatan" not in page
    assert "Pemda</th>" not in page


def test_learners_are_refused_every_admin_page(client: Client, planted: dict[str, Any]) -> None:
    client.force_login(planted["learner"])
    for url in (
        reverse("planning:insight_map"),
        reverse("planning:insight_map_download", kwargs={"fmt": "csv"}),
        reverse("planning:insight_uncovered"),
        reverse("planning:insight_uncovered_download", kwargs={"fmt": "xlsx"}),
        reverse("planning:insight_profiles_export"),
        reverse("planning:insight_profile", kwargs={"nip": planted["staff_a"][1].nip}),
    ):
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_login(client: Client, planted: dict[str, Any]) -> None:
    for url in (reverse("planning:insight_map"), reverse("planning:insight_profile_mine")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("people:login"))


def test_map_bad_params_fall_back(client: Client, planted: dict[str, Any]) -> None:
    client.force_login(planted["auditor"])
    for query in ("tahun=abc", "tahun=1900&jenis=zzz", "halaman=999", "halaman=-1&tahun="):
        response = client.get(reverse("planning:insight_map") + "?" + query)
        assert response.status_code == 200, query
    response = client.get(reverse("planning:insight_map") + "?tahun=abc")
    assert response.context["map"].year == YEAR  # the latest year with an assessed AKPK
    assert response.context["form"].errors["tahun"]


def test_map_paginates_competencies(client: Client, planted: dict[str, Any]) -> None:
    Competency.objects.bulk_create(
        Competency(code=f"TEK-{n:03d}", name=f"Teknis {n}", competency_type="teknis")
        for n in range(100, 130)
    )
    client.force_login(planted["auditor"])
    first = client.get(map_url(tahun=YEAR))
    assert len(first.context["map"].rows) == selectors.MAP_PAGE_SIZE
    second = client.get(map_url(tahun=YEAR, halaman=2))
    assert len(second.context["map"].rows) == 36 - selectors.MAP_PAGE_SIZE
    assert "Halaman 2 dari 2" in text_of(second)


def test_map_query_count_does_not_grow_with_opds(
    client: Client,
    planted: dict[str, Any],
    make_akpk: Callable[..., AKPK],
    django_assert_max_num_queries: Any,
) -> None:
    client.force_login(planted["auditor"])
    url = map_url(tahun=YEAR)
    count_queries(client, url)
    few = count_queries(client, url)
    for n in range(4):
        opd = OrgUnitFactory.child(planted["root"], f"Dinas Uji {n}", OrgUnit.Kind.OPD)
        for _i in range(2):
            make_akpk(EmployeeFactory.create(org_unit=opd), YEAR, {"TEK-01": 1})
    many = count_queries(client, url)
    assert many == few
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert len(response.context["map"].columns) == 6


def test_map_download_csv_and_xlsx(
    client: Client, planted: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client.force_login(planted["auditor"])
    url = reverse("planning:insight_map_download", kwargs={"fmt": "csv"})
    with django_assert_max_num_queries(8):
        rows = csv_rows(client.get(f"{url}?tahun={YEAR}"))
    assert rows[0][:4] == ["Kode kompetensi", "Kompetensi", "Jenis kompetensi", "OPD"]
    by_key = {(r[0], r[3]): r for r in rows[1:]}
    assert by_key[("TEK-01", "Dinas Pendidikan")][4:] == ["3", "2", "66.7", "1.50", "3"]
    assert by_key[("TEK-01", "Pemda")][4:] == ["6", "2", "33.3", "1.50", "3"]
    assert by_key[("TEK-03", "Pemda")][4:] == ["0", "0", "", "", "0"]
    # Every competency, not only one page: 6 competencies x (2 OPDs + Pemda).
    assert len(rows) == 1 + 6 * 3
    xlsx = client.get(url.replace("csv", "xlsx") + f"?tahun={YEAR}")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = xlsx_rows(xlsx)
    found = [r for r in sheet if r[0] == "TEK-01" and r[3] == "Dinas Pendidikan"]
    assert found[0][4:] == (3, 2, 66.7, 1.5, 3)


def test_map_download_in_scope_and_bad_format(client: Client, planted: dict[str, Any]) -> None:
    client.force_login(planted["admin_a"])
    url = reverse("planning:insight_map_download", kwargs={"fmt": "csv"})
    rows = csv_rows(client.get(f"{url}?tahun={YEAR}"))
    assert {r[3] for r in rows[1:]} == {"Dinas Pendidikan", "Seluruh lingkup Anda"}
    bad = reverse("planning:insight_map_download", kwargs={"fmt": "pdf"})
    assert client.get(bad).status_code == 404


# --- Gaps no course covers -------------------------------------------------------------


def test_a_gap_covered_at_the_required_level_is_not_listed(
    planted: dict[str, Any], course_building: Callable[..., CoursePage]
) -> None:
    course_building("Keuangan Daerah", {"TEK-01": 3})  # reaches TEK-01's standard (3)
    course_building("Kebijakan Menengah", {"TEK-02": 3})  # below TEK-02's standard (4)
    course_building("Kebijakan Ahli (draf)", {"TEK-02": 4}, live=False)
    for_b = course_building("Kebijakan Ahli untuk Dinas Kesehatan", {"TEK-02": 4})
    for_b.target_org_units.set([planted["opd_b"]])
    for_b.save()
    gaps = selectors.uncovered_gaps(scope=scope_of(planted["auditor"]), year=YEAR)
    assert [
        (g.opd_name, g.competency.code, g.employees, g.average_gap, g.required_level,
         g.priority_label, g.course_level)
        for g in gaps
    ] == [
        ("Dinas Pendidikan", "SK-01", 1, Decimal("1.00"), 2, "Tinggi", None),
        ("Dinas Pendidikan", "TEK-02", 1, Decimal("2.00"), 4, "", 3),
    ]  # fmt: skip


def test_without_courses_every_gap_is_listed_per_opd(planted: dict[str, Any]) -> None:
    gaps = selectors.uncovered_gaps(scope=scope_of(planted["auditor"]), year=YEAR)
    assert [(g.opd_name, g.competency.code, g.employees, g.gap_sum) for g in gaps] == [
        ("Dinas Kesehatan", "TEK-02", 1, 3),
        ("Dinas Pendidikan", "SK-01", 1, 1),
        ("Dinas Pendidikan", "TEK-01", 2, 3),
        ("Dinas Pendidikan", "TEK-02", 1, 2),
    ]
    only_b = selectors.uncovered_gaps(
        scope=scope_of(planted["auditor"]), year=YEAR, opd=planted["opd_b"]
    )
    assert [g.competency.code for g in only_b] == ["TEK-02"]
    admin = selectors.uncovered_gaps(scope=scope_of(planted["admin_a"]), year=YEAR)
    assert {g.opd_name for g in admin} == {"Dinas Pendidikan"}
    # Asking for the neighbour's OPD never widens the scope.
    assert (
        selectors.uncovered_gaps(
            scope=scope_of(planted["admin_a"]), year=YEAR, opd=planted["opd_b"]
        )
        == []
    )


def test_uncovered_page_and_download(client: Client, planted: dict[str, Any]) -> None:
    client.force_login(planted["admin_a"])
    url = reverse("planning:insight_uncovered")
    response = client.get(f"{url}?tahun={YEAR}")
    assert response.status_code == 200
    page = text_of(response)
    assert "3 kompetensi belum tercakup" in page
    assert "Dinas Kesehatan" not in page
    # The neighbour's OPD is not a choice: an error on the field, the scope unchanged.
    response = client.get(f"{url}?tahun={YEAR}&opd={planted['opd_b'].pk}")
    assert response.status_code == 200
    assert response.context["form"].errors["opd"]
    assert "Dinas Kesehatan" not in response.content.decode()
    download = reverse("planning:insight_uncovered_download", kwargs={"fmt": "csv"})
    with CaptureQueriesContext(connection) as ctx:
        rows = csv_rows(client.get(f"{download}?tahun={YEAR}"))
    assert len(ctx.captured_queries) <= 12
    assert rows[1] == [
        "Dinas Pendidikan", "SK-01", "Perekat bangsa", "Sosial kultural", "1", "1.00", "2",
        "Tinggi", "",
    ]  # fmt: skip
    assert len(rows) == 4
    xlsx = client.get(download.replace("csv", "xlsx") + f"?tahun={YEAR}")
    assert len(xlsx_rows(xlsx)) == 4
    assert (
        client.get(
            reverse("planning:insight_uncovered_download", kwargs={"fmt": "docx"})
        ).status_code
        == 404
    )


def test_uncovered_page_for_bkpsdm_filters_by_opd(
    client: Client, planted: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client.force_login(planted["auditor"])
    url = reverse("planning:insight_uncovered")
    response = client.get(f"{url}?tahun={YEAR}&opd={planted['opd_b'].pk}")
    assert [g.competency.code for g in response.context["page"]] == ["TEK-02"]
    for query in ("opd=abc", "opd=99999999", "tahun=x&opd=", "halaman=abc"):
        assert client.get(f"{url}?{query}").status_code == 200, query
    with django_assert_max_num_queries(12):
        client.get(f"{url}?tahun={YEAR}")


# --- Competency profile ----------------------------------------------------------------


@pytest.fixture
def history(planted: dict[str, Any], course_with: Callable[..., CoursePage]) -> dict[str, Any]:
    """staff_a[2]: hours this year and last, a completed course with its certificate, a
    verified external training (and a rejected one that does not count)."""
    employee = planted["staff_a"][2]
    this = timezone.localdate().year
    JPYearTotal.objects.create(employee=employee, year=this, total=Decimal("12.50"),
                               teknis=Decimal("12.50"), non_klasikal=Decimal("12.50"))  # fmt: skip
    JPYearTotal.objects.create(employee=employee, year=this - 1, total=Decimal("24"),
                               manajerial=Decimal("24"), klasikal=Decimal("24"))  # fmt: skip
    course = course_with(title="Keuangan Daerah")
    enrolment = Enrolment.objects.create(
        employee=employee, course=course, status=Enrolment.Status.COMPLETED,
        source=Enrolment.Source.SELF, completed_at=timezone.now(),
    )  # fmt: skip
    Certificate.objects.create(
        enrolment=enrolment, employee=employee, course=course, number="800/1/SINAU/2026",
        year=this, sequence=1, code="k" * 24, holder_name=employee.full_name,
        holder_nip=employee.nip, course_title=course.title, jp=Decimal("2"),
        competency_type="teknis", completed_on=timezone.localdate(), issuer_name="BKPSDM",
        issued_at=timezone.now(),
    )  # fmt: skip
    for status in (ExternalTraining.Status.VERIFIED, ExternalTraining.Status.REJECTED):
        ExternalTraining.objects.create(
            employee=employee, title=f"Diklat Provinsi {status}", organiser="BPSDM Provinsi",
            started_on=dt.date(this, 3, 1), ended_on=dt.date(this, 3, 3), jp=Decimal("24"),
            competency_type="teknis", form="klasikal", evidence="bukti/x.pdf",
            status=status, submitted_at=timezone.now(),
        )  # fmt: skip
    return {**planted, "employee": employee, "year": this}


def profile_url(employee: Employee, fmt: str = "") -> str:
    url = reverse("planning:insight_profile", kwargs={"nip": employee.nip})
    return f"{url}?format={fmt}" if fmt else url


def test_profile_page_in_scope(
    client: Client, history: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    employee = history["employee"]
    client.force_login(history["admin_a"])
    with django_assert_max_num_queries(18):
        response = client.get(profile_url(employee))
    assert response.status_code == 200
    page = text_of(response)
    assert employee.nip_display in page
    assert "Dinas Pendidikan" in page
    assert "AKPK 2026" in page
    assert "1 kursus Sinau selesai" in page
    assert "1 sertifikat sah" in page
    assert "1 pelatihan eksternal terverifikasi" in page
    assert "Kurang 7,5 JP" in page
    profile = response.context["profile"]
    [akpk] = profile.akpks
    gaps = {i.competency.code: i.gap for i in akpk.items.all()}
    assert gaps == {"TEK-01": 1, "TEK-02": 2, "MAN-01": 0, "MAN-02": 0, "SK-01": 1}


def test_profile_scope_and_bad_input(client: Client, history: dict[str, Any]) -> None:
    client.force_login(history["admin_a"])
    assert client.get(profile_url(history["staff_b"][0])).status_code == 404
    missing = reverse("planning:insight_profile", kwargs={"nip": "199001012020011999"})
    assert client.get(missing).status_code == 404
    garbage = reverse("planning:insight_profile", kwargs={"nip": "abc'%3B--"})
    assert client.get(garbage).status_code == 404
    assert client.get(profile_url(history["employee"], "pdf")).status_code == 404
    client.force_login(history["auditor"])
    assert client.get(profile_url(history["staff_b"][0])).status_code == 200


def test_profile_export_opens_with_the_right_figures(
    client: Client, history: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    from wagtail.models import ModelLogEntry

    employee = history["employee"]
    this = history["year"]
    client.force_login(history["admin_a"])
    with django_assert_max_num_queries(20):
        response = client.get(profile_url(employee, "xlsx"))
        content = body(response)
    assert response.status_code == 200
    assert f"profil-kompetensi-{employee.nip}.xlsx" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(content), read_only=True)
    assert book.sheetnames == ["Profil", "AKPK", "JP", "Riwayat"]
    identity = {row[0]: row[1] for row in book["Profil"].iter_rows(min_row=2, values_only=True)}
    assert identity["NIP"] == employee.nip
    assert identity["OPD"] == "Dinas Pendidikan"
    assert identity["Golongan"] == "III/a (Penata Muda)"
    assert identity["Sertifikat sah"] == 1
    assert identity["Pelatihan eksternal terverifikasi"] == 1
    akpk = list(book["AKPK"].iter_rows(values_only=True))
    assert akpk[0][:5] == ("Tahun", "Status AKPK", "Predikat kinerja", "Jabatan", "Kode kompetensi")
    tek02 = next(r for r in akpk[1:] if r[4] == "TEK-02")
    # required 4, supervisor 2, current 2 from the supervisor, gap 2
    assert (tek02[0], tek02[7], tek02[9], tek02[11], tek02[12], tek02[13]) == (
        YEAR, 4, 2, 2, "Atasan", 2,
    )  # fmt: skip
    jp = {r[0]: r for r in book["JP"].iter_rows(min_row=2, values_only=True)}
    assert set(jp) == set(range(this - 4, this + 1))
    assert jp[this][1:4] == (12.5, 20, False)
    assert jp[this - 1][1:4] == (24, 20, True)
    assert jp[this - 1][5] == 24  # manajerial
    history_rows = list(book["Riwayat"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[6]) for r in history_rows] == [
        ("Kursus Sinau", "Keuangan Daerah", "800/1/SINAU/2026"),
        ("Pelatihan eksternal", "Diklat Provinsi verified", None),  # no number given
    ]
    entry = ModelLogEntry.objects.get(action="sinau.people.export")
    assert entry.user_id == history["admin_a"].pk
    assert entry.data["nip"] == employee.nip


def test_own_profile(
    client: Client, history: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    from wagtail.models import ModelLogEntry

    employee = history["employee"]
    client.force_login(employee)
    url = reverse("planning:insight_profile_mine")
    with django_assert_max_num_queries(17):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["own"] is True
    assert "Profil Kompetensi Saya" in text_of(response)
    download = client.get(f"{url}?format=xlsx")
    assert download.status_code == 200
    assert xlsx_rows(download, "Profil")[1] == ("NIP", employee.nip)
    assert client.get(f"{url}?format=csv").status_code == 404
    assert not ModelLogEntry.objects.filter(action="sinau.people.export").exists()
    # A learner without any AKPK still gets their profile.
    client.force_login(history["staff_b"][1])
    assert client.get(url).status_code == 200


# --- Profiles of an OPD ----------------------------------------------------------------


def export_url(**query: Any) -> str:
    base = reverse("planning:insight_profiles_export")
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_opd_profiles_export_is_scoped_and_long(client: Client, planted: dict[str, Any]) -> None:
    from wagtail.models import ModelLogEntry

    client.force_login(planted["admin_a"])
    response = client.get(export_url(year=YEAR))
    assert response.status_code == 200
    rows = xlsx_rows(response)
    header, body = rows[0], rows[1:]
    assert header[0] == "NIP"
    assert header[17] == "Kode kompetensi"
    nips = {r[0] for r in body}
    opd_a = set(
        Employee.objects.filter(
            planted["opd_a"].subtree_filter("org_unit__"), is_active=True
        ).values_list("nip", flat=True)
    )
    assert nips == opd_a
    assert not nips & {e.nip for e in planted["staff_b"]}
    # Five competencies for each of the three assessed staff; one row for the admin, whose
    # AKPK is missing.
    assert len(body) == 3 * 5 + 1
    [admin_row] = [r for r in body if r[0] == planted["admin_a"].nip]
    assert admin_row[9] == "Belum ada AKPK"
    assert not any(admin_row[17:])  # the competency columns stay empty
    row = next(r for r in body if r[0] == planted["staff_a"][2].nip and r[17] == "TEK-02")
    assert (row[6], row[8], row[9], row[20], row[24], row[26]) == (
        "Dinas Pendidikan", YEAR, "Dinilai atasan", 4, 2, 2,
    )  # fmt: skip
    assert ModelLogEntry.objects.get(action="sinau.people.export").data["params"]["opd"] is None


def test_opd_profiles_export_picks_an_opd_in_scope(client: Client, planted: dict[str, Any]) -> None:
    client.force_login(planted["admin_a"])
    assert client.get(export_url(opd=planted["opd_b"].pk)).status_code == 404
    assert client.get(export_url(opd="abc")).status_code == 404
    assert client.get(export_url(opd="9" * 30)).status_code == 404
    assert client.get(export_url(opd=planted["opd_a"].pk, tahun="abc")).status_code == 200
    client.force_login(planted["auditor"])
    rows = xlsx_rows(client.get(export_url(opd=planted["opd_b"].pk, tahun=YEAR)))
    assert {r[6] for r in rows[1:]} == {"Dinas Kesehatan"}
    # The self-assessed newcomer is listed with their AKPK's status.
    statuses = {r[1]: r[9] for r in rows[1:]}
    assert statuses["Perawat Baru"] == "Menunggu penilaian atasan"


def test_opd_profiles_export_too_large_asks_for_an_opd(
    client: Client, planted: dict[str, Any], settings: Any
) -> None:
    settings.SINAU_REPORT_STREAM_ROWS = 2
    client.force_login(planted["auditor"])
    response = client.get(export_url(tahun=YEAR))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("planning:insight_map"))
    follow = client.get(response["Location"])
    assert "pilih satu OPD" in text_of(follow)


def test_opd_profiles_export_query_count_does_not_grow(
    client: Client, planted: dict[str, Any], make_akpk: Callable[..., AKPK]
) -> None:
    client.force_login(planted["admin_a"])
    url = export_url(tahun=YEAR)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            body(response)
        return len(ctx.captured_queries)

    count()
    few = count()
    for _n in range(5):
        make_akpk(EmployeeFactory.create(org_unit=planted["unit_a"]), YEAR, {"TEK-01": 2})
    assert count() == few
    assert few <= 18
