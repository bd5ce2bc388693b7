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

The warehouse is read here, once, and the folders are then written on forked worker processes
(`pipelines.fork_pool`) when there are many: each worker gets plain data (`FolderJob`) and sends
back how it went, with its log, which is replayed here in the submissions' order. Folders, files
and log are the same as when everything is written in this process.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import fork_pool
from pipelines.feedback import messages
from pipelines.feedback.folders import (
    recorded_digest,
    remove_leftovers,
    replace_folder,
    write_json,
    write_new,
    write_text,
)
from pipelines.feedback.gate import Gate, parse_gates
from pipelines.feedback.markdown import MARKDOWN_FILE, render_markdown
from pipelines.feedback.report import ReportedSubmission, render_report
from pipelines.feedback.sources import Submission, submissions, suite_results
from pipelines.feedback.workbook import CopyFailed, Marked, Route, write_feedback_workbook
from pipelines.feedback.worker_logs import captured_logs, replay
from pipelines.received.scan import archive_path
from pipelines.settings import Paths
from pipelines.warehouse import store

log = logging.getLogger(__name__)

FORMAT_VERSION = "2"  # bump when the layout of feedback.md or feedback.xlsx changes: all are redone
# 2: feedback.xlsx made by editing the package (charts and images kept), gate from the parse verdict
WORKBOOK_FILE = "feedback.xlsx"
REPORTS_FOLDER = "reports"
REPORTED_BATCHES_FILE = "reported-batches.json"
# A folder costs ~1.3 ms; starting two workers from a run's process ~0.05 s: below this, one process.
PARALLEL_FROM = 64
CHUNK = 256  # folders in flight at once (the next chunk is written while this one is logged)
BATCH = 8  # folders per round trip to a worker
_LOGGER_ROOT = "pipelines.feedback"  # whose records a job's log holds (this module, the writers)


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


def write_feedback(
    paths: Paths, *, now: dt.datetime | None = None, workers: int | None = None
) -> FeedbackReport:
    """Write or refresh the feedback of every submission that has a status, and the run's report.

    A file is opened for feedback.xlsx only if the parse step's checks let it through (`gate`).
    The folders are written on `workers` processes (default: every core; see `written_folders`).
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
    jobs: list[FolderJob] = []
    unchanged = 0
    for submission in found:
        folder = feedback_folder(paths, submission.submission_id)
        digest = submission.digest(*salt)
        if recorded_digest(folder) == digest:
            unchanged += 1
            continue
        gate = gates.get(submission.sha256, Gate.REFUSED)
        original = archive_path(paths.archive, submission.sha256)
        jobs.append(FolderJob(submission, folder, digest, gate, original))
    written: list[ReportedSubmission] = []
    routes: list[Route] = []  # which writer made each feedback.xlsx: for the log
    for job, outcome in zip(jobs, written_folders(jobs, workers), strict=True):
        written.append(
            ReportedSubmission(
                job.submission,
                job.folder / MARKDOWN_FILE,
                job.folder / WORKBOOK_FILE if outcome.workbook else None,
            )
        )
        if outcome.route is not None:
            routes.append(outcome.route)
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


@dataclass(frozen=True)
class FolderJob:
    """One submission's feedback folder to (re)write: plain data, so a worker process can take it."""

    submission: Submission
    folder: Path
    digest: str
    gate: Gate
    original: Path  # the archived file


@dataclass(frozen=True)
class FolderWritten:
    workbook: bool  # the folder got a feedback.xlsx
    route: Route | None  # which writer made it; None when there is none
    records: tuple[logging.LogRecord, ...]  # the log of writing it, replayed by the caller


def written_folders(jobs: list[FolderJob], workers: int | None = None) -> Iterator[FolderWritten]:
    """Write every job's folder, on worker processes when there are many (`fork_pool`), and say how
    each went, in the jobs' order. The log of each job is replayed here, in that order, so the log
    reads as if all were written in this process. A job that raises stops the step as it would in
    one process: the log of the jobs before it is replayed, then its error is raised."""
    chunks = fork_pool.map_in_chunks(
        _write_folders, jobs, CHUNK, batch=BATCH, parallel_from=PARALLEL_FROM, workers=workers
    )
    with closing(chunks):  # on an error, the workers stop now (jobs not begun are dropped)
        for chunk in chunks:
            for outcome in chunk:
                replay(outcome.records)
                if isinstance(outcome, _Failed):
                    raise outcome.error
                yield outcome


@dataclass(frozen=True)
class _Failed:
    error: BaseException
    records: tuple[logging.LogRecord, ...]


def _write_folders(jobs: list[FolderJob]) -> list[FolderWritten | _Failed]:
    """Runs in a worker (or here): the jobs in order, up to the first that fails."""
    done: list[FolderWritten | _Failed] = []
    for job in jobs:
        with captured_logs(_LOGGER_ROOT) as records:
            try:
                workbook, route = _write_submission(job)
            except Exception as exc:  # raised again by the caller, after the log of the jobs before
                done.append(_Failed(exc, tuple(records)))
                break
        done.append(FolderWritten(workbook, route, tuple(records)))
    return done


def _write_submission(job: FolderJob) -> tuple[bool, Route | None]:
    submission = job.submission
    language = messages.language_of(submission.language)
    marked = [Marked(finding, messages.explain(finding, language)) for finding in submission.findings]
    routes: list[Route] = []

    def fill(temp: Path) -> None:
        note = _write_workbook(
            job.original, submission.file_name, temp / WORKBOOK_FILE, marked, language, job.gate, routes
        )
        write_new(temp / MARKDOWN_FILE, render_markdown(submission, marked, language, note))

    state = {
        "digest": job.digest,
        "status": submission.status,
        "errors": submission.errors,
        "warnings": submission.warnings,
        "language": language,
    }
    replace_folder(job.folder, fill, state)
    return (job.folder / WORKBOOK_FILE).exists(), routes[0] if routes else None


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
