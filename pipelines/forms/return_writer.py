"""Write one return workbook from `ReturnContent`: exactly per the form, or drifted as real returns drift.

The layout is the spec's (shared/spec/return-form.md, form 2022.1), with the vocabulary read from
`pipelines/reference/form.json`:

- Cover: labels in column A, values in column B; the submission date as a real Excel date.
- Activities, Outcomes: one header row, then one row per item; codes written as the code,
  standards and partners joined with "; ".
- Prisons: `Indicator`, the reporting year's four predecessors and the reporting year
  (oldest first), then `Notes`; one row per indicator of the form, written `CODE - English label`.

The same content, language, engine and drift always give the same bytes: document properties are
fixed (taken from the submission date) and every zip entry carries the timestamp 1980-01-01 00:00,
as Excel itself writes them.

A `Drift` imitates one line of the spec's "How real returns drift from the form" per option.
Planted row errors need no option: put them in the content (a `str` in a date field is written as
that text, an unknown code is written as it stands).
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path

import openpyxl
import xlsxwriter
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from pipelines.forms.content import ReturnContent
from pipelines.reference import codelists, countries, form
from pipelines.reproducible import ZIP_TIMESTAMP

ENGINES = ("openpyxl", "xlsxwriter")
CODES_AS = ("code", "label", "plain", "messy")
DATES_AS = ("excel", "text_iso", "text_dmy_slash", "text_dmy_dot", "serial")
DATE_FORMAT = "yyyy-mm-dd"
# Document properties when the Cover has no submission date; zip entries always get ZIP_TIMESTAMP.
DEFAULT_TIMESTAMP = dt.datetime(2022, 1, 1, 9, 0, 0)
AUTHOR = "normsdata"
EXTRA_COLUMN_HEADER = "Internal reference"
EXTRA_COLUMN_FIELD = "internal_reference"  # how an ErrorCell names that column, which is no form field
EXTRA_SHEET_NAME = "Comments"
# Thousands separators for numbers stored as text (spec: `1,162`, `1 162`, `1.162` in FR/ES/RU style).
# FR uses the narrow non-breaking space U+202F, as CLDR and Excel's French locale do.
THOUSANDS_SEPARATOR = {"EN": ",", "FR": "\u202f", "ES": ".", "RU": "."}
# Formulas whose cached value is the error (xlsxwriter); openpyxl stores the bare error cell.
ERROR_FORMULAS = {
    "#DIV/0!": "=1/0",
    "#REF!": "=#REF!",
    "#N/A": "=NA()",
    "#VALUE!": '="a"+1',
    "#NAME?": "=NOSUCHFUNCTION()",
    "#NUM!": "=SQRT(-1)",
    "#NULL!": "=A1 B1",
}
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_QUALIFIED = re.compile(r"^(\d+(?:\.\d+)?) (\([ep]\))$")
_PADDINGS = (" {}", "{} ", "\u00a0{}", "{}\u00a0", "  {} ", " {}\u00a0")


@dataclass(frozen=True)
class ErrorCell:
    """Where to put an Excel error value, and which one.

    sheet: cover | activities | prisons | outcomes. field: a Cover field, an Activities or
    Outcomes column (field name, e.g. `participants_total`, or EXTRA_COLUMN_FIELD for the extra
    column of `Drift.extra_column`) or, in Prisons, an indicator code.
    row: the item's index (Activities, Outcomes). year: the Prisons column (None: reporting year).
    """

    sheet: str
    field: str
    row: int = 0
    year: int | None = None
    error: str = "#DIV/0!"


@dataclass(frozen=True)
class Drift:
    """How a return drifts from the form. Every option is off by default; each quotes the spec line
    ("How real returns drift from the form") it imitates."""

    seed: int = 0  # for every random choice below (shuffles, odd case, paddings)
    # "Extra title or instruction rows above a header"; "Merged cells in titles": n rows above the
    # header of every sheet (the Cover's labels too), the first one a title merged across the table.
    # Keep it <= 9: the spec looks for the header in the first 10 rows.
    title_rows_above: int = 0
    # "Headers in another of the four languages than the Cover's Language says" (Activities,
    # Outcomes and the Prisons `Indicator`/`Notes` headers; sheet names and Cover labels stay).
    header_language: str | None = None
    # "extra spaces; different letter case" in headers, e.g. "  ACTIVITY id ".
    header_case_and_spaces: bool = False
    # "Columns are found by their header, in any order" (Activities, Outcomes) and Cover labels
    # "in any row order": a seeded shuffle of both.
    shuffle_columns: bool = False
    # Prisons year columns newest first ("the reporting year and up to four earlier years").
    prison_years_newest_first: bool = False
    # "Extra, unknown columns": an `Internal reference` column with content, third in Activities
    # and Outcomes.
    extra_column: bool = False
    # "Extra, unknown ... sheets": a `Comments` sheet with text.
    extra_sheet: bool = False
    # "a hidden lists sheet": a hidden `Lists` sheet (name in the form's language) holding the
    # dropdown labels of every code list.
    hidden_lists_sheet: bool = False
    # "A code may also be written as its plain English form ... in any letter case and with stray
    # spaces, and as any label that the project's own blank forms offer in their dropdowns":
    # code (PRISON_REFORM) | label (dropdown label in the form's language) | plain (Prison reform)
    # | messy (code or plain form in odd case, with stray, double or non-breaking spaces).
    codes_as: str = "code"
    # "Numbers stored as text, with thousands separators (`1,162`, `1 162`, `1.162` in FR/ES/RU
    # style)": integers as text grouped per THOUSANDS_SEPARATOR of the form's language (years
    # as text but never grouped); other floats as text with a decimal point.
    numbers_as_text: bool = False
    # "or as floats (`90.0`)": integers as text with ".0", never grouped. With numbers_as_text
    # too, each cell gets one of the two forms (seeded).
    floats_for_ints: bool = False
    # "Dates as real Excel dates, as text (`2021-03-15`, `15/03/2021`, `15.03.2021`), or as Excel
    # serial numbers": excel | text_iso | text_dmy_slash | text_dmy_dot | serial (a plain number).
    dates_as: str = "excel"
    # "Formulas (take the cached value)": participants_total as `=women+men` and PRISONERS_TOTAL
    # as `=<male cell>+<female cell>` (where they add up), with cached values. xlsxwriter only.
    formulas: bool = False
    # "error cells (`#DIV/0!`, `#REF!`) are invalid values, reported".
    error_cell: ErrorCell | None = None
    # "A country named rather than coded": the country's name in the form's language.
    member_state_as_name: bool = False
    # "cells with leading/trailing spaces or non-breaking spaces": every text data cell padded.
    padded_text: bool = False
    # "A return without a Cover sheet ... is rejected whole. A return that lacks one of the other
    # three sheets is a partial return": sheet kinds (cover, activities, prisons, outcomes) left out.
    omit_sheets: tuple[str, ...] = ()

    def active(self) -> dict[str, object]:
        """The options that differ from the form (JSON-ready), with the seed when any does."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            default = f.default if f.default is not MISSING else None
            if f.name != "seed" and value != default:
                out[f.name] = asdict(value) if isinstance(value, ErrorCell) else value
                if isinstance(value, tuple):
                    out[f.name] = list(value)
        if out:
            out["seed"] = self.seed
        return out


