"""Shared fixtures: returns built as content, written as real .xlsx, run through real Dagster runs."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, ExecuteInProcessResult

from assets.run import materialize_all
from pipelines.forms.content import Activity, Cover, Outcome, ReturnContent
from pipelines.settings import Paths


def sample_return(
    iso3: str = "KAZ", year: int = 2023, *, language: str = "EN", total_2021: int = 11_000
) -> ReturnContent:
    """A clean return: three activities, five years of prison figures, two outcomes."""
    activities = [
        Activity(
            "ACT-1",
            "PRISON_REFORM",
            "TRAINING",
            "Nelson Mandela Rules for prison officers",
            dt.date(year, 3, 15),
            dt.date(year, 3, 17),
            "IN_PERSON",
            1162,
            310,
            "PRISON_STAFF",
            ["NELSON_MANDELA_RULES", "BANGKOK_RULES"],
            ["UNODC", "OHCHR"],
        ),
        Activity(
            "ACT-2",
            "ACCESS_TO_JUSTICE",
            "LEGISLATIVE_ASSISTANCE",
            "Legal aid law review",
            dt.date(year - 1, 11, 1),
            dt.date(year, 2, 28),
            "HYBRID",
            25,
            12,
            "LEGAL_AID_PROVIDERS",
            ["LEGAL_AID_PRINCIPLES"],
            [],
        ),
        Activity(
            "ACT-3",
            "VIOLENCE_AGAINST_WOMEN",
            "WEBINAR",
            "Survivor-centred investigations",
            dt.date(year, 6, 1),
            dt.date(year, 6, 1),
            "ONLINE",
            90,
            60,
            "POLICE",
            [],
            ["UN Women"],
        ),
    ]
    prisons = {
        "PRISONERS_TOTAL": {
            year - 4: 10_000,
            year - 3: 10_500,
            year - 2: total_2021,
            year - 1: 11_200,
            year: 11_500,
        },
        "PRISONERS_MALE": {
            year - 4: 9_500,
            year - 3: 10_000,
            year - 2: total_2021 - 600,
            year - 1: 10_700,
            year: 11_000,
        },
        "PRISONERS_FEMALE": {year - 4: 500, year - 3: 500, year - 2: 600, year - 1: 500, year: 500},
        "PRISONERS_UNSENTENCED": {
            year - 4: 3_000,
            year - 3: 3_100,
            year - 2: "..",
            year - 1: "3300 (e)",
            year: 3_400,
        },
        "PRISON_CAPACITY": {year - 4: 9_000, year - 3: 9_000, year - 2: 9_000, year - 1: 9_000, year: 10_000},
        "EMERGENCY_RELEASES": {year - 4: "n.a.", year: "-"},
    }
    outcomes = [
        Outcome("PRISON_REFORM", "LAW_ADOPTED", "Prison code amended", "ACHIEVED", activity_id="ACT-1"),
        Outcome(
            "ACCESS_TO_JUSTICE",
            "PERSONS_ASSISTED",
            "Legal aid clients",
            "IN_PROGRESS",
            1200,
            "PERSONS",
            "ACT-2",
            "https://example.org/report",
        ),
    ]
    cover = Cover(
        iso3,
        year,
        "Ministry of Justice",
        "A. Focal",
        "focal@example.org",
        dt.date(year + 1, 2, 1),
        language=language,
    )
    return ReturnContent(cover, activities, prisons, outcomes)


def run_pipeline(inputs: Path, warehouse: Path) -> ExecuteInProcessResult:
    """One real Dagster run of every asset and check, as `make run` does."""
    os.environ["DAGSTER_HOME"] = str(warehouse / ".dagster")
    (warehouse / ".dagster").mkdir(parents=True, exist_ok=True)
    result = materialize_all(inputs, warehouse, DagsterInstance.ephemeral())
    assert result.success, [event.message for event in result.all_events if event.is_failure]
    return result


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(Paths(warehouse, warehouse).database), read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    inputs, warehouse = tmp_path / "inputs", tmp_path / "warehouse"
    inputs.mkdir()
    return inputs, warehouse
