"""The return writer: the form's layout in four languages, every drift option as calamine reads it
back, and the same bytes for the same content."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from pipelines.forms.content import Activity, Cover, Outcome, ReturnContent
from pipelines.forms.return_writer import (
    ENGINES,
    EXTRA_COLUMN_HEADER,
    EXTRA_SHEET_NAME,
    Drift,
    ErrorCell,
    render_return,
    write_return,
)
from pipelines.reference import codelists, countries, form

YEAR = 2023
PRISON_YEARS = [2019, 2020, 2021, 2022, 2023]


def content(language: str = "EN") -> ReturnContent:
    activities = [
        Activity("KAZ-1", "PRISON_REFORM", "TRAINING", "Mandela Rules for prison officers",
                 dt.date(2023, 3, 15), dt.date(2023, 3, 17), "IN_PERSON", 1162, 310, "PRISON_STAFF",
                 ["NELSON_MANDELA_RULES", "BANGKOK_RULES"], ["UNODC", "OHCHR"], "first cohort"),
        Activity("KAZ-2", "ACCESS_TO_JUSTICE", "WEBINAR", "Legal aid", dt.date(2022, 12, 1),
                 dt.date(2023, 1, 31), "ONLINE", 90, 45, "LAWYERS", [], []),
    ]  # fmt: skip
    prisons = {
        "PRISONERS_TOTAL": {2019: 30000, 2020: 31162, 2021: "..", 2022: "32000 (e)", 2023: 33000},
        "PRISONERS_MALE": {2023: 31000},
        "PRISONERS_FEMALE": {2023: 2000},
        "EMERGENCY_RELEASES": {2019: "n.a.", 2023: "-"},
        "PRISON_CAPACITY": {2023: 30000},
    }
    outcomes = [
        Outcome(
            "PRISON_REFORM",
            "PERSONS_RELEASED",
            "Early release",
            "ACHIEVED",
            1500,
            "PERSONS",
            "KAZ-1",
            "https://example.org/r",
        ),
        Outcome("CRIME_PREVENTION", "OTHER", "Share of schools covered", "IN_PROGRESS", 12.5, "PERCENT"),
    ]
    cover = Cover("KAZ", YEAR, "Ministry of Justice", "A. Focal", "focal@example.org", dt.date(2024, 2, 1),
                  language=language)  # fmt: skip
    return ReturnContent(cover, activities, prisons, outcomes)


def read(path: Path) -> dict[str, list[list]]:
    wb = CalamineWorkbook.from_path(path)
    return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}


def sheet(book: dict[str, list[list]], kind: str, language: str = "EN") -> list[list]:
    return book[form.sheet_names(kind)[language]]


def column(rows: list[list], header: str, header_row: int = 0) -> list:
    """The values under a header, matched after stripping and casefolding."""
    headers = [str(h).strip().casefold() for h in rows[header_row]]
    j = headers.index(header.casefold())
    return [r[j] for r in rows[header_row + 1 :]]


def headers(kind: str, language: str = "EN") -> list[str]:
    return [labels[language] for labels in form.fields(kind).values()]


def write(tmp_path: Path, drift: Drift | None = None, *, engine: str = "openpyxl", language: str = "EN",
          c: ReturnContent | None = None) -> dict[str, list[list]]:  # fmt: skip
    path = write_return(c or content(language), tmp_path / "KAZ_2023.xlsx", engine=engine, drift=drift)
    return read(path)


# ---- the form, exactly ----------------------------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
def test_clean_return_follows_the_form(tmp_path: Path, engine: str) -> None:
    book = write(tmp_path, engine=engine)
    assert list(book) == ["Cover", "Activities", "Prisons", "Outcomes"]
    assert sheet(book, "cover") == [
        ["Member State", "KAZ"],
        ["Reporting year", 2023.0],
        ["Reporting institution", "Ministry of Justice"],
        ["Focal point", "A. Focal"],
        ["Email", "focal@example.org"],
        ["Submission date", dt.date(2024, 2, 1)],  # a real Excel date
        ["Template version", "2022.1"],
        ["Language", "EN"],
    ]
    activities = sheet(book, "activities")
    assert activities[0] == headers("activities")
    assert activities[1] == [
        "KAZ-1", "PRISON_REFORM", "TRAINING", "Mandela Rules for prison officers", dt.date(2023, 3, 15),
        dt.date(2023, 3, 17), "IN_PERSON", 1162.0, 310.0, "PRISON_STAFF",
        "NELSON_MANDELA_RULES; BANGKOK_RULES", "UNODC; OHCHR", "first cohort",
    ]  # fmt: skip
    assert activities[2][10:13] == ["", "", ""]  # no standards, no partners, no notes: empty cells
    prisons = sheet(book, "prisons")
    assert prisons[0] == ["Indicator", *map(float, PRISON_YEARS), "Notes"]  # oldest first
    assert len(prisons) == 1 + len(form.indicators())
    assert prisons[1] == [
        "PRISONERS_TOTAL - " + form.indicators()["PRISONERS_TOTAL"]["EN"],
        30000.0, 31162.0, "..", "32000 (e)", 33000.0, "",
    ]  # fmt: skip
    assert [r[0].split(" - ")[0] for r in prisons[1:]] == list(form.indicators())
    outcomes = sheet(book, "outcomes")
    assert outcomes[0] == headers("outcomes")
    assert outcomes[1] == [
        "PRISON_REFORM", "PERSONS_RELEASED", "Early release", 1500.0, "PERSONS", "ACHIEVED", "KAZ-1",
        "https://example.org/r",
    ]  # fmt: skip
    assert outcomes[2][3] == 12.5


@pytest.mark.parametrize("language", ["FR", "ES", "RU"])
def test_sheet_names_labels_and_headers_are_translated(tmp_path: Path, language: str) -> None:
    book = write(tmp_path, language=language)
    assert list(book) == [form.sheet_names(k)[language] for k in form.SHEET_KINDS]
    assert [r[0] for r in sheet(book, "cover", language)] == [
        v[language] for v in form.fields("cover").values()
    ]
    assert sheet(book, "activities", language)[0] == headers("activities", language)
    assert sheet(book, "outcomes", language)[0] == headers("outcomes", language)
    prisons = form.prisons_vocabulary()
    header = sheet(book, "prisons", language)[0]
    assert (header[0], header[-1]) == (
        prisons["indicator_header"][language],
        prisons["notes_header"][language],
    )
    assert sheet(book, "prisons", language)[1][0].startswith(
        "PRISONERS_TOTAL - Persons held"
    )  # English label


def test_language_argument_overrides_the_covers(tmp_path: Path) -> None:
    path = write_return(content("EN"), tmp_path / "x.xlsx", language="ES")
    assert "Portada" in read(path)


# ---- same content, same bytes ---------------------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
def test_same_content_gives_same_bytes(engine: str) -> None:
    drift = Drift(seed=5, shuffle_columns=True, codes_as="messy", padded_text=True, title_rows_above=2)
    first = render_return(content(), engine=engine, drift=drift)
    assert render_return(content(), engine=engine, drift=drift) == first
    assert render_return(content(), engine=engine) != first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2024-02-01T09:00:00Z") == 2  # created and modified: the submission date, not the clock


# ---- every drift, as calamine reads it back ---------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
def test_title_rows_above_with_a_merged_title(tmp_path: Path, engine: str) -> None:
    path = write_return(content(), tmp_path / "t.xlsx", engine=engine, drift=Drift(title_rows_above=3))
    book = read(path)
    activities = sheet(book, "activities")
    assert activities[0][0].startswith("Activities - KAZ 2023")
    assert activities[3] == headers("activities")
    assert sheet(book, "cover")[3] == ["Member State", "KAZ"]
    merged = CalamineWorkbook.from_path(path).get_sheet_by_name("Activities").merged_cell_ranges
    assert merged == [((0, 0), (0, 12))]  # calamine: ((first row, first col), (last row, last col)), 0-based
    assert activities[0][1:] == [""] * 12  # a merged range's other cells read as ''


def test_headers_in_another_language_than_the_cover(tmp_path: Path) -> None:
    book = write(tmp_path, Drift(header_language="FR"))
    assert sheet(book, "activities")[0] == headers("activities", "FR")
    assert sheet(book, "outcomes")[0] == headers("outcomes", "FR")
    assert sheet(book, "prisons")[0][0] == "Indicateur"
    assert sheet(book, "cover")[0][0] == "Member State"  # Cover, sheet names and Language stay English
    assert sheet(book, "cover")[7] == ["Language", "EN"]


def test_header_case_and_spaces(tmp_path: Path) -> None:
    got = sheet(write(tmp_path, Drift(header_case_and_spaces=True, seed=1)), "activities")[0]
    assert got != headers("activities")
    assert [" ".join(h.split()).casefold() for h in got] == [h.casefold() for h in headers("activities")]
    assert all(h != h.strip() for h in got)


@pytest.mark.parametrize("engine", ENGINES)
def test_shuffled_columns_keep_their_values(tmp_path: Path, engine: str) -> None:
    book = write(tmp_path, Drift(shuffle_columns=True, seed=2), engine=engine)
    activities = sheet(book, "activities")
    assert activities[0] != headers("activities") and sorted(activities[0]) == sorted(headers("activities"))
    assert column(activities, "Activity ID") == ["KAZ-1", "KAZ-2"]
    assert column(activities, "Participants (total)") == [1162.0, 90.0]
    assert sorted(r[0] for r in sheet(book, "cover")) == sorted(
        v["EN"] for v in form.fields("cover").values()
    )


def test_prison_years_newest_first(tmp_path: Path) -> None:
    prisons = sheet(write(tmp_path, Drift(prison_years_newest_first=True)), "prisons")
    assert prisons[0] == ["Indicator", *map(float, reversed(PRISON_YEARS)), "Notes"]
    assert prisons[1][1:6] == [33000.0, "32000 (e)", "..", 31162.0, 30000.0]


def test_extra_column_and_extra_sheet(tmp_path: Path) -> None:
    book = write(tmp_path, Drift(extra_column=True, extra_sheet=True))
    activities = sheet(book, "activities")
    assert activities[0][2] == EXTRA_COLUMN_HEADER
    assert column(activities, EXTRA_COLUMN_HEADER) == ["REF-2023-0001", "REF-2023-0002"]
    assert sheet(book, "outcomes")[0][2] == EXTRA_COLUMN_HEADER
    assert book[EXTRA_SHEET_NAME][0] == ["Comments from the reporting institution"]


@pytest.mark.parametrize("engine", ENGINES)
def test_hidden_lists_sheet(tmp_path: Path, engine: str) -> None:
    path = write_return(
        content("FR"), tmp_path / "l.xlsx", engine=engine, drift=Drift(hidden_lists_sheet=True)
    )
    wb = CalamineWorkbook.from_path(path)
    meta = {m.name: m.visible for m in wb.sheets_metadata}
    assert meta["Listes"] == SheetVisibleEnum.Hidden  # hidden sheets are listed in sheet_names too
    assert meta["Couverture"] == SheetVisibleEnum.Visible
    rows = wb.get_sheet_by_name("Listes").to_python()
    assert rows[0] == list(codelists.LIST_NAMES)
    assert column(rows, "DELIVERY_MODE")[:3] == list(codelists.dropdown_labels("DELIVERY_MODE", "FR"))


def test_codes_as_labels_and_plain_forms(tmp_path: Path) -> None:
    labelled = sheet(write(tmp_path, Drift(codes_as="label"), language="ES"), "activities", "ES")
    assert labelled[1][1] == codelists.label("THEMATIC_AREA", "PRISON_REFORM", "ES")
    assert labelled[1][10] == "; ".join(
        codelists.label("STANDARD", s, "ES") for s in ("NELSON_MANDELA_RULES", "BANGKOK_RULES")
    )
    plain = sheet(write(tmp_path, Drift(codes_as="plain")), "activities")
    assert plain[1][1:3] == ["Prison reform", "Training"]
    assert plain[1][6] == "In person"


def test_messy_codes_are_odd_case_and_spacing_of_code_or_plain_form(tmp_path: Path) -> None:
    rows = sheet(write(tmp_path, Drift(codes_as="messy", seed=4)), "activities")
    for cell, code in ((rows[1][1], "PRISON_REFORM"), (rows[1][6], "IN_PERSON"), (rows[2][9], "LAWYERS")):
        assert cell not in (code, code.replace("_", " ").capitalize())
        assert cell != cell.strip() or "  " in cell or "\u00a0" in cell
        assert " ".join(cell.replace("\u00a0", " ").replace("_", " ").split()).casefold() == (
            code.replace("_", " ").casefold()
        )


def test_unknown_code_and_text_date_are_written_as_they_stand(tmp_path: Path) -> None:
    c = content()
    c.activities[0].thematic_area = "PRISON_REFORMS"  # unknown code: must stay as typed
    c.activities[0].start_date = "31/02/2023"  # type: ignore[assignment]  # a bad date, planted as text
    rows = sheet(write(tmp_path, Drift(codes_as="label"), c=c), "activities")
    assert rows[1][1] == "PRISON_REFORMS" and rows[1][4] == "31/02/2023"


@pytest.mark.parametrize(
    ("language", "expected"), [("EN", "1,162"), ("FR", "1\u202f162"), ("ES", "1.162"), ("RU", "1.162")]
)
def test_numbers_as_text_with_the_languages_thousands_separator(tmp_path: Path, language: str, expected: str):
    book = write(tmp_path, Drift(numbers_as_text=True), language=language)
    activities = sheet(book, "activities", language)
    assert activities[1][7:9] == [expected, "310"]
    prisons = sheet(book, "prisons", language)
    assert prisons[0][1:6] == [str(y) for y in PRISON_YEARS]  # years as text, never grouped
    assert prisons[1][4] == f"32{expected[1:-3]}000 (e)"  # the number inside a qualified cell too
    assert sheet(book, "cover", language)[1][1] == "2023"
    assert sheet(book, "outcomes", language)[2][3] == "12.5"


def test_floats_for_ints(tmp_path: Path) -> None:
    book = write(tmp_path, Drift(floats_for_ints=True))
    assert sheet(book, "activities")[1][7:9] == ["1162.0", "310.0"]
    assert sheet(book, "prisons")[1][1:6] == ["30000.0", "31162.0", "..", "32000.0 (e)", "33000.0"]
    both = sheet(write(tmp_path, Drift(floats_for_ints=True, numbers_as_text=True, seed=1)), "activities")
    assert {type(v) for v in both[1][7:9]} == {str} and {both[1][7]} <= {"1162.0", "1,162"}


@pytest.mark.parametrize(
    ("dates_as", "start", "submitted"),
    [
        ("excel", dt.date(2023, 3, 15), dt.date(2024, 2, 1)),
        ("text_iso", "2023-03-15", "2024-02-01"),
        ("text_dmy_slash", "15/03/2023", "01/02/2024"),
        ("text_dmy_dot", "15.03.2023", "01.02.2024"),
        ("serial", 45000.0, 45323.0),  # a plain number: calamine gives a float, not a date
    ],
)
@pytest.mark.parametrize("engine", ENGINES)
def test_dates_as(tmp_path: Path, engine: str, dates_as: str, start: object, submitted: object) -> None:
    book = write(tmp_path, Drift(dates_as=dates_as), engine=engine)
    assert sheet(book, "activities")[1][4] == start
    assert sheet(book, "cover")[5][1] == submitted


def test_formulas_keep_their_cached_values(tmp_path: Path) -> None:
    path = write_return(content(), tmp_path / "f.xlsx", engine="xlsxwriter", drift=Drift(formulas=True))
    book = read(path)
    assert column(sheet(book, "activities"), "Participants (total)") == [
        1162.0,
        90.0,
    ]  # calamine: cached value
    assert sheet(book, "prisons")[1][5] == 33000.0
    with zipfile.ZipFile(path) as archive:
        activities_xml = archive.read("xl/worksheets/sheet2.xml").decode()
        prisons_xml = archive.read("xl/worksheets/sheet3.xml").decode()
    assert "<f>310+852</f><v>1162</v>" in activities_xml
    assert "<f>F3+F4</f><v>33000</v>" in prisons_xml  # TOTAL = MALE + FEMALE, by cell reference


def test_formulas_need_xlsxwriter(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="xlsxwriter"):
        write_return(content(), tmp_path / "f.xlsx", engine="openpyxl", drift=Drift(formulas=True))


@pytest.mark.parametrize("engine", ENGINES)
def test_error_cells(tmp_path: Path, engine: str) -> None:
    drift = Drift(error_cell=ErrorCell("prisons", "PRISON_CAPACITY", year=2023, error="#REF!"))
    path = write_return(content(), tmp_path / "e.xlsx", engine=engine, drift=drift)
    capacity = next(r for r in sheet(read(path), "prisons") if r[0].startswith("PRISON_CAPACITY"))
    assert capacity[5] == ""  # calamine 0.9.1 reads an error cell as '', like an empty one
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet3.xml").decode()
    assert 't="e"' in xml and "#REF!" in xml  # but the file holds a real error cell
    drift = Drift(error_cell=ErrorCell("activities", "participants_total", row=1, error="#DIV/0!"))
    rows = sheet(write(tmp_path, drift, engine=engine), "activities")
    assert column(rows, "Participants (total)") == [1162.0, ""]


def test_member_state_as_name(tmp_path: Path) -> None:
    book = write(tmp_path, Drift(member_state_as_name=True), language="RU")
    assert sheet(book, "cover", "RU")[0][1] == countries.country_name("KAZ", "RU")


def test_padded_text(tmp_path: Path) -> None:
    book = write(tmp_path, Drift(padded_text=True, seed=7))
    activities = sheet(book, "activities")
    texts = [v for row in activities[1:] for v in row if isinstance(v, str) and v]
    assert texts and all(v != v.strip() for v in texts)
    assert [v.strip() for v in activities[1][:4]] == ["KAZ-1", "PRISON_REFORM", "TRAINING",
                                                      "Mandela Rules for prison officers"]  # fmt: skip
    assert any("\u00a0" in v for row in book.values() for r in row for v in r if isinstance(v, str))
    assert sheet(book, "cover")[0][1].strip() == "KAZ"


@pytest.mark.parametrize("engine", ENGINES)
def test_omit_sheets(tmp_path: Path, engine: str) -> None:
    assert list(write(tmp_path, Drift(omit_sheets=("cover",)), engine=engine)) == [
        "Activities", "Prisons", "Outcomes",
    ]  # fmt: skip
    assert list(write(tmp_path, Drift(omit_sheets=("outcomes",)), engine=engine)) == [
        "Cover", "Activities", "Prisons",
    ]  # fmt: skip


def test_drift_active_lists_what_differs_from_the_form() -> None:
    assert Drift().active() == {}
    drift = Drift(seed=9, codes_as="plain", error_cell=ErrorCell("cover", "email"), omit_sheets=("outcomes",))
    assert drift.active() == {
        "codes_as": "plain",
        "error_cell": {"sheet": "cover", "field": "email", "row": 0, "year": None, "error": "#DIV/0!"},
        "omit_sheets": ["outcomes"],
        "seed": 9,
    }


@pytest.mark.parametrize(
    "bad",
    [{"codes_as": "emoji"}, {"dates_as": "roman"}, {"header_language": "DE"}, {"title_rows_above": -1},
     {"omit_sheets": ("cover", "activities", "prisons", "outcomes")},
     {"error_cell": ErrorCell("cover", "email", error="#OOPS")}],
)  # fmt: skip
def test_bad_options_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        render_return(content(), engine="xlsxwriter", drift=Drift(**bad))