@dataclass(frozen=True)
class Formula:
    text: str
    cached: int | float | str


@dataclass(frozen=True)
class ExcelError:
    code: str


Cell = str | int | float | dt.date | Formula | ExcelError | None


@dataclass
class _Sheet:
    name: str
    rows: list[list[Cell]]
    hidden: bool = False
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # 0-based, inclusive


def write_return(
    content: ReturnContent,
    path: Path,
    *,
    language: str | None = None,
    engine: str = "openpyxl",
    drift: Drift | None = None,
) -> Path:
    """Write `content` as a return workbook at `path` and return the path.

    language: the form's language (sheet names, labels, headers); None means the Cover's language.
    """
    path = Path(path)
    path.write_bytes(render_return(content, language=language, engine=engine, drift=drift))
    return path


def render_return(
    content: ReturnContent,
    *,
    language: str | None = None,
    engine: str = "openpyxl",
    drift: Drift | None = None,
) -> bytes:
    """The bytes `write_return` writes."""
    drift = drift or Drift()
    language = language or content.cover.language
    _check(language, engine, drift)
    sheets = _Layout(content, language, drift).sheets()
    sub = content.cover.submission_date
    stamp = dt.datetime.combine(sub, dt.time(9)) if isinstance(sub, dt.date) else DEFAULT_TIMESTAMP
    if engine == "openpyxl":
        return _render_openpyxl(sheets, stamp)
    return _render_xlsxwriter(sheets, stamp)


