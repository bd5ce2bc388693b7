"""feedback.xlsx and feedback.md on hand-made workbooks: merged cells, formulas, the sender's own
comments, hostile values, findings without a cell; no pipeline run needed."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl.comments import Comment

from pipelines.feedback import messages
from pipelines.feedback.markdown import code, render_markdown, text
from pipelines.feedback.sources import Submission
from pipelines.feedback.workbook import (
    FILLS,
    ISSUE_COLUMNS,
    ISSUES_SHEET,
    Gate,
    Marked,
    parser_gate,
    write_feedback_workbook,
)
from pipelines.findings import Finding, Severity

SHEET = "Activités"
HOSTILE = '=HYPERLINK("http://example.invalid","click")'


def finding(rule: str, message: str, *, sheet=SHEET, ref=None, severity="error", value=None) -> Finding:
    action = "quarantine_row" if severity == "error" else "report"
    return Finding("sub-1", "validated", severity, action, rule, message, sheet, None, ref, None, value)


def marked(findings: list[Finding], language: str = "FR") -> list[Marked]:
    return [Marked(f, messages.explain(f, language)) for f in findings]


def original_workbook(path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet["A1"] = "Title merged over A1:C1"
    sheet.merge_cells("A1:C1")
    sheet["A2"], sheet["B2"], sheet["C2"] = "ACT-1", 10, 2000
    sheet["B3"] = "=B2*2"  # a formula: must stay a formula
    sheet["C2"].comment = Comment("Figure from the ministry", "Focal point")  # the sender's own comment
    workbook.create_sheet("Issues")["A1"] = "The sender's own Issues sheet"
    workbook.save(path)
    return path


def test_findings_are_marked_at_their_cells_and_listed(tmp_path):
    original = original_workbook(tmp_path / "original.xlsx")
    findings = [
        finding(
            "file_name_mismatch",
            "The file name says A 1 but the Cover says B 2; the Cover is used.",
            sheet=None,
            severity="warning",
        ),
        finding(
            "women_not_above_total",
            "Women (2000) exceed the total number of participants (10).",
            ref="C2",
            value="2000",
        ),
        finding(
            "change_over_50_percent",
            "The value changed by more than 50 % from the year before (ratio 3.0); please confirm it.",
            ref="B3",
            severity="warning",
            value="20",
        ),
        finding("title_required", "The title is missing.", ref="B1"),  # inside the merged title
        finding(
            "number",
            f"'{HOSTILE}' is not a number or a mark of the form (.., n.a., N/A, -, (e), (p)).",
            sheet="Gone",  # a sheet the workbook does not have: listed, not marked
            ref="A1",
            value=HOSTILE + "\x07",
        ),
    ]
    target = tmp_path / "feedback.xlsx"
    write_feedback_workbook(original, target, marked(findings), "FR")

    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == [f"{ISSUES_SHEET} 2", SHEET, "Issues"]  # the sender's sheet is kept
    sheet = workbook[SHEET]
    assert sheet["B3"].value == "=B2*2" and sheet["C2"].value == 2000
    assert sheet["C2"].fill.fgColor.rgb.endswith(FILLS[Severity.ERROR])
    assert "Le nombre de femmes (2000)" in sheet["C2"].comment.text
    assert sheet["C2"].comment.text.endswith("Figure from the ministry")  # the sender's comment stays
    assert sheet["B3"].fill.fgColor.rgb.endswith(FILLS[Severity.WARNING])
    assert "change_over_50_percent" in sheet["B3"].comment.text
    assert "title_required" in sheet["A1"].comment.text  # a merged range's comment sits at its top-left

    issues = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert issues[0] == tuple(messages.label(column, "FR") for column in ISSUE_COLUMNS)
    rows = {
        row[ISSUE_COLUMNS.index("rule")]: dict(zip(ISSUE_COLUMNS, row, strict=True)) for row in issues[1:]
    }
    assert set(rows) == {f.rule for f in findings}
    assert (
        rows["file_name_mismatch"]["cell"] is None
        and rows["file_name_mismatch"]["severity"] == "Avertissement"
    )
    assert (
        rows["women_not_above_total"]["cell"] == "C2"
        and rows["women_not_above_total"]["value_found"] == "2000"
    )
    hostile = workbook.worksheets[0].cell(len(issues), ISSUE_COLUMNS.index("value_found") + 1)
    assert hostile.value == HOSTILE and hostile.data_type == "s"  # stored as text, never a live formula
    link = workbook.worksheets[0].cell(2 + [f.rule for f in findings].index("women_not_above_total"), 3)
    assert link.hyperlink.location == f"'{SHEET}'!C2"


def test_only_files_the_parser_lets_through_are_opened(tmp_path):
    valid = original_workbook(tmp_path / "ok.xlsx")
    assert parser_gate(valid, "ok.xlsx") is Gate.READ
    (tmp_path / "junk.xlsx").write_bytes(b"\x00 not a workbook" * 10)
    legacy = xlwt.Workbook()
    legacy.add_sheet("Cover").write(0, 0, "Member State")
    legacy.save(str(tmp_path / "legacy.xls"))
    encrypted = io.BytesIO()
    with valid.open("rb") as plain:
        OOXMLFile(plain).encrypt("secret", encrypted)
    (tmp_path / "protected.xlsx").write_bytes(encrypted.getvalue())
    for name in ("junk.xlsx", "legacy.xls", "protected.xlsx"):  # rejected before parsing: feedback.md only
        assert parser_gate(tmp_path / name, name) is Gate.REFUSED, name


def test_markdown_escapes_what_came_from_the_file():
    assert text("a|b <script>x</script> *bold* [link](http://x)") == (
        "a\\|b \\<script\\>x\\</script\\> \\*bold\\* \\[link\\](http://x)"
    )
    assert code("x`y|z") == "``x`y\\|z``"
    assert code("`edge`") == "`` `edge` ``"
    email = finding(
        "email_format", "'<b>' is not an e-mail address.", ref="B5", severity="warning", value="<b>"
    )
    submission = Submission(
        "sub-1", "bad|name.xlsx", "0" * 64, "ACCEPTED_WITH_WARNINGS", None, "ES", (SHEET,), (email,)
    )
    page = render_markdown(submission, marked(list(submission.findings), "ES"), "ES", "nota")
    assert "bad\\|name.xlsx" in page and "<b>" not in page.replace("`<b>`", "")
    assert "«\\<b\\>» no es una dirección de correo electrónico." in page
    assert "| Advertencias | 1 |" in page
