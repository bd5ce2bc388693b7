"""Find the form's four sheets in a workbook and read each into cells.

Sheets are found by their name in any of the four languages, else by what they contain;
tables by a header row anywhere in the first rows, columns by header in any language.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache, lru_cache, partial

from pipelines.parsed.cells import Cell
from pipelines.parsed.values import (
    STRIPPED,
    ExcelError,
    clean_text,
    parse_date,
    parse_prison_cell,
    parse_year,
    read_number,
)
from pipelines.parsed.workbook import cell_ref
from pipelines.reference import codelists, countries
from pipelines.reference import form as vocabulary
from pipelines.reference.codelists import match_key

HEADER_SEARCH_ROWS = 10
COVER_SEARCH_ROWS = 30

# A Prisons indicator row or year column given twice: the first is read, the repeat set aside.
DUPLICATE_INDICATOR = "duplicate_indicator"
DUPLICATE_YEAR = "duplicate_year"


@dataclass
class SheetRead:
    """What one sheet gave: its cells, the language of its headers, and what was set aside."""

    cells: list[Cell] = field(default_factory=list)
    language: str | None = None
    notes: list[tuple[str, str, str | None]] = field(default_factory=list)  # (rule, message, cell_ref)
    # (rule, message, cell_ref) of a row or column whose values were read but must not be used:
    # they are kept as quarantined values, never validated or published.
    set_aside: list[tuple[str, str, str | None]] = field(default_factory=list)


# --- vocabulary lookups, built once -------------------------------------------------------


@cache
def _sheet_kind_by_name() -> dict[str, str]:
    names = {}
    for kind in vocabulary.SHEET_KINDS:
        for name in vocabulary.sheet_names(kind).values():
            names[match_key(name)] = kind
    for kind, translations in vocabulary.ignored_sheet_names().items():
        for name in translations.values():
            names[match_key(name)] = f"ignored:{kind}"
    return names


@cache
def _headers(kind: str) -> dict[str, tuple[str, str]]:
    """match_key(header) -> (field, language) for cover labels or table headers of `kind`."""
    headers = {}
    for name, spec in vocabulary.fields(kind).items():
        for language in vocabulary.languages():
            headers.setdefault(match_key(spec[language]), (name, language))
    return headers


@cache
def _prison_header_words() -> dict[str, str]:
    prisons = vocabulary.prisons_vocabulary()
    return {match_key(text): language for language, text in prisons["indicator_header"].items()}


@cache
def _prison_notes_headers() -> frozenset[str]:
    return frozenset(match_key(text) for text in vocabulary.prisons_vocabulary()["notes_header"].values())


def sheet_kind(name: str) -> str | None:
    return _sheet_kind_by_name().get(match_key(name))


# Header candidates repeat across returns (the form's own labels), so their keys are computed once.
_text_key = lru_cache(maxsize=4096)(match_key)


@lru_cache(maxsize=256)
def _column_letters(col: int) -> str:
    return cell_ref(0, col)[:-1]  # "B1" -> "B"


def _clean(value: object) -> str:
    """clean_text, without a call for text cells (most of them): the sheets' innermost loops."""
    return value.strip(STRIPPED) if value.__class__ is str else clean_text(value)


# A Cell from a tuple of its fields, in C: `Cell(...)` goes through the NamedTuple's Python __new__.
_new_cell = partial(tuple.__new__, Cell)


def _ref(row_index: int, col: int) -> str:
    """`cell_ref`, with the column letters computed once per column rather than once per cell."""
    return f"{_column_letters(col)}{row_index + 1}"


# --- recognising a sheet by its content ----------------------------------------------------


def _is_blank(value: object) -> bool:
    if value.__class__ is str:  # most cells, empty ones included (python-calamine gives '')
        return not value.strip(STRIPPED)
    return not isinstance(value, ExcelError) and clean_text(value) == ""


def _row_is_blank(row: list[object]) -> bool:
    return all(_is_blank(value) for value in row)


