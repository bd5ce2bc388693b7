"""A run killed with SIGKILL at several points (receiving, parsing, validating, publishing, writing
the release) leaves the warehouse consistent after each kill, and the next run completes with
exactly what an uninterrupted run over the same files gives: same statuses, same published rows
(none doubled, none lost), byte-identical release CSVs, and `latest` a complete release.

Found here: the killed run kept its slot of the Dagster `duckdb` pool (limit 1, deploy/dagster.yaml)
and the next `make run` waited for it forever; `make run` now fails dead runs of its own and frees
their slots first (assets.instance.recover_dead_runs), and no test step does it by hand."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.release.layout import DATA_TABLES
from pipelines.release.publish import PARTIAL_PREFIX
from pipelines.synthetic.generator import generate
from tests.hostile.runner import run_pipeline_process

pytestmark = pytest.mark.slow

STATES = "KAZ FRA DEU BRA IND CHN NGA KEN MEX ARG RUS TUR EGY ZAF JPN KOR IDN PAK BGD VNM".split()
# Six reporting years: ~150 returns, so parsing commits in two chunks (steps.PARSE_CHUNK = 100) and
# the first chunk's progress line marks the middle of parsing.
YEARS = range(2018, 2024)


def status_counts(warehouse: Path) -> dict[str, int]:
    return dict(read(warehouse, "SELECT status, count(*) FROM received.submissions GROUP BY 1"))


def received_not_parsed(warehouse: Path, pid: int) -> bool:
    found = status_counts(warehouse)
    return bool(found) and set(found) <= {"RECEIVED", "DUPLICATE"}


def parsed_in_part(warehouse: Path, pid: int) -> bool:
    found = status_counts(warehouse)
    return "RECEIVED" in found and bool(set(found) & {"PARSED", "REJECTED"})


def parsed_not_validated(warehouse: Path, pid: int) -> bool:
    found = status_counts(warehouse)
    validated = read(warehouse, "SELECT count(*) FROM validated.covers")
    return "PARSED" in found and "RECEIVED" not in found and validated == [(0,)]


def published_not_released(warehouse: Path, pid: int) -> bool:
    published = read(warehouse, PUBLISHED_TABLES)
    rows = read(warehouse, "SELECT count(*) FROM published.prisons") if ("prisons",) in published else [(0,)]
    return rows[0][0] > 0 and not (warehouse / "releases" / "latest").exists()


def release_partial(warehouse: Path, pid: int) -> bool:
    """The release folder this run (`pid`) is writing: `.partial-<release id>-<pid>`; one an
    earlier run left would not show this run in that phase."""
    releases = warehouse / "releases"
    return releases.is_dir() and any(
        p.name.startswith(PARTIAL_PREFIX) and p.name.endswith(f"-{pid}") for p in releases.iterdir()
    )


@dataclass(frozen=True)
class KillPoint:
    """Where a SIGKILL must land: it is sent the moment the run shows `line` (a line its output
    prints on entering the phase) or `marker` holds (a file the phase leaves), and `landed` checks
    afterwards, in what the run left, that the kill came inside the phase and not after it."""

    phase: str
    landed: Callable[[Path, int], bool]  # (warehouse, the run's pid)
    line: str | None = None
    marker: Callable[[Path, int], bool] | None = None


KILL_POINTS = [
    KillPoint("receiving committed, parsing not", received_not_parsed, line="new file(s)"),
    KillPoint("mid-parse: one chunk committed, the next not", parsed_in_part, line="parsed 100 of"),
    # Printed when validate_step takes the Great Expectations worker, its writer open.
    KillPoint("mid-validation", parsed_not_validated, line="the Great Expectations worker: the one started"),
    KillPoint("published, the release not cut", published_not_released, line="published years"),
    KillPoint("the release folder being written", release_partial, marker=release_partial),
]
RUN_TIMEOUT = 300  # a run that has not finished by then is stuck
FINAL_STATUSES = {"ACCEPTED", "ACCEPTED_WITH_WARNINGS", "REJECTED", "SUPERSEDED", "DUPLICATE"}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("crash") / "inputs"
    generate(folder, YEARS, seed=1, states=STATES)  # returns, resubmissions, non-returns
    return folder


def test_a_killed_run_leaves_the_warehouse_consistent_and_the_next_run_repairs_it(inputs, tmp_path):
    reference = tmp_path / "reference"
    clean = run_pipeline_process(inputs, reference)
    assert clean.returncode == 0, clean

    warehouse = tmp_path / "killed"
    for point in KILL_POINTS:
        marker = (lambda pid, check=point.marker: check(warehouse, pid)) if point.marker else None
        run = run_pipeline_process(
            inputs, warehouse, kill_on=point.line, kill_when=marker, timeout=RUN_TIMEOUT
        )
        # Each kill must hit a live run inside its phase; one that came too late tests nothing.
        assert run.killed, f"{point.phase}: the kill did not land on a live run: {run}"
        assert point.landed(warehouse, run.pid), f"{point.phase}: missed: {status_counts(warehouse)}"
        assert_consistent(warehouse)

    final = run_pipeline_process(inputs, warehouse, timeout=RUN_TIMEOUT)
    assert final.returncode == 0, final
    assert_consistent(warehouse)
    assert snapshot(warehouse) == snapshot(reference)
    for table in DATA_TABLES:
        name = table.file_name
        assert release_bytes(warehouse, name) == release_bytes(reference, name), name
    statuses = {row[0] for row in read(warehouse, "SELECT DISTINCT status FROM received.submissions")}
    assert statuses <= FINAL_STATUSES  # nothing left half-way
    leftovers = [p.name for p in (warehouse / "releases").iterdir() if p.name.startswith(PARTIAL_PREFIX)]
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
    # Killed once parsing holds the pool's only slot (the parse step is in the `duckdb` pool).
    killed = run_pipeline_process(inputs, warehouse, kill_on="parsed 100 of", timeout=RUN_TIMEOUT)
    assert killed.killed, killed
    # No recovery step: the next run frees the dead run's slot and completes. Without the recovery
    # it waits for the slot forever, which RUN_TIMEOUT (a bound for a stuck run, not a speed
    # target) turns into a failure.
    rerun = run_pipeline_process(inputs, warehouse, timeout=RUN_TIMEOUT)
    assert rerun.returncode == 0, rerun
    assert "had died mid-way; marked failed, its warehouse slot freed" in rerun.output, rerun
