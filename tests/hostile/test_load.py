"""A drop of 2,000 returns at once: one run takes them all, under 1 GiB, and leaves each in a status.

The returns are one sample return per reporting year (2015-2025), written once, with the Cover's
member state changed per copy (193 states x 11 years): all different, so none is a DUPLICATE and
none supersedes another.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from pipelines.forms.return_writer import render_return
from pipelines.reference import countries
from tests.conftest import query, sample_return
from tests.hostile import hostile_files as hf
from tests.hostile.runner import GIB, run_pipeline_process

pytestmark = pytest.mark.slow

RETURNS = 2000
YEARS = range(2015, 2026)  # reporting years whose submission date (1 February after) has passed
ACCEPTED = {"ACCEPTED", "ACCEPTED_WITH_WARNINGS"}


def write_drop(inputs: Path) -> None:
    templates = {year: render_return(sample_return("KAZ", year)) for year in YEARS}
    covers = {year: hf.part(data, hf.COVER) for year, data in templates.items()}
    assert all(b"<t>KAZ</t>" in cover for cover in covers.values())  # the Cover's member state cell
    pairs = itertools.islice(itertools.product(countries.member_states(), YEARS), RETURNS)
    for iso3, year in pairs:
        cover = covers[year].replace(b"<t>KAZ</t>", f"<t>{iso3}</t>".encode())
        (inputs / f"{iso3}_{year}.xlsx").write_bytes(hf.repack(templates[year], replace={hf.COVER: cover}))


def test_a_drop_of_2000_returns_completes_in_bounded_memory(tmp_path):
    inputs, warehouse = tmp_path / "inputs", tmp_path / "warehouse"
    inputs.mkdir()
    write_drop(inputs)
    assert len(list(inputs.iterdir())) == RETURNS

    run = run_pipeline_process(inputs, warehouse, timeout=1500)
    print(f"{RETURNS} returns: {run.summary}")  # shown with -rP; kept in CI logs

    assert run.returncode == 0, run
    assert run.peak_rss_bytes < GIB, run
    statuses = dict(query(warehouse, "SELECT status, count(*) FROM received.submissions GROUP BY ALL"))
    assert sum(statuses.values()) == RETURNS
    assert set(statuses) <= ACCEPTED, statuses  # every copy is a valid return of its own state and year
    coverage = query(
        warehouse, "SELECT count(*), count(DISTINCT iso3 || reporting_year) FROM published.coverage"
    )
    assert coverage == [(RETURNS, RETURNS)]
    latest = (warehouse / "releases" / "latest" / "coverage.csv").read_text(encoding="utf-8")
    assert latest.count("\n") == RETURNS + 1  # a header and one row per file
