"""Blank return forms: the spec's sheets, labels and headers in four languages, dropdowns fed from the
hidden Lists sheet whose every label the parser reads back, number and date rules, locks, the
Instructions sheet, the CLI; and (slow) the forms filled only through what they offer, accepted by a
real pipeline run, and converted to PDF by LibreOffice."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from pipelines.forms.instructions import instruction_lines, messages
from pipelines.forms.template import LAST_ROW, render_template, template_file_name, write_template
from pipelines.forms.template_rules import FORMULA_MAX, TEXT_MAX, TITLE_MAX
from pipelines.forms.templates_cli import main
from pipelines.parsed.returns import parse_return
from pipelines.parsed.sheets import read_table
from pipelines.reference import codelists, countries, form
from tests.forms.template_helpers import (
    header_columns,
    is_input,
    list_source,
    offered,
    require_program,
    rule_at,
    rules_at,
    sheet,
)

YEAR = 2023
LANGUAGES = form.languages()
YEARS = [2019, 2020, 2021, 2022, 2023]


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The four blank forms of 2023, written once for the module."""
    out = tmp_path_factory.mktemp("forms")
    return {language: write_template(YEAR, language, out) for language in LANGUAGES}


def load(forms: dict[str, Path], language: str) -> openpyxl.Workbook:
    return openpyxl.load_workbook(forms[language])


# ---- the spec's sheets, labels and headers --------------------------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
def test_sheets_cover_labels_and_headers_are_the_forms(forms: dict[str, Path], language: str) -> None:
    wb = load(forms, language)
    assert forms[language].name == f"return-form-2023-{language}.xlsx"
    assert wb.sheetnames == [
        form.ignored_sheet_names()["instructions"][language],
        *(form.sheet_names(kind)[language] for kind in form.SHEET_KINDS),
        form.ignored_sheet_names()["lists"][language],
    ]
    assert [ws.sheet_state for ws in wb.worksheets] == ["visible"] * 5 + ["hidden"]
    cover = sheet(wb, "cover", language)
    assert [row[0].value for row in cover.iter_rows()] == [s[language] for s in form.fields("cover").values()]
    values = {name: cover.cell(row=i, column=2).value for i, name in enumerate(form.fields("cover"), start=1)}
    assert values == {  # prefilled: the year, the form's version and language; the rest is the State's
        "member_state": None, "reporting_year": YEAR, "institution": None, "focal_point": None,
        "email": None, "submission_date": None, "template_version": "2022.1", "language": language,
    }  # fmt: skip
    for kind in form.TABLE_KINDS:
        ws = sheet(wb, kind, language)
        assert [c.value for c in ws[1]] == [s[language] for s in form.fields(kind).values()]
        assert ws.max_row == 1 and ws.freeze_panes == "A2"
    prisons = sheet(wb, "prisons", language)
    vocabulary = form.prisons_vocabulary()
    assert [c.value for c in prisons[1]] == [
        vocabulary["indicator_header"][language],
        *YEARS,
        vocabulary["notes_header"][language],
    ]
    assert [r[0].value for r in prisons.iter_rows(min_row=2)] == [
        f"{code} - {spec['EN']}" for code, spec in form.indicators().items()
    ]
    assert prisons.freeze_panes == "B2"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_parser_reads_a_blank_form_as_the_form(forms: dict[str, Path], language: str) -> None:
    """Instructions and Lists are ignored by name; every header is recognised; nothing is set aside."""
    parsed = parse_return(forms[language], "blank", forms[language].name)
    assert parsed.status == "PARSED"
    assert parsed.sheets == {kind: form.sheet_names(kind)[language] for kind in form.SHEET_KINDS}
    assert parsed.language == language
    assert [f.rule for f in parsed.findings] == []
    headers = {c.field for c in parsed.cells if c.sheet_kind.endswith("_header")}
    assert headers == set(form.fields("activities")) | set(form.fields("outcomes"))


