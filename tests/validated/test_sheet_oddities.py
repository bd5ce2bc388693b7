"""What the parse step sets aside or derives reaches the validated tables: a Prisons indicator row or
year column given twice, and Activity IDs derived for rows left without one.

Real .xlsx returns go through the real receive, parse, validate (GE in its worker) and publish steps
into a real DuckDB warehouse.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from pipelines import steps
from pipelines.forms.return_writer import write_return
from pipelines.settings import Paths
from tests.conftest import query, sample_return
from tests.validated.planted import TODAY

TWICE = 99_999  # the repeated row's figures: MALE + FEMALE would no longer make TOTAL with them


def _repeated_indicator_row(path: Path) -> int:
    """A second PRISONERS_TOTAL row under the table; its row number."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Prisons"]
    row = sheet.max_row + 1
    sheet.cell(row, 1, "PRISONERS_TOTAL")
    for col in range(2, 7):  # the five year columns
        sheet.cell(row, col, TWICE)
    workbook.save(path)
    return row


def _repeated_year_column(path: Path) -> str:
    """A second 2023 column after Notes, a 1 in every indicator row; its letter."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Prisons"]
    col = sheet.max_column + 1
    sheet.cell(1, col, 2023)
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, col, 1)
    workbook.save(path)
    return get_column_letter(col)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> tuple[Path, dict[str, object]]:
    paths = Paths(tmp_path_factory.mktemp("oddities") / "inputs", tmp_path_factory.mktemp("warehouse"))
    paths.inputs.mkdir()
    where: dict[str, object] = {}
    kaz, fra = (write_return(sample_return(i), paths.inputs / f"{i}_2023.xlsx") for i in ("KAZ", "FRA"))
    where["row"], where["column"] = _repeated_indicator_row(kaz), _repeated_year_column(fra)
    twins = sample_return("ESP")
    twins.activities[0].activity_id = None
    twins.activities.insert(1, dataclasses.replace(twins.activities[0], participants_total=400))
    write_return(twins, paths.inputs / "ESP_2023.xlsx")
    steps.receive_step(paths)
    steps.parse_step(paths)
    steps.validate_step(paths, today=TODAY)
    steps.publish_step(paths)
    return paths.warehouse, where


def _findings(warehouse: Path, iso3: str, table: str) -> list[tuple]:
    return query(
        warehouse,
        f"SELECT rule, severity, action, cell_ref, message FROM {table} "  # noqa: S608
        "JOIN received.submissions USING (submission_id) WHERE file_name = ? ORDER BY ALL",
        [f"{iso3}_2023.xlsx"],
    )


def _prison_values(warehouse: Path, iso3: str) -> list[tuple]:
    return query(
        warehouse,
        "SELECT indicator, year, value, cell_ref, quarantined, quarantine_reasons "
        "FROM validated.prison_values JOIN received.submissions USING (submission_id) "
        "WHERE file_name = ? ORDER BY ALL",
        [f"{iso3}_2023.xlsx"],
    )


def _published_total(warehouse: Path, iso3: str) -> float:
    ((value,),) = query(
        warehouse,
        "SELECT value FROM published.prisons_reported "
        "WHERE iso3 = ? AND year = 2023 AND indicator = 'PRISONERS_TOTAL'",
        [iso3],
    )
    return value


def test_a_repeated_indicator_row_is_reported_and_its_values_set_aside(warehouse):
    database, where = warehouse
    row = where["row"]
    (finding,) = _findings(database, "KAZ", "parsed.findings")
    assert finding[:4] == ("duplicate_indicator", "error", "quarantine_cell", f"A{row}")
    assert "row 2" in finding[4] and f"row {row}" in finding[4]
    values = _prison_values(database, "KAZ")
    set_aside = [v for v in values if v[3].endswith(str(row))]
    assert [v[2] for v in set_aside] == [TWICE] * 5
    assert all(v[4:] == (True, "duplicate_indicator") for v in set_aside)
    assert not any(v[4] for v in values if v not in set_aside)  # the first row's are kept
    # The set-aside figures are not validated: MALE + FEMALE still make the first row's TOTAL.
    assert _findings(database, "KAZ", "validated.findings") == []
    assert _published_total(database, "KAZ") == 11_500


def test_a_repeated_year_column_is_reported_and_its_values_set_aside(warehouse):
    database, where = warehouse
    column = where["column"]
    (finding,) = _findings(database, "FRA", "parsed.findings")
    assert finding[:4] == ("duplicate_year", "error", "quarantine_cell", f"{column}1")
    assert "column F" in finding[4] and f"column {column}" in finding[4]
    values = _prison_values(database, "FRA")
    set_aside = [v for v in values if v[3].startswith(column)]
    assert len(set_aside) == 13 and {v[2] for v in set_aside} == {1}
    assert all(v[1] == 2023 and v[4:] == (True, "duplicate_year") for v in set_aside)
    assert not any(v[4] for v in values if v not in set_aside)
    assert _findings(database, "FRA", "validated.findings") == []
    assert _published_total(database, "FRA") == 11_500


def test_activities_alike_without_ids_are_both_accepted(warehouse):
    database, _ = warehouse
    rows = query(
        database,
        "SELECT activity_id, quarantined FROM validated.activities "
        "JOIN received.submissions USING (submission_id) WHERE file_name = 'ESP_2023.xlsx' ORDER BY row_no",
    )
    derived = [activity_id for activity_id, _ in rows if activity_id.startswith("AUTO-")]
    assert derived == [derived[0], f"{derived[0]}-2"]
    assert not any(quarantined for _, quarantined in rows)
