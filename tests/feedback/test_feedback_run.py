"""Feedback after one real Dagster run: a French return with one error of every kind planted at a
known cell, a file that is no workbook, a workbook with no Cover, and a duplicate."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html.parser
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from pipelines.feedback import FeedbackReport, write_feedback
from pipelines.feedback.folders import STATE_FILE
from pipelines.feedback.workbook import FILLS, ISSUE_COLUMNS
from pipelines.findings import Severity
from pipelines.forms.return_writer import Drift, ErrorCell, write_return
from pipelines.reference import form
from pipelines.settings import Paths
from tests.conftest import query, run_pipeline, sample_return

pytestmark = pytest.mark.slow

LANGUAGE = "FR"
YEAR = 2023


def cell_of(kind: str, field: str, item: int) -> str:
    """Where the return writer puts `field` of the `item`-th row: headers in row 1, rows from row 2."""
    return f"{get_column_letter(list(form.fields(kind)).index(field) + 1)}{item + 2}"


def prison_cell(indicator: str, year: int) -> str:
    """Prisons: indicators in the form's order from row 2; year columns oldest first from B."""
    vocabulary = form.prisons_vocabulary()
    column = year - (YEAR - vocabulary["years_before_reporting_year"]) + 2
    return f"{get_column_letter(column)}{list(vocabulary['indicators']).index(indicator) + 2}"


def sheet(kind: str) -> str:
    return form.sheet_names(kind)[LANGUAGE]


@dataclasses.dataclass(frozen=True)
class Planted:
    sheet: str
    cell: str
    rule: str
    words: str  # of the French message the cell's comment must carry
    severity: Severity = Severity.ERROR


PLANTED = {
    "bad code": Planted(
        sheet("activities"), cell_of("activities", "thematic_area", 1), "thematic_area_code",
        "n'est pas un domaine thématique",
    ),
    "women > total": Planted(
        sheet("activities"), cell_of("activities", "participants_women", 0), "women_not_above_total",
        "Le nombre de femmes (2000) dépasse",
    ),
    "end < start": Planted(
        sheet("activities"), cell_of("activities", "end_date", 2), "end_not_before_start",
        "est antérieure à la date de début",
    ),
    "bad date": Planted(
        sheet("activities"), cell_of("activities", "start_date", 3), "start_date_format",
        "« 31/02/2023 » n'est pas une date",
    ),
    "unknown related activity": Planted(
        sheet("outcomes"), cell_of("outcomes", "activity_id", 0), "related_activity_exists",
        "L'activité liée « ACT-99 »",
    ),
    "of-which > total": Planted(
        sheet("prisons"), prison_cell("PRISONERS_UNSENTENCED", YEAR), "of_which_not_above_total",
        "dépasse la population carcérale totale",
    ),
    "error cell": Planted(
        sheet("outcomes"), cell_of("outcomes", "value", 1), "error_cell",
        "contient une erreur Excel (#DIV/0!)",
    ),
    "change > 50 %": Planted(
        sheet("prisons"), prison_cell("PRISON_CAPACITY", YEAR), "change_over_50_percent",
        "a varié de plus de 50 %", Severity.WARNING,
    ),
}  # fmt: skip


def planted_return(path: Path) -> Path:
    content = sample_return("MEX", YEAR, language=LANGUAGE)
    first, second, third = content.activities
    first.participants_women = 2000  # women > total (1162)
    second.thematic_area = "PRISON_REFORMS"  # bad code
    third.end_date = dt.date(YEAR, 5, 1)  # end < start (1 June)
    content.activities.append(
        dataclasses.replace(third, activity_id="ACT-4", start_date="31/02/2023", end_date=None)
    )  # bad date, written as that text
    content.outcomes[0].activity_id = "ACT-99"  # unknown related activity
    content.prisons["PRISONERS_UNSENTENCED"][YEAR] = 20_000  # of which > total (11,500)
    content.prisons["PRISON_CAPACITY"][YEAR] = 25_000  # up from 9,000: a warning, not an error
    drift = Drift(
        error_cell=ErrorCell("outcomes", "value", row=1, error="#DIV/0!"),  # error cell
        formulas=True,  # participants totals as formulas: must stay formulas in the copy
        extra_sheet=True,  # a sheet not of the form: a warning with a sheet but no cell
    )
    # The file name says KAZ 2022, the Cover MEX 2023: a warning with neither sheet nor cell.
    return write_return(content, path, engine="xlsxwriter", drift=drift)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("feedback")
    inputs, warehouse = root / "inputs", root / "warehouse"
    inputs.mkdir()
    planted = planted_return(inputs / "KAZ_2022.xlsx")
    shutil.copy(planted, inputs / "KAZ_2022 (copy).xlsx")  # same bytes: DUPLICATE
    (inputs / "junk.xlsx").write_bytes(b"\x00\x01 plainly not a workbook" * 20)  # cannot be opened
    write_return(sample_return("TUR"), inputs / "TUR_2023.xlsx", drift=Drift(omit_sheets=("cover",)))
    write_return(sample_return("CHL"), inputs / "CHL_2023.xlsx")  # clean: something gets published
    os.utime(inputs / "KAZ_2022 (copy).xlsx", (1_800_000_000, 1_800_000_000))  # received after the original
    result = run_pipeline(inputs, warehouse)
    paths = Paths(inputs, warehouse)
    # The run's feedback asset wrote it; its metadata is what a data engineer sees in the UI.
    (materialization,) = result.asset_materializations_for_node("feedback")
    metadata = {key: entry.value for key, entry in materialization.metadata.items()}
    report = FeedbackReport(
        Path(metadata["feedback_folder"]),
        metadata["feedback_written"],
        metadata["feedback_unchanged"],
        metadata["feedback_workbooks"],
        Path(metadata["validation_report"]),
    )
    ids = dict(query(warehouse, "SELECT file_name, submission_id FROM received.submissions"))
    return {"paths": paths, "report": report, "ids": ids}


