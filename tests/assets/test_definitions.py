"""The code location as data engineers see it: its asset graph, checks, and Dagster's own validation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from assets.definitions import defs

REPO = Path(__file__).resolve().parents[2]

# A snapshot of the graph: renaming a key, group, check, job or sensor is a reviewed change here.
EXPECTED_ASSETS = {  # key: (group, parents, partitioned by year)
    "received_submissions": ("received", set(), False),
    "parsed_returns": ("parsed", {"received_submissions"}, False),
    "validated_returns": ("validated", {"parsed_returns"}, False),
    "published_coverage": ("warehouse", {"validated_returns"}, False),
    "feedback": ("feedback", {"published_coverage"}, False),
    "published_tables": ("warehouse", {"published_coverage"}, True),
    "release": ("release", {"published_tables", "published_coverage"}, False),
}
EXPECTED_CHECKS = {  # (asset, check): blocking
    ("validated_returns", "cover_suite"): False,
    ("validated_returns", "activities_suite"): False,
    ("validated_returns", "prisons_suite"): False,
    ("validated_returns", "outcomes_suite"): False,
    ("published_coverage", "no_state_year_vanished"): True,
    ("published_tables", "published_primary_keys_unique"): True,
    ("published_tables", "published_tables_not_empty"): True,
}
EXPECTED_JOBS = {"ingest", "publish", "cut_release", "everything"}
EXPECTED_SENSORS = {"inputs_sensor", "publish_sensor"}
EXPECTED_SCHEDULES = {"release_schedule"}
WAREHOUSE_POOL = "duckdb"


def test_asset_graph_snapshot():
    graph = defs.resolve_asset_graph()
    found = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        found[key.to_user_string()] = (
            node.group_name,
            {parent.to_user_string() for parent in node.parent_keys},
            node.partitions_def is not None,
        )
    assert found == EXPECTED_ASSETS
    checks = {
        (key.asset_key.to_user_string(), key.name): graph.get(key).blocking for key in graph.asset_check_keys
    }
    assert checks == EXPECTED_CHECKS


def test_jobs_sensors_schedules_snapshot():
    assert {job.name for job in defs.jobs} == EXPECTED_JOBS
    assert {sensor.name for sensor in defs.sensors} == EXPECTED_SENSORS
    assert {schedule.name for schedule in defs.schedules} == EXPECTED_SCHEDULES


def test_every_step_that_opens_the_warehouse_is_in_the_one_writer_pool():
    """All assets and the structural checks touch the DuckDB file; the suites run inside validated_returns."""
    job = defs.resolve_job_def("everything")
    pools = {node.name: node.definition.pool for node in job.graph.node_dict.values()}
    assert pools and all(pool == WAREHOUSE_POOL for pool in pools.values()), pools


def test_dagster_definitions_validate_passes(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
    dagster = Path(sys.executable).with_name("dagster")
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All code locations passed validation" in result.stdout + result.stderr


# What a step may need but loading the code location must not pull in (assets/__init__.py): the code
# server, every process of the multiprocess executor and tooling load it, most of them for one step.
HEAVY_LIBRARIES = {
    "pandas",
    "numpy",
    "duckdb",
    "openpyxl",
    "python_calamine",
    "pyarrow",
    "great_expectations",
}


def test_loading_the_code_location_imports_no_domain_library():
    probe = (
        "import sys, assets.definitions; "
        "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", probe],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "dagster" in result.stdout.split()
    assert not HEAVY_LIBRARIES & set(result.stdout.split())
