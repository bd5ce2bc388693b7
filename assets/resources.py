"""Where the pipeline reads and writes, configurable per deployment through environment variables."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource

from pipelines.settings import DEFAULT_INPUTS, DEFAULT_WAREHOUSE, Paths


class NormsdataPaths(ConfigurableResource):
    """`NORMSDATA_INPUTS` (files received, read recursively); `NORMSDATA_WAREHOUSE` (all output)."""

    inputs_dir: str = DEFAULT_INPUTS
    warehouse_dir: str = DEFAULT_WAREHOUSE

    def paths(self) -> Paths:
        return Paths(Path(self.inputs_dir), Path(self.warehouse_dir))
