"""Blank return forms: the workbook a member State fills in, for one reporting year and one language.

Everything a form shows comes from the reference data the parser and the validation read:
sheet names, Cover labels, column headers and indicators from `pipelines/reference/form.json`,
dropdown labels from `codelists.json`, member State names from `countries.py`. So whatever the
form offers, the pipeline accepts (tests/forms/test_template.py fills the four forms through their
dropdowns and runs them through the pipeline).

Layout (shared/spec/return-form.md, form 2022.1):

- `Instructions` (first, in the form's language), then the four sheets of the spec, then a hidden
  `Lists` sheet feeding the dropdowns (`template_lists.py`); the parser ignores both by name.
- Cover: labels in column A, values in column B. The reporting year, the template version and the
  language are prefilled and locked (the Prisons years and the sheets' language depend on them);
  so is the member State in a per-State form.
- Activities, Outcomes: the header row in row 1, frozen; every column below it unlocked, with the
  column's data validation (`template_rules.py`) down to the sheet's last row.
- Prisons: `Indicator`, the four years before the reporting year and the reporting year, `Notes`;
  one locked row per indicator, written `CODE - label` (form.json carries the indicators' labels in
  English only, so every language shows the English label after the code).

Headers and labels are locked and every sheet is protected without a password, so a focal point
can type in the input cells but not shift the layout by accident. The same year, language and
member State always give the same bytes (fixed document dates, zip entries dated 1980-01-01).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.forms.instructions import Line, instruction_lines
from pipelines.forms.return_writer import openpyxl_bytes
from pipelines.forms.template_lists import MEMBER_STATE_LIST, add_lists_sheet
from pipelines.forms.template_rules import Rules
from pipelines.reference import codelists, countries, form

DATE_FORMAT = "yyyy-mm-dd"
HEADER_ROW = 1
FIRST_INPUT_ROW = 2
LAST_ROW = 1_048_576  # Excel's last row: the input columns and their rules reach the sheet's end
RELATED_ID_ROWS = 1000  # how many Activities rows the Outcomes' related-activity dropdown offers

_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_LOCKED = Protection(locked=True)
_UNLOCKED = Protection(locked=False)
_HEADER_FILL = PatternFill("solid", start_color="D9E1F2")
_SHADED_FILL = PatternFill("solid", start_color="F2F2F2")

# Column widths (characters): free text wide, codes as wide as their longest label, within bounds.
_TEXT_WIDTH = {"title": 40, "description": 40, "notes": 30, "evidence": 30, "partners": 25}
_MIN_WIDTH, _MAX_WIDTH = 12, 45


def template_file_name(year: int, language: str, member_state: str | None = None) -> str:
    """`return-form-2023-FR.xlsx`; a per-State form is named as its return should be: `KAZ_2023_FR.xlsx`."""
    if member_state:
        return f"{member_state}_{year}_{language}.xlsx"
    return f"return-form-{year}-{language}.xlsx"


def write_template(year: int, language: str, out_dir: Path, member_state: str | None = None) -> Path:
    """Write the form for `year` in `language` (the Cover prefilled with `member_state`, an ISO3
    code, if given) into `out_dir` and return its path."""
    path = Path(out_dir) / template_file_name(year, language, member_state)
    path.write_bytes(render_template(year, language, member_state))
    return path


def render_template(year: int, language: str, member_state: str | None = None) -> bytes:
    """The bytes `write_template` writes."""
    if language not in form.languages():
        raise ValueError(f"unknown language {language!r}; known: {form.languages()}")
    if member_state is not None and member_state not in countries.member_states():
        raise ValueError(f"{member_state!r} is not the ISO3 code of a UN member State")
    workbook = build_template(year, language, member_state)
    return openpyxl_bytes(workbook, stamp=dt.datetime(year + 1, 1, 1))  # forms go out after the year


def build_template(year: int, language: str, member_state: str | None = None) -> Workbook:
    """The form as an openpyxl workbook (not yet saved)."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    rules = Rules(language, year)
    lines = instruction_lines(language, year)
    workbook.properties.title = lines[0].text
    _instructions(workbook.create_sheet(form.ignored_sheet_names()["instructions"][language]), lines)
    _cover(workbook.create_sheet(form.sheet_names("cover")[language]), language, year, rules, member_state)
    _table(workbook.create_sheet(form.sheet_names("activities")[language]), "activities", language, rules)
    _prisons(workbook.create_sheet(form.sheet_names("prisons")[language]), language, year, rules)
    _table(workbook.create_sheet(form.sheet_names("outcomes")[language]), "outcomes", language, rules)
    add_lists_sheet(workbook, language)
    workbook.active = 0
    return workbook


