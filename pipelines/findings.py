"""A finding: one thing a person must be told about a submission, at the place it concerns."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Action(StrEnum):
    """What a finding does to the data, from the whole file down to one cell."""

    REJECT = "reject"  # nothing of the submission is published
    QUARANTINE_ROW = "quarantine_row"
    QUARANTINE_CELL = "quarantine_cell"
    REPORT = "report"  # published as sent; the focal point is told


@dataclass(frozen=True)
class Finding:
    submission_id: str
    stage: str  # received | parsed | validated
    severity: Severity
    action: Action
    rule: str
    message: str
    sheet: str | None = None
    row_no: int | None = None
    cell_ref: str | None = None
    field: str | None = None
    value_found: str | None = None

    def as_record(self) -> dict:
        record = asdict(self)
        record["severity"] = str(self.severity)
        record["action"] = str(self.action)
        return record


FINDING_COLUMNS = list(Finding.__dataclass_fields__)
