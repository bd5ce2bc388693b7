"""Validate a batch of parsed submissions: four GE calls in all, whatever the number of returns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from pipelines.findings import Finding
from pipelines.reference import form as vocabulary
from pipelines.validated import frames, suites
from pipelines.validated.judge import Judgement, judge, status_of
from pipelines.validated.suites import SuiteSummary

INTEGER_FIELDS = ("participants_total", "participants_women")
DATE_FIELDS = ("start_date", "end_date")


@dataclass
class Validated:
    covers: pd.DataFrame
    activities: pd.DataFrame
    outcomes: pd.DataFrame
    prison_values: pd.DataFrame
    findings: list[Finding]
    statuses: dict[str, str]
    summaries: list[SuiteSummary] = field(default_factory=list)


def validate_batch(
    cells: pd.DataFrame, submission_ids: list[str], earlier_findings: list[Finding], today: dt.date
) -> Validated:
    """`cells` holds the parsed cells of `submission_ids`; `earlier_findings` are the parse layer's."""
    params = suites.parameters(today.year)
    covers = frames.cover_frame(cells, submission_ids, today)
    activities = frames.activities_frame(cells, covers)
    outcomes = frames.outcomes_frame(cells)
    prisons = frames.prisons_frame(cells)
    failures, summaries = [], []
    for name, frame, index in (
        ("cover", covers, ["submission_id"]),
        ("activities", activities, frames.ROW_INDEX),
        ("outcomes", outcomes, frames.ROW_INDEX),
        ("prisons", prisons, frames.PRISON_INDEX),
    ):
        found, summary = suites.validate(name, frame, index, params)
        failures.extend(found)
        summaries.extend(summary)
    judgement = judge(failures, cells)
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
        covers=_typed_covers(covers),
        activities=kept(_typed_rows(activities, "activities", judgement)),
        outcomes=kept(_typed_rows(outcomes, "outcomes", judgement)),
        prison_values=kept(_prison_values(cells, judgement)),
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


def _quarantine_columns(frame: pd.DataFrame, kind: str, judgement: Judgement) -> pd.DataFrame:
    reasons = [
        ";".join(judgement.quarantined_rows.get((submission, kind, int(row_no)), []))
        for submission, row_no in zip(frame["submission_id"], frame["row_no"], strict=True)
    ]
    frame["quarantined"] = [bool(reason) for reason in reasons]
    frame["quarantine_reasons"] = [reason or None for reason in reasons]
    return frame


def _typed_rows(wide: pd.DataFrame, kind: str, judgement: Judgement) -> pd.DataFrame:
    names = list(vocabulary.fields(kind))
    columns = ["submission_id", "row_no", *(["outcome_no"] if kind == "outcomes" else []), *names]
    typed = wide.reindex(columns=columns).copy()
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


def _prison_values(cells: pd.DataFrame, judgement: Judgement) -> pd.DataFrame:
    prison = cells[(cells["sheet_kind"] == "prisons") & cells["year"].notna() & cells["field"].notna()]
    prison = prison.drop_duplicates(["submission_id", "field", "year"])
    values = pd.DataFrame(
        {
            "submission_id": prison["submission_id"],
            "indicator": prison["field"],
            "year": prison["year"].astype(int),
            "value": pd.to_numeric(prison["value"], errors="coerce"),
            "obs_status": prison["obs_status"],
            "cell_ref": prison["cell_ref"],
        }
    )
    reasons = [
        ";".join(judgement.quarantined_cells.get((submission, indicator, int(year)), []))
        for submission, indicator, year in zip(
            values["submission_id"], values["indicator"], values["year"], strict=True
        )
    ]
    # A cell that could not be read (no observation status) is never a value, whatever the rules said.
    unreadable = values["obs_status"].isna()
    values["quarantined"] = [bool(reason) or bad for reason, bad in zip(reasons, unreadable, strict=True)]
    values["quarantine_reasons"] = [
        reason or ("unreadable" if bad else None) for reason, bad in zip(reasons, unreadable, strict=True)
    ]
    return values.reset_index(drop=True)