# ---- dropdowns --------------------------------------------------------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_coded_column_has_a_dropdown_of_labels_from_the_hidden_lists_sheet(
    forms: dict[str, Path], language: str
) -> None:
    wb = load(forms, language)
    lists_title = sheet(wb, "lists", language).title
    for kind in form.TABLE_KINDS:
        ws = sheet(wb, kind, language)
        columns = header_columns(ws, kind, language)
        for name, spec in form.fields(kind).items():
            if "codelist" not in spec:
                continue
            letter = openpyxl.utils.get_column_letter(columns[name])
            rule = rule_at(ws, f"{letter}2")
            assert rule is rule_at(ws, f"{letter}{LAST_ROW}")  # the whole column below the header
            assert rules_at(ws, f"{letter}1") == []  # not the header
            assert list_source(wb, rule)[0] == lists_title
            assert offered(wb, rule) == codelists.dropdown_labels(spec["codelist"], language)
            assert not rule.showDropDown  # (sic) True would hide the arrow
            # one choice per cell refuses anything else; a multi-code cell warns, so `a; b` can be kept
            assert rule.errorStyle == ("warning" if spec.get("multiple") else "stop")
    cover = sheet(wb, "cover", language)
    row = list(form.fields("cover")).index("member_state") + 1
    names = offered(wb, rule_at(cover, f"B{row}"))
    assert sorted(countries.resolve_member_state(n) for n in names) == sorted(countries.member_states())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_offered_label_is_read_back_by_the_parser_as_its_code(
    forms: dict[str, Path], language: str
) -> None:
    """Every label of every dropdown, typed in its column, through the parser's own table reader."""
    wb = load(forms, language)
    for kind in form.TABLE_KINDS:
        ws = sheet(wb, kind, language)
        columns = header_columns(ws, kind, language)
        coded = {
            name: offered(wb, rule_at(ws, f"{openpyxl.utils.get_column_letter(columns[name])}2"))
            for name, spec in form.fields(kind).items()
            if "codelist" in spec
        }
        headers = [c.value for c in ws[1]]
        height = max(len(labels) for labels in coded.values())
        grid: list[list[object]] = [headers]
        for i in range(height):
            row: list[object] = [""] * len(headers)
            row[0] = f"ROW-{i}"
            for name, labels in coded.items():
                row[columns[name] - 1] = labels[i % len(labels)]
            grid.append(row)
        read = read_table(kind, ws.title, grid, language)
        got = {(c.row_no, c.field): c.value for c in read.cells if c.field in coded}
        for name, labels in coded.items():
            list_name = form.fields(kind)[name]["codelist"]
            expected = codelists.codes(list_name)  # the i-th label stands for the i-th code
            for i in range(height):
                assert got[(i + 2, name)] == expected[i % len(labels)], (kind, name, labels[i % len(labels)])
    # a multi-code cell typed as the prompt says: labels separated by ';'
    standards = codelists.dropdown_labels("STANDARD", language)
    assert codelists.normalise_codes("STANDARD", "; ".join(standards)) == (
        sorted(codelists.codes("STANDARD")),
        [],
    )


