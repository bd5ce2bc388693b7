"""The whole pipeline, in one real Dagster run, over returns that show every drift of the spec,
every kind of file that is not a return, planted row errors, a duplicate, a resubmission and a
revision of an earlier year's prison figures."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import os
import shutil
from pathlib import Path

import openpyxl
import pytest
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile

from pipelines.forms.content import ReturnContent
from pipelines.forms.return_writer import Drift, ErrorCell, write_return
from pipelines.release.layout import ACTIVITIES
from pipelines.synthetic.generator import _lock_file
from tests.conftest import query, run_pipeline, sample_return

pytestmark = pytest.mark.slow

# state -> (language, engine, drift): each return shows drifts a real one has been seen with.
DRIFTED = {
    "FRA": ("FR", "openpyxl", Drift(codes_as="label", numbers_as_text=True, dates_as="text_dmy_slash")),
    "ESP": ("ES", "openpyxl", Drift(codes_as="plain", floats_for_ints=True, dates_as="text_dmy_dot")),
    "RUS": (
        "RU",
        "openpyxl",
        Drift(
            member_state_as_name=True,
            dates_as="serial",
            header_case_and_spaces=True,
            padded_text=True,
            numbers_as_text=True,
        ),
    ),
    "KGZ": (
        "EN",
        "openpyxl",
        Drift(
            header_language="RU",
            title_rows_above=3,
            shuffle_columns=True,
            extra_column=True,
            extra_sheet=True,
            hidden_lists_sheet=True,
            prison_years_newest_first=True,
            seed=7,
        ),
    ),
    "ARG": ("ES", "xlsxwriter", Drift(formulas=True, codes_as="messy", dates_as="text_iso", seed=3)),
}

# What a focal point wrote, as published: the release layout's columns without those the pipeline adds.
ACTIVITY_COLUMNS = tuple(
    name
    for name in ACTIVITIES.column_names
    if name not in ("iso3", "country", "region", "subregion", "reporting_year", "submission_id")
)


def expected_activities(content: ReturnContent) -> list[tuple]:
    return sorted(
        (
            a.activity_id,
            a.thematic_area,
            a.activity_type,
            a.title,
            a.start_date,
            a.end_date,
            a.delivery_mode,
            a.participants_total,
            a.participants_women,
            a.beneficiary_group,
            ";".join(sorted(a.standards)) or None,
            ";".join(a.partners) or None,
        )
        for a in content.activities
    )


def expected_prisons(content: ReturnContent) -> list[tuple]:
    rows = []
    for indicator, years in content.prisons.items():
        for year, cell in years.items():
            if isinstance(cell, int | float):
                rows.append((year, indicator, float(cell), "A"))
            elif cell == "..":
                rows.append((year, indicator, None, "M"))
            elif cell in ("n.a.", "-"):
                rows.append((year, indicator, None, "Z"))
            else:
                number, qualifier = cell.split(" ")
                rows.append((year, indicator, float(number), {"(e)": "E", "(p)": "P"}[qualifier]))
    return sorted(rows)


LOCK_FILE_BYTES = _lock_file("Focal point KAZ")


def write_non_returns(inputs: Path, valid: Path) -> dict[str, str]:
    """file name -> the rule that must reject it."""
    (inputs / "corrupt.xlsx").write_bytes(b"PK\x03\x04" + os.urandom(2000))
    (inputs / "truncated.xlsx").write_bytes(valid.read_bytes()[: valid.stat().st_size // 2])
    encrypted = io.BytesIO()
    with valid.open("rb") as plain:
        office = OOXMLFile(plain)
        office.encrypt("secret", encrypted)
    (inputs / "protected.xlsx").write_bytes(encrypted.getvalue())
    legacy = xlwt.Workbook()
    legacy.add_sheet("Cover").write(0, 0, "Member State")
    legacy.save(str(inputs / "legacy.xls"))
    (inputs / "activities.csv").write_text("Activity ID,Title\nA1,Training\n", encoding="utf-8")
    (inputs / "empty.xlsx").write_bytes(b"")
    openpyxl.Workbook().save(inputs / "blank_workbook.xlsx")
    write_return(sample_return("TUR"), inputs / "TUR_2023.xlsx", drift=Drift(omit_sheets=("cover",)))
    write_return(
        dataclasses.replace(
            sample_return("KAZ"), cover=dataclasses.replace(sample_return().cover, member_state="Kosovo")
        ),
        inputs / "XKX_2023.xlsx",
    )
    future = sample_return("CHN", 2031)
    write_return(future, inputs / "CHN_2031.xlsx")
    (inputs / "~$KAZ_2023.xlsx").write_bytes(LOCK_FILE_BYTES)  # what Excel leaves beside an open workbook
    return {
        "corrupt.xlsx": "corrupt",
        "truncated.xlsx": "corrupt",
        "protected.xlsx": "password_protected",
        "legacy.xls": "legacy_xls",
        "activities.csv": "not_a_workbook_text",
        "empty.xlsx": "empty_file",
        "blank_workbook.xlsx": "no_cover",
        "TUR_2023.xlsx": "no_cover",
        "XKX_2023.xlsx": "member_state_un_member",
        "CHN_2031.xlsx": "reporting_year_range",
        "~$KAZ_2023.xlsx": "lock_file",
    }


def write_row_errors(inputs: Path) -> Path:
    content = sample_return("MEX")
    first, second, third = content.activities
    first.participants_women = 2000  # women > total: must be quarantined
    second.end_date = dt.date(2022, 1, 1)  # end < start: must be quarantined
    third.thematic_area = "PRISON_REFORMS"  # not a code: must be quarantined
    duplicate = dataclasses.replace(third, activity_id="ACT-1", thematic_area="CRIME_PREVENTION")
    content.activities.append(duplicate)  # ACT-1 twice: both rows quarantined
    late = dataclasses.replace(
        third,
        activity_id="ACT-9",
        thematic_area="CRIME_PREVENTION",
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2025, 1, 2),
    )
    content.activities.append(late)  # outside the reporting year: must be quarantined
    content.outcomes[0].activity_id = "ACT-404"  # unknown related activity: must be quarantined
    content.outcomes.append(
        dataclasses.replace(content.outcomes[1], unit=None, activity_id=None)
    )  # value, no unit
    content.prisons["PRISONERS_UNSENTENCED"][2023] = 20_000  # of which > total: that cell quarantined
    content.prisons["PRISONERS_FEMALE"][2022] = 900  # male + female != total: both quarantined
    drift = Drift(error_cell=ErrorCell("prisons", "PRISON_CAPACITY", year=2023, error="#REF!"))
    return write_return(content, inputs / "MEX_2023.xlsx", drift=drift)


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory) -> tuple[Path, Path, dict]:
    root = tmp_path_factory.mktemp("e2e")
    inputs, warehouse = root / "inputs", root / "warehouse"
    inputs.mkdir()
    clean = write_return(sample_return("KAZ", 2023, total_2021=11_000), inputs / "KAZ_2023.xlsx")
    write_return(sample_return("KAZ", 2022), inputs / "KAZ_2022.xlsx")  # says 2021 = 11,200: revised by 2023
    drifted = {}
    for iso3, (language, engine, drift) in DRIFTED.items():
        content = sample_return(iso3, language=language)
        drifted[iso3] = content
        write_return(content, inputs / f"{iso3}_2023.xlsx", language=language, engine=engine, drift=drift)
    write_return(sample_return("BRA"), inputs / "CHL_2023.xlsx")  # file name disagrees with the Cover
    write_return(sample_return("NGA"), inputs / "NGA_2023.xlsx", drift=Drift(omit_sheets=("outcomes",)))
    (inputs / "copies").mkdir()
    shutil.copy(clean, inputs / "copies" / "KAZ_2023 (1).xlsx")  # same bytes: DUPLICATE
    old = write_return(sample_return("DEU"), inputs / "DEU_2023.xlsx")
    corrected = sample_return("DEU")
    corrected.activities[0].title = "Corrected title"
    new = write_return(corrected, inputs / "DEU_2023_v2.xlsx")
    os.utime(old, (1_700_000_000, 1_700_000_000))
    os.utime(new, (1_700_100_000, 1_700_100_000))  # received later: supersedes DEU_2023.xlsx
    write_row_errors(inputs)
    rejected = write_non_returns(inputs, clean)
    run_pipeline(inputs, warehouse)
    return inputs, warehouse, {"drifted": drifted, "rejected": rejected, "corrected": corrected}


def statuses(warehouse: Path) -> dict[str, str]:
    return dict(query(warehouse, "SELECT file_name, status FROM published.coverage"))


def test_clean_return_is_published_exactly(pipeline_run):
    _, warehouse, _ = pipeline_run
    coverage = query(
        warehouse,
        "SELECT status, errors, warnings FROM published.coverage WHERE file_name = ?",
        ["KAZ_2023.xlsx"],
    )
    assert coverage == [("ACCEPTED", 0, 0)]
    published = query(
        warehouse,
        f"SELECT {', '.join(ACTIVITY_COLUMNS)} FROM published.activities "  # noqa: S608
        "WHERE iso3 = 'KAZ' AND reporting_year = 2023 ORDER BY activity_id",
    )
    assert published == expected_activities(sample_return("KAZ"))
    outcomes = query(
        warehouse,
        "SELECT outcome_no, result_type, value, unit, activity_id FROM "
        "published.assistance_outcomes WHERE iso3 = 'KAZ' AND reporting_year = 2023 ORDER BY outcome_no",
    )
    assert outcomes == [
        (1, "LAW_ADOPTED", None, None, "ACT-1"),
        (2, "PERSONS_ASSISTED", 1200.0, "PERSONS", "ACT-2"),
    ]


@pytest.mark.parametrize("iso3", sorted(DRIFTED))
def test_drifted_return_reads_as_the_clean_one(pipeline_run, iso3):
    _, warehouse, facts = pipeline_run
    content = facts["drifted"][iso3]
    status = query(warehouse, "SELECT status FROM published.coverage WHERE iso3 = ?", [iso3])
    assert status and status[0][0] in ("ACCEPTED", "ACCEPTED_WITH_WARNINGS")
    published = query(
        warehouse,
        f"SELECT {', '.join(ACTIVITY_COLUMNS)} FROM published.activities "  # noqa: S608
        "WHERE iso3 = ? ORDER BY activity_id",
        [iso3],
    )
    assert published == expected_activities(content)
    prisons = query(
        warehouse,
        "SELECT year, indicator, value, obs_status FROM published.prisons "
        "WHERE iso3 = ? AND NOT derived ORDER BY ALL",
        [iso3],
    )
    assert prisons == expected_prisons(content)
    errors = query(
        warehouse,
        "SELECT rule, message FROM validated.findings WHERE severity = 'error' AND "
        "submission_id IN (SELECT submission_id FROM published.coverage WHERE iso3 = ?)",
        [iso3],
    )
    assert errors == []


def test_unknown_columns_and_sheets_are_kept_aside_and_reported(pipeline_run):
    _, warehouse, _ = pipeline_run
    rules = {
        rule
        for (rule,) in query(
            warehouse,
            "SELECT rule FROM parsed.findings JOIN published.coverage USING (submission_id) "
            "WHERE iso3 = 'KGZ'",
        )
    }
    assert {"unknown_column", "unknown_sheet"} <= rules
    kept = query(
        warehouse,
        "SELECT count(*) FROM parsed.cells JOIN published.coverage USING (submission_id) "
        "WHERE iso3 = 'KGZ' AND field IS NULL AND sheet_kind = 'activities'",
    )
    assert kept[0][0] > 0


def test_file_name_mismatch_and_partial_return_are_warnings(pipeline_run):
    _, warehouse, _ = pipeline_run
    found = query(
        warehouse,
        "SELECT c.file_name, c.iso3, c.status, f.rule FROM parsed.findings f "
        "JOIN published.coverage c USING (submission_id) WHERE c.file_name IN (?, ?) ORDER BY 1",
        ["CHL_2023.xlsx", "NGA_2023.xlsx"],
    )
    assert ("CHL_2023.xlsx", "BRA", "ACCEPTED_WITH_WARNINGS", "file_name_mismatch") in found
    assert ("NGA_2023.xlsx", "NGA", "ACCEPTED_WITH_WARNINGS", "missing_sheet") in found


def test_files_that_are_not_returns_are_rejected_with_a_reason(pipeline_run):
    _, warehouse, facts = pipeline_run
    for file_name, rule in facts["rejected"].items():
        rows = query(
            warehouse,
            "SELECT c.status, f.rule, f.message FROM published.coverage c JOIN ("
            "SELECT * FROM parsed.findings UNION ALL SELECT * FROM validated.findings) f "
            "USING (submission_id) WHERE c.file_name = ? AND f.action = 'reject'",
            [file_name],
        )
        assert rows, file_name
        assert {row[0] for row in rows} == {"REJECTED"}, file_name
        assert rule in {row[1] for row in rows}, (file_name, rows)
        assert all(len(row[2]) > 20 for row in rows)
    published = query(warehouse, "SELECT count(*) FROM published.activities WHERE iso3 IN ('TUR', 'CHN')")
    assert published == [(0,)]


def test_a_lock_file_is_archived_rejected_in_coverage_and_told_what_to_send(pipeline_run):
    _, warehouse, _ = pipeline_run
    ((submission_id, sha256, iso3, year, status, errors),) = query(
        warehouse,
        "SELECT submission_id, sha256, iso3, reporting_year, status, errors FROM published.coverage "
        "WHERE file_name = ?",
        ["~$KAZ_2023.xlsx"],
    )
    assert (iso3, year, status, errors) == (None, None, "REJECTED", 1)
    assert sha256 == hashlib.sha256(LOCK_FILE_BYTES).hexdigest()
    assert (warehouse / "archive" / sha256[:2] / sha256).read_bytes() == LOCK_FILE_BYTES
    with (warehouse / "releases" / "latest" / "coverage.csv").open(encoding="utf-8", newline="") as handle:
        released = {row["submission_id"]: row for row in csv.DictReader(handle)}
    assert released[submission_id]["status"] == "REJECTED"
    assert released[submission_id]["iso3"] == released[submission_id]["reporting_year"] == ""
    feedback = (warehouse / "feedback" / submission_id / "feedback.md").read_text(encoding="utf-8")
    assert "**REJECTED**" in feedback
    assert "This is an Office lock file" in feedback
    assert "Please close the workbook in Excel and send the .xlsx file itself." in feedback


def test_same_bytes_are_a_duplicate(pipeline_run):
    _, warehouse, _ = pipeline_run
    assert statuses(warehouse)["KAZ_2023 (1).xlsx"] == "DUPLICATE"


def test_resubmission_supersedes_and_history_is_kept(pipeline_run):
    _, warehouse, _ = pipeline_run
    rows = dict(
        (name, (status, by))
        for name, status, by in query(
            warehouse, "SELECT file_name, status, superseded_by FROM published.coverage WHERE iso3 = 'DEU'"
        )
    )
    newest = query(
        warehouse, "SELECT submission_id FROM published.coverage WHERE file_name = 'DEU_2023_v2.xlsx'"
    )
    assert rows["DEU_2023.xlsx"] == ("SUPERSEDED", newest[0][0])
    assert rows["DEU_2023_v2.xlsx"][0] == "ACCEPTED"
    titles = {t for (t,) in query(warehouse, "SELECT title FROM published.activities WHERE iso3 = 'DEU'")}
    assert "Corrected title" in titles
    history = query(
        warehouse,
        "SELECT count(DISTINCT submission_id) FROM validated.activities a "
        "JOIN validated.covers c USING (submission_id) WHERE c.iso3 = 'DEU'",
    )
    assert history == [(2,)]


def test_a_later_reporting_year_revises_prison_values(pipeline_run):
    _, warehouse, _ = pipeline_run
    rows = query(
        warehouse,
        "SELECT year, value, reporting_year FROM published.prisons WHERE iso3 = 'KAZ' "
        "AND indicator = 'PRISONERS_TOTAL' ORDER BY year",
    )
    assert rows[0] == (2018, 10_000.0, 2022)  # only the 2022 return reaches back to 2018
    assert (2021, 11_000.0, 2023) in rows  # the 2022 return said 11,200; the 2023 return revised it
    derived = query(
        warehouse,
        "SELECT value, obs_status FROM published.prisons WHERE iso3 = 'KAZ' "
        "AND year = 2023 AND indicator IN ('OCCUPANCY_RATE', 'UNSENTENCED_SHARE', 'FEMALE_SHARE') "
        "ORDER BY indicator",
    )
    assert derived == [(4.3, "A"), (115.0, "A"), (29.6, "A")]


def test_row_errors_are_quarantined_with_reasons_at_their_cells(pipeline_run):
    _, warehouse, _ = pipeline_run
    quarantined = dict(
        query(
            warehouse,
            "SELECT activity_id || '@' || row_no, quarantine_reasons FROM validated.activities "
            "JOIN published.coverage USING (submission_id) WHERE file_name = 'MEX_2023.xlsx' AND quarantined",
        )
    )
    reasons = ";".join(quarantined.values())
    for rule in (
        "women_not_above_total",
        "end_not_before_start",
        "thematic_area_code",
        "activity_id_unique",
        "overlaps_reporting_year_start",
    ):
        assert rule in reasons, rule
    assert sum("activity_id_unique" in r for r in quarantined.values()) == 2
    published = query(warehouse, "SELECT activity_id FROM published.activities WHERE iso3 = 'MEX'")
    assert published == []  # every MEX activity had an error
    outcome_reasons = query(
        warehouse,
        "SELECT outcome_no, quarantine_reasons FROM validated.outcomes "
        "JOIN published.coverage USING (submission_id) WHERE file_name = 'MEX_2023.xlsx' "
        "AND quarantined ORDER BY outcome_no",
    )
    assert outcome_reasons == [(1, "related_activity_exists"), (3, "unit_with_value")]
    published_outcomes = query(
        warehouse, "SELECT outcome_no FROM published.assistance_outcomes WHERE iso3 = 'MEX'"
    )
    assert published_outcomes == [(2,)]
    cells = query(
        warehouse,
        "SELECT indicator, year, quarantine_reasons FROM validated.prison_values "
        "JOIN published.coverage USING (submission_id) WHERE file_name = 'MEX_2023.xlsx' "
        "AND quarantined ORDER BY ALL",
    )
    assert cells == [
        ("PRISONERS_FEMALE", 2022, "male_plus_female_equals_total"),
        ("PRISONERS_MALE", 2022, "male_plus_female_equals_total"),
        ("PRISONERS_UNSENTENCED", 2023, "of_which_not_above_total"),
        ("PRISON_CAPACITY", 2023, "number"),
    ]
    kept_total = query(
        warehouse,
        "SELECT value FROM published.prisons WHERE iso3 = 'MEX' AND year = 2022 "
        "AND indicator = 'PRISONERS_TOTAL'",
    )
    assert kept_total == [(11_200.0,)]
    error_cell = query(
        warehouse,
        "SELECT cell_ref, value_found, message FROM validated.findings f JOIN "
        "published.coverage USING (submission_id) WHERE file_name = 'MEX_2023.xlsx' AND "
        "f.field = 'PRISON_CAPACITY'",
    )
    assert len(error_cell) == 1 and error_cell[0][1] == "#REF!" and "Excel error" in error_cell[0][2]


def test_every_received_file_has_a_status_and_an_archived_copy(pipeline_run):
    inputs, warehouse, _ = pipeline_run
    received = {p.name for p in inputs.rglob("*") if p.is_file()}
    assert set(statuses(warehouse)) == received
    for (sha256,) in query(warehouse, "SELECT sha256 FROM received.submissions"):
        assert (warehouse / "archive" / sha256[:2] / sha256).is_file()
