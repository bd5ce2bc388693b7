"""Cell normalisation: every way the spec says a number or a date may be written."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.parsed.values import (
    ExcelError,
    NumberReading,
    parse_date,
    parse_number,
    parse_prison_cell,
    read_number,
)
from pipelines.reference import form as vocabulary


@pytest.mark.parametrize(
    ("written", "language", "whole", "expected"),
    [
        ("1,162", "EN", True, "1162"),
        ("1 162", "FR", True, "1162"),
        ("1\u202f162", "FR", True, "1162"),  # narrow no-break space, as French Excel writes it
        ("1\u00a0162", "RU", True, "1162"),
        ("1.162", "ES", True, "1162"),
        ("1.162", "EN", True, "1162"),  # a count cannot be 1.162 persons
        ("1.162", "EN", False, "1.162"),
        ("1,5", "FR", False, "1.5"),
        ("1.234,5", "ES", False, "1234.5"),
        ("1,234.5", "EN", False, "1234.5"),
        ("90.0", "EN", True, "90"),
        (90.0, "EN", True, "90"),
        (" 42 ", "EN", True, "42"),
        ("-5", "EN", True, "-5"),  # a number: that it is negative is a rule, not a parse error
        ("twelve", "EN", True, None),
        (ExcelError("#DIV/0!"), "EN", True, None),
        (True, "EN", True, None),
    ],
)
def test_numbers(written, language, whole, expected):
    assert parse_number(written, language, whole=whole) == expected


@pytest.mark.parametrize(
    ("written", "declared", "headers", "whole", "expected"),
    [
        # The two languages write decimals alike: nothing to choose.
        ("1.500", "FR", "ES", False, NumberReading("1500", "FR", False)),
        ("1,5", "EN", "EN", False, NumberReading(None, "EN", False)),
        # They differ, and so do their readings: the declared language's wins...
        ("1.500", "FR", "EN", False, NumberReading("1500", "FR", True)),
        ("1,500", "FR", "EN", False, NumberReading("1.5", "FR", True)),
        ("1.500", "EN", "RU", False, NumberReading("1.5", "EN", True)),
        ("2,5", "FR", "EN", False, NumberReading("2.5", "FR", True)),
        # ...unless it reads no number at all.
        ("2,5", "EN", "FR", False, NumberReading("2.5", "FR", True)),
        ("2,5", "EN", "FR", True, NumberReading("2.5", "FR", True)),  # not whole: the suites say so
        # They differ, but the value reads the same either way.
        ("2.5", "FR", "EN", False, NumberReading("2.5", "FR", False)),
        ("1.500,25", "ES", "EN", False, NumberReading("1500.25", "ES", False)),
        ("1 500", "FR", "EN", False, NumberReading("1500", "FR", False)),
        ("1.162", "FR", "EN", True, NumberReading("1162", "FR", False)),  # a count: `.` groups thousands
        (1.5, "FR", "EN", False, NumberReading("1.5", "FR", False)),  # a number cell has no decimal mark
        ("about 3", "FR", "EN", False, NumberReading(None, "FR", False)),
    ],
)
def test_a_number_between_two_languages(written, declared, headers, whole, expected):
    assert read_number(written, declared, headers, whole=whole) == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (dt.date(2021, 3, 15), "2021-03-15"),
        (dt.datetime(2021, 3, 15, 0, 0), "2021-03-15"),
        ("2021-03-15", "2021-03-15"),
        ("15/03/2021", "2021-03-15"),
        ("15.03.2021", "2021-03-15"),
        (44270.0, "2021-03-15"),  # an Excel serial number
        ("44270", "2021-03-15"),
        ("31/02/2021", None),
        ("yesterday", None),
        (12.0, None),  # not a plausible serial date
        (ExcelError("#REF!"), None),
    ],
)
def test_dates(written, expected):
    assert parse_date(written) == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (11500.0, ("11500", "A")),
        ("11 500", ("11500", "A")),
        ("..", (None, "M")),
        ("n.a.", (None, "Z")),
        ("N/A", (None, "Z")),
        ("-", (None, "Z")),
        ("3300 (e)", ("3300", "E")),
        ("3,300 (p)", ("3300", "P")),
        ("about 3000", (None, None)),
        (ExcelError("#DIV/0!"), (None, None)),
    ],
)
def test_prison_cells(written, expected):
    prisons = vocabulary.prisons_vocabulary()
    assert parse_prison_cell(written, prisons["marks"], prisons["qualifiers"]) == expected
