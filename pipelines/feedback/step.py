"""Feedback for every submission, and the run's validation report: the step after validation.

    $NORMSDATA_WAREHOUSE/
      feedback/<submission_id>/feedback.md     always: status, counts, every message
      feedback/<submission_id>/feedback.xlsx   whenever the file could be opened
      feedback/<submission_id>/state.json      the digest the folder was made from
      reports/validation-<stamp>.html          per run with something new: suites, rules, submissions
      reports/reported-batches.json            the validated batches already in a report

A submission's folder is (re)written only when its digest changes: its status, file, language
and findings, the feedback's format version and every feedback text. Running the step again
with nothing new writes nothing, and no new report.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.feedback import messages
from pipelines.feedback.folders import (
    recorded_digest,
    remove_leftovers,
    replace_folder,
    write_json,
    write_text,
)
from pipelines.feedback.gate import Gate, parse_gates
from pipelines.feedback.markdown import MARKDOWN_FILE, render_markdown
from pipelines.feedback.report import ReportedSubmission, render_report
from pipelines.feedback.sources import Submission, submissions, suite_results
from pipelines.feedback.workbook import CopyFailed, Marked, Route, write_feedback_workbook
from pipelines.received.scan import archive_path
from pipelines.settings import Paths
from pipelines.warehouse import store

log = logging.getLogger(__name__)

FORMAT_VERSION = "2"  # bump when the layout of feedback.md or feedback.xlsx changes: all are redone
# 2: feedback.xlsx made by editing the package (charts and images kept), gate from the parse verdict
WORKBOOK_FILE = "feedback.xlsx"
REPORTS_FOLDER = "reports"
REPORTED_BATCHES_FILE = "reported-batches.json"


@dataclass(frozen=True)
class FeedbackReport:
    folder: Path  # paths.feedback
    written: int  # submissions whose feedback was new or out of date, and was written
    unchanged: int
    workbooks: int  # of those written, how many got a feedback.xlsx
    report_path: Path | None  # the HTML validation report written now; None when nothing was new
    written_ids: tuple[str, ...] = field(default=())

    def metadata(self) -> dict[str, object]:
        """Plain values for the run's metadata (the asset turns paths into path metadata)."""
        return {
            "feedback_folder": str(self.folder),
            "feedback_written": self.written,
            "feedback_unchanged": self.unchanged,
            "feedback_workbooks": self.workbooks,
            "validation_report": str(self.report_path) if self.report_path else None,
        }


def feedback_folder(paths: Paths, submission_id: str) -> Path:
    return paths.feedback / submission_id


def write_feedback(paths: Paths, *, now: dt.datetime | None = None) -> FeedbackReport:
    """Write or refresh the feedback of every submission that has a status, and the run's report.

    A file is opened for feedback.xlsx only if the parse step's checks let it through (`gate`).
    """
    if not paths.database.exists():
        return FeedbackReport(paths.feedback, 0, 0, 0, None)
    with store.reader(paths.database) as connection:
        found = submissions(connection)
        results = suite_results(connection)
        gates = parse_gates(connection)
    salt = (FORMAT_VERSION, messages.catalogue_digest())
    paths.feedback.mkdir(parents=True, exist_ok=True)
    remove_leftovers(paths.feedback)
    written: list[ReportedSubmission] = []
    unchanged = 0
    routes: list[Route] = []  # which writer made each feedback.xlsx: for the log
    for submission in found:
        folder = feedback_folder(paths, submission.submission_id)
        digest = submission.digest(*salt)
        if recorded_digest(folder) == digest:
            unchanged += 1
            continue
        gate = gates.get(submission.sha256, Gate.REFUSED)
        written.append(_write_submission(paths, submission, folder, digest, gate, routes))
    report_path = _write_report(paths, results, written, now or dt.datetime.now(dt.UTC))
    report = FeedbackReport(
        paths.feedback,
        len(written),
        unchanged,
        sum(1 for item in written if item.workbook is not None),
        report_path,
        tuple(item.submission.submission_id for item in written),
    )
    log.info(
        "feedback: %d written (%d with a workbook, %d of them through openpyxl), %d unchanged",
        report.written,
        report.workbooks,
        routes.count(Route.OPENPYXL),
        unchanged,
    )
    return report


def _write_submission(
    paths: Paths, submission: Submission, folder: Path, digest: str, gate: Gate, routes: list[Route]
) -> ReportedSubmission:
    language = messages.language_of(submission.language)
    marked = [Marked(finding, messages.explain(finding, language)) for finding in submission.findings]
    original = archive_path(paths.archive, submission.sha256)

    def fill(temp: Path) -> None:
        note = _write_workbook(
            original, submission.file_name, temp / WORKBOOK_FILE, marked, language, gate, routes
        )
        write_text(temp / MARKDOWN_FILE, render_markdown(submission, marked, language, note))

    state = {
        "digest": digest,
        "status": submission.status,
        "errors": submission.errors,
        "warnings": submission.warnings,
        "language": language,
    }
    replace_folder(folder, fill, state)
    workbook = folder / WORKBOOK_FILE
    return ReportedSubmission(submission, folder / MARKDOWN_FILE, workbook if workbook.exists() else None)


def _write_workbook(
    original: Path,
    file_name: str,
    target: Path,
    marked: list[Marked],
    language: str,
    gate: Gate,
    routes: list[Route],
) -> str:
    """Write feedback.xlsx if the file can be opened; returns the sentence feedback.md says about it."""
    if gate is Gate.REFUSED or not original.is_file():
        return messages.label("workbook_not_opened", language)
    try:
        routes.append(write_feedback_workbook(original, target, marked, language))
    except CopyFailed as exc:
        target.unlink(missing_ok=True)
        log.warning("feedback.xlsx not made for %s: %s", file_name, exc)
        if gate is Gate.CHECKED:  # neither reader could open it
            return messages.label("workbook_not_opened", language)
        return messages.label("workbook_failed", language).format(detail=exc)
    return messages.label("workbook_made", language)


def _write_report(
    paths: Paths, results: list, written: list[ReportedSubmission], now: dt.datetime
) -> Path | None:
    folder = paths.warehouse / REPORTS_FOLDER
    state_file = folder / REPORTED_BATCHES_FILE
    reported = set(_read_batches(state_file))
    batches = sorted({result.batch_id for result in results} - reported)
    if not batches and not written:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path, n = folder / f"validation-{stamp}.html", 1
    while path.exists():
        n += 1
        path = folder / f"validation-{stamp}-{n}.html"
    new_results = [result for result in results if result.batch_id in batches]
    write_text(path, render_report(now, batches, new_results, written, folder))
    write_json(state_file, {"batches": sorted(reported | set(batches))})
    return path


def _read_batches(state_file: Path) -> list[str]:
    try:
        return list(json.loads(state_file.read_text(encoding="utf-8")).get("batches", []))
    except (OSError, ValueError, AttributeError):
        return []