def _check(language: str, engine: str, drift: Drift) -> None:
    languages = form.languages()
    if language not in languages:
        raise ValueError(f"unknown language {language!r}; known: {languages}")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; known: {ENGINES}")
    if drift.header_language is not None and drift.header_language not in languages:
        raise ValueError(f"unknown header_language {drift.header_language!r}")
    if drift.codes_as not in CODES_AS:
        raise ValueError(f"codes_as must be one of {CODES_AS}, not {drift.codes_as!r}")
    if drift.dates_as not in DATES_AS:
        raise ValueError(f"dates_as must be one of {DATES_AS}, not {drift.dates_as!r}")
    if drift.title_rows_above < 0:
        raise ValueError("title_rows_above must be >= 0")
    if drift.formulas and engine != "xlsxwriter":
        raise ValueError("formulas need engine='xlsxwriter': openpyxl cannot store a formula's cached value")
    unknown = set(drift.omit_sheets) - set(form.SHEET_KINDS)
    if unknown or len(drift.omit_sheets) >= len(form.SHEET_KINDS):
        raise ValueError(f"omit_sheets must name some of {form.SHEET_KINDS}, not all: {drift.omit_sheets}")
    if drift.error_cell is not None and drift.error_cell.error not in ERROR_FORMULAS:
        raise ValueError(f"unknown Excel error {drift.error_cell.error!r}; known: {tuple(ERROR_FORMULAS)}")


def plain_form(code: str) -> str:
    """`PRISON_REFORM` -> `Prison reform`, the spec's plain English form of a code."""
    return code.replace("_", " ").capitalize()


