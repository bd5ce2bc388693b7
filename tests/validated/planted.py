"""Five returns with planted defects, written as real .xlsx, parsed and stored in a real DuckDB file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipelines.forms.content import Outcome
from pipelines.forms.return_writer import write_return
from pipelines.parsed.returns import parse_return
from pipelines.warehouse import store
from tests.conftest import sample_return

TODAY = dt.date(2026, 11, 28)
MANY = 250  # more failures of one rule than GE 1.x keeps in its `unexpected_list` (200)


def _returns(folder: Path) -> list[Path]:
    clean = sample_return("KAZ")
    women_over_total = sample_return("FRA")
    women_over_total.activities[0].participants_women = 2000  # women > total: row quarantined
    unknown_area = sample_return("ESP")
    unknown_area.activities[1].thematic_area = "PRISON_REFORMS"  # not a code: row quarantined
    bad_year = sample_return("RUS", 2040)  # reporting year out of range: the return is rejected
    many = sample_return("BRA")
    # every outcome names an activity the return does not have: each row quarantined
    many.outcomes = [
        Outcome("PRISON_REFORM", "LAW_ADOPTED", f"Outcome {i}", "ACHIEVED", activity_id=f"NO-SUCH-{i}")
        for i in range(MANY)
    ]
    contents = {"KAZ": clean, "FRA": women_over_total, "ESP": unknown_area, "RUS": bad_year, "BRA": many}
    return [write_return(content, folder / f"{iso3}.xlsx") for iso3, content in contents.items()]


def parsed_warehouse(folder: Path) -> tuple[Path, list[str]]:
    """The returns in `folder/inputs`, and a database file of their parsed cells with their ids
    (the ISO3 codes), as the validate step reads them (it is not a whole warehouse: no received
    layer, so the validate step itself finds nothing pending there)."""
    inputs = folder / "inputs"
    inputs.mkdir()
    parsed = [parse_return(path, path.stem, path.name) for path in _returns(inputs)]
    database = folder / "normsdata.duckdb"
    with store.writer(database) as writer:
        writer.save_parsed(parsed)
    return database, [p.submission_id for p in parsed]
