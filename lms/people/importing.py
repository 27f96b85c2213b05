"""Reading employee files (CSV or XLSX, shaped like a SIASN export) into checked rows.

Nothing here writes to the database: a file that cannot be read raises ``ImportFileError``
before any row is considered, and a bad row becomes a ``RowError`` with its number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import PANGKAT, PPPK_GOLONGAN, EmploymentType, JabatanKind
from .nip import normalise_nip, parse_nip


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message is for the person who sent it."""


# Canonical field -> the headers seen in SIASN and Pemda exports (compared normalised).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "nip": ("nip", "nip baru", "ni pppk", "nip ni pppk", "nomor induk pegawai"),
    "nama": ("nama", "nama lengkap", "nama pegawai", "nama tanpa gelar"),
    "gelar": ("gelar",),
    "gelar_depan": ("gelar depan",),
    "gelar_belakang": ("gelar belakang",),
    "jabatan": ("jabatan", "nama jabatan", "jabatan nama"),
    "jenis_jabatan": ("jenis jabatan", "jenis jabatan nama"),
    "unit_kerja": ("unit kerja", "unor", "unor nama", "unit organisasi", "satuan kerja"),
    "opd": ("opd", "unor induk", "unor induk nama", "perangkat daerah"),
    "golongan": ("golongan", "gol", "gol ruang", "golongan ruang", "gol akhir nama"),
    "jenis_pegawai": ("jenis pegawai", "jenis pegawai nama", "status pegawai"),
    "email": ("email", "e mail", "email gov", "alamat email"),
    "telepon": ("telepon", "no hp", "nomor hp", "hp", "nomor telepon"),
    # Optional: the atasan langsung, resolved once every row is read (they may come later).
    "nip_atasan": ("nip atasan", "nip atasan langsung", "atasan langsung nip", "atasan nip"),
}
REQUIRED_COLUMNS = ("nip", "nama", "jenis_pegawai")
UNIT_SEPARATOR = ">"
PROGRESS_EVERY = 2000

JABATAN_KIND_ALIASES = {
    "struktural": JabatanKind.STRUKTURAL,
    "jabatan struktural": JabatanKind.STRUKTURAL,
    "jpt": JabatanKind.STRUKTURAL,
    "administrator": JabatanKind.STRUKTURAL,
    "pengawas": JabatanKind.STRUKTURAL,
    "fungsional": JabatanKind.FUNGSIONAL,
    "jabatan fungsional": JabatanKind.FUNGSIONAL,
    "fungsional tertentu": JabatanKind.FUNGSIONAL,
    "jft": JabatanKind.FUNGSIONAL,
    "pelaksana": JabatanKind.PELAKSANA,
    "jabatan pelaksana": JabatanKind.PELAKSANA,
    # "fungsional umum" is the pre-2014 name of jabatan pelaksana
    "fungsional umum": JabatanKind.PELAKSANA,
    "jfu": JabatanKind.PELAKSANA,
}
EMPLOYMENT_TYPE_ALIASES = {
    "pns": EmploymentType.PNS,
    "cpns": EmploymentType.CPNS,
    "pppk": EmploymentType.PPPK,
    "p3k": EmploymentType.PPPK,
    "pppk paruh waktu": EmploymentType.PPPK_PW,
    "pppk pw": EmploymentType.PPPK_PW,
}
FRONT_TITLES = {"dr.", "drs.", "dra.", "ir.", "prof.", "h.", "hj.", "drg.", "ns.", "apt."}
_GOLONGAN_RE = re.compile(r"^(IV|III|II|I)\s*/?\s*([a-eA-E])$")
_email_validator = EmailValidator()
MAX_LENGTHS = {"nama": 255, "gelar_depan": 50, "gelar_belakang": 100, "jabatan": 255, "telepon": 30}


def _norm_header(text: Any) -> str:
    return re.sub(r"[^a-z0-9]+", " ", str(text or "").lower()).strip()


def _norm_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


@dataclass
class ImportRow:
    number: int  # as the spreadsheet numbers it: the header is row 1
    nip: str
    values: dict[str, Any]  # model field -> value, only for columns the file has
    unit_path: tuple[str, ...]  # names below the Pemda, e.g. ("Dinas Kesehatan", "Bidang P2P")
    # The atasan's NIP; None when the file has no NIP ATASAN column, "" to clear it.
    supervisor_nip: str | None = None


@dataclass
class RowError:
    number: int
    nip: str
    errors: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.number, "nip": self.nip, "errors": self.errors}


@dataclass
class ParsedFile:
    columns: set[str]
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    seen_nips: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return len(self.rows) + len(self.errors)