def folder(run: dict, file_name: str) -> Path:
    return run["paths"].feedback / run["ids"][file_name]


def issues_rows(workbook) -> list[dict]:
    rows = list(workbook["Issues"].iter_rows(values_only=True))
    return [dict(zip(ISSUE_COLUMNS, row, strict=True)) for row in rows[1:]]


def test_every_planted_error_is_commented_at_its_cell_and_listed(run):
    workbook = openpyxl.load_workbook(folder(run, "KAZ_2022.xlsx") / "feedback.xlsx")
    listed = {(row["sheet"], row["cell"], row["rule"]) for row in issues_rows(workbook)}
    for label, planted in PLANTED.items():
        cell = workbook[planted.sheet][planted.cell]
        assert cell.comment is not None, label
        assert planted.rule in cell.comment.text, (label, cell.comment.text)
        assert planted.words in cell.comment.text, (label, cell.comment.text)
        assert cell.fill.fill_type == "solid", label
        assert cell.fill.fgColor.rgb.endswith(FILLS[planted.severity]), label
        assert (planted.sheet, planted.cell, planted.rule) in listed, label


def test_the_copy_keeps_what_was_sent(run):
    path = folder(run, "KAZ_2022.xlsx") / "feedback.xlsx"
    with zipfile.ZipFile(path) as archive:  # the package editor's parts, not openpyxl's (xl/comments/)
        assert {"xl/comments1.xml", "xl/drawings/vmlDrawing1.vml"} <= set(archive.namelist())
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[0] == "Issues" and workbook.active.title == "Issues"
    activities = workbook[sheet("activities")]
    total = activities[cell_of("activities", "participants_total", 1)].value
    assert isinstance(total, str) and total.startswith("="), total  # a formula stays a formula
    assert activities[cell_of("activities", "title", 0)].value == "Nelson Mandela Rules for prison officers"
    assert activities[cell_of("activities", "title", 0)].comment is None  # a clean cell is left alone


def test_findings_without_a_cell_are_listed_too(run):
    workbook = openpyxl.load_workbook(folder(run, "KAZ_2022.xlsx") / "feedback.xlsx")
    rows = {row["rule"]: row for row in issues_rows(workbook)}
    assert rows["file_name_mismatch"]["sheet"] is None and rows["file_name_mismatch"]["cell"] is None
    assert rows["unknown_sheet"]["sheet"] == "Comments" and rows["unknown_sheet"]["cell"] is None
    assert "KAZ 2022" in rows["file_name_mismatch"]["message"]
    stored = query(
        run["paths"].warehouse,
        "SELECT count(*) FROM (SELECT submission_id FROM parsed.findings UNION ALL "
        "SELECT submission_id FROM validated.findings) WHERE submission_id = ?",
        [run["ids"]["KAZ_2022.xlsx"]],
    )
    assert len(rows) <= stored[0][0] == len(issues_rows(workbook))  # every finding, none invented


def test_feedback_md_gives_status_counts_and_every_message(run):
    page = (folder(run, "KAZ_2022.xlsx") / "feedback.md").read_text(encoding="utf-8")
    errors, warnings = query(
        run["paths"].warehouse,
        "SELECT errors, warnings FROM published.coverage WHERE submission_id = ?",
        [run["ids"]["KAZ_2022.xlsx"]],
    )[0]
    assert "**ACCEPTED_WITH_WARNINGS**" in page
    assert f"| Erreurs | {errors} |" in page and f"| Avertissements | {warnings} |" in page
    for planted in PLANTED.values():
        assert f"`{planted.rule}`" in page, planted.rule


def test_a_file_that_cannot_be_opened_gets_feedback_md_only(run):
    junk = folder(run, "junk.xlsx")
    assert not (junk / "feedback.xlsx").exists()
    page = (junk / "feedback.md").read_text(encoding="utf-8")
    assert "**REJECTED**" in page and "`not_a_workbook`" in page
    assert "could not be opened as a workbook" in page
    no_cover = folder(run, "TUR_2023.xlsx")  # rejected, but a workbook: it is copied and marked
    assert (no_cover / "feedback.xlsx").exists()
    assert "no_cover" in {
        row["rule"] for row in issues_rows(openpyxl.load_workbook(no_cover / "feedback.xlsx"))
    }


