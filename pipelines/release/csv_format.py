"""The release's CSV conventions (spec `published-dataset.md`, "CSV conventions"), byte for byte.

UTF-8 without BOM, comma, one header row, RFC 4180 quoting (a field is quoted only when it holds a
comma, a double quote, CR or LF; quotes inside are doubled), `\\n` line ends, dates `YYYY-MM-DD`,
decimal point `.`, no thousands separators, integers without `.0`, numbers in their shortest
round-trip positional form (no exponent), booleans `true`/`false`, a missing value is an empty
field, rows sorted by the primary key. A text field (string-typed column) whose first character is
`=`, `+`, `-`, `@`, tab or CR is written with a leading `'` (formula neutralisation).

It works a column at a time (`typed_table`, `text_columns`, `columns_to_csv_bytes`): whole numpy
columns where the dtype says what every value is, texts typed and every value formatted once per
distinct value (`distinct.py`), rows ordered by numpy, a light step per cell otherwise. `_typed` and
`format_value` are the rules for one value; the column functions give exactly what they give (the
tests hold one against the other), and fall back to `_typed` for any value out of the ordinary.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines.release.distinct import as_list, distinct, map_distinct, sort_order, spread, take
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


@dataclass(frozen=True, eq=False)
class TypedTable:
    """A table's values as `_typed` returns them, column by column in layout order, rows sorted by
    the primary key: what the CSV, its Parquet twin and the changelog are all made from."""

    table: Table
    columns: tuple[list[Any], ...]

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def rows(self) -> list[tuple[Any, ...]]:
        return list(zip(*self.columns, strict=True))


def _check_columns(table: Table, frame: pd.DataFrame) -> None:
    present = [str(c) for c in frame.columns]
    expected = list(table.column_names)
    missing = [c for c in expected if c not in present]
    foreign = [c for c in present if c not in expected]
    if missing or foreign or len(present) != len(set(present)):
        raise ReleaseDataError(
            f"{table.name}: columns do not match release layout 1"
            f" (missing: {missing or 'none'}; not in the layout: {foreign or 'none'})"
        )


def _typed_column(table: Table, column: Column, series: pd.Series) -> list[Any] | np.ndarray:
    """`[_typed(table, column, v) for v in series.tolist()]`, whole columns at a time where the dtype
    allows it: the same values, without a Python call per cell. Anything unusual (object columns of
    other types, values `_typed` refuses) takes the per-cell path, which raises the precise error."""
    fast = _typed_column_fast(column, series)
    if fast is not None:
        return fast
    if column.type == "string":
        texts = _typed_texts(table, column, series)
        if texts is not None:
            return texts
    values = series.tolist()
    if column.type == "string" and column.list_of is None:
        # Text and None, the usual values, inline; `_typed` for the rest (NaN, a list, a number...).
        return [
            (neutralise(v) if v else None) if type(v) is str else _typed(table, column, v) for v in values
        ]
    return [_typed(table, column, v) for v in values]


def _typed_column_fast(column: Column, series: pd.Series) -> list[Any] | None:
    """The typed values of a column whose dtype says what every value is; None: no fast path."""
    dtype = series.dtype
    kind = column.type
    if kind in ("integer", "number") and pd.api.types.is_integer_dtype(dtype):  # int64, Int64, int32 ...
        values = series.tolist()  # Python ints, pd.NA for missing
        return [None if v is pd.NA else v for v in values] if series.hasnans else values
    if kind in ("integer", "number") and pd.api.types.is_float_dtype(dtype):
        numbers = series.to_numpy(dtype="float64", na_value=np.nan)
        missing = np.isnan(numbers)
        present = numbers[~missing]
        if not np.isfinite(present).all():
            return None  # infinite: refused cell by cell
        if kind == "integer":
            if (np.abs(present) >= 2.0**62).any() or (present != np.floor(present)).any():
                return None  # not whole (refused), or too large for int64: cell by cell
            values = numbers.copy()
            values[missing] = 0
            typed: list[Any] = values.astype(np.int64).tolist()
        else:
            typed = numbers.tolist()
        for i in np.flatnonzero(missing).tolist():
            typed[i] = None
        return typed
    if kind == "boolean" and isinstance(dtype, np.dtype) and dtype == np.bool_:
        return series.tolist()
    if kind in ("date", "datetime") and isinstance(dtype, np.dtype) and dtype.kind == "M":
        if kind == "datetime" and np.datetime_data(dtype)[0] == "ns":
            return None  # `_typed` keeps nanoseconds on a pandas Timestamp: cell by cell
        # numpy floors to the unit, as `_typed` drops the time / the microseconds; naive = UTC.
        unit = "datetime64[D]" if kind == "date" else "datetime64[s]"
        stamps = series.to_numpy().astype(unit)
        present = stamps[~np.isnat(stamps)]
        if present.size and (present.min() < _FIRST_DAY or present.max() > _LAST_DAY):
            return None  # outside what datetime.date can hold: numpy would give ints
        return stamps.astype(object).tolist()  # date / datetime objects, None for NaT
    return None


# What may stand for a missing value in a text column: `pandas.factorize` codes these -1, and `_typed`
# gives None for each (`is_missing`). Anything else it codes -1 (a Decimal NaN, ...) goes cell by cell.
_MISSING_TYPES = frozenset({type(None), float, np.float64, type(pd.NA), type(pd.NaT)})


def _typed_texts(table: Table, column: Column, series: pd.Series) -> np.ndarray | None:
    """The typed values of a column of texts and missing values: `_typed` once per distinct text
    (neutralised, a `;`-list sorted, "" made None), spread back to every cell. None when a value is
    not exactly a `str` or a plain missing value: those take the per-cell path."""
    values = series.to_numpy(dtype=object)
    found = distinct(values)
    if found is None:
        return None
    codes, uniques = found
    if not all(type(u) is str for u in uniques):
        return None
    missing = codes < 0
    if missing.any() and not set(map(type, values[missing])) <= _MISSING_TYPES:
        return None
    if column.list_of is None:  # what `_typed` does to a text, inline: "" is missing, the rest neutralised
        typed = [neutralise(u) if u else None for u in uniques]
    else:  # a list of codes, sorted
        typed = [_typed(table, column, u) for u in uniques]
    return spread(codes, typed, None)


_FIRST_DAY = np.datetime64("0001-01-01")
_LAST_DAY = np.datetime64("9999-12-31")


def typed_table(table: Table, frame: pd.DataFrame) -> TypedTable:
    """The frame's values typed (`_typed`), in layout column order, rows sorted by the primary key."""
    _check_columns(table, frame)
    typed = [_typed_column(table, column, frame[column.name]) for column in table.columns]
    if table.primary_key and typed:
        order = sort_order([typed[table.column_names.index(k)] for k in table.primary_key])
        if order is not None:  # every key complete and unique: sorted by numpy
            return TypedTable(table, tuple(take(values, order) for values in typed))
    columns = [as_list(values) for values in typed]
    if not table.primary_key or not columns:
        return TypedTable(table, tuple(columns))
    # Otherwise find the missing or duplicate key (or let sorting raise) as the rule says it.
    keys = list(zip(*(columns[table.column_names.index(k)] for k in table.primary_key), strict=True))
    seen: set[tuple[Any, ...]] = set()
    for key in keys:
        if any(part is None for part in key):
            raise ReleaseDataError(f"{table.name}: missing primary key value in row with key {key!r}")
        if key in seen:
            raise ReleaseDataError(f"{table.name}: duplicate primary key {key!r}")
        seen.add(key)
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return TypedTable(table, tuple([values[i] for i in order] for values in columns))


