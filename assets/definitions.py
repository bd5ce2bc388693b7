"""The one entry point (workspace.yaml points here): assets, checks, jobs, sensors, schedule, resources."""

import os

from dagster import Definitions, EnvVar

from assets.feedback import feedback
from assets.jobs import everything_job, ingest_job, publish_job, release_job
from assets.parsed import parsed_returns
from assets.received import received_submissions
from assets.release import release
from assets.resources import NormsdataPaths
from assets.schedules import release_schedule
from assets.sensors import inputs_sensor, publish_sensor
from assets.validated import validated_returns
from assets.warehouse import (
    no_state_year_vanished,
    published_coverage,
    published_primary_keys_unique,
    published_tables,
    published_tables_not_empty,
)
from pipelines.settings import DEFAULT_INPUTS, DEFAULT_WAREHOUSE


def _setting(variable: str, default: str):
    """EnvVar when the deployment sets it (resolved at run time, shown in the UI), else the default."""
    return EnvVar(variable) if variable in os.environ else default


defs = Definitions(
    assets=[
        received_submissions,
        parsed_returns,
        validated_returns,
        published_coverage,
        feedback,
        published_tables,
        release,
    ],
    asset_checks=[published_primary_keys_unique, published_tables_not_empty, no_state_year_vanished],
    jobs=[ingest_job, publish_job, release_job, everything_job],
    sensors=[inputs_sensor, publish_sensor],
    schedules=[release_schedule],
    resources={
        "normsdata": NormsdataPaths(
            inputs_dir=_setting("NORMSDATA_INPUTS", DEFAULT_INPUTS),
            warehouse_dir=_setting("NORMSDATA_WAREHOUSE", DEFAULT_WAREHOUSE),
        )
    },
)


def everything():
    """The whole-graph job, for `reconstructable(everything)`: multiprocess runs outside `dagster dev`."""
    return defs.resolve_job_def(everything_job.name)
