"""The shared pool: jobs done on forked workers come back as one process would give them, in order, a
chunk at a time; few jobs stay in this process; a failing job stops the run with its own error."""

from __future__ import annotations

import functools
import multiprocessing
import os

import pytest

from pipelines import fork_pool


def square_with_pid(jobs: list[int]) -> list[tuple[int, int]]:
    return [(job * job, os.getpid()) for job in jobs]


def fails_at(bad: int, jobs: list[int]) -> list[int]:
    for job in jobs:
        if job == bad:
            raise ValueError(f"job {job} failed")
    return jobs


def test_workers_give_the_results_in_job_order_a_chunk_at_a_time():
    jobs = list(range(23))
    chunks = fork_pool.map_in_chunks(square_with_pid, jobs, 5, batch=2, parallel_from=1, workers=2)
    first = next(chunks)
    assert len(multiprocessing.active_children()) == 2  # two workers really do the jobs
    results = [first, *chunks]
    assert not multiprocessing.active_children()  # and are gone once the last chunk is out
    assert [len(chunk) for chunk in results] == [5, 5, 5, 5, 3]
    assert [square for chunk in results for square, _ in chunk] == [job * job for job in jobs]
    pids = {pid for chunk in results for _, pid in chunk}
    assert first[0][1] == os.getpid()  # the first job is done here, before any fork
    assert len(pids - {os.getpid()}) >= 1  # the others on workers


@pytest.mark.parametrize(
    ("count", "workers", "parallel_from"), [(5, 2, 10), (30, 1, 1), (0, 2, 0), (1, 2, 0)]
)
def test_few_jobs_or_one_worker_stay_in_this_process(count, workers, parallel_from):
    jobs = list(range(count))
    chunks = list(
        fork_pool.map_in_chunks(
            square_with_pid, jobs, 4, batch=2, parallel_from=parallel_from, workers=workers
        )
    )
    assert [square for chunk in chunks for square, _ in chunk] == [job * job for job in jobs]
    assert {pid for chunk in chunks for _, pid in chunk} <= {os.getpid()}
    assert not multiprocessing.active_children()


def test_a_failing_job_raises_its_own_error_and_leaves_no_worker_behind():
    work = functools.partial(fails_at, 13)
    chunks = fork_pool.map_in_chunks(work, list(range(40)), 4, batch=2, parallel_from=1, workers=2)
    done = []
    with pytest.raises(ValueError, match="job 13 failed"):
        for chunk in chunks:
            done += chunk
    assert done == list(range(12))  # the chunks before the failing one came back whole
    assert not multiprocessing.active_children()


def test_stopping_early_leaves_no_worker_behind():
    chunks = fork_pool.map_in_chunks(
        square_with_pid, list(range(100)), 4, batch=2, parallel_from=1, workers=2
    )
    next(chunks)
    chunks.close()
    assert not multiprocessing.active_children()


def test_workers_follow_the_cores_this_process_may_use():
    assert 1 <= fork_pool.workers_available() <= fork_pool.MAX_WORKERS
