"""The feedback step's shortcuts give what the long way gives: a sheet's unmarked rows are checked but
not kept (and a mark moved up a merged range still finds its cell), parts shared by many returns are
scanned and deflated once, a plain zip's directory is read without zipfile's set-up, and a
submission's digest is what `dataclasses.asdict` made it."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import asdict

import openpyxl
import pytest
from openpyxl.styles import Font

from pipelines.feedback.marks import FILLS
from pipelines.feedback.sources import Submission
from pipelines.feedback.xlsx_edit.package import Unsupported, edit_package
from pipelines.feedback.xlsx_edit.splice import scan, scan_shared
from pipelines.feedback.xlsx_edit.zip_parts import Package, _plain_directory
from pipelines.findings import Finding, Severity
from pipelines.forms.return_writer import render_return
from tests.conftest import sample_return
from tests.feedback.test_feedback_package import finding, marked, repacked, saved


def _sheet(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def _with_sheet(data: bytes, change) -> bytes:
    return repacked(data, "xl/worksheets/sheet1.xml", change)


def _data_sheet() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    sheet["A1"] = "Title"
    sheet["A1"].font = Font(bold=True)  # a style of its own, which the mark must keep
    sheet.merge_cells("A1:D2")
    for row in range(3, 8):
        for column in "ABC":
            sheet[f"{column}{row}"] = row
    return saved(workbook)


def test_a_mark_moved_up_a_merged_range_edits_the_top_left_cell_it_was_not_kept_for():
    # C2 shows at A1: row 1 has no mark of its own, so its cells were not kept by the first scan.
    data = edit_package(_data_sheet(), marked([finding("Data", "C2")]), "EN")
    assert len(re.findall(rb'<c r="A1"[\s/>]', _sheet(data))) == 1  # the cell edited, not a second one
    cell = openpyxl.load_workbook(io.BytesIO(data))["Data"]["A1"]
    assert cell.font.bold and cell.fill.fgColor.rgb.endswith(FILLS[Severity.ERROR])
    assert cell.value == "Title"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda xml: xml.replace(b'<c r="B6"', b"<c", 1), "cell without r"),  # no mark in row 6
        (lambda xml: xml.replace(b'<c r="B6"', b'<c r="XFE6"', 1), "outside Excel's grid"),
    ],
    ids=["no r", "outside the grid"],
)
def test_a_bad_cell_in_a_row_without_marks_is_still_refused(change, reason):
    data = _with_sheet(_data_sheet(), change)
    assert change(_sheet(_data_sheet())) != _sheet(_data_sheet())  # the defect is planted
    with pytest.raises(Unsupported, match=reason):
        edit_package(data, marked([finding("Data", "B4")]), "EN")


def test_the_first_problem_of_a_sheet_is_the_one_reported_whichever_rows_are_kept():
    # Row 4 (marked, kept) has a cell without r; row 6 (not kept) one outside the grid: row 4 first.
    def change(xml: bytes) -> bytes:
        return xml.replace(b'<c r="B4"', b"<c", 1).replace(b'<c r="B6"', b'<c r="XFE6"', 1)

    with pytest.raises(Unsupported, match="cell without r"):
        edit_package(_with_sheet(_data_sheet(), change), marked([finding("Data", "B4")]), "EN")


def test_the_same_bytes_are_scanned_once_and_give_the_same_elements():
    part = _sheet(_data_sheet())
    first = scan_shared(part, max_depth=2)
    assert scan_shared(bytes(part), max_depth=2) is first  # equal bytes, another object: kept
    assert scan_shared(part, max_depth=3) is not first  # another depth: scanned anew
    fresh = scan(part, max_depth=2)
    assert [(e.local, e.start, e.start_end, e.end, e.end_end) for e in first] == [
        (e.local, e.start, e.start_end, e.end, e.end_end) for e in fresh
    ]


def test_two_returns_sharing_parts_come_out_as_when_edited_alone():
    one, other = _data_sheet(), _with_sheet(_data_sheet(), lambda xml: xml.replace(b"<v>7</v>", b"<v>70</v>"))
    alone = edit_package(other, marked([finding("Data", "B4")]), "EN")
    edit_package(one, marked([finding("Data", "C5", "warning")]), "EN")  # fills the shared caches
    assert edit_package(other, marked([finding("Data", "B4")]), "EN") == alone


def test_the_digest_is_the_one_asdict_gave():
    findings = (
        Finding(
            "s-1",
            "validated",
            "error",
            "report",
            "women_not_above_total",
            "Women > total.",
            "Data",
            4,
            "B4",
            "participants_women",
            "12",
        ),  # fmt: skip
        Finding("s-1", "parsed", "warning", "quarantine_row", "x", "A «quoted» message.", None),
    )
    submission = Submission("s-1", "KAZ_2023.xlsx", "ab" * 32, "REJECTED", None, "FR", ("Cover",), findings)
    record = asdict(submission)  # the digest as it was first written (feedback folders record it)
    record["salt"] = ["2", "catalogue"]
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)
    assert submission.digest("2", "catalogue") == hashlib.sha256(text.encode()).hexdigest()


def _entries(infos) -> list[tuple]:
    return [
        (i.filename, i.flag_bits, i.compress_type, i.CRC, i.compress_size, i.file_size, i.header_offset)
        for i in infos
    ]


def _rezipped(data: bytes, comment: bytes = b"", extra: bytes = b"", name: str | None = None) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for n, info in enumerate(source.infolist()):
            entry = zipfile.ZipInfo(name if name and n == 0 else info.filename, info.date_time)
            entry.compress_type, entry.extra = zipfile.ZIP_DEFLATED, extra
            target.writestr(entry, source.read(info))
        target.comment = comment
    return out.getvalue()


@pytest.mark.parametrize("engine", ["openpyxl", "xlsxwriter"])
def test_the_zip_directory_is_read_as_zipfile_reads_it(engine):
    data = render_return(sample_return("KAZ", 2023), engine=engine)
    for workbook in (data, _rezipped(data, name="xl/Données.xml")):  # a name zipfile flags as UTF-8
        entries = _plain_directory(workbook)
        assert entries is not None  # the plain layout: read here
        assert _entries(entries) == _entries(zipfile.ZipFile(io.BytesIO(workbook)).infolist())


@pytest.mark.parametrize(
    "unusual",
    [
        lambda data: _rezipped(data, comment=b"a comment"),
        lambda data: _rezipped(data, extra=b"\x99\x99\x02\x00ab"),  # an extra field
        lambda data: b"prefix" + data,  # bytes before the archive (zipfile still reads it)
        lambda data: data[:-30],  # cut short
    ],
    ids=["comment", "extra field", "prefixed", "truncated"],
)
def test_any_other_zip_layout_is_left_to_zipfile(unusual):
    data = unusual(render_return(sample_return("KAZ", 2023), engine="openpyxl"))
    assert _plain_directory(data) is None
    try:
        expected = ("read", len(zipfile.ZipFile(io.BytesIO(data)).infolist()))
    except zipfile.BadZipFile:
        expected = ("refused", 0)
    try:  # the package reads it just as zipfile does, or refuses it as zipfile does
        got = ("read", len(Package(data).infos))
    except zipfile.BadZipFile:
        got = ("refused", 0)
    assert got == expected
