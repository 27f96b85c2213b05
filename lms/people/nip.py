"""Structure of the NIP (PNS/CPNS) and the NI PPPK.

PNS (Perka BKN 22/2007): birth date YYYYMMDD, first appointment as CPNS YYYYMM,
sex (1 male, 2 female), sequence 001-999.
PPPK: birth date YYYYMMDD, year of appointment YYYY, a 2-digit contract code, sex,
sequence. Digits 9-14 of a PPPK number are not an appointment month, so they are not
read as one.

Only structure is checked: a structurally valid number may still not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

PNS_LIKE = frozenset({"PNS", "CPNS"})
PPPK_LIKE = frozenset({"PPPK", "PPPK_PW"})
# Nobody born before this is still in service; catches typos like 1086 for 1986.
EARLIEST_BIRTH_YEAR = 1940
ADULT_AGE = 18


@dataclass(frozen=True)
class NipParts:
    birth_date: dt.date
    sex: str  # "1" male, "2" female
    sequence: int
    appointed: dt.date | None  # first of the appointment month (PNS) or None


def normalise_nip(raw: object) -> str:
    """Strip the spaces SK documents print (``19860926 201505 1 001``) and stray punctuation."""
    text = "" if raw is None else str(raw).strip()
    # Spreadsheets turn long numbers into floats ("1.98609262015051e+17"); those lost digits.
    if text.endswith(".0"):
        text = text[:-2]
    for ch in (" ", "\u00a0", ".", "-", "'"):
        text = text.replace(ch, "")
    return text


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def parse_nip(nip: str, employment_type: str, *, today: dt.date | None = None) -> NipParts:
    """Return the parts of a structurally valid NIP, or raise ValidationError saying why."""
    today = today or timezone.localdate()
    if len(nip) != 18 or not nip.isdigit():
        raise ValidationError(
            _("NIP harus 18 digit (ditemukan %(count)d karakter).") % {"count": len(nip)},
            code="nip_length",
        )
    try:
        birth = dt.date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        raise ValidationError(
            _("NIP: tanggal lahir %(value)s bukan tanggal yang valid.") % {"value": nip[0:8]},
            code="nip_birth_date",
        ) from None
    if birth.year < EARLIEST_BIRTH_YEAR or _add_years(birth, ADULT_AGE) > today:
        raise ValidationError(
            _("NIP: tanggal lahir %(value)s tidak masuk akal untuk pegawai aktif.")
            % {"value": birth.isoformat()},
            code="nip_birth_date",
        )
    sex = nip[14]
    if sex not in ("1", "2"):
        raise ValidationError(
            _("NIP: digit jenis kelamin (ke-15) harus 1 atau 2, bukan %(value)s.") % {"value": sex},
            code="nip_sex",
        )
    sequence = int(nip[15:18])
    if sequence == 0:
        raise ValidationError(_("NIP: nomor urut tidak boleh 000."), code="nip_sequence")

    if employment_type in PPPK_LIKE:
        return NipParts(birth_date=birth, sex=sex, sequence=sequence, appointed=None)

    year, month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= month <= 12:
        raise ValidationError(
            _("NIP: bulan pengangkatan %(value)s tidak ada.") % {"value": nip[8:14]},
            code="nip_appointment",
        )
    appointed = dt.date(year, month, 1)
    adult = _add_years(birth, ADULT_AGE)
    if (appointed.year, appointed.month) < (adult.year, adult.month):
        raise ValidationError(
            _("NIP: pengangkatan %(appointed)s terjadi sebelum usia 18 tahun (lahir %(birth)s).")
            % {"appointed": f"{month:02d}/{year}", "birth": birth.isoformat()},
            code="nip_appointment",
        )
    if appointed > today:
        raise ValidationError(
            _("NIP: bulan pengangkatan %(value)s ada di masa depan.")
            % {"value": f"{month:02d}/{year}"},
            code="nip_appointment",
        )
    return NipParts(birth_date=birth, sex=sex, sequence=sequence, appointed=appointed)


def validate_nip(nip: str, employment_type: str) -> None:
    parse_nip(nip, employment_type)
