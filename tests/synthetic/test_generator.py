"""The synthetic returns: every member state, the right language, plausible figures, planted drift
and errors at the asked rates, and the same bytes for the same seed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from pipelines.reference import countries, form
from pipelines.synthetic import LANGUAGE_BY_STATE, Manifest, generate, return_content, state_language
from pipelines.synthetic.__main__ import main
from pipelines.synthetic.generator import (
    FUTURE_REPORTING_YEAR,
    MANIFEST_FILE,
    NON_RETURN_KINDS,
    SYNTHETIC_MARK,
)

SEED = 20261128
SOME_STATES = ["KAZ", "FRA", "MEX", "NGA", "DEU", "CIV", "KGZ", "BRA", "NZL", "TUV", "IND", "BEL"]


@pytest.fixture(scope="module")
def full_year(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    """All 193 member states for one reporting year (a few seconds)."""
    out = tmp_path_factory.mktemp("synthetic_2022")
    return out, generate(out, range(2022, 2023), SEED)


def _cover(path: Path) -> list[list]:
    wb = CalamineWorkbook.from_path(path)
    return wb.get_sheet_by_name(wb.sheet_names[0]).to_python()


def _number(cell: object) -> float | None:
    if isinstance(cell, int | float):
        return float(cell)
    head = str(cell).split(" (")[0]
    return float(head) if head.isdigit() else None


# ---- a full year ----------------------------------------------------------------------------
def test_one_return_per_member_state(full_year: tuple[Path, Manifest]) -> None:
    out, manifest = full_year
    returns = manifest.of_kind("return")
    assert sorted(e.iso3 for e in returns) == sorted(countries.member_states())
    assert len(returns) == 193
    assert {e.file for e in returns} == {f"{iso3}_2022.xlsx" for iso3 in countries.member_states()}


def test_manifest_lists_every_file_with_its_hash(full_year: tuple[Path, Manifest]) -> None:
    out, manifest = full_year
    on_disk = {p.name for p in out.iterdir()} - {MANIFEST_FILE}
    assert on_disk == {e.file for e in manifest.files}
    for entry in manifest.files:
        assert hashlib.sha256((out / entry.file).read_bytes()).hexdigest() == entry.sha256
    assert Manifest.read(out / MANIFEST_FILE).to_dict() == manifest.to_dict()
    assert json.loads((out / MANIFEST_FILE).read_text())["synthetic"] is True


def test_languages_follow_the_table(full_year: tuple[Path, Manifest]) -> None:
    out, manifest = full_year
    assert set(LANGUAGE_BY_STATE) <= set(countries.member_states())
    assert {k for k, v in LANGUAGE_BY_STATE.items() if v == "RU"} == set(
        "ARM AZE BLR KAZ KGZ RUS TJK TKM UZB".split()
    )
    assert (state_language("FRA"), state_language("MEX"), state_language("NGA")) == ("FR", "ES", "EN")
    for entry in manifest.of_kind("return"):
        assert entry.language == state_language(entry.iso3)
    for iso3, language in (("KAZ", "RU"), ("CIV", "FR"), ("ARG", "ES"), ("IND", "EN")):
        wb = CalamineWorkbook.from_path(out / f"{iso3}_2022.xlsx")
        assert wb.sheet_names[0] == form.sheet_names("cover")[language]


def test_every_return_is_marked_synthetic(full_year: tuple[Path, Manifest]) -> None:
    out, manifest = full_year
    for entry in manifest.of_kind("return") + manifest.of_kind("resubmission"):
        cells = [str(v).strip() for row in _cover(out / entry.file) for v in row]
        assert any(SYNTHETIC_MARK in v for v in cells), entry.file
        assert any(v.endswith("@example.org") for v in cells), entry.file


def test_planted_rates_are_roughly_as_asked(full_year: tuple[Path, Manifest]) -> None:
    _, manifest = full_year
    returns = manifest.of_kind("return")
    drifted = sum(1 for e in returns if e.drift) / len(returns)
    broken = sum(1 for e in returns if e.errors) / len(returns)
    xlsxwriter = sum(1 for e in returns if e.engine == "xlsxwriter") / len(returns)
    assert 0.08 <= drifted <= 0.12  # ~10 %, in every year (spread draws, not coin flips)
    assert 0.02 <= broken <= 0.04  # ~3 %
    assert 0.22 <= xlsxwriter <= 0.45  # ~1/3
    assert 2 <= len(manifest.of_kind("resubmission")) <= 6  # ~2 %
    assert sorted(e.non_return for e in manifest.of_kind("not_a_return")) == sorted(NON_RETURN_KINDS)


def test_drift_never_hides_a_planted_error(full_year: tuple[Path, Manifest]) -> None:
    _, manifest = full_year
    for entry in manifest.of_kind("return"):
        planted = {e["sheet"] for e in entry.errors}
        assert not planted & set(entry.drift.get("omit_sheets", []))
        cell = entry.drift.get("error_cell")
        assert not cell or cell["sheet"] not in planted or cell["field"] == "PRISON_CAPACITY"


def test_resubmissions_supersede_a_return_and_are_sent_later(full_year: tuple[Path, Manifest]) -> None:
    out, manifest = full_year
    returns = {e.file: e for e in manifest.of_kind("return")}
    checked = 0
    for v2 in manifest.of_kind("resubmission"):
        assert v2.file == v2.supersedes.replace(".xlsx", "_v2.xlsx") and v2.supersedes in returns
        assert v2.changes and v2.sha256 != returns[v2.supersedes].sha256
        if not v2.drift:
            label = form.fields("cover")["submission_date"][v2.language]
            sent = [dict(_cover(out / f))[label] for f in (v2.supersedes, v2.file)]
            assert sent[0] < sent[1] and all(isinstance(d, dt.date) for d in sent)
            checked += 1
    assert checked


def test_files_that_are_not_returns(full_year: tuple[Path, Manifest]) -> None:
    out, manifest = full_year
    files = {e.non_return: out / e.file for e in manifest.of_kind("not_a_return")}
    assert not zipfile.is_zipfile(files["truncated"]) or zipfile.ZipFile(files["truncated"]).testzip()
    assert files["csv"].suffix == ".csv" and files["csv"].read_bytes().startswith(b"\xef\xbb\xbf")
    empty = CalamineWorkbook.from_path(files["empty_workbook"])
    assert empty.sheet_names == ["Sheet1"] and empty.get_sheet_by_name("Sheet1").to_python() == []
    no_cover = CalamineWorkbook.from_path(files["no_cover"]).sheet_names
    assert len(no_cover) == 3 and not set(no_cover) & set(form.sheet_names("cover").values())
    assert files["lock_file"].name.startswith("~$") and len(files["lock_file"].read_bytes()) == 165
    assert files["future_year"].name.endswith(f"_{FUTURE_REPORTING_YEAR}.xlsx")
    assert [FUTURE_REPORTING_YEAR] in [r[1:] for r in _cover(files["future_year"])]


def test_planted_row_errors_are_in_the_files(full_year: tuple[Path, Manifest]) -> None:
    out, manifest = full_year
    checked = 0
    for entry in manifest.of_kind("return"):
        if not entry.errors or entry.drift:
            continue
        lang = entry.language
        wb = CalamineWorkbook.from_path(out / entry.file)
        for error in entry.errors:
            if error["sheet"] != "activities":
                continue
            rows = wb.get_sheet_by_name(form.sheet_names("activities")[lang]).to_python()
            header = rows[0]
            row = rows[1 + error["row"]]
            cell = dict(zip(header, row, strict=True))
            col = form.fields("activities")
            if error["kind"] == "women_gt_total":  # women > total: must be quarantined
                assert cell[col["participants_women"][lang]] > cell[col["participants_total"][lang]]
            elif error["kind"] == "end_before_start":
                assert cell[col["end_date"][lang]] < cell[col["start_date"][lang]]
            elif error["kind"] in ("bad_date_text", "unknown_code"):
                assert cell[col[error["field"]][lang]] == error["value"]
            elif error["kind"] == "duplicate_activity_id":
                ids = [r[header.index(col["activity_id"][lang])] for r in rows[1:]]
                assert ids.count(error["activity_id"]) == 2
            checked += 1
    assert checked >= 1


# ---- determinism ----------------------------------------------------------------------------
def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes_and_jobs_do_not_matter(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", range(2020, 2022), SEED, SOME_STATES)
    generate(tmp_path / "b", range(2020, 2022), SEED, SOME_STATES, jobs=2)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert len(first.of_kind("return")) == 2 * len(SOME_STATES)
    generate(tmp_path / "c", range(2020, 2022), SEED + 1, SOME_STATES)
    assert _files(tmp_path / "a")["KAZ_2021.xlsx"] != _files(tmp_path / "c")["KAZ_2021.xlsx"]


def test_a_state_years_content_does_not_depend_on_what_else_is_generated(tmp_path: Path) -> None:
    generate(tmp_path / "one", range(2021, 2022), SEED, ["KAZ"])
    generate(tmp_path / "many", range(2019, 2023), SEED, ["FRA", "KAZ"])
    assert (tmp_path / "one" / "KAZ_2021.xlsx").read_bytes() == (
        tmp_path / "many" / "KAZ_2021.xlsx"
    ).read_bytes()


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path), "--years", "2021-2022", "--seed", "7", "--states", "kaz,mex"]) == 0
    manifest = Manifest.read(tmp_path / MANIFEST_FILE)
    assert (manifest.seed, manifest.years, manifest.states) == (7, [2021, 2022], ["KAZ", "MEX"])
    assert capsys.readouterr().out.startswith(f"{len(manifest.files)} files in ")


# ---- plausible content ----------------------------------------------------------------------
@pytest.mark.parametrize("iso3", SOME_STATES)
def test_content_is_plausible(iso3: str) -> None:
    for year in range(2019, 2024):
        c = return_content(iso3, year, SEED)
        assert c.cover.reporting_year == year and SYNTHETIC_MARK in c.cover.institution
        assert c.cover.email.endswith("@example.org") and c.cover.language == state_language(iso3)
        assert c.cover.submission_date >= dt.date(year, 1, 1)
        assert 0 <= len(c.activities) <= 40 and 0 <= len(c.outcomes) <= 10
        ids = [a.activity_id for a in c.activities]
        assert len(set(ids)) == len(ids)
        for a in c.activities:
            assert a.start_date <= (a.end_date or a.start_date)
            assert a.start_date <= dt.date(year, 12, 31) and (a.end_date or a.start_date) >= dt.date(
                year, 1, 1
            )
            if a.participants_women is not None:
                assert 0 <= a.participants_women <= a.participants_total
        assert all(o.activity_id is None or o.activity_id in ids for o in c.outcomes)
        p = c.prisons
        assert sorted(p["PRISONERS_TOTAL"]) == list(range(year - 4, year + 1))
        for y in range(year - 4, year + 1):
            total, male, female = (_number(p[code][y]) for code in ("PRISONERS_TOTAL", "PRISONERS_MALE",
                                                                    "PRISONERS_FEMALE"))  # fmt: skip
            assert male + female == total
            assert 0.5 <= total / _number(p["PRISON_CAPACITY"][y]) <= 2.5
            assert 0.1 - 0.005 <= _number(p["PRISONERS_UNSENTENCED"][y]) / total <= 0.8 + 0.005
            assert 0.02 - 0.005 <= female / total <= 0.10 + 0.005


def test_prison_figures_move_slowly_and_are_seldom_revised() -> None:
    same = changed = 0
    for iso3 in countries.member_states()[:60]:
        before = return_content(iso3, 2021, SEED).prisons
        after = return_content(iso3, 2022, SEED).prisons
        for code, cells in after.items():
            for y in range(2018, 2022):
                same += cells[y] == before[code][y]
                changed += cells[y] != before[code][y]
        totals = [_number(after["PRISONERS_TOTAL"][y]) for y in range(2018, 2023)]
        assert all(0.6 < b / a < 1.6 for a, b in zip(totals, totals[1:], strict=False))
    assert changed and changed / (same + changed) < 0.15


def test_marks_and_qualifiers_appear() -> None:
    cells = [
        v
        for iso3 in countries.member_states()[:60]
        for values in return_content(iso3, 2021, SEED).prisons.values()
        for v in values.values()
    ]
    texts = {v for v in cells if isinstance(v, str)}
    assert ".." in texts and {"n.a.", "N/A", "-"} & texts
    assert any(v.endswith(" (e)") for v in texts) and any(v.endswith(" (p)") for v in texts)
