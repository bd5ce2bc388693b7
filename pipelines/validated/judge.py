"""Turn expectation failures into findings at their cells, quarantines and a status per submission."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipelines.findings import Action, Finding, Severity
from pipelines.validated.frames import form_error_cells
from pipelines.validated.suites import Failure

ACCEPTED = "ACCEPTED"
ACCEPTED_WITH_WARNINGS = "ACCEPTED_WITH_WARNINGS"
REJECTED = "REJECTED"

ERROR_CELL_MESSAGE = "The cell holds an Excel error ({value}); enter a value instead."


@dataclass
class Judgement:
    findings: list[Finding] = field(default_factory=list)
    rejected: set[str] = field(default_factory=set)
    # (submission_id, kind, row_no) -> reasons
    quarantined_rows: dict[tuple[str, str, int], list[str]] = field(default_factory=lambda: defaultdict(list))
    # (submission_id, indicator, year) -> reasons
    quarantined_cells: dict[tuple[str, str, int], list[str]] = field(
        default_factory=lambda: defaultdict(list)
    )


class CellIndex:
    """Where a field of a row stood in the workbook, and what was written there."""

    def __init__(self, cells: pd.DataFrame):
        keyed = cells[cells["field"].notna()]
        self._by_row: dict[tuple, tuple] = {}
        self._sheet: dict[tuple[str, str], str] = {}
        self._column: dict[tuple[str, str, str], str] = {}  # where a field's column is, from any of its cells
        # Plain Python values (None for a missing year): one pass over lists, no pandas per cell.
        years = keyed["year"].astype(object).where(keyed["year"].notna(), None)
        for submission, kind, sheet, row_no, ref, field_name, year, raw, is_error in zip(
            keyed["submission_id"].tolist(),
            keyed["sheet_kind"].tolist(),
            keyed["sheet_name"].tolist(),
            keyed["row_no"].tolist(),
            keyed["cell_ref"].tolist(),
            keyed["field"].tolist(),
            years.tolist(),
            keyed["raw"].tolist(),
            keyed["is_error"].tolist(),
            strict=True,
        ):
            position = (
                int(year)
                if kind == "prisons" and year is not None
                else (None if kind == "cover" else int(row_no))
            )
            self._by_row.setdefault(
                (submission, kind, position, field_name), (sheet, int(row_no), ref, raw, bool(is_error))
            )
            self._sheet.setdefault((submission, kind), sheet)
            self._column.setdefault((submission, kind.removesuffix("_header"), field_name), ref)
        errors = form_error_cells(cells)
        self._errors: dict[tuple, list[tuple]] = defaultdict(list)
        for submission, kind, row_no, ref, field_name, raw in zip(
            errors["submission_id"],
            errors["sheet_kind"],
            errors["row_no"],
            errors["cell_ref"],
            errors["field"],
            errors["raw"],
            strict=True,
        ):
            self._errors[(submission, kind, None if kind == "cover" else int(row_no))].append(
                (ref, field_name, raw)
            )

    def find(self, submission: str, kind: str, position: int | None, field_name: str) -> tuple | None:
        return self._by_row.get((submission, kind, position, field_name))

    def empty_cell(self, submission: str, kind: str, row_no: int | None, field_name: str) -> str | None:
        """The reference of a cell left empty: the field's column (seen on another row) at `row_no`."""
        ref = self._column.get((submission, kind, field_name))
        if not ref or row_no is None:
            return None
        return "".join(ch for ch in ref if ch.isalpha()) + str(row_no)

    def sheet(self, submission: str, kind: str) -> str | None:
        return self._sheet.get((submission, kind))

    def errors(self, submission: str, kind: str, row_no: int | None) -> list[tuple]:
        return self._errors.get((submission, kind, row_no), [])


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _message(failure: Failure) -> str:
    value = failure.value
    a, b = value if isinstance(value, tuple | list) and len(value) == 2 else (value, None)
    if isinstance(value, dict):
        value = value.get(failure.cells[0]) if failure.cells else next(iter(value.values()), None)
    return failure.message.format(value=_text(value), a=_text(a), b=_text(b))


def sheets_pointed_at(failures: list[Failure], rejected: set[str]) -> set[tuple[str, str]]:
    """(submission_id, sheet kind) of every failure `judge` turns into findings: the only sheets
    whose cells it looks up (a rejected return's rows are not judged, only its cover)."""
    return {
        (f.index["submission_id"], f.suite)
        for f in failures
        if f.suite == "cover" or f.index["submission_id"] not in rejected
    }


