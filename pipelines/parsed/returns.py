"""Parse one received file into cells, or reject it with a reason a person understands."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pipelines.findings import Action, Finding, Severity
from pipelines.parsed.cells import Cell, cells_of_table, cells_table
from pipelines.parsed.sheets import SheetRead, guess_kind, read_cover, read_prisons, read_table, sheet_kind
from pipelines.parsed.workbook import DEFAULT_LIMITS, UNREADABLE, Limits, NotAReturn, open_workbook
from pipelines.reference import form as vocabulary

PARSED = "PARSED"
REJECTED = "REJECTED"
# The rule of a workbook without a Cover sheet: read, but not a return.
NO_COVER = "no_cover"

_FILE_NAME = re.compile(r"^([A-Za-z]{3})[_\- ](\d{4})")


@dataclass
class ParsedReturn:
    submission_id: str
    status: str
    cells: list[Cell] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    sheets: dict[str, str] = field(default_factory=dict)  # kind -> sheet name as found
    language: str | None = None  # the Cover's language, else its labels'

    def cover_value(self, field_name: str) -> str | None:
        return next((c.value for c in self.cells if c.sheet_kind == "cover" and c.field == field_name), None)

    # Returns cross from the parse workers to the writing process by pickle. A NamedTuple is pickled
    # and rebuilt through Python code, cell by cell; plain tuples go through pickle's C code and are
    # made Cells again by C calls alone: a third of the cost, on both sides. (The workers send their
    # batches cheaper still, as one Arrow table: `shipped` and `parallel`.)
    def __getstate__(self) -> dict:
        state = {key: value for key, value in self.__dict__.items() if key != _SHIPPED_CELLS}
        return state | {"cells": list(map(tuple, self.cells))}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, cells=list(map(_as_cell, state["cells"])))

    @classmethod
    def shipped(cls, state: dict, cells: pa.Table) -> ParsedReturn:
        """A return rebuilt from a worker's batch: `state` without its cells, `cells` its rows of the
        batch's cell table. The Cells are made only if something asks for them; the warehouse takes
        the table as it came (`cell_table`)."""
        result = cls.__new__(cls)
        result.__dict__.update(state)
        result.__dict__[_SHIPPED_CELLS] = cells
        return result

    def __getattr__(self, name: str):
        # Called only for attributes not set: `cells` of a shipped return, made on first use.
        shipped = self.__dict__.get(_SHIPPED_CELLS)
        if name != "cells" or shipped is None:
            raise AttributeError(name)
        self.cells = cells_of_table(shipped)
        return self.cells

    def cell_table(self) -> pa.Table:
        """The cells with the submission id, as `cells_table` lays them out for the warehouse."""
        shipped = self.__dict__.get(_SHIPPED_CELLS)
        if shipped is not None and "cells" not in self.__dict__:  # untouched since it arrived
            return shipped
        return cells_table([self.submission_id] * len(self.cells), self.cells)


_SHIPPED_CELLS = "_shipped_cells"
_as_cell = functools.partial(tuple.__new__, Cell)  # what Cell._make does, without a Python frame


def parse_return(
    path: Path, submission_id: str, file_name: str, limits: Limits = DEFAULT_LIMITS
) -> ParsedReturn:
    """Never raises for a bad file: every outcome is a ParsedReturn with a status and findings."""
    result = ParsedReturn(submission_id, PARSED)

    def note(
        severity: Severity,
        action: Action,
        rule: str,
        message: str,
        sheet: str | None = None,
        ref: str | None = None,
    ) -> None:
        result.findings.append(
            Finding(submission_id, "parsed", severity, action, rule, message, sheet, _row_of(ref), ref)
        )

    try:
        workbook = open_workbook(path, file_name, limits)
        sheets, unknown = _classify(workbook)
        result.sheets = sheets
        for name in unknown:
            note(
                Severity.WARNING,
                Action.REPORT,
                "unknown_sheet",
                f"Sheet '{name}' is not part of the form; it was kept aside and not read.",
                name,
            )
        if "cover" not in sheets:
            raise NotAReturn(
                NO_COVER,
                "The workbook has no Cover sheet, so it cannot be attributed to a member "
                "state and year. Please use the return form.",
            )
        cover = read_cover(sheets["cover"], workbook.grid(sheets["cover"]))
        _collect(result, cover, sheets["cover"], note)
        result.language = (
            result.cover_value("language")
            if result.cover_value("language") in vocabulary.languages()
            else cover.language
        )
        year_text = result.cover_value("reporting_year")
        reporting_year = int(year_text) if year_text and year_text.isdigit() else None
        for kind in ("activities", "prisons", "outcomes"):
            if kind not in sheets:
                note(
                    Severity.WARNING,
                    Action.REPORT,
                    "missing_sheet",
                    f"The return has no {vocabulary.sheet_names(kind)['EN']} sheet: a partial return. "
                    "What it has is accepted.",
                )
                continue
            grid = workbook.grid(sheets[kind])
            if kind == "prisons":
                read = read_prisons(sheets[kind], grid, reporting_year)
            else:
                read = read_table(kind, sheets[kind], grid, result.language)
            _collect(result, read, sheets[kind], note)
        _check_file_name(result, file_name, note)
    except NotAReturn as exc:
        result.status = REJECTED
        result.cells = []
        note(Severity.ERROR, Action.REJECT, exc.rule, exc.message)
    except (KeyboardInterrupt, SystemExit):
        raise
    # A reader bug must not stop the run: the file is rejected and reported. BaseException, because
    # a panic inside calamine reaches Python as pyo3's PanicException, which is not an Exception.
    except BaseException as exc:
        result.status = REJECTED
        result.cells = []
        note(
            Severity.ERROR,
            Action.REJECT,
            UNREADABLE,
            f"The workbook could not be read ({type(exc).__name__}: {exc}).",
        )
    return result


def _classify(workbook) -> tuple[dict[str, str], list[str]]:
    """kind -> sheet name, by name first, then by content for sheets with other names."""
    sheets: dict[str, str] = {}
    unclaimed = []
    for name in workbook.sheet_names:
        kind = sheet_kind(name)
        if kind is None:
            unclaimed.append(name)
        elif not kind.startswith("ignored:") and kind not in sheets:
            sheets[kind] = name
    unknown = []
    for name in unclaimed:
        kind = guess_kind(workbook.grid(name)) if name not in workbook.hidden else None
        if kind and kind not in sheets:
            sheets[kind] = name
        else:
            unknown.append(name)
    return sheets, unknown


def _collect(result: ParsedReturn, read: SheetRead, sheet: str, note) -> None:
    result.cells.extend(read.cells)
    for rule, message, ref in read.notes:
        note(Severity.WARNING, Action.REPORT, rule, message, sheet, ref)
    for rule, message, ref in read.set_aside:
        note(Severity.ERROR, Action.QUARANTINE_CELL, rule, message, sheet, ref)


def _check_file_name(result: ParsedReturn, file_name: str, note) -> None:
    """A file name that disagrees with the Cover is a warning: the Cover wins."""
    match = _FILE_NAME.match(file_name)
    iso3, year = result.cover_value("member_state"), result.cover_value("reporting_year")
    if not match or not iso3 or not year:
        return
    named_iso3, named_year = match.group(1).upper(), match.group(2)
    if (named_iso3, named_year) != (iso3, year):
        note(
            Severity.WARNING,
            Action.REPORT,
            "file_name_mismatch",
            f"The file name says {named_iso3} {named_year} but the Cover says {iso3} {year}; "
            "the Cover is used.",
        )


def _row_of(ref: str | None) -> int | None:
    if not ref:
        return None
    digits = "".join(ch for ch in ref if ch.isdigit())
    return int(digits) if digits else None
