"""Great Expectations in a process of its own, so the pipeline's process never imports it.

Importing GE costs ~3.5 s and ~95 MiB (scipy, sqlalchemy, altair), and a validation adds its
own working memory on top; Python hands neither back, so in the pipeline's process they stayed
until the run ended, under the release and its own ~70 MiB: the run's peak. Here a fresh
interpreter imports GE while the caller builds the suites' frames, validates the frames it is
sent, answers with the failures (a few hundred small objects) and exits, and its memory goes
back to the system with it.

A fresh interpreter, not a fork: the pipeline's process runs Dagster's threads (a fork copies
only the calling thread, with whatever locks the others held), and a forked child counts every
page it shares with its parent as its own resident memory, so the run's largest process would
not get any smaller. It imports pandas again (~0.5 s), while the caller is busy anyway, and GE
without the parts our suites never run (lean_imports.py: half the import's time and memory); it
validates half of the suites in a fork of itself, on the second core (two_cores.py).

Requests and replies are pickles over the worker's stdin and stdout, one reply per request, in
order; both ends are this module. A failure in the worker comes back as its traceback and is
raised here as `SuiteWorkerError`; a worker that dies closes its stdout, which is raised too,
with its exit status: never a hang. Only the caller writes to DuckDB.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import traceback
from pathlib import Path
from typing import IO, Any

from pipelines.validated import lean_imports, suites, two_cores
from pipelines.validated.suites import Failure, SuiteCall, SuiteSummary

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # where `python -m pipelines...` finds the code
EXIT_WAIT = 30  # seconds a worker may take to exit once its input is closed, before it is killed


class SuiteWorkerError(RuntimeError):
    """The GE worker failed or died: the message says how, with its traceback when it has one."""


class SuiteWorker:
    """One worker process for the length of a `with` block; `validate_all` as `suites.validate_all`.

    The process starts (and begins importing GE) when the object is made, so make it as soon as
    there is something to validate and build the frames meanwhile.
    """

    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
        # stderr is the caller's: GE's warnings and a dying worker's last words land in the step's log.
        self._process = subprocess.Popen(  # noqa: S603 (our own interpreter and module, no shell)
            [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )

    @property
    def pid(self) -> int:
        return self._process.pid

    def validate_all(
        self, calls: list[SuiteCall], params: dict[str, Any]
    ) -> tuple[list[Failure], list[SuiteSummary]]:
        """What `suites.validate_all(calls, params)` gives, computed in the worker."""
        process = self._process
        try:
            pickle.dump((calls, params), process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            process.stdin.flush()
            status, payload = pickle.load(process.stdout)  # noqa: S301 (our own worker's reply)
        except (BrokenPipeError, EOFError, pickle.UnpicklingError) as error:
            raise SuiteWorkerError(
                f"the Great Expectations worker (pid {process.pid}) died: {_exit_status(process)}"
            ) from error
        if status != "ok":
            raise SuiteWorkerError(f"the Great Expectations worker failed:\n{payload}")
        return payload

    def close(self, kill: bool = False) -> int | None:
        """End the worker (closing its input ends it; `kill` when the caller gives up) and reap it."""
        process = self._process
        if kill:
            process.kill()
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()
            except BrokenPipeError:
                pass  # the worker is gone already; unflushed bytes have nowhere to go
        try:
            return process.wait(EXIT_WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()

    def __enter__(self) -> SuiteWorker:
        return self

    def __exit__(self, kind, error, trace) -> None:
        self.close(kill=error is not None)


def _exit_status(process: subprocess.Popen) -> str:
    try:
        code = process.wait(EXIT_WAIT)
    except subprocess.TimeoutExpired:
        return "it stopped answering"
    if code < 0:
        return f"killed by signal {-code}"
    return f"exit status {code}; its error output is in the log above"


def serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    """The worker's loop: GE is imported first, then each request is answered until input ends."""
    try:
        suites.warm_up()
        broken = None
    except Exception:  # reported with the first request, where the caller waits for it
        broken = traceback.format_exc()
    while True:
        try:
            calls, params = pickle.load(requests)  # noqa: S301 (sent by our own caller)
        except EOFError:
            return
        if broken:
            reply: tuple[str, Any] = ("error", broken)
        else:
            try:
                reply = ("ok", two_cores.validate_all(calls, params))
            except Exception:
                reply = ("error", traceback.format_exc())
        del calls  # the frames, before the reply is pickled
        pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()


def main() -> None:
    lean_imports.defer()  # before GE is imported: its parts our suites never run stay unloaded
    # GE's messages reach the run's log as they did from the pipeline's process (assets/run.py):
    # GE logs at INFO, e.g. "Created temporary directory ... for ephemeral docs site" (a path GE
    # picks for a Data Docs site it never builds here) when the context is made.
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    # GE makes (disabled) tqdm progress bars, and the first starts tqdm's monitor thread: with it
    # this process would no longer be single-threaded, and two_cores would not fork.
    from tqdm import tqdm

    tqdm.monitor_interval = 0
    # stdout carries the replies: anything else printed from here on goes to stderr instead.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, replies)
    replies.close()
    # Nothing is left to flush or close: skip the interpreter's teardown of GE (~0.5 s).
    os._exit(0)


if __name__ == "__main__":
    main()
