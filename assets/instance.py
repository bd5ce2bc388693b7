"""Where Dagster keeps run history for a warehouse, set up with the project's instance settings."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from pipelines.processes import process_alive

INSTANCE_SETTINGS = Path(__file__).resolve().parent.parent / "deploy" / "dagster.yaml"


def prepare_dagster_home(warehouse: Path) -> Path:
    """`$DAGSTER_HOME`, defaulting to `<warehouse>/.dagster`, holding a dagster.yaml.

    The project's settings (the one-writer pool limit) are copied in only when the home has no
    dagster.yaml: a deployment's own file always wins.
    """
    home = Path(os.environ.setdefault("DAGSTER_HOME", str((warehouse / ".dagster").resolve())))
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copyfile(INSTANCE_SETTINGS, home / "dagster.yaml")
    return home


# Tags a run started by `make run` carries, so a later one can tell whether it is still alive.
PID_TAG = "normsdata/pid"
HOST_TAG = "normsdata/host"


def run_owner_tags() -> dict[str, str]:
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def recover_dead_runs(instance: DagsterInstance) -> list[str]:
    """Fail the runs of `make run` whose process is gone, and free their pool slots.

    A run killed (SIGKILL, OOM, power) while a step held the `duckdb` pool's only slot never
    gives it back, and every later run would wait for it forever. Only runs this machine started
    through `make run` are touched: a run of `dagster dev` or a deployment is the daemon's (its
    run monitoring) to judge.
    """
    alive = [DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]
    recovered = []
    for record in instance.get_run_records(RunsFilter(statuses=alive)):
        run = record.dagster_run
        if run.tags.get(HOST_TAG) != socket.gethostname() or not run.tags.get(PID_TAG, "").isdigit():
            continue
        if process_alive(int(run.tags[PID_TAG])):
            continue
        instance.report_run_failed(run, f"process {run.tags[PID_TAG]} ended without finishing the run")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        recovered.append(run.run_id)
    return recovered
