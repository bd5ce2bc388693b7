"""What the feedback is made of, read from the warehouse through a read-only connection.

A submission's findings live in three tables, one per step that found them (received, parsed,
validated); its status, file and bytes in received.submissions; the form's language on the Cover.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

import duckdb

from pipelines.findings import FINDING_COLUMNS, Finding, Severity
from pipelines.reference.form import SHEET_KINDS
from pipelines.validated.suites import SuiteSummary

# Still moving through the pipeline: their feedback would only say "not yet".
PENDING_STATUSES = ("RECEIVED", "PARSED")
FINDING_TABLES = ("received.findings", "parsed.findings", "validated.findings")
STAGE_ORDER = {"received": 0, "parsed": 1, "validated": 2}

_CELL = re.compile(r"^([A-Za-z]+)(\d+)$")


@dataclass(frozen=True)
class Submission:
    submission_id: str
    file_name: str
    sha256: str
    status: str
    duplicate_of: str | None
    language: str | None  # the form's language, when the file was read far enough to tell
    sheets: tuple[str, ...]  # the form's sheets as named in the file, in the form's order
    findings: tuple[Finding, ...]
    superseded_by: str | None = None  # the newer submission for the same state and year, once published

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == Severity.WARNING)

    def digest(self, *salt: str) -> str:
        """Changes whenever anything its feedback shows changes (`salt`: the feedback's own version)."""
        # What `dataclasses.asdict` gives, built directly: asdict deep-copies every value (~0.2 ms).
        record = {name: getattr(self, name) for name in _SUBMISSION_FIELDS}
        record["findings"] = [{name: getattr(f, name) for name in FINDING_COLUMNS} for f in self.findings]
        record["salt"] = list(salt)
        text = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


_SUBMISSION_FIELDS = tuple(Submission.__dataclass_fields__)


def finding_order(finding: Finding, sheets: tuple[str, ...] = ()) -> tuple:
    """Whole-file findings first, then sheet by sheet in the form's order (Cover first), and within
    a sheet in reading order (row, then column); then by step and rule."""
    row, column = -1, ""
    match = _CELL.match(finding.cell_ref or "")
    if match:
        column, row = match.group(1).upper(), int(match.group(2))
    sheet = finding.sheet or ""
    return (
        (sheets.index(sheet) + 1) if sheet in sheets else (len(sheets) + 1 if sheet else 0),
        sheet,
        row if row >= 0 else (finding.row_no or -1),
        (len(column), column),
        STAGE_ORDER.get(finding.stage, 9),
        finding.rule,
        finding.message,
    )


def submissions(connection: duckdb.DuckDBPyConnection) -> list[Submission]:
    """Every submission that reached a status of its own, oldest first, with all its findings."""
    sheet_columns = ", ".join(f"p.{kind}_sheet" for kind in SHEET_KINDS)
    # SUPERSEDED is decided when the coverage is published; before that, the submission's own status.
    has_coverage = connection.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'published' AND table_name = 'coverage'"
    ).fetchone()[0]
    coverage = (
        "published.coverage"
        if has_coverage
        else "(SELECT NULL AS submission_id, NULL AS status, NULL AS superseded_by)"
    )
    rows = connection.execute(
        f"""
        SELECT s.submission_id, s.file_name, s.sha256, coalesce(cov.status, s.status), s.duplicate_of,
               cov.superseded_by, c.language AS cover_language, p.language AS parsed_language, {sheet_columns}
        FROM received.submissions s
        LEFT JOIN validated.covers c USING (submission_id)
        LEFT JOIN parsed.returns p USING (submission_id)
        LEFT JOIN {coverage} cov USING (submission_id)
        WHERE NOT list_contains(?, s.status)
        ORDER BY s.received_at, s.rel_path, s.submission_id
        """,  # noqa: S608 (column names from the form's sheet kinds; the status list is a parameter)
        [list(PENDING_STATUSES)],
    ).fetchall()
    findings = _findings(connection)
    found = {}
    for (
        submission_id,
        file_name,
        sha256,
        status,
        duplicate_of,
        superseded_by,
        cover_language,
        parsed_language,
        *named,
    ) in rows:
        sheets = tuple(name for name in named if name)
        found[submission_id] = Submission(
            submission_id,
            file_name,
            sha256,
            status,
            duplicate_of,
            # The parser's choice: the Cover's Language when it is one of the form's, else the
            # language of the labels; the Cover's own value only when the parser had none.
            parsed_language or cover_language,
            sheets,
            tuple(sorted(findings.get(submission_id, []), key=lambda f, s=sheets: finding_order(f, s))),
            superseded_by,
        )
    # A duplicate was never read: it speaks the language of the file it duplicates.
    for submission_id, submission in found.items():
        original = found.get(submission.duplicate_of or "")
        if submission.language is None and original is not None:
            found[submission_id] = _with_language(submission, original.language)
    return list(found.values())


def _with_language(submission: Submission, language: str | None) -> Submission:
    return Submission(**{**submission.__dict__, "language": language})


def _findings(connection: duckdb.DuckDBPyConnection) -> dict[str, list[Finding]]:
    columns = ", ".join(FINDING_COLUMNS)
    union = " UNION ALL ".join(
        f"SELECT {columns} FROM {table}"  # noqa: S608 (fixed table and column names)
        for table in FINDING_TABLES
    )
    by_submission: dict[str, list[Finding]] = {}
    for row in connection.execute(union).fetchall():
        finding = Finding(**dict(zip(FINDING_COLUMNS, row, strict=True)))
        by_submission.setdefault(finding.submission_id, []).append(finding)
    return by_submission


@dataclass(frozen=True)
class SuiteResult(SuiteSummary):
    """One expectation's outcome over all rows of one validated batch, as the warehouse keeps it."""

    batch_id: str = ""


def suite_results(connection: duckdb.DuckDBPyConnection) -> list[SuiteResult]:
    rows = connection.execute(
        'SELECT batch_id, suite, rule, "column", severity, success, unexpected_count, element_count '
        'FROM validated.suite_results ORDER BY batch_id, suite, rule, "column"'
    ).fetchall()
    return [
        SuiteResult(s, r, c or "", sev or "", bool(ok), int(u or 0), int(e or 0), batch_id=b)
        for b, s, r, c, sev, ok, u, e in rows
    ]
