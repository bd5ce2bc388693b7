"""A run killed with SIGKILL at several points (receiving, parsing, validating, publishing, writing
the release) leaves the warehouse consistent after each kill, and the next run completes with
exactly what an uninterrupted run over the same files gives: same statuses, same published rows
(none doubled, none lost), byte-identical release CSVs, and `latest` a complete release.

Found here: the killed run kept its slot of the Dagster `duckdb` pool (limit 1, deploy/dagster.yaml)
and the next `make run` waited for it forever; `make run` now fails dead runs of its own and frees
their slots first (assets.instance.recover_dead_runs), and no test step does it by hand."""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb
import pytest

from pipelines.release.layout import DATA_TABLES
from pipelines.synthetic.generator import generate
from tests.hostile.runner import run_pipeline_process

pytestmark = pytest.mark.slow

STATES = "KAZ FRA DEU BRA IND CHN NGA KEN MEX ARG RUS TUR EGY ZAF JPN KOR IDN PAK BGD VNM".split()
# (a line of the run's output, seconds after it): the SIGKILL lands in the step that follows.
KILL_POINTS = [
    ("received", 0.0),  # receiving committed; parsing starts
    ("received", 0.4),  # in the middle of parsing
    ("for ephemeral docs site", 1.0),  # Great Expectations validating
    ("published years", 0.0),  # published tables written; the release is being cut
    ("published years", 1.5),  # the release folder being written or `latest` swapped
]
RUN_TIMEOUT = 300  # a run that has not finished by then is stuck
FINAL_STATUSES = {"ACCEPTED", "ACCEPTED_WITH_WARNINGS", "REJECTED", "SUPERSEDED", "DUPLICATE"}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("crash") / "inputs"
    generate(folder, range(2023, 2024), seed=1, states=STATES)  # returns, resubmissions, non-returns
    return folder


def test_a_killed_run_leaves_the_warehouse_consistent_and_the_next_run_repairs_it(inputs, tmp_path):
    reference = tmp_path / "reference"
    clean = run_pipeline_process(inputs, reference)
    assert clean.returncode == 0, clean

    warehouse = tmp_path / "killed"
    landed = []
    for trigger, delay in KILL_POINTS:
        run = run_pipeline_process(inputs, warehouse, kill_on=trigger, kill_after=delay, timeout=RUN_TIMEOUT)
        landed.append((trigger, delay, run.killed, run.returncode))
        assert_consistent(warehouse)
    assert sum(killed for _, _, killed, _ in landed) >= len(KILL_POINTS) - 1, landed

    final = run_pipeline_process(inputs, warehouse, timeout=RUN_TIMEOUT)
    assert final.returncode == 0, final
    assert_consistent(warehouse)
    assert snapshot(warehouse) == snapshot(reference), landed
    for table in DATA_TABLES:
        name = table.file_name
        assert release_bytes(warehouse, name) == release_bytes(reference, name), name
    statuses = {row[0] for row in read(warehouse, "SELECT DISTINCT status FROM received.submissions")}
    assert statuses <= FINAL_STATUSES  # nothing left half-way
    leftovers = [p.name for p in (warehouse / "releases").iterdir() if p.name.startswith(".partial-")]
    leftovers += [p.name for p in (warehouse / "archive").rglob(".*.partial")]
    assert leftovers == []  # what the killed runs left half-written was cleared


def read(warehouse: Path, sql: str) -> list[tuple]:
    """Read as the next run would find the file: a killed run's write-ahead log is replayed first."""
    with duckdb.connect(str(warehouse / "normsdata.duckdb")) as connection:
        return connection.execute(sql).fetchall()


