"""The package editor (feedback.xlsx without openpyxl's load and save) on real workbooks: cells with no
element, missing rows, merged cells, sheet-scoped names, charts and images, templates, selected
tabs, deterministic bytes, and the unusual packages it leaves to openpyxl."""

from __future__ import annotations

import io
import os
import posixpath
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree
from xml.parsers import expat

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.workbook.defined_name import DefinedName
from PIL import Image as PillowImage
from python_calamine import CalamineWorkbook

from pipelines.feedback import messages
from pipelines.feedback.marks import EXCEL_TEXT_LIMIT, FILLS, ISSUE_COLUMNS
from pipelines.feedback.workbook import Route, copy_with_openpyxl, write_feedback_workbook
from pipelines.feedback.xlsx_edit.ooxml import RELATIONSHIPS, column_letters
from pipelines.feedback.xlsx_edit.package import Unsupported, edit_package
from pipelines.feedback.xlsx_edit.sheet import WORKSHEET_ORDER
from pipelines.findings import Finding, Severity
from pipelines.forms.return_writer import Drift, ErrorCell, render_return
from tests.conftest import sample_return

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def finding(sheet: str | None, ref: str | None, severity: str = "error", value: str | None = None) -> Finding:
    rule = "women_not_above_total" if severity == "error" else "change_over_50_percent"
    return Finding(
        "sub-1", "validated", severity, "report", rule, f"Problem at {ref}.", sheet, None, ref, None, value
    )


def marked(findings: list[Finding], language: str = "EN") -> list:
    from pipelines.feedback.marks import Marked

    return [Marked(f, messages.explain(f, language)) for f in findings]


