"""Parse many returns on every core: reading one return depends on no other.

The caller keeps the only DuckDB connection and writes each chunk of results as it arrives;
worker processes only read archived files and send back `ParsedReturn`s (a batch's cells as one
Arrow table, which the warehouse inserts as it is: `_Shipment`). Results come back in
the order of the jobs, a chunk at a time, with at most the next chunk being parsed ahead, so
memory is bounded by two chunks whatever the number of files.

Workers are forked, so they start at once with the parser already loaded (`spawn` and
`forkserver` would re-import the `__main__` module in every worker: all of Dagster under
`python -m assets.run`). A fork copies only the calling thread: start no thread that might hold a
lock (an import under way) before the first chunk is back, by which time every worker is forked.
Where fork is not offered, and for a few returns (a worker costs more than it saves), the returns
are parsed in this process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import pyarrow as pa

from pipelines.parsed.cells import cells_table
from pipelines.parsed.returns import ParsedReturn, parse_return
from pipelines.parsed.workbook import DEFAULT_LIMITS, Limits

PARALLEL_FROM = 40  # returns; below this, one process (starting the workers costs ~0.1 s)
MAX_WORKERS = 8  # a worker shares this process's memory (copy on write) and adds a few MB
BATCH = 4  # returns per round trip to a worker: fewer messages, still an even spread

Job = tuple[Path, str, str]  # archived file, submission id, file name as sent


def workers_available() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def _parse(job: Job, limits: Limits) -> ParsedReturn:
    path, submission_id, file_name = job
    return parse_return(path, submission_id, file_name, limits)


def _parse_all(jobs: list[Job], limits: Limits) -> list[ParsedReturn]:
    return [_parse(job, limits) for job in jobs]


class _Shipment:
    """A worker's batch of results on its way to the writing process, all their cells in one Arrow
    table: per value, pickle costs an object on each side; a table costs a few buffers per batch
    (one table per return would cost more than the tuples it replaces). It arrives as the list of
    ParsedReturns it carries, each holding its slice of the table."""

    def __init__(self, results: list[ParsedReturn]):
        self.results = results

    def __reduce__(self):
        ids = [result.submission_id for result in self.results for _ in result.cells]
        table = cells_table(ids, [cell for result in self.results for cell in result.cells])
        states = [{k: v for k, v in vars(result).items() if k != "cells"} for result in self.results]
        return _unpack, (states, [len(result.cells) for result in self.results], table)


def _unpack(states: list[dict], counts: list[int], table: pa.Table) -> list[ParsedReturn]:
    results, start = [], 0
    for state, count in zip(states, counts, strict=True):
        results.append(ParsedReturn.shipped(state, table.slice(start, count)))
        start += count
    return results


def _parse_and_ship(jobs: list[Job], limits: Limits) -> _Shipment:
    return _Shipment(_parse_all(jobs, limits))


def _batches(jobs: list[Job], size: int) -> list[list[Job]]:
    return [jobs[start : start + size] for start in range(0, len(jobs), size)]


def _can_fork() -> bool:
    return sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()


def parse_chunks(
    jobs: list[Job],
    chunk_size: int,
    limits: Limits = DEFAULT_LIMITS,
    workers: int | None = None,
    parallel_from: int | None = None,
) -> Iterator[list[ParsedReturn]]:
    """The jobs' ParsedReturns in job order, `chunk_size` at a time.

    `workers` defaults to the cores this process may use, `parallel_from` to PARALLEL_FROM.
    """
    workers = workers_available() if workers is None else workers
    parallel_from = PARALLEL_FROM if parallel_from is None else parallel_from
    chunks = _batches(jobs, chunk_size)
    if workers < 2 or len(jobs) < max(parallel_from, 2) or not _can_fork():
        for chunk in chunks:
            yield _parse_all(chunk, limits)
        return
    # The first return is read here: it builds the vocabulary and country tables (~0.5 s) that
    # every forked worker then inherits instead of building its own (and that this process uses
    # again when it publishes the coverage).
    first = Future()
    first.set_result(_parse_all(chunks[0][:1], limits))
    chunks[0] = chunks[0][1:]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:

        def submit(chunk: list[Job]) -> list[Future]:
            return [pool.submit(_parse_and_ship, batch, limits) for batch in _batches(chunk, BATCH)]

        # Python 3.11 forks every worker at the first submit. Frozen, the objects this process
        # holds (Dagster, pandas: a million of them) are left alone by the workers' garbage
        # collector, which would otherwise walk them all and copy every page it touched.
        gc.freeze()
        try:
            ahead = deque([[first, *submit(chunks[0])]])
        finally:
            gc.unfreeze()
        for chunk in chunks[1:]:
            ahead.append(submit(chunk))  # the workers parse the next chunk while this one is saved
            yield _results(ahead.popleft())
        while ahead:
            yield _results(ahead.popleft())


def _results(futures: list[Future]) -> list[ParsedReturn]:
    return [result for future in futures for result in future.result()]
