"""Validating a batch: the verdict does not depend on how the cells are loaded, and no failure is lost.

Returns are written as real .xlsx files, parsed, stored in a real DuckDB warehouse and read back
through the store, as the validate step does (the `warehouse` fixture, tests/validated/planted.py).
"""

from __future__ import annotations

import dataclasses
import gc
import weakref
from pathlib import Path

import pandas as pd

from pipelines.forms.return_writer import write_return
from pipelines.validated import suites
from pipelines.validated.frames import ROW_INDEX, outcomes_frame
from pipelines.validated.validate import Validated, validate_batch
from pipelines.warehouse import store
from tests.conftest import sample_return
from tests.validated.planted import MANY, TODAY


def _validate(database: Path, ids: list[str], group: int) -> Validated:
    with store.writer(database) as writer:
        return validate_batch(writer.cells_of, ids, [], TODAY, group)


def _rows(frame: pd.DataFrame) -> list[tuple]:
    return sorted(repr(row) for row in frame.itertuples(index=False))


def test_loading_the_cells_a_few_returns_at_a_time_changes_nothing(warehouse):
    database, ids = warehouse
    one_by_one, all_at_once = _validate(database, ids, group=1), _validate(database, ids, group=100)
    assert one_by_one.statuses == all_at_once.statuses
    assert sorted(map(repr, one_by_one.findings)) == sorted(map(repr, all_at_once.findings))
    for name in ("covers", "activities", "outcomes", "prison_values"):
        left, right = getattr(one_by_one, name), getattr(all_at_once, name)
        assert list(left.columns) == list(right.columns)
        assert left.dtypes.to_dict() == right.dtypes.to_dict()
        assert _rows(left) == _rows(right)
    assert one_by_one.statuses["RUS"] == "REJECTED"
    assert {f.rule for f in one_by_one.findings if f.submission_id == "FRA"} == {"women_not_above_total"}
    assert {f.rule for f in one_by_one.findings if f.submission_id == "ESP"} == {"thematic_area_code"}


def test_every_failure_of_a_rule_is_reported_beyond_the_200_ge_lists(warehouse):
    database, ids = warehouse
    validated = _validate(database, ids, group=100)
    related = [f for f in validated.findings if f.rule == "related_activity_exists"]
    assert len(related) == MANY
    assert {f.message for f in related} == {
        f"Related activity 'NO-SUCH-{i}' is not an Activity ID of this return's Activities sheet."
        for i in range(MANY)
    }
    outcomes = validated.outcomes[validated.outcomes["submission_id"] == "BRA"]
    assert len(outcomes) == MANY and outcomes["quarantined"].all()


def test_ge_keeps_no_reference_to_a_validated_frame(warehouse):
    database, _ = warehouse
    with store.writer(database) as writer:
        outcomes = outcomes_frame(writer.cells_of(["BRA"]))
    alive = weakref.ref(outcomes)
    failures, _ = suites.validate("outcomes", outcomes, ROW_INDEX, suites.parameters(TODAY.year))
    assert len(failures) == MANY
    del outcomes
    gc.collect()
    assert alive() is None  # the frame is not held until the next validation replaces it


def test_a_batch_without_failures_needs_no_second_read(warehouse):
    database, ids = warehouse
    reads: list[list[str]] = []
    with store.writer(database) as writer:

        def cells_of(some: list[str]) -> pd.DataFrame:
            reads.append(list(some))
            return writer.cells_of(some)

        validated = validate_batch(cells_of, ["KAZ"], [], TODAY, 100)
    assert validated.statuses == {"KAZ": "ACCEPTED"}
    assert reads == [["KAZ"]]


def test_outcome_rows_keep_their_content_whatever_the_group(warehouse):
    database, ids = warehouse
    validated = _validate(database, ids, group=2)
    kaz = validated.outcomes[validated.outcomes["submission_id"] == "KAZ"]
    written = [dataclasses.astuple(outcome)[:4] for outcome in sample_return("KAZ").outcomes]
    read = kaz[["outcome_area", "result_type", "description", "status"]].to_numpy()
    assert [tuple(row) for row in read] == written


def test_a_batch_whose_returns_report_no_activity_and_no_outcome_is_validated_and_saved(tmp_path):
    # Found by the benchmark: a run whose only new return had no Activities row failed with a
    # KeyError, because the empty activities frame lacked the typed helper columns.
    from pipelines import steps
    from pipelines.settings import Paths

    paths = Paths(tmp_path / "inputs", tmp_path / "warehouse")
    paths.inputs.mkdir()
    quiet = sample_return("ALB")
    quiet.activities, quiet.outcomes = [], []
    write_return(quiet, paths.inputs / "ALB_2023.xlsx")
    steps.receive_step(paths)
    steps.parse_step(paths)
    report = steps.validate_step(paths, today=TODAY)
    assert report.processed == 1
    assert report.statuses.get("ACCEPTED") == 1, report.statuses
    with store.reader(paths.database) as connection:
        assert connection.execute("SELECT count(*) FROM validated.activities").fetchone() == (0,)
        assert connection.execute("SELECT count(*) FROM validated.covers").fetchone() == (1,)
