"""Hypothesis against the parser: returns with random drift, and random byte mutations of valid
returns, always end in PARSED or REJECTED, and never through the parser's last-resort handler
(a reader bug); and the pre-read scan never counts a sheet smaller than calamine then reads it."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from pipelines.forms.return_writer import CODES_AS, DATES_AS, ENGINES, Drift, ErrorCell, render_return
from pipelines.parsed.part_scan import Refused, column_letters
from pipelines.parsed.returns import PARSED, REJECTED, parse_return
from pipelines.parsed.workbook import DEFAULT_LIMITS, NotAReturn, _check_members, _scan_parts
from pipelines.reference import form
from tests.conftest import sample_return
from tests.hostile import hostile_files as hf

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VALID = {engine: render_return(sample_return("KAZ"), engine=engine) for engine in ENGINES}
LAST_RESORT = "The workbook could not be read ("  # returns.py's handler of exceptions nobody expected


def parse_bytes(data: bytes, file_name: str = "KAZ_2023.xlsx"):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / file_name
        path.write_bytes(data)
        return parse_return(path, "fuzz", file_name)


def assert_ends_in_a_status(parsed) -> None:
    assert parsed.status in (PARSED, REJECTED)
    reasons = [f for f in parsed.findings if f.action == "reject"]
    if parsed.status == REJECTED:
        assert len(reasons) == 1 and parsed.cells == []
        assert not reasons[0].message.startswith(LAST_RESORT), reasons[0].message
    else:
        assert reasons == []


# --- random drift: every drift of the spec is handled --------------------------------------------

drifts = st.builds(
    Drift,
    seed=st.integers(0, 10_000),
    title_rows_above=st.integers(0, 9),
    header_language=st.none() | st.sampled_from(form.languages()),
    header_case_and_spaces=st.booleans(),
    shuffle_columns=st.booleans(),
    prison_years_newest_first=st.booleans(),
    extra_column=st.booleans(),
    extra_sheet=st.booleans(),
    hidden_lists_sheet=st.booleans(),
    codes_as=st.sampled_from(CODES_AS),
    numbers_as_text=st.booleans(),
    floats_for_ints=st.booleans(),
    dates_as=st.sampled_from(DATES_AS),
    error_cell=st.none() | st.just(ErrorCell("activities", "participants_total", row=1)),
    member_state_as_name=st.booleans(),
    padded_text=st.booleans(),
    omit_sheets=st.sets(st.sampled_from(("activities", "prisons", "outcomes")), max_size=2).map(tuple),
)


@FUZZ
@given(drift=drifts, engine=st.sampled_from(ENGINES), language=st.sampled_from(form.languages()))
def test_a_return_with_any_drift_is_parsed(drift, engine, language):
    data = render_return(sample_return("KAZ", language=language), engine=engine, drift=drift)
    parsed = parse_bytes(data)
    assert_ends_in_a_status(parsed)
    assert parsed.status == PARSED, parsed.findings  # the spec: every drift must be handled


# --- random bytes: never an unhandled exception, never the last resort --------------------------------

edits = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 2**31), st.integers(0, 255)),
    st.tuples(st.just("cut"), st.integers(0, 2**31), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 2**31), st.integers(0, 255)),
    st.tuples(st.just("delete"), st.integers(0, 2**31), st.integers(1, 64)),
)


@FUZZ
@given(engine=st.sampled_from(ENGINES), changes=st.lists(edits, min_size=1, max_size=12))
@example(engine="openpyxl", changes=[("delete", 4, 1)])  # found: zipfile sought a negative offset
def test_byte_mutations_of_a_return_end_in_a_status(engine, changes):
    data = bytearray(VALID[engine])
    for kind, position, value in changes:
        at = position % max(len(data), 1)
        if kind == "flip":
            data[at : at + 1] = bytes([value])[: len(data)]  # an empty file stays empty
        elif kind == "cut":
            del data[at:]  # down to nothing: an empty file
        elif kind == "insert":
            data[at:at] = bytes([value])
        else:
            del data[at : at + value]
    assert_ends_in_a_status(parse_bytes(bytes(data)))


@FUZZ
@given(
    engine=st.sampled_from(ENGINES),
    sheet=st.integers(1, 4),
    position=st.integers(0, 2**31),
    junk=st.binary(min_size=1, max_size=40) | st.sampled_from([b"<", b">", b"&", b"]]>", b"<c>", b"</row>"]),
)
@example(engine="xlsxwriter", sheet=1, position=814, junk=b" ")  # found: t=" s", refused by calamine late
def test_xml_mutations_inside_a_well_formed_zip_end_in_a_status(engine, sheet, position, junk):
    """Byte mutations of the compressed file mostly break a checksum; these reach the XML itself."""
    name = f"xl/worksheets/sheet{sheet}.xml"
    xml = bytearray(hf.part(VALID[engine], name))
    at = position % len(xml)
    xml[at:at] = junk
    assert_ends_in_a_status(parse_bytes(hf.repack(VALID[engine], replace={name: bytes(xml)})))


# --- the scan counts at least what calamine reads -------------------------------------------------------

cell_values = st.one_of(
    st.tuples(st.just("n"), st.integers(0, 10**6).map(str)),
    st.tuples(st.just("inlineStr"), st.text(alphabet="abcxyz ", max_size=12)),
    st.tuples(st.just("str"), st.text(alphabet="abc", max_size=8)),
    st.tuples(st.just("s"), st.integers(0, 5).map(str)),  # the n-th string appended to the sst
    st.tuples(st.just("e"), st.sampled_from(["#DIV/0!", "#N/A", "#REF!"])),
    st.tuples(st.just("empty"), st.just("")),
)
# A row: its `r` (or none), whether its cells carry `r` too, and its cells (column, value).
rows = st.lists(
    st.tuples(
        st.none() | st.integers(1, 60),
        st.booleans(),
        st.lists(st.tuples(st.integers(0, 30), cell_values), max_size=6),
    ),
    max_size=10,
)
# Shared strings: how each is written, and its length (random, so a shift in numbering shows).
shared = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "<si><t>{}</t></si>",
                "<si/>",
                "<si></si>",
                "<si><r><t>{}</t></r></si>",
                "<si><rPh><t>{}</t></rPh></si>",
            ]
        ),
        st.integers(0, 300),
    ),
    max_size=6,
)


def sheet_xml(row_specs, shared_base: int) -> bytes:
    out = []
    for index, (number, with_refs, row_cells) in enumerate(row_specs):
        out.append(f'<row r="{number}">' if number else "<row>")
        for col, (kind, text) in row_cells:
            position = f' r="{column_letters(col)}{number or index + 1}"' if with_refs else ""
            if kind == "empty":
                out.append(f"<c{position}/>")
            elif kind == "inlineStr":
                out.append(f'<c{position} t="inlineStr"><is><t>{text}</t></is></c>')
            elif kind == "s":  # one of the strings appended after the workbook's own
                out.append(f'<c{position} t="s"><v>{shared_base + int(text)}</v></c>')
            else:
                out.append(f'<c{position} t="{kind}"><v>{text}</v></c>')
        out.append("</row>")
    return "".join(out).encode()


@settings(max_examples=100, deadline=None)
@given(row_specs=rows, strings=shared)
def test_the_scan_never_counts_a_sheet_smaller_than_calamine_reads_it(row_specs, strings):
    data = VALID["xlsxwriter"]  # it has a shared-strings part, used by the other sheets
    sst_xml = hf.part(data, hf.SHARED_STRINGS)
    base = sst_xml.count(b"<si>")
    added = "".join(written.format("x" * length) for written, length in strings).encode()
    xml = hf.part(data, hf.ACTIVITIES)
    head, _, rest = xml.partition(b"<sheetData>")
    tail = rest.partition(b"</sheetData>")[2]
    data = hf.repack(
        data,
        replace={
            hf.SHARED_STRINGS: sst_xml.replace(b"</sst>", added + b"</sst>"),
            hf.ACTIVITIES: head + b"<sheetData>" + sheet_xml(row_specs, base) + b"</sheetData>" + tail,
        },
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.xlsx"
        path.write_bytes(data)
        try:
            with zipfile.ZipFile(path) as archive:
                package, sheet_parts = _scan_parts(
                    archive, _check_members(archive, DEFAULT_LIMITS), DEFAULT_LIMITS
                )
        except (NotAReturn, Refused) as exc:
            event(f"refused by the scan: {exc.rule}")
            return  # refused before calamine: nothing to compare
        try:
            grid = (
                CalamineWorkbook.from_path(str(path))
                .get_sheet_by_name("Activities")
                .to_python(skip_empty_area=False)
            )
        except Exception:  # calamine refuses what it cannot read; the scan only has to be an upper bound
            event("refused by calamine")
            return
    event("compared")
    extent = package.extents[sheet_parts["Activities"]]
    assert len(grid) <= extent.rows
    assert max((len(row) for row in grid), default=0) <= extent.columns
    text = sum(len(value) for row in grid for value in row if isinstance(value, str))
    assert text <= extent.text_chars


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_the_scan_numbers_shared_strings_as_calamine_does(data):
    """Only shared-string cells, each naming a string that exists, so nothing else in the count can
    hide a string counted with another's length (calamine 0.9.1 numbers every <si>, even `<si/>`)."""
    strings = data.draw(shared.filter(bool))
    picks = data.draw(st.lists(st.integers(0, len(strings) - 1), min_size=1, max_size=8))
    rows = [(None, False, [(0, ("s", str(pick)))]) for pick in picks]
    test_the_scan_never_counts_a_sheet_smaller_than_calamine_reads_it.hypothesis.inner_test(rows, strings)
