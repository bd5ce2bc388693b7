"""The bench's naive baseline in slices around our runs, and the ratios each round gives."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from bench.run import SEED, _Baseline, _round_ratios, _xlsx
from pipelines.synthetic.generator import generate


def test_the_slices_together_run_every_file_once(tmp_path: Path):
    # Enough returns for every slice to get at least one.
    states = ["KAZ", "PER", "FRA", "NOR", "CHL", "AUS", "BRA", "IND", "JPN", "KEN", "MEX", "NZL"]
    generate(tmp_path / "in", range(2023, 2024), SEED, states=states)
    # The returns only: the planted extras (a blank workbook, a broken zip) are not what this is about.
    files = [path for path in _xlsx(tmp_path / "in") if re.fullmatch(r"[A-Z]{3}_\d{4}\.xlsx", path.name)]
    baseline = _Baseline(files, tmp_path / "baseline.duckdb")

    slices = [baseline.run_slice() for _ in range(_Baseline.SLICES)]
    summary = baseline.summary()

    assert len(files) > _Baseline.SLICES
    assert all(s["files"] >= 1 for s in slices)
    assert summary["files_run"] == len(files) and summary["extrapolated_from"] is None
    # A pair of slices speaks for the whole set: its seconds per file, times every file, plus set-up.
    pair = slices[0], slices[1]
    per_file = (pair[0]["seconds"] + pair[1]["seconds"]) / (pair[0]["files"] + pair[1]["files"])
    assert baseline.whole_set_s(*pair) == pytest.approx(baseline.setup_s + per_file * len(files))
    assert summary["wall_s"] == pytest.approx(baseline.whole_set_s(*slices))
    with duckdb.connect(str(tmp_path / "baseline.duckdb"), read_only=True) as con:
        inserted = [name for (name,) in con.execute("SELECT DISTINCT file FROM t ORDER BY file").fetchall()]
        twice = con.execute(
            "SELECT count(*) FROM (SELECT file, sheet, row, col FROM t GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()
    assert inserted == sorted(path.name for path in files)
    assert twice == (0,)


def test_a_round_compares_only_its_own_runs():
    measured = {
        "floor_per_return_s": 0.001,
        "small": {"wall_s": 6.0, "returns": 200},
        "large": {"wall_s": 10.0, "returns": 1000},
        "baseline_s": 110.0,
        "incremental_s": {"add_one": 5.3, "replace_one": 5.6},
    }
    ratios = _round_ratios(measured)
    assert ratios["marginal_s"] == pytest.approx(0.005)  # (10 - 6) / 800
    assert ratios["fixed_s"] == pytest.approx(5.0)  # 6 - 200 * 0.005
    assert ratios["ours_vs_floor"] == pytest.approx(5.0)
    assert ratios["baseline_vs_ours"] == pytest.approx(11.0)
    assert ratios["incremental_share"] == pytest.approx(0.12)  # the slower change: (5.6 - 5) / (10 - 5)
