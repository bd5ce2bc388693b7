"""Validate the suites on two cores: half of them in a fork of the GE worker, half in the worker.

GE's cost is mostly per expectation (5-10 ms each building its metric graph, whatever the rows),
and the Prisons suite holds 43 of the 88: split in two halves by expectation count, a batch is
validated in about half the time when a second core is free. Forked, the second half starts at
once with GE imported and the frames in memory. Only a process running no other thread forks
(the GE worker is a fresh interpreter and starts none), so no lock is inherited mid-use. Each
half is whole suites; the failures and summaries come back in the order of the calls, as
`suites.validate_all` gives them.
"""

from __future__ import annotations

import gc
import os
import pickle
import threading
import traceback
from typing import Any

from pipelines.validated import suites
from pipelines.validated.suites import Failure, SuiteCall, SuiteSummary

Outcome = tuple[list[Failure], list[SuiteSummary]]


class ForkedHalfError(RuntimeError):
    """The forked half of a validation failed or died."""


def halves(calls: list[SuiteCall]) -> tuple[list[int], list[int]]:
    """The calls' positions in two groups of about as many expectations each (heaviest first)."""
    weight = {name: len(suites.suite_definition(name)["expectations"]) for name in {c[0] for c in calls}}
    groups: tuple[list[int], list[int]] = ([], [])
    loads = [0, 0]
    for position in sorted(range(len(calls)), key=lambda i: -weight[calls[i][0]]):
        lighter = 0 if loads[0] <= loads[1] else 1
        groups[lighter].append(position)
        loads[lighter] += weight[calls[position][0]]
    return groups


def _validate_each(
    calls: list[SuiteCall], positions: list[int], params: dict[str, Any]
) -> dict[int, Outcome]:
    return {position: suites.validate(*calls[position], params) for position in positions}


def validate_all(calls: list[SuiteCall], params: dict[str, Any]) -> Outcome:
    """`suites.validate_all`, with the second half of the suites run in a forked process."""
    mine, theirs = halves(calls)
    if not theirs or not hasattr(os, "fork") or threading.active_count() > 1:
        return suites.validate_all(calls, params)  # a fork could inherit another thread's lock
    read_end, write_end = os.pipe()
    gc.freeze()  # the fork's GC leaves the objects both halves share alone: no page copied for it
    pid = os.fork()
    # The fork holds the worker's ends of its pipes too, for the second or so it lives: should the
    # worker die meanwhile, its caller sees the end of the replies when the fork is done.
    if pid == 0:  # the forked half: validate, send, and leave without running the worker's exit code
        os.close(read_end)
        try:
            with os.fdopen(write_end, "wb") as out:
                try:
                    reply: tuple[str, Any] = ("ok", _validate_each(calls, theirs, params))
                except BaseException:
                    reply = ("error", traceback.format_exc())
                pickle.dump(reply, out, protocol=pickle.HIGHEST_PROTOCOL)
        finally:
            os._exit(0)
    gc.unfreeze()
    os.close(write_end)
    try:
        results = _validate_each(calls, mine, params)
    finally:
        with os.fdopen(read_end, "rb") as answer:
            try:
                status, payload = pickle.load(answer)  # noqa: S301 (our own fork's reply)
            except EOFError:
                status, payload = "error", "it died before answering"
        _, code = os.waitpid(pid, 0)
    if status != "ok":
        raise ForkedHalfError(
            f"the forked half of the validation (pid {pid}, wait status {code}) failed:\n{payload}"
        )
    results.update(payload)
    failures: list[Failure] = []
    summaries: list[SuiteSummary] = []
    for position in range(len(calls)):
        found, summary = results[position]
        failures.extend(found)
        summaries.extend(summary)
    return failures, summaries
