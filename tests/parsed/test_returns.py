"""Reading one return without Dagster: tables end at a blank row, sheets found by content."""

from __future__ import annotations

import dataclasses

import openpyxl
import pytest

from pipelines.forms.content import Outcome
from pipelines.forms.return_writer import Drift, write_return
from pipelines.parsed.returns import PARSED, REJECTED, parse_return
from pipelines.reference import form
from tests.conftest import sample_return


def activity_ids(parsed) -> list[str]:
    return [c.value for c in parsed.cells if c.sheet_kind == "activities" and c.field == "activity_id"]


def test_a_blank_row_ends_the_table(tmp_path):
    path = write_return(sample_return("KAZ"), tmp_path / "KAZ_2023.xlsx")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Activities"]
    sheet.insert_rows(3)  # a blank row after the first activity: what follows is not read
    workbook.save(path)
    parsed = parse_return(path, "s1", path.name)
    assert parsed.status == PARSED
    assert activity_ids(parsed) == ["ACT-1"]
    # ... but the focal point is told which rows were not read.
    (below,) = [f for f in parsed.findings if f.rule == "rows_after_blank_row"]
    where = (below.sheet, below.cell_ref, below.severity, below.action)
    assert where == ("Activities", "A4", "warning", "report")
    assert "Row 3 is empty" in below.message and "(2, from row 4 on)" in below.message


def test_a_blank_row_ends_the_prisons_table_and_the_rows_below_are_named(tmp_path):
    path = write_return(sample_return("KAZ"), tmp_path / "KAZ_2023.xlsx")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Prisons"]
    sheet.insert_rows(4)  # after PRISONERS_TOTAL, MALE: FEMALE and the rest are below it
    sheet.cell(sheet.max_row + 2, 1, "Source: national prison administration")  # a footnote
    workbook.save(path)
    parsed = parse_return(path, "s1", path.name)
    read = {c.field for c in parsed.cells if c.sheet_kind == "prisons"}
    assert read == {"PRISONERS_TOTAL", "PRISONERS_MALE"}
    (below,) = [f for f in parsed.findings if f.rule == "rows_after_blank_row"]
    rows_below = sum(1 for row in sheet.iter_rows(min_row=5) if any(c.value is not None for c in row))
    assert below.cell_ref == "A5" and f"({rows_below}, from row 5 on)" in below.message
    assert rows_below == len(form.indicators()) - 2 + 1  # every indicator row but two, and the footnote


