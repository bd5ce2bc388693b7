"""What the changelog compares: each release's tables as far as a change can show in them.

A release's changelog depends on few facts of each table: its row count, its rows per state
(activities, outcomes), and the coverage and prison rows themselves, by key. Between two
releases one return apart, almost every coverage and prison row is the same text in both. A row
whose compared fields (`COMPARED_COLUMNS`) are the same text in both releases, under a key unique in
each, makes no change of any kind: so only the rows that differ are made records and compared, and
the comparison costs what changed, not what the release holds. When a key is not unique (no release
this code wrote, but a folder may hold anything), every row is compared, as the rule is written.

The previous release is read from its CSVs (the text the comparison is about), only the compared
columns, with pyarrow's CSV reader (in C); a file pyarrow refuses is read again with Python's `csv`
module, which reads whatever the comparison always read.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv

from pipelines.release.layout import (
    ACTIVITIES,
    ASSISTANCE_OUTCOMES,
    COVERAGE,
    DATA_TABLES,
    PRISONS,
    Table,
)

Records = Sequence[Mapping[str, str]]
TextColumns = Mapping[str, Sequence[str]]  # column name -> field texts as written, in row order

# The columns the comparison reads, per data table; the rest of a row never makes a change, so only
# these are read (the previous release's too).
COMPARED_COLUMNS: dict[str, tuple[str, ...]] = {
    ACTIVITIES.name: ("iso3",),
    PRISONS.name: (
        "iso3",
        "year",
        "indicator",
        "value",
        "obs_status",
        "derived",
        "reporting_year",
        "submission_id",
    ),
    ASSISTANCE_OUTCOMES.name: ("iso3",),
    COVERAGE.name: ("submission_id", "iso3", "reporting_year", "status", "superseded_by"),
}
if set(COMPARED_COLUMNS) != {t.name for t in DATA_TABLES}:
    raise AssertionError("COMPARED_COLUMNS must name every data table")
# Tables whose rows are compared by key; the others only by count, per state.
KEYED_TABLES: tuple[Table, ...] = (COVERAGE, PRISONS)
COUNTED_TABLES: tuple[Table, ...] = (ACTIVITIES, ASSISTANCE_OUTCOMES)
if {t.name for t in (*KEYED_TABLES, *COUNTED_TABLES)} != set(COMPARED_COLUMNS):
    raise AssertionError("every data table is keyed or counted")
for _table in KEYED_TABLES:
    if not set(_table.primary_key) <= set(COMPARED_COLUMNS[_table.name]):
        raise AssertionError(f"{_table.name}: its primary key must be among its compared columns")


@dataclass(frozen=True)
class Side:
    """One release as the comparison sees it.

    `rows`: table -> rows. `per_state`: activities and outcomes -> iso3 -> rows. `records`: coverage
    and prisons -> records of their compared columns ("" for a column the file lacks): every row,
    or (`sides`) only the rows that are not, as the same text, in the other release."""

    rows: Mapping[str, int]
    per_state: Mapping[str, Counter[str]]
    records: Mapping[str, Records]


def compared_records(table_name: str, columns: TextColumns) -> list[dict[str, str]]:
    """A table's rows as records of its `COMPARED_COLUMNS` ("" for a column it lacks)."""
    names = COMPARED_COLUMNS[table_name]
    return [dict(zip(names, row, strict=True)) for row in _row_tuples(table_name, columns)]


def _row_count(columns: TextColumns) -> int:
    return len(next(iter(columns.values()), ()))


def _row_tuples(table_name: str, columns: TextColumns) -> list[tuple[str, ...]]:
    """The rows' compared fields as tuples, in `COMPARED_COLUMNS` order."""
    rows = _row_count(columns)
    texts = [columns.get(name) or [""] * rows for name in COMPARED_COLUMNS[table_name]]
    return list(zip(*texts, strict=True))


def _keys_unique(table: Table, columns: TextColumns) -> bool:
    rows = _row_count(columns)
    keys = zip(*(columns.get(k) or [""] * rows for k in table.primary_key), strict=True)
    return len(set(keys)) == rows


