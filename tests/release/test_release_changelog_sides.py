"""The changelog compares only the rows that differ between two releases, and says exactly what
comparing every row says; the previous release's CSVs read by pyarrow read as Python's csv reads them.

The reference is the rule as written: every coverage and prison row made a record and compared by
key (`sides(..., trim=False)`). Random releases, one derived from the other by the edits a new
return makes (rows added, withdrawn, revised, a status changed), and keys that are sometimes not
unique, where trimming must not be used at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.release import changelog_input
from pipelines.release.changelog import compare, render_markdown
from pipelines.release.changelog_input import COMPARED_COLUMNS, read_release_columns, sides
from pipelines.release.csv_format import rows_to_csv_bytes
from pipelines.release.layout import ACTIVITIES, COVERAGE, DATA_TABLES, PRISONS

STATES = ["KAZ", "KGZ", "FRA", ""]
STATUSES = ["ACCEPTED", "ACCEPTED_WITH_WARNINGS", "REJECTED", "SUPERSEDED"]


@st.composite
def prison_rows(draw, size: int) -> list[dict[str, str]]:
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(STATES[:3]), st.sampled_from(["2020", "2021"]), st.sampled_from("ABC")),
            max_size=size,
        )
    )  # duplicates allowed: a key that is not unique must switch trimming off
    return [
        {
            "iso3": iso3,
            "year": year,
            "indicator": indicator,
            "value": draw(st.sampled_from(["", "1", "2.5"])),
            "obs_status": draw(st.sampled_from(["A", "E", "M"])),
            "derived": draw(st.sampled_from(["true", "false"])),
            "reporting_year": draw(st.sampled_from(["2021", "2022"])),
            "submission_id": draw(st.sampled_from(["S1", "S2", "S3"])),
        }
        for iso3, year, indicator in keys
    ]


@st.composite
def coverage_rows(draw, size: int) -> list[dict[str, str]]:
    ids = draw(st.lists(st.sampled_from([f"S{i}" for i in range(8)]), max_size=size))
    return [
        {
            "submission_id": sid,
            "iso3": draw(st.sampled_from(STATES)),
            "reporting_year": draw(st.sampled_from(["", "2021", "2022"])),
            "status": draw(st.sampled_from(STATUSES)),
            "superseded_by": draw(st.sampled_from(["", "S1", "S7"])),
        }
        for sid in ids
    ]


def columns(table_name: str, rows: list[dict[str, str]]) -> dict[str, list[str]]:
    return {name: [row[name] for row in rows] for name in COMPARED_COLUMNS[table_name]}


@st.composite
def release(draw, previous: dict | None = None) -> dict[str, dict[str, list[str]]]:
    """A release's compared columns; with `previous`, mostly its rows, some edited, some new."""

    def rows_of(table_name: str, fresh) -> list[dict[str, str]]:
        if previous is None:
            return draw(fresh)
        old = [
            dict(zip(COMPARED_COLUMNS[table_name], values, strict=True))
            for values in zip(*previous[table_name].values(), strict=True)
        ]
        kept = [row for row in old if draw(st.integers(0, 9)) > 0]  # a few withdrawn
        for row in kept:
            if draw(st.integers(0, 5)) == 0:  # a few revised in one field
                name = draw(st.sampled_from(COMPARED_COLUMNS[table_name]))
                row[name] = draw(st.sampled_from(["", "1", "P", "SUPERSEDED", "S7", "KAZ"]))
        return kept + draw(fresh)

    return {
        ACTIVITIES.name: {"iso3": draw(st.lists(st.sampled_from(STATES), max_size=12))},
        PRISONS.name: columns(PRISONS.name, rows_of(PRISONS.name, prison_rows(6 if previous else 20))),
        "assistance_outcomes": {"iso3": draw(st.lists(st.sampled_from(STATES), max_size=6))},
        COVERAGE.name: columns(COVERAGE.name, rows_of(COVERAGE.name, coverage_rows(3 if previous else 8))),
    }


