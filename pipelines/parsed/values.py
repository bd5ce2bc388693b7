"""Normalise one cell's value to canonical text: ISO dates, plain numbers, codes.

A value that cannot be normalised is returned as `None` and the caller keeps the text as
sent: deciding that it is wrong, and telling the focal point, is the validation layer's job.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import NamedTuple

# Spaces Excel users type or paste: normal, no-break, narrow no-break, thin, figure space.
_SPACES = "\u0020\u00a0\u202f\u2009\u2007\t"
_SPACE_RUN = re.compile(f"[{_SPACES}]+")

EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01, counting Excel's phantom 1900-02-29
# Serial numbers between 1982 and 2100: anything else in a date column is more likely a typo.
_SERIAL_RANGE = (30000, 73051)

_DECIMAL_COMMA_LANGUAGES = {"FR", "ES", "RU"}

# What clean_text strips from text: the spaces above and line breaks.
STRIPPED = _SPACES + "\r\n"


class ExcelError(str):
    """An error cell (`#DIV/0!`, `#REF!`) as found in the sheet XML: never a value."""


def clean_text(value: object) -> str:
    """Text as a person meant it: no leading/trailing (non-breaking) spaces."""
    if value.__class__ is str:  # most cells: checked first, as this runs for every cell read
        return value.strip(STRIPPED)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value).strip(STRIPPED)


def canonical_number(number: float) -> str:
    if math.isnan(number) or math.isinf(number):
        raise ValueError(number)
    if float(number).is_integer():
        return str(int(number))
    return repr(float(number))


_INT = re.compile(r"^[+-]?\d+$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:([,.' ])\d{3})(?:\1\d{3})*$")
_DECIMAL_POINT = re.compile(r"^[+-]?\d*\.\d+$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")
_GROUPED_WITH_DECIMALS = re.compile(r"^[+-]?\d{1,3}(?:([,.' ])\d{3})+([.,])\d+$")


def parse_number(value: object, language: str = "EN", *, whole: bool = False) -> str | None:
    """Canonical text of a number written any way the spec allows, else None.

    `whole` marks counts (persons, places): there `1,162`, `1 162` and `1.162` can only mean
    one thousand one hundred and sixty-two, whatever the language. For other numbers the
    form's language decides whether a comma is a decimal mark.
    """
    if isinstance(value, bool) or value is None or isinstance(value, ExcelError):
        return None
    if isinstance(value, int | float):
        try:
            return canonical_number(float(value))
        except ValueError:
            return None
    text = _SPACE_RUN.sub(" ", clean_text(value))
    if not text:
        return None
    compact = text.replace(" ", "")
    if " " in text and re.fullmatch(r"[+-]?\d{1,3}( \d{3})+([.,]\d+)?", text):
        text = compact  # "1 162" and "1 162,5": spaces only ever group thousands
    if _INT.match(text):
        return str(int(text))
    grouped = _GROUPED.match(text)
    if grouped:
        separator = grouped.group(1)
        if whole or separator in " '" or not _is_decimal_mark(separator, language):
            return str(int(re.sub(r"[,.' ]", "", text)))
    grouped_decimal = _GROUPED_WITH_DECIMALS.match(text)
    if grouped_decimal and grouped_decimal.group(1) != grouped_decimal.group(2):
        integer_part, _, fraction = text.rpartition(grouped_decimal.group(2))
        return canonical_number(float(re.sub(r"[,.' ]", "", integer_part) + "." + fraction))
    if _DECIMAL_POINT.match(text):
        return canonical_number(float(text))
    if _DECIMAL_COMMA.match(text) and _is_decimal_mark(",", language):
        return canonical_number(float(text.replace(",", ".")))
    return None


class NumberReading(NamedTuple):
    number: str | None
    language: str  # the language whose way of writing numbers gave `number`
    ambiguous: bool  # the other language's way reads the value otherwise (or not at all)


def read_number(value: object, declared: str, headers: str, *, whole: bool = False) -> NumberReading:
    """`parse_number` of a value in a table whose headers are in one language while the return
    declares another (its Cover's Language): the two may put the decimal mark differently.

    The declared language is the state's own word on how its figures are written, so its reading
    wins; the headers' language is used only when the declared one reads no number at all (`2,5`
    under EN). `ambiguous` says the choice mattered, which the focal point must be told.
    """
    number = parse_number(value, declared, whole=whole)
    if decimal_comma(declared) == decimal_comma(headers):
        return NumberReading(number, declared, False)
    alternative = parse_number(value, headers, whole=whole)
    if alternative == number:
        return NumberReading(number, declared, False)
    if number is None:
        return NumberReading(alternative, headers, True)
    return NumberReading(number, declared, True)


def decimal_comma(language: str) -> bool:
    """The language writes decimals with a comma (`2,5`), as FR, ES and RU do."""
    return language in _DECIMAL_COMMA_LANGUAGES


def _is_decimal_mark(separator: str, language: str) -> bool:
    if separator == ",":
        return decimal_comma(language)
    if separator == ".":
        return not decimal_comma(language)
    return False


_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_SERIAL_TEXT = re.compile(r"^\d{5}(?:\.0+)?$")


def parse_date(value: object) -> str | None:
    """ISO date text for an Excel date, an Excel serial number, or text as `2021-03-15`,
    `15/03/2021`, `15.03.2021`; else None. Slashed dates are read day first, as the UN's
    forms are filled in outside the United States."""
    if isinstance(value, ExcelError) or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return _from_serial(float(value))
    text = clean_text(value)
    if _SERIAL_TEXT.match(text):
        return _from_serial(float(text))
    match = _ISO_DATE.match(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = _DAY_FIRST.match(text)
        if not match:
            return None
        day, month, year = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _from_serial(serial: float) -> str | None:
    if not serial.is_integer() or not _SERIAL_RANGE[0] <= serial <= _SERIAL_RANGE[1]:
        return None
    return (EXCEL_EPOCH + dt.timedelta(days=int(serial))).isoformat()


_YEAR = re.compile(r"^(\d{4})(?:\.0+)?$")


def parse_year(value: object) -> int | None:
    if isinstance(value, bool) or isinstance(value, ExcelError):
        return None
    if isinstance(value, int | float):
        return int(value) if float(value).is_integer() and 1000 <= value <= 9999 else None
    match = _YEAR.match(clean_text(value))
    return int(match.group(1)) if match else None


def parse_prison_cell(
    value: object, marks: dict[str, str], qualifiers: dict[str, str]
) -> tuple[str | None, str | None]:
    """(canonical number or None, observation status) of a Prisons cell; (None, None) when unreadable.

    `marks` maps `..`, `n.a.`... to M/Z and `qualifiers` maps `(e)`/`(p)` to E/P (form.json).
    """
    if isinstance(value, ExcelError):
        return None, None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = parse_number(value, whole=True)
        return number, "A" if number is not None else None
    text = _SPACE_RUN.sub(" ", clean_text(value))
    folded_marks = {mark.casefold(): status for mark, status in marks.items()}
    if text.casefold() in folded_marks:
        return None, folded_marks[text.casefold()]
    status = "A"
    for qualifier, qualifier_status in qualifiers.items():
        if text.casefold().endswith(qualifier):
            text, status = text[: -len(qualifier)].strip(), qualifier_status
            break
    number = parse_number(text, whole=True)
    return (number, status) if number is not None else (None, None)