def guess_kind(grid: list[list[object]]) -> str | None:
    """The kind of a sheet whose name is not the form's, from its content (a renamed sheet)."""
    if _find_prisons_header(grid) is not None:
        return "prisons"
    cover_labels = {
        _headers("cover").get(match_key(clean_text(row[0]))) for row in grid[:COVER_SEARCH_ROWS] if row
    }
    if len(cover_labels - {None}) >= 3:
        return "cover"
    scores = {kind: _find_header_row(grid, kind)[1] for kind in vocabulary.TABLE_KINDS}
    best = max(scores, key=lambda kind: scores[kind])
    return best if scores[best] >= 3 else None


# --- Cover ----------------------------------------------------------------------------------


_LANGUAGE_NAMES = {
    "en": "EN",
    "english": "EN",
    "anglais": "EN",
    "inglés": "EN",
    "ingles": "EN",
    "английский": "EN",
    "fr": "FR",
    "french": "FR",
    "français": "FR",
    "francais": "FR",
    "francés": "FR",
    "frances": "FR",
    "французский": "FR",
    "es": "ES",
    "spanish": "ES",
    "espagnol": "ES",
    "español": "ES",
    "espanol": "ES",
    "испанский": "ES",
    "ru": "RU",
    "russian": "RU",
    "russe": "RU",
    "ruso": "RU",
    "русский": "RU",
}


def _cover_value(field_name: str, value: object) -> str | None:
    if field_name == "member_state":
        text = clean_text(value)
        return countries.resolve_member_state(text) or text
    if field_name == "reporting_year":
        year = parse_year(value)
        return str(year) if year is not None else clean_text(value)
    if field_name == "submission_date":
        return parse_date(value) or clean_text(value)
    if field_name == "language":
        return _LANGUAGE_NAMES.get(match_key(clean_text(value)), clean_text(value))
    return clean_text(value)


def read_cover(sheet_name: str, grid: list[list[object]]) -> SheetRead:
    """Labels in column A, values in column B, in any order, within the first 30 rows."""
    read = SheetRead()
    languages: Counter[str] = Counter()
    seen: set[str] = set()
    for row_index, row in enumerate(grid[:COVER_SEARCH_ROWS]):
        if not row:
            continue
        label = clean_text(row[0])
        match = _headers("cover").get(match_key(label))
        if match is None:
            continue
        field_name, language = match
        languages[language] += 1
        if field_name in seen:
            read.notes.append(
                (
                    "duplicate_label",
                    f"The Cover label '{label}' appears twice; the first is used.",
                    cell_ref(row_index, 0),
                )
            )
            continue
        seen.add(field_name)
        value = row[1] if len(row) > 1 else ""
        if _is_blank(value):
            continue
        read.cells.append(
            _cell(
                "cover",
                sheet_name,
                row_index,
                1,
                label,
                field_name,
                None,
                value,
                _cover_value(field_name, value) if not isinstance(value, ExcelError) else None,
            )
        )
    read.language = languages.most_common(1)[0][0] if languages else None
    return read


# --- where a table ends ---------------------------------------------------------------------


def _note_rows_below_the_end(read: SheetRead, kind: str, grid: list[list[object]], blank_index: int) -> None:
    """The spec ends a table at its first blank row, so what is filled further down is not read;
    the focal point is told, or rows left below a stray blank row would vanish unsaid."""
    below = [index for index in range(blank_index + 1, len(grid)) if not _row_is_blank(grid[index])]
    if not below:
        return
    first = below[0]
    col = next(col for col, value in enumerate(grid[first]) if not _is_blank(value))
    read.notes.append(
        (
            "rows_after_blank_row",
            f"Row {blank_index + 1} is empty, so the {kind} table ends there: the non-empty rows "
            f"below it ({len(below)}, from row {first + 1} on) were not read. "
            "If they belong to the table, delete the empty row.",
            cell_ref(first, col),
        )
    )


# --- Activities and Outcomes ---------------------------------------------------------------


def _find_header_row(grid: list[list[object]], kind: str) -> tuple[int | None, int]:
    """(row index, matched header count) of the row with the most known headers of `kind`."""
    best_row, best_score = None, 0
    headers = _headers(kind)
    for row_index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        score = sum(1 for value in row if _text_key(_clean(value)) in headers)
        if score > best_score:
            best_row, best_score = row_index, score
    return best_row, best_score


