"""feedback.xlsx: the workbook as it was sent, every problem cell coloured and commented, plus `Issues`.

The copy is made with openpyxl from the archived bytes, so values, formulas and formats stay as
sent (openpyxl keeps formulas as formulas; it drops what it does not model, such as charts and
images, none of which a return needs). Only files that the parser's own safety checks let through
are opened: a zip bomb, a DTD, a legacy .xls or an encrypted file is never handed to openpyxl.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from pipelines.feedback.messages import Explanation, label
from pipelines.findings import Finding, Severity
from pipelines.parsed.workbook import DEFAULT_LIMITS, Limits, NotAReturn, open_workbook

ISSUES_SHEET = "Issues"
# The Issues sheet's columns, in order; their headers are labels in the form's language.
ISSUE_COLUMNS = ("severity", "sheet", "cell", "rule", "message", "value_found", "what_to_do")
_COLUMN_WIDTHS = {"severity": 15, "sheet": 16, "cell": 9, "rule": 30, "message": 70, "value_found": 22}
_WIDE = 60
FILLS = {Severity.ERROR: "FFC7CE", Severity.WARNING: "FFEB9C"}  # Excel's own "bad" and "neutral" tints
COMMENT_AUTHOR = "normsdata"
EXCEL_TEXT_LIMIT = 32_767
CALAMINE_FAILED = "unreadable"  # the parser's rule when its checks passed but its reader could not read
_CELL_REF = re.compile(r"^[A-Z]{1,3}[1-9]\d{0,6}$")
_COMMENT_CHARS_PER_LINE = 48


class CopyFailed(Exception):
    """openpyxl could not open or save the workbook; the message says why."""


@dataclass(frozen=True)
class Marked:
    """A finding and how the focal point reads it."""

    finding: Finding
    explanation: Explanation


class Gate(Enum):
    """How far the parser's own checks and reader got with a file."""

    READ = "read"  # every check passed and python-calamine read it
    CHECKED = "checked"  # every safety check passed, but python-calamine could not read it
    REFUSED = "refused"  # not a workbook, or refused by a check: never handed to openpyxl


def parser_gate(path: Path, file_name: str, limits: Limits = DEFAULT_LIMITS) -> Gate:
    """Run the parser's checks (kind, size, zip parts, XML, sheet sizes) and reader on the file."""
    try:
        workbook = open_workbook(path, file_name, limits)
        for name in workbook.sheet_names:
            workbook.grid(name)  # refuses a sheet over the row and column limits
    except NotAReturn as exc:
        return Gate.CHECKED if exc.rule == CALAMINE_FAILED else Gate.REFUSED
    except Exception:  # whatever broke the reader, the checks before it had passed
        return Gate.CHECKED
    return Gate.READ