def assert_consistent(warehouse: Path) -> None:
    """What must hold whenever no run is writing, whatever point the last one died at."""
    if (warehouse / "normsdata.duckdb").exists():
        # every layer's rows belong to a submission that reached that layer, and only once
        assert read(warehouse, HALF_LOADED) == []
        assert (
            read(warehouse, "SELECT submission_id FROM parsed.returns GROUP BY 1 HAVING count(*) > 1") == []
        )
        assert (
            read(warehouse, "SELECT submission_id FROM validated.covers GROUP BY 1 HAVING count(*) > 1") == []
        )
        published = {row[0] for row in read(warehouse, PUBLISHED_TABLES)}
        for table in [t for t in DATA_TABLES if t.name in published]:  # none before the first publish
            keys = ", ".join(table.primary_key)
            doubled = f"SELECT {keys} FROM published.{table.name} GROUP BY ALL HAVING count(*) > 1"  # noqa: S608
            assert read(warehouse, doubled) == [], table.name
    latest = warehouse / "releases" / "latest"
    if latest.exists() or latest.is_symlink():
        assert latest.is_symlink() and latest.resolve().parent == latest.parent.resolve()
        checked = subprocess.run(
            ["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=latest, capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


PUBLISHED_TABLES = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'published'"
# Rows of a layer whose submission's status says it never got there (or got past it and lost them).
HALF_LOADED = """
SELECT 'parsed row of a submission still RECEIVED', submission_id FROM parsed.returns
  JOIN received.submissions s USING (submission_id) WHERE s.status IN ('RECEIVED', 'DUPLICATE')
UNION ALL
SELECT 'parsed cells without a parsed return', submission_id FROM parsed.cells
  WHERE submission_id NOT IN (SELECT submission_id FROM parsed.returns WHERE status = 'PARSED')
UNION ALL
SELECT 'submission past parsing without a parsed return', submission_id FROM received.submissions
  WHERE status NOT IN ('RECEIVED', 'DUPLICATE')
    AND submission_id NOT IN (SELECT submission_id FROM parsed.returns)
UNION ALL
SELECT 'validated row of a submission not validated', submission_id FROM validated.covers
  JOIN received.submissions s USING (submission_id) WHERE s.status IN ('RECEIVED', 'PARSED', 'DUPLICATE')
UNION ALL
SELECT 'validated submission without its cover row', submission_id FROM received.submissions
  WHERE status IN ('ACCEPTED', 'ACCEPTED_WITH_WARNINGS', 'SUPERSEDED')
    AND submission_id NOT IN (SELECT submission_id FROM validated.covers)
"""


def snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    """Everything a consumer sees, by content (ids of validation batches left out: they are random)."""
    tables = {
        "statuses": "SELECT rel_path, status FROM received.submissions",
        "received.findings": "SELECT * FROM received.findings",
        "parsed.findings": "SELECT * FROM parsed.findings",
        "parsed.cells": "SELECT count(*), count(DISTINCT submission_id) FROM parsed.cells",
        "validated.findings": "SELECT * FROM validated.findings",
        "validated.activities": "SELECT * FROM validated.activities",
        "validated.prison_values": "SELECT * FROM validated.prison_values",
        **{f"published.{t.name}": f"SELECT * FROM published.{t.name}" for t in DATA_TABLES},  # noqa: S608
    }
    return {name: sorted(read(warehouse, sql), key=repr) for name, sql in tables.items()}


def release_bytes(warehouse: Path, file_name: str) -> bytes:
    return (warehouse / "releases" / "latest" / file_name).read_bytes()


def test_the_run_after_a_kill_starts_without_manual_recovery(inputs, tmp_path):
    warehouse = tmp_path / "warehouse"
    killed = run_pipeline_process(inputs, warehouse, kill_on="received", timeout=RUN_TIMEOUT)
    assert killed.killed, killed
    # No recovery step: the next run must get going by itself (its first step prints "received").
    rerun = run_pipeline_process(inputs, warehouse, kill_on="received", kill_after=0, timeout=45)
    assert rerun.killed, f"the run after the kill did not reach its first step in 45 s: {rerun}"