def _table_value(spec: dict, value: object, text: str) -> str:
    """`text` is clean_text(value), computed once by the caller. Numbers are read_table's own."""
    if isinstance(value, ExcelError):
        return text
    if "codelist" in spec:
        if spec.get("multiple"):
            codes, unknown = codelists.normalise_codes(spec["codelist"], text)
            return text if unknown else ";".join(codes)
        return codelists.normalise_code(spec["codelist"], text) or text
    kind = spec.get("type")
    if kind == "date":
        return parse_date(value) or text
    return text


def _list_text(text: str) -> str:
    """`a ;b;; c` -> `a;b;c`: the published `;`-separated form of a free-text list."""
    return ";".join(part.strip() for part in text.split(";") if part.strip())


def read_table(
    kind: str, sheet_name: str, grid: list[list[object]], declared_language: str | None
) -> SheetRead:
    """A header row in the first 10 rows, then one item per row until the first fully empty row.

    `declared_language` is the return's (its Cover's): numbers typed as text are read as it
    writes them, and where the headers' language would read one otherwise, the cell is noted.
    """
    read = SheetRead()
    header_index, score = _find_header_row(grid, kind)
    if header_index is None or score < 2:
        read.notes.append(
            (
                "no_header_row",
                f"No header row of the {kind} table was found in the first "
                f"{HEADER_SEARCH_ROWS} rows of sheet '{sheet_name}'; the sheet was not read.",
                None,
            )
        )
        return read
    columns: dict[int, str | None] = {}
    languages: Counter[str] = Counter()
    headers = grid[header_index]
    for col, header in enumerate(headers):
        text = clean_text(header)
        if not text:
            continue
        match = _headers(kind).get(match_key(text))
        if match is None or match[0] in columns.values():
            columns[col] = None
            read.notes.append(
                (
                    "unknown_column",
                    f"Column '{text}' is not part of the form; its values are kept aside and not published.",
                    cell_ref(header_index, col),
                )
            )
            continue
        columns[col] = match[0]
        languages[match[1]] += 1
        # The header cell itself, so a finding about an empty cell can still name its column.
        read.cells.append(
            _cell(f"{kind}_header", sheet_name, header_index, col, text, match[0], None, header, text)
        )
    read.language = languages.most_common(1)[0][0] if languages else declared_language
    declared = declared_language or read.language or "EN"
    headers_language = read.language or declared
    specs = vocabulary.fields(kind)
    for missing in sorted(set(specs) - set(columns.values()) - {"activity_id"}):
        read.notes.append(
            ("missing_column", f"The {kind} table has no '{specs[missing]['EN']}' column.", None)
        )
    header_texts = {col: clean_text(headers[col]) for col in columns}
    rows: list[tuple[int, list[Cell]]] = []
    for row_index in range(header_index + 1, len(grid)):
        row = grid[row_index]
        if _row_is_blank(row):
            _note_rows_below_the_end(read, kind, grid, row_index)
            break
        row_cells = []
        for col, field_name in columns.items():
            value = row[col] if col < len(row) else ""
            text = value.strip(STRIPPED) if value.__class__ is str else clean_text(value)
            if not text and not isinstance(value, ExcelError):  # _is_blank, from the text at hand
                continue
            if field_name is None:
                row_cells.append(
                    _cell(kind, sheet_name, row_index, col, header_texts[col], None, None, value, text, text)
                )
                continue
            spec = specs[field_name]
            if spec.get("type") in ("integer", "number") and not isinstance(value, ExcelError):
                reading = read_number(value, declared, headers_language, whole=spec["type"] == "integer")
                normalised = reading.number or text
                if reading.ambiguous:
                    read.notes.append(
                        (
                            "ambiguous_decimal_mark",
                            f"'{text}' was read as {reading.number}, as numbers are written in "
                            f"{reading.language}: the Cover's language ({declared}) and that of the "
                            f"column headers ({headers_language}) write decimals differently. Enter it "
                            "as a number, not as text, so that it cannot be misread.",
                            _ref(row_index, col),
                        )
                    )
            else:
                normalised = _table_value(spec, value, text)
            if field_name == "partners":
                normalised = _list_text(normalised)
            row_cells.append(
                _cell(
                    kind,
                    sheet_name,
                    row_index,
                    col,
                    header_texts[col],
                    field_name,
                    None,
                    value,
                    normalised,
                    text,
                )
            )
        rows.append((row_index, row_cells))
    if kind == "activities":
        id_col = next((col for col, name in columns.items() if name == "activity_id"), None)
        _derive_activity_ids(sheet_name, id_col, rows)
    for _, row_cells in rows:
        read.cells.extend(row_cells)
    return read


