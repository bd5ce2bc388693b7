"""What the automation asks before it starts work on the warehouse: which runs are still going, and
which years wait to be published. The publish sensor and the release schedule ask the same."""

from __future__ import annotations

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from assets.resources import NormsdataPaths

# Runs that may hold the warehouse file open: reading it now could stop their next step (one writer,
# or many readers, never both). A queued or not-started run opens nothing yet.
RUNNING = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
UNFINISHED = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, *RUNNING]


def running_run(instance: DagsterInstance) -> str | None:
    """The id of a run that may be using the warehouse now, if any."""
    found = instance.get_run_ids(RunsFilter(statuses=RUNNING), limit=1)
    return found[0] if found else None


def unfinished_run(instance: DagsterInstance, job_name: str | None = None) -> str | None:
    """The id of a run (of `job_name`, or of any job) that is queued, starting or running, if any."""
    found = instance.get_run_ids(RunsFilter(job_name=job_name, statuses=UNFINISHED), limit=1)
    return found[0] if found else None


def unpublished_years(normsdata: NormsdataPaths) -> list[int] | None:
    """The years waiting in the warehouse, or None when another process holds it for writing."""
    import duckdb  # see assets/__init__.py

    from pipelines import steps

    try:
        return steps.unpublished_years(normsdata.paths())
    except duckdb.IOException:
        return None
