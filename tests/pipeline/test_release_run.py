"""Releases cut by real runs: deterministic, idempotent, valid Frictionless, formula-safe."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.forms.return_writer import write_return
from pipelines.release.layout import ALL_TABLES
from tests.conftest import query, run_pipeline, sample_return
from tests.release.parquet_check import assert_parquet_matches_csv

pytestmark = pytest.mark.slow

CSV_FILES = ("activities.csv", "prisons.csv", "assistance_outcomes.csv", "coverage.csv")


def write_inputs(inputs: Path) -> None:
    kaz = sample_return("KAZ")
    kaz.activities[0].title = "-Training on bail"  # a spreadsheet would run this: must be neutralised
    kaz.activities[1].title = "@SUM(A1:A3)"
    write_return(kaz, inputs / "KAZ_2023.xlsx")
    write_return(sample_return("KGZ", 2022), inputs / "KGZ_2022.xlsx")
    (inputs / "notes.txt").write_text("not a return", encoding="utf-8")


def snapshot(warehouse: Path) -> dict[str, object]:
    latest = warehouse / "releases" / "latest"
    return {
        "releases": sorted(p.name for p in (warehouse / "releases").iterdir() if not p.name.startswith(".")),
        "latest": latest.resolve().name,
        "files": {p.name: p.read_bytes() for p in sorted(latest.iterdir())},
        "submissions": query(warehouse, "SELECT submission_id, status FROM received.submissions ORDER BY 1"),
        "cells": query(warehouse, "SELECT count(*) FROM parsed.cells"),
        "findings": query(warehouse, "SELECT count(*) FROM validated.findings"),
    }


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "inputs"
    folder.mkdir()
    write_inputs(folder)
    return folder


def test_a_second_run_changes_nothing_and_a_fresh_run_writes_the_same_bytes(tmp_path, inputs):
    first = tmp_path / "first"
    run_pipeline(inputs, first)
    before = snapshot(first)
    run_pipeline(inputs, first)
    assert snapshot(first) == before
    second = tmp_path / "second"
    run_pipeline(inputs, second)
    for name in CSV_FILES:
        assert (second / "releases" / "latest" / name).read_bytes() == before["files"][name], name


def test_the_release_passes_frictionless_and_neutralises_formulas(tmp_path, inputs):
    warehouse = tmp_path / "warehouse"
    run_pipeline(inputs, warehouse)
    latest = warehouse / "releases" / "latest"
    frictionless = Path(sys.executable).with_name("frictionless")
    checked = subprocess.run(
        [str(frictionless), "validate", "datapackage.json"],
        cwd=latest,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    sums = subprocess.run(
        ["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=latest, capture_output=True, text=True
    )
    assert sums.returncode == 0, sums.stdout + sums.stderr
    activities = (latest / "activities.csv").read_text(encoding="utf-8")
    assert ",'-Training on bail," in activities
    assert ",'@SUM(A1:A3)," in activities
    kept = query(warehouse, "SELECT title FROM validated.activities WHERE title LIKE '-Training%'")
    assert kept == [("-Training on bail",)]  # the warehouse keeps the text as sent
    for table in ALL_TABLES:  # warehouse dtypes, not hand-built frames: the Parquet twin still matches
        rows = assert_parquet_matches_csv(latest, table)
        assert rows > 0, table.name
    readme = (latest / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC DEMO DATA" not in readme  # real returns, written by the tests
    coverage = (latest / "coverage.csv").read_text(encoding="utf-8").splitlines()
    assert coverage[0].startswith("submission_id,file_name,sha256,received_at,iso3,reporting_year,status")
    assert sum(",REJECTED," in line for line in coverage) == 1  # notes.txt


def test_a_run_releases_every_promised_file_checksummed(tmp_path, inputs):
    """What a run's release holds beside the CSVs: Parquet, the codebook, the overview, the snapshot."""
    warehouse = tmp_path / "warehouse"
    run_pipeline(inputs, warehouse)
    latest = warehouse / "releases" / "latest"
    summed = {line.split()[1].lstrip("*") for line in (latest / "SHA256SUMS").read_text().splitlines()}
    present = {p.name for p in latest.iterdir()} - {"SHA256SUMS"}
    assert summed == present
    assert {"README.md", "overview.html", "normsdata.duckdb"} <= present
    assert {name.replace(".csv", ".parquet") for name in CSV_FILES} <= present

    overview = (latest / "overview.html").read_text(encoding="utf-8")
    assert overview.count('<figure id="chart-') == 5 and overview.count("<svg") >= 5

    # The analysts' copy opens read-only and answers from the same rows as the CSV.
    with duckdb.connect(str(latest / "normsdata.duckdb"), read_only=True) as snapshot_db:
        (kaz_share,) = snapshot_db.execute(
            "SELECT value FROM published.sdg_16_3_2 WHERE iso3 = 'KAZ' AND year = 2023"
        ).fetchone()
    prisons = (latest / "prisons.csv").read_text(encoding="utf-8")
    assert "KAZ,Kazakhstan" in prisons and f",2023,UNSENTENCED_SHARE,{kaz_share}," in prisons
