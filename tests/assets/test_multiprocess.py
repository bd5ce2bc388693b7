"""The whole graph on Dagster's multiprocess executor: steps in parallel processes, one DuckDB writer."""

from __future__ import annotations

import pytest
from dagster import execute_job, reconstructable
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from assets.definitions import defs, everything
from assets.partitions import all_years
from pipelines.forms.return_writer import write_return
from tests.conftest import query, sample_return


@pytest.mark.slow
def test_multiprocess_executor_runs_the_whole_graph(deployment):
    for iso3, year in (("KAZ", 2023), ("PER", 2022), ("FRA", 2023)):
        write_return(sample_return(iso3, year), deployment.inputs / f"{iso3}_{year}.xlsx")
    years = all_years()
    run_config = {
        "execution": {
            "config": {
                "multiprocess": {
                    "max_concurrent": 2,
                    # Children fork from a server that imported the code once, not once per step:
                    # the code location, and the domain code its steps import when they run.
                    "start_method": {
                        "forkserver": {
                            "preload_modules": ["assets.definitions", "pipelines.steps", "pipelines.feedback"]
                        }
                    },
                }
            }
        },
        "resources": {"normsdata": {"config": deployment.normsdata.model_dump()}},
    }
    with execute_job(
        reconstructable(everything),
        instance=deployment.instance,
        run_config=run_config,
        tags={ASSET_PARTITION_RANGE_START_TAG: years.start, ASSET_PARTITION_RANGE_END_TAG: years.end},
    ) as result:
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        events = result.all_events
        materialized = {
            e.asset_key.to_user_string() for e in events if e.event_type_value == "ASSET_MATERIALIZATION"
        }
        pool_waits = [e for e in events if "blocked by limit for pool duckdb" in (e.message or "")]
        processes = {e.pid for e in events if e.event_type_value == "STEP_START"}
    assert materialized == {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    # The two structural checks on published_tables are ready together; the pool made one wait
    # instead of both opening the DuckDB file at once.
    assert pool_waits
    assert len(processes) > 1  # each step in its own process
    assert query(deployment.warehouse, "SELECT count(*) FROM published.current_submissions") == [(3,)]
    assert (deployment.warehouse / "releases" / "latest" / "coverage.csv").is_file()
