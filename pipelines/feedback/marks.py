"""What feedback.xlsx shows, whichever way it is written: which cells are marked, in which colour,
with which comment, and the rows and links of the Issues sheet.

Both writers (`xlsx_edit`, the fast one, and `workbook.copy_with_openpyxl`) take every text,
colour and size from here, so the two cannot drift apart.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from pipelines.feedback.messages import Explanation, label
from pipelines.feedback.xlsx_edit.ooxml import column_letters
from pipelines.findings import Finding, Severity

ISSUES_SHEET = "Issues"
# The Issues sheet's columns, in order; their headers are labels in the form's language.
ISSUE_COLUMNS = ("severity", "sheet", "cell", "rule", "message", "value_found", "what_to_do")
LINK_COLUMN = ISSUE_COLUMNS.index("cell")  # 0-based: the column whose cells link to the marked cell
_COLUMN_WIDTHS = {"severity": 15, "sheet": 16, "cell": 9, "rule": 30, "message": 70, "value_found": 22}
_WIDE = 60
FILLS = {Severity.ERROR: "FFC7CE", Severity.WARNING: "FFEB9C"}  # Excel's own "bad" and "neutral" tints
LINK_COLOR = "0563C1"  # Excel's own hyperlink blue
COMMENT_AUTHOR = "normsdata"
COMMENT_WIDTH = 300  # pixels
EXCEL_TEXT_LIMIT = 32_767
_CELL_REF = re.compile(r"^[A-Z]{1,3}[1-9]\d{0,6}$")
_COMMENT_CHARS_PER_LINE = 48
# Characters XML 1.0 cannot carry at all (a part holding one does not open): C0 controls other
# than tab, line feed and carriage return; lone surrogates; U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Marked:
    """A finding and how the focal point reads it."""

    finding: Finding
    explanation: Explanation


def safe_text(text: str) -> str:
    """Text a workbook can store: no XML-illegal characters, within Excel's cell limit."""
    return _XML_ILLEGAL.sub("", text)[:EXCEL_TEXT_LIMIT]


def names_a_cell(worksheets: Collection[str], finding: Finding) -> bool:
    """The finding names a cell of a worksheet (not a chart sheet) the workbook has."""
    return bool(
        finding.sheet in worksheets and finding.cell_ref and _CELL_REF.match(finding.cell_ref.upper())
    )


def cells_to_mark(
    worksheets: Collection[str], marked: Sequence[Marked]
) -> dict[tuple[str, str], list[Marked]]:
    """(sheet, cell) -> its findings in the order given, for every finding that names a cell."""
    cells: dict[tuple[str, str], list[Marked]] = {}
    for item in marked:
        if names_a_cell(worksheets, item.finding):
            cells.setdefault((item.finding.sheet, item.finding.cell_ref.upper()), []).append(item)
    return cells


def worst(items: Iterable[Marked]) -> Severity:
    return Severity.ERROR if any(i.finding.severity == Severity.ERROR for i in items) else Severity.WARNING


def severity_of(finding: Finding) -> Severity:
    return Severity.ERROR if finding.severity == Severity.ERROR else Severity.WARNING


def comment_text(items: Sequence[Marked], language: str, sender_comment: str | None = None) -> str:
    """Every finding of the cell, what it means and what to do; the sender's own comment below."""
    text = "\n\n".join(_one_comment(item, language) for item in items)
    if sender_comment is not None:
        text = f"{text}\n\n---\n{sender_comment}"
    return safe_text(text)


def _one_comment(item: Marked, language: str) -> str:
    explained = item.explanation
    heading = f"{explained.severity} ({label('rule', language)}: {item.finding.rule})"
    return f"{heading}\n{explained.message}\n{explained.advice}"


def comment_height(text: str) -> int:
    """Pixels: tall enough for the text at the comment's width, never taller than 600."""
    lines = sum(max(1, math.ceil(len(line) / _COMMENT_CHARS_PER_LINE)) for line in text.split("\n"))
    return min(16 * lines + 12, 600)


def unique_title(taken: Iterable[str], wanted: str) -> str:
    """`wanted`, or `wanted 2`, `wanted 3`... : sheet names are unique in any letter case."""
    names = {name.casefold() for name in taken}
    title, n = wanted, 1
    while title.casefold() in names:
        n += 1
        title = f"{wanted} {n}"
    return title


def issue_header(language: str) -> list[str]:
    return [label(column, language) for column in ISSUE_COLUMNS]


def issue_row(item: Marked) -> list[str]:
    """The Issues sheet's cells for one finding, in ISSUE_COLUMNS order, as safe text."""
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
    return [safe_text(values[column]) for column in ISSUE_COLUMNS]


def issue_link(finding: Finding) -> str:
    """Where the Issues row's cell link goes: `'Sheet'!C2`, quotes in the name doubled."""
    quoted = finding.sheet.replace("'", "''")
    return f"'{quoted}'!{finding.cell_ref.upper()}"


def issues_extent(count: int) -> str:
    """The Issues sheet's range with `count` findings below the header: `A1:G5`."""
    return f"A1:{column_letters(len(ISSUE_COLUMNS))}{count + 1}"


def column_width(column: str) -> int:
    return _COLUMN_WIDTHS.get(column, _WIDE)
