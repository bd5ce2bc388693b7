"""feedback.xlsx through openpyxl: the writer used when the package editor declines a workbook.

A module of its own so that openpyxl (~0.4 s to import) is loaded only by a run that needs it: the
package editor (`xlsx_edit`) writes nearly every feedback.xlsx, and most runs never come here.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from pipelines.feedback.marks import (
    COMMENT_AUTHOR,
    COMMENT_WIDTH,
    FILLS,
    ISSUE_COLUMNS,
    ISSUES_SHEET,
    LINK_COLOR,
    LINK_COLUMN,
    Marked,
    cells_to_mark,
    column_width,
    comment_height,
    comment_text,
    issue_header,
    issue_link,
    issue_row,
    issues_extent,
    names_a_cell,
    severity_of,
    unique_title,
    worst,
)
from pipelines.feedback.workbook import CopyFailed


def copy_with_openpyxl(data: bytes, target: Path, marked: Sequence[Marked], language: str) -> None:
    """The openpyxl writer: load, mark, add Issues, save."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "extension is not supported and will be removed"
            workbook = openpyxl.load_workbook(io.BytesIO(data))
        worksheets = {sheet.title for sheet in workbook.worksheets}
        anchors: dict[tuple[str, str], list[Marked]] = {}
        for (sheet, ref), items in cells_to_mark(worksheets, marked).items():
            anchors.setdefault((sheet, _anchor(workbook[sheet], ref)), []).extend(items)
        for (sheet, ref), items in anchors.items():
            _mark_cell(workbook[sheet][ref], items, language)
        _add_issues_sheet(workbook, worksheets, marked, language)
        workbook.template = False  # an .xltx sent in comes back as the ordinary workbook its name says
        workbook.save(target)
    except Exception as exc:  # openpyxl raises many kinds; all mean "no copy can be made"
        raise CopyFailed(f"{type(exc).__name__}: {exc}") from exc


def _anchor(sheet, ref: str) -> str:
    """The cell that shows a mark at `ref`: only a merged range's top-left cell holds a value or a
    comment, so the findings of all its cells go there, together."""
    if isinstance(sheet[ref], MergedCell):
        merged = next(r for r in sheet.merged_cells.ranges if ref in r)
        return sheet.cell(merged.min_row, merged.min_col).coordinate
    return ref


def _mark_cell(cell, items: list[Marked], language: str) -> None:
    fill = FILLS[worst(items)]
    cell.fill = PatternFill(fill_type="solid", start_color=fill, end_color=fill)
    # The sender's own comment stays, below ours.
    text = comment_text(items, language, cell.comment.text if cell.comment is not None else None)
    cell.comment = Comment(text, COMMENT_AUTHOR, height=comment_height(text), width=COMMENT_WIDTH)


def _add_issues_sheet(workbook, worksheets: set[str], marked: Sequence[Marked], language: str) -> None:
    issues = workbook.create_sheet(unique_title(workbook.sheetnames, ISSUES_SHEET), 0)
    for sheet in workbook.worksheets:
        sheet.sheet_view.tabSelected = False
    workbook.active = 0
    issues.sheet_view.tabSelected = True
    issues.append(issue_header(language))
    for cell in issues[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row_no, item in enumerate(marked, start=2):
        for col_no, value in enumerate(issue_row(item), start=1):
            cell = issues.cell(row_no, col_no)
            cell.value = value
            cell.data_type = "s"  # a value found like `=HYPERLINK(...)` must not become a live formula
            cell.alignment = wrap
        fill = FILLS[severity_of(item.finding)]
        issues.cell(row_no, 1).fill = PatternFill(fill_type="solid", start_color=fill, end_color=fill)
        if names_a_cell(worksheets, item.finding):
            link = issues.cell(row_no, LINK_COLUMN + 1)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=issue_link(item.finding))
            link.font = Font(color=LINK_COLOR, underline="single")
    for col_no, column in enumerate(ISSUE_COLUMNS, start=1):
        issues.column_dimensions[get_column_letter(col_no)].width = column_width(column)
    issues.freeze_panes = "A2"
    if marked:
        issues.auto_filter.ref = issues_extent(len(marked))