def _derive_activity_ids(sheet_name: str, id_col: int | None, rows: list[tuple[int, list[Cell]]]) -> None:
    """Give each row without an Activity ID one of its own: `AUTO-` + a hash of what identifies the
    activity, so it stays the same when rows are reordered or the return is resubmitted. Rows alike
    in all of that get `-2`, `-3`... in sheet order, and an ID the state wrote is never taken: the
    uniqueness rule must only ever name IDs the focal point wrote."""
    taken = {c.value for _, row_cells in rows for c in row_cells if c.field == "activity_id"}
    for row_index, row_cells in rows:
        if any(c.field == "activity_id" for c in row_cells):
            continue
        base = _activity_hash(row_cells)
        derived, occurrence = base, 1
        while derived in taken:
            occurrence += 1
            derived = f"{base}-{occurrence}"
        taken.add(derived)
        row_cells.append(_derived_activity_id(sheet_name, row_index, id_col, derived))


def _activity_hash(row_cells: list[Cell]) -> str:
    identity = {c.field: c.value or "" for c in row_cells if c.field}
    key = "|".join(
        identity.get(name, "") for name in ("thematic_area", "activity_type", "title", "start_date")
    )
    return "AUTO-" + hashlib.sha256(key.encode()).hexdigest()[:8].upper()


def _derived_activity_id(sheet_name: str, row_index: int, id_col: int | None, derived: str) -> Cell:
    ref = cell_ref(row_index, id_col) if id_col is not None else None
    return Cell(
        "activities",
        sheet_name,
        row_index + 1,
        (id_col or 0) + 1,
        ref,
        None,
        "activity_id",
        None,
        "",
        derived,
        None,
        False,
    )


# --- Prisons ---------------------------------------------------------------------------------


def _find_prisons_header(grid: list[list[object]]) -> tuple[int, int, str] | None:
    """(row, column, language) of the `Indicator` header cell: the first non-empty cell of its row."""
    for row_index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        for col, value in enumerate(row):
            if _is_blank(value):
                continue
            language = _prison_header_words().get(match_key(clean_text(value)))
            if language:
                return row_index, col, language
            break
    return None


_INDICATOR_CODE = re.compile(r"^\s*([A-Za-z_ ]+?)\s*(?:[-\u2013\u2014:]\s+.*)?$")


def _indicator_code(text: str) -> str | None:
    head = text.split(" - ")[0] if " - " in text else text
    match = _INDICATOR_CODE.match(head)
    if not match:
        return None
    code = "_".join(match.group(1).upper().split())
    return code if code in vocabulary.indicators() else None


