"""The hidden `Lists` sheet of a blank form: what each dropdown offers, in the form's language.

One column per list, its name in row 1 and its entries below, each column reachable through a
workbook-level defined name (`list_THEMATIC_AREA`), which is what the data validations point at.
A defined name keeps the validation formula free of the sheet's translated name (`'Списки'!$A$2:...`)
and is the form that Excel, LibreOffice and older Excel versions all accept for a list source.

The entries are the code lists' dropdown labels (`codelists.dropdown_labels`, the same table the
parser reads labels back with) and the member States' UN short names (`countries.country_name`,
the same names the Cover resolver accepts), so a label offered here is a label the pipeline reads.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook

from pipelines.reference import codelists, countries, form

MEMBER_STATE_LIST = "MEMBER_STATE"
DEFINED_NAME_PREFIX = "list_"


def _sort_key(name: str) -> str:
    """Alphabetical order a reader expects: accents after their letter (`Égypte` among the E's)."""
    decomposed = unicodedata.normalize("NFD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@cache
def form_code_lists() -> tuple[str, ...]:
    """The code lists that some column of the form uses, in the order of codelists.json."""
    used = {
        spec["codelist"]
        for kind in form.TABLE_KINDS
        for spec in form.fields(kind).values()
        if "codelist" in spec
    }
    return tuple(name for name in codelists.LIST_NAMES if name in used)


def offered_values(language: str) -> dict[str, list[str]]:
    """List name -> what its dropdown offers in `language`: every code list the form uses, in code
    order, and the member States by their UN short name, alphabetically."""
    values = {name: codelists.dropdown_labels(name, language) for name in form_code_lists()}
    names = (countries.country_name(iso3, language) for iso3 in countries.member_states())
    values[MEMBER_STATE_LIST] = sorted(names, key=_sort_key)
    return values


def defined_name(list_name: str) -> str:
    """The workbook name of a list's entries (a prefix keeps it from ever looking like a cell, `UNIT1`)."""
    return f"{DEFINED_NAME_PREFIX}{list_name}"


def add_lists_sheet(workbook: Workbook, language: str) -> dict[str, str]:
    """Append the hidden, protected Lists sheet; return list name -> defined name of its entries."""
    sheet = workbook.create_sheet(form.ignored_sheet_names()["lists"][language])
    names: dict[str, str] = {}
    for col, (list_name, entries) in enumerate(offered_values(language).items(), start=1):
        letter = get_column_letter(col)
        sheet.cell(row=1, column=col, value=list_name)
        for row, entry in enumerate(entries, start=2):
            sheet.cell(row=row, column=col, value=entry).data_type = "s"  # text, whatever it looks like
        sheet.column_dimensions[letter].width = min(60, max(len(e) for e in [list_name, *entries]) + 2)
        ref = f"{quote_sheetname(sheet.title)}!${letter}$2:${letter}${len(entries) + 1}"
        names[list_name] = defined_name(list_name)
        workbook.defined_names[names[list_name]] = DefinedName(names[list_name], attr_text=ref)
    sheet.sheet_state = "hidden"
    sheet.protection.sheet = True  # no password: it only guards against an accidental edit
    return names