def test_a_clean_return_is_told_so(run):
    page = (folder(run, "CHL_2023.xlsx") / "feedback.md").read_text(encoding="utf-8")
    assert "**ACCEPTED**" in page and "Nothing to report." in page
    rows = list(openpyxl.load_workbook(folder(run, "CHL_2023.xlsx") / "feedback.xlsx")["Issues"].iter_rows())
    assert len(rows) == 1  # the header alone


def test_a_duplicate_points_to_the_original(run):
    page = (folder(run, "KAZ_2022 (copy).xlsx") / "feedback.md").read_text(encoding="utf-8")
    original = run["ids"]["KAZ_2022.xlsx"]
    assert "**DUPLICATE**" in page and f"](../{original}/feedback.md)" in page
    assert "Doublon" in page  # it speaks the original's language


def test_the_run_report_links_every_submission_and_counts_per_rule(run):
    report = run["report"]
    assert report.written == len(run["ids"]) and report.unchanged == 0 and report.workbooks == 4
    page = report.report_path.read_text(encoding="utf-8")
    links = _Links()
    links.feed(page)
    assert not links.external, links.external  # self-contained: nothing fetched from anywhere
    targets = {(report.report_path.parent / href).resolve() for href in links.hrefs}
    for file_name in run["ids"]:
        assert (folder(run, file_name) / "feedback.md").resolve() in targets, file_name
    assert all(target.exists() for target in targets)
    row = re.search(r"<tr><td>women_not_above_total</td><td>[^<]*</td><td>critical</td>(.*?)</tr>", page)
    assert row and re.findall(r'class="n">(\d+)<', row.group(1)) == [
        "7",
        "1",
    ]  # 4 + 3 activities checked, 1 failing


def test_a_second_run_with_nothing_new_writes_nothing(run):
    paths = run["paths"]
    before = {p: p.stat().st_mtime_ns for p in paths.feedback.rglob("*")}
    again = write_feedback(paths)
    assert (again.written, again.unchanged, again.report_path) == (0, len(run["ids"]), None)
    assert {p: p.stat().st_mtime_ns for p in paths.feedback.rglob("*")} == before
    # Feedback that no longer matches what it was made from is written again, alone.
    state = folder(run, "junk.xlsx") / STATE_FILE
    state.write_text(state.read_text(encoding="utf-8").replace('"digest": "', '"digest": "stale'), "utf-8")
    redone = write_feedback(paths)
    assert redone.written_ids == (run["ids"]["junk.xlsx"],) and redone.report_path is not None
    assert not [p for p in paths.feedback.iterdir() if p.name.startswith(".")]  # no temporary left


def test_libreoffice_converts_a_feedback_workbook_to_pdf(run, tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("soffice is not installed (Debian package: see .ci/run)")
        pytest.skip("soffice is not installed")
    source = folder(run, "KAZ_2022.xlsx") / "feedback.xlsx"
    done = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Error" not in done.stderr, done.stderr
    assert (tmp_path / "pdf" / "feedback.pdf").read_bytes().startswith(b"%PDF")


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                if re.match(r"^[a-z][a-z0-9+.-]*:", value):
                    self.external.append(value)
                elif name == "href":
                    self.hrefs.append(value)


def test_a_superseded_return_points_to_the_one_that_replaced_it(tmp_path):
    inputs, warehouse = tmp_path / "inputs", tmp_path / "warehouse"
    inputs.mkdir()
    older = write_return(sample_return("SEN", language="FR"), inputs / "SEN_2023.xlsx")
    corrected = sample_return("SEN", language="FR")
    corrected.prisons["PRISON_CAPACITY"][2023] = 10_500
    newer = write_return(corrected, inputs / "SEN_2023_v2.xlsx")
    os.utime(older, (1_700_000_000, 1_700_000_000))
    os.utime(newer, (1_700_100_000, 1_700_100_000))
    run_pipeline(inputs, warehouse)
    ids = dict(query(warehouse, "SELECT file_name, submission_id FROM received.submissions"))
    old_page = (warehouse / "feedback" / ids["SEN_2023.xlsx"] / "feedback.md").read_text(encoding="utf-8")
    assert old_page.startswith("# Observations sur votre formulaire : SEN\\_2023.xlsx\n")  # French spacing
    assert "**SUPERSEDED**" in old_page
    assert (
        "Remplacée par la soumission plus récente pour le même État Membre et la même année "
        f"[`{ids['SEN_2023_v2.xlsx']}`](../{ids['SEN_2023_v2.xlsx']}/feedback.md)."
    ) in old_page
    new_page = (warehouse / "feedback" / ids["SEN_2023_v2.xlsx"] / "feedback.md").read_text(encoding="utf-8")
    assert "**ACCEPTED**" in new_page and "Remplacée" not in new_page