def test_a_table_that_ends_with_the_sheet_or_at_blank_rows_alone_says_nothing(tmp_path):
    path = write_return(sample_return("KAZ"), tmp_path / "KAZ_2023.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook["Outcomes"].cell(40, 3, "   ")  # only spaces, far below: still blank
    workbook.save(path)
    parsed = parse_return(path, "s1", path.name)
    assert [f.rule for f in parsed.findings] == []


def test_a_renamed_sheet_is_found_by_its_content(tmp_path):
    path = write_return(sample_return("KAZ"), tmp_path / "KAZ_2023.xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook["Activities"].title = "Sheet2"
    workbook.save(path)
    parsed = parse_return(path, "s1", path.name)
    assert parsed.sheets["activities"] == "Sheet2"
    assert activity_ids(parsed) == ["ACT-1", "ACT-2", "ACT-3"]


def test_a_blank_activity_id_gets_a_stable_derived_one(tmp_path):
    content = sample_return("KAZ")
    content.activities[0].activity_id = None
    first = parse_return(write_return(content, tmp_path / "a.xlsx"), "s1", "a.xlsx")
    content.activities.reverse()  # the same activity on another row keeps its ID
    second = parse_return(write_return(content, tmp_path / "b.xlsx"), "s2", "b.xlsx")
    derived = [i for i in activity_ids(first) if i.startswith("AUTO-")]
    assert len(derived) == 1
    assert derived[0] in activity_ids(second)


def test_a_sheet_over_the_row_limit_is_rejected_naming_the_limit(tmp_path):
    from pipelines.parsed.workbook import Limits

    path = write_return(sample_return("KAZ"), tmp_path / "KAZ_2023.xlsx")
    parsed = parse_return(path, "s1", path.name, Limits(max_rows=5))
    assert parsed.status == REJECTED
    assert parsed.findings[-1].rule == "sheet_too_large"
    assert "5 rows" in parsed.findings[-1].message


def test_a_return_sent_between_processes_comes_back_with_cells_that_are_cells(tmp_path):
    """Parse workers pickle their results; cells travel as plain tuples and are rebuilt as Cells."""
    import pickle

    from pipelines.parsed.cells import Cell

    path = write_return(sample_return("KAZ"), tmp_path / "KAZ_2023.xlsx")
    parsed = parse_return(path, "s1", path.name)
    rejected = parse_return(tmp_path / "missing.xlsx", "s2", "missing.xlsx")
    for sent in (parsed, rejected):
        received = pickle.loads(pickle.dumps(sent, protocol=pickle.HIGHEST_PROTOCOL))
        assert received.__dict__ == sent.__dict__
        assert all(type(cell) is Cell for cell in received.cells)
    received = pickle.loads(pickle.dumps(parsed))
    assert received.cells and received.cover_value("member_state") == "KAZ"
    assert received.cells[0].sheet_kind == parsed.cells[0].sheet_kind
    assert parsed.cells and all(type(cell) is Cell for cell in parsed.cells)  # the sender's are untouched


def _outcome_values(cover_language: str, header_language: str, written: list[str], tmp_path) -> tuple:
    """(value read, notes on the cell) of each outcome value `written` as text, after the sample's own."""
    content = sample_return("BEL", language=cover_language)
    content.outcomes = [
        Outcome("PRISON_REFORM", "OTHER", f"Outcome {i}", "ACHIEVED", value, "PERCENT")
        for i, value in enumerate(written)
    ]
    path = write_return(content, tmp_path / "BEL_2023.xlsx", drift=Drift(header_language=header_language))
    parsed = parse_return(path, "s1", path.name)
    values = [c for c in parsed.cells if c.sheet_kind == "outcomes" and c.field == "value"]
    notes = {f.cell_ref: f for f in parsed.findings if f.rule == "ambiguous_decimal_mark"}
    return [c.value for c in values], [notes.get(c.cell_ref) for c in values]


@pytest.mark.parametrize("header_language", ["FR", "EN"])
def test_a_number_typed_as_text_is_read_as_the_covers_language_writes_it(header_language, tmp_path):
    values, _ = _outcome_values("FR", header_language, ["1.500", "2,5", "2.5"], tmp_path)
    assert values == ["1500", "2.5", "2.5"]  # whatever the language of the headers


def test_a_number_the_headers_language_would_read_otherwise_is_told_how_it_was_read(tmp_path):
    _, notes = _outcome_values("FR", "EN", ["1.500", "2,5", "2.5", "1 500"], tmp_path)
    assert [note and (note.severity, note.action) for note in notes] == [
        ("warning", "report"),
        ("warning", "report"),
        None,  # `2.5` reads 2.5 either way, as `1 500` reads 1500
        None,
    ]
    assert notes[0].message == (
        "'1.500' was read as 1500, as numbers are written in FR: the Cover's language (FR) and that of "
        "the column headers (EN) write decimals differently. Enter it as a number, not as text, so "
        "that it cannot be misread."
    )
    _, alike = _outcome_values("FR", "ES", ["1.500", "2,5"], tmp_path)
    assert alike == [None, None]  # French and Spanish write decimals alike


def test_a_number_only_the_headers_language_can_read_is_read_so_and_told(tmp_path):
    values, notes = _outcome_values("EN", "FR", ["2,5"], tmp_path)
    assert values == ["2.5"]
    assert notes[0].message.startswith("'2,5' was read as 2.5, as numbers are written in FR: ")


def test_activities_alike_in_all_that_derives_an_id_get_ids_of_their_own(tmp_path):
    # Two blank-ID rows with the same area, type, title and start date (a training given twice
    # the same day) once shared one derived ID, and the uniqueness rule set both aside naming an ID
    # the focal point never wrote.
    content = sample_return("KAZ")
    twice = content.activities[0]
    twice.activity_id = None
    content.activities.insert(1, dataclasses.replace(twice, participants_total=40, participants_women=20))
    first = activity_ids(parse_return(write_return(content, tmp_path / "a.xlsx"), "s1", "a.xlsx"))
    derived = [i for i in first if i.startswith("AUTO-")]
    assert len(derived) == 2 and len(set(first)) == len(first)
    again = activity_ids(parse_return(write_return(content, tmp_path / "b.xlsx"), "s2", "b.xlsx"))
    assert again == first  # the same content sent again: the same IDs


def test_a_derived_id_never_takes_an_id_the_state_wrote(tmp_path):
    content = sample_return("KAZ")
    content.activities[0].activity_id = None
    alone = activity_ids(parse_return(write_return(content, tmp_path / "a.xlsx"), "s1", "a.xlsx"))
    derived = next(i for i in alone if i.startswith("AUTO-"))
    content.activities[2].activity_id = derived  # e.g. copied from last year's feedback
    ids = activity_ids(parse_return(write_return(content, tmp_path / "b.xlsx"), "s2", "b.xlsx"))
    assert ids.count(derived) == 1 and len(set(ids)) == len(ids)