def _iter_csv(data: bytes) -> Iterator[list[Any]]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly anything; kept for clarity
        raise ImportFileError(_("Berkas CSV tidak dapat dibaca: pengodean tidak dikenal."))
    if "\x00" in text[:4096]:
        raise ImportFileError(_("Berkas ini bukan CSV teks (berisi data biner)."))
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        yield from csv.reader(io.StringIO(text, newline=""), dialect)
    except csv.Error as exc:
        raise ImportFileError(_("Berkas CSV rusak: %(error)s") % {"error": exc}) from exc


def _iter_xlsx(data: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(_("Berkas rusak atau bukan XLSX.")) from exc
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield list(values)
    finally:
        workbook.close()


def iter_table(fileobj: IO[bytes], filename: str) -> Iterator[list[Any]]:
    data = fileobj.read()
    if not data.strip():
        raise ImportFileError(_("Berkas kosong."))
    name = filename.lower()
    if name.endswith(".csv"):
        return _iter_csv(data)
    if name.endswith(".xlsx"):
        return _iter_xlsx(data)
    raise ImportFileError(_("Hanya berkas .csv dan .xlsx yang dapat diimpor."))


def column_map(headers: list[str], aliases: Mapping[str, Collection[str]]) -> dict[str, int]:
    """Each field's column index: the first header (already normalised) among its aliases.
    Fields the file lacks are absent."""
    mapping: dict[str, int] = {}
    for field_name, names in aliases.items():
        for index, head in enumerate(headers):
            if head in names:
                mapping[field_name] = index
                break
    return mapping


def _map_header(header: list[Any]) -> dict[str, int]:
    mapping = column_map([_norm_header(h) for h in header], COLUMN_ALIASES)
    missing = [c for c in REQUIRED_COLUMNS if c not in mapping]
    if missing:
        raise ImportFileError(
            _("Kolom wajib tidak ditemukan: %(columns)s. Baris pertama harus judul kolom.")
            % {"columns": ", ".join(c.upper().replace("_", " ") for c in missing)}
        )
    if "unit_kerja" not in mapping and "opd" not in mapping:
        raise ImportFileError(_("Kolom UNIT KERJA (atau OPD) tidak ditemukan."))
    return mapping


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def split_gelar(text: str) -> tuple[str, str]:
    """One GELAR column into (front, back): "Dr. Ir., M.Si." -> ("Dr. Ir.", "M.Si.")."""
    front: list[str] = []
    back: list[str] = []
    for token in [t.strip() for t in text.split(",") if t.strip()]:
        words = token.split()
        if all(w.lower() in FRONT_TITLES for w in words):
            front.append(token)
        else:
            back.append(token)
    return " ".join(front), ", ".join(back)


def normalise_golongan(text: str) -> str | None:
    raw = text.strip()
    if not raw:
        return ""
    upper = raw.upper()
    if upper in PPPK_GOLONGAN:
        return upper
    match = _GOLONGAN_RE.match(raw.replace(" ", ""))
    if match:
        value = f"{match.group(1)}/{match.group(2).lower()}"
        return value if value in PANGKAT else None
    return None


def _check_row(
    number: int, cells: list[Any], mapping: dict[str, int], today: dt.date
) -> ImportRow | RowError:
    def get(name: str) -> str:
        index = mapping.get(name)
        return _cell(cells[index]) if index is not None and index < len(cells) else ""

    errors: list[str] = []
    nip = normalise_nip(get("nip"))
    raw_nip = cells[mapping["nip"]] if mapping["nip"] < len(cells) else None
    if isinstance(raw_nip, float) and raw_nip >= 1e15:
        # A spreadsheet that stores an 18-digit NIP as a number keeps only ~15 digits.
        errors.append(
            _("NIP tersimpan sebagai angka di spreadsheet sehingga digit terakhirnya hilang; "
              "format kolom NIP sebagai teks lalu ekspor ulang.")
        )  # fmt: skip
        nip = ""
    values: dict[str, Any] = {}

    jenis = _norm_key(get("jenis_pegawai"))
    employment_type = EMPLOYMENT_TYPE_ALIASES.get(jenis)
    if employment_type is None:
        errors.append(
            _("JENIS PEGAWAI '%(value)s' tidak dikenal (PNS, CPNS, PPPK, PPPK paruh waktu).")
            % {"value": get("jenis_pegawai")}
        )
    else:
        values["employment_type"] = employment_type
    try:
        if nip or not errors:
            parse_nip(nip, employment_type or EmploymentType.PNS, today=today)
    except ValidationError as exc:
        errors.extend(exc.messages)

    nama = get("nama")
    if not nama:
        errors.append(_("NAMA kosong."))
    values["full_name"] = nama

    if "gelar_depan" in mapping or "gelar_belakang" in mapping:
        values["gelar_depan"] = get("gelar_depan")
        values["gelar_belakang"] = get("gelar_belakang")
    elif "gelar" in mapping:
        values["gelar_depan"], values["gelar_belakang"] = split_gelar(get("gelar"))
    if "jabatan" in mapping:
        values["jabatan"] = get("jabatan")
    if "jenis_jabatan" in mapping:
        raw = get("jenis_jabatan")
        kind = JABATAN_KIND_ALIASES.get(_norm_key(raw)) if raw else ""
        if kind is None:
            errors.append(
                _("JENIS JABATAN '%(value)s' tidak dikenal (struktural, fungsional, pelaksana).")
                % {"value": raw}
            )
        else:
            values["jabatan_kind"] = kind
    if "golongan" in mapping:
        golongan = normalise_golongan(get("golongan"))
        pppk = employment_type in (EmploymentType.PPPK, EmploymentType.PPPK_PW)
        if golongan is None or (golongan and pppk != (golongan in PPPK_GOLONGAN)):
            errors.append(
                _("GOLONGAN '%(value)s' tidak sah untuk %(type)s.")
                % {"value": get("golongan"), "type": employment_type or "?"}
            )
        else:
            values["golongan"] = golongan
    if "email" in mapping:
        email = get("email").lower()
        if email:
            try:
                _email_validator(email)
            except ValidationError:
                errors.append(_("EMAIL '%(value)s' tidak sah.") % {"value": email})
        values["email"] = email
    if "telepon" in mapping:
        values["phone"] = get("telepon")
    for column, limit in MAX_LENGTHS.items():
        key = {"nama": "full_name", "telepon": "phone"}.get(column, column)
        if len(str(values.get(key, ""))) > limit:
            errors.append(
                _("%(column)s lebih dari %(limit)d karakter.")
                % {"column": column.upper().replace("_", " "), "limit": limit}
            )

    unit_path: tuple[str, ...] = ()
    opd = get("opd")
    unit = get("unit_kerja")
    if opd:
        unit_path = (opd,) if not unit or _norm_key(unit) == _norm_key(opd) else (opd, unit)
    elif unit:
        unit_path = tuple(p.strip() for p in unit.split(UNIT_SEPARATOR) if p.strip())
    if not unit_path:
        errors.append(_("UNIT KERJA kosong."))
    elif any(len(p) > 255 for p in unit_path):
        errors.append(_("Nama UNIT KERJA lebih dari 255 karakter."))

    supervisor_nip: str | None = None
    if "nip_atasan" in mapping:
        raw_supervisor = (
            cells[mapping["nip_atasan"]] if mapping["nip_atasan"] < len(cells) else None
        )
        supervisor_nip = normalise_nip(get("nip_atasan"))
        if isinstance(raw_supervisor, float) and raw_supervisor >= 1e15:
            errors.append(
                _("NIP ATASAN tersimpan sebagai angka di spreadsheet sehingga digit terakhirnya "
                  "hilang; format kolom NIP ATASAN sebagai teks lalu ekspor ulang.")
            )  # fmt: skip
        elif supervisor_nip and not supervisor_nip.isdigit():
            errors.append(_("NIP ATASAN '%(value)s' tidak sah.") % {"value": get("nip_atasan")})
        elif supervisor_nip and supervisor_nip == nip:
            errors.append(_("NIP ATASAN sama dengan NIP pegawai itu sendiri."))

    if errors:
        return RowError(number=number, nip=nip, errors=errors)
    return ImportRow(
        number=number, nip=nip, values=values, unit_path=unit_path,
        supervisor_nip=supervisor_nip,
    )  # fmt: skip


def parse_employee_file(
    fileobj: IO[bytes], filename: str, progress: Callable[[int, int], None] | None = None
) -> ParsedFile:
    # Numbers as the spreadsheet shows them: the first line is row 1.
    table = enumerate(iter_table(fileobj, filename), start=1)
    header: list[Any] | None = None
    for _number, cells in table:
        if any(_cell(c) for c in cells):
            header = cells
            break
    if header is None:
        raise ImportFileError(_("Berkas tidak berisi baris judul kolom."))
    mapping = _map_header(header)
    parsed = ParsedFile(columns=set(mapping))
    first_row: dict[str, int] = {}
    body = list(table)
    today = timezone.localdate()
    for done, (number, cells) in enumerate(body, start=1):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, len(body))
        if not any(_cell(c) for c in cells):
            continue
        result = _check_row(number, cells, mapping, today)
        if isinstance(result, ImportRow):
            if result.nip in first_row:
                parsed.errors.append(
                    RowError(
                        number,
                        result.nip,
                        [_("NIP sama dengan baris %(row)d.") % {"row": first_row[result.nip]}],
                    )
                )
                continue
            first_row[result.nip] = number
            parsed.rows.append(result)
        else:
            parsed.errors.append(result)
        if result.nip:
            parsed.seen_nips.add(result.nip)
    if not parsed.total:
        raise ImportFileError(_("Berkas hanya berisi judul kolom, tanpa baris data."))
    return parsed
