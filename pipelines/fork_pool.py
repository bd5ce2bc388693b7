"""Run independent jobs on every core, in forked workers, and get their results back in order.

For steps whose jobs depend on no other (parsing a return, writing its feedback): the caller
keeps everything that must stay in one process (the only DuckDB connection, the writing of
results); workers get plain data and send plain data back. Results come back in the order of the
jobs, a chunk at a time, with at most the next chunk being worked on ahead, so memory is bounded
by two chunks whatever the number of jobs.

Workers are forked, so they start at once with the caller's modules already loaded (`spawn` and
`forkserver` would re-import the `__main__` module in every worker: all of Dagster under
`python -m assets.run`). A fork copies only the calling thread: start no thread that might hold a
lock (an import under way) before the first chunk is back, by which time every worker is forked.
The first job is done in the calling process before any fork, so the caches it fills (vocabulary,
country tables, message templates) are inherited by every worker instead of built in each.
Where fork is not offered, and for a few jobs (a worker costs more than it saves), everything
runs in the calling process.

`work` takes a list of jobs and returns their results in the same order; it must be a module-level
function (or a `functools.partial` of one) so that it can be sent to a worker.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

MAX_WORKERS = 8  # a worker shares the caller's memory (copy on write) and adds a few MB

Job = TypeVar("Job")
Result = TypeVar("Result")


def workers_available() -> int:
    """The cores this process may use, at most MAX_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def can_fork() -> bool:
    return sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()


def batches(jobs: Sequence[Job], size: int) -> list[list[Job]]:
    return [list(jobs[start : start + size]) for start in range(0, len(jobs), size)]


def map_in_chunks(
    work: Callable[[list[Job]], list[Result]],
    jobs: Sequence[Job],
    chunk_size: int,
    *,
    batch: int,
    parallel_from: int,
    workers: int | None = None,
) -> Iterator[list[Result]]:
    """`work` over `jobs`: the results in job order, `chunk_size` at a time.

    `batch` jobs go to a worker per round trip (fewer messages, still an even spread); below
    `parallel_from` jobs, or with fewer than 2 `workers` (default: the cores this process may use),
    or where fork is not offered, all run in this process.
    """
    workers = workers_available() if workers is None else workers
    chunks = batches(jobs, chunk_size)
    if workers < 2 or len(jobs) < max(parallel_from, 2) or not can_fork():
        for chunk in chunks:
            yield work(chunk)
        return
    first: Future = Future()
    first.set_result(work(chunks[0][:1]))  # before any fork: see the module's docstring
    chunks[0] = chunks[0][1:]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:

        def submit(chunk: list[Job]) -> list[Future]:
            return [pool.submit(work, part) for part in batches(chunk, batch)]

        # Python 3.11 forks every worker at the first submit. Frozen, the objects this process
        # holds (Dagster, pandas: a million of them) are left alone by the workers' garbage
        # collector, which would otherwise walk them all and copy every page it touched.
        gc.freeze()
        try:
            ahead = deque([[first, *submit(chunks[0])]])
        finally:
            gc.unfreeze()
        try:
            for chunk in chunks[1:]:
                ahead.append(submit(chunk))  # the workers do the next chunk while this one is used
                yield _results(ahead.popleft())
            while ahead:
                yield _results(ahead.popleft())
        except BaseException:  # a job failed, or the caller stopped early: drop the jobs not begun
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _results(futures: list[Future]) -> list:
    return [result for future in futures for result in future.result()]
