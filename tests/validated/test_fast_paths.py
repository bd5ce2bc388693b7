"""The validate step's shortcuts answer as the plain ways they replace.

Real returns written as .xlsx, parsed into a real DuckDB file (the `warehouse` fixture,
tests/validated/planted.py), real GE validations in this process.
"""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.validated import suites
from pipelines.validated.judge import CellIndex, cells_of_sheets, judge, sheets_pointed_at
from pipelines.validated.validate import _reasons, suite_calls, suite_frames
from pipelines.warehouse import store
from tests.validated.planted import TODAY


@pytest.fixture(scope="module")
def calls(warehouse):
    database, ids = warehouse
    with store.writer(database) as writer:
        return suite_calls(suite_frames(writer.cells_of, ids, TODAY, group=100))


@pytest.fixture(scope="module")
def failures_and_cells(warehouse, calls):
    database, ids = warehouse
    with store.writer(database) as writer:
        cells = writer.cells_of(ids)
    failures, _ = suites.validate_all(calls, suites.parameters(TODAY.year))
    return failures, cells


def test_the_cells_come_as_the_plain_dataframe_fetch_gives_them(warehouse):
    database, ids = warehouse
    with store.writer(database) as writer:
        fetched = writer.cells_of(ids[:3])
        plain = writer.db.execute(
            "SELECT * FROM parsed.cells WHERE submission_id IN (SELECT unnest(?)) "
            "ORDER BY submission_id, sheet_kind, row_no, col_no",
            [ids[:3]],
        ).df()
    assert len(fetched) > 100
    assert fetched.dtypes.to_dict() == plain.dtypes.to_dict()  # year stays a nullable integer
    pd.testing.assert_frame_equal(fetched, plain)
    for column in ("obs_status", "raw", "field"):  # a missing text is None, as `.df()` gives it
        assert all(value is None for value in fetched[column][fetched[column].isna()])
        assert all(value is None for value in plain[column][plain[column].isna()])


def test_asking_only_the_failed_expectations_for_their_rows_finds_what_asking_all_finds(calls):
    params = suites.parameters(TODAY.year)
    failed_somewhere = 0
    for name, frame, index_columns in calls:
        in_two_passes = suites.validate(name, frame, index_columns, params)
        every_row_asked = suites.results_of(
            name, suites.expectation_suite(name), frame, params, suites.complete_format(index_columns)
        )
        in_one_pass = suites.read_outcomes(name, len(frame), every_row_asked)
        assert in_two_passes == in_one_pass
        failed_somewhere += sum(not summary.success for summary in in_two_passes[1])
        assert any(summary.success for summary in in_two_passes[1])
    assert failed_somewhere >= 3  # every planted defect fails an expectation of its own


def test_an_expectation_with_mostly_that_holds_still_counts_its_failing_rows(calls, monkeypatch):
    params = suites.parameters(TODAY.year)
    name, frame, index_columns = next(call for call in calls if call[0] == "activities")
    complete = suites.complete_format(index_columns)
    failing = next(
        outcome
        for outcome in suites.results_of(name, suites.expectation_suite(name), frame, params, complete)
        if not outcome.success and outcome.expectation_config.type.startswith("expect_column_values")
    )
    position = int(failing.expectation_config.id.rsplit("/", 1)[1])  # ids are "<suite>/<position>"
    failing_rows = failing.result["unexpected_count"]
    assert 0 < failing_rows < len(frame) / 2
    as_written = suites.suite_definition

    def tolerant(suite_name: str) -> dict:
        definition = as_written(suite_name)
        if suite_name == name:
            definition["expectations"][position]["kwargs"]["mostly"] = 0.5
        return definition

    monkeypatch.setattr(suites, "suite_definition", tolerant)
    suites.expectation_suite.cache_clear()
    try:
        in_two_passes = suites.validate(name, frame, index_columns, params)
        every_row_asked = suites.results_of(name, suites.expectation_suite(name), frame, params, complete)
        assert in_two_passes == suites.read_outcomes(name, len(frame), every_row_asked)
    finally:
        suites.expectation_suite.cache_clear()  # the suites as written, for the tests after this one
    summary = in_two_passes[1][position]
    assert summary.success and summary.unexpected_count == failing_rows