class _Layout:
    """Turns content into sheets of typed cells, applying the drift; the engines only render."""

    def __init__(self, content: ReturnContent, language: str, drift: Drift) -> None:
        self.content = content
        self.language = language
        self.header_language = drift.header_language or language
        self.drift = drift
        self.rng = random.Random(drift.seed)
        self.year = content.cover.reporting_year

    # ---- sheets -------------------------------------------------------------------------
    def sheets(self) -> list[_Sheet]:
        builders = {
            "cover": self._cover,
            "activities": lambda: self._table("activities"),
            "prisons": self._prisons,
            "outcomes": lambda: self._table("outcomes"),
        }
        sheets = [build() for kind, build in builders.items() if kind not in self.drift.omit_sheets]
        if self.drift.extra_sheet:
            sheets.append(
                _Sheet(
                    EXTRA_SHEET_NAME,
                    [
                        ["Comments from the reporting institution"],
                        [f"Figures for {self.year} are provisional where marked (p)."],
                    ],
                )
            )
        if self.drift.hidden_lists_sheet:
            sheets.append(self._lists())
        return sheets

    def _cover(self) -> _Sheet:
        cover = self.content.cover
        rows: list[list[Cell]] = []
        for name, labels in form.fields("cover").items():
            value = getattr(cover, name)
            if name == "member_state" and self.drift.member_state_as_name and value in _member_states():
                value = countries.country_name(value, self.language)
            if name == "reporting_year":
                cell = self._number(value, group=False)
            elif name == "submission_date":
                cell = self._date(value)
            else:
                cell = self._text(value)
            rows.append([labels[self.language], self._error("cover", name, 0, cell)])
        if self.drift.shuffle_columns:
            self.rng.shuffle(rows)
        return self._with_titles(form.sheet_names("cover")[self.language], rows, header=False)

    def _table(self, kind: str) -> _Sheet:
        spec = form.fields(kind)
        columns: list[str | None] = list(spec)  # None: the extra, unknown column
        headers: list[Cell] = [self._header(spec[name][self.header_language]) for name in spec]
        items = self.content.activities if kind == "activities" else self.content.outcomes
        body = [
            [self._error(kind, name, i, self._field(kind, name, spec[name], item)) for name in spec]
            for i, item in enumerate(items)
        ]
        if self.drift.extra_column:
            columns.insert(2, None)
            headers.insert(2, self._header(EXTRA_COLUMN_HEADER))
            for i, row in enumerate(body):
                row.insert(
                    2, self._error(kind, EXTRA_COLUMN_FIELD, i, self._text(f"REF-{self.year}-{i + 1:04d}"))
                )
        if self.drift.shuffle_columns:
            order = list(range(len(headers)))
            self.rng.shuffle(order)
            headers = [headers[j] for j in order]
            body = [[row[j] for j in order] for row in body]
        return self._with_titles(form.sheet_names(kind)[self.language], [headers, *body], header=True)

    def _field(self, kind: str, name: str, spec: dict, item: object) -> Cell:
        value = getattr(item, name)
        if value is None:
            return None
        if spec.get("multiple"):
            return self._text("; ".join(self._code_text(spec["codelist"], v) for v in value) or None)
        if "codelist" in spec:
            return self._text(self._code_text(spec["codelist"], value))
        if name == "partners":
            return self._text("; ".join(value) or None)
        kind_of = spec.get("type")
        if kind_of == "date":
            return self._date(value)
        if kind_of in ("integer", "number"):
            if name == "participants_total" and self.drift.formulas and isinstance(value, int):
                women = getattr(item, "participants_women", None)
                if isinstance(women, int) and 0 <= women <= value:
                    return Formula(f"={women}+{value - women}", value)
                return Formula(f"={value}*1", value)
            return self._number(value)
        return self._text(value)

    def _prisons(self) -> _Sheet:
        vocab = form.prisons_vocabulary()
        indicators = vocab["indicators"]
        years = list(range(self.year - vocab["years_before_reporting_year"], self.year + 1))
        if self.drift.prison_years_newest_first:
            years.reverse()
        header: list[Cell] = [
            self._header(vocab["indicator_header"][self.header_language]),
            *(self._number(y, group=False) for y in years),
            self._header(vocab["notes_header"][self.header_language]),
        ]
        codes = list(indicators) + [c for c in self.content.prisons if c not in indicators]
        body: list[list[Cell]] = []
        for code in codes:
            label = indicators.get(code, {}).get("EN")
            cells = self.content.prisons.get(code, {})
            row: list[Cell] = [f"{code} - {label}" if label else code]
            for y in years:
                row.append(self._error("prisons", code, y, self._prison_cell(cells.get(y))))
            body.append([*row, None])
        titles = self.drift.title_rows_above
        if self.drift.formulas:
            self._prison_formulas(body, codes, years, first_row=titles + 2)
        return self._with_titles(form.sheet_names("prisons")[self.language], [header, *body], header=True)

    def _prison_formulas(self, body: list[list[Cell]], codes: list[str], years: list[int], first_row: int):
        """PRISONERS_TOTAL as =MALE+FEMALE (cell references) where the content adds up."""
        try:
            t, m, f = (codes.index(c) for c in ("PRISONERS_TOTAL", "PRISONERS_MALE", "PRISONERS_FEMALE"))
        except ValueError:
            return
        for j, y in enumerate(years, start=1):
            cells = [self.content.prisons.get(c, {}).get(y) for c in (codes[t], codes[m], codes[f])]
            total, male, female = cells
            if all(isinstance(v, int) for v in cells) and male + female == total:
                col = get_column_letter(j + 1)
                body[t][j] = Formula(f"={col}{first_row + m}+{col}{first_row + f}", total)

    def _lists(self) -> _Sheet:
        columns = [[name, *codelists.dropdown_labels(name, self.language)] for name in codelists.LIST_NAMES]
        height = max(len(c) for c in columns)
        rows = [[c[i] if i < len(c) else None for c in columns] for i in range(height)]
        name = form.ignored_sheet_names()["lists"][self.language]
        return _Sheet(name, rows, hidden=True)

    def _with_titles(self, name: str, rows: list[list[Cell]], *, header: bool) -> _Sheet:
        n = self.drift.title_rows_above
        if not n:
            return _Sheet(name, rows)
        width = max(2, max(len(r) for r in rows))
        state = self.content.cover.member_state
        titles: list[list[Cell]] = [
            [f"{name} - {state} {self.year} (form {self.content.cover.template_version})"]
        ]
        for i in range(1, n):
            titles.append(["Please do not change the layout of this sheet." if i == 1 else f"({i})"])
        return _Sheet(name, [*titles, *rows], merges=[(0, 0, 0, width - 1)])

    # ---- cells --------------------------------------------------------------------------
    def _error(self, sheet: str, name: str, key: int, cell: Cell) -> Cell:
        target = self.drift.error_cell
        if target is None or target.sheet != sheet or target.field != name:
            return cell
        wanted = (target.year or self.year) if sheet == "prisons" else target.row
        return ExcelError(target.error) if key == wanted else cell

    def _header(self, text: str) -> str:
        if not self.drift.header_case_and_spaces:
            return text
        cases: tuple[Callable[[str], str], ...] = (str.upper, str.lower, str.capitalize, str.title)
        words = [self.rng.choice(cases)(w) for w in text.split(" ")]
        lead, trail = self.rng.choice(((" ", " "), ("  ", " "), ("", "  "), (" ", "")))
        return f"{lead}{' '.join(words)}{trail}"

    def _text(self, value: object) -> Cell:
        if value is None or value == "":
            return None
        text = str(value)
        if self.drift.padded_text:
            text = self.rng.choice(_PADDINGS).format(text)
        return text

    def _code_text(self, list_name: str, code: str) -> str:
        mode = self.drift.codes_as
        if mode == "code" or code not in codelists.codes(list_name):
            return code
        if mode == "label":
            return codelists.label(list_name, code, self.language)
        if mode == "plain":
            return plain_form(code)
        base = self.rng.choice((code, plain_form(code)))
        words = [
            self.rng.choice((str.upper, str.lower, str.title, str.capitalize))(w) for w in base.split(" ")
        ]
        inner = self.rng.choice(("  ", " ", " ", "\u00a0"))
        lead = self.rng.choice(("", " ", "\u00a0"))
        trail = self.rng.choice((" ", "  ", "\u00a0"))
        return f"{lead}{inner.join(words)}{trail}"

    def _number(self, value: object, *, group: bool = True) -> Cell:
        """A number, or its text per numbers_as_text/floats_for_ints (years: never grouped)."""
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            return self._text(value)
        as_text, as_float = self.drift.numbers_as_text, self.drift.floats_for_ints
        if not (as_text or as_float):
            return value
        if isinstance(value, float) and not value.is_integer():
            return self._text(repr(value)) if as_text else value
        if as_text and as_float:
            as_float = self.rng.random() < 0.5
        return self._text(self._int_text(int(value), as_float, group))

    def _int_text(self, value: int, as_float: bool, group: bool = True) -> str:
        if as_float:
            return f"{value}.0"
        if not group:
            return str(value)
        return f"{value:,}".replace(",", THOUSANDS_SEPARATOR[self.language])

    def _prison_cell(self, value: object) -> Cell:
        if isinstance(value, str):
            match = _QUALIFIED.match(value.strip())
            if match and (self.drift.numbers_as_text or self.drift.floats_for_ints):
                number = float(match.group(1))
                if number.is_integer():
                    as_float = self.drift.floats_for_ints and (
                        not self.drift.numbers_as_text or self.rng.random() < 0.5
                    )
                    return self._text(f"{self._int_text(int(number), as_float)} {match.group(2)}")
            return self._text(value)
        return self._number(value)

    def _date(self, value: object) -> Cell:
        if value is None or not isinstance(value, dt.date):
            return self._text(value)  # a date written as text by the content itself (planted)
        mode = self.drift.dates_as
        if mode == "excel":
            return value
        if mode == "serial":
            day = value.date() if isinstance(value, dt.datetime) else value
            return (day - _EXCEL_EPOCH).days
        pattern = {"text_iso": "%Y-%m-%d", "text_dmy_slash": "%d/%m/%Y", "text_dmy_dot": "%d.%m.%Y"}[mode]
        return self._text(value.strftime(pattern))


