"""Blocking checks: a structurally wrong published layer never becomes a release."""

from __future__ import annotations

import dataclasses
import os

import duckdb

from assets.run import materialize_all
from pipelines.forms.return_writer import write_return
from pipelines.settings import Paths
from tests.conftest import sample_return


def check_results(result) -> dict[str, bool]:
    return {evaluation.check_name: evaluation.passed for evaluation in result.get_asset_check_evaluations()}


def released(result) -> bool:
    return bool(result.asset_materializations_for_node("release"))


def test_an_empty_published_table_stops_the_release(deployment):
    without_outcomes = dataclasses.replace(sample_return("KAZ", 2023), outcomes=[])
    write_return(without_outcomes, deployment.inputs / "KAZ_2023.xlsx")

    result = materialize_all(deployment.inputs, deployment.warehouse, deployment.instance)

    assert not result.success
    assert check_results(result)["published_tables_not_empty"] is False
    assert not released(result)
    assert not (deployment.warehouse / "releases" / "latest").exists()


def test_a_state_year_vanishing_from_the_warehouse_stops_the_release(deployment):
    for iso3, year in (("KAZ", 2023), ("PER", 2022)):
        write_return(sample_return(iso3, year), deployment.inputs / f"{iso3}_{year}.xlsx")
    first = materialize_all(deployment.inputs, deployment.warehouse, deployment.instance)
    assert first.success and released(first)
    latest = (deployment.warehouse / "releases" / "latest").resolve()

    # A fault, not a user action: PER 2022's validated Cover is lost from the warehouse.
    database = Paths(deployment.inputs, deployment.warehouse).database
    with duckdb.connect(str(database)) as connection:
        connection.execute("DELETE FROM validated.covers WHERE iso3 = ?", ["PER"])

    ingest = deployment.run_job("ingest")  # rebuilds the coverage from what is left
    assert check_results(ingest)["no_state_year_vanished"] is False
    (evaluation,) = [
        e for e in ingest.get_asset_check_evaluations() if e.check_name == "no_state_year_vanished"
    ]
    assert evaluation.metadata["vanished_state_years"].value == ["PER 2022"]

    cut = deployment.run_job("cut_release")  # what the nightly schedule launches
    assert not cut.success
    assert check_results(cut)["no_state_year_vanished"] is False
    assert not released(cut)
    assert (deployment.warehouse / "releases" / "latest").resolve() == latest
    assert os.listdir(deployment.warehouse / "releases").count("latest") == 1