def typed_rows(table: Table, frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """The frame's rows as typed tuples in layout column order, sorted by the primary key."""
    return typed_table(table, frame).rows()


# How each layout type's typed values (str, int, float, bool, date, datetime; see `_typed`) are
# written: `format_value`, one column at a time.
def _format_number_or_int(value: int | float) -> str:
    return str(value) if type(value) is int else format_number(value)


_FORMATTERS: dict[str, Any] = {
    "string": None,  # the text itself
    "integer": str,
    "number": _format_number_or_int,
    "boolean": lambda value: "true" if value else "false",
    "date": dt.date.isoformat,
    "datetime": lambda value: value.strftime("%Y-%m-%dT%H:%M:%SZ"),
}


def _format_float(value: float) -> str:
    """`format_number`, faster for the usual magnitudes: Python's `repr` of a float is its shortest
    round-trip digits, as numpy's `format_float_positional(unique=True)` (numpy made them agree in
    1.14); only its exponent form (below 1e-4, from 1e16) and `.0` differ, and those go to
    `format_number` or lose the `.0`."""
    text = repr(value)
    if "e" in text or "n" in text:  # 1e-05, 1e+16; inf and nan are refused by format_number
        return format_number(value)
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def _format_number_column(values: list[Any]) -> list[Any] | None:
    """The texts of a number column, once per distinct value, when its values are all floats or all
    ints (one type: `factorize` would merge an int with an equal float, and 10**23 is written
    unlike the float equal to it). None for a mixed column."""
    kinds = set(map(type, values)) - {type(None)}
    if kinds == {float}:
        return map_distinct(values, _format_float, "")
    if kinds == {int}:
        return map_distinct(values, str, "")
    return None


def text_columns(typed: TypedTable) -> list[list[str]]:
    """The CSV's field texts (unquoted), column by column: `format_value` of every typed value,
    computed once per distinct value of the column."""
    out = []
    for column, values in zip(typed.table.columns, typed.columns, strict=True):
        formatter = _FORMATTERS[column.type]
        texts = None
        if column.type == "number":
            texts = _format_number_column(values)
        elif formatter is None:  # texts are written as they are: only None needs a text
            texts = ["" if v is None else v for v in values]
        else:  # one type per column: int, bool, date or datetime (`_typed`)
            texts = map_distinct(values, formatter, "")
        if texts is None:
            texts = ["" if v is None else v if formatter is None else formatter(v) for v in values]
        out.append(texts)
    return out


def text_rows(table: Table, frame: pd.DataFrame) -> list[list[str]]:
    """The frame's rows as the CSV's field texts (unquoted), sorted as written."""
    return [list(row) for row in zip(*text_columns(typed_table(table, frame)), strict=True)]


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
    return columns_to_csv_bytes(table, text_columns(typed_table(table, frame)))


def _quoted_column(fields: list[str]) -> list[str]:
    """`quote` of every field; one scan of the whole column first, as most columns need none."""
    joined = "\0".join(fields)
    if any(char in joined for char in _NEEDS_QUOTES):
        return [quote(f) for f in fields]
    return fields


def columns_to_csv_bytes(table: Table, columns: Sequence[list[str]]) -> bytes:
    """Header plus already formatted columns (rows in the order given), as bytes: the same bytes as
    `rows_to_csv_bytes` of the same fields row by row."""
    if len(columns) != len(table.columns):
        raise ReleaseDataError(f"{table.name}: {len(columns)} columns, layout has {len(table.columns)}")
    lines = [",".join(row) for row in zip(*(_quoted_column(c) for c in columns), strict=True)]
    lines.append("")  # every line ends with \n, the last one too
    return (format_line(table.column_names) + "\n".join(lines)).encode("utf-8")


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