def test_the_index_of_the_sheets_failures_point_at_answers_as_that_of_all_cells(failures_and_cells):
    failures, cells = failures_and_cells
    rejected = {f.index["submission_id"] for f in failures if f.action == "reject"}
    sheets = sheets_pointed_at(failures, rejected)
    kept = cells_of_sheets(cells, sheets)
    assert (
        0 < len(kept) < len(cells)
    )  # the clean return's cells, and the others' unpointed sheets, are left out
    whole, few = CellIndex(cells), CellIndex(kept)
    asked = 0
    for failure in failures:
        submission, kind = failure.index["submission_id"], failure.suite
        if (submission, kind) not in sheets:
            continue
        position = None if kind == "cover" else int(failure.index["year" if kind == "prisons" else "row_no"])
        assert few.sheet(submission, kind) == whole.sheet(submission, kind) is not None
        assert few.errors(submission, kind, position) == whole.errors(submission, kind, position)
        for field_name in failure.cells or ("",):
            found = whole.find(submission, kind, position, field_name)
            assert few.find(submission, kind, position, field_name) == found
            empty = whole.empty_cell(submission, kind, position, field_name)
            assert few.empty_cell(submission, kind, position, field_name) == empty
            asked += 1
    assert asked > 250  # the BRA outcomes alone ask 250 times


def test_judging_with_the_index_of_all_cells_gives_the_same_verdict(failures_and_cells, monkeypatch):
    failures, cells = failures_and_cells
    quick = judge(failures, cells)
    monkeypatch.setattr("pipelines.validated.judge.cells_of_sheets", lambda every, sheets: every)
    plain = judge(failures, cells)
    assert quick.findings == plain.findings and quick.findings
    assert quick.rejected == plain.rejected == {"RUS"}
    assert dict(quick.quarantined_rows) == dict(plain.quarantined_rows) != {}


def test_quarantine_reasons_are_looked_up_only_where_a_submission_has_some():
    rows = pd.DataFrame(
        {
            "submission_id": ["A", "A", "B", "C", "A"],
            "indicator": ["X", "Y", "X", "X", "X"],
            "year": [2020, 2020, 2020, 2021, 2021],
        }
    )
    quarantined = {("A", "X", 2020): ["rule_1", "rule_2"], ("C", "X", 2021): ["rule_3"]}
    assert _reasons(rows, ["submission_id", "indicator", "year"], quarantined) == [
        "rule_1;rule_2",
        "",  # A has a quarantine, but not this cell
        "",
        "rule_3",
        "",
    ]
    assert _reasons(rows, ["submission_id", "indicator", "year"], {}) == [""] * 5
    by_row = {("B", 2020): ["women_not_above_total"]}
    assert _reasons(rows.rename(columns={"year": "row_no"}), ["submission_id", "row_no"], by_row) == [
        "",
        "",
        "women_not_above_total",
        "",
        "",
    ]


def test_an_empty_cell_is_still_placed_by_its_column_seen_only_on_the_header_row():
    def cell(submission, kind, row_no, ref, field_name):
        return {
            "submission_id": submission,
            "sheet_kind": kind,
            "sheet_name": kind.title(),
            "row_no": row_no,
            "cell_ref": ref,
            "field": field_name,
            "year": pd.NA,
            "raw": "x",
            "is_error": False,
        }

    cells = pd.DataFrame(
        [
            cell("A", "activities", 5, "A5", "activity_id"),  # the only row leaves `title` (column C) empty
            cell("A", "activities_header", 4, "C4", "title"),
            cell("A", "prisons", 6, "B6", "PRISONERS_TOTAL"),  # a sheet no failure points at
            cell("B", "activities_header", 4, "D4", "title"),  # another return: its title is elsewhere
        ]
    )
    cells["year"] = cells["year"].astype("Int32")
    kept = cells_of_sheets(cells, {("A", "activities")})
    assert kept["cell_ref"].tolist() == ["A5", "C4"]
    assert CellIndex(kept).empty_cell("A", "activities", 5, "title") == "C5"
