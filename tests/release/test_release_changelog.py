"""What changed, kind by kind, between two real releases: CHANGELOG.md for people, changes.csv for tools."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import release_frames as frames

from pipelines.release import ReleaseTables, publish_release
from pipelines.release.csv_format import read_csv
from pipelines.release.layout import CHANGE_KINDS

DAY1 = dt.date(2022, 5, 1)
DAY2 = dt.date(2022, 6, 1)


def next_year_tables() -> ReleaseTables:
    """The second release's warehouse, each difference from `frames.base_tables()` labelled.

    - KAZ-2022-1 arrives (reporting year 2022): revises KAZ 2020 PRISONERS_TOTAL 1100 (A) -> 1105 (P),
      adds KAZ 2022 PRISONERS_TOTAL and two outcomes;
    - KGZ-2021-1 is now REJECTED, so KGZ's activity, outcome and prison values are gone;
    - BAD-1 is no longer listed at all; BAD-2, a new file, is rejected on arrival.
    """
    base = frames.base_tables()

    coverage = base.coverage[base.coverage["submission_id"] != "BAD-1"].copy()
    coverage.loc[coverage["submission_id"] == "KGZ-2021-1", "status"] = "REJECTED"
    new_files = pd.DataFrame(
        [
            {**coverage.iloc[0].to_dict(), "submission_id": "KAZ-2022-1", "file_name": "KAZ_2022.xlsx"},
            {
                **coverage.iloc[0].to_dict(),
                "submission_id": "BAD-2",
                "file_name": "KAZ_2022.xls",
                "iso3": None,
                "reporting_year": pd.NA,
                "status": "REJECTED",
            },
        ]
    )
    new_files.loc[0, "reporting_year"] = 2022
    coverage = pd.concat([coverage, new_files], ignore_index=True).astype(base.coverage.dtypes.to_dict())

    prisons = base.prisons[base.prisons["iso3"] != "KGZ"].copy()
    revised = (prisons["year"] == 2020) & (prisons["indicator"] == "PRISONERS_TOTAL")
    prisons.loc[revised, ["value", "obs_status", "reporting_year", "submission_id"]] = [
        1105.0,
        "P",
        2022,
        "KAZ-2022-1",
    ]
    added = prisons[revised].assign(year=2022, value=1190.0, obs_status="A")
    prisons = pd.concat([prisons, added], ignore_index=True).astype(base.prisons.dtypes.to_dict())

    activities = base.activities[base.activities["iso3"] != "KGZ"]
    outcomes = base.assistance_outcomes[base.assistance_outcomes["iso3"] != "KGZ"]
    new_outcomes = outcomes[outcomes["outcome_no"] == 1].assign(
        reporting_year=2022, submission_id="KAZ-2022-1"
    )
    new_outcomes = pd.concat([new_outcomes, new_outcomes.assign(outcome_no=2)])
    outcomes = pd.concat([outcomes, new_outcomes], ignore_index=True).astype(
        base.assistance_outcomes.dtypes.to_dict()
    )
    return ReleaseTables(
        activities=activities, prisons=prisons, assistance_outcomes=outcomes, coverage=coverage
    )


@pytest.fixture
def two_releases(releases) -> tuple[Path, Path]:
    first = publish_release(
        frames.base_tables(), releases, release_date=DAY1, synthetic=False, validate=False
    )
    second = publish_release(next_year_tables(), releases, release_date=DAY2, synthetic=False)
    assert second.created
    return first.path, second.path


def changes_of(folder: Path, kind: str) -> list[tuple[str, ...]]:
    keys = ("table", "iso3", "reporting_year", "year", "indicator", "submission_id", "field", "old", "new")
    return [tuple(row[k] for k in keys) for row in read_csv(folder / "changes.csv") if row["change"] == kind]


def changelog_of(folder: Path) -> str:
    return (folder / "CHANGELOG.md").read_text(encoding="utf-8")


def test_returns_added_superseded_and_rejected(two_releases):
    _, second = two_releases
    assert changes_of(second, "submission_added") == [
        ("coverage", "", "", "", "", "BAD-2", "status", "", "REJECTED"),
        ("coverage", "KAZ", "2022", "", "", "KAZ-2022-1", "status", "", "ACCEPTED"),
    ]
    assert changes_of(second, "submission_rejected") == [
        ("coverage", "", "", "", "", "BAD-2", "status", "", "REJECTED"),
        ("coverage", "KGZ", "2021", "", "", "KGZ-2021-1", "status", "ACCEPTED_WITH_WARNINGS", "REJECTED"),
    ]
    assert changes_of(second, "submission_removed") == [
        ("coverage", "", "", "", "", "BAD-1", "status", "REJECTED", ""),
    ]
    text = changelog_of(second)
    assert (
        "## Returns added (2)\n\n- `BAD-2` (state and year not read): REJECTED\n"
        "- `KAZ-2022-1` (KAZ 2022): ACCEPTED\n" in text
    )
    rejected = "- `BAD-2` (state and year not read)\n- `KGZ-2021-1` (KGZ 2021) (was ACCEPTED_WITH_WARNINGS)\n"
    assert f"## Returns rejected (2)\n\n{rejected}" in text
    assert "## Returns no longer listed (1)\n\n- `BAD-1` (state and year not read) (was REJECTED)\n" in text


def test_superseded_returns_name_their_successor(releases):
    publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False, validate=False)
    second = publish_release(frames.corrected_tables(), releases, release_date=DAY2, synthetic=False)
    assert changes_of(second.path, "submission_superseded") == [
        ("coverage", "KAZ", "2021", "", "", "KAZ-2021-1", "status", "ACCEPTED", "SUPERSEDED"),
    ]
    assert "- `KAZ-2021-1` (KAZ 2021), superseded by `KAZ-2021-2`" in changelog_of(second.path)


def test_prison_values_revised_old_to_new_with_the_revising_submission(two_releases):
    _, second = two_releases
    assert changes_of(second, "value_revised") == [
        ("prisons", "KAZ", "2022", "2020", "PRISONERS_TOTAL", "KAZ-2022-1", "obs_status", "A", "P"),
        ("prisons", "KAZ", "2022", "2020", "PRISONERS_TOTAL", "KAZ-2022-1", "value", "1100", "1105"),
    ]
    assert "- KAZ 2020 PRISONERS_TOTAL: 1100 (A) -> 1105 (P), revised by `KAZ-2022-1`" in changelog_of(second)


def test_prison_values_added_and_withdrawn(two_releases):
    _, second = two_releases
    assert changes_of(second, "value_added") == [
        ("prisons", "KAZ", "2022", "2022", "PRISONERS_TOTAL", "KAZ-2022-1", "obs_status", "", "A"),
        ("prisons", "KAZ", "2022", "2022", "PRISONERS_TOTAL", "KAZ-2022-1", "value", "", "1190"),
    ]
    withdrawn = changes_of(second, "value_removed")
    assert [(c[1], c[3], c[4], c[7]) for c in withdrawn] == [
        ("KGZ", "2019", "PRISON_FACILITIES", "12"),
        ("KGZ", "2021", "PRISONERS_FOREIGN", ""),
        ("KGZ", "2021", "PRISONERS_JUVENILE", ""),
    ]
    text = changelog_of(second)
    assert "## Prison values added (1)\n\n- KAZ: 1 value for 2022, from `KAZ-2022-1`\n" in text
    assert "- KGZ 2019 PRISON_FACILITIES: 12 (P) (was from `KGZ-2021-1`)" in text
    assert "- KGZ 2021 PRISONERS_JUVENILE: empty (M) (was from `KGZ-2021-1`)" in text


def test_activity_and_outcome_counts_per_state_against_the_previous_release(two_releases):
    _, second = two_releases
    assert changes_of(second, "state_count") == [
        ("activities", "KGZ", "", "", "", "", "rows", "1", "0"),
        ("assistance_outcomes", "KAZ", "", "", "", "", "rows", "2", "4"),
        ("assistance_outcomes", "KGZ", "", "", "", "", "rows", "1", "0"),
    ]
    assert changes_of(second, "row_count") == [
        ("activities", "", "", "", "", "", "rows", "4", "3"),
        ("prisons", "", "", "", "", "", "rows", "9", "7"),
        ("assistance_outcomes", "", "", "", "", "", "rows", "3", "4"),
        ("coverage", "", "", "", "", "", "rows", "3", "4"),
    ]
    text = changelog_of(second)
    assert "| KAZ | 3 | 2 -> 4 |" in text
    assert "| KGZ | 1 -> 0 | 1 -> 0 |" in text


def test_a_first_release_lists_its_returns_and_counts_but_no_value_changes(two_releases):
    first, _ = two_releases
    kinds = {row["change"] for row in read_csv(first / "changes.csv")}
    assert kinds == {"submission_added", "submission_rejected", "row_count", "state_count"}
    text = changelog_of(first)
    assert "First release" in text
    assert "Prison values added" not in text
    assert "| KAZ | 0 -> 3 | 0 -> 2 |" in text


def test_changes_csv_is_sorted_by_kind_as_the_layout_orders_them(two_releases):
    _, second = two_releases
    order = [CHANGE_KINDS.index(row["change"]) for row in read_csv(second / "changes.csv")]
    assert order == sorted(order)
