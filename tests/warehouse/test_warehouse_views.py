"""The analysts' views and comments after a real run over the planted returns of conftest.py."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.reference import countries
from pipelines.settings import Paths
from pipelines.warehouse import catalog
from tests.conftest import query
from tests.warehouse.dictionary import comments

pytestmark = pytest.mark.slow


def states_in(region: str) -> int:
    return sum(countries.country_info(iso3).region == region for iso3 in countries.member_states())


def test_every_published_and_reference_object_and_column_has_a_comment(analysts_run: Paths):
    with duckdb.connect(str(analysts_run.database), read_only=True) as connection:
        found = comments(connection)
        assert catalog.catalog_gaps(connection) == []
    assert {"published.prisons", "published.sdg_16_3_2", "published.coverage_by_year_region"} <= set(found)
    assert {name: text for name, text in found.items() if not (text or "").strip()} == {}


def test_sdg_16_3_2_is_the_published_unsentenced_share(analysts_run: Paths):
    view = query(
        analysts_run.warehouse,
        "SELECT iso3, year, value, obs_status, reporting_year, submission_id FROM published.sdg_16_3_2",
    )
    published = query(
        analysts_run.warehouse,
        "SELECT iso3, year, value, obs_status, reporting_year, submission_id FROM published.prisons "
        "WHERE indicator = 'UNSENTENCED_SHARE'",
    )
    assert sorted(view) == sorted(published) and len(view) == 12  # KAZ, KGZ, NGA: 4 years each
    rows = {
        (iso3, year): rest
        for iso3, year, *rest in query(
            analysts_run.warehouse,
            "SELECT iso3, year, value, obs_status, unsentenced_detainees, prison_population, country, region "
            "FROM published.sdg_16_3_2",
        )
    }
    assert rows[("KAZ", 2023)] == [29.6, "A", 3400, 11500, "Kazakhstan", "Asia"]  # 3,400 of 11,500
    assert rows[("KAZ", 2022)] == [29.5, "E", 3300, 11200, "Kazakhstan", "Asia"]  # "3300 (e)": estimated
    assert ("KAZ", 2021) not in rows  # unsentenced ".." (not available): no share
    assert rows[("KGZ", 2018)][:2] == [30.0, "A"]


def test_coverage_by_year_region_counts_states_per_region(analysts_run: Paths):
    rows = {
        (year, region): rest
        for year, region, *rest in query(
            analysts_run.warehouse,
            "SELECT reporting_year, region, states_expected, states_reported, states_accepted, "
            "states_rejected, states_not_reported, response_rate, submissions, submissions_rejected, "
            "submissions_superseded FROM published.coverage_by_year_region",
        )
    }
    regions = {countries.country_info(iso3).region for iso3 in countries.member_states()}
    assert set(rows) == {(year, region) for year in (2014, 2022, 2023) for region in regions}
    asia, africa, europe = states_in("Asia"), states_in("Africa"), states_in("Europe")
    # KAZ sent two returns for 2023: one state, accepted, one submission superseded.
    assert rows[(2023, "Asia")] == [asia, 1, 1, 0, asia - 1, round(100 / asia, 1), 2, 0, 1]
    # NGA's return has an error that is only reported: accepted.
    assert rows[(2023, "Africa")] == [africa, 1, 1, 0, africa - 1, round(100 / africa, 1), 1, 0, 0]
    # EGY's only return for 2014 was rejected: reported, not accepted.
    assert rows[(2014, "Africa")] == [africa, 1, 0, 1, africa - 1, 0.0, 1, 1, 0]
    assert rows[(2022, "Asia")] == [asia, 1, 1, 0, asia - 1, round(100 / asia, 1), 1, 0, 0]
    assert rows[(2022, "Europe")] == [europe, 0, 0, 0, europe, 0.0, 0, 0, 0]


def test_latest_prison_figures_skip_years_without_a_value(analysts_run: Paths):
    latest = {
        (iso3, indicator): (year, value, obs_status)
        for iso3, indicator, year, value, obs_status in query(
            analysts_run.warehouse,
            "SELECT iso3, indicator, year, value, obs_status FROM published.latest_prison_figures",
        )
    }
    assert latest[("KAZ", "PRISONERS_TOTAL")] == (2023, 11_500, "A")
    assert latest[("KGZ", "PRISONERS_TOTAL")] == (2022, 11_500, "A")
    assert latest[("KAZ", "UNSENTENCED_SHARE")] == (2023, 29.6, "A")
    assert ("KAZ", "EMERGENCY_RELEASES") not in latest  # only "n.a." and "-": no value in any year


def test_activities_by_year_region_leaves_out_quarantined_activities(analysts_run: Paths):
    rows = {
        (year, area): rest
        for year, area, *rest in query(
            analysts_run.warehouse,
            "SELECT reporting_year, thematic_area, states, activities, participants_total, "
            "participants_women, women_share FROM published.activities_by_year_region WHERE region = 'Asia'",
        )
    }
    assert rows[(2023, "PRISON_REFORM")] == [1, 1, 1162, 310, 26.7]
    assert rows[(2023, "ACCESS_TO_JUSTICE")] == [1, 1, 25, 12, 48.0]
    assert (2023, "VIOLENCE_AGAINST_WOMEN") not in rows  # KAZ's only one was quarantined (women > total)
    assert rows[(2022, "VIOLENCE_AGAINST_WOMEN")] == [1, 1, 90, 60, 66.7]
