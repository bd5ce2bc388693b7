"""Reading a blank form the way a person filling it in meets it: its validations, its lists, its locks."""

from __future__ import annotations

import os
import shutil

import pytest
from openpyxl.cell.cell import Cell
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.reference import form


def sheet(workbook: Workbook, kind: str, language: str) -> Worksheet:
    """One of the four sheets of the spec, or `instructions` / `lists`, by its name in `language`."""
    names = form.sheet_names(kind) if kind in form.SHEET_KINDS else form.ignored_sheet_names()[kind]
    return workbook[names[language]]


def rules_at(ws: Worksheet, coordinate: str) -> list[DataValidation]:
    """The data validations that cover a cell."""
    return [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]


def rule_at(ws: Worksheet, coordinate: str) -> DataValidation:
    found = rules_at(ws, coordinate)
    assert len(found) == 1, f"{ws.title}!{coordinate}: {len(found)} validations"
    return found[0]


def list_source(workbook: Workbook, validation: DataValidation) -> tuple[str, str]:
    """(sheet title, range) a list validation draws its entries from: a defined name or a range."""
    source = validation.formula1
    if source in workbook.defined_names:
        ((title, ref),) = workbook.defined_names[source].destinations
        return title, ref
    title, ref = source.rsplit("!", 1)
    return title.strip("'").replace("''", "'"), ref


def offered(workbook: Workbook, validation: DataValidation) -> list[str]:
    """What a list validation's dropdown offers, as Excel shows it (blank entries left out)."""
    assert validation.type == "list", validation
    title, ref = list_source(workbook, validation)
    cells = workbook[title][ref.replace("$", "")]
    return [row[0].value for row in cells if row[0].value not in (None, "")]


def is_input(ws: Worksheet, cell: Cell) -> bool:
    """Whether a person can type in the cell of a protected sheet: its own style decides, else its
    column's style (as Excel and LibreOffice apply it to a cell typed into an empty column)."""
    if cell.has_style:
        return not cell.protection.locked
    for dimension in ws.column_dimensions.values():
        if dimension.min and dimension.min <= cell.column <= dimension.max:
            return not dimension.protection.locked
    return False


def header_columns(ws: Worksheet, kind: str, language: str) -> dict[str, int]:
    """Field -> column number, found by the headers of row 1 (as the parser finds them)."""
    by_header = {spec[language]: name for name, spec in form.fields(kind).items()}
    return {by_header[cell.value]: cell.column for cell in ws[1] if cell.value is not None}


def require_program(name: str) -> str:
    """The program's path; a missing program skips the test, or fails it in CI (`CI` set)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (Debian package: see .ci/run)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