# ---- sheets -----------------------------------------------------------------------------------


def _instructions(sheet: Worksheet, lines: list[Line]) -> None:
    fonts = {"title": Font(bold=True, size=14), "heading": Font(bold=True, size=12)}
    for row, line in enumerate(lines, start=1):
        cell = sheet.cell(row=row, column=1, value=line.text)
        cell.data_type = "s"
        cell.font = fonts.get(line.style, Font())
        cell.alignment = Alignment(wrap_text=True, vertical="top", indent=2 if line.style == "mark" else 0)
    sheet.column_dimensions["A"].width = 110
    _protect(sheet)
    _print_to_page_width(sheet, landscape=False)


def _cover(sheet: Worksheet, language: str, year: int, rules: Rules, member_state: str | None) -> None:
    prefilled: dict[str, object] = {
        "reporting_year": year,
        "template_version": form.form()["template_version"],
        "language": language,
    }
    if member_state:
        prefilled["member_state"] = countries.country_name(member_state, language)
    for row, (name, spec) in enumerate(form.fields("cover").items(), start=1):
        title = spec[language]
        _header_cell(sheet, row, 1, title, fill=_HEADER_FILL)
        cell = sheet.cell(row=row, column=2)
        cell.border = _BORDER
        if name in prefilled:
            cell.value = prefilled[name]
            cell.fill = _SHADED_FILL
            cell.protection = _LOCKED
            cell.alignment = Alignment(horizontal="left")
            continue
        cell.protection = _UNLOCKED
        ref = cell.coordinate
        if name == "member_state":
            _add(sheet, rules.dropdown(title, MEMBER_STATE_LIST), ref)
        elif name == "submission_date":
            cell.number_format = DATE_FORMAT
            cell.alignment = Alignment(horizontal="left")
            _add(sheet, rules.submission_date(title), ref)
        elif name == "email":
            _add(sheet, rules.email(title, ref), ref)
    labels = [spec[language] for spec in form.fields("cover").values()]
    sheet.column_dimensions["A"].width = max(len(label) for label in labels) + 4
    sheet.column_dimensions["B"].width = 50
    _protect(sheet)
    _print_to_page_width(sheet, landscape=False)


def _table(sheet: Worksheet, kind: str, language: str, rules: Rules) -> None:
    """Header row 1, then input columns: each unlocked down to the last row, with its rule."""
    specs = form.fields(kind)
    letters = {name: get_column_letter(col) for col, name in enumerate(specs, start=1)}
    for col, (name, spec) in enumerate(specs.items(), start=1):
        title = spec[language]
        _header_cell(sheet, HEADER_ROW, col, title, fill=_HEADER_FILL)
        letter = letters[name]
        column = sheet.column_dimensions[letter]
        column.width = _width(name, spec, title, language)
        column.protection = _UNLOCKED  # a column style: typed cells inherit it, in Excel and LibreOffice
        if spec.get("type") == "date":
            column.number_format = DATE_FORMAT
        validation = _column_rule(kind, name, spec, title, letters, rules, language)
        if validation is not None:
            _add(sheet, validation, f"{letter}{FIRST_INPUT_ROW}:{letter}{LAST_ROW}")
    sheet.freeze_panes = f"A{FIRST_INPUT_ROW}"
    _protect(sheet)
    _print_to_page_width(sheet, landscape=True)
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


