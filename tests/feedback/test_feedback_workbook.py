"""feedback.xlsx and feedback.md on hand-made workbooks: merged cells, formulas, the sender's own
comments, hostile values, findings without a cell; no pipeline run needed. The workbook tests run
on both writers: the package editor and the openpyxl copy it falls back to."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment

from pipelines.feedback import messages
from pipelines.feedback.markdown import code, render_markdown, text
from pipelines.feedback.sources import Submission
from pipelines.feedback.workbook import (
    FILLS,
    ISSUE_COLUMNS,
    ISSUES_SHEET,
    Marked,
    Route,
    copy_with_openpyxl,
    write_feedback_workbook,
)
from pipelines.feedback.xlsx_edit.package import edit_package
from pipelines.findings import Finding, Severity

SHEET = "Activités"
HOSTILE = '=HYPERLINK("http://example.invalid","click")'


def finding(rule: str, message: str, *, sheet=SHEET, ref=None, severity="error", value=None) -> Finding:
    action = "quarantine_row" if severity == "error" else "report"
    return Finding("sub-1", "validated", severity, action, rule, message, sheet, None, ref, None, value)


def marked(findings: list[Finding], language: str = "FR") -> list[Marked]:
    return [Marked(f, messages.explain(f, language)) for f in findings]


def original_workbook(path: Path, *, sender_comment: bool = True) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet["A1"] = "Title merged over A1:C1"
    sheet.merge_cells("A1:C1")
    sheet["A2"], sheet["B2"], sheet["C2"] = "ACT-1", 10, 2000
    sheet["B3"] = "=B2*2"  # a formula: must stay a formula
    if sender_comment:  # the sender's own comment: the package editor leaves such sheets to openpyxl
        sheet["C2"].comment = Comment("Figure from the ministry", "Focal point")
    workbook.create_sheet("Issues")["A1"] = "The sender's own Issues sheet"
    workbook.save(path)
    return path


def write_with(writer: str, original: Path, target: Path, items: list[Marked], language: str) -> None:
    """`package`: the package editor, which must not decline; `openpyxl`: the openpyxl copy."""
    if writer == "package":
        target.write_bytes(edit_package(original.read_bytes(), items, language))
    else:
        copy_with_openpyxl(original.read_bytes(), target, items, language)


@pytest.mark.parametrize("writer", ["package", "openpyxl"])
def test_findings_are_marked_at_their_cells_and_listed(tmp_path, writer):
    # The package editor declines a sheet that already has comments: it gets the workbook without.
    original = original_workbook(tmp_path / "original.xlsx", sender_comment=writer == "openpyxl")
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
    write_with(writer, original, target, marked(findings), "FR")

    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == [f"{ISSUES_SHEET} 2", SHEET, "Issues"]  # the sender's sheet is kept
    sheet = workbook[SHEET]
    assert sheet["B3"].value == "=B2*2" and sheet["C2"].value == 2000
    assert sheet["C2"].fill.fgColor.rgb.endswith(FILLS[Severity.ERROR])
    assert "Le nombre de femmes (2000)" in sheet["C2"].comment.text
    if writer == "openpyxl":
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


def test_a_sheet_with_the_senders_comments_goes_to_openpyxl_and_keeps_them(tmp_path):
    original = original_workbook(tmp_path / "original.xlsx")  # C2 carries the sender's comment
    findings = [
        finding(
            "women_not_above_total", "Women (2000) exceed the total number of participants (10).", ref="C2"
        )
    ]
    target = tmp_path / "feedback.xlsx"
    assert write_feedback_workbook(original, target, marked(findings), "FR") is Route.OPENPYXL
    comment = openpyxl.load_workbook(target)[SHEET]["C2"].comment.text
    assert "Le nombre de femmes (2000)" in comment and comment.endswith("---\nFigure from the ministry")


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