def read_prisons(sheet_name: str, grid: list[list[object]], reporting_year: int | None) -> SheetRead:
    read = SheetRead()
    found = _find_prisons_header(grid)
    if found is None:
        read.notes.append(
            (
                "no_header_row",
                f"No 'Indicator' header was found in the first {HEADER_SEARCH_ROWS} "
                f"rows of sheet '{sheet_name}'; the sheet was not read.",
                None,
            )
        )
        return read
    header_index, first_col, read.language = found
    prisons = vocabulary.prisons_vocabulary()
    marks, qualifiers = prisons["marks"], prisons["qualifiers"]
    headers = grid[header_index]
    year_columns: dict[int, int] = {}
    notes_col = None
    for col in range(first_col + 1, len(headers)):
        value = headers[col]
        if _is_blank(value):
            continue
        if match_key(clean_text(value)) in _prison_notes_headers():
            notes_col = col
            continue
        year = parse_year(value)
        if year is None:
            read.notes.append(
                (
                    "unknown_column",
                    f"Column '{clean_text(value)}' of the Prisons sheet is neither "
                    "a year nor Notes; kept aside.",
                    cell_ref(header_index, col),
                )
            )
            continue
        if (
            reporting_year is not None
            and not reporting_year - prisons["years_before_reporting_year"] <= year <= reporting_year
        ):
            read.notes.append(
                (
                    "year_out_of_range",
                    f"Year column {year} is outside the reporting year and the "
                    f"{prisons['years_before_reporting_year']} years before it; kept aside.",
                    cell_ref(header_index, col),
                )
            )
            continue
        first = next((earlier for earlier, seen in year_columns.items() if seen == year), None)
        if first is not None:
            read.set_aside.append(
                (
                    DUPLICATE_YEAR,
                    f"Year {year} is given again in column {_column_letters(col)} (first in column "
                    f"{_column_letters(first)}): the first column is the one used, so the values of "
                    f"column {_column_letters(col)} are set aside and not published. "
                    "Keep one column per year, with the right figures in it.",
                    cell_ref(header_index, col),
                )
            )
        year_columns[col] = year  # a repeated year is read too: its values are kept, set aside
    first_rows: dict[str, int] = {}
    for row_index in range(header_index + 1, len(grid)):
        row = grid[row_index]
        if _row_is_blank(row):
            _note_rows_below_the_end(read, "prisons", grid, row_index)
            break
        label = clean_text(row[first_col]) if first_col < len(row) else ""
        code = _indicator_code(label)
        if code is None:
            read.notes.append(
                (
                    "unknown_indicator",
                    f"Row '{label}' is not an indicator of the form; kept aside.",
                    cell_ref(row_index, first_col),
                )
            )
            continue
        if code in first_rows:
            read.set_aside.append(
                (
                    DUPLICATE_INDICATOR,
                    f"Indicator {code} is given again in row {row_index + 1} (first in row "
                    f"{first_rows[code] + 1}): the first row is the one used, so the values of "
                    f"row {row_index + 1} are set aside and not published. "
                    "Keep one row per indicator, with the right figures in it.",
                    cell_ref(row_index, first_col),
                )
            )
        first_rows.setdefault(code, row_index)
        for col, year in year_columns.items():
            value = row[col] if col < len(row) else ""
            text = value.strip(STRIPPED) if value.__class__ is str else clean_text(value)
            if not text and not isinstance(value, ExcelError):  # _is_blank, from the text at hand
                continue
            number, status = parse_prison_cell(value, marks, qualifiers)
            read.cells.append(
                _new_cell(
                    (
                        "prisons",
                        sheet_name,
                        row_index + 1,
                        col + 1,
                        _ref(row_index, col),
                        label,
                        code,
                        year,
                        text,
                        number if status else text,
                        status,
                        isinstance(value, ExcelError),
                    )
                )
            )
        if notes_col is not None and notes_col < len(row) and not _is_blank(row[notes_col]):
            read.cells.append(
                _cell(
                    "prisons",
                    sheet_name,
                    row_index,
                    notes_col,
                    label,
                    f"{code}:notes",
                    None,
                    row[notes_col],
                    clean_text(row[notes_col]),
                )
            )
    return read


def _cell(
    kind: str,
    sheet_name: str,
    row_index: int,
    col: int,
    header: str | None,
    field_name: str | None,
    year: int | None,
    value: object,
    normalised: str | None,
    raw: str | None = None,
) -> Cell:
    """`raw` is clean_text(value) when the caller has it already."""
    if raw is None:
        raw = clean_text(value)
    is_error = isinstance(value, ExcelError)
    return _new_cell(
        (
            kind,
            sheet_name,
            row_index + 1,
            col + 1,
            _ref(row_index, col),
            header,
            field_name,
            year,
            raw,
            raw if is_error else normalised,
            None,
            is_error,
        )
    )
