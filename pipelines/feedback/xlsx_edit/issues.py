"""The Issues sheet as a new worksheet part: a bold header, one row per finding (inline strings,
so a value found such as `=HYPERLINK(...)` stays text), the severity's fill in column A, a link
from the cell column to the marked cell, column widths, a frozen header and an autofilter."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from pipelines.feedback.marks import (
    ISSUE_COLUMNS,
    LINK_COLUMN,
    Marked,
    column_width,
    issue_header,
    issue_link,
    issue_row,
    issues_extent,
    names_a_cell,
    severity_of,
)
from pipelines.feedback.xlsx_edit.ooxml import MAIN, RELATIONSHIPS, XML_DECLARATION, column_letters
from pipelines.feedback.xlsx_edit.splice import escape_attribute, escape_text
from pipelines.feedback.xlsx_edit.styles import IssuesStyles

_VIEW = (
    '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
)
_MARGINS = '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'


def issues_sheet_xml(
    marked: Sequence[Marked], language: str, worksheets: Collection[str], styles: IssuesStyles
) -> bytes:
    rows = [_row(1, issue_header(language), [styles.header] * len(ISSUE_COLUMNS))]
    links = []
    for row_no, item in enumerate(marked, start=2):
        cell_styles = [styles.text] * len(ISSUE_COLUMNS)
        cell_styles[0] = styles.severity[severity_of(item.finding)]
        if names_a_cell(worksheets, item.finding):
            cell_styles[LINK_COLUMN] = styles.link
            ref = f"{column_letters(LINK_COLUMN + 1)}{row_no}"
            links.append(f'<hyperlink ref="{ref}" location="{escape_attribute(issue_link(item.finding))}"/>')
        rows.append(_row(row_no, issue_row(item), cell_styles))
    columns = "".join(
        f'<col min="{n}" max="{n}" width="{column_width(column)}" customWidth="1"/>'
        for n, column in enumerate(ISSUE_COLUMNS, start=1)
    )
    extent = issues_extent(len(marked))
    parts = [
        f'<worksheet xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">',
        f'<dimension ref="{extent}"/>',
        _VIEW,
        '<sheetFormatPr defaultRowHeight="15"/>',
        f"<cols>{columns}</cols>",
        f"<sheetData>{''.join(rows)}</sheetData>",
        f'<autoFilter ref="{extent}"/>' if marked else "",
        f"<hyperlinks>{''.join(links)}</hyperlinks>" if links else "",
        _MARGINS,
        "</worksheet>",
    ]
    return XML_DECLARATION + "".join(parts).encode("utf-8")


def _row(row_no: int, values: list[str], styles: list[int]) -> str:
    cells = []
    for col_no, (value, style) in enumerate(zip(values, styles, strict=True), start=1):
        ref = f"{column_letters(col_no)}{row_no}"
        if value == "":
            cells.append(f'<c r="{ref}" s="{style}"/>')
        else:
            text = escape_text(value)
            cells.append(
                f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
            )
    return f'<row r="{row_no}">{"".join(cells)}</row>'
