"""The parse layer's output: one record per non-empty cell, with where it stood and what it means."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import pyarrow as pa


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

# Cells travel from the parse workers to the writing process, and into DuckDB, as an Arrow table with
# the submission id in front: built column by column in C, pickled as a few buffers instead of an
# object per value, and scanned by DuckDB without looking at a Python object.
_NOT_TEXT = {"row_no": pa.int64(), "col_no": pa.int64(), "year": pa.int64(), "is_error": pa.bool_()}
CELL_TABLE_SCHEMA = pa.schema(
    [("submission_id", pa.string())] + [(name, _NOT_TEXT.get(name, pa.string())) for name in CELL_COLUMNS]
)


def cells_table(submission_ids: Sequence[str], cells: Sequence[Cell]) -> pa.Table:
    """One row per cell: `submission_ids[i]` is the submission of `cells[i]`."""
    columns = [submission_ids, *zip(*cells, strict=True)] if cells else [[] for _ in CELL_TABLE_SCHEMA]
    arrays = [pa.array(column, field.type) for column, field in zip(columns, CELL_TABLE_SCHEMA, strict=True)]
    return pa.Table.from_arrays(arrays, schema=CELL_TABLE_SCHEMA)


def cells_of_table(table: pa.Table) -> list[Cell]:
    """The Cells a `cells_table` holds, in its order (the submission id column aside)."""
    columns = [column.to_pylist() for column in table.columns[1:]]
    return [tuple.__new__(Cell, row) for row in zip(*columns, strict=True)]