@st.composite
def two_releases(draw):
    previous = draw(release())
    return previous, draw(release(previous))


def changelog(current, previous, *, trim: bool) -> tuple[list, str]:
    now, before = sides(current, previous, trim=trim)
    changes = compare(now, before)
    markdown = render_markdown(
        changes, now, before, release_id="r2", previous_release_id="r1" if previous else None, synthetic=False
    )
    return changes, markdown


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_releases())
def test_comparing_the_rows_that_differ_says_what_comparing_every_row_says(releases):
    previous, current = releases
    assert changelog(current, previous, trim=True) == changelog(current, previous, trim=False)


def record(table_name: str, *values: str) -> dict[str, str]:
    return dict(zip(COMPARED_COLUMNS[table_name], values, strict=True))


def test_only_the_rows_that_differ_are_compared():
    """Trimming is real: an unchanged row is not among the records compared."""
    previous = {
        ACTIVITIES.name: {"iso3": ["KAZ"]},
        PRISONS.name: columns(
            PRISONS.name,
            [
                record(PRISONS.name, "KAZ", "2020", "A", "1", "A", "false", "2021", "S1"),
                record(PRISONS.name, "KAZ", "2021", "A", "2", "A", "false", "2021", "S1"),
            ],
        ),
        "assistance_outcomes": {"iso3": []},
        COVERAGE.name: columns(COVERAGE.name, [record(COVERAGE.name, "S1", "KAZ", "2021", "ACCEPTED", "")]),
    }
    current = {**previous, PRISONS.name: {k: list(v) for k, v in previous[PRISONS.name].items()}}
    current[PRISONS.name]["value"][1] = "3"
    now, before = sides(current, previous)
    assert [r["year"] for r in now.records[PRISONS.name]] == ["2021"]
    assert [r["value"] for r in before.records[PRISONS.name]] == ["2"]
    assert now.records[COVERAGE.name] == [] and before.records[COVERAGE.name] == []
    assert now.rows[PRISONS.name] == before.rows[PRISONS.name] == 2


# Fields a CSV reader can get wrong: quotes, separators and line breaks inside, empty text, unicode.
FIELD = st.text(alphabet=st.sampled_from(list("ab é,\"\n\r;'=")), max_size=5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(*(FIELD for _ in PRISONS.columns)), max_size=8))
def test_pyarrow_reads_a_release_csv_as_pythons_csv_module_does(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("release")
    path = folder / PRISONS.file_name
    path.write_bytes(rows_to_csv_bytes(PRISONS, [list(row) for row in rows]))
    names = COMPARED_COLUMNS[PRISONS.name]
    arrow = changelog_input._read_columns_arrow(path, names)
    assert arrow is not None  # the fast reader took it
    assert arrow == changelog_input._read_columns_python(path, names)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("iso3,year\nKAZ\n", "a row with fewer fields than the header"),
        ("iso3,year\nKAZ,2020,extra\n", "a row with more fields than the header"),
        ("iso3,iso3\nKAZ,KGZ\n", "a column name twice"),
    ],
)
def test_what_pyarrow_reads_otherwise_is_read_by_pythons_csv_module(tmp_path: Path, text, why):
    path = tmp_path / PRISONS.file_name
    path.write_text(text, encoding="utf-8")
    assert changelog_input._read_columns_arrow(path, ("iso3", "year")) is None, why
    columns = read_release_columns(tmp_path)[PRISONS.name]
    assert columns == changelog_input._read_columns_python(path, COMPARED_COLUMNS[PRISONS.name])
    assert columns["iso3"] == ["KAZ"]


def test_a_missing_file_or_one_without_the_compared_columns_reads_as_empty(tmp_path: Path):
    (tmp_path / COVERAGE.file_name).write_text("file_name,sha256\na.xlsx,00\n", encoding="utf-8")
    columns = read_release_columns(tmp_path)
    assert columns == {t.name: {} for t in DATA_TABLES}
    now, _ = sides(columns, None)
    assert now.rows == {t.name: 0 for t in DATA_TABLES}
