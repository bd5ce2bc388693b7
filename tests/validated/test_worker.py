"""GE in a worker process: the same failures as in this process, errors raised rather than waited
for, and the validate step's own process never importing GE.

Real worker processes (a fresh interpreter each), real GE validations of returns written as .xlsx
and parsed into a real DuckDB file (the `warehouse` fixture, tests/validated/planted.py).
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import signal
import subprocess
import sys
import time

import pytest

from pipelines import fresh_worker
from pipelines.fresh_worker import PROJECT_ROOT, FreshWorker
from pipelines.validated import suites, two_cores
from pipelines.validated.validate import even_batches, suite_calls, suite_frames
from pipelines.validated.worker import SuiteWorker, SuiteWorkerError
from pipelines.warehouse import store
from tests.validated.planted import MANY, TODAY


@pytest.fixture(scope="module")
def calls(warehouse) -> list[suites.SuiteCall]:
    database, ids = warehouse
    with store.writer(database) as writer:
        return suite_calls(suite_frames(writer.cells_of, ids, TODAY, group=100))


@pytest.fixture(scope="module")
def worker():
    running = SuiteWorker()
    yield running
    assert running.close() == 0  # closing its input ends it, cleanly


def test_the_worker_finds_exactly_what_this_process_finds(calls, worker):
    params = suites.parameters(TODAY.year)
    here = suites.validate_all(calls, params)
    there = worker.validate_all(calls, params)
    assert repr(there) == repr(here)  # same failures and summaries, same values, same order
    failures, summaries = there
    assert {f.rule for f in failures} >= {"women_not_above_total", "thematic_area_code"}
    assert sum(f.rule == "related_activity_exists" for f in failures) == MANY
    assert {s.suite for s in summaries} == set(suites.SUITE_NAMES)


# A column each suite needs, missing from its frame: its expectations cannot run. One suite of
# each half: the worker validates one half itself and the other in a fork (two_cores.halves).
@pytest.mark.parametrize(("suite", "column"), [("prisons", "PRISONERS_TOTAL"), ("activities", "title")])
def test_an_error_in_the_worker_is_raised_here_with_its_traceback(calls, worker, suite, column):
    params = suites.parameters(TODAY.year)
    broken = [
        (name, frame.drop(columns=column) if name == suite else frame, index) for name, frame, index in calls
    ]
    with pytest.raises(SuiteWorkerError, match=f"failed to run: .*{column}") as raised:
        worker.validate_all(broken, params)
    assert "Traceback" in str(raised.value)
    # Not the worker's first batch: it still forks (no thread of its own started meanwhile).
    forked = [calls[i][0] for i in two_cores.halves(calls)[1]]
    assert ("forked half" in str(raised.value)) == (suite in forked)
    # The worker answers the next batch as if nothing had happened.
    assert repr(worker.validate_all(calls, params)) == repr(suites.validate_all(calls, params))


def test_a_worker_that_dies_is_reported_not_waited_for(calls):
    worker = SuiteWorker()
    try:
        os.kill(worker.pid, signal.SIGKILL)  # as the kernel's OOM killer would
        with pytest.raises(SuiteWorkerError, match=f"killed by signal {signal.SIGKILL.value}"):
            worker.validate_all(calls, suites.parameters(TODAY.year))
    finally:
        worker.close()


def test_the_suites_split_in_two_halves_of_about_as_many_expectations(calls):
    first, second = two_cores.halves(calls)
    assert sorted(first + second) == list(range(len(calls)))
    weight = [len(suites.suite_definition(name)["expectations"]) for name, _, _ in calls]
    loads = sum(weight[i] for i in first), sum(weight[i] for i in second)
    assert abs(loads[0] - loads[1]) <= max(weight) // 2, loads


@pytest.mark.parametrize(
    ("count", "most", "sizes"),
    [(0, 1000, []), (12, 1000, [12]), (1000, 1000, [1000]), (1012, 1000, [506, 506]), (7, 3, [3, 3, 1])],
)
def test_batches_are_as_few_and_as_even_as_will_do(count, most, sizes):
    ids = [f"S{i}" for i in range(count)]
    batches = even_batches(ids, most)
    assert [len(batch) for batch in batches] == sizes
    assert [i for batch in batches for i in batch] == ids


# Runs in a fresh interpreter, as `make run` does: this test session has imported GE already.
VALIDATE_STEP = """
import datetime, json, sys
from pathlib import Path
from pipelines import steps
from pipelines.settings import Paths
paths = Paths(Path(sys.argv[1]), Path(sys.argv[2]))
steps.receive_step(paths)
steps.parse_step(paths)
report = steps.validate_step(paths, today=datetime.date.fromisoformat(sys.argv[3]))
print(json.dumps({"statuses": report.statuses, "ge_imported": "great_expectations" in sys.modules,
                  "summaries": len(report.summaries)}))
