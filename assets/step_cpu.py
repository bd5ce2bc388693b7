"""The CPU seconds a step used, recorded with its materialization (`names.STEP_CPU_SECONDS`).

Wall seconds alone do not say whether a step computed or waited. Beside them, a data engineer
sees in Dagster's plot of the asset's metadata, run after run, whether a step is bound by the
cores, and `make bench` reads them to say where the time goes per return.

Counted: this process (all its threads) and the child processes that ended during the step: the
parse and feedback workers, the Great Expectations worker, the overview's chart worker. A child is
counted by the step in which it ends, so the import that a worker prestarted by `make run` does
while the run starts (pipelines/fresh_worker.py) is counted by the step that closes it.
"""

from __future__ import annotations

import time

from assets.names import STEP_CPU_SECONDS

try:
    import resource
except ImportError:  # not on a Unix: this process's own CPU only
    resource = None


def _used() -> float:
    if resource is None:
        return time.process_time()
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class StepCpu:
    """Made when the step starts; `metadata()` when it is done."""

    def __init__(self) -> None:
        self._start = _used()

    def metadata(self) -> dict[str, float]:
        return {STEP_CPU_SECONDS: round(_used() - self._start, 3)}
