"""Bytes that come back to a path after other bytes were there: a receipt of their own, with a
status, never swallowed by the id the same bytes had the first time."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pipelines.forms.return_writer import write_return
from tests.conftest import query, run_pipeline, sample_return

COVERAGE = "SELECT submission_id, status, superseded_by FROM published.coverage ORDER BY received_at"


def _place(source: Path, target: Path, mtime: int) -> None:
    shutil.copyfile(source, target)
    os.utime(target, (mtime, mtime))


def test_a_path_that_gets_its_first_bytes_back_records_them_as_a_duplicate(tmp_path: Path):
    inputs, warehouse, kept = tmp_path / "inputs", tmp_path / "warehouse", tmp_path / "kept"
    inputs.mkdir()
    kept.mkdir()
    first = write_return(sample_return("KAZ", 2023), kept / "v1.xlsx")
    corrected = sample_return("KAZ", 2023)
    corrected.prisons["PRISONERS_TOTAL"][2023] = 11_600
    corrected.prisons["PRISONERS_MALE"][2023] = 11_100
    second = write_return(corrected, kept / "v2.xlsx")
    path = inputs / "KAZ_2023.xlsx"

    _place(first, path, 1_700_000_000)
    run_pipeline(inputs, warehouse)
    _place(second, path, 1_700_100_000)
    run_pipeline(inputs, warehouse)
    (v1, _, _), (v2, _, _) = query(warehouse, COVERAGE)

    _place(first, path, 1_700_200_000)  # the first version sent again, under the same name
    run_pipeline(inputs, warehouse)
    coverage = query(warehouse, COVERAGE)
    assert len(coverage) == 3, coverage
    back = coverage[2][0]
    assert coverage == [(v1, "SUPERSEDED", v2), (v2, "ACCEPTED", None), (back, "DUPLICATE", None)]
    assert query(
        warehouse, "SELECT rule, message FROM received.findings WHERE submission_id = ?", [back]
    ) == [("duplicate", f"The same bytes were already received as submission {v1}; this copy adds nothing.")]
    assert (warehouse / "feedback" / back / "feedback.md").is_file()  # the sender is told too

    run_pipeline(inputs, warehouse)  # nothing new: nothing recorded twice
    assert query(warehouse, COVERAGE) == coverage
