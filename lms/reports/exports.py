"""Writing a report table as CSV or XLSX: one function every report's download goes through,
whether streamed to the browser (small tables) or written by a task into a file (large ones).

- CSV: UTF-8 with a byte-order mark (so Excel opens Indonesian names right), comma-separated,
  decimals with a point, dates ISO (YYYY-MM-DD).
- XLSX: openpyxl's write-only mode, which streams rows to a temporary file and keeps memory
  flat whatever the number of rows; numbers stay numbers, dates stay dates.
- Both: a text that starts with ``=``, ``+``, ``-``, ``@`` (a name or title typed by a user)
  is written as text, never as a formula (CSV gets a leading apostrophe, the XLSX cell is
  typed as a string); characters XML cannot hold are dropped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import secrets
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import IO, Any

from django.core.files import File
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from .models import ReportExport

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
# Rows written between two progress reports when a caller asks for them.
PROGRESS_EVERY = 2000


class ExportFormatError(ValueError):
    pass


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        if value.startswith(_FORMULA_START) and not _is_number(value):
            return "'" + value
        return value
    return value


def _is_number(text: str) -> bool:
    # "-3.5" is a number someone wants to keep, not a formula.
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


class _Echo:
    """A file-like object whose write() hands the line back, for a streamed CSV."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence[Any]], header: Sequence[str]) -> Iterator[str]:
    """The CSV as lines of text (a byte-order mark first), for a streamed response."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([str(h) for h in header])
    for row in rows:
        yield writer.writerow([_csv_value(v) for v in row])


def _xlsx_cells(sheet: WriteOnlyWorksheet, row: Sequence[Any]) -> list[Any]:
    values: list[Any] = []
    for value in row:
        if value is None:
            values.append(None)
        elif isinstance(value, str):
            text = ILLEGAL_CHARACTERS_RE.sub("", value)
            if text.startswith("="):
                # openpyxl would store it as a formula: keep it a string.
                cell = WriteOnlyCell(sheet, value=text)
                cell.data_type = "s"
                values.append(cell)
            else:
                values.append(text)
        elif isinstance(value, bool | int | float | Decimal | dt.date | dt.datetime):
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                # Excel has no time zones: the Pemda's local time, as shown on screen.

                value = timezone.localtime(value).replace(tzinfo=None)
            values.append(value)
        else:
            values.append(ILLEGAL_CHARACTERS_RE.sub("", str(value)))
    return values


def write_table(
    rows: Iterable[Sequence[Any]],
    header: Sequence[str],
    fmt: str,
    fileobj: IO[bytes],
    *,
    sheet_title: str = "",
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``header`` and ``rows`` as ``fmt`` ("csv" or "xlsx") into the binary file
    object; return the number of rows written (the header not counted).

    ``progress``, if given, is called with the number of rows written so far every
    ``PROGRESS_EVERY`` rows (an export job records it for its progress bar)."""
    if fmt not in FORMATS:
        raise ExportFormatError(fmt)
    count = 0
    if fmt == "csv":
        text = io.TextIOWrapper(fileobj, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow([str(h) for h in header])
        for row in rows:
            writer.writerow([_csv_value(v) for v in row])
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
        text.flush()
        text.detach()  # the caller owns the binary file: do not close it
        return count
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_sheet_title(sheet_title))
    widths = [max(10, min(50, len(str(h)) + 2)) for h in header]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([ILLEGAL_CHARACTERS_RE.sub("", str(h)) for h in header])
    for row in rows:
        sheet.append(_xlsx_cells(sheet, row))
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    book.save(fileobj)
    return count


def _sheet_title(title: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    clean = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31]
    return clean or "Laporan"


def safe_filename(stem: str, fmt: str) -> str:
    """An ASCII file name for Content-Disposition: "kepatuhan-jp-2026.xlsx"."""
    clean = _SAFE_FILENAME.sub("-", stem).strip("-.")[:120] or "laporan"
    return f"{clean}.{fmt}"


def table_response(
    rows: Iterable[Sequence[Any]],
    header: Sequence[str],
    fmt: str,
    filename_stem: str,
    *,
    sheet_title: str = "",
) -> HttpResponseBase:
    """A download of a table small enough to build during the request: a CSV is streamed
    line by line; an XLSX (a zip, written whole at the end) is built in a temporary file
    that spills to disk past a few megabytes, then streamed from there."""
    if fmt not in FORMATS:
        raise ExportFormatError(fmt)
    filename = safe_filename(filename_stem, fmt)
    response: HttpResponseBase
    if fmt == "csv":
        response = StreamingHttpResponse(csv_lines(rows, header), content_type=CONTENT_TYPES["csv"])
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
        write_table(rows, header, "xlsx", spool, sheet_title=sheet_title)
        spool.seek(0)
        response = FileResponse(
            spool, as_attachment=True, filename=filename, content_type=CONTENT_TYPES["xlsx"]
        )
    response["Cache-Control"] = "private, no-store"
    return response


def export_ready(job: ReportExport, tmp: IO[bytes], *, stem: str, fmt: str, written: int) -> None:
    """Store a finished export's file (under a random name, offered as ``stem.fmt``) and
    mark its job ready, in one save: the file appears whole or not at all."""
    tmp.seek(0)
    job.file.save(
        f"{stem}-{secrets.token_hex(8)}.{fmt}", File(tmp, name=f"{stem}.{fmt}"), save=False
    )
    job.status = ReportExport.Status.READY
    job.total = job.done = written
    job.failure = ""
    job.finished_at = timezone.now()
    job.save(
        update_fields=["status", "total", "done", "file", "failure", "finished_at", "updated_at"]
    )


def export_failed(export_id: int, message: str) -> None:
    ReportExport.objects.filter(pk=export_id).update(
        status=ReportExport.Status.FAILED, failure=message, finished_at=timezone.now()
    )
