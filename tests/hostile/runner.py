"""Run `python -m assets.run` as a separate process, as an operator does: its peak memory measured
(`wait4` on that one child, so no other process of the test session counts), and optionally
killed with SIGKILL the moment its output shows a given line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GIB = 1024**3


@dataclass(frozen=True)
class Run:
    returncode: int  # negative: killed by that signal
    output: str
    peak_rss_bytes: int
    killed: bool  # the trigger line was seen and the process was killed
    seconds: float  # wall time, for the record (never asserted: these machines are noisy)

    @property
    def summary(self) -> str:
        return f"exit {self.returncode}, peak RSS {self.peak_rss_bytes / 2**20:.0f} MiB, {self.seconds:.0f} s"

    def __str__(self) -> str:
        return f"{self.summary}\n{self.output[-4000:]}"


def pipeline_env(inputs: Path, warehouse: Path) -> dict[str, str]:
    env = dict(
        os.environ, NORMSDATA_INPUTS=str(inputs), NORMSDATA_WAREHOUSE=str(warehouse), PYTHONPATH=str(ROOT)
    )
    env.pop("DAGSTER_HOME", None)  # the run keeps its history under its warehouse (tests may have set one)
    return env


def start_pipeline_process(inputs: Path, warehouse: Path) -> subprocess.Popen:
    """`python -m assets.run` over `inputs` into `warehouse`, started; its output (stdout and
    stderr) read as text from `.stdout`."""
    return subprocess.Popen(
        [sys.executable, "-u", "-m", "assets.run"],
        cwd=ROOT,
        env=pipeline_env(inputs, warehouse),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    )


def run_pipeline_process(
    inputs: Path,
    warehouse: Path,
    *,
    kill_on: str | None = None,
    kill_after: float = 0.0,
    timeout: float = 900,
) -> Run:
    """One `make run` over `inputs`; with `kill_on`, SIGKILL `kill_after` seconds after the first
    output line containing it (if the run ends first, it simply ends)."""
    started = time.monotonic()
    process = start_pipeline_process(inputs, warehouse)
    lines: list[str] = []
    killed = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if kill_on is not None and not killed.is_set() and kill_on in line:
                time.sleep(kill_after)
                killed.set()
                _kill(process.pid)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    watchdog = threading.Timer(timeout, _kill, [process.pid])
    watchdog.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        watchdog.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    reader.join(timeout=30)
    seconds = time.monotonic() - started
    return Run(process.returncode, "".join(lines), usage.ru_maxrss * 1024, killed.is_set(), seconds)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
