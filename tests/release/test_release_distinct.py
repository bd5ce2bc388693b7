"""Work once per distinct value (`distinct.py`), held against the per-cell rules it replaces: the
primary-key sort, number formatting, text typing, and the sharing of repeated texts in the frames."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import release_frames as frames
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_release_columns import assert_same_as_cell_by_cell

from pipelines.release.csv_format import (
    ReleaseDataError,
    _format_float,
    format_number,
    text_columns,
    typed_table,
)
from pipelines.release.distinct import map_distinct, sort_order
from pipelines.release.layout import ACTIVITIES
from pipelines.release.tables import share_repeated_text

KEY_PART = st.one_of(
    st.lists(st.text(alphabet="aAé'=-zZ ", max_size=3), min_size=1, max_size=1),
    st.lists(st.integers(-(2**70), 2**70), min_size=1, max_size=1),
    st.lists(st.dates(), min_size=1, max_size=1),
)


@st.composite
def key_columns(draw) -> list[list]:
    """One to three key columns, each of one type, as typed values are."""
    kinds = draw(st.lists(st.sampled_from(["text", "int", "date"]), min_size=1, max_size=3))
    rows = draw(st.integers(0, 30))
    values = {
        "text": st.text(alphabet="aAé'=-zZ ", max_size=3),
        "int": st.integers(-(2**70), 2**70),
        "date": st.dates(),
    }
    return [draw(st.lists(values[kind], min_size=rows, max_size=rows)) for kind in kinds]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key_columns())
def test_the_key_order_is_the_order_sorted_gives(columns):
    keys = list(zip(*columns, strict=True))
    order = sort_order(columns)
    if len(set(keys)) < len(keys):
        assert order is None  # a duplicate key: the caller finds it and says so
    else:
        assert order is not None
        assert order.tolist() == sorted(range(len(keys)), key=keys.__getitem__)


def test_a_missing_key_part_leaves_the_order_to_the_caller():
    assert sort_order([["a", None, "b"]]) is None
    assert sort_order([["a", "b"], [1, None]]) is None


@settings(max_examples=500, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_a_float_is_written_as_format_number_writes_it(value):
    assert _format_float(value) == format_number(value)


def test_the_float_forms_that_differ_from_repr():
    for value, text in [(1e-05, "0.00001"), (1e16, "10000000000000000"), (-0.0, "0"), (1162.0, "1162")]:
        assert _format_float(value) == format_number(value) == text


def test_map_distinct_calls_once_per_distinct_value():
    calls = []

    def upper(text: str) -> str:
        calls.append(text)
        return text.upper()

    assert map_distinct(["a", None, "b", "a", "a"], upper, "") == ["A", "", "B", "A", "A"]
    assert sorted(calls) == ["a", "b"]
    assert map_distinct([[1], [2]], upper, "") is None  # unhashable: the caller goes cell by cell


def test_integers_and_floats_in_one_number_column_are_written_each_by_its_own_rule():
    """1e23 and the integer equal to it compare equal but are written differently."""
    frame = frames.prisons().astype({"value": object})
    frame.loc[0, "value"] = 99999999999999991611392
    frame.loc[1, "value"] = 1e23
    assert frame.loc[0, "value"] == frame.loc[1, "value"]
    texts = text_columns(typed_table(frames_table("prisons"), frame))
    values = texts[frames_table("prisons").column_names.index("value")]
    assert "100000000000000000000000" in values and "99999999999999991611392" in values


def frames_table(name: str):
    from pipelines.release import layout

    return {t.name: t for t in layout.DATA_TABLES}[name]


def test_text_columns_are_typed_once_per_distinct_text_as_cell_by_cell():
    frame = pd.concat([frames.activities()] * 3, ignore_index=True)
    frame["activity_id"] = [f"A-{i}" for i in range(len(frame))]
    odd_titles = [frames.HYPERLINK, "", None, float("nan"), "+1", "x"]
    frame["title"] = [odd_titles[i % len(odd_titles)] for i in range(len(frame))]
    lists = ["UNTOC;SMR", "SMR;UNTOC", None, "SMR", " SMR ; UNTOC;"]
    frame["standards"] = [lists[i % len(lists)] for i in range(len(frame))]
    assert_same_as_cell_by_cell(ACTIVITIES, frame)


@pytest.mark.parametrize(
    ("odd", "kind"),
    [(Decimal("NaN"), "Decimal"), (3.5, "float"), (["a"], "list")],
    ids=["decimal-nan", "a-number", "a-list"],
)
def test_an_odd_value_in_a_text_column_takes_the_cell_by_cell_path(odd, kind):
    frame = frames.activities()
    frame["title"] = frame["title"].astype(object)
    frame.at[0, "title"] = odd
    with pytest.raises(ReleaseDataError, match=f"expected text, got {kind}"):
        typed_table(ACTIVITIES, frame)


def fresh(text: str) -> str:
    """An equal text that is another object (literals are held once by Python itself)."""
    return "".join(list(text))


def test_repeated_texts_are_held_once_and_nothing_else_changes():
    nan, missing = float("nan"), pd.NA
    texts = [fresh("Kazakhstan"), None, fresh("Kyrgyzstan"), nan, fresh("Kazakhstan"), missing]
    frame = pd.DataFrame(
        {
            "country": pd.Series(texts, dtype=object),
            "year": [2020, 2021, 2022, 2023, 2024, 2025],
            "mixed": pd.Series([fresh("a"), 1, 1.0, True, fresh("a"), None], dtype=object),
            "lists": pd.Series([["a"], fresh("b"), fresh("b"), None, ["a"], fresh("b")], dtype=object),
        }
    )
    before = {name: frame[name].tolist() for name in frame.columns}
    dtypes = frame.dtypes.to_dict()
    shared = share_repeated_text(frame)
    assert shared is frame and frame.dtypes.to_dict() == dtypes
    for name, values in before.items():
        after = frame[name].tolist()
        assert [type(v) for v in after] == [type(v) for v in values], name
        assert all(a is b or a == b for a, b in zip(after, values, strict=True)), name
    country = frame["country"].tolist()
    assert country[0] is country[4]  # one object for the two equal texts
    assert country[1] is None and country[5] is missing and math.isnan(country[3])  # missing as they were
    mixed = frame["mixed"].tolist()
    assert mixed[0] is mixed[4] and type(mixed[2]) is float and mixed[3] is True  # 1, 1.0, True kept apart
    lists = frame["lists"].tolist()
    assert lists[1] is lists[2] is lists[5] and lists[0] == ["a"]


def test_sharing_texts_of_a_frame_from_duckdb(tmp_path):
    import duckdb

    with duckdb.connect() as connection:
        frame = connection.execute(
            "SELECT 'KAZ' || (i % 3) AS iso3, i AS n, CASE WHEN i % 2 = 0 THEN NULL ELSE 'x' END AS note, "
            "DATE '2020-01-01' + i::INTEGER AS day FROM range(50) t(i)"
        ).df()
    expected = frame.copy(deep=True)
    share_repeated_text(frame)
    pd.testing.assert_frame_equal(frame, expected)
    assert len({id(v) for v in frame["iso3"]}) == 3
    assert frame["day"].dtype == expected["day"].dtype and isinstance(
        frame["day"].iloc[0], pd.Timestamp | dt.date
    )
    assert np.array_equal(frame["n"].to_numpy(), expected["n"].to_numpy())
