"""The release schedule: nightly by default, and only when the published layer changed."""

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

from assets import names
from assets.jobs import release_job

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
def release_schedule(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
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