def _member_states() -> frozenset[str]:
    return frozenset(countries.member_states())


# ---- engines ----------------------------------------------------------------------------
class _FixedTimeZipFile(zipfile.ZipFile):
    """A ZipFile that stamps every entry with ZIP_TIMESTAMP: openpyxl stamps the clock on entries it
    writes by name and the temp file's mtime on worksheets it copies from disk."""

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):  # type: ignore[override]
        data = Path(filename).read_bytes()
        self.writestr(arcname or Path(filename).name, data, compress_type, compresslevel)

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):  # type: ignore[override]
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=ZIP_TIMESTAMP)
            info.compress_type = self.compression
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)


def _render_openpyxl(sheets: list[_Sheet], stamp: dt.datetime) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name)
        for r, row in enumerate(sheet.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                if isinstance(value, Formula):
                    raise ValueError("openpyxl cannot store a formula's cached value")
                cell = ws.cell(row=r, column=c)
                if isinstance(value, ExcelError):
                    cell.value = value.code
                    cell.data_type = "e"
                elif isinstance(value, str):
                    cell.value = value
                    cell.data_type = "s"  # never a formula or an error, whatever the text
                else:
                    cell.value = value
                    if isinstance(value, dt.date):
                        cell.number_format = DATE_FORMAT
        for r0, c0, r1, c1 in sheet.merges:
            ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
        if sheet.hidden:
            ws.sheet_state = "hidden"
    return openpyxl_bytes(wb, stamp)


def openpyxl_bytes(workbook: openpyxl.Workbook, stamp: dt.datetime) -> bytes:
    """The workbook's .xlsx bytes, the same on every run: authored by normsdata at `stamp`."""
    workbook.properties.creator = AUTHOR
    workbook.properties.last_modified_by = AUTHOR
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    buffer = io.BytesIO()
    archive = _FixedTimeZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(workbook, archive).save()  # not workbook.save(): it would stamp `modified` with the clock
    return buffer.getvalue()


def _render_xlsxwriter(sheets: list[_Sheet], stamp: dt.datetime) -> bytes:
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})  # in memory: zip entries dated 1980-01-01
    wb.set_properties({"author": AUTHOR, "created": stamp})
    date_format = wb.add_format({"num_format": DATE_FORMAT})
    for sheet in sheets:
        ws = wb.add_worksheet(sheet.name)
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, ExcelError):
                    ws.write_formula(r, c, ERROR_FORMULAS[value.code], None, value.code)
                elif isinstance(value, Formula):
                    ws.write_formula(r, c, value.text, None, value.cached)
                elif isinstance(value, str):
                    ws.write_string(r, c, value)
                elif isinstance(value, dt.date):
                    ws.write_datetime(r, c, value, date_format)
                else:
                    ws.write_number(r, c, value)
        for r0, c0, r1, c1 in sheet.merges:
            anchor = sheet.rows[r0][c0] if c0 < len(sheet.rows[r0]) else None
            ws.merge_range(r0, c0, r1, c1, "" if anchor is None else anchor)
        if sheet.hidden:
            ws.hide()
    wb.close()
    return buffer.getvalue()
