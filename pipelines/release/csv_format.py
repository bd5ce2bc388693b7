"""The release's CSV conventions (spec `published-dataset.md`, "CSV conventions"), byte for byte.

UTF-8 without BOM, comma, one header row, RFC 4180 quoting (a field is quoted only when it holds a
comma, a double quote, CR or LF; quotes inside are doubled), `\\n` line ends, dates `YYYY-MM-DD`,
decimal point `.`, no thousands separators, integers without `.0`, numbers in their shortest
round-trip positional form (no exponent), booleans `true`/`false`, a missing value is an empty
field, rows sorted by the primary key. A text field (string-typed column) whose first character is
`=`, `+`, `-`, `@`, tab or CR is written with a leading `'` (formula neutralisation).

The writer is a pure function of the frame's values: same frames, same bytes. It refuses what it
cannot write faithfully (a float in an integer column that is not whole, an infinite number, a
missing or duplicate primary key, a column missing from or foreign to the layout) with
`ReleaseDataError` rather than guess.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import numbers
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines.release.layout import Column, Table

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTES = (",", '"', "\n", "\r")


class ReleaseDataError(ValueError):
    """A frame's value cannot be written under the release's CSV conventions."""


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):  # includes numpy.float64
        return math.isnan(value)
    if isinstance(value, np.floating):
        return bool(np.isnan(value))
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    return False


def neutralise(text: str) -> str:
    """Prefix `'` to a text a spreadsheet would run as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def format_number(value: float) -> str:
    """Shortest round-trip positional form: 1162.0 -> `1162`, 87.3 -> `87.3`, 1e-05 -> `0.00001`."""
    if math.isinf(value):
        raise ValueError(f"infinite number {value!r}")
    text = np.format_float_positional(float(value), unique=True, trim="-")
    return "0" if text == "-0" else text


def _where(table: Table, column: Column) -> str:
    return f"{table.name}.{column.name}"


def _typed(table: Table, column: Column, value: Any) -> Any:
    """The value as the Python object written for it (str, int, float, bool, date), or None if missing.

    String columns come back already neutralised, so sorting and writing see the same text.
    """
    if is_missing(value):
        return None
    where = _where(table, column)
    kind = column.type
    if kind == "string":
        if column.multi:
            # `;`-separated lists: accept a list/tuple too; STANDARD codes are sorted (spec).
            if isinstance(value, list | tuple | np.ndarray):
                items = [str(v).strip() for v in value if not is_missing(v) and str(v).strip()]
                value = ";".join(sorted(set(items)) if column.list_of else items)
            elif isinstance(value, str) and column.list_of:
                value = ";".join(sorted({part.strip() for part in value.split(";") if part.strip()}))
        if not isinstance(value, str):
            raise ReleaseDataError(f"{where}: expected text, got {type(value).__name__} {value!r}")
        if value == "":
            return None
        return neutralise(value)
    if kind == "integer":
        if isinstance(value, bool | np.bool_):
            raise ReleaseDataError(f"{where}: expected an integer, got a boolean {value!r}")
        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, numbers.Real) and float(value).is_integer():
            return int(value)
        raise ReleaseDataError(f"{where}: expected an integer, got {type(value).__name__} {value!r}")
    if kind == "number":
        if isinstance(value, bool | np.bool_):
            raise ReleaseDataError(f"{where}: expected a number, got a boolean {value!r}")
        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, numbers.Real):
            number = float(value)
            if math.isinf(number):
                raise ReleaseDataError(f"{where}: infinite number {value!r}")
            return number
        raise ReleaseDataError(f"{where}: expected a number, got {type(value).__name__} {value!r}")
    if kind == "boolean":
        if isinstance(value, bool | np.bool_):
            return bool(value)
        raise ReleaseDataError(f"{where}: expected a boolean, got {type(value).__name__} {value!r}")
    if kind == "datetime":
        if isinstance(value, np.datetime64):
            value = pd.Timestamp(value)
        if isinstance(value, dt.datetime):  # naive values are UTC throughout the warehouse
            return (
                value.replace(tzinfo=None, microsecond=0)
                if value.tzinfo is None
                else value.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
            )
        raise ReleaseDataError(f"{where}: expected a datetime, got {type(value).__name__} {value!r}")
    if kind == "date":
        if isinstance(value, np.datetime64):
            value = pd.Timestamp(value)
        if isinstance(value, dt.datetime):  # includes pandas.Timestamp
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                if len(value) == 10:
                    return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise ReleaseDataError(f"{where}: expected a date, got {type(value).__name__} {value!r}")
    raise AssertionError(f"{where}: unknown type {kind}")  # layout validates types


