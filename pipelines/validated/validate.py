"""Validate a batch of parsed submissions: one validation per suite, whatever the number of returns.

A GE validation costs 0.1-0.5 s before it looks at a single row (it builds a metric graph per
expectation), so the batch is validated once per suite (in two GE calls, the second only for
the expectations that failed: suites.outcomes_of). Only the frames the suites need are kept for
the whole batch: the parsed cells, several times larger, are loaded a group of submissions at a
time, turned into those frames and dropped; after the suites ran, the cells of the submissions
that failed a rule are loaded again, a group at a time, so the judge can point each finding at
its cell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipelines.findings import Finding
from pipelines.reference import form as vocabulary
from pipelines.validated import frames, suites
from pipelines.validated.judge import Judgement, judge, status_of
from pipelines.validated.suites import Failure, SuiteCall, SuiteSummary

INTEGER_FIELDS = ("participants_total", "participants_women")
DATE_FIELDS = ("start_date", "end_date")

# Submissions whose cells are in memory at once (loaded, they take ~0.3 MB per return). Each
# group costs ~30 pandas calls per frame whatever its size: 250 instead of 100 saves ~0.2 s of
# CPU per 1000 returns for ~25 MiB more at the step's peak, far below the release's.
CELLS_GROUP = 250

CellsOf = Callable[[list[str]], pd.DataFrame]  # submission ids -> their parsed cells (store.cells_of)
# The suites' frames and their parameters -> failures and summaries (suites.validate_all or a worker).
SuiteRunner = Callable[[list[SuiteCall], dict[str, Any]], tuple[list[Failure], list[SuiteSummary]]]


@dataclass
class Validated:
    covers: pd.DataFrame
    activities: pd.DataFrame
    outcomes: pd.DataFrame
    prison_values: pd.DataFrame
    findings: list[Finding]
    statuses: dict[str, str]
    summaries: list[SuiteSummary] = field(default_factory=list)


@dataclass
class SuiteFrames:
    """What the suites validate, and the Prisons values, for every submission of a batch."""

    covers: pd.DataFrame
    activities: pd.DataFrame
    outcomes: pd.DataFrame
    prisons: pd.DataFrame
    prison_values: pd.DataFrame


def even_batches(submission_ids: list[str], most: int) -> list[list[str]]:
    """As few batches of at most `most` as will do, of even sizes: a batch costs GE ~1-2 s
    whatever its size, so 1010 returns are two batches of 505, not 1000 and 10."""
    if not submission_ids:
        return []
    count = -(-len(submission_ids) // most)  # ceiling divisions
    size = -(-len(submission_ids) // count)
    return list(_groups(submission_ids, size))


def _groups(submission_ids: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(submission_ids), size):
        yield submission_ids[start : start + size]


def suite_frames(
    cells_of: CellsOf,
    submission_ids: list[str],
    today: dt.date,
    group: int,
    parse_findings: Iterable[Finding] = (),
) -> SuiteFrames:
    """`parse_findings` say which Prisons rows and columns the parse step set aside."""
    set_aside = frames.SetAside.by(parse_findings)
    parts: list[tuple[pd.DataFrame, ...]] = []
    for ids in _groups(submission_ids, group):
        cells = cells_of(ids)
        # Each frame below picks its sheet's cells: a dozen comparisons of this column per group.
        cells["sheet_kind"] = cells["sheet_kind"].astype("category")
        covers = frames.cover_frame(cells, ids, today)
        parts.append(
            (
                covers,
                frames.activities_frame(cells, covers),
                frames.outcomes_frame(cells),
                frames.prisons_frame(cells, set_aside),
                frames.prison_values_frame(cells, set_aside),
            )
        )
        del cells  # before the next group is loaded
    return SuiteFrames(*(frames.stack([part[i] for part in parts]) for i in range(5)))


def suite_calls(batch: SuiteFrames) -> list[SuiteCall]:
    """Each suite with the frame it validates and the columns that name a failing row."""
    return [
        ("cover", batch.covers, ["submission_id"]),
        ("activities", batch.activities, frames.ROW_INDEX),
        ("outcomes", batch.outcomes, frames.ROW_INDEX),
        ("prisons", batch.prisons, frames.PRISON_INDEX),
    ]


def judge_batch(failures: list[Failure], cells_of: CellsOf, group: int) -> Judgement:
    """The judge's verdict on every failure, reading the cells of failing submissions a group at a time."""
    failing = list(dict.fromkeys(failure.index["submission_id"] for failure in failures))
    judgement = Judgement()
    for ids in _groups(failing, group):
        wanted = set(ids)
        part = judge([f for f in failures if f.index["submission_id"] in wanted], cells_of(ids))
        judgement.findings.extend(part.findings)
        judgement.rejected |= part.rejected
        judgement.quarantined_rows.update(part.quarantined_rows)
        judgement.quarantined_cells.update(part.quarantined_cells)
    return judgement