# ---- numbers, dates and the other rules -------------------------------------------------------------
def test_numbers_and_dates_are_validated_where_excel_can(forms: dict[str, Path]) -> None:
    wb = load(forms, "EN")
    activities = sheet(wb, "activities", "EN")
    col = {
        n: openpyxl.utils.get_column_letter(c)
        for n, c in header_columns(activities, "activities", "EN").items()
    }

    def rule(name: str):
        return rule_at(activities, f"{col[name]}2")

    assert (rule("participants_total").type, rule("participants_total").operator) == (
        "whole",
        "greaterThanOrEqual",
    )
    women = rule("participants_women")
    assert (women.type, women.formula1) == ("whole", "0")
    assert women.formula2 == f"IF(ISNUMBER({col['participants_total']}2),{col['participants_total']}2,1E+15)"
    assert (rule("start_date").type, rule("start_date").formula1) == ("date", "DATE(2023,12,31)")
    assert rule("end_date").formula1 == f"MAX({col['start_date']}2,DATE(2023,1,1))"
    assert (
        rule("activity_id").formula1
        == f"COUNTIF(${col['activity_id']}$2:${col['activity_id']}${LAST_ROW},A2)=1"
    )
    assert activities.column_dimensions[col["start_date"]].number_format == "yyyy-mm-dd"
    assert rule("partners").type is None and rule("partners").prompt == messages("EN", YEAR)["several"]

    outcomes = sheet(wb, "outcomes", "EN")
    ocol = {
        n: openpyxl.utils.get_column_letter(c) for n, c in header_columns(outcomes, "outcomes", "EN").items()
    }
    value = rule_at(outcomes, f"{ocol['value']}2")
    assert (value.type, value.operator, value.formula1, value.formula2) == (
        "decimal",
        "between",
        "-1E+307",
        "1E+307",
    )
    related = rule_at(outcomes, f"{ocol['activity_id']}2")
    assert list_source(wb, related) == ("Activities", f"${col['activity_id']}$2:${col['activity_id']}$1001")
    assert related.errorStyle == "warning"

    cover = sheet(wb, "cover", "EN")
    rows = {name: i for i, name in enumerate(form.fields("cover"), start=1)}
    submitted = rule_at(cover, f"B{rows['submission_date']}")
    assert (submitted.type, submitted.formula1, submitted.formula2) == ("date", "DATE(2023,1,1)", "TODAY()")
    assert rule_at(cover, f"B{rows['email']}").type == "custom"

    prisons = sheet(wb, "prisons", "EN")
    cell_rule = rule_at(prisons, "B2")
    assert cell_rule is rule_at(prisons, f"F{1 + len(form.indicators())}")
    assert str(cell_rule.sqref) == f"B2:F{1 + len(form.indicators())}"  # the year cells, not Notes
    for mark in (*form.prisons_vocabulary()["marks"], *form.prisons_vocabulary()["qualifiers"]):
        assert f'"{mark}"' in cell_rule.formula1 or f'" {mark}"' in cell_rule.formula1


@pytest.mark.parametrize("language", LANGUAGES)
def test_rule_texts_are_in_the_forms_language_and_within_excel_limits(
    forms: dict[str, Path], language: str
) -> None:
    wb = load(forms, language)
    texts = set(messages(language, YEAR).values())
    count = 0
    for ws in wb.worksheets:
        for dv in ws.data_validations.dataValidation:
            count += 1
            assert dv.prompt in texts and (dv.error is None or dv.error in texts)
            assert len(dv.promptTitle) <= TITLE_MAX and len(dv.errorTitle or "") <= TITLE_MAX
            assert len(dv.prompt) <= TEXT_MAX and len(dv.error or "") <= TEXT_MAX
            assert len(dv.formula1 or "") <= FORMULA_MAX and len(dv.formula2 or "") <= FORMULA_MAX
    assert count == 3 + 11 + 1 + 6  # Cover 3, Activities 11 of 13 columns, Prisons 1, Outcomes 6 of 8
    other = {lang: set(messages(lang, YEAR).values()) for lang in LANGUAGES if lang != language}
    assert all(not (texts & theirs) for theirs in other.values())


# ---- locks ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
def test_headers_locked_inputs_unlocked_and_every_sheet_protected_without_password(
    forms: dict[str, Path], language: str
) -> None:
    wb = load(forms, language)
    for ws in wb.worksheets:
        assert ws.protection.sheet and ws.protection.password is None, ws.title
    for kind in form.TABLE_KINDS:
        ws = sheet(wb, kind, language)
        width = len(form.fields(kind))
        assert [is_input(ws, c) for c in ws[1]] == [False] * width
        assert all(
            is_input(ws, ws.cell(row=r, column=c)) for r in (2, 500, LAST_ROW) for c in range(1, width + 1)
        )
        assert all(12 <= ws.column_dimensions[c.column_letter].width <= 45 for c in ws[1])
    cover = sheet(wb, "cover", language)
    prefilled = {"reporting_year", "template_version", "language"}
    for row, name in enumerate(form.fields("cover"), start=1):
        assert not is_input(cover, cover.cell(row=row, column=1))
        assert is_input(cover, cover.cell(row=row, column=2)) == (name not in prefilled), name
    prisons = sheet(wb, "prisons", language)
    assert not any(is_input(prisons, c) for c in prisons[1])
    for row in prisons.iter_rows(min_row=2):
        assert [is_input(prisons, c) for c in row] == [False] + [True] * (len(YEARS) + 1)
    assert not is_input(sheet(wb, "instructions", language), sheet(wb, "instructions", language)["A1"])


