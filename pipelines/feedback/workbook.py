"""feedback.xlsx: the workbook as it was sent, every problem cell coloured and commented, plus `Issues`.

Two writers make it from the archived bytes, with the same texts, colours and sizes (`marks`):

- `xlsx_edit.package.edit_package`, first: edits the .xlsx package at the XML level, copying every part
  it need not change byte for byte, so values, formulas, formats, charts and images stay as sent.
  It declines (`Unsupported`) whatever it does not handle; its docstring lists those cases.
- `copy_with_openpyxl` (`openpyxl_copy.py`), when it declines: a copy made with openpyxl, which keeps
  values, formulas and formats but drops what openpyxl does not model (charts, images).

Only files that the parser's own safety checks let through are opened (`gate`): a zip bomb, a DTD,
a legacy .xls or an encrypted file is never handed to either writer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from enum import Enum
from pathlib import Path

from pipelines.feedback.marks import FILLS, ISSUE_COLUMNS, ISSUES_SHEET, Marked
from pipelines.feedback.xlsx_edit.package import Unsupported, edit_package

__all__ = [
    "FILLS",
    "ISSUES_SHEET",
    "ISSUE_COLUMNS",
    "CopyFailed",
    "Marked",
    "Route",
    "copy_with_openpyxl",
    "write_feedback_workbook",
]

log = logging.getLogger(__name__)


class CopyFailed(Exception):
    """No copy could be made (openpyxl could not open or save the workbook); the message says why."""


class Route(Enum):
    """Which writer made a feedback.xlsx."""

    PACKAGE = "package"
    OPENPYXL = "openpyxl"


def write_feedback_workbook(original: Path, target: Path, marked: Sequence[Marked], language: str) -> Route:
    """Write `original` with every finding marked at its cell, and an Issues sheet, as `target`."""
    data = original.read_bytes()
    try:
        target.write_bytes(edit_package(data, marked, language))
        return Route.PACKAGE
    except Unsupported as exc:
        log.info("feedback.xlsx for %s through openpyxl: %s", original.name, exc)
    except Exception as exc:  # a package the editor misread: openpyxl still gets its chance
        log.warning(
            "feedback.xlsx for %s: package editor failed (%s: %s)", original.name, type(exc).__name__, exc
        )
    copy_with_openpyxl(data, target, marked, language)
    return Route.OPENPYXL


def copy_with_openpyxl(data: bytes, target: Path, marked: Sequence[Marked], language: str) -> None:
    """The openpyxl writer: load, mark, add Issues, save; raises CopyFailed when it cannot."""
    from pipelines.feedback.openpyxl_copy import copy_with_openpyxl as copy  # openpyxl: only if needed

    copy(data, target, marked, language)
