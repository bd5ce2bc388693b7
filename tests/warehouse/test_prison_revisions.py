"""A later return revises earlier years' prison figures, even with a value that breaks a rule: the
older value must not come back beside the revised ones (spec: "A value given for an earlier year
revises what was published for that year")."""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.forms.return_writer import write_return
from tests.conftest import query, run_pipeline, sample_return

PUBLISHED_2021 = """
    SELECT indicator, value, reporting_year FROM published.prisons
    WHERE iso3 = 'OMN' AND year = 2021 ORDER BY indicator
"""


def test_a_quarantined_revision_withdraws_the_older_value_instead_of_mixing_returns(tmp_path: Path):
    inputs, warehouse = tmp_path / "inputs", tmp_path / "warehouse"
    inputs.mkdir()
    write_return(sample_return("OMN", 2022), inputs / "OMN_2022.xlsx")  # 2021: 11200 = 10700 + 500
    later = sample_return("OMN", 2023)  # 2021 is two years back here: total_2021 (11000) = 10400 + 600
    later.prisons["PRISONERS_MALE"][2021] = 9_000  # 9000 + 600 != 11000: MALE and FEMALE quarantined
    write_return(later, inputs / "OMN_2023.xlsx")
    os.utime(inputs / "OMN_2023.xlsx", (1_700_100_000, 1_700_100_000))
    run_pipeline(inputs, warehouse)

    published = {indicator: (value, year) for indicator, value, year in query(warehouse, PUBLISHED_2021)}
    assert published["PRISONERS_TOTAL"] == (11_000, 2023)  # revised by the later return, valid there
    # Neither the quarantined 9000 and 600 nor the 2022 return's 10700 and 500, which no longer add up
    # to the revised total; so no female share either. The capacity was not in question.
    assert {"PRISONERS_MALE", "PRISONERS_FEMALE", "FEMALE_SHARE"}.isdisjoint(published)
    assert published["PRISON_CAPACITY"] == (9_000, 2023)
    assert published["OCCUPANCY_RATE"] == (122.2, 2023)  # 11000 / 9000, from the revised total

    candidates = query(
        warehouse,
        "SELECT reporting_year, value, quarantined, rank FROM published.prison_candidates "
        "WHERE iso3 = 'OMN' AND year = 2021 AND indicator = 'PRISONERS_MALE' ORDER BY rank",
    )
    assert candidates == [(2023, 9_000, True, 1), (2022, 10_700, False, 2)]

    # The year before, the 2023 return agrees with itself: its values win as usual.
    assert query(
        warehouse,
        "SELECT value, reporting_year FROM published.prisons "
        "WHERE iso3 = 'OMN' AND year = 2022 AND indicator = 'PRISONERS_MALE'",
    ) == [(10_700, 2023)]
