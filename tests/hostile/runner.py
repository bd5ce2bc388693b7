"""Run `python -m assets.run` as a separate process, as an operator does: its peak memory measured
(`wait4` on that one child, so no other process of the test session counts), and optionally
killed with SIGKILL the moment its output shows a given line or a marker of a phase appears."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GIB = 1024**3


@dataclass(frozen=True)
class Run:
    pid: int
    returncode: int  # negative: killed by that signal
    output: str
    peak_rss_bytes: int
    kill_sent: bool  # the trigger was seen and SIGKILL sent
    timed_out: bool  # killed by the watchdog instead
    seconds: float  # wall time, for the record (never asserted: these machines are noisy)

    @property
    def killed(self) -> bool:
        """The trigger's SIGKILL landed on a live process. A process that had already exited (a
        zombie takes a signal without complaint) keeps its own exit status, so it does not count."""
        return self.kill_sent and not self.timed_out and self.returncode == -signal.SIGKILL

    @property
    def summary(self) -> str:
        ending = "killed" if self.killed else "timed out" if self.timed_out else f"exit {self.returncode}"
        return f"{ending}, peak RSS {self.peak_rss_bytes / 2**20:.0f} MiB, {self.seconds:.0f} s"

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
    kill_when: Callable[[int], bool] | None = None,
    timeout: float = 900,
) -> Run:
    """One `make run` over `inputs`; SIGKILLed as soon as an output line contains `kill_on`, or as
    soon as `kill_when(pid)` holds (polled every few milliseconds while the run lives). If the run
    ends first, it simply ends, and `Run.killed` says so."""
    started = time.monotonic()
    process = start_pipeline_process(inputs, warehouse)
    # The pidfd names this process even once reaped: a late kill can never reach a reused pid.
    pidfd = os.pidfd_open(process.pid)
    lines: list[str] = []
    kill_sent, timed_out, finished = threading.Event(), threading.Event(), threading.Event()

    def kill_once() -> None:
        if not kill_sent.is_set() and _sigkill(pidfd):
            kill_sent.set()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if kill_on is not None and kill_on in line:
                kill_once()

    def watch() -> None:
        assert kill_when is not None
        while not finished.is_set() and not kill_sent.is_set():
            if kill_when(process.pid):
                kill_once()
            finished.wait(0.002)

    def time_out() -> None:
        timed_out.set()
        _sigkill(pidfd)

    helpers = [threading.Thread(target=read, daemon=True)]
    if kill_when is not None:
        helpers.append(threading.Thread(target=watch, daemon=True))
    for helper in helpers:
        helper.start()
    watchdog = threading.Timer(timeout, time_out)
    watchdog.start()
    try:
        # wait4 rather than Popen.wait: the child's own rusage. Nothing else may reap it.
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        watchdog.cancel()
        watchdog.join()  # its kill, if under way, is done before the pidfd closes
        finished.set()
    process.returncode = os.waitstatus_to_exitcode(status)
    for helper in helpers:
        helper.join(timeout=30)
    os.close(pidfd)
    seconds = time.monotonic() - started
    return Run(
        process.pid,
        process.returncode,
        "".join(lines),
        usage.ru_maxrss * 1024,
        kill_sent.is_set(),
        timed_out.is_set(),
        seconds,
    )


def _sigkill(pidfd: int) -> bool:
    """SIGKILL the process behind `pidfd`; False when it has been reaped already."""
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True
