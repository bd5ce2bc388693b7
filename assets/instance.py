"""Where Dagster keeps run history for a warehouse, set up with the project's instance settings."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.instance.config import dagster_instance_config
from dagster._core.instance.ref import InstanceRef

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


# What makes a dagster.yaml choose its own storage; without any of them Dagster uses sqlite files
# under $DAGSTER_HOME/history, which `open_instance` keeps, through the classes of history_storage.
_STORAGE_KEYS = ("storage", "run_storage", "event_log_storage", "schedule_storage", "instance_class")


def open_instance(home: Path) -> DagsterInstance:
    """The Dagster instance of `home` (its dagster.yaml), with the faster sqlite history classes
    (assets/history_storage.py) when the file leaves storage to Dagster's sqlite default: the same
    files in the same places, ~1.5 ms less per event. A configured storage is used as configured."""
    settings, _ = dagster_instance_config(str(home))
    overrides = {}
    if not any(key in settings for key in _STORAGE_KEYS):
        history = home / "history"
        overrides = {
            "run_storage": _storage_class("RunStorage", history),
            "event_log_storage": _storage_class("EventLogStorage", history / "runs"),
        }
    return DagsterInstance.from_ref(InstanceRef.from_dir(str(home), overrides=overrides))


def _storage_class(name: str, base_dir: Path) -> dict:
    return {"module": "assets.history_storage", "class": name, "config": {"base_dir": str(base_dir)}}


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
