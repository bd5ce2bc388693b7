"""Read a release's Parquet file back with DuckDB and hold it against its CSV (release and pipeline tests)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb

from pipelines.release.csv_format import format_value
from pipelines.release.layout import Table

# What DuckDB must see for each layout type: the Parquet file carries real types, not text.
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP WITH TIME ZONE",
}


def read_parquet(path: Path) -> tuple[list[str], list[str], list[tuple]]:
    """(column names, DuckDB types, rows in file order) of a Parquet file."""
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone = 'UTC'")
        relation = connection.read_parquet(str(path))
        return list(relation.columns), [str(t) for t in relation.types], relation.fetchall()
    finally:
        connection.close()


def csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def assert_parquet_matches_csv(folder: Path, table: Table) -> int:
    """The Parquet twin has the CSV's columns, the layout's types and the same rows in the same order.

    Returns the number of rows compared, so a caller can make sure the comparison was not empty.
    """
    columns, types, rows = read_parquet(folder / table.parquet_file_name)
    header, expected = csv_rows(folder / table.file_name)
    assert columns == header == list(table.column_names)
    assert types == [DUCKDB_TYPES[c.type] for c in table.columns], table.name
    for row in rows:
        for value in row:
            if isinstance(value, dt.datetime):
                assert value.utcoffset() == dt.timedelta(0), value
    assert [[format_value(v) for v in row] for row in rows] == expected, table.name
    return len(rows)
