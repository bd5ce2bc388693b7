"""The code location as data engineers see it: its asset graph, checks, and Dagster's own validation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from assets.definitions import defs

REPO = Path(__file__).resolve().parents[2]

# A snapshot of the graph: renaming a key, group or check is a reviewed change of this list.
EXPECTED_ASSETS = {
    "received_submissions": ("received", set()),
    "parsed_returns": ("parsed", {"received_submissions"}),
    "validated_returns": ("validated", {"parsed_returns"}),
    "published_tables": ("warehouse", {"validated_returns"}),
    "release": ("release", {"published_tables"}),
}
EXPECTED_CHECKS = {
    ("validated_returns", "cover_suite"),
    ("validated_returns", "activities_suite"),
    ("validated_returns", "prisons_suite"),
    ("validated_returns", "outcomes_suite"),
    ("published_tables", "published_primary_keys_unique"),
    ("published_tables", "published_tables_not_empty"),
}


def test_asset_graph_snapshot():
    graph = defs.resolve_asset_graph()
    found = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        found[key.to_user_string()] = (
            node.group_name,
            {parent.to_user_string() for parent in node.parent_keys},
        )
    assert found == EXPECTED_ASSETS
    checks = {(check.asset_key.to_user_string(), check.name) for check in graph.asset_check_keys}
    assert checks == EXPECTED_CHECKS


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
