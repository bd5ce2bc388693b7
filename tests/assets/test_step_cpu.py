"""Every step records the CPU seconds it used, its child processes' included."""

from __future__ import annotations

import subprocess
import sys
import time

from assets.definitions import defs
from assets.names import STEP_CPU_SECONDS
from assets.run import materialize_all
from assets.step_cpu import StepCpu
from pipelines.forms.return_writer import write_return
from tests.conftest import sample_return

_BURN = "import time\nwhile time.process_time() < {seconds}: pass\n"


def test_every_asset_of_a_run_records_its_step_cpu(deployment):
    for iso3, year in (("KAZ", 2023), ("PER", 2022)):
        write_return(sample_return(iso3, year), deployment.inputs / f"{iso3}_{year}.xlsx")

    result = materialize_all(deployment.inputs, deployment.warehouse, deployment.instance)

    assert result.success
    for asset in defs.assets:
        for key in asset.keys:
            materializations = result.asset_materializations_for_node(key.path[-1])
            assert materializations, key
            for materialization in materializations:  # published_tables: one per year partition
                seconds = materialization.metadata[STEP_CPU_SECONDS].value
                assert isinstance(seconds, float) and seconds >= 0, key
    # Validation runs GE in a worker process, which imports it (over a CPU second) and exits at the
    # end of the step: its CPU is the step's, far above what the step's own process spends.
    (validated,) = result.asset_materializations_for_node("validated_returns")
    (covered,) = result.asset_materializations_for_node("published_coverage")
    assert validated.metadata[STEP_CPU_SECONDS].value > 5 * covered.metadata[STEP_CPU_SECONDS].value


def test_a_child_process_that_ended_in_the_step_is_counted():
    cpu = StepCpu()
    subprocess.run([sys.executable, "-c", _BURN.format(seconds=0.4)], check=True)  # noqa: S603

    assert cpu.metadata()[STEP_CPU_SECONDS] >= 0.4


def test_the_steps_own_cpu_is_counted():
    cpu = StepCpu()
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass

    # At least: the test process's other threads, if any are busy, count too.
    assert cpu.metadata()[STEP_CPU_SECONDS] >= 0.3