# ---- Instructions -----------------------------------------------------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
def test_instructions_sheet_is_in_the_forms_language(forms: dict[str, Path], language: str) -> None:
    ws = sheet(load(forms, language), "instructions", language)
    lines = [row[0].value for row in ws.iter_rows()]
    assert lines == [line.text for line in instruction_lines(language, YEAR)]
    text = "\n".join(lines)
    assert "{" not in text and "}" not in text  # every placeholder filled
    for kind in form.SHEET_KINDS:
        assert form.sheet_names(kind)[language] in text
    for name in ("standards", "partners", "activity_id"):
        assert form.fields("activities")[name][language] in text
    for mark in form.prisons_vocabulary()["marks"]:
        assert mark in text
    assert str(YEAR) in lines[0]
    others = [instruction_lines(lang, YEAR)[0].text for lang in LANGUAGES if lang != language]
    assert lines[0] not in others


# ---- same bytes, per-State forms, the CLI -----------------------------------------------------------
def test_same_year_and_language_give_the_same_bytes() -> None:
    first = render_template(YEAR, "FR")
    assert render_template(YEAR, "FR") == first
    assert render_template(YEAR, "ES") != first
    assert render_template(YEAR - 1, "FR") != first


def test_a_per_state_form_has_its_member_state_prefilled_and_locked(tmp_path: Path) -> None:
    path = write_template(YEAR, "RU", tmp_path, member_state="KGZ")
    assert path.name == template_file_name(YEAR, "RU", "KGZ") == "KGZ_2023_RU.xlsx"
    cover = sheet(openpyxl.load_workbook(path), "cover", "RU")
    assert cover["B1"].value == countries.country_name("KGZ", "RU") == "Кыргызстан"
    assert not is_input(cover, cover["B1"]) and rules_at(cover, "B1") == []
    parsed = parse_return(path, "kgz", path.name)
    assert parsed.cover_value("member_state") == "KGZ" and parsed.findings == []
    with pytest.raises(ValueError, match="member State"):
        write_template(YEAR, "EN", tmp_path, member_state="XKX")


def test_cli_writes_the_four_forms_and_per_state_forms(tmp_path: Path, capsys) -> None:
    assert main(["--year", "2023", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"return-form-2023-{lang}.xlsx" for lang in sorted(LANGUAGES)
    ]
    assert (
        main(["--year", "2022", "--out", str(tmp_path / "s"), "--languages", "FR", "--states", "kaz", "FRA"])
        == 0
    )
    assert sorted(p.name for p in (tmp_path / "s").rglob("*.xlsx")) == [
        "FRA_2022_FR.xlsx", "KAZ_2022_FR.xlsx", "return-form-2022-FR.xlsx",
    ]  # fmt: skip
    assert main(["--year", "2023", "--out", str(tmp_path / "x"), "--states", "XKX"]) == 2
    assert "XKX" in capsys.readouterr().err


# ---- LibreOffice --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_libreoffice_converts_each_form_to_pdf_and_keeps_every_rule(
    forms: dict[str, Path], tmp_path: Path
) -> None:
    soffice = require_program("soffice")
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"
    files = [str(forms[lang]) for lang in LANGUAGES]
    for fmt, out in (("pdf", tmp_path / "pdf"), ("ods", tmp_path / "ods")):
        done = subprocess.run(
            [soffice, profile, "--headless", "--convert-to", fmt, "--outdir", str(out), *files],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "Error" not in done.stderr, done.stderr
    for language in LANGUAGES:
        pdf = (tmp_path / "pdf" / forms[language].with_suffix(".pdf").name).read_bytes()
        assert pdf.startswith(b"%PDF")
        pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
        assert 5 <= pages <= 12, pages  # one or two pages per visible sheet, not thousands of blank ones
        with zipfile.ZipFile(tmp_path / "ods" / forms[language].with_suffix(".ods").name) as ods:
            content = ods.read("content.xml").decode()
        assert content.count("<table:content-validation ") == 21  # LibreOffice read all 21 rules
        assert 'table:name="' + form.ignored_sheet_names()["lists"][language] + '"' in content
