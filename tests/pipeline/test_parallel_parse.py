"""A real Dagster run with many returns parses them on worker processes (tests/parsed/test_parallel.py
shows that parse_chunks does use workers); the warehouse it builds is the one a run parsing every
return in its own process builds."""

from __future__ import annotations

import pytest

from pipelines.parsed import parallel
from pipelines.synthetic.generator import generate
from tests.conftest import query, run_pipeline

pytestmark = pytest.mark.slow

STATES = ["KAZ", "FRA", "ESP", "RUS", "KGZ", "ARG", "BRA", "CHN", "DEU", "EGY", "IND", "JPN"]

# What the returns leave in the warehouse up to the validated layer, each in a fixed order.
TABLES = {
    "parsed.cells": "SELECT * FROM parsed.cells ORDER BY ALL",
    "parsed.findings": "SELECT * FROM parsed.findings ORDER BY ALL",
    "parsed.returns": "SELECT * FROM parsed.returns ORDER BY ALL",
    "statuses": "SELECT rel_path, status FROM received.submissions ORDER BY ALL",
    "validated.findings": "SELECT * FROM validated.findings ORDER BY ALL",
    "validated.activities": "SELECT * FROM validated.activities ORDER BY ALL",
    "validated.prison_values": "SELECT * FROM validated.prison_values ORDER BY ALL",
}


def test_parsing_on_workers_builds_the_same_warehouse(tmp_path, monkeypatch):
    inputs = tmp_path / "inputs"
    generate(inputs, range(2022, 2024), seed=20261128, states=STATES)

    monkeypatch.setattr(parallel, "PARALLEL_FROM", 10**9)  # every return read in the run's process
    run_pipeline(inputs, tmp_path / "one_process")
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 2)  # these ~30 files on worker processes
    run_pipeline(inputs, tmp_path / "workers")

    for name, sql in TABLES.items():
        one_process = query(tmp_path / "one_process", sql)
        assert one_process, name
        assert query(tmp_path / "workers", sql) == one_process, name
