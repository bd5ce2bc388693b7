"""The validation report of a run, for data engineers: one self-contained HTML page.

Per suite and rule, how many values were checked and how many failed (validated.suite_results
of the batches validated since the last report); per rule, the findings of every step; and
the submissions whose feedback was written, with their status and links to their feedback.
No script, no stylesheet or font from elsewhere: the page opens from the disk, offline.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import quote

from pipelines.feedback.sources import STAGE_ORDER, Submission, SuiteResult
from pipelines.validated.suites import SUITE_NAMES

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.fail { background: #ffc7ce; } .warn { background: #ffeb9c; } .pass { background: #e2f0d9; }
code { font-size: 90%; }
"""


@dataclass(frozen=True)
class ReportedSubmission:
    submission: Submission
    markdown: Path
    workbook: Path | None  # None: no feedback.xlsx (the file could not be opened)


def render_report(
    generated_at: dt.datetime,
    batches: Sequence[str],
    results: Sequence[SuiteResult],
    submissions: Sequence[ReportedSubmission],
    report_folder: Path,
) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>normsdata validation report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Validation report</h1>",
        f"<p>Generated {escape(generated_at.isoformat(timespec='seconds'))}. "
        f"Validated batches: {escape(', '.join(batches)) or 'none new'}. "
        f"Submissions with new or changed feedback: {len(submissions)}.</p>",
    ]
    parts += _status_summary(submissions)
    parts += _suite_tables(results)
    parts += _findings_by_rule(submissions)
    parts += _submission_table(submissions, report_folder)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows are HTML already (each cell escaped by its caller): `<td>` elements joined."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    return ["<table>", f"<tr>{head}</tr>", *(f"<tr>{''.join(row)}</tr>" for row in rows), "</table>"]


def _td(value: object, css: str = "") -> str:
    attribute = f' class="{css}"' if css else ""
    return f"<td{attribute}>{escape(str(value))}</td>"


def _status_summary(submissions: Sequence[ReportedSubmission]) -> list[str]:
    counts = Counter(item.submission.status for item in submissions)
    rows = [[_td(status), _td(count, "n")] for status, count in sorted(counts.items())]
    return ["<h2>Statuses</h2>", *_table(["status", "submissions"], rows)]


def _suite_tables(results: Sequence[SuiteResult]) -> list[str]:
    parts = ["<h2>Suites</h2>"]
    if not results:
        return [*parts, "<p>No suite was run since the last report.</p>"]
    totals: dict[tuple[str, str, str, str], list[int]] = {}
    for result in results:
        key = (result.suite, result.rule, result.column, result.severity)
        total = totals.setdefault(key, [0, 0])
        total[0] += result.element_count
        total[1] += result.unexpected_count
    order = {name: i for i, name in enumerate(SUITE_NAMES)}
    for suite in sorted({key[0] for key in totals}, key=lambda name: (order.get(name, 99), name)):
        rows = []
        for (name, rule, column, severity), (checked, failing) in sorted(totals.items()):
            if name != suite:
                continue
            outcome = "pass" if not failing else ("fail" if severity == "critical" else "warn")
            rows.append(
                [
                    _td(rule),
                    _td(column),
                    _td(severity),
                    _td(checked, "n"),
                    _td(failing, "n"),
                    _td(outcome, outcome),
                ]
            )
        parts.append(f"<h3>{escape(suite)} <small>(expectations/{escape(suite)}.json)</small></h3>")
        parts += _table(["rule", "column", "severity", "rows checked", "failing", "result"], rows)
    return parts


def _findings_by_rule(submissions: Sequence[ReportedSubmission]) -> list[str]:
    counts: Counter[tuple[str, str, str, str]] = Counter()
    holders: dict[tuple[str, str, str, str], set[str]] = {}
    for item in submissions:
        for finding in item.submission.findings:
            key = (finding.stage, finding.rule, str(finding.severity), str(finding.action))
            counts[key] += 1
            holders.setdefault(key, set()).add(item.submission.submission_id)
    rows = [
        [
            _td(stage),
            _td(rule),
            _td(severity, "fail" if severity == "error" else "warn"),
            _td(action),
            _td(count, "n"),
            _td(len(holders[(stage, rule, severity, action)]), "n"),
        ]
        for (stage, rule, severity, action), count in sorted(
            counts.items(), key=lambda kv: (STAGE_ORDER.get(kv[0][0], 9), kv[0][1:])
        )
    ]
    header = ["step", "rule", "severity", "action", "findings", "submissions"]
    return ["<h2>Findings by rule</h2>", *(_table(header, rows) if rows else ["<p>No findings.</p>"])]


def _link(target: Path, folder: Path, text: str) -> str:
    href = quote(Path(os.path.relpath(target, folder)).as_posix())
    return f'<a href="{escape(href)}">{escape(text)}</a>'


def _submission_table(submissions: Sequence[ReportedSubmission], folder: Path) -> list[str]:
    rows = []
    for item in submissions:
        submission = item.submission
        links = _link(item.markdown, folder, "feedback.md")
        if item.workbook is not None:
            links += " " + _link(item.workbook, folder, "feedback.xlsx")
        css = {"REJECTED": "fail", "ACCEPTED_WITH_WARNINGS": "warn", "ACCEPTED": "pass"}.get(
            submission.status, ""
        )
        rows.append(
            [
                _td(submission.file_name),
                f"<td><code>{escape(submission.submission_id)}</code></td>",
                _td(submission.status, css),
                _td(submission.language or ""),
                _td(submission.errors, "n"),
                _td(submission.warnings, "n"),
                f"<td>{links}</td>",
            ]
        )
    header = ["file", "submission", "status", "language", "errors", "warnings", "feedback"]
    return ["<h2>Submissions</h2>", *(_table(header, rows) if rows else ["<p>None.</p>"])]