def write_feedback_workbook(original: Path, target: Path, marked: Sequence[Marked], language: str) -> None:
    """Save `original` with every finding marked at its cell, and an Issues sheet, as `target`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "extension is not supported and will be removed"
            workbook = openpyxl.load_workbook(io.BytesIO(original.read_bytes()))
        for (sheet, ref), items in _by_cell(workbook, marked).items():
            _mark_cell(workbook[sheet], ref, items, language)
        _add_issues_sheet(workbook, marked, language)
        workbook.template = False  # an .xltx sent in comes back as the ordinary workbook its name says
        workbook.save(target)
    except Exception as exc:  # openpyxl raises many kinds; all mean "no copy can be made"
        raise CopyFailed(f"{type(exc).__name__}: {exc}") from exc


def _has_cell(workbook, finding: Finding) -> bool:
    """The finding names a cell of a worksheet (not a chart sheet) the workbook has."""
    return bool(
        finding.sheet in {sheet.title for sheet in workbook.worksheets}
        and finding.cell_ref
        and _CELL_REF.match(finding.cell_ref.upper())
    )


def _by_cell(workbook, marked: Sequence[Marked]) -> dict[tuple[str, str], list[Marked]]:
    cells: dict[tuple[str, str], list[Marked]] = {}
    for item in marked:
        if _has_cell(workbook, item.finding):
            key = (item.finding.sheet, item.finding.cell_ref.upper())
            cells.setdefault(key, []).append(item)
    return cells


def _mark_cell(sheet, ref: str, items: list[Marked], language: str) -> None:
    cell = sheet[ref]
    if isinstance(cell, MergedCell):  # only a merged range's top-left cell holds a value or a comment
        merged = next(r for r in sheet.merged_cells.ranges if ref in r)
        cell = sheet.cell(merged.min_row, merged.min_col)
    worst = Severity.ERROR if any(i.finding.severity == Severity.ERROR for i in items) else Severity.WARNING
    cell.fill = PatternFill(fill_type="solid", start_color=FILLS[worst], end_color=FILLS[worst])
    text = "\n\n".join(_comment_text(item, language) for item in items)
    if cell.comment is not None:  # the sender's own comment stays, below ours
        text = f"{text}\n\n---\n{cell.comment.text}"
    text = _safe_text(text)
    lines = sum(max(1, math.ceil(len(line) / _COMMENT_CHARS_PER_LINE)) for line in text.split("\n"))
    cell.comment = Comment(text, COMMENT_AUTHOR, height=min(16 * lines + 12, 600), width=300)


def _comment_text(item: Marked, language: str) -> str:
    explained = item.explanation
    heading = f"{explained.severity} ({label('rule', language)}: {item.finding.rule})"
    return f"{heading}\n{explained.message}\n{explained.advice}"


def _unique_title(workbook, wanted: str) -> str:
    taken = {name.casefold() for name in workbook.sheetnames}
    title, n = wanted, 1
    while title.casefold() in taken:
        n += 1
        title = f"{wanted} {n}"
    return title


def _add_issues_sheet(workbook, marked: Sequence[Marked], language: str) -> None:
    issues = workbook.create_sheet(_unique_title(workbook, ISSUES_SHEET), 0)
    for sheet in workbook.worksheets:
        sheet.sheet_view.tabSelected = False
    workbook.active = 0
    issues.sheet_view.tabSelected = True
    header = [label(column, language) for column in ISSUE_COLUMNS]
    issues.append(header)
    for cell in issues[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row_no, item in enumerate(marked, start=2):
        finding, explained = item.finding, item.explanation
        values = {
            "severity": explained.severity,
            "sheet": finding.sheet or "",
            "cell": finding.cell_ref or "",
            "rule": finding.rule,
            "message": explained.message,
            "value_found": finding.value_found or "",
            "what_to_do": explained.advice,
        }
        for col_no, column in enumerate(ISSUE_COLUMNS, start=1):
            cell = issues.cell(row_no, col_no)
            _set_text(cell, values[column])
            cell.alignment = wrap
        fill = FILLS[Severity.ERROR if finding.severity == Severity.ERROR else Severity.WARNING]
        issues.cell(row_no, 1).fill = PatternFill(fill_type="solid", start_color=fill, end_color=fill)
        if _has_cell(workbook, finding):
            link = issues.cell(row_no, ISSUE_COLUMNS.index("cell") + 1)
            quoted = finding.sheet.replace("'", "''")
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{quoted}'!{finding.cell_ref.upper()}")
            link.font = Font(color="0563C1", underline="single")
    for col_no, column in enumerate(ISSUE_COLUMNS, start=1):
        issues.column_dimensions[get_column_letter(col_no)].width = _COLUMN_WIDTHS.get(column, _WIDE)
    issues.freeze_panes = "A2"
    if marked:
        issues.auto_filter.ref = f"A1:{get_column_letter(len(ISSUE_COLUMNS))}{len(marked) + 1}"


def _safe_text(text: str) -> str:
    """Text openpyxl can store: no XML-illegal control characters, within Excel's cell limit."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:EXCEL_TEXT_LIMIT]


def _set_text(cell, text: str) -> None:
    """Always a string: a value found like `=HYPERLINK(...)` must not become a live formula."""
    cell.value = _safe_text(text)
    cell.data_type = "s"
