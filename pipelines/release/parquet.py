"""The Parquet twin of each release CSV: the same typed rows, in the same order, with real column types.

Written with pyarrow from the rows `csv_format.typed_rows` produces for the CSV, so the two files
cannot disagree: integers as int64, numbers as float64, booleans as bool, dates as date32,
datetimes as timestamp(us, UTC), text as string. Text is the CSV's text, formula neutralisation
(a leading `'`) included, so a value reads the same in both files. Columns the layout marks
required are non-nullable.

Deterministic: pyarrow 22 writes no creation time; its only key-value metadata is `ARROW:schema`
(the serialised schema) and its `created_by` names the library version. Every option that shapes
the bytes is pinned below, so the same rows give the same bytes (tests check it); a pyarrow
upgrade may change `created_by` and so the bytes, never the data.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.release.csv_format import ReleaseDataError
from pipelines.release.layout import Column, Table

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
}

# Everything that decides the bytes, pinned rather than left to pyarrow's defaults.
WRITE_OPTIONS: dict[str, Any] = {
    "version": "2.6",
    "compression": "snappy",
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_version": "1.0",
    "store_schema": True,
}


def arrow_type(column: Column) -> pa.DataType:
    return ARROW_TYPES[column.type]


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema(
        [pa.field(column.name, arrow_type(column), nullable=not column.required) for column in table.columns]
    )


def _utc(column: Column, values: Sequence[Any]) -> Sequence[Any]:
    # csv_format gives datetimes naive in UTC; say so, so pyarrow cannot read them as local time.
    if column.type == "datetime":
        return [None if v is None else v.replace(tzinfo=dt.UTC) for v in values]
    return values


def arrow_table_from_columns(table: Table, columns: Sequence[Sequence[Any]]) -> pa.Table:
    """Typed columns (layout order) as an Arrow table with the layout's types."""
    arrays = []
    for column, values in zip(table.columns, columns, strict=True):
        array = pa.array(_utc(column, values), type=arrow_type(column))
        if column.required and array.null_count:  # pyarrow would write a broken non-nullable column
            raise ReleaseDataError(f"{table.name}.{column.name}: {array.null_count} missing required values")
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=arrow_schema(table))


def arrow_table(table: Table, rows: Sequence[Sequence[Any]]) -> pa.Table:
    """Typed rows (layout column order) as an Arrow table with the layout's types."""
    columns = [[row[i] for row in rows] for i in range(len(table.columns))]
    return arrow_table_from_columns(table, columns)


def _write(arrow: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(arrow, buffer, **WRITE_OPTIONS)
    return buffer.getvalue()


def parquet_bytes(table: Table, rows: Sequence[Sequence[Any]]) -> bytes:
    """The Parquet file of a table, from the typed rows the CSV is written from (in the order given)."""
    return _write(arrow_table(table, rows))


def parquet_bytes_from_columns(table: Table, columns: Sequence[Sequence[Any]]) -> bytes:
    """The same file from the same values held column by column (`csv_format.TypedTable.columns`)."""
    return _write(arrow_table_from_columns(table, columns))
