"""`make run` (`python -m assets.run`, a separate process, as an operator runs it) with the worker
processes it starts before anything else (pipelines/fresh_worker.py): the steps take them, the
release's page is the very page rendered in-process, and no worker outlives the run, whether it
succeeded, failed or was interrupted."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from pipelines.chart_worker import LABEL as CHART_WORKER
from pipelines.forms.return_writer import write_return
from pipelines.release import ReleaseTables
from pipelines.release.overview import render_overview
from pipelines.release.tables import share_repeated_text
from pipelines.validated.worker import LABEL as GE_WORKER
from pipelines.warehouse import store
from tests.conftest import sample_return
from tests.hostile.runner import start_pipeline_process

WORKER_MODULES = ("pipelines.chart_worker", "pipelines.validated.worker")
TAKEN = "the one started with the run"  # pipelines/fresh_worker.py logs it when a step takes one


def _workers_of(warehouse: Path) -> list[str]:
    """Worker processes still running for this warehouse (found by the environment they inherited)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if f"NORMSDATA_WAREHOUSE={warehouse}".encode() in environ and any(
            module.encode() in command for module in WORKER_MODULES
        ):
            found.append(f"{proc.name}: {b' '.join(command).decode()}")
    return found


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "inputs"
    folder.mkdir()
    write_return(sample_return("KAZ", 2023), folder / "KAZ-2023.xlsx")
    write_return(sample_return("KGZ", 2023), folder / "KGZ-2023.xlsx")
    return folder


@pytest.mark.slow  # one cold `make run`: ~15 s
def test_the_steps_take_the_prestarted_workers_and_the_page_is_the_same(inputs, tmp_path):
    warehouse = tmp_path / "warehouse"
    run = start_pipeline_process(inputs, warehouse)
    output, _ = run.communicate(timeout=600)
    assert run.returncode == 0, output
    assert f"{GE_WORKER}: {TAKEN}" in output
    assert f"{CHART_WORKER}: {TAKEN}" in output
    assert "drawing the overview's charts in this process instead" not in output
    assert _workers_of(warehouse) == []
    latest = (warehouse / "releases" / "latest").resolve()
    with store.reader(warehouse / "normsdata.duckdb") as connection:
        frames = store.published_frames(connection)
        synthetic = store.is_synthetic(connection)
    tables = ReleaseTables(**{name: share_repeated_text(frame) for name, frame in frames.items()})
    here = render_overview(tables, release_id=latest.name, synthetic=synthetic)
    assert (latest / "overview.html").read_text(encoding="utf-8") == here


@pytest.mark.slow  # a cold `make run` that stops at the release's blocking checks: ~10 s
def test_a_run_with_nothing_to_validate_that_fails_leaves_no_worker(tmp_path):
    empty, warehouse = tmp_path / "inputs", tmp_path / "warehouse"
    empty.mkdir()
    run = start_pipeline_process(empty, warehouse)
    output, _ = run.communicate(timeout=600)
    assert run.returncode == 1, output  # no table to publish: a blocking check stops the release
    assert TAKEN not in output  # neither worker was needed
    assert _workers_of(warehouse) == []


@pytest.mark.slow  # a cold `make run`, interrupted once its GE worker is in use: ~10 s
def test_ctrl_c_leaves_no_worker(inputs, tmp_path):
    warehouse = tmp_path / "warehouse"
    run = start_pipeline_process(inputs, warehouse)
    assert run.stdout is not None
    seen = []
    for line in run.stdout:
        seen.append(line)
        if f"{GE_WORKER}: {TAKEN}" in line:
            run.send_signal(signal.SIGINT)  # Ctrl-C, while the chart worker still waits for its turn
            break
    output = "".join(seen) + run.communicate(timeout=600)[0]
    assert run.returncode != 0, output
    assert _workers_of(warehouse) == []


def test_the_leftover_check_finds_a_running_worker(tmp_path, monkeypatch):
    from pipelines.chart_worker import ChartWorker

    monkeypatch.setenv("NORMSDATA_WAREHOUSE", str(tmp_path))
    worker = ChartWorker()
    try:
        # Until the child has exec'd, /proc shows it with the parent's command line: wait for that.
        deadline = time.monotonic() + 60
        while not _workers_of(tmp_path) and worker.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [found.split(":")[0] for found in _workers_of(tmp_path)] == [str(worker.pid)]
    finally:
        worker.close(kill=True)
    assert _workers_of(tmp_path) == []
