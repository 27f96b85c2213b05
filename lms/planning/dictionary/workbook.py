"""The dictionary's workbook: reading an uploaded XLSX into checked rows, and the template.

One workbook, two sheets: "Kompetensi" (the competencies with their level indicators) and
"Standar" (the level each jabatan requires). Nothing here touches the database: a file that
cannot be read raises ``DictionaryFileError`` before any row is looked at, and a bad row
becomes a ``RowError`` naming its sheet and its row number as the spreadsheet shows it.
Whether a standard's competency code exists is for the service to say: it knows the database.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from courses.models import CompetencyType
from lms.people.importing import column_map
from lms.planning.models import jabatan_key

logger = logging.getLogger(__name__)

# A Pemda's dictionary is hundreds of competencies and a few thousand standard rows: a
# file bigger than this is not a dictionary, or holds pictures that do not belong in it.
MAX_BYTES = 5 * 1024 * 1024
# An XLSX is a zip: a small file may unpack into a huge one (a "zip bomb").
MAX_UNZIPPED = 60 * 1024 * 1024
MAX_ROWS = 50_000  # per sheet
MAX_COLUMNS = 30
LEVEL_RANGE = range(1, 6)

SHEET_COMPETENCIES = "Kompetensi"
SHEET_STANDARDS = "Standar"
LEVEL_COLUMNS = tuple(f"level_{n}" for n in LEVEL_RANGE)
COMPETENCY_COLUMNS = ("kode", "nama", "jenis", "definisi", *LEVEL_COLUMNS)
STANDARD_COLUMNS = ("jabatan", "kode_kompetensi", "level")
COMPETENCY_REQUIRED = ("kode", "nama", "jenis")
STANDARD_REQUIRED = STANDARD_COLUMNS

# Canonical column -> other headers seen in Pemda dictionaries (compared normalised).
COMPETENCY_ALIASES: dict[str, tuple[str, ...]] = {
    "kode": ("kode", "kode_kompetensi"),
    "nama": ("nama", "nama_kompetensi", "kompetensi"),
    "jenis": ("jenis", "jenis_kompetensi", "kelompok"),
    "definisi": ("definisi", "deskripsi", "uraian"),
    **{column: (column, f"indikator_{column}", f"indikator_level_{column[-1]}")
       for column in LEVEL_COLUMNS},
}  # fmt: skip
STANDARD_ALIASES: dict[str, tuple[str, ...]] = {
    "jabatan": ("jabatan", "nama_jabatan"),
    "kode_kompetensi": ("kode_kompetensi", "kode"),
    "level": ("level", "level_standar", "level_yang_dipersyaratkan", "level_dipersyaratkan"),
}
MAX_LENGTHS = {"kode": 30, "nama": 255, "jabatan": 255}

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_NAME = "templat-kamus-kompetensi.xlsx"


class DictionaryFileError(Exception):
    """The file as a whole cannot be imported; the message is for the person who sent it."""


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int  # as the spreadsheet numbers it: the header is row 1
    errors: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "errors": self.errors}


@dataclass(frozen=True)
class CompetencyRow:
    row: int
    code: str
    name: str
    competency_type: str
    description: str | None  # None: the file has no definisi column, keep what is stored
    level_descriptions: dict[str, str] | None  # None: no level columns, keep what is stored


@dataclass(frozen=True)
class StandardRow:
    row: int
    jabatan: str
    jabatan_key: str
    code: str
    level: int


@dataclass
class ParsedDictionary:
    competencies: list[CompetencyRow] = field(default_factory=list)
    standards: list[StandardRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Codes whose Kompetensi row was refused -> that row, so a standard naming one is told why.
    refused_codes: dict[str, int] = field(default_factory=dict)
    sheets: tuple[str, ...] = ()


def normalise_code(text: str) -> str:
    """Codes compare without case or stray spacing: "tek-01 " is TEK-01."""
    return " ".join(text.split()).upper()


def _norm_header(value: Any) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(value or "").casefold()).strip("_")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _type_aliases() -> dict[str, str]:
    """Each competency type by its stored value or its label, compared without case,
    spacing, hyphens or underscores ("Sosial Kultural", "sosial_kultural", "SOSIAL-KULTURAL")."""
    aliases: dict[str, str] = {}
    for value, label in CompetencyType.choices:
        for text in (value, str(label)):
            aliases[_norm_header(text)] = value
    aliases["sosiokultural"] = CompetencyType.SOSIAL_KULTURAL
    return aliases


def _level(value: Any) -> int | None:
    """1-5, written as a number (3 or 3.0) or as "Level 3"; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if float(value).is_integer() and int(value) in LEVEL_RANGE else None
    match = re.fullmatch(r"(?:level\s*)?([0-9]+)(?:[.,]0+)?", _cell(value).casefold())
    if match and int(match.group(1)) in LEVEL_RANGE:
        return int(match.group(1))
    return None