def cells_of_sheets(cells: pd.DataFrame, sheets: set[tuple[str, str]]) -> pd.DataFrame:
    """The cells of those sheets (with their header rows, where an empty cell's column is found),
    in their order: the CellIndex of these answers each of judge's questions as that of all cells.
    Most failing returns fail on one or two sheets, and the index costs a Python step per cell."""
    keep = np.zeros(len(cells), dtype=bool)
    for kind in {kind for _, kind in sheets}:
        submissions = [submission for submission, of in sheets if of == kind]
        of_kind = cells["sheet_kind"].isin([kind, f"{kind}_header"])
        keep |= (of_kind & cells["submission_id"].isin(submissions)).to_numpy()
    return cells[keep]


def judge(failures: list[Failure], cells: pd.DataFrame) -> Judgement:
    judgement = Judgement()
    severity = {"critical": Severity.ERROR, "warning": Severity.WARNING}
    judgement.rejected = {
        f.index["submission_id"]
        for f in failures
        if f.action == Action.REJECT and severity[f.severity] is Severity.ERROR
    }
    index = CellIndex(cells_of_sheets(cells, sheets_pointed_at(failures, judgement.rejected)))
    for failure in failures:
        kind = failure.suite  # each suite is named after the sheet kind it validates
        submission = failure.index["submission_id"]
        if submission in judgement.rejected and kind != "cover":
            # A rejected return is told why it was rejected; rules about its rows would only be
            # noise (an activity "outside the reporting year" of a year that was itself refused).
            continue
        position = None if kind == "cover" else int(failure.index["year" if kind == "prisons" else "row_no"])
        action = Action(failure.action)
        if failure.rule == "error_cell":
            for ref, field_name, raw in index.errors(submission, kind, position):
                _record(
                    judgement,
                    index,
                    failure,
                    submission,
                    kind,
                    position,
                    field_name,
                    action,
                    failure.message.format(value=raw, a="", b=""),
                    ref=ref,
                    raw=raw,
                )
            continue
        message = _message(failure)
        for field_name in failure.cells or ("",):
            found = index.find(submission, kind, position, field_name)
            cell_message = message
            if found and found[4]:
                if kind != "prisons":
                    continue  # reported once, by the sheet's error_cell rule
                cell_message = ERROR_CELL_MESSAGE.format(value=found[3])
            _record(
                judgement,
                index,
                failure,
                submission,
                kind,
                position,
                field_name,
                action,
                cell_message,
                ref=found[2] if found else index.empty_cell(submission, kind, position, field_name),
                raw=found[3] if found else None,
                row_no=found[1] if found else None,
            )
            if action is not Action.QUARANTINE_CELL:
                break  # one finding per failing row: it names the first cell the rule concerns
    return judgement


def _record(
    judgement: Judgement,
    index: CellIndex,
    failure: Failure,
    submission: str,
    kind: str,
    position: int | None,
    field_name: str | None,
    action: Action,
    message: str,
    *,
    ref: str | None,
    raw: str | None,
    row_no: int | None = None,
) -> None:
    severity = Severity.ERROR if failure.severity == "critical" else Severity.WARNING
    if row_no is None and kind in ("activities", "outcomes"):
        row_no = position
    judgement.findings.append(
        Finding(
            submission_id=submission,
            stage="validated",
            severity=severity,
            action=action,
            rule=failure.rule,
            message=message,
            sheet=index.sheet(submission, kind),
            row_no=row_no,
            cell_ref=ref,
            field=field_name or None,
            value_found=raw,
        )
    )
    if action is Action.QUARANTINE_ROW:
        reasons = judgement.quarantined_rows[(submission, kind, position)]
        if failure.rule not in reasons:
            reasons.append(failure.rule)
    elif action is Action.QUARANTINE_CELL and field_name:
        reasons = judgement.quarantined_cells[(submission, field_name, position)]
        if failure.rule not in reasons:
            reasons.append(failure.rule)


def status_of(submission: str, rejected: bool, findings: list[Finding]) -> str:
    if rejected:
        return REJECTED
    return ACCEPTED_WITH_WARNINGS if findings else ACCEPTED