def _side(tables: Mapping[str, TextColumns], rows: Mapping[str, list[tuple[str, ...]]]) -> Side:
    return Side(
        rows={t.name: _row_count(tables[t.name]) for t in DATA_TABLES},
        per_state={
            t.name: Counter(tables[t.name].get("iso3") or [""] * _row_count(tables[t.name]))
            for t in COUNTED_TABLES
        },
        records={
            t.name: [dict(zip(COMPARED_COLUMNS[t.name], row, strict=True)) for row in rows[t.name]]
            for t in KEYED_TABLES
        },
    )


def sides(
    current: Mapping[str, TextColumns], previous: Mapping[str, TextColumns] | None, *, trim: bool = True
) -> tuple[Side, Side | None]:
    """Both releases (table -> column -> texts; None: no previous release) as the comparison sees
    them, the keyed tables trimmed to the rows that differ where every key is unique (`trim=False`:
    every row, as the rule is written; the tests hold one against the other)."""
    now_rows = {t.name: _row_tuples(t.name, current[t.name]) for t in KEYED_TABLES}
    if previous is None:
        return _side(current, now_rows), None
    old_rows = {t.name: _row_tuples(t.name, previous[t.name]) for t in KEYED_TABLES}
    for table in KEYED_TABLES if trim else ():
        now, old = now_rows[table.name], old_rows[table.name]
        if _keys_unique(table, current[table.name]) and _keys_unique(table, previous[table.name]):
            now_set, old_set = set(now), set(old)
            now_rows[table.name] = [row for row in now if row not in old_set]
            old_rows[table.name] = [row for row in old if row not in now_set]
    return _side(current, now_rows), _side(previous, old_rows)


def _read_columns_python(path: Path, names: Sequence[str]) -> dict[str, list[str]]:
    """The named columns of a release CSV, as written; a column the file lacks is left out."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        positions = {name: header.index(name) for name in names if name in header}
        columns: dict[str, list[str]] = {name: [] for name in positions}
        for row in reader:
            if not row:  # a blank line, skipped as csv.DictReader does
                continue
            for name, i in positions.items():
                columns[name].append(row[i] if i < len(row) else "")
    return columns


def _read_columns_arrow(path: Path, names: Sequence[str]) -> dict[str, list[str]] | None:
    """The same columns read by pyarrow, every field as text ("" stays ""); None when the file is
    not the plain release CSV pyarrow reads the way `csv.reader` does (a duplicate column name, a row
    with another number of fields, a byte that is not UTF-8, ...)."""
    with path.open("rb") as handle:
        first = handle.readline()
    try:
        header = next(csv.reader([first.decode("utf-8")]), [])
    except UnicodeDecodeError:
        return None
    if len(set(header)) != len(header):
        return None  # csv.reader's `header.index` takes the first of equal names; pyarrow refuses
    present = [name for name in names if name in header]
    if not present:
        return {}
    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(use_threads=True),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=True),
            convert_options=pa_csv.ConvertOptions(
                include_columns=present,
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    # Through pandas: its conversion makes each distinct text one str (`to_pylist` is 15x slower).
    frame = table.to_pandas()
    return {name: frame[name].tolist() for name in present}


def read_release_columns(folder: Path) -> dict[str, dict[str, list[str]]]:
    """A release folder's data tables as their compared columns' texts (table -> column -> texts);
    a file it lacks, or one with none of the compared columns, reads as empty."""
    out: dict[str, dict[str, list[str]]] = {}
    for table in DATA_TABLES:
        path = folder / table.file_name
        names = COMPARED_COLUMNS[table.name]
        columns: dict[str, list[str]] = {}
        if path.is_file():
            arrow = _read_columns_arrow(path, names)
            columns = arrow if arrow is not None else _read_columns_python(path, names)
        out[table.name] = columns
    return out


def read_release_tables(folder: Path) -> dict[str, list[dict[str, str]]]:
    """A release folder's data tables as records of their compared columns; a file it lacks reads
    as empty."""
    return {
        name: compared_records(name, columns) if columns else []
        for name, columns in read_release_columns(folder).items()
    }
