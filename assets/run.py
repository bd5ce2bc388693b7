"""`make run`: materialize every asset once, in this process, recorded in the Dagster instance.

Exits 0 when the pipeline ran, however many returns were rejected; non-zero only when a step
itself failed (the run's failure is printed).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from dagster import DagsterInstance, materialize

from assets.definitions import defs
from assets.resources import NormsdataPaths


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")  # GE and friends are chatty at INFO
    logging.getLogger("pipelines").setLevel(logging.INFO)
    warehouse = Path(os.environ.get("NORMSDATA_WAREHOUSE", "warehouse"))
    inputs = Path(os.environ.get("NORMSDATA_INPUTS", "inputs"))
    # Dagster's run history lives with the warehouse it describes, not in the user's home.
    os.environ.setdefault("DAGSTER_HOME", str((warehouse / ".dagster").resolve()))
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    result = materialize(
        list(defs.assets) + list(defs.asset_checks),
        resources={"normsdata": NormsdataPaths(inputs_dir=str(inputs), warehouse_dir=str(warehouse))},
        instance=DagsterInstance.get(),
        # Step progress and results, not Dagster's DEBUG trace of every event.
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        raise_on_error=False,
    )
    if not result.success:
        print("normsdata: the run failed; see the step errors above", file=sys.stderr)
        return 1
    print(f"normsdata: run {result.run_id} succeeded; release in {warehouse / 'releases' / 'latest'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