def saved(workbook: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def edit(data: bytes, findings: list[Finding], tmp_path: Path, name: str = "feedback.xlsx") -> Path:
    target = tmp_path / name
    target.write_bytes(edit_package(data, marked(findings), "EN"))
    assert_well_formed(target.read_bytes())
    return target


def assert_well_formed(data: bytes) -> None:
    """Every XML part parses (a spliced part that did not would make Excel 'repair' the file)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        for name in archive.namelist():
            if name.endswith((".xml", ".rels", ".vml")):
                expat.ParserCreate().Parse(archive.read(name), True)


def sheet_xml(path: Path, title: str) -> bytes:
    """The XML of sheet `title`, found through the workbook's own relationships."""
    workbook = openpyxl.load_workbook(path)
    index = workbook.sheetnames.index(title)
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        workbook_xml = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        rel_id = re.findall(r'<sheet [^>]*r:id="(rId\d+)"', workbook_xml)[index]
        target = re.search(rf'Id="{rel_id}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rel_id}"', rels)
        part = (target.group(1) or target.group(2)).lstrip("/")
        part = part if part.startswith("xl/") else f"xl/{part}"
        assert part in names
        return archive.read(part)


def assert_comments_wired(path: Path, title: str, cells: set[str]) -> None:
    """What Excel needs to show a sheet's comments (openpyxl and LibreOffice read them without it):
    a `<legacyDrawing>` at its place in the sheet, pointing at a VML drawing with one note per cell."""
    xml = sheet_xml(path, title)
    root = ElementTree.fromstring(xml)
    order = [WORKSHEET_ORDER.index(child.tag.split("}")[1]) for child in root]
    assert order == sorted(order), [child.tag for child in root]
    (drawing,) = root.findall(f"{{{MAIN}}}legacyDrawing")
    rel_id = drawing.get(f"{{{RELATIONSHIPS}}}id")
    with zipfile.ZipFile(path) as archive:
        sheet_part = next(n for n in archive.namelist() if archive.read(n) == xml)
        folder, name = sheet_part.rsplit("/", 1)
        rels = ElementTree.fromstring(archive.read(f"{folder}/_rels/{name}.rels"))
        by_id = {rel.get("Id"): rel for rel in rels}
        assert by_id[rel_id].get("Type").endswith("/vmlDrawing")
        vml = archive.read(posixpath.normpath(f"{folder}/{by_id[rel_id].get('Target')}")).decode()
    notes = re.findall(r"<x:Row>(\d+)</x:Row><x:Column>(\d+)</x:Column>", vml)
    assert {f"{column_letters(int(c) + 1)}{int(r) + 1}" for r, c in notes} == cells


def calamine_grids(path: Path) -> dict[str, list[list[object]]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_cells_without_an_element_and_missing_rows_are_marked_in_order(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    for row in (1, 2, 3):
        sheet.cell(row, 1, f"A{row}")
        sheet.cell(row, 3, f"C{row}")
    sheet.row_dimensions[6].height = 30  # a <row r="6"/> with no cell in it
    original = saved(workbook)
    assert b'<row r="6"' in zipfile.ZipFile(io.BytesIO(original)).read("xl/worksheets/sheet1.xml")
    refs = ["B2", "E2", "B5", "A6", "D10", "C1"]  # between cells, after the last, missing row, empty row, ...
    target = edit(
        original, [finding("Data", ref, "warning" if ref == "E2" else "error") for ref in refs], tmp_path
    )

    result = openpyxl.load_workbook(target)["Data"]
    for ref in refs:
        cell = result[ref]
        severity = Severity.WARNING if ref == "E2" else Severity.ERROR
        assert cell.fill.fgColor.rgb.endswith(FILLS[severity]), ref
        assert f"Problem at {ref}." in cell.comment.text, ref
    assert [result[f"A{r}"].value for r in (1, 2, 3)] == ["A1", "A2", "A3"]
    assert result["C1"].value == "C1" and result["B2"].value is None
    # Rows and cells stay in the order the schema requires.
    xml = sheet_xml(target, "Data").decode()
    rows = [int(r) for r in re.findall(r'<row r="(\d+)"', xml)]
    assert rows == sorted(rows) and {2, 5, 6, 10} <= set(rows)
    for row in re.findall(r"<row [^>]*>(.*?)</row>", xml):
        columns = [c for c in re.findall(r'<c r="([A-Z]+)\d+"', row)]
        assert columns == sorted(columns, key=lambda c: (len(c), c)), row
    assert calamine_grids(target)["Data"][1][:3] == ["A2", "", "C2"]
    assert_comments_wired(target, "Data", set(refs))


def test_a_merged_range_is_marked_at_its_top_left_cell(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    sheet["A1"] = "Title"
    sheet.merge_cells("A1:D2")
    sheet.merge_cells("F4:G5")  # merged and empty
    target = edit(saved(workbook), [finding("Data", "C2"), finding("Data", "G5", "warning")], tmp_path)
    result = openpyxl.load_workbook(target)["Data"]
    assert "Problem at C2." in result["A1"].comment.text and result["A1"].value == "Title"
    assert result["A1"].fill.fgColor.rgb.endswith(FILLS[Severity.ERROR])
    assert "Problem at G5." in result["F4"].comment.text
    assert {str(r) for r in result.merged_cells.ranges} == {"A1:D2", "F4:G5"}


def test_sheet_scoped_names_still_point_at_their_sheets(tmp_path):
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "Cover"
    second, third = workbook.create_sheet("Activities"), workbook.create_sheet("Prisons")
    second["A1"], third["A1"] = "x", "y"
    second.defined_names["local_list"] = DefinedName("local_list", attr_text="Activities!$A$1:$A$5")
    third.print_area = "A1:C9"  # _xlnm.Print_Area, scoped to Prisons
    workbook.defined_names["everywhere"] = DefinedName("everywhere", attr_text="Cover!$B$2")
    target = edit(saved(workbook), [finding("Activities", "A1")], tmp_path)

    result = openpyxl.load_workbook(target)
    assert result.sheetnames == ["Issues", "Cover", "Activities", "Prisons"]
    assert "local_list" in result["Activities"].defined_names
    assert result["Activities"].defined_names["local_list"].attr_text == "Activities!$A$1:$A$5"
    assert result["Prisons"].print_area == "'Prisons'!$A$1:$C$9"
    assert result.defined_names["everywhere"].attr_text == "Cover!$B$2"
    assert result["Issues"].auto_filter.ref == "A1:G2"


def test_charts_and_images_of_the_original_survive(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Prisons"
    for row, (year, value) in enumerate([(2021, 100), (2022, 120), (2023, 90)], start=1):
        sheet.cell(row, 1, year)
        sheet.cell(row, 2, value)
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=3))
    sheet.add_chart(chart, "D2")
    picture = tmp_path / "logo.png"
    PillowImage.new("RGB", (20, 10), "navy").save(picture)
    sheet.add_image(Image(str(picture)), "D20")
    original = saved(workbook)
    target = edit(original, [finding("Prisons", "B3")], tmp_path)

    before, after = zipfile.ZipFile(io.BytesIO(original)), zipfile.ZipFile(target)
    kept = [n for n in before.namelist() if n.startswith(("xl/charts/", "xl/drawings/", "xl/media/"))]
    assert any(n.startswith("xl/charts/chart") for n in kept) and any(n.startswith("xl/media/") for n in kept)
    for name in kept:
        assert after.read(name) == before.read(name), name
    assert b"<drawing " in sheet_xml(target, "Prisons")
    assert_comments_wired(target, "Prisons", {"B3"})  # after <drawing>, as the schema orders them
    result = openpyxl.load_workbook(target)["Prisons"]
    assert len(result._charts) == 1 and len(result._images) == 1  # openpyxl reads them back
    assert "Problem at B3." in result["B3"].comment.text


def test_parts_not_edited_are_copied_byte_for_byte(tmp_path):
    original = render_return(sample_return("MEX", 2023), engine="xlsxwriter", drift=Drift(title_rows_above=2))
    target = edit(original, [finding("Activities", "E5"), finding(None, None, "warning")], tmp_path)
    before, after = zipfile.ZipFile(io.BytesIO(original)), zipfile.ZipFile(target)
    edited = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"}
    edited |= {"xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"}  # tab unselected; marked
    for info in before.infolist():
        if info.filename in edited:
            continue
        copy = after.getinfo(info.filename)
        assert (copy.CRC, copy.compress_size) == (info.CRC, info.compress_size), info.filename
    grids_before = calamine_grids(_file(tmp_path / "original.xlsx", original))
    grids_after = calamine_grids(target)
    assert list(grids_after)[0] == "Issues"
    assert {name: grid for name, grid in grids_after.items() if name != "Issues"} == grids_before


def _file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_the_same_inputs_give_the_same_bytes(tmp_path):
    original = _file(tmp_path / "original.xlsx", render_return(sample_return("CHL", 2023), engine="openpyxl"))
    findings = marked([finding("Activities", "B3"), finding("Prisons", "C4", "warning"), finding(None, None)])
    first, second = tmp_path / "one.xlsx", tmp_path / "two.xlsx"
    assert write_feedback_workbook(original, first, findings, "EN") is Route.PACKAGE
    assert write_feedback_workbook(original, second, findings, "EN") is Route.PACKAGE
    assert first.read_bytes() == second.read_bytes()
    assert {info.date_time for info in zipfile.ZipFile(first).infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_only_the_issues_tab_is_selected_and_active(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Cover"
    workbook.create_sheet("Activities")["A1"] = "x"
    workbook.active = 1  # the sender left Activities selected
    workbook["Activities"].sheet_view.tabSelected = True
    workbook["Cover"].sheet_view.tabSelected = False
    target = edit(saved(workbook), [finding("Cover", "A1")], tmp_path)
    result = openpyxl.load_workbook(target)
    assert result.active.title == "Issues"
    assert [bool(sheet.sheet_view.tabSelected) for sheet in result.worksheets] == [True, False, False]


def test_a_template_comes_back_as_an_ordinary_workbook(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Cover"
    workbook.template = True
    target = edit(saved(workbook), [finding("Cover", "B2")], tmp_path)
    types = zipfile.ZipFile(target).read("[Content_Types].xml").decode()
    assert "spreadsheetml.sheet.main+xml" in types and "template.main" not in types
    assert openpyxl.load_workbook(target).template is False


def test_issues_cells_are_text_within_excels_limit(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Cover"
    long_value = "=SUM(A1)" + "x" * 40_000 + "\x01\ufffe"
    target = edit(saved(workbook), [finding("Cover", "B2", value=long_value)], tmp_path)
    issues = openpyxl.load_workbook(target)["Issues"]
    cell = issues.cell(2, ISSUE_COLUMNS.index("value_found") + 1)
    assert cell.data_type == "s" and cell.value.startswith("=SUM(A1)xxx")
    assert len(cell.value) == EXCEL_TEXT_LIMIT and "\x01" not in cell.value


def _prefixed(xml: bytes) -> bytes:
    """The same sheet with SpreadsheetML under an `x:` prefix instead of the default namespace."""
    text = xml.decode().replace(f'xmlns="{MAIN}"', f'xmlns:x="{MAIN}"')
    return re.sub(r"<(/?)(?!\?)([A-Za-z]+)([\s/>])", r"<\1x:\2\3", text).encode()


def repacked(data: bytes, name: str, change) -> bytes:
    """`data` with part `name` replaced by `change(its bytes)`, every other part as it was."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            payload = source.read(info)
            target.writestr(info.filename, change(payload) if info.filename == name else payload)
    return out.getvalue()


def _with_comment_elsewhere(data: bytes) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    workbook["Prisons"]["A1"].comment = Comment("Sender's note", "Focal point")  # not a sheet we mark
    return saved(workbook)


UNUSUAL = {
    "prefixed SpreadsheetML": lambda data: repacked(data, "xl/worksheets/sheet2.xml", _prefixed),
    "strict OOXML": lambda data: repacked(
        data,
        "xl/workbook.xml",
        lambda x: x.replace(MAIN.encode(), b"http://purl.oclc.org/ooxml/spreadsheetml/main"),
    ),
    "macro-enabled": lambda data: repacked(
        data, "[Content_Types].xml", lambda x: x.replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml")
    ),
    "no styles part": lambda data: repacked(
        data, "xl/_rels/workbook.xml.rels", lambda x: re.sub(rb"<Relationship [^>]*styles[^>]*/>", b"", x)
    ),
    "comments on another sheet": _with_comment_elsewhere,
}


@pytest.mark.parametrize("unusual", list(UNUSUAL))
def test_unusual_packages_are_left_to_openpyxl(tmp_path, unusual):
    data = UNUSUAL[unusual](render_return(sample_return("CHL", 2023), engine="openpyxl"))
    with pytest.raises(Unsupported):
        edit_package(data, marked([finding("Activities", "B3")]), "EN")


def test_the_senders_comments_elsewhere_survive_the_openpyxl_route(tmp_path):
    data = _with_comment_elsewhere(render_return(sample_return("CHL", 2023), engine="openpyxl"))
    original, target = _file(tmp_path / "original.xlsx", data), tmp_path / "feedback.xlsx"
    assert (
        write_feedback_workbook(original, target, marked([finding("Activities", "B3")]), "EN")
        is Route.OPENPYXL
    )
    result = openpyxl.load_workbook(target)
    assert result["Prisons"]["A1"].comment.text == "Sender's note"
    assert "Problem at B3." in result["Activities"]["B3"].comment.text


def view(path: Path) -> tuple:
    """What a focal point sees, as openpyxl reads it: sheets, marked cells (comment, fill), Issues
    rows and links."""
    workbook = openpyxl.load_workbook(path)
    marks = {
        (sheet.title, cell.coordinate): (cell.comment.text, cell.fill.fgColor.rgb[-6:])
        for sheet in workbook.worksheets[1:]
        for row in sheet.iter_rows()
        for cell in row
        if cell.comment is not None
    }
    issues = workbook.worksheets[0]
    rows = list(issues.iter_rows(values_only=True))
    links = [(c.coordinate, c.hyperlink.location) for row in issues.iter_rows() for c in row if c.hyperlink]
    return workbook.sheetnames, marks, rows, links


DRIFTS = {
    # A1 and C1 of Activities fall in the merged title: their findings share one comment at A1.
    "openpyxl, merged titles, hidden lists": (
        "openpyxl",
        Drift(title_rows_above=2, hidden_lists_sheet=True),
        4,
    ),
    "xlsxwriter, formulas, error cell, extra sheet": (
        "xlsxwriter",
        Drift(
            formulas=True, extra_sheet=True, error_cell=ErrorCell("outcomes", "value", row=1, error="#DIV/0!")
        ),
        5,
    ),
}


@pytest.mark.parametrize("drift", list(DRIFTS))
def test_both_writers_show_the_same_marks(tmp_path, drift):
    engine, how, cells = DRIFTS[drift]
    content = sample_return("KAZ", 2023, language="FR")
    original = _file(tmp_path / "original.xlsx", render_return(content, engine=engine, drift=how))
    sheets = openpyxl.load_workbook(original).sheetnames
    findings = [
        finding(None, None, "warning"),
        finding(sheets[0], "B2"),
        finding(sheets[1], "A1", "warning"),  # a merged title when there are title rows
        finding(sheets[1], "C1"),
        finding(sheets[1], "C1", "warning"),  # two findings at one cell: one comment, the worse fill
        finding(sheets[2], "F9"),
        finding(sheets[-1], "AA300"),  # beyond everything the sheet has
        finding(sheets[-1], None, "warning", value="=1+1"),
        finding("Not a sheet", "A1"),
    ]
    items = marked(findings, "FR")
    package, copy = tmp_path / "package.xlsx", tmp_path / "openpyxl.xlsx"
    assert write_feedback_workbook(original, package, items, "FR") is Route.PACKAGE
    copy_with_openpyxl(original.read_bytes(), copy, items, "FR")
    assert view(package) == view(copy)
    assert len(view(package)[1]) == cells  # one comment per cell that shows the findings of a worksheet


def _soffice() -> str:
    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("soffice is not installed (Debian package: see .ci/run)")
        pytest.skip("soffice is not installed")
    return soffice


def _convert(soffice: str, profile: Path, to: str, out: Path, *sources: Path) -> None:
    done = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
         "--convert-to", to, "--outdir", str(out), *map(str, sources)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Error" not in done.stderr, done.stderr


@pytest.mark.slow
def test_libreoffice_opens_edited_workbooks_and_reads_the_marks_back(tmp_path):
    """Two sources: an openpyxl workbook with a chart, and a return saved by LibreOffice itself
    (markup close to Excel's: mc:Ignorable, x14 namespaces, tabSelected="false")."""
    soffice, profile = _soffice(), tmp_path / "profile"
    workbook = openpyxl.load_workbook(
        io.BytesIO(render_return(sample_return("CHL", 2023), engine="openpyxl"))
    )
    prisons = workbook["Prisons"]
    chart = BarChart()
    chart.add_data(Reference(prisons, min_col=2, min_row=2, max_row=4))
    prisons.add_chart(chart, "J2")
    (tmp_path / "sent").mkdir()
    sent = _file(
        tmp_path / "sent" / "calc.xlsx", render_return(sample_return("MEX", 2023), engine="xlsxwriter")
    )
    _convert(soffice, profile, "xlsx:Calc MS Excel 2007 XML", tmp_path / "calc", sent)
    findings = [finding("Prisons", "B3"), finding("Activities", "Z40", "warning"), finding(None, None)]
    (tmp_path / "chart").mkdir()
    sources = [
        edit(saved(workbook), findings, tmp_path / "chart"),
        edit(
            (tmp_path / "calc" / "calc.xlsx").read_bytes(), findings, tmp_path / "calc", "feedback-calc.xlsx"
        ),
    ]
    _convert(soffice, profile, "pdf", tmp_path / "pdf", *sources)
    for source in sources:
        assert (tmp_path / "pdf" / f"{source.stem}.pdf").read_bytes().startswith(b"%PDF")
    # LibreOffice saving them again keeps the comments, fills and links it read from our parts.
    _convert(soffice, profile, "xlsx:Calc MS Excel 2007 XML", tmp_path / "again", *sources)
    for source in sources:
        again = openpyxl.load_workbook(tmp_path / "again" / source.name)
        assert again.sheetnames[0] == "Issues" and again.active.title == "Issues"
        assert "Problem at B3." in again["Prisons"]["B3"].comment.text
        assert again["Activities"]["Z40"].fill.fgColor.rgb.endswith(FILLS[Severity.WARNING])
        assert again["Issues"]["C3"].hyperlink.location == "'Activities'!Z40"