# --- Reading the file ------------------------------------------------------------------------


def _open_workbook(data: bytes) -> Any:
    if not data.strip():
        raise DictionaryFileError(_("Berkas kosong."))
    if len(data) > MAX_BYTES:
        raise DictionaryFileError(too_big_message())
    if not data.startswith(b"PK\x03\x04"):
        raise DictionaryFileError(_not_xlsx())
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DictionaryFileError(_not_xlsx()) from None
    if unzipped > MAX_UNZIPPED:
        raise DictionaryFileError(
            _(
                "Isi berkas terlalu besar setelah dibuka. Hapus gambar dan lembar lain selain "
                "Kompetensi dan Standar, lalu unggah lagi."
            )
        )
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises KeyError, ValueError, its own types...
        raise DictionaryFileError(_not_xlsx()) from None


def too_big_message() -> str:
    return _("Berkas terlalu besar (maksimal %(mb)d MB).") % {"mb": MAX_BYTES // (1024 * 1024)}


def _not_xlsx() -> str:
    return _("Berkas rusak atau bukan XLSX. Gunakan templat kamus kompetensi dari halaman ini.")


def check_filename(filename: str) -> None:
    name = (filename or "").casefold()
    if name.endswith(".xls"):
        raise DictionaryFileError(
            _("Berkas .xls (Excel 97-2003) tidak didukung. Simpan sebagai .xlsx lalu unggah lagi.")
        )
    if not name.endswith(".xlsx"):
        raise DictionaryFileError(_("Hanya berkas .xlsx yang dapat diimpor."))


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    yield from enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1)


def _read_sheet(
    sheet: Any, name: str, aliases: dict[str, tuple[str, ...]], required: tuple[str, ...]
) -> tuple[dict[str, int], list[tuple[int, tuple[Any, ...]]]]:
    """The column map and the non-empty data rows of one sheet."""
    rows = _sheet_rows(sheet)
    header: tuple[Any, ...] | None = None
    for _number, values in rows:
        if any(_cell(v) for v in values):
            header = values
            break
    if header is None:
        return {}, []
    mapping = column_map([_norm_header(h) for h in header], aliases)
    missing = [c for c in required if c not in mapping]
    if missing:
        raise DictionaryFileError(
            _(
                "Lembar %(sheet)s: kolom wajib tidak ditemukan: %(columns)s. Baris pertama "
                "harus judul kolom seperti pada templat."
            )
            % {"sheet": name, "columns": ", ".join(missing)}
        )
    body = []
    for number, values in rows:
        if number > MAX_ROWS + 1:
            raise DictionaryFileError(
                _("Lembar %(sheet)s lebih dari %(limit)s baris. Bagi ke beberapa berkas.")
                % {"sheet": name, "limit": f"{MAX_ROWS:,}".replace(",", ".")}
            )
        if any(_cell(v) for v in values):
            body.append((number, values))
    return mapping, body


def _find_sheet(workbook: Any, name: str) -> Any:
    wanted = name.casefold()
    for title in workbook.sheetnames:
        if str(title).strip().casefold() == wanted:
            return workbook[title]
    return None


