"""The competency dictionary: its XLSX import (good rows go in, every bad row is reported with
its sheet and row, a re-import updates and never duplicates, a file that cannot be used
changes nothing), who may import and who may read, and the pages that read it."""

from __future__ import annotations

import io
import time
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from wagtail.models import ModelLogEntry

from courses.models import CoursePage
from lms.planning.dictionary import services
from lms.planning.dictionary.workbook import (
    COMPETENCY_COLUMNS,
    MAX_BYTES,
    STANDARD_COLUMNS,
    XLSX_CONTENT_TYPE,
)
from lms.planning.models import Competency, CourseCompetency, JabatanStandard

COMPETENCY_HEADER = list(COMPETENCY_COLUMNS)
STANDARD_HEADER = list(STANDARD_COLUMNS)


def xlsx(
    competencies: list[list[Any]] | None = None,
    standards: list[list[Any]] | None = None,
    *,
    competency_header: list[str] = COMPETENCY_HEADER,
    standard_header: list[str] = STANDARD_HEADER,
) -> bytes:
    """A workbook with the sheets given (None leaves a sheet out)."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    if competencies is not None:
        sheet = book.create_sheet("Kompetensi")
        sheet.append(competency_header)
        for row in competencies:
            sheet.append(row)
    if standards is not None:
        sheet = book.create_sheet("Standar")
        sheet.append(standard_header)
        for row in standards:
            sheet.append(row)
    if not book.worksheets:
        book.create_sheet("Lain")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def competency(code: str, name: str, kind: str = "teknis", **levels: str) -> list[Any]:
    return [code, name, kind, f"Definisi {name}.", *(levels.get(f"l{n}") for n in range(1, 6))]


def run(actor: Any, data: bytes, name: str = "kamus.xlsx") -> services.DictionaryImportResult:
    return services.dictionary_import(
        actor=actor, fileobj=io.BytesIO(data), filename=name, size=len(data)
    )


def errors_by_place(result: services.DictionaryImportResult) -> dict[tuple[str, int], str]:
    return {(e.sheet, e.row): " ".join(e.errors) for e in result.errors}


GOOD_COMPETENCIES = [
    competency("TEK-10", "Perencanaan pembangunan", l1="Memahami RPJMD.", l3="Menyusun RKPD."),
    competency("MAN-10", "Orientasi pada hasil", "Manajerial"),
    competency("SK-10", "Perekat bangsa", "SOSIAL KULTURAL"),
    competency("PEM-10", "Wawasan kebangsaan", "pemerintahan"),
]
GOOD_STANDARDS: list[list[Any]] = [
    ["Perencana Ahli Muda", "TEK-10", 3],
    ["Perencana Ahli Muda", "MAN-10", 2],
    ["Kepala Bidang Perencanaan", "tek-10", "4"],
]


# --- import: the good path ------------------------------------------------------------------


def test_import_creates_competencies_levels_and_standards(pemda: dict[str, Any]) -> None:
    result = run(pemda["superuser"], xlsx(GOOD_COMPETENCIES, GOOD_STANDARDS))
    assert (result.competencies_created, result.standards_created, result.errors) == (4, 3, [])

    tek = Competency.objects.get(code="TEK-10")
    assert (tek.name, tek.competency_type, tek.is_active) == (
        "Perencanaan pembangunan", "teknis", True
    )  # fmt: skip
    assert tek.description == "Definisi Perencanaan pembangunan."
    assert tek.level_descriptions == {"1": "Memahami RPJMD.", "3": "Menyusun RKPD."}
    types = dict(Competency.objects.values_list("code", "competency_type"))
    assert types == {
        "TEK-10": "teknis", "MAN-10": "manajerial", "SK-10": "sosial_kultural",
        "PEM-10": "pemerintahan",
    }  # fmt: skip
    standards = {
        (s.jabatan, s.jabatan_key, s.competency.code, s.required_level)
        for s in JabatanStandard.objects.select_related("competency")
    }
    assert standards == {
        ("Perencana Ahli Muda", "perencana ahli muda", "TEK-10", 3),
        ("Perencana Ahli Muda", "perencana ahli muda", "MAN-10", 2),
        ("Kepala Bidang Perencanaan", "kepala bidang perencanaan", "TEK-10", 4),
    }

    entry = ModelLogEntry.objects.get(action="sinau.planning.dictionary_import")
    assert entry.user == pemda["superuser"]
    assert entry.data["competencies_created"] == 4
    assert entry.data["standards_created"] == 3
    assert entry.data["errors"] == 0


def test_reimport_updates_without_duplicating(pemda: dict[str, Any]) -> None:
    superuser = pemda["superuser"]
    run(superuser, xlsx(GOOD_COMPETENCIES, GOOD_STANDARDS))
    same = run(superuser, xlsx(GOOD_COMPETENCIES, GOOD_STANDARDS))
    assert (same.created, same.updated) == (0, 0)
    assert (same.competencies_unchanged, same.standards_unchanged) == (4, 3)

    changed = [r[:] for r in GOOD_COMPETENCIES]
    changed[0][1] = "Perencanaan pembangunan daerah"
    changed[0][6] = "Menyusun RKPD bersama OPD."  # level_3
    changed[1][2] = "teknis"
    standards = [r[:] for r in GOOD_STANDARDS]
    standards[0] = ["perencana  ahli muda.", "TEK-10", 4]  # the same jabatan, spelt otherwise
    standards.append(["Perencana Ahli Muda", "SK-10", 2])
    again = run(superuser, xlsx(changed, standards))
    assert (again.competencies_created, again.competencies_updated) == (0, 2)
    assert (again.standards_created, again.standards_updated, again.standards_unchanged) == (
        1, 1, 2
    )  # fmt: skip
    assert Competency.objects.count() == 4
    assert JabatanStandard.objects.count() == 4
    tek = Competency.objects.get(code="TEK-10")
    assert tek.name == "Perencanaan pembangunan daerah"
    assert tek.level_descriptions == {"1": "Memahami RPJMD.", "3": "Menyusun RKPD bersama OPD."}
    assert Competency.objects.get(code="MAN-10").competency_type == "teknis"
    updated = JabatanStandard.objects.get(jabatan_key="perencana ahli muda", competency=tek)
    assert updated.required_level == 4
    assert updated.updated_at > updated.created_at


def test_columns_the_file_lacks_keep_what_is_stored(pemda: dict[str, Any]) -> None:
    run(pemda["superuser"], xlsx(GOOD_COMPETENCIES))
    short = xlsx([["TEK-10", "Perencanaan pembangunan", "teknis"]], competency_header=[
        "Kode", "Nama Kompetensi", "Jenis Kompetensi"
    ])  # fmt: skip
    result = run(pemda["superuser"], short)
    assert (result.competencies_updated, result.competencies_unchanged) == (0, 1)
    tek = Competency.objects.get(code="TEK-10")
    assert tek.description == "Definisi Perencanaan pembangunan."
    assert tek.level_descriptions == {"1": "Memahami RPJMD.", "3": "Menyusun RKPD."}


def test_a_standards_only_file_uses_the_stored_dictionary(
    pemda: dict[str, Any], dictionary: dict[str, Competency]
) -> None:
    result = run(pemda["superuser"], xlsx(None, [["Sekretaris Dinas", "man-01", 4]]))
    assert (result.standards_created, result.errors) == (1, [])
    standard = JabatanStandard.objects.get(jabatan_key="sekretaris dinas")
    assert standard.competency == dictionary["MAN-01"]


# --- import: bad rows -----------------------------------------------------------------------


def test_bad_rows_are_reported_with_sheet_and_row_while_good_rows_go_in(
    pemda: dict[str, Any], dictionary: dict[str, Competency]
) -> None:
    competencies = [
        competency("TEK-20", "Manajemen aset daerah"),  # row 2: good
        competency("", "Tanpa kode"),  # row 3
        competency("TEK-21", "Jenis salah", "teknik"),  # row 4
        competency("TEK-20", "Kode ganda"),  # row 5
        competency("TEK-22", "N" * 256),  # row 6
        competency("TEK-23", "", "manajerial"),  # row 7
        [None] * 9,  # row 8: blank, skipped
        competency("MAN-20", "Kepemimpinan", "manajerial"),  # row 9: good
    ]
    standards: list[list[Any]] = [
        ["Pengelola Aset", "TEK-20", 3],  # row 2: good (a new code of this file)
        ["Pengelola Aset", "TEK-01", 2],  # row 3: good (a code already stored)
        ["Pengelola Aset", "TEK-99", 2],  # row 4: unknown code
        ["Pengelola Aset", "TEK-21", 2],  # row 5: its competency row was refused
        ["Pengelola Aset", "MAN-20", 7],  # row 6: level out of range
        ["Pengelola Aset", "MAN-20", "tiga"],  # row 7: level not a number
        ["", "MAN-20", 2],  # row 8: no jabatan
        ["pengelola aset", "tek-20", 4],  # row 9: the same standard as row 2
        ["Pengelola Aset", "MAN-20", "Level 3"],  # row 10: good
    ]
    result = run(pemda["superuser"], xlsx(competencies, standards))

    assert (result.competencies_created, result.standards_created) == (2, 3)
    assert set(Competency.objects.filter(code__in=["TEK-20", "MAN-20"]).values_list(
        "code", flat=True
    )) == {"TEK-20", "MAN-20"}  # fmt: skip
    assert not Competency.objects.filter(code__in=["TEK-21", "TEK-22", "TEK-23"]).exists()
    levels = dict(
        JabatanStandard.objects.filter(jabatan_key="pengelola aset").values_list(
            "competency__code", "required_level"
        )
    )
    assert levels == {"TEK-20": 3, "TEK-01": 2, "MAN-20": 3}

    errors = errors_by_place(result)
    assert list(errors) == [
        ("Kompetensi", 3), ("Kompetensi", 4), ("Kompetensi", 5), ("Kompetensi", 6),
        ("Kompetensi", 7),
        ("Standar", 4), ("Standar", 5), ("Standar", 6), ("Standar", 7), ("Standar", 8),
        ("Standar", 9),
    ]  # fmt: skip
    assert "KODE kosong" in errors[("Kompetensi", 3)]
    assert "teknik" in errors[("Kompetensi", 4)]
    assert "baris 2" in errors[("Kompetensi", 5)]
    assert "255" in errors[("Kompetensi", 6)]
    assert "NAMA kosong" in errors[("Kompetensi", 7)]
    assert "TEK-99" in errors[("Standar", 4)]
    assert "tidak ada" in errors[("Standar", 4)]
    assert "baris 4" in errors[("Standar", 5)]  # points at the refused Kompetensi row
    assert "1 sampai 5" in errors[("Standar", 6)]
    assert "tiga" in errors[("Standar", 7)]
    assert "JABATAN kosong" in errors[("Standar", 8)]
    assert "baris 2" in errors[("Standar", 9)]
    entry = ModelLogEntry.objects.get(action="sinau.planning.dictionary_import")
    assert entry.data["errors"] == 11


# --- import: files that cannot be used ---------------------------------------------------------


def _not_a_zip() -> bytes:
    return b"PK\x03\x04" + b"\x00" * 64


@pytest.mark.parametrize(
    ("name", "content", "phrase"),
    [
        ("kamus.csv", b"kode,nama,jenis\nTEK-1,Satu,teknis\n", ".xlsx"),
        ("kamus.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "97-2003"),
        ("kamus.xlsx", b"%PDF-1.4 not a workbook", "bukan XLSX"),
        ("kamus.xlsx", _not_a_zip(), "bukan XLSX"),
        ("kamus.xlsx", b"", "kosong"),
        ("kamus.xlsx", b"PK\x03\x04" + b"\x00" * MAX_BYTES, "terlalu besar"),
    ],
)
def test_a_file_that_cannot_be_used_is_refused_and_changes_nothing(
    pemda: dict[str, Any], dictionary: dict[str, Competency], name: str, content: bytes,
    phrase: str,
) -> None:  # fmt: skip
    before = (Competency.objects.count(), JabatanStandard.objects.count())
    with pytest.raises(ValidationError) as refused:
        run(pemda["superuser"], content, name=name)
    assert phrase in " ".join(refused.value.message_dict["file"])
    assert (Competency.objects.count(), JabatanStandard.objects.count()) == before
    assert not ModelLogEntry.objects.filter(action="sinau.planning.dictionary_import").exists()


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (xlsx(None, None), "tidak ditemukan"),
        (xlsx([["TEK-1", "Satu"]], competency_header=["kode", "nama"]), "jenis"),
        (xlsx(None, [["Analis", "TEK-01"]], standard_header=["jabatan", "kode"]), "level"),
        (xlsx([], []), "tanpa baris data"),
    ],
)
def test_a_workbook_of_the_wrong_shape_is_refused(
    pemda: dict[str, Any], content: bytes, phrase: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        run(pemda["superuser"], content)
    assert phrase in " ".join(refused.value.message_dict["file"])
    assert not Competency.objects.exists()


@pytest.mark.parametrize("who", ["auditor", "admin_a", "learner"])
def test_only_a_bkpsdm_superuser_may_import(pemda: dict[str, Any], who: str) -> None:
    with pytest.raises(PermissionDenied):
        run(pemda[who], xlsx(GOOD_COMPETENCIES))
    assert not Competency.objects.exists()


def test_a_pemda_sized_dictionary_imports_in_bounded_queries(
    pemda: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    kinds = ["teknis", "manajerial", "sosial_kultural", "pemerintahan"]
    competencies = [
        competency(f"K-{n:03d}", f"Kompetensi {n}", kinds[n % 4], l1="a", l2="b", l3="c")
        for n in range(400)
    ]
    standards: list[list[Any]] = [
        [f"Jabatan {j}", f"K-{(j * 7 + k) % 400:03d}", 1 + (j + k) % 5]
        for j in range(300)
        for k in range(12)
    ]
    data = xlsx(competencies, standards)
    started = time.perf_counter()
    with django_assert_max_num_queries(40):
        result = run(pemda["superuser"], data)
    elapsed = time.perf_counter() - started
    assert (result.competencies_created, result.standards_created, result.errors) == (
        400, 3600, []
    )  # fmt: skip
    assert elapsed < 30  # in the request: seconds, not minutes

    standards[0][2] = 1 + standards[0][2] % 5
    with django_assert_max_num_queries(40):
        again = run(pemda["superuser"], xlsx(competencies, standards))
    assert (again.standards_updated, again.standards_unchanged) == (1, 3599)


# --- the pages ------------------------------------------------------------------------------


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def url(name: str, **kwargs: Any) -> str:
    return reverse(f"planning:{name}", kwargs=kwargs)


@pytest.mark.parametrize("who", ["admin_a", "auditor", "superuser"])
def test_admin_scopes_read_the_dictionary_pages(
    client: Client, pemda: dict[str, Any], dictionary: dict[str, Competency], who: str
) -> None:
    login(client, pemda[who])
    for page in (
        url("dictionary_list"),
        url("dictionary_detail", competency_id=dictionary["TEK-01"].pk),
        url("dictionary_jabatan"),
    ):
        assert client.get(page).status_code == 200, page


def test_a_learner_cannot_see_the_dictionary_pages(
    client: Client, pemda: dict[str, Any], dictionary: dict[str, Competency]
) -> None:
    login(client, pemda["learner"])
    for page in (
        url("dictionary_list"),
        url("dictionary_detail", competency_id=dictionary["TEK-01"].pk),
        url("dictionary_jabatan"),
        url("dictionary_import"),
        url("dictionary_template"),
    ):
        assert client.get(page).status_code == 403, page
    client.logout()
    assert client.get(url("dictionary_list")).status_code == 302  # to the login page


@pytest.mark.parametrize("who", ["admin_a", "auditor"])
def test_opd_admins_and_auditors_cannot_import(
    client: Client, pemda: dict[str, Any], who: str
) -> None:
    login(client, pemda[who])
    assert client.get(url("dictionary_import")).status_code == 403
    assert client.get(url("dictionary_template")).status_code == 403
    upload = SimpleUploadedFile("kamus.xlsx", xlsx(GOOD_COMPETENCIES), XLSX_CONTENT_TYPE)
    assert client.post(url("dictionary_import"), {"file": upload}).status_code == 403
    assert not Competency.objects.exists()
    # The import link is not offered to them either.
    assert url("dictionary_import") not in client.get(url("dictionary_list")).content.decode()


def test_list_searches_filters_counts_standards_and_paginates(
    client: Client,
    pemda: dict[str, Any],
    dictionary: dict[str, Competency],
    django_assert_max_num_queries: Any,
) -> None:
    Competency.objects.bulk_create(
        Competency(code=f"X-{n:02d}", name=f"Tambahan {n}", competency_type="teknis")
        for n in range(30)
    )
    login(client, pemda["admin_a"])
    with django_assert_max_num_queries(8):
        response = client.get(url("dictionary_list"))
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == 36
    assert len(page.object_list) == 25
    counts = {c.code: c.standard_count for c in page.object_list}
    assert counts["TEK-01"] == 2
    assert counts["TEK-03"] == 0

    found = client.get(url("dictionary_list"), {"q": "keuangan"}).context["page"]
    assert [c.code for c in found] == ["TEK-01"]
    found = client.get(url("dictionary_list"), {"q": "man-0"}).context["page"]
    assert [c.code for c in found] == ["MAN-01", "MAN-02"]
    found = client.get(url("dictionary_list"), {"jenis": "sosial_kultural"}).context["page"]
    assert [c.code for c in found] == ["SK-01"]
    # A made-up type is ignored, not an error.
    assert client.get(url("dictionary_list"), {"jenis": "rahasia"}).status_code == 200
    second = client.get(url("dictionary_list"), {"halaman": "2"}).context["page"]
    assert len(second.object_list) == 11


def test_detail_shows_levels_jabatan_and_live_courses(
    client: Client,
    pemda: dict[str, Any],
    dictionary: dict[str, Competency],
    course_with: Any,
    catalogue: Any,
    django_assert_max_num_queries: Any,
) -> None:
    tek = dictionary["TEK-01"]
    tek.description = "Kemampuan mengelola keuangan daerah."
    tek.level_descriptions = {"1": "Mengenal APBD.", "4": "Merancang kebijakan anggaran."}
    tek.save()
    live = course_with(title="Penatausahaan Keuangan Daerah")
    CourseCompetency.objects.create(course=live, competency=tek, level=3)
    draft = CoursePage(
        title="Kursus Draf Keuangan", slug="draf", summary="Belum terbit", live=False,
        jp_credited=Decimal("2"),
    )  # fmt: skip
    catalogue.add_child(instance=draft)
    CourseCompetency.objects.create(course=draft, competency=tek, level=4)

    login(client, pemda["auditor"])
    with django_assert_max_num_queries(10):
        response = client.get(url("dictionary_detail", competency_id=tek.pk))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Kemampuan mengelola keuangan daerah." in text
    assert "Mengenal APBD." in text
    assert "Merancang kebijakan anggaran." in text
    assert [(s.jabatan, s.required_level) for s in response.context["page"]] == [
        ("Analis", 3), ("Kepala Seksi", 3),
    ]  # fmt: skip
    assert [(c.course.title, c.level) for c in response.context["courses"]] == [
        ("Penatausahaan Keuangan Daerah", 3)
    ]
    assert "Kursus Draf Keuangan" not in text

    assert client.get(url("dictionary_detail", competency_id=999_999)).status_code == 404
    assert client.get("/kelola/kompetensi/99999999999999999999/").status_code == 404


def test_jabatan_page_groups_standards_searches_and_paginates(
    client: Client,
    pemda: dict[str, Any],
    dictionary: dict[str, Competency],
    django_assert_max_num_queries: Any,
) -> None:
    JabatanStandard.objects.bulk_create(
        JabatanStandard(
            jabatan=f"Pranata {n:02d}",
            jabatan_key=f"pranata {n:02d}",
            competency=dictionary["MAN-01"],
            required_level=2,
        )  # fmt: skip
        for n in range(30)
    )
    login(client, pemda["admin_a"])
    with django_assert_max_num_queries(8):
        response = client.get(url("dictionary_jabatan"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 32
    groups = response.context["groups"]
    assert len(groups) == 25
    analis = groups[0]
    assert analis.jabatan == "Analis"
    # By type, then code: the order of the dictionary itself and of the AKPK.
    assert [s.competency.code for s in analis.standards] == [
        "MAN-01", "MAN-02", "SK-01", "TEK-01", "TEK-02",
    ]  # fmt: skip

    found = client.get(url("dictionary_jabatan"), {"q": "kepala  SEKSI"}).context["groups"]
    assert [g.jabatan for g in found] == ["Kepala Seksi"]
    # A competency's code finds the jabatan that require it, each with its whole standard.
    found = client.get(url("dictionary_jabatan"), {"q": "TEK-02"}).context["groups"]
    assert [g.jabatan for g in found] == ["Analis"]
    assert len(found[0].standards) == 5
    second = client.get(url("dictionary_jabatan"), {"halaman": "2"}).context["groups"]
    assert len(second) == 7


def test_import_page_uploads_and_shows_counts_and_row_errors(
    client: Client, pemda: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    login(client, pemda["superuser"])
    page = client.get(url("dictionary_import"))
    assert page.status_code == 200
    assert url("dictionary_template") in page.content.decode()

    data = xlsx(GOOD_COMPETENCIES, [*GOOD_STANDARDS, ["Perencana Ahli Muda", "NOPE-1", 2]])
    upload = SimpleUploadedFile("kamus.xlsx", data, XLSX_CONTENT_TYPE)
    with django_assert_max_num_queries(14):
        response = client.post(url("dictionary_import"), {"file": upload})
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.competencies_created, result.standards_created) == (4, 3)
    text = response.content.decode()
    assert "NOPE-1" in text
    assert "Standar" in text
    assert Competency.objects.count() == 4

    wrong = SimpleUploadedFile("kamus.csv", b"kode,nama\n", "text/csv")
    response = client.post(url("dictionary_import"), {"file": wrong})
    assert response.status_code == 200
    assert response.context["result"] is None
    assert response.context["form"].errors["file"]
    assert "Hanya berkas .xlsx" in response.content.decode()

    response = client.post(url("dictionary_import"), {})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]


def test_template_opens_in_openpyxl_with_the_headers_and_an_example(
    client: Client, pemda: dict[str, Any]
) -> None:
    login(client, pemda["superuser"])
    response = client.get(url("dictionary_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames[:2] == ["Kompetensi", "Standar"]
    rows = list(book["Kompetensi"].iter_rows(values_only=True))
    assert list(rows[0]) == [
        "kode", "nama", "jenis", "definisi", "level_1", "level_2", "level_3", "level_4",
        "level_5",
    ]  # fmt: skip
    assert len(rows) == 2
    assert rows[1][0] == "TEK-01"
    rows = list(book["Standar"].iter_rows(values_only=True))
    assert list(rows[0]) == ["jabatan", "kode_kompetensi", "level"]
    assert len(rows) == 2

    # The template, as downloaded, imports: its examples go in.
    result = run(pemda["superuser"], response.content, name="templat.xlsx")
    assert (result.competencies_created, result.standards_created, result.errors) == (1, 1, [])
