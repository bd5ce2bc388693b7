"""Whether an archived file may be opened to make feedback.xlsx: the parse step's verdict on it.

The parse step ran the safety checks (kind, size, zip parts, XML, sheet sizes) and python-calamine
on exactly these bytes (the archive is content-addressed by sha256), and the warehouse keeps what
it concluded: `parsed.returns.status` and, for a rejected file, the rule of its `reject` finding.
Reading the verdict instead of running the checks again keeps one source of truth and costs one
query for the whole run. A file the checks refused is never opened, by openpyxl or by the package
editor.

The verdict is the one reached under the limits the parse step ran with; the feedback step has
no limits of its own, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import Enum

import duckdb

from pipelines.findings import Action
from pipelines.parsed.returns import NO_COVER, PARSED, REJECTED
from pipelines.parsed.workbook import UNREADABLE

# Rejections the parser makes after every check passed and python-calamine read the file: it is a
# workbook, just not a return (tests/feedback check each against a real parse).
READ_BUT_NOT_A_RETURN = frozenset({NO_COVER})


class Gate(Enum):
    """How far the parser's own checks and reader got with a file."""

    READ = "read"  # every check passed and python-calamine read it
    CHECKED = "checked"  # every safety check passed, but python-calamine could not read it
    REFUSED = "refused"  # not a workbook, refused by a check, or never parsed: never opened


_STRICTNESS = (Gate.REFUSED, Gate.CHECKED, Gate.READ)


def gate_of(status: str | None, reject_rules: Collection[str]) -> Gate:
    """The gate for one parse: its status (`PARSED`, `REJECTED`, None if never parsed) and the
    rules of its `reject` findings. Any rule not known to come after the checks refuses."""
    if status == PARSED:
        return Gate.READ
    if status != REJECTED or not reject_rules:
        return Gate.REFUSED
    rules = set(reject_rules)
    if rules <= READ_BUT_NOT_A_RETURN:
        return Gate.READ
    if rules == {UNREADABLE}:
        return Gate.CHECKED
    return Gate.REFUSED


def parse_gates(connection: duckdb.DuckDBPyConnection) -> dict[str, Gate]:
    """sha256 -> the gate of those bytes. A duplicate is never parsed: it shares its original's
    bytes and so its verdict. Bytes parsed more than once get the strictest verdict."""
    rows = connection.execute(
        """
        SELECT s.sha256, p.status, list(f.rule) FILTER (WHERE f.rule IS NOT NULL)
        FROM received.submissions s
        JOIN parsed.returns p USING (submission_id)
        LEFT JOIN parsed.findings f ON f.submission_id = s.submission_id AND f.action = ?
        GROUP BY s.sha256, s.submission_id, p.status
        """,
        [str(Action.REJECT)],
    ).fetchall()
    gates: dict[str, Gate] = {}
    for sha256, status, rules in rows:
        gate = gate_of(status, rules or [])
        known = gates.get(sha256)
        gates[sha256] = gate if known is None else min(gate, known, key=_STRICTNESS.index)
    return gates
