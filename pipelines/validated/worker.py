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

Requests and replies are pickles over the worker's stdin and stdout (pipelines/fresh_worker.py,
shared with the overview's chart worker). A failure in the worker comes back as its traceback and
is raised here as `SuiteWorkerError`; a worker that dies closes its stdout, which is raised too,
with its exit status: never a hang. Only the caller writes to DuckDB.

`make run` starts the worker before it even imports Dagster (assets/run.py), so GE is imported on
the core that idles while the run starts; `SuiteWorker.for_validation()` takes that one when it is
there and alive, and starts a fresh one otherwise. This module is imported by that early start, so
it imports nothing heavy at the top (no pandas): the suites are imported inside the worker.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pipelines import fresh_worker
from pipelines.fresh_worker import FreshWorker, WorkerError

if TYPE_CHECKING:
    from pipelines.validated.suites import Failure, SuiteCall, SuiteSummary

MODULE = "pipelines.validated.worker"  # this module, as `python -m` runs it
LABEL = "the Great Expectations worker"


class SuiteWorkerError(RuntimeError):
    """The GE worker failed or died: the message says how, with its traceback when it has one."""


class SuiteWorker(FreshWorker):
    """One worker process for the length of a `with` block; `validate_all` as `suites.validate_all`.

    The process starts (and begins importing GE) when the object is made, so make it as soon as
    there is something to validate and build the frames meanwhile.
    """

    def __init__(self) -> None:
        super().__init__(MODULE, label=LABEL)

    @classmethod
    def for_validation(cls) -> SuiteWorker:
        """The worker `make run` prestarted, if there is one and it is alive; else a new one."""
        prestarted = fresh_worker.take_prestarted(MODULE)
        return prestarted if isinstance(prestarted, SuiteWorker) else cls()

    def validate_all(
        self, calls: list[SuiteCall], params: dict[str, Any]
    ) -> tuple[list[Failure], list[SuiteSummary]]:
        """What `suites.validate_all(calls, params)` gives, computed in the worker."""
        try:
            return self.request((calls, params))
        except WorkerError as error:
            raise SuiteWorkerError(str(error)) from error

    def __enter__(self) -> SuiteWorker:
        return self


def _validate(request: tuple[list[SuiteCall], dict[str, Any]]) -> tuple[list[Failure], list[SuiteSummary]]:
    from pipelines.validated import two_cores

    calls, params = request
    return two_cores.validate_all(calls, params)


def _warm_up() -> None:
    from pipelines.validated import suites

    suites.warm_up()


def main() -> None:
    from pipelines.validated import lean_imports

    lean_imports.defer()  # before GE is imported: its parts our suites never run stay unloaded
    # GE's messages reach the run's log as they did from the pipeline's process (assets/run.py):
    # GE logs at INFO, e.g. "Created temporary directory ... for ephemeral docs site" (a path GE
    # picks for a Data Docs site it never builds here) when the context is made.
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    # GE makes (disabled) tqdm progress bars, and the first starts tqdm's monitor thread: with it
    # this process would no longer be single-threaded, and two_cores would not fork.
    from tqdm import tqdm

    tqdm.monitor_interval = 0
    fresh_worker.run(_validate, _warm_up)


if __name__ == "__main__":
    main()
