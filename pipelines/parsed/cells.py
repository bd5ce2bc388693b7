"""The parse layer's output: one record per non-empty cell, with where it stood and what it means."""

from __future__ import annotations

from typing import NamedTuple


class Cell(NamedTuple):
    sheet_kind: str  # cover | activities | prisons | outcomes
    sheet_name: str
    row_no: int  # Excel row number (1-based)
    col_no: int  # Excel column number (1-based)
    cell_ref: str | None  # "B7"; None for a value the pipeline derived (a blank Activity ID)
    header: str | None  # the column header or cover label as written
    field: str | None  # form field or indicator code; None for a column kept aside (unknown header)
    year: int | None  # Prisons: the year column; else None
    raw: str  # the value as sent, as text
    value: str | None  # canonical text (code, ISO date, plain number) or the text as sent when it is not
    obs_status: str | None  # Prisons: A E P M Z
    is_error: bool  # an Excel error cell (#DIV/0!, #REF!)


CELL_COLUMNS = list(Cell._fields)
