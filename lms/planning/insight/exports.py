"""A workbook of several sheets (the employee's competency profile: identity, AKPK, JP,
history), written with the reports' cell rules: a text that looks like a formula stays
text, characters XML cannot hold are dropped, local times without a zone. One sheet tables
go through ``lms.reports.exports.table_response`` as every other download does."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import FileResponse
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from lms.reports.exports import CONTENT_TYPES, _sheet_title, _xlsx_cells, safe_filename

Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]


def workbook_response(sheets: Sequence[Sheet], filename_stem: str) -> FileResponse:
    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=_sheet_title(title))
        for index, label in enumerate(header, start=1):
            width = max(12, min(50, len(str(label)) + 2))
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", str(h)) for h in header])
        for row in rows:
            sheet.append(_xlsx_cells(sheet, row))
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    book.save(spool)
    spool.seek(0)
    response = FileResponse(
        spool,
        as_attachment=True,
        filename=safe_filename(filename_stem, "xlsx"),
        content_type=CONTENT_TYPES["xlsx"],
    )
    response["Cache-Control"] = "private, no-store"
    return response
