"""Sensors: new files start an ingest run; validated returns start a publish run for their years."""

from __future__ import annotations

import hashlib

from dagster import (
    AssetKey,
    DefaultSensorStatus,
    EventLogEntry,
    RunConfig,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    asset_sensor,
    sensor,
)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from assets import names
from assets.jobs import ingest_job, publish_job
from assets.partitions import year_range
from assets.received import ReceiveConfig
from assets.resources import NormsdataPaths
from pipelines.received.changes import decode_cursor, encode_cursor, scan_changes


@sensor(
    name=names.INPUTS_SENSOR,
    job=ingest_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="New or changed files in $NORMSDATA_INPUTS (path, size, mtime, sha256) start an ingest run.",
)
def inputs_sensor(context: SensorEvaluationContext, normsdata: NormsdataPaths) -> SensorResult | SkipReason:
    changes = scan_changes(normsdata.paths().inputs, decode_cursor(context.cursor))
    cursor = encode_cursor(changes.cursor)
    if changes.deleted:
        context.log.info("%d file(s) gone from the inputs; their submissions stay", len(changes.deleted))
    if not changes.changed:
        return SensorResult(skip_reason=SkipReason("no new or changed files"), cursor=cursor)
    # The same set of bytes at the same paths is one run, however often the sensor is re-evaluated.
    key = hashlib.sha256(
        "\n".join(f"{path}:{changes.cursor[path].sha256}" for path in changes.changed).encode()
    ).hexdigest()[:20]
    request = RunRequest(
        run_key=f"inputs-{key}",
        run_config=RunConfig(ops={names.RECEIVED: ReceiveConfig(only=changes.changed)}),
        tags={"normsdata/files": str(len(changes.changed))},
    )
    return SensorResult(run_requests=[request], cursor=cursor)


@asset_sensor(
    name=names.PUBLISH_SENSOR,
    asset_key=AssetKey(names.VALIDATED),
    job=publish_job,
    default_status=DefaultSensorStatus.RUNNING,
    description="After returns are validated, publish the year partitions they change, in one run.",
)
def publish_sensor(context: SensorEvaluationContext, asset_event: EventLogEntry) -> RunRequest | SkipReason:
    materialization = asset_event.asset_materialization
    entry = materialization.metadata.get(names.YEARS_TO_PUBLISH) if materialization else None
    years = list(entry.value) if entry is not None else []
    span = year_range(years)
    if span is None:
        return SkipReason(f"run {asset_event.run_id} accepted no return: no year to publish")
    return RunRequest(
        run_key=f"publish-{asset_event.run_id}",
        tags={ASSET_PARTITION_RANGE_START_TAG: span.start, ASSET_PARTITION_RANGE_END_TAG: span.end},
    )