def validate_batch(
    cells_of: CellsOf,
    submission_ids: list[str],
    earlier_findings: list[Finding],
    today: dt.date,
    group: int = CELLS_GROUP,
    run_suites: SuiteRunner = suites.validate_all,
) -> Validated:
    """`cells_of` loads the parsed cells of some submissions; `earlier_findings` are the parse layer's.

    `run_suites` runs GE on the suites' frames: in this process by default, or in a worker
    process (`worker.SuiteWorker.validate_all`), which gives the same failures.
    """
    batch = suite_frames(cells_of, submission_ids, today, group, earlier_findings)
    failures, summaries = run_suites(suite_calls(batch), suites.parameters(today.year))
    judgement = judge_batch(failures, cells_of, group)
    findings = [*earlier_findings, *judgement.findings]
    by_submission: dict[str, list[Finding]] = {}
    for finding in findings:
        by_submission.setdefault(finding.submission_id, []).append(finding)
    statuses = {
        submission: status_of(submission, submission in judgement.rejected, by_submission.get(submission, []))
        for submission in submission_ids
    }

    # A rejected return contributes no data rows at all; its findings still say what was wrong.
    def kept(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[~frame["submission_id"].isin(judgement.rejected)].reset_index(drop=True)

    return Validated(
        covers=_typed_covers(batch.covers),
        activities=kept(_typed_rows(batch.activities, "activities", judgement)),
        outcomes=kept(_typed_rows(batch.outcomes, "outcomes", judgement)),
        prison_values=kept(_prison_values(batch.prison_values, judgement)),
        findings=findings,
        statuses=statuses,
        summaries=summaries,
    )


def _typed_covers(covers: pd.DataFrame) -> pd.DataFrame:
    typed = pd.DataFrame({"submission_id": covers["submission_id"]})
    typed["iso3"] = covers["member_state"]
    typed["reporting_year"] = (
        covers["reporting_year__n"].where(covers["reporting_year__n"].between(1000, 9999)).astype("Int64")
    )
    for name in ("institution", "focal_point", "email", "template_version", "language"):
        typed[name] = covers[name]
    typed["submission_date"] = covers["submission_date__d"].dt.date
    return typed


def _reasons(frame: pd.DataFrame, columns: list[str], quarantined: dict[tuple, list[str]]) -> list[str]:
    """Each row's quarantine reasons, ";"-joined ("" for none), its key being its `columns` (the
    last one an integer). Only the rows of submissions with a quarantine are looked up: no Python
    step for the rows of every other submission (most of a batch's tens of thousands)."""
    reasons = [""] * len(frame)
    submissions = {key[0] for key in quarantined}
    if not submissions:
        return reasons
    looked_up = np.flatnonzero(frame["submission_id"].isin(submissions).to_numpy())
    keys = zip(*(frame[column].to_numpy()[looked_up].tolist() for column in columns), strict=True)
    for position, (*key, number) in zip(looked_up.tolist(), keys, strict=True):
        reasons[position] = ";".join(quarantined.get((*key, int(number)), []))
    return reasons


def _quarantine_columns(frame: pd.DataFrame, kind: str, judgement: Judgement) -> pd.DataFrame:
    of_kind = {
        (submission, row_no): reasons
        for (submission, of, row_no), reasons in judgement.quarantined_rows.items()
        if of == kind
    }
    reasons = _reasons(frame, ["submission_id", "row_no"], of_kind)
    frame["quarantined"] = [bool(reason) for reason in reasons]
    frame["quarantine_reasons"] = [reason or None for reason in reasons]
    return frame


def _typed_rows(wide: pd.DataFrame, kind: str, judgement: Judgement) -> pd.DataFrame:
    names = list(vocabulary.fields(kind))
    columns = ["submission_id", "row_no", *(["outcome_no"] if kind == "outcomes" else []), *names]
    typed = wide.reindex(columns=columns).copy()
    if wide.empty:  # no row of this kind in the whole batch: an empty frame lacks the helper columns
        return _quarantine_columns(typed, kind, judgement)
    if kind == "activities":
        for name in INTEGER_FIELDS:
            typed[name] = (
                wide[f"{name}__n"].where(wide[name].astype(str).str.fullmatch(r"\d+")).astype("Int64")
            )
        for name in DATE_FIELDS:
            typed[name] = wide[f"{name}__d"].dt.date
    else:
        typed["value"] = wide.get("value__n")
    return _quarantine_columns(typed, kind, judgement)


def _prison_values(values: pd.DataFrame, judgement: Judgement) -> pd.DataFrame:
    values = values.copy()
    judged = _reasons(values, ["submission_id", "indicator", "year"], judgement.quarantined_cells)
    # A value set aside by the parse step was never judged: the verdicts on its indicator and year
    # are those of the first occurrence, the value kept.
    reasons = [aside or reason for aside, reason in zip(values.pop("set_aside"), judged, strict=True)]
    # A cell that could not be read (no observation status) is never a value, whatever the rules said.
    unreadable = values["obs_status"].isna()
    values["quarantined"] = [bool(reason) or bad for reason, bad in zip(reasons, unreadable, strict=True)]
    values["quarantine_reasons"] = [
        reason or ("unreadable" if bad else None) for reason, bad in zip(reasons, unreadable, strict=True)
    ]
    return values.reset_index(drop=True)
