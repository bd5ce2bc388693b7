"""The column-at-a-time writer gives exactly what the cell-by-cell conventions give.

`csv_format.typed_table` converts whole columns when the dtype says what every value is (numpy and
nullable integers, floats, booleans, naive datetime64) and falls back to `_typed` per cell
otherwise; `text_columns` and `columns_to_csv_bytes` write them. The reference here is the writer
as it was: `_typed` on every cell, rows sorted by the primary key, `format_rows`, `rows_to_csv_bytes`,
`parquet_bytes` of the rows. Same values, same types, same bytes, for the dtypes the warehouse hands
over and for the odd ones a caller might.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
import release_frames as frames
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.release import layout
from pipelines.release.csv_format import (
    ReleaseDataError,
    _typed,
    columns_to_csv_bytes,
    format_rows,
    rows_to_csv_bytes,
    text_columns,
    typed_table,
)
from pipelines.release.layout import ACTIVITIES, COVERAGE, PRISONS, Table
from pipelines.release.parquet import parquet_bytes, parquet_bytes_from_columns


def reference_rows(table: Table, frame: pd.DataFrame) -> list[tuple]:
    """The typed rows, one `_typed` call per cell, sorted by the primary key."""
    columns = [[_typed(table, c, v) for v in frame[c.name].tolist()] for c in table.columns]
    rows = list(zip(*columns, strict=True))
    positions = [table.column_names.index(k) for k in table.primary_key]
    return sorted(rows, key=lambda row: tuple(row[p] for p in positions))


def same_value(fast, reference) -> bool:
    """Equal, of the same kind (a pandas Timestamp is a datetime; a bool is never an int here)."""
    if (type(fast) is bool) != (type(reference) is bool):
        return False
    if not (isinstance(fast, type(reference)) or isinstance(reference, type(fast))):
        return False
    if isinstance(fast, float) and math.isnan(fast):
        return isinstance(reference, float) and math.isnan(reference)
    return fast == reference and (
        not isinstance(fast, float) or math.copysign(1, fast) == math.copysign(1, reference)
    )


def assert_same_as_cell_by_cell(table: Table, frame: pd.DataFrame) -> None:
    reference = reference_rows(table, frame)
    typed = typed_table(table, frame)
    fast_rows = typed.rows()
    assert len(fast_rows) == len(reference)
    for fast_row, reference_row in zip(fast_rows, reference, strict=True):
        assert all(same_value(f, r) for f, r in zip(fast_row, reference_row, strict=True)), (
            fast_row,
            reference_row,
        )
    texts = text_columns(typed)
    assert [list(row) for row in zip(*texts, strict=True)] == format_rows(reference)
    assert columns_to_csv_bytes(table, texts) == rows_to_csv_bytes(table, format_rows(reference))
    assert parquet_bytes_from_columns(table, typed.columns) == parquet_bytes(table, reference)


@pytest.mark.parametrize(
    ("table", "frame"),
    [
        (ACTIVITIES, frames.activities()),
        (PRISONS, frames.prisons()),
        (layout.ASSISTANCE_OUTCOMES, frames.outcomes()),
        (COVERAGE, frames.coverage()),
        (COVERAGE, frames.coverage(corrected=True)),
    ],
    ids=["activities", "prisons", "outcomes", "coverage", "coverage-corrected"],
)
def test_hand_built_frames(table, frame):
    assert_same_as_cell_by_cell(table, frame)


def test_the_dtypes_duckdb_hands_over():
    """What `.df()` gives for the published tables: int32 years, Int64 counts with NA, datetime64[us]."""
    activities = frames.activities().astype({"reporting_year": "int32"})
    activities["start_date"] = pd.to_datetime(activities["start_date"]).astype("datetime64[us]")
    activities["end_date"] = pd.to_datetime(activities["end_date"]).astype("datetime64[us]")
    assert activities["end_date"].isna().any()
    assert_same_as_cell_by_cell(ACTIVITIES, activities)
    coverage = frames.coverage()
    coverage["received_at"] = (coverage["received_at"] + pd.Timedelta(microseconds=999_999)).astype(
        "datetime64[us]"
    )  # microseconds are dropped, not rounded
    assert_same_as_cell_by_cell(COVERAGE, coverage)
    assert (
        ",2022-03-01T10:15:00Z,"
        in columns_to_csv_bytes(COVERAGE, text_columns(typed_table(COVERAGE, coverage))).decode()
    )


def test_odd_dtypes_take_the_cell_by_cell_path_and_agree():
    prisons = frames.prisons()
    prisons["year"] = prisons["year"].astype("float64")  # whole floats in an integer column
    prisons["derived"] = prisons["derived"].astype(object)
    prisons["value"] = prisons["value"].astype(object)
    prisons.loc[0, "value"] = 1162  # an int in a number column stays an int
    assert_same_as_cell_by_cell(PRISONS, prisons)
    coverage = frames.coverage()
    coverage["received_at"] = coverage["received_at"].dt.tz_localize("Europe/Paris")  # tz-aware
    assert_same_as_cell_by_cell(COVERAGE, coverage)
    coverage["received_at"] = pd.to_datetime(["1969-12-31 23:59:59.5", None, "1700-01-01 00:00:01.9"])
    assert_same_as_cell_by_cell(COVERAGE, coverage)


@pytest.mark.parametrize(
    ("column", "dtype", "value", "message"),
    [
        ("participants_total", "float64", 1.5, "expected an integer"),
        ("participants_total", "float64", float("inf"), "expected an integer"),
        ("participants_total", "bool", True, "expected an integer, got a boolean"),
        ("reporting_year", "float64", float("nan"), "missing primary key"),
    ],
)
def test_what_the_fast_paths_cannot_write_is_still_refused(column, dtype, value, message):
    frame = frames.activities()
    if dtype == "bool":
        frame[column] = [bool(i % 2) for i in range(len(frame))]
    else:
        frame[column] = frame[column].astype(dtype)
        frame.loc[1, column] = value
    with pytest.raises(ReleaseDataError, match=message):
        typed_table(ACTIVITIES, frame)


def test_an_infinite_number_in_a_float_column_is_refused():
    frame = frames.prisons()
    frame.loc[2, "value"] = -np.inf
    with pytest.raises(ReleaseDataError, match="infinite"):
        typed_table(PRISONS, frame)


# Text a spreadsheet would run, fields needing quotes, empty text: what the writer must get right.
TEXT = st.text(alphabet=st.sampled_from(list("ab é,\"'\n\r\t=+-@;")), max_size=6)
NUMBER = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=False, width=64),
    st.sampled_from([0.0, -0.0, 1e-05, 1e20, 116.2, 0.1 + 0.2, 1162.0]),
)


@st.composite
def prison_frames(draw) -> pd.DataFrame:
    keys = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["KAZ", "KGZ", "FRA"]),
                st.integers(1990, 2030),
                st.sampled_from(layout.prison_indicators()),
            ),
            unique=True,
            max_size=25,
        )
    )
    rows = [
        {
            "iso3": iso3,
            "country": draw(st.one_of(st.none(), TEXT)),
            "region": draw(st.one_of(st.none(), TEXT)),
            "subregion": "Central Asia",
            "year": year,
            "indicator": indicator,
            "value": draw(NUMBER),
            "unit": draw(st.one_of(st.none(), TEXT)),
            "obs_status": draw(st.sampled_from(["A", "E", "M", None])),
            "derived": draw(st.booleans()),
            "reporting_year": draw(st.one_of(st.none(), st.integers(-(2**62), 2**62))),
            "submission_id": draw(TEXT.filter(bool)),
        }
        for iso3, year, indicator in keys
    ]
    frame = pd.DataFrame(rows, columns=list(PRISONS.column_names))
    year_dtype = draw(st.sampled_from(["int64", "int32", "Int64", "float64", "object"]))
    value_dtype = draw(st.sampled_from(["float64", "float32", "object"]))
    reporting_dtype = draw(st.sampled_from(["Int64", "object"]))
    frame = frame.astype({"year": year_dtype, "reporting_year": reporting_dtype, "derived": "bool"})
    if value_dtype != "float32":  # float32 rounds: the reference sees the same rounded values
        frame["value"] = frame["value"].astype(value_dtype)
    else:
        frame["value"] = frame["value"].astype("float64").clip(-1e30, 1e30).astype("float32")
    return frame


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prison_frames())
def test_any_prison_frame_gives_the_same_values_and_bytes(frame):
    assert_same_as_cell_by_cell(PRISONS, frame)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["datetime64[us]", "datetime64[ms]", "datetime64[s]", "datetime64[ns]"]),
)
def test_any_naive_datetimes_give_the_same_dates_and_times(stamps, unit):
    activities = pd.concat([frames.activities()] * 2, ignore_index=True).iloc[: len(stamps)].copy()
    activities["activity_id"] = [f"A-{i}" for i in range(len(activities))]
    activities["start_date"] = pd.Series(pd.to_datetime(stamps[: len(activities)])).astype(unit)
    assert_same_as_cell_by_cell(ACTIVITIES, activities)
    coverage = pd.concat([frames.coverage(corrected=True)] * 2, ignore_index=True).iloc[: len(stamps)].copy()
    coverage["submission_id"] = [f"S-{i}" for i in range(len(coverage))]
    coverage["received_at"] = pd.Series(pd.to_datetime(stamps[: len(coverage)])).astype(unit)
    assert_same_as_cell_by_cell(COVERAGE, coverage)
