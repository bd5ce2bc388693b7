"""The return form's vocabulary (form.json): sheet names, labels and headers in the four languages.

The parser, the blank forms and the feedback all read this one file, so a header added here
is recognised, offered and explained everywhere at once.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

FORM_FILE = Path(__file__).with_name("form.json")

SHEET_KINDS = ("cover", "activities", "prisons", "outcomes")
TABLE_KINDS = ("activities", "outcomes")


@cache
def form() -> dict:
    return json.loads(FORM_FILE.read_text(encoding="utf-8"))


def languages() -> tuple[str, ...]:
    return tuple(form()["languages"])


def sheet_names(kind: str) -> dict[str, str]:
    return form()["sheets"][kind]


def ignored_sheet_names() -> dict[str, dict[str, str]]:
    return form()["ignored_sheets"]


def fields(kind: str) -> dict[str, dict]:
    """Field -> {language: label or header, optional type/codelist/multiple} (cover, activities, outcomes)."""
    return form()[kind]


def indicators() -> dict[str, dict]:
    return form()["prisons"]["indicators"]


def derived_indicators() -> dict[str, dict]:
    return form()["prisons"]["derived"]


def prisons_vocabulary() -> dict:
    return form()["prisons"]