"""


@pytest.mark.slow  # receives, parses and validates in a fresh interpreter: ~10 s
def test_the_validate_step_never_imports_ge_in_its_own_process(warehouse, tmp_path):
    database, _ = warehouse
    inputs = database.parent / "inputs"  # the planted returns, received and parsed afresh
    ran = subprocess.run(
        [sys.executable, "-c", VALIDATE_STEP, str(inputs), str(tmp_path), TODAY.isoformat()],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    report = json.loads(ran.stdout.strip().splitlines()[-1])
    assert report["statuses"] == {"ACCEPTED": 1, "ACCEPTED_WITH_WARNINGS": 3, "REJECTED": 1}
    expectations = sum(len(suites.suite_definition(name)["expectations"]) for name in suites.SUITE_NAMES)
    assert report["summaries"] == expectations  # every expectation ran, in the worker
    assert report["ge_imported"] is False


LEAN_VALIDATION = """
import json, pickle, sys
from pipelines.validated import lean_imports
lean_imports.defer()
from pipelines.validated import suites
calls, params = pickle.load(sys.stdin.buffer)
failures, summaries = suites.validate_all(calls, params)
loaded = [name for name, module in sys.modules.items() if module is not None]
print(json.dumps({"failures": len(failures), "still_deferred": lean_imports.still_deferred(),
                  "sqlalchemy": [name for name in loaded if name.partition(".")[0] == "sqlalchemy"]}))
"""


def test_ge_validates_without_loading_scipy_stats_altair_or_sqlalchemy(calls):
    params = suites.parameters(TODAY.year)
    ran = subprocess.run(
        [sys.executable, "-c", LEAN_VALIDATION],
        cwd=PROJECT_ROOT,
        input=pickle.dumps((calls, params)),
        capture_output=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr.decode()
    seen = json.loads(ran.stdout.decode().strip().splitlines()[-1])
    assert seen["failures"] == len(suites.validate_all(calls, params)[0])
    assert seen["still_deferred"] == ["scipy.stats", "altair"]  # registered, never run
    assert seen["sqlalchemy"] == []  # not one module of it


# --- the worker `make run` starts before it imports anything heavy (pipelines/fresh_worker.py) ------


@pytest.fixture
def no_prestarted_workers():
    yield
    fresh_worker.reap_prestarted()  # whatever a test left behind


def _wait_until_gone(worker: FreshWorker) -> None:
    for _ in range(600):  # a killed process is gone in milliseconds; bounded, never a hang
        if not worker.alive():
            return
        time.sleep(0.05)
    raise AssertionError(f"pid {worker.pid} still running")


def test_the_prestarted_worker_is_taken_once_and_validates_as_a_new_one(calls, no_prestarted_workers):
    prestarted = SuiteWorker()
    fresh_worker.prestart(prestarted)
    with SuiteWorker.for_validation() as taken:
        assert taken is prestarted
        params = suites.parameters(TODAY.year)
        assert repr(taken.validate_all(calls, params)) == repr(suites.validate_all(calls, params))
        with SuiteWorker.for_validation() as second:  # taken already: a step of its own starts one
            assert second.pid != prestarted.pid
    assert not prestarted.alive()


def test_a_prestarted_worker_that_died_is_replaced_not_waited_for(calls, no_prestarted_workers, caplog):
    prestarted = SuiteWorker()
    fresh_worker.prestart(prestarted)
    os.kill(prestarted.pid, signal.SIGKILL)  # as the kernel's OOM killer would, while the run starts
    _wait_until_gone(prestarted)
    with caplog.at_level(logging.WARNING, logger=fresh_worker.__name__):
        with SuiteWorker.for_validation() as replacement:
            assert replacement is not prestarted
            params = suites.parameters(TODAY.year)
            assert repr(replacement.validate_all(calls, params)) == repr(suites.validate_all(calls, params))
    assert f"had died before it was used: killed by signal {signal.SIGKILL.value}" in caplog.text
    assert prestarted.close() == -signal.SIGKILL  # reaped when it was found dead


def test_a_forked_child_never_takes_its_parents_worker(no_prestarted_workers):
    prestarted = SuiteWorker()
    fresh_worker.prestart(prestarted)
    pid = os.fork()  # as the parse step's workers are forked from `make run`
    if pid == 0:
        taken = fresh_worker.take_prestarted(prestarted.module)
        fresh_worker.reap_prestarted()  # must not end the parent's worker either
        os._exit(0 if taken is None else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert prestarted.alive()
    assert fresh_worker.take_prestarted(prestarted.module) is prestarted
    assert prestarted.close() == 0


def test_workers_no_step_took_are_ended_at_once(no_prestarted_workers):
    prestarted = SuiteWorker()  # still importing GE: ended, not waited for
    fresh_worker.prestart(prestarted)
    fresh_worker.reap_prestarted()
    assert not prestarted.alive()
    assert fresh_worker.take_prestarted(prestarted.module) is None


def test_starting_the_workers_imports_nothing_heavy():
    """`make run` starts them first thing: importing what it takes must not cost what they spare it."""
    probe = (
        "import sys, pipelines.validated.worker, pipelines.chart_worker, assets.run; "
        "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    ran = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0, ran.stderr
    loaded = set(ran.stdout.split())
    assert "pipelines" in loaded
    assert not loaded & {"pandas", "numpy", "dagster", "great_expectations", "matplotlib", "pyarrow"}
