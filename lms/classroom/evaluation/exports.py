"""The year's evaluation results as one workbook for BKPSDM: per instructor, per course
(angkatan or session) and the comments, with nobody who answered named anywhere."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext as _

from lms.planning.insight.exports import workbook_response

from . import selectors


def _result_lines(rows: list[selectors.ResultRow]) -> Iterator[list[Any]]:
    # One line for the overall mean, then one per Likert item.
    for row in rows:
        yield [row.label, row.detail, row.n, _("Keseluruhan"), None, row.mean]
        for item in row.items:
            yield [row.label, row.detail, row.n, item.text, item.n, item.mean]


def evaluation_workbook(*, year: int) -> FileResponse:
    instructors = selectors.fill_instructors(selectors.instructor_results(year=year), year=year)
    targets = selectors.fill_targets(selectors.target_results(year=year), year=year)
    comments = selectors.comment_rows(selectors.comment_list(year=year))
    common = [_("Jumlah responden"), _("Butir"), _("Jumlah jawaban"), _("Rata-rata (1-5)")]
    sheets = [
        (_("Instruktur"), [_("Instruktur"), _("NIP"), *common], _result_lines(instructors)),
        (_("Kursus"), [_("Kursus / sesi"), _("Angkatan / tanggal"), *common],
         _result_lines(targets)),
        (
            _("Komentar"),
            [_("Kursus / sesi"), _("Angkatan / tanggal"), _("Tentang"), _("Pertanyaan"),
             _("Komentar")],
            (
                [c["target"], c["detail"], c["about"] or _("Kursus / sesi"), c["item"],
                 c["comment"]]
                for c in comments
            ),
        ),
    ]  # fmt: skip
    return workbook_response(sheets, f"evaluasi-{year}")