def format_value(value: Any) -> str:
    """Write a typed value (as `_typed` returns it) as the field's unquoted text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def quote(field: str) -> str:
    """RFC 4180: quote only when needed, double the quotes inside."""
    if any(char in field for char in _NEEDS_QUOTES):
        return '"' + field.replace('"', '""') + '"'
    return field


def format_line(fields: Iterable[str]) -> str:
    return ",".join(quote(f) for f in fields) + "\n"


def typed_rows(table: Table, frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """The frame's rows as typed tuples in layout column order, sorted by the primary key."""
    present = [str(c) for c in frame.columns]
    expected = list(table.column_names)
    missing = [c for c in expected if c not in present]
    foreign = [c for c in present if c not in expected]
    if missing or foreign or len(present) != len(set(present)):
        raise ReleaseDataError(
            f"{table.name}: columns do not match release layout 1"
            f" (missing: {missing or 'none'}; not in the layout: {foreign or 'none'})"
        )
    columns = [[_typed(table, column, v) for v in frame[column.name].tolist()] for column in table.columns]
    rows = list(zip(*columns, strict=True)) if columns else []
    if not table.primary_key:
        return rows
    positions = [table.column_names.index(k) for k in table.primary_key]
    seen: set[tuple[Any, ...]] = set()
    for row in rows:
        key = tuple(row[p] for p in positions)
        if any(part is None for part in key):
            raise ReleaseDataError(f"{table.name}: missing primary key value in row with key {key!r}")
        if key in seen:
            raise ReleaseDataError(f"{table.name}: duplicate primary key {key!r}")
        seen.add(key)
    return sorted(rows, key=lambda row: tuple(row[p] for p in positions))


def text_rows(table: Table, frame: pd.DataFrame) -> list[list[str]]:
    """The frame's rows as the CSV's field texts (unquoted), sorted as written."""
    return format_rows(typed_rows(table, frame))


def format_rows(rows: Iterable[Sequence[Any]]) -> list[list[str]]:
    """Typed rows (as `typed_rows` returns them) as the CSV's field texts (unquoted)."""
    return [[format_value(v) for v in row] for row in rows]


def parse_text(column: Column, text: str) -> Any:
    """The typed value a CSV field's text stands for: the inverse of `format_value` for the column's type.

    Used where a table exists only as text (changes.csv) and must be written typed (Parquet).
    String columns come back as written (a neutralised text keeps its `'`).
    """
    if text == "":
        return None
    kind = column.type
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    if kind == "boolean":
        if text not in ("true", "false"):
            raise ReleaseDataError(f"{column.name}: not a boolean: {text!r}")
        return text == "true"
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "datetime":
        return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    return text


def write_csv_bytes(table: Table, frame: pd.DataFrame) -> bytes:
    """The CSV file of a table, as bytes."""
    return rows_to_csv_bytes(table, text_rows(table, frame))


def rows_to_csv_bytes(table: Table, rows: Sequence[Sequence[str]]) -> bytes:
    """Header plus already formatted rows (in the order given), as bytes."""
    out = io.StringIO()
    out.write(format_line(table.column_names))
    for row in rows:
        if len(row) != len(table.columns):
            raise ReleaseDataError(
                f"{table.name}: row has {len(row)} fields, layout has {len(table.columns)}"
            )
        out.write(format_line(row))
    return out.getvalue().encode("utf-8")


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a release CSV back as text records (header -> field text, as written)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [dict(row) for row in csv.DictReader(handle)]
