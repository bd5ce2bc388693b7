"""The scan's fast paths: remembered cell references, and handlers that change as a part is read.

Each sheet below is written into a real return and measured both by the scan and by python-calamine:
the scan must reach at least as far as calamine reads, and count no cell calamine never reads.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from pipelines.parsed import part_scan
from pipelines.parsed.part_scan import Refused, parse_ref
from pipelines.parsed.workbook import DEFAULT_LIMITS, _check_members, _scan_parts
from tests.hostile import hostile_files as hf

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


# --- cell references ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("B12", (11, 1)),
        ("b12", (11, 1)),
        ("12", (11, None)),
        ("AA1", (0, 26)),
        ("XFD1048576", (1048575, 16383)),
        ("A0", None),  # rows count from 1
        ("", None),
        ("1A", None),
        ("A1 ", None),
        ("A²", None),  # a digit to str.isdigit, not to calamine
    ],
)
def test_a_reference_reads_the_same_the_first_time_and_when_remembered(ref, expected):
    assert parse_ref(ref) == expected
    assert parse_ref(ref) == expected  # now from the table, if it was kept


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ABZabz019²:$ ", max_size=12))
def test_any_text_reads_as_the_plain_parser_reads_it(ref):
    assert parse_ref(ref) == part_scan._parse_ref(ref)
    assert parse_ref(ref) == part_scan._parse_ref(ref)


def test_the_remembered_references_stay_bounded():
    for row in range(1, 3 * part_scan._REFS_REMEMBERED):
        parse_ref(f"C{row}")
    long_ref = "A" * 40 + "7"
    parse_ref(long_ref)
    assert len(part_scan._REFS_SEEN) <= part_scan._REFS_REMEMBERED
    assert long_ref not in part_scan._REFS_SEEN  # hostile lengths are parsed, never kept


# --- sheets read by handlers that change on the way -------------------------------------------


def _workbook(tmp_path: Path, sheet_data: bytes, *, prefix: str = "", shared_strings: bytes | None = None):
    """A real return whose Activities sheet holds `sheet_data` (with the rest of its part kept)."""
    data = hf.valid_return(engine="xlsxwriter")  # it has a shared-strings part
    xml = hf.part(data, hf.ACTIVITIES)
    head, _, rest = xml.partition(b"<sheetData>")
    tail = rest.partition(b"</sheetData>")[2]
    if prefix:  # the whole part written with a namespace prefix, as some tools do
        head = head.replace(b"<worksheet", f"<{prefix}:worksheet xmlns:{prefix}={MAIN_NS!r}".encode(), 1)
        tail = tail.replace(b"</worksheet>", f"</{prefix}:worksheet>".encode())
    replace = {hf.ACTIVITIES: head + sheet_data + tail}
    if shared_strings is not None:
        replace[hf.SHARED_STRINGS] = shared_strings
    path = tmp_path / "return.xlsx"
    path.write_bytes(hf.repack(data, replace=replace))
    return path


def _scan(path: Path):
    with zipfile.ZipFile(path) as archive:
        package, sheet_parts = _scan_parts(archive, _check_members(archive, DEFAULT_LIMITS), DEFAULT_LIMITS)
    return package, package.extents[sheet_parts["Activities"]]


def _calamine_size(path: Path) -> tuple[int, int]:
    grid = (
        CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Activities").to_python(skip_empty_area=False)
    )
    return len(grid), max((len(row) for row in grid), default=0)


def test_a_sheet_written_with_a_namespace_prefix_is_measured_as_calamine_reads_it(tmp_path):
    path = _workbook(
        tmp_path,
        b'<x:sheetData><x:row r="3"><x:c r="D3"><x:v>1</x:v></x:c></x:row>'
        b'<x:row><x:c t="inlineStr"><x:is><x:t>abc</x:t></x:is></x:c></x:row></x:sheetData>',
        prefix="x",
    )
    _, extent = _scan(path)
    assert (extent.rows, extent.columns) == _calamine_size(path) == (4, 4)
    assert extent.text_chars >= len("1abc")


def test_cells_after_the_sheet_data_are_not_counted_but_still_checked_as_xml(tmp_path):
    # calamine stops at </sheetData>: a second one, however far its cell, builds nothing
    beyond = b'<sheetData><row r="19999"><c r="GR19999"><v>1</v></c></row></sheetData>'
    path = _workbook(tmp_path, b'<sheetData><row r="2"><c r="B2"><v>5</v></c></row></sheetData>' + beyond)
    package, extent = _scan(path)
    assert (extent.rows, extent.columns) == _calamine_size(path) == (2, 2)

    # ...yet a broken tag after it still refuses the workbook: the rest of the part is parsed
    broken = _workbook(tmp_path, b'<sheetData><row r="2"><c r="B2"><v>5</v></c></row></sheetData><oops>')
    with pytest.raises(Refused) as refused:
        _scan(broken)
    assert refused.value.rule == "xml_invalid"


def test_a_far_cell_in_a_prefixed_sheet_is_refused_naming_the_limit(tmp_path):
    far = DEFAULT_LIMITS.max_rows + 1
    cell = f'<y:sheetData><y:row><y:c r="A{far}"><y:v>1</y:v></y:c></y:row></y:sheetData>'
    path = _workbook(tmp_path, cell.encode(), prefix="y")
    with pytest.raises(Refused) as refused:
        _scan(path)
    assert refused.value.rule == "sheet_too_large"
    assert f"{far:,} rows" in refused.value.message


def test_cells_inside_the_shared_strings_part_are_still_counted(tmp_path):
    """No workbook does this; the shared-strings reader hands over to the general one when it does."""
    original = hf.part(hf.valid_return(engine="xlsxwriter"), hf.SHARED_STRINGS)
    base = original.count(b"<si>")
    strings = original.replace(
        b"</sst>",
        b'<sheetData><row r="7"><c r="C7"><v>12345</v></c></row></sheetData><si><t>cde</t></si></sst>',
    )
    cell = f'<sheetData><row><c t="s"><v>{base}</v></c></row></sheetData>'.encode()
    path = _workbook(tmp_path, cell, shared_strings=strings)
    package, extent = _scan(path)
    assert len(package.shared_string_lengths) == base + 1  # the string after the cells is still one
    assert package.shared_string_lengths[base] == 3
    stray = package.extents[hf.SHARED_STRINGS]
    assert (stray.rows, stray.columns) == (7, 3)  # the stray cell, placed and counted
    assert extent.text_chars == 3
