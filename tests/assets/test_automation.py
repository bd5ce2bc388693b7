"""Sensors, year partitions and the release schedule, driven through Dagster's own test APIs."""

from __future__ import annotations

import datetime as dt
import os

import duckdb
from dagster import (
    AssetKey,
    DagsterRun,
    DagsterRunStatus,
    RunRequest,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from assets.schedules import release_schedule
from assets.sensors import inputs_sensor, publish_sensor
from pipelines.forms.return_writer import write_return
from pipelines.warehouse import store
from tests.conftest import query, sample_return
from tests.warehouse.analyst import Analyst

PUBLISHED = AssetKey("published_tables")


def evaluate_inputs_sensor(deployment, cursor):
    context = build_sensor_context(cursor=cursor, resources={"normsdata": deployment.normsdata})
    return inputs_sensor(context)


def evaluate_publish_sensor(deployment, cursor=None):
    """A tick as the daemon evaluates it, with the cursor the previous tick left."""
    context = build_sensor_context(
        instance=deployment.instance, cursor=cursor, resources={"normsdata": deployment.normsdata}
    )
    return publish_sensor.evaluate_tick(context)


def span_of(request: RunRequest) -> tuple[str, str]:
    return request.tags[ASSET_PARTITION_RANGE_START_TAG], request.tags[ASSET_PARTITION_RANGE_END_TAG]


def ingest(deployment, request: RunRequest):
    result = deployment.run_job("ingest", run_config=request.run_config)
    assert result.success
    return result


def test_inputs_sensor_new_changed_unchanged_deleted(deployment):
    inputs = deployment.inputs
    write_return(sample_return("KAZ", 2023), inputs / "KAZ_2023.xlsx")
    write_return(sample_return("PER", 2021), inputs / "PER_2021.xlsx")

    first = evaluate_inputs_sensor(deployment, None)
    assert [r.run_config["ops"]["received_submissions"]["config"]["only"] for r in first.run_requests] == [
        ["KAZ_2023.xlsx", "PER_2021.xlsx"]
    ]
    ingest(deployment, first.run_requests[0])
    assert query(deployment.warehouse, "SELECT count(*) FROM received.submissions") == [(2,)]

    unchanged = evaluate_inputs_sensor(deployment, first.cursor)
    assert not unchanged.run_requests and unchanged.skip_reason

    # Touched but the same bytes (a copy back, a sync tool): no run.
    os.utime(inputs / "KAZ_2023.xlsx", ns=(1_700_000_000_000_000_000,) * 2)
    touched = evaluate_inputs_sensor(deployment, unchanged.cursor)
    assert not touched.run_requests

    # A resubmission in place and a new file: a run for exactly those two.
    write_return(sample_return("KAZ", 2023, total_2021=11_111), inputs / "KAZ_2023.xlsx")
    write_return(sample_return("FRA", 2022, language="FR"), inputs / "FRA_2022.xlsx")
    changed = evaluate_inputs_sensor(deployment, touched.cursor)
    (request,) = changed.run_requests
    assert request.run_config["ops"]["received_submissions"]["config"]["only"] == [
        "FRA_2022.xlsx",
        "KAZ_2023.xlsx",
    ]
    result = ingest(deployment, request)
    (received,) = result.asset_materializations_for_node("received_submissions")
    assert received.metadata["new_submissions"].value == 2
    # Files already processed are never processed again, even if the same request ran twice.
    again = ingest(deployment, request)
    (received,) = again.asset_materializations_for_node("received_submissions")
    assert received.metadata["new_submissions"].value == 0

    # A deleted file starts no run and deletes nothing.
    (inputs / "PER_2021.xlsx").unlink()
    deleted = evaluate_inputs_sensor(deployment, changed.cursor)
    assert not deleted.run_requests
    assert "PER_2021.xlsx" not in deleted.cursor
    assert query(
        deployment.warehouse, "SELECT count(*) FROM received.submissions WHERE file_name = 'PER_2021.xlsx'"
    ) == [(1,)]
    assert query(deployment.warehouse, "SELECT count(*) FROM published.coverage") == [(4,)]


def published_partitions_of(result) -> set[str]:
    return {m.partition for m in result.asset_materializations_for_node("published_tables")}


def test_a_resubmission_republishes_only_the_years_it_affects(deployment):
    inputs = deployment.inputs
    write_return(sample_return("KAZ", 2023), inputs / "KAZ_2023.xlsx")
    write_return(sample_return("PER", 2017), inputs / "PER_2017.xlsx")
    ingest(deployment, evaluate_inputs_sensor(deployment, None).run_requests[0])

    tick = evaluate_publish_sensor(deployment)
    (request,) = tick.run_requests
    # PER 2017 observes prisons 2013-2017, KAZ 2023 2019-2023: one run over 2013..2023.
    assert (request.tags[ASSET_PARTITION_RANGE_START_TAG], request.tags[ASSET_PARTITION_RANGE_END_TAG]) == (
        "2013",
        "2023",
    )
    first = deployment.run_job("publish", tags=request.tags)
    assert first.success
    assert published_partitions_of(first) == {str(y) for y in range(2013, 2024)}
    assert len({run.run_id for run in deployment.instance.get_runs()}) == 2  # one ingest, one publish run

    cursor = evaluate_inputs_sensor(deployment, None).cursor
    write_return(sample_return("KAZ", 2023, total_2021=12_345), inputs / "KAZ_2023.xlsx")
    ingest(deployment, evaluate_inputs_sensor(deployment, cursor).run_requests[0])
    (request,) = evaluate_publish_sensor(deployment, tick.cursor).run_requests
    assert (request.tags[ASSET_PARTITION_RANGE_START_TAG], request.tags[ASSET_PARTITION_RANGE_END_TAG]) == (
        "2019",
        "2023",
    )
    second = deployment.run_job("publish", tags=request.tags)
    assert published_partitions_of(second) == {str(y) for y in range(2019, 2024)}
    assert query(
        deployment.warehouse,
        "SELECT value FROM published.prisons "
        "WHERE iso3 = 'KAZ' AND year = 2021 AND indicator = 'PRISONERS_TOTAL'",
    ) == [(12_345.0,)]
    assert (
        query(
            deployment.warehouse, "SELECT count(*) FROM published.prisons WHERE iso3 = 'PER' AND year = 2013"
        )[0][0]
        > 0
    )


def test_publish_sensor_skips_when_nothing_was_accepted(deployment):
    (deployment.inputs / "notes.txt").write_text("not a return", encoding="utf-8")
    ingest(deployment, evaluate_inputs_sensor(deployment, None).run_requests[0])
    tick = evaluate_publish_sensor(deployment)
    assert not tick.run_requests
    assert query(deployment.warehouse, "SELECT status FROM published.coverage") == [("REJECTED",)]


V2_STATUS = "SELECT status FROM received.submissions WHERE file_name = 'KAZ_2023_v2.xlsx'"
UNPUBLISHED = "SELECT year FROM validated.unpublished_years ORDER BY 1"
COVERAGE = "SELECT file_name, status FROM published.coverage ORDER BY 1"
KAZ_2021_TOTAL = (
    "SELECT value FROM published.prisons WHERE iso3 = 'KAZ' AND year = 2021 AND indicator = 'PRISONERS_TOTAL'"
)


def test_years_validated_by_a_run_that_died_before_reporting_them_are_still_published(deployment):
    inputs = deployment.inputs
    write_return(sample_return("KAZ", 2023), inputs / "KAZ_2023.xlsx")
    files = evaluate_inputs_sensor(deployment, None)
    ingest(deployment, files.run_requests[0])
    tick = evaluate_publish_sensor(deployment)
    assert deployment.run_job("publish", tags=tick.run_requests[0].tags).success

    # v2's validation commits, then the step fails before Dagster records its materialization: a
    # connection this process holds with another configuration stops the read that follows the commit.
    write_return(sample_return("KAZ", 2023, total_2021=12_345), inputs / "KAZ_2023_v2.xlsx")
    files = evaluate_inputs_sensor(deployment, files.cursor)
    with duckdb.connect(str(deployment.warehouse / "normsdata.duckdb")):
        lost = deployment.run_job("ingest", run_config=files.run_requests[0].run_config)
    assert not lost.success
    assert not lost.asset_materializations_for_node("validated_returns")
    assert query(deployment.warehouse, V2_STATUS) == [("ACCEPTED",)]

    # The next batch (prison years 2013-2017) refreshes the coverage; KAZ's years were never reported.
    write_return(sample_return("PER", 2017), inputs / "PER_2017.xlsx")
    ingest(deployment, evaluate_inputs_sensor(deployment, files.cursor).run_requests[0])
    assert query(deployment.warehouse, COVERAGE) == [
        ("KAZ_2023.xlsx", "SUPERSEDED"),
        ("KAZ_2023_v2.xlsx", "ACCEPTED"),
        ("PER_2017.xlsx", "ACCEPTED"),
    ]
    assert query(deployment.warehouse, KAZ_2021_TOTAL) == [(11_000.0,)]  # still v1's

    (request,) = evaluate_publish_sensor(deployment, tick.cursor).run_requests
    assert span_of(request) == ("2013", "2023")
    assert deployment.run_job("publish", tags=request.tags).success
    assert query(deployment.warehouse, KAZ_2021_TOTAL) == [(12_345.0,)]
    assert query(deployment.warehouse, UNPUBLISHED) == []
    assert evaluate_publish_sensor(deployment).skip_message == "no year waits to be published"


def test_a_failed_publish_run_is_asked_for_again_until_its_years_are_published(deployment, monkeypatch):
    monkeypatch.setenv(
        store.LOCK_WAIT_VARIABLE, "0"
    )  # the run fails at once instead of waiting for the reader
    write_return(sample_return("KAZ", 2023), deployment.inputs / "KAZ_2023.xlsx")
    ingest(deployment, evaluate_inputs_sensor(deployment, None).run_requests[0])
    (first,) = evaluate_publish_sensor(deployment).run_requests
    assert span_of(first) == ("2019", "2023")

    # A connection left open on the pipeline's file stops the publish run (one writer or many readers).
    with Analyst(deployment.warehouse / "normsdata.duckdb"):
        failed = deployment.run_job("publish", tags=first.tags)
    assert not failed.success
    assert query(deployment.warehouse, UNPUBLISHED) == [(year,) for year in range(2019, 2024)]

    # Not asked for while a publish run waits to start; asked for again once the last one has failed.
    waiting = DagsterRun(job_name="publish", run_id="waiting-publish", status=DagsterRunStatus.NOT_STARTED)
    deployment.instance.add_run(waiting)
    assert evaluate_publish_sensor(deployment).skip_message == "publish run waiting-publish has not finished"
    deployment.instance.delete_run(waiting.run_id)
    (again,) = evaluate_publish_sensor(deployment).run_requests
    assert span_of(again) == span_of(first) and again.run_key != first.run_key
    assert deployment.run_job("publish", tags=again.tags).success
    assert query(deployment.warehouse, KAZ_2021_TOTAL) == [(11_000.0,)]
    assert not evaluate_publish_sensor(deployment).run_requests


def evaluate_schedule(deployment):
    context = build_schedule_context(
        instance=deployment.instance,
        scheduled_execution_time=dt.datetime(2026, 11, 28, 2, tzinfo=dt.UTC),
        resources={"normsdata": deployment.normsdata},
    )
    return release_schedule(context)


def test_release_schedule_cuts_a_release_only_when_something_changed(deployment):
    assert isinstance(evaluate_schedule(deployment), SkipReason)  # nothing published yet

    write_return(sample_return("KAZ", 2023), deployment.inputs / "KAZ_2023.xlsx")
    ingest(deployment, evaluate_inputs_sensor(deployment, None).run_requests[0])
    # Coverage already lists KAZ 2023 as accepted, its data is not published yet: no release now.
    waiting = evaluate_schedule(deployment)
    assert waiting.skip_message == "years 2019-2023 wait to be published; the release waits for them"
    (request,) = evaluate_publish_sensor(deployment).run_requests
    running = DagsterRun(job_name="publish", run_id="publishing", status=DagsterRunStatus.STARTED)
    deployment.instance.add_run(running)
    assert evaluate_schedule(deployment).skip_message.startswith("run publishing has not finished")
    deployment.instance.delete_run(running.run_id)
    assert deployment.run_job("publish", tags=request.tags).success

    due = evaluate_schedule(deployment)
    assert isinstance(due, RunRequest)
    released = deployment.run_job("cut_release", run_config=due.run_config, tags=due.tags)
    assert released.success
    assert (deployment.warehouse / "releases" / "latest" / "coverage.csv").is_file()

    assert isinstance(evaluate_schedule(deployment), SkipReason)
    # Publishing the same years again changes nothing, so the next night is still idle.
    assert deployment.run_job("publish", tags=request.tags).success
    assert isinstance(evaluate_schedule(deployment), SkipReason)
