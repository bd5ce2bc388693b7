"""Parsing on worker processes gives exactly what parsing in this process gives, in the same order."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from pipelines import fork_pool
from pipelines.parsed import parallel
from pipelines.parsed.returns import REJECTED, parse_return
from tests.parsed.conftest import synthetic_jobs

# Synthetic files of a few states: drifted returns, planted errors, and the files that are not
# returns at all (a CSV, a legacy .xls, a password-protected workbook...), so the workers meet
# every outcome a parse can have.
STATES = ["KAZ", "FRA", "ESP", "RUS", "KGZ", "ARG", "BRA", "CHN", "DEU", "EGY", "IND", "JPN"]


@pytest.fixture(scope="module")
def jobs(tmp_path_factory) -> list[parallel.Job]:
    return synthetic_jobs(tmp_path_factory.mktemp("inputs"), STATES)


def _comparable(parsed) -> tuple:
    return (
        parsed.submission_id,
        parsed.status,
        parsed.cells,
        [finding.as_record() for finding in parsed.findings],
        parsed.sheets,
        parsed.language,
    )


def test_workers_return_what_one_process_returns_in_job_order(jobs):
    expected = [_comparable(parse_return(*job)) for job in jobs]
    assert any(status == REJECTED for _, status, *_ in expected)  # the non-returns are in the set
    chunk_iterator = parallel.parse_chunks(jobs, chunk_size=5, workers=2, parallel_from=1)
    chunks = [next(chunk_iterator)]
    assert len(multiprocessing.active_children()) == 2  # two worker processes really do the parsing
    chunks += list(chunk_iterator)
    assert not multiprocessing.active_children()  # and are gone once the last chunk is out
    assert [len(chunk) for chunk in chunks] == [len(c) for c in fork_pool.batches(jobs, 5)]
    assert [_comparable(parsed) for chunk in chunks for parsed in chunk] == expected


def test_a_chunk_of_one_and_a_single_worker_change_nothing(jobs):
    few = jobs[:3]
    expected = [_comparable(parse_return(*job)) for job in few]
    in_workers = list(parallel.parse_chunks(few, chunk_size=1, workers=2, parallel_from=1))
    in_process = list(parallel.parse_chunks(few, chunk_size=1, workers=1))
    assert [[_comparable(p) for p in chunk] for chunk in in_workers] == [[e] for e in expected]
    assert [[_comparable(p) for p in chunk] for chunk in in_process] == [[e] for e in expected]


def test_no_jobs_no_chunks():
    assert list(parallel.parse_chunks([], chunk_size=10, workers=2, parallel_from=0)) == []


def test_workers_follow_the_cores_this_process_may_use():
    assert 1 <= fork_pool.workers_available() <= fork_pool.MAX_WORKERS


def test_a_file_gone_from_the_archive_is_rejected_not_a_broken_pool(jobs, tmp_path: Path):
    gone = (tmp_path / "gone.xlsx", "s-gone", "gone.xlsx")
    chunks = list(parallel.parse_chunks([jobs[0], gone, jobs[1]], chunk_size=2, workers=2, parallel_from=1))
    assert [[parsed.submission_id for parsed in chunk] for chunk in chunks] == [["s000", "s-gone"], ["s001"]]
    assert chunks[0][1].status == REJECTED
