"""Values the form allows are published: a negative outcome value, an error cell in a column that is
not the form's, a number typed as text whose decimal mark the Cover's language settles.

Real .xlsx returns, received, parsed, validated by the real GE suites and published in a real
DuckDB warehouse, as the pipeline's steps do.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines import steps
from pipelines.forms.content import Outcome
from pipelines.forms.return_writer import EXTRA_COLUMN_FIELD, Drift, ErrorCell, write_return
from pipelines.settings import Paths
from tests.conftest import query, sample_return
from tests.validated.planted import TODAY

# The sample return's outcomes fill rows 2 and 3 of the Outcomes sheet; these follow.
NEGATIVE_PERCENT, NEGATIVE_PERSONS = 4, 5
# Activities: the header is row 1, so the sample's second activity (ACT-2) stands on row 3.
ACT_2_ROW = 3


def _returns(inputs: Path) -> None:
    negative = sample_return("KAZ")
    negative.outcomes += [
        Outcome("PRISON_REFORM", "OTHER", "Overcrowding reduced", "ACHIEVED", -12.5, "PERCENT"),
        Outcome("PRISON_REFORM", "PERSONS_RELEASED", "Releases", "ACHIEVED", -3, "PERSONS"),
    ]
    write_return(negative, inputs / "KAZ_2023.xlsx")
    # "Extra, unknown columns ... (kept aside and reported, never fatal)", even holding an error cell.
    aside = Drift(
        extra_column=True, error_cell=ErrorCell("activities", EXTRA_COLUMN_FIELD, row=1, error="#N/A")
    )
    write_return(sample_return("FRA"), inputs / "FRA_2023.xlsx", drift=aside)
    # The same error in a column of the form still quarantines its row.
    in_form = Drift(extra_column=True, error_cell=ErrorCell("activities", "participants_total", row=1))
    write_return(sample_return("ESP"), inputs / "ESP_2023.xlsx", drift=in_form)
    # Cover in French, tables headed in English: numbers typed as text, read as French writes them.
    decimals = sample_return("BEL", language="FR")
    decimals.outcomes += [
        Outcome("PRISON_REFORM", "OTHER", f"Text {value}", "ACHIEVED", value, "PERCENT")
        for value in ("1.500", "2,5", "2.5")
    ]
    write_return(decimals, inputs / "BEL_2023.xlsx", drift=Drift(header_language="EN"))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Paths:
    root = tmp_path_factory.mktemp("form_values")
    paths = Paths(root / "inputs", root / "warehouse")
    paths.inputs.mkdir()
    _returns(paths.inputs)
    steps.receive_step(paths)
    steps.parse_step(paths)
    steps.validate_step(paths, today=TODAY)
    steps.publish_step(paths)
    return paths


def _findings(paths: Paths, file_name: str) -> list[tuple]:
    """Every finding of the file, the parser's and the suites'."""
    return query(
        paths.warehouse,
        "SELECT f.rule, f.severity, f.action, f.cell_ref, f.message "
        "FROM (SELECT * FROM parsed.findings UNION ALL SELECT * FROM validated.findings) f "
        "JOIN received.submissions s USING (submission_id) WHERE s.file_name = ? ORDER BY ALL",
        [file_name],
    )


def _quarantined(paths: Paths, kind: str, file_name: str) -> list[tuple]:
    """(row, reasons) of the quarantined rows of one sheet kind (activities, outcomes) of the file."""
    return query(
        paths.warehouse,
        "SELECT t.row_no, t.quarantine_reasons FROM ("
        "  SELECT 'activities' AS kind, submission_id, row_no, quarantined, quarantine_reasons"
        "  FROM validated.activities UNION ALL"
        "  SELECT 'outcomes', submission_id, row_no, quarantined, quarantine_reasons FROM validated.outcomes"
        ") t JOIN received.submissions s USING (submission_id) "
        "WHERE t.kind = ? AND s.file_name = ? AND t.quarantined ORDER BY ALL",
        [kind, file_name],
    )


def _published_outcome_values(paths: Paths, iso3: str) -> list[tuple]:
    return query(
        paths.warehouse,
        "SELECT outcome_no, value, unit FROM published.assistance_outcomes "
        "WHERE iso3 = ? ORDER BY outcome_no",
        [iso3],
    )


def test_a_negative_percent_is_published_without_a_word(warehouse):
    assert _quarantined(warehouse, "outcomes", "KAZ_2023.xlsx") == []
    assert (3, -12.5, "PERCENT") in _published_outcome_values(warehouse, "KAZ")
    assert not [f for f in _findings(warehouse, "KAZ_2023.xlsx") if f[3] == f"D{NEGATIVE_PERCENT}"]


def test_a_negative_count_is_published_with_a_warning_to_confirm_it(warehouse):
    assert (4, -3.0, "PERSONS") in _published_outcome_values(warehouse, "KAZ")
    assert _findings(warehouse, "KAZ_2023.xlsx") == [
        (
            "count_not_negative",
            "warning",
            "report",
            f"D{NEGATIVE_PERSONS}",
            "The value -3 is negative, but its unit counts persons, cases, documents or facilities; "
            "please confirm it.",
        )
    ]


def test_an_error_cell_in_an_unknown_column_quarantines_nothing(warehouse):
    assert _quarantined(warehouse, "activities", "FRA_2023.xlsx") == []
    published = query(warehouse.warehouse, "SELECT activity_id FROM published.activities WHERE iso3 = 'FRA'")
    assert sorted(published) == [("ACT-1",), ("ACT-2",), ("ACT-3",)]
    # The column (in Activities and Outcomes) was reported, kept aside, by the parser; its error
    # cell is no finding of its own.
    assert [f[:4] for f in _findings(warehouse, "FRA_2023.xlsx")] == [
        ("unknown_column", "warning", "report", "C1"),
        ("unknown_column", "warning", "report", "C1"),
    ]


def test_an_error_cell_in_a_column_of_the_form_still_quarantines_its_row(warehouse):
    assert _quarantined(warehouse, "activities", "ESP_2023.xlsx") == [(ACT_2_ROW, "error_cell")]
    errors = [f for f in _findings(warehouse, "ESP_2023.xlsx") if f[0] == "error_cell"]
    assert [(f[1], f[2]) for f in errors] == [("error", "quarantine_row")]


def test_a_number_typed_as_text_is_read_as_the_covers_language_writes_it_and_the_choice_is_told(warehouse):
    assert _quarantined(warehouse, "outcomes", "BEL_2023.xlsx") == []
    values = [value for _, value, _ in _published_outcome_values(warehouse, "BEL")]
    assert values[2:] == [1500.0, 2.5, 2.5]
    told = [f for f in _findings(warehouse, "BEL_2023.xlsx") if f[0] == "ambiguous_decimal_mark"]
    assert [(f[1], f[2], f[3]) for f in told] == [("warning", "report", "D4"), ("warning", "report", "D5")]
    assert told[0][4].startswith("'1.500' was read as 1500, as numbers are written in FR")
