"""The overview's chart worker as a process: what `make run` starts, and what that process runs.

The charts are drawn in a process of their own (pipelines/release/overview_worker.py says why and
how). This module is its entry point and lives outside `pipelines.release` on purpose: `make run`
starts the worker before it imports anything heavy (assets/run.py), and importing any module of
`pipelines.release` first imports the release package itself (pandas, pyarrow: ~1 s on the run's
critical path). The worker lowers its CPU priority before it imports anything either, so its
imports and charts only ever take CPU time that the run's other processes leave idle.
"""

from __future__ import annotations

import os

from pipelines.fresh_worker import FreshWorker

MODULE = "pipelines.chart_worker"  # this module, as `python -m` runs it
LABEL = "the overview chart worker"
LOW_PRIORITY = 19  # os.nice increment: the lowest priority there is


class ChartWorker(FreshWorker):
    """A worker that imports matplotlib at once and draws the overview's charts on request."""

    def __init__(self) -> None:
        super().__init__(MODULE, label=LABEL)


def main() -> None:
    os.nice(LOW_PRIORITY)  # first: the imports that follow are most of this worker's work
    from pipelines.release import overview_worker

    overview_worker.serve()


if __name__ == "__main__":
    main()
