"""One real pipeline run shared by the warehouse tests, over returns planted with what the analysts'
views must count, and its snapshot."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipelines.forms.return_writer import write_return
from pipelines.settings import Paths
from pipelines.warehouse.snapshot import write_snapshot
from tests.conftest import run_pipeline, sample_return

EARLIER, LATER = 1_700_000_000, 1_700_100_000  # file modification times: the order returns arrive in


def write_analyst_inputs(inputs: Path) -> None:
    """Asia: KAZ 2023 (sent twice), KGZ 2022; Africa: NGA 2023, EGY 2014 (rejected); one non-return."""
    inputs.mkdir(parents=True, exist_ok=True)
    first = write_return(sample_return("KAZ", 2023), inputs / "KAZ_2023.xlsx")
    resent = sample_return("KAZ", 2023)
    resent.activities[2].participants_women = 95  # women > total (90): this activity must be quarantined
    second = write_return(resent, inputs / "KAZ_2023_v2.xlsx")
    os.utime(first, (EARLIER, EARLIER))
    os.utime(second, (LATER, LATER))  # received later: supersedes KAZ_2023.xlsx
    write_return(sample_return("KGZ", 2022), inputs / "KGZ_2022.xlsx")
    nigeria = sample_return("NGA", 2023)
    nigeria.cover.email = "focal.at.example.org"  # not an e-mail address: reported, still published
    write_return(nigeria, inputs / "NGA_2023.xlsx")
    write_return(sample_return("EGY", 2014), inputs / "EGY_2014.xlsx")  # year before 2015: rejected
    (inputs / "notes.txt").write_text("not a return", encoding="utf-8")  # rejected, names no state


@pytest.fixture(scope="session")
def analysts_run(tmp_path_factory) -> Paths:
    """Inputs and warehouse of one real run over `write_analyst_inputs`; tests must not write to it."""
    root = tmp_path_factory.mktemp("analysts")
    paths = Paths(root / "inputs", root / "warehouse")
    write_analyst_inputs(paths.inputs)
    run_pipeline(paths.inputs, paths.warehouse)
    return paths


@pytest.fixture(scope="session")
def analysts_snapshot(analysts_run: Paths, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("snapshot") / "normsdata.duckdb"
    write_snapshot(analysts_run.database, target)
    return target


@pytest.fixture
def own_copy(analysts_run: Paths, tmp_path: Path) -> Paths:
    """A copy of the shared run (inputs with their modification times, warehouse) that a test may run on."""
    paths = Paths(tmp_path / "inputs", tmp_path / "warehouse")
    shutil.copytree(analysts_run.inputs, paths.inputs)
    shutil.copytree(analysts_run.warehouse, paths.warehouse, symlinks=True)
    return paths
