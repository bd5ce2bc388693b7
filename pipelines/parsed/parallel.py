"""Parse many returns on every core (pipelines/fork_pool.py): reading one return depends on no other.

The caller keeps the only DuckDB connection and writes each chunk of results as it arrives;
worker processes only read archived files and send back `ParsedReturn`s (a batch's cells as one
Arrow table, which the warehouse inserts as it is: `_Shipment`), in job order, a chunk at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pyarrow as pa

from pipelines.fork_pool import map_in_chunks
from pipelines.parsed.cells import cells_table
from pipelines.parsed.returns import ParsedReturn, parse_return
from pipelines.parsed.workbook import DEFAULT_LIMITS, Limits

PARALLEL_FROM = 40  # returns; below this, one process (starting the workers costs ~0.1 s)
BATCH = 4  # returns per round trip to a worker: fewer messages, still an even spread

Job = tuple[Path, str, str]  # archived file, submission id, file name as sent


def _parse(job: Job, limits: Limits) -> ParsedReturn:
    path, submission_id, file_name = job
    return parse_return(path, submission_id, file_name, limits)


def _parse_all(jobs: list[Job], limits: Limits) -> list[ParsedReturn]:
    return [_parse(job, limits) for job in jobs]


class _Shipment(list):
    """A worker's batch of results on its way to the writing process, all their cells in one Arrow
    table: per value, pickle costs an object on each side; a table costs a few buffers per batch
    (one table per return would cost more than the tuples it replaces). It arrives as the list of
    ParsedReturns it carries, each holding its slice of the table."""

    def __reduce__(self):
        ids = [result.submission_id for result in self for _ in result.cells]
        table = cells_table(ids, [cell for result in self for cell in result.cells])
        states = [{k: v for k, v in vars(result).items() if k != "cells"} for result in self]
        return _unpack, (states, [len(result.cells) for result in self], table)


def _unpack(states: list[dict], counts: list[int], table: pa.Table) -> list[ParsedReturn]:
    results, start = [], 0
    for state, count in zip(states, counts, strict=True):
        results.append(ParsedReturn.shipped(state, table.slice(start, count)))
        start += count
    return results


def _parse_and_ship(jobs: list[Job], limits: Limits) -> _Shipment:
    return _Shipment(_parse_all(jobs, limits))


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
    return map_in_chunks(
        partial(_parse_and_ship, limits=limits),
        jobs,
        chunk_size,
        batch=BATCH,
        parallel_from=PARALLEL_FROM if parallel_from is None else parallel_from,
        workers=workers,
    )
