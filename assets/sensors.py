"""Sensors: new files start an ingest run; years the warehouse lists as unpublished start a publish run."""

from __future__ import annotations

import hashlib

from dagster import (
    DefaultSensorStatus,
    RunConfig,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from assets import names, warehouse_state
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


@sensor(
    name=names.PUBLISH_SENSOR,
    job=publish_job,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Publish the year partitions the warehouse lists as unpublished, in one run, until they are.",
)
def publish_sensor(context: SensorEvaluationContext, normsdata: NormsdataPaths) -> RunRequest | SkipReason:
    # The warehouse, not a run's metadata, says which years wait: a run that died after validating,
    # or a publish run that failed, leaves them listed, and this asks again at the next tick.
    instance = context.instance
    queued = warehouse_state.unfinished_run(instance, names.PUBLISH_JOB)
    if queued:
        return SkipReason(f"publish run {queued} has not finished")
    running = warehouse_state.running_run(instance)
    if running:
        return SkipReason(f"run {running} may be writing the warehouse")
    years = warehouse_state.unpublished_years(normsdata)
    if years is None:
        return SkipReason("the warehouse is open for writing by another process")
    span = year_range(years)
    if span is None:
        return SkipReason("no year waits to be published")
    # One request per (years, last publish run): evaluating twice asks once; a failed run is retried.
    last = instance.get_run_ids(RunsFilter(job_name=names.PUBLISH_JOB), limit=1)
    return RunRequest(
        run_key=f"publish-{span.start}-{span.end}-after-{last[0] if last else 'none'}",
        tags={ASSET_PARTITION_RANGE_START_TAG: span.start, ASSET_PARTITION_RANGE_END_TAG: span.end},
    )
