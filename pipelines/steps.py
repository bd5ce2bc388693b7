"""The pipeline's steps as plain functions, one per layer; `assets/` wraps each in a Dagster asset.

Each step reads what the previous one left in the warehouse and moves submissions one status
further, in transactions, so a step that crashes is simply run again.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from pipelines.parsed.parallel import parse_chunks
from pipelines.parsed.workbook import DEFAULT_LIMITS, Limits
from pipelines.received.scan import archive_path, receive
from pipelines.settings import Paths
from pipelines.validated.suites import SuiteSummary
from pipelines.validated.validate import even_batches, validate_batch
from pipelines.validated.worker import SuiteWorker
from pipelines.warehouse import store

log = logging.getLogger(__name__)

PARSE_CHUNK = 100  # returns per transaction: bounds memory on a drop of thousands of files
# Returns per validation: GE costs ~0.5-1 CPU s per validation whatever its size (suites.outcomes_of).
# The cells are loaded 250 returns at a time (validate.CELLS_GROUP); what stays is the suites'
# frames, ~35 MB per 1000 returns.
VALIDATE_CHUNK = 1000

Progress = Callable[[int, int], None]


@dataclass
class StepReport:
    processed: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    summaries: list[SuiteSummary] = field(default_factory=list)
    years: list[int] = field(default_factory=list)  # year partitions of the published layer to refresh


def receive_step(paths: Paths, only: Collection[str] | None = None) -> StepReport:
    """Register new and changed files (all of them, or just `only`: paths relative to the inputs)."""
    paths.ensure()
    with store.writer(paths.database) as warehouse:
        recorded = warehouse.fingerprints()
        files = receive(paths.inputs, paths.archive, recorded, only)
        new = warehouse.record_received(files)
        return StepReport(len(new), warehouse.status_counts())


def parse_step(paths: Paths, limits: Limits = DEFAULT_LIMITS, progress: Progress | None = None) -> StepReport:
    with store.writer(paths.database) as warehouse:
        pending = warehouse.pending("RECEIVED")
        jobs = [
            (archive_path(paths.archive, sha256), submission_id, file_name)
            for submission_id, sha256, file_name in pending
        ]
        done = 0
        # Many returns are read on worker processes, one per core; only this process writes.
        for results in parse_chunks(jobs, PARSE_CHUNK, limits):
            warehouse.save_parsed(results)
            done += len(results)
            if progress:
                progress(done, len(pending))
        return StepReport(len(pending), warehouse.status_counts())


def validate_step(paths: Paths, today: dt.date | None = None) -> StepReport:
    today = today or dt.datetime.now(dt.UTC).date()
    report = StepReport()
    with store.writer(paths.database) as warehouse:
        pending = [row[0] for row in warehouse.pending("PARSED")]
        if pending:
            # GE runs in a process of its own, which imports it while this one builds the frames
            # (or has imported it already: `make run` starts it first thing), and takes GE's memory
            # with it when it exits (pipelines/validated/worker.py).
            with SuiteWorker.for_validation() as worker:
                for ids in even_batches(pending, VALIDATE_CHUNK):
                    validated = validate_batch(
                        warehouse.cells_of,
                        ids,
                        warehouse.parse_findings_of(ids),
                        today,
                        run_suites=worker.validate_all,
                    )
                    warehouse.save_validated(uuid.uuid4().hex[:12], validated)
                    report.summaries.extend(validated.summaries)
        report.processed = len(pending)
        report.statuses = warehouse.status_counts()
        report.years = warehouse.unpublished_years()
    return report


def quarantine_counts(paths: Paths) -> dict[str, int]:
    """Rows and values held back in the warehouse, per validated table, for run metadata."""
    with store.reader(paths.database) as connection:
        return store.quarantine_counts(connection)


def unpublished_years(paths: Paths) -> list[int]:
    """The years waiting to be published, read through a read-only connection (none before the
    warehouse exists)."""
    if not paths.database.exists():
        return []
    with store.reader(paths.database) as connection:
        return store.unpublished_years(connection)


def publish_coverage_step(paths: Paths) -> int:
    with store.writer(paths.database) as warehouse:
        return warehouse.publish_coverage()


def publish_step(paths: Paths, years: Collection[int] | None = None) -> dict[str, int]:
    """Publish the data tables for `years` (all when None); the coverage is refreshed too."""
    with store.writer(paths.database) as warehouse:
        return warehouse.publish(years)


def release_step(paths: Paths, today: dt.date | None = None):
    """Cut a release from the published layer, read through a read-only connection."""
    from pipelines.release import ReleaseTables, publish_release
    from pipelines.release.layout import SNAPSHOT
    from pipelines.release.overview_worker import overview_renderer
    from pipelines.release.tables import share_repeated_text
    from pipelines.warehouse.snapshot import write_snapshot

    today = today or dt.datetime.now(dt.UTC).date()
    with store.reader(paths.database) as connection:
        frames = store.published_frames(connection)
        synthetic = store.is_synthetic(connection)
    # The frames live through the whole release: one str per distinct text, not one per cell.
    tables = ReleaseTables(**{name: share_repeated_text(frame) for name, frame in frames.items()})
    # Under `make run` the overview's charts are sent off now, to be drawn by the chart worker while
    # the CSVs are formatted; otherwise the page is rendered here (pipelines/release/overview_worker.py).
    with overview_renderer(tables) as overview:
        return publish_release(
            tables,
            paths.releases,
            release_date=today,
            synthetic=synthetic,
            # Analysts query the release's own copy, never holding a lock on the pipeline's file.
            attachments={SNAPSHOT.file_name: lambda target: write_snapshot(paths.database, target)},
            overview=overview,
        )
