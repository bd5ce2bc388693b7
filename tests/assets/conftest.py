"""A Dagster deployment in a temp folder: an instance, an inputs folder, a warehouse, and the jobs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from dagster import DagsterInstance, ExecuteInProcessResult

from assets.definitions import defs
from assets.instance import open_instance, prepare_dagster_home
from assets.resources import NormsdataPaths


@dataclass
class Deployment:
    inputs: Path
    warehouse: Path
    instance: DagsterInstance

    @property
    def normsdata(self) -> NormsdataPaths:
        return NormsdataPaths(inputs_dir=str(self.inputs), warehouse_dir=str(self.warehouse))

    def run_job(
        self, name: str, run_config: dict | None = None, tags: dict | None = None
    ) -> ExecuteInProcessResult:
        config = dict(run_config or {})
        config["resources"] = {"normsdata": {"config": self.normsdata.model_dump()}}
        return defs.resolve_job_def(name).execute_in_process(
            run_config=config, instance=self.instance, tags=tags, raise_on_error=False
        )


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    inputs, warehouse = tmp_path / "inputs", tmp_path / "warehouse"
    inputs.mkdir()
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    # A real instance with the project's settings (the one-writer pool), opened as `make run` opens
    # it; `make dev` reads the same files with Dagster's own classes (test_history_storage.py).
    home = prepare_dagster_home(warehouse)
    with open_instance(home) as instance:
        yield Deployment(inputs, warehouse, instance)