def parse_dictionary_workbook(data: bytes) -> ParsedDictionary:
    """Read and check every row; raise ``DictionaryFileError`` if the file cannot be used."""
    workbook = _open_workbook(data)
    try:
        competencies = _find_sheet(workbook, SHEET_COMPETENCIES)
        standards = _find_sheet(workbook, SHEET_STANDARDS)
        if competencies is None and standards is None:
            raise DictionaryFileError(
                _(
                    "Lembar %(first)s dan %(second)s tidak ditemukan. Gunakan templat kamus "
                    "kompetensi: nama lembar harus sama."
                )
                % {"first": SHEET_COMPETENCIES, "second": SHEET_STANDARDS}
            )
        parsed = ParsedDictionary()
        try:
            if competencies is not None:
                mapping, body = _read_sheet(
                    competencies, SHEET_COMPETENCIES, COMPETENCY_ALIASES, COMPETENCY_REQUIRED
                )
                _check_competencies(parsed, mapping, body)
            if standards is not None:
                mapping, body = _read_sheet(
                    standards, SHEET_STANDARDS, STANDARD_ALIASES, STANDARD_REQUIRED
                )
                _check_standards(parsed, mapping, body)
        except DictionaryFileError:
            raise
        except Exception:  # a damaged sheet fails while its rows are read
            logger.info("dictionary workbook unreadable", exc_info=True)
            raise DictionaryFileError(_not_xlsx()) from None
    finally:
        workbook.close()
    if not (parsed.competencies or parsed.standards or parsed.errors):
        raise DictionaryFileError(_("Berkas hanya berisi judul kolom, tanpa baris data."))
    return parsed


def _getter(mapping: dict[str, int], values: tuple[Any, ...]) -> Any:
    def get(column: str) -> str:
        index = mapping.get(column)
        return _cell(values[index]) if index is not None and index < len(values) else ""

    return get


def _too_long(values: dict[str, str]) -> list[str]:
    return [
        _("%(column)s lebih dari %(limit)d karakter.")
        % {"column": column.upper(), "limit": MAX_LENGTHS[column]}
        for column, value in values.items()
        if len(value) > MAX_LENGTHS[column]
    ]


def _check_competencies(
    parsed: ParsedDictionary, mapping: dict[str, int], body: list[tuple[int, tuple[Any, ...]]]
) -> None:
    types = _type_aliases()
    first_row: dict[str, int] = {}
    has_levels = any(c in mapping for c in LEVEL_COLUMNS)
    for number, values in body:
        get = _getter(mapping, values)
        errors: list[str] = []
        code = normalise_code(get("kode"))
        name = " ".join(get("nama").split())
        if not code:
            errors.append(_("KODE kosong."))
        if not name:
            errors.append(_("NAMA kosong."))
        errors.extend(_too_long({"kode": code, "nama": name}))
        raw_type = get("jenis")
        competency_type = types.get(_norm_header(raw_type))
        if competency_type is None:
            errors.append(
                _(
                    "JENIS '%(value)s' tidak dikenal (teknis, manajerial, sosial kultural, "
                    "pemerintahan)."
                )
                % {"value": raw_type}
                if raw_type
                else _("JENIS kosong (teknis, manajerial, sosial kultural, pemerintahan).")
            )
        if code and code in first_row:
            errors.append(_("KODE %(code)s sama dengan baris %(row)d.") % {
                "code": code, "row": first_row[code]
            })  # fmt: skip
        if errors:
            parsed.errors.append(RowError(SHEET_COMPETENCIES, number, errors))
            if code and code not in first_row:
                parsed.refused_codes.setdefault(code, number)
            continue
        first_row[code] = number
        levels = (
            {str(n): get(f"level_{n}") for n in LEVEL_RANGE if get(f"level_{n}")}
            if has_levels
            else None
        )
        parsed.competencies.append(
            CompetencyRow(
                row=number,
                code=code,
                name=name,
                competency_type=str(competency_type),
                description=get("definisi") if "definisi" in mapping else None,
                level_descriptions=levels,
            )  # fmt: skip
        )