def _column_rule(
    kind: str, name: str, spec: dict, title: str, letters: dict[str, str], rules: Rules, language: str
) -> DataValidation | None:
    """The validation of one Activities/Outcomes column, from its spec in form.json."""
    first = f"{letters[name]}{FIRST_INPUT_ROW}"  # what a rule's relative references are relative to
    if "codelist" in spec:
        if spec.get("multiple"):
            return rules.dropdown_many(title, spec["codelist"])
        return rules.dropdown(title, spec["codelist"])
    if name == "activity_id" and kind == "activities":
        column = f"${letters[name]}${FIRST_INPUT_ROW}:${letters[name]}${LAST_ROW}"
        return rules.unique_in_column(title, column, first)
    if name == "activity_id" and kind == "outcomes":
        activities = form.sheet_names("activities")[language]
        letter = get_column_letter(list(form.fields("activities")).index("activity_id") + 1)
        ids = f"{quote_sheetname(activities)}!${letter}${FIRST_INPUT_ROW}:${letter}${RELATED_ID_ROWS + 1}"
        return rules.related_activity(title, ids)
    if name == "participants_women" and "participants_total" in letters:
        return rules.whole_not_above(title, f"{letters['participants_total']}{FIRST_INPUT_ROW}")
    if name == "start_date":
        return rules.start_date(title)
    if name == "end_date" and "start_date" in letters:
        return rules.end_date(title, f"{letters['start_date']}{FIRST_INPUT_ROW}")
    if spec.get("type") == "integer":
        return rules.whole(title)
    if spec.get("type") == "number":
        return rules.number(title)
    if name == "partners":
        return rules.note(title, "several")
    return None


def _prisons(sheet: Worksheet, language: str, year: int, rules: Rules) -> None:
    vocabulary = form.prisons_vocabulary()
    years = list(range(year - vocabulary["years_before_reporting_year"], year + 1))
    header = [vocabulary["indicator_header"][language], *years, vocabulary["notes_header"][language]]
    for col, value in enumerate(header, start=1):
        _header_cell(sheet, HEADER_ROW, col, value, fill=_HEADER_FILL)
    indicators = form.indicators()
    notes_col = len(header)
    for row, (code, spec) in enumerate(indicators.items(), start=FIRST_INPUT_ROW):
        _header_cell(sheet, row, 1, f"{code} - {spec['EN']}", fill=_SHADED_FILL, bold=False)
        for col in range(2, notes_col + 1):
            cell = sheet.cell(row=row, column=col)
            cell.protection = _UNLOCKED
            cell.border = _BORDER
            if col < notes_col:
                cell.alignment = Alignment(horizontal="right")
    last_row = FIRST_INPUT_ROW + len(indicators) - 1
    last_year = get_column_letter(notes_col - 1)
    first = f"B{FIRST_INPUT_ROW}"
    _add(sheet, rules.prison_cell(str(year), first), f"{first}:{last_year}{last_row}")
    sheet.column_dimensions["A"].width = 60
    for col in range(2, notes_col):
        sheet.column_dimensions[get_column_letter(col)].width = 12
    sheet.column_dimensions[get_column_letter(notes_col)].width = 40
    sheet.freeze_panes = f"B{FIRST_INPUT_ROW}"
    _protect(sheet)
    _print_to_page_width(sheet, landscape=True)


# ---- helpers ----------------------------------------------------------------------------------


def _header_cell(
    sheet: Worksheet, row: int, col: int, value: object, *, fill: PatternFill, bold: bool = True
):
    cell = sheet.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text
    cell.font = Font(bold=bold)
    cell.fill = fill
    cell.border = _BORDER
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    cell.protection = _LOCKED


def _width(name: str, spec: dict, title: str, language: str) -> float:
    """Wide enough for the header's longest word and for what the column usually holds."""
    wanted = max(len(word) for word in title.split()) + 2
    if "codelist" in spec:
        wanted = max(
            wanted, *(len(label) + 2 for label in codelists.dropdown_labels(spec["codelist"], language))
        )
    elif spec.get("type") == "date":
        wanted = max(wanted, 12)
    wanted = max(wanted, _TEXT_WIDTH.get(name, 0), len(title) // 2 + 2)
    return float(min(_MAX_WIDTH, max(_MIN_WIDTH, wanted)))


def _add(sheet: Worksheet, validation: DataValidation, ref: str) -> None:
    validation.add(ref)
    sheet.add_data_validation(validation)


def _protect(sheet: Worksheet) -> None:
    """Protect without a password: locked cells cannot be typed over; columns and rows may still be
    resized (an unlocked cell stays editable, a dropdown stays usable)."""
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False


def _print_to_page_width(sheet: Worksheet, *, landscape: bool) -> None:
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
