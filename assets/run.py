"""`make run`: materialize every asset once, in this process, recorded in the Dagster instance.

Exits 0 when the pipeline ran, however many returns were rejected; non-zero only when a step
itself failed or a blocking check stopped the release (the failure is printed).
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from pipelines import fresh_worker, startup_gc

if TYPE_CHECKING:
    from dagster import DagsterInstance, ExecuteInProcessResult


def materialize_all(
    inputs: Path, warehouse: Path, instance: DagsterInstance, run_config: dict | None = None
) -> ExecuteInProcessResult:
    """Every asset and check in one run, every year partition at once (as a single-run backfill)."""
    from dagster import materialize
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from assets.definitions import defs
    from assets.instance import run_owner_tags
    from assets.partitions import all_years
    from assets.resources import NormsdataPaths

    years = all_years()
    return materialize(
        list(defs.assets) + list(defs.asset_checks),
        resources={"normsdata": NormsdataPaths(inputs_dir=str(inputs), warehouse_dir=str(warehouse))},
        instance=instance,
        tags={ASSET_PARTITION_RANGE_START_TAG: years.start, ASSET_PARTITION_RANGE_END_TAG: years.end}
        | run_owner_tags(),
        run_config=run_config,
        raise_on_error=False,
    )


def prestart_workers() -> None:
    """Start the run's worker processes now, before this process imports Dagster and pandas (~4 s on
    one core): they import Great Expectations and matplotlib on the other core meanwhile, and the
    validate and release steps take them (pipelines/fresh_worker.py). The chart worker runs at the
    lowest CPU priority, so it never slows the parse workers."""
    from pipelines.chart_worker import ChartWorker
    from pipelines.validated.worker import SuiteWorker

    fresh_worker.prestart(SuiteWorker())
    fresh_worker.prestart(ChartWorker())


def main() -> int:
    prestart_workers()
    try:
        return _run()
    finally:
        fresh_worker.reap_prestarted()  # those no step took: nothing to validate, a failure, Ctrl-C


def _run() -> int:
    # Dagster, pandas, DuckDB and the instance are made with the collector paused, then frozen
    # (pipelines/startup_gc.py: ~0.4 s of the start-up).
    with startup_gc.paused_then_frozen():
        # This process runs every step, and each imports the domain code when it runs
        # (assets/__init__.py): imported here once, up front, so that the step times in the run
        # history measure the steps.
        import assets.definitions  # noqa: F401
        import pipelines.steps  # noqa: F401
        from assets.instance import open_instance, prepare_dagster_home, recover_dead_runs

        logging.basicConfig(level=logging.WARNING, format="%(message)s")  # GE and friends are chatty at INFO
        logging.getLogger("pipelines").setLevel(logging.INFO)
        warehouse = Path(os.environ.get("NORMSDATA_WAREHOUSE", "warehouse"))
        inputs = Path(os.environ.get("NORMSDATA_INPUTS", "inputs"))
        # Dagster's run history lives with the warehouse it describes, not in the user's home.
        instance = open_instance(prepare_dagster_home(warehouse))
        for run_id in recover_dead_runs(instance):
            print(
                f"normsdata: run {run_id} had died mid-way; marked failed, its warehouse slot freed",
                file=sys.stderr,
            )
    result = materialize_all(
        inputs,
        warehouse,
        instance,
        # Step progress and results, not Dagster's DEBUG trace of every event.
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
    )
    if not result.success:
        print("normsdata: the run failed; see the step errors above", file=sys.stderr)
        return 1
    print(f"normsdata: run {result.run_id} succeeded; release in {warehouse / 'releases' / 'latest'}")
    return 0


def exit_now(code: int) -> NoReturn:
    """End the process without tearing down its objects one by one.

    After a run this process holds Dagster, pandas and DuckDB: over a million objects, whose
    deallocation at interpreter exit takes ~1 s. Everything the run wrote is closed and durable by
    now, so the exit hooks run (logging's flush among them), the standard streams are flushed, and
    the process ends.
    """
    atexit._run_exitfuncs()  # what a normal exit runs first; there is no public spelling of it
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
