"""Returns parsed on workers reach the writer as one Arrow table per batch; what is stored is the same."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from pipelines.parsed import parallel
from pipelines.parsed.cells import CELL_TABLE_SCHEMA, Cell, cells_of_table, cells_table
from pipelines.parsed.returns import REJECTED, parse_return
from pipelines.warehouse import store
from tests.parsed.conftest import synthetic_jobs

# Drifted returns, planted errors and the files that are not returns (CSV, legacy .xls, password...):
# shipped batches hold returns with cells and rejected ones without.
STATES = ["KAZ", "FRA", "ESP", "RUS", "KGZ", "ARG"]

STORED = {
    "parsed.cells": "SELECT * FROM parsed.cells ORDER BY ALL",
    "parsed.returns": "SELECT * FROM parsed.returns ORDER BY ALL",
    "parsed.findings": "SELECT * FROM parsed.findings ORDER BY ALL",
}


@pytest.fixture(scope="module")
def jobs(tmp_path_factory) -> list[parallel.Job]:
    return synthetic_jobs(tmp_path_factory.mktemp("inputs"), STATES)


def _shipped(results):
    """What a worker's batch becomes in the writing process: pickled and unpickled."""
    return pickle.loads(pickle.dumps(parallel._Shipment(results), protocol=pickle.HIGHEST_PROTOCOL))


def test_a_shipped_batch_arrives_as_the_returns_it_carries(jobs):
    sent = [parse_return(*job) for job in jobs]
    assert any(r.status == REJECTED and not r.cells for r in sent)  # empty slices travel too
    received = _shipped(sent)
    assert [type(r).__name__ for r in received] == ["ParsedReturn"] * len(sent)
    for before, after in zip(sent, received, strict=True):
        # the table is what the warehouse takes, unchanged...
        assert after.cell_table().equals(
            cells_table([before.submission_id] * len(before.cells), before.cells)
        )
        # ...and the Cells, made only when asked for, are the ones that were sent, with their types
        assert after.cells == before.cells
        assert all(type(cell) is Cell for cell in after.cells)
        assert [tuple(map(type, cell)) for cell in after.cells] == [tuple(map(type, c)) for c in before.cells]
        assert (after.submission_id, after.status, after.sheets, after.language) == (
            before.submission_id,
            before.status,
            before.sheets,
            before.language,
        )
        assert after.findings == before.findings


def test_cells_changed_after_arrival_are_what_the_table_then_holds(jobs):
    (received,) = _shipped([parse_return(*jobs[0])])
    assert received.cells  # made from the table
    received.cells.pop()  # a caller that edits the cells: the shipped table must not be used any more
    assert received.cell_table().num_rows == len(received.cells)
    assert cells_of_table(received.cell_table()) == received.cells


def test_a_shipped_return_pickles_again_without_its_table(jobs):
    (received,) = _shipped([parse_return(*jobs[0])])
    again = pickle.loads(pickle.dumps(received))
    assert again.cells == received.cells
    assert "_shipped_cells" not in vars(again)


def test_an_empty_table_has_the_schema():
    empty = cells_table([], [])
    assert empty.num_rows == 0 and empty.schema == CELL_TABLE_SCHEMA
    assert cells_of_table(empty) == []


def _stored(database: Path) -> dict[str, list[tuple]]:
    with store.reader(database) as connection:
        return {table: connection.execute(sql).fetchall() for table, sql in STORED.items()}


def test_the_warehouse_stores_the_same_rows_from_workers_as_from_this_process(jobs, tmp_path):
    in_process = [parse_return(*job) for job in jobs]
    from_workers = [r for chunk in parallel.parse_chunks(jobs, 5, workers=2, parallel_from=1) for r in chunk]
    assert any("_shipped_cells" in vars(r) for r in from_workers)  # the workers really shipped tables
    for name, results in (("here", in_process), ("workers", from_workers)):
        with store.writer(tmp_path / name / "normsdata.duckdb") as warehouse:
            warehouse.save_parsed(results[:3])
            warehouse.save_parsed(results)  # saved again: rows replaced, never doubled
    here, workers = (
        _stored(tmp_path / "here" / "normsdata.duckdb"),
        _stored(tmp_path / "workers" / "normsdata.duckdb"),
    )
    assert here == workers
    assert len(here["parsed.cells"]) == sum(len(r.cells) for r in in_process)
    assert here["parsed.cells"][0][0] in {job[1] for job in jobs}  # the submission id leads each row
