"""The bench reads each step's seconds and CPU from the run's own history, as the assets record them."""

from __future__ import annotations

from pathlib import Path

import pytest

from assets.definitions import defs
from assets.instance import open_instance, prepare_dagster_home
from assets.names import STEP_CPU_SECONDS
from assets.run import materialize_all
from bench.run import _slope, _step_times
from pipelines.forms.return_writer import write_return
from tests.conftest import sample_return


def test_the_step_times_are_the_last_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    inputs, warehouse = tmp_path / "inputs", tmp_path / "warehouse"
    inputs.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(warehouse / ".dagster"))
    for iso3, year in (("KAZ", 2023), ("PER", 2022)):
        write_return(sample_return(iso3, year), inputs / f"{iso3}_{year}.xlsx")
    with open_instance(prepare_dagster_home(warehouse)) as instance:
        assert materialize_all(inputs, warehouse, instance).success
        write_return(sample_return("FRA", 2022, language="FR"), inputs / "FRA_2022.xlsx")
        last = materialize_all(inputs, warehouse, instance)
    assert last.success

    seconds, cpu = _step_times(warehouse)

    asset_steps = {key.path[-1] for asset in defs.assets for key in asset.keys}
    assert cpu == {
        name: last.asset_materializations_for_node(name)[0].metadata[STEP_CPU_SECONDS].value
        for name in asset_steps
    }
    assert asset_steps < set(seconds)  # the checks' steps too, and the run's span
    assert all(value >= 0 for value in seconds.values())
    assert seconds["(run span)"] >= max(value for name, value in seconds.items() if name != "(run span)")


def test_a_slope_is_seconds_per_return_between_the_two_runs():
    assert _slope(1.0, 5.0, 200, 1000) == pytest.approx(0.005)
    assert _slope(1.0, 1.0, 200, 200) == 0.0  # never a division by zero
