"""The bench's naive baseline, run a third per round: every file once, each round's ratio its own."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from bench.run import REPEATS, SEED, _Baseline, _xlsx
from pipelines.synthetic.generator import generate


def test_the_rounds_together_run_every_file_once(tmp_path: Path):
    generate(tmp_path / "in", range(2023, 2024), SEED, states=["KAZ", "PER", "FRA", "NOR", "CHL"])
    # The returns only: the planted extras (a blank workbook, a broken zip) are not what this is about.
    files = [path for path in _xlsx(tmp_path / "in") if re.fullmatch(r"[A-Z]{3}_\d{4}\.xlsx", path.name)]
    baseline = _Baseline(files, tmp_path / "baseline.duckdb")

    wholes = [baseline.run_round() for _ in range(REPEATS)]
    summary = baseline.summary()

    assert len(summary["rounds"]) == REPEATS
    assert all(r["files"] >= 1 for r in summary["rounds"])
    assert summary["files_run"] == len(files) and summary["extrapolated_from"] is None
    # Each round speaks for the whole set: its seconds per file, times every file, plus the set-up.
    for whole, r in zip(wholes, summary["rounds"], strict=True):
        assert whole == r["whole_set_s"] > baseline.setup_s
    assert summary["wall_s"] > summary["measured_s"]
    with duckdb.connect(str(tmp_path / "baseline.duckdb"), read_only=True) as con:
        inserted = [name for (name,) in con.execute("SELECT DISTINCT file FROM t ORDER BY file").fetchall()]
        twice = con.execute(
            "SELECT count(*) FROM (SELECT file, sheet, row, col FROM t GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()
    assert inserted == sorted(path.name for path in files)
    assert twice == (0,)
