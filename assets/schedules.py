"""The release schedule: nightly by default, only when the published layer changed, and never while
the returns a run has accepted are not published yet."""

from __future__ import annotations

import os

from dagster import (
    AssetKey,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from assets import names, warehouse_state
from assets.jobs import release_job
from assets.resources import NormsdataPaths

# Cron, read when the code location loads (a schedule's cron is part of its definition).
RELEASE_CRON = os.environ.get("NORMSDATA_RELEASE_CRON", "0 2 * * *")
RELEASE_TIMEZONE = os.environ.get("NORMSDATA_RELEASE_TIMEZONE", "UTC")
FINGERPRINT = "published_fingerprint"


@schedule(
    name=names.RELEASE_SCHEDULE,
    job=release_job,
    cron_schedule=RELEASE_CRON,
    execution_timezone=RELEASE_TIMEZONE,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Cut a release if the published layer changed since the last one ($NORMSDATA_RELEASE_CRON).",
)
def release_schedule(
    context: ScheduleEvaluationContext, normsdata: NormsdataPaths
) -> RunRequest | SkipReason:
    # Between an ingest run and the publish run after it, coverage already lists the new returns
    # while the data tables do not hold them yet: a release cut then would say ACCEPTED and publish
    # nothing of them (or the superseded values). So the release waits until no run is going and
    # no year waits to be published.
    unfinished = warehouse_state.unfinished_run(context.instance)
    if unfinished:
        return SkipReason(f"run {unfinished} has not finished; the release waits for a quiet warehouse")
    waiting = warehouse_state.unpublished_years(normsdata)
    if waiting is None:
        return SkipReason("the warehouse is open for writing by another process")
    if waiting:
        return SkipReason(
            f"years {waiting[0]}-{waiting[-1]} wait to be published; the release waits for them"
        )
    published = _latest_fingerprint(context, names.PUBLISHED, names.PUBLISHED_COVERAGE)
    if published is None:
        return SkipReason("nothing has been published yet")
    released = _latest_fingerprint(context, names.RELEASE)
    if published == released:
        return SkipReason("the published layer has not changed since the last release")
    # One run per tick, also across a scheduler restart.
    return RunRequest(run_key=f"release-{context.scheduled_execution_time:%Y%m%dT%H%M}")


def _latest_fingerprint(context: ScheduleEvaluationContext, *asset_names: str) -> str | None:
    """The fingerprint of the published layer recorded by the newest materialization of these assets."""
    newest = None
    for name in asset_names:
        event = context.instance.get_latest_materialization_event(AssetKey(name))
        if event is not None and (newest is None or event.timestamp > newest.timestamp):
            newest = event
    if newest is None or newest.asset_materialization is None:
        return None
    entry = newest.asset_materialization.metadata.get(FINGERPRINT)
    return str(entry.value) if entry is not None else None