def _check_standards(
    parsed: ParsedDictionary, mapping: dict[str, int], body: list[tuple[int, tuple[Any, ...]]]
) -> None:
    first_row: dict[tuple[str, str], int] = {}
    for number, values in body:
        get = _getter(mapping, values)
        errors: list[str] = []
        jabatan = " ".join(get("jabatan").split())
        key = jabatan_key(jabatan)
        code = normalise_code(get("kode_kompetensi"))
        if not key:
            errors.append(_("JABATAN kosong."))
        errors.extend(_too_long({"jabatan": jabatan}))
        if not code:
            errors.append(_("KODE_KOMPETENSI kosong."))
        index = mapping["level"]
        raw_level = values[index] if index < len(values) else None
        level = _level(raw_level)
        if level is None:
            errors.append(
                _("LEVEL '%(value)s' harus angka 1 sampai 5.") % {"value": _cell(raw_level)}
            )
        if key and code and (key, code) in first_row:
            errors.append(
                _("Standar jabatan %(jabatan)s untuk %(code)s sudah ada di baris %(row)d.")
                % {"jabatan": jabatan, "code": code, "row": first_row[(key, code)]}
            )
        if errors or level is None:
            parsed.errors.append(RowError(SHEET_STANDARDS, number, errors))
            continue
        first_row[(key, code)] = number
        parsed.standards.append(
            StandardRow(row=number, jabatan=jabatan, jabatan_key=key, code=code, level=level)
        )


# --- The template ----------------------------------------------------------------------------

_COMPETENCY_EXAMPLE = [
    "TEK-01",
    "Pengelolaan keuangan daerah",
    "teknis",
    "Kemampuan merencanakan, melaksanakan dan mempertanggungjawabkan keuangan daerah.",
    "Memahami dasar-dasar pengelolaan keuangan daerah.",
    "Menyusun dokumen anggaran sesuai pedoman.",
    "Menganalisis realisasi anggaran dan memberi rekomendasi.",
    "Merancang perbaikan tata kelola keuangan unit kerja.",
    "Menjadi rujukan kebijakan keuangan daerah.",
]
_STANDARD_EXAMPLE = ["Analis Kebijakan Ahli Muda", "TEK-01", 3]


def dictionary_template() -> bytes:
    """The XLSX BKPSDM fills: the two sheets with their headers and one example row each,
    and a sheet of instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = SHEET_COMPETENCIES
    sheet.append(list(COMPETENCY_COLUMNS))
    sheet.append(_COMPETENCY_EXAMPLE)
    widths = {"kode": 12, "nama": 36, "jenis": 18, "definisi": 50}
    for index, column in enumerate(COMPETENCY_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(column, 40)
    kinds = DataValidation(
        type="list", formula1='"' + ",".join(CompetencyType.values) + '"', allow_blank=False
    )
    kinds.add(f"C2:C{MAX_ROWS + 1}")
    sheet.add_data_validation(kinds)

    standards = workbook.create_sheet(SHEET_STANDARDS)
    standards.append(list(STANDARD_COLUMNS))
    standards.append(_STANDARD_EXAMPLE)
    for letter, width in zip("ABC", (40, 18, 8), strict=True):
        standards.column_dimensions[letter].width = width
    levels = DataValidation(type="whole", operator="between", formula1="1", formula2="5")
    levels.add(f"C2:C{MAX_ROWS + 1}")
    standards.add_data_validation(levels)

    guide = workbook.create_sheet(_("Petunjuk"))
    for note in (
        _("Lembar Kompetensi: satu baris satu kompetensi. KODE unik; impor ulang dengan KODE "
          "yang sama memperbarui kompetensi itu, tidak membuat data ganda."),
        _("JENIS: teknis, manajerial, sosial_kultural atau pemerintahan."),
        _("level_1 sampai level_5: indikator perilaku tiap level (boleh kosong)."),
        _("Lembar Standar: level (1-5) yang dipersyaratkan jabatan untuk satu kompetensi. "
          "Impor ulang jabatan dan KODE yang sama memperbarui levelnya."),
        _("kode_kompetensi harus ada di lembar Kompetensi atau sudah ada di kamus Sinau."),
        _("Baris yang bermasalah dilaporkan dengan nomor barisnya; baris lain tetap masuk."),
    ):  # fmt: skip
        guide.append([note])
    guide.column_dimensions["A"].width = 110
    for page in (sheet, standards):
        for cell in page[1]:
            cell.font = Font(bold=True)
        page.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
