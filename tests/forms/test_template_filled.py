"""The four blank forms, filled in as a focal point would, only through what each form offers (its
dropdown entries, its prefilled Cover, the marks its prompts name) and only in cells it leaves
unlocked; then one real pipeline run over the four: every return ACCEPTED, no finding at all, and
every label chosen read back as the code it stands for."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from pipelines.forms.template import write_template
from pipelines.reference import codelists, countries, form
from tests.conftest import query, run_pipeline
from tests.forms.template_helpers import header_columns, is_input, offered, rule_at, sheet

pytestmark = pytest.mark.slow

YEAR = 2023
SUBMITTED = dt.date(YEAR + 1, 2, 1)
# Prison figures that meet every rule (MALE + FEMALE = TOTAL, of-which <= TOTAL, no 50 % jumps).
PRISON_FIGURES = {
    "PRISONERS_TOTAL": 1000, "PRISONERS_MALE": 900, "PRISONERS_FEMALE": 100, "PRISONERS_UNSENTENCED": 300,
    "PRISONERS_JUVENILE": 20, "PRISONERS_FOREIGN": 50, "PRISON_CAPACITY": 1200, "PRISON_FACILITIES": 10,
    "DEATHS_IN_CUSTODY": 3, "PRISON_STAFF": 400, "NONCUSTODIAL_PERSONS": 150,
}  # fmt: skip


def mark(status: str) -> str:
    """The first mark the form names for an observation status (`..` for M, `n.a.` for Z)."""
    return next(m for m, s in form.prisons_vocabulary()["marks"].items() if s == status)


def qualified(number: int, status: str) -> str:
    """`1000 (e)`: a number with the qualifier the form names for a status."""
    return f"{number} {next(q for q, s in form.prisons_vocabulary()['qualifiers'].items() if s == status)}"


class Filler:
    """Types into one form: refuses a locked cell, remembers which label stood for which code."""

    def __init__(self, workbook: openpyxl.Workbook, language: str, seed: int) -> None:
        self.wb = workbook
        self.language = language
        self.rng = random.Random(seed)
        self.chosen: dict[tuple[str, int, str], str] = {}  # (kind, row, field) -> code(s) expected

    def type(self, ws: Worksheet, row: int, col: int, value: object) -> None:
        cell = ws.cell(row=row, column=col)
        assert is_input(ws, cell), f"{ws.title}!{cell.coordinate} is locked"
        cell.value = value

    def offers(self, ws: Worksheet, row: int, col: int) -> list[str]:
        """What the cell's own dropdown offers."""
        return offered(self.wb, rule_at(ws, ws.cell(row=row, column=col).coordinate))

    def choose(self, ws: Worksheet, row: int, col: int, k: int = 1) -> list[str]:
        """k entries of the cell's own dropdown (seeded)."""
        return self.rng.sample(self.offers(ws, row, col), k)

    def code(self, list_name: str, label: str) -> str:
        """The code a label stands for by its place in the list (labels are offered in code order)."""
        return codelists.codes(list_name)[codelists.dropdown_labels(list_name, self.language).index(label)]

    def cover(self, member_state: str) -> None:
        ws = sheet(self.wb, "cover", self.language)
        by_label = {spec[self.language]: name for name, spec in form.fields("cover").items()}
        typed = {
            "member_state": member_state,
            "institution": "Ministry of Justice",
            "focal_point": "A. Focal",
            "email": "focal@example.org",
            "submission_date": SUBMITTED,
        }
        prefilled = {"reporting_year": YEAR, "template_version": "2022.1", "language": self.language}
        for row in range(1, ws.max_row + 1):
            name = by_label[ws.cell(row=row, column=1).value]
            if name in prefilled:  # the form's own values, locked: nothing to type
                assert ws.cell(row=row, column=2).value == prefilled[name]
                assert not is_input(ws, ws.cell(row=row, column=2))
                continue
            if name == "member_state":
                assert member_state in self.offers(ws, row, 2)
            self.type(ws, row, 2, typed.pop(name))
        assert typed == {}  # every input cell of the Cover filled

    def activities(self, count: int) -> None:
        kind = "activities"
        ws = sheet(self.wb, kind, self.language)
        specs = form.fields(kind)
        for i in range(count):
            row = 2 + i
            for name, col in header_columns(ws, kind, self.language).items():
                spec = specs[name]
                if "codelist" in spec:
                    # a multi-code column: two labels typed as the prompt says (`a; b`), then one, then none
                    k = {0: 2, 1: 1}.get(i, 0) if spec.get("multiple") else 1
                    if k == 0:
                        continue
                    labels = self.choose(ws, row, col, k)
                    self.type(ws, row, col, "; ".join(labels))
                    codes = sorted(self.code(spec["codelist"], label) for label in labels)
                    self.chosen[(kind, row, name)] = ";".join(codes)
                    continue
                value = {
                    "activity_id": f"ACT-{i + 1}",
                    "title": f"Activity {i + 1} of the year",
                    "start_date": dt.date(YEAR, 3, 1 + i),
                    "end_date": dt.date(YEAR, 3, 10 + i),
                    "participants_total": 40 + i,
                    "participants_women": 25,
                    "partners": "UNODC; OHCHR" if i == 0 else None,
                    "notes": "First cohort" if i == 0 else None,
                }[name]
                if value is not None:
                    self.type(ws, row, col, value)

    def prisons(self) -> None:
        ws = sheet(self.wb, "prisons", self.language)
        years = {cell.value: cell.column for cell in ws[1] if isinstance(cell.value, int)}
        assert sorted(years) == list(range(YEAR - 4, YEAR + 1))
        for row in range(2, ws.max_row + 1):
            code = ws.cell(row=row, column=1).value.split(" - ")[0]
            for year, col in years.items():
                if code in PRISON_FIGURES:
                    value: object = PRISON_FIGURES[code]
                    if code == "PRISON_STAFF" and year == YEAR - 1:
                        value = qualified(400, "E")  # estimated
                elif code == "EMERGENCY_RELEASES":
                    value = mark("Z")  # not applicable
                else:
                    value = mark("M") if year == YEAR - 4 else 7 + year - YEAR  # not available, then numbers
                self.type(ws, row, col, value)

    def outcomes(self, count: int) -> None:
        kind = "outcomes"
        ws = sheet(self.wb, kind, self.language)
        specs = form.fields(kind)
        columns = header_columns(ws, kind, self.language)
        for i in range(count):
            row = 2 + i
            for name, col in columns.items():
                spec = specs[name]
                if name == "unit" and i > 0:
                    continue  # no value, so no unit
                if "codelist" in spec:
                    (label,) = self.choose(ws, row, col)
                    self.type(ws, row, col, label)
                    self.chosen[(kind, row, name)] = self.code(spec["codelist"], label)
                    continue
                if name == "activity_id":  # offered from the Activity IDs typed in the Activities sheet
                    value: object = self.offers(ws, row, col)[i]
                    self.chosen[(kind, row, name)] = value
                else:
                    value = {
                        "description": f"Result {i + 1}",
                        "value": 12.5 if i == 0 else None,
                        "evidence": "https://example.org/report" if i == 0 else None,
                    }[name]
                if value is not None:
                    self.type(ws, row, col, value)


def test_each_languages_form_filled_through_what_it_offers_is_accepted(tmp_path: Path) -> None:
    blank, inputs, warehouse = tmp_path / "blank", tmp_path / "inputs", tmp_path / "warehouse"
    blank.mkdir()
    inputs.mkdir()
    expected: dict[str, Filler] = {}
    states: set[str] = set()
    for seed, language in enumerate(form.languages()):
        wb = openpyxl.load_workbook(write_template(YEAR, language, blank))
        filler = Filler(wb, language, seed)
        names = offered(wb, rule_at(sheet(wb, "cover", language), "B1"))
        state = next(
            n for n in filler.rng.sample(names, 10) if countries.resolve_member_state(n) not in states
        )
        iso3 = countries.resolve_member_state(state)
        states.add(iso3)
        filler.cover(state)
        filler.activities(3)
        filler.prisons()
        filler.outcomes(2)
        wb.save(inputs / f"{iso3}_{YEAR}.xlsx")  # named as the Instructions ask
        expected[f"{iso3}_{YEAR}.xlsx"] = filler

    run_pipeline(inputs, warehouse)

    findings = query(
        warehouse,
        "SELECT s.file_name, f.stage, f.severity, f.rule, f.sheet, f.cell_ref, f.message, f.value_found "
        "FROM (SELECT * FROM received.findings UNION ALL SELECT * FROM parsed.findings "
        "      UNION ALL SELECT * FROM validated.findings) f "
        "JOIN received.submissions s USING (submission_id) ORDER BY ALL",
    )
    statuses = query(warehouse, "SELECT file_name, status FROM received.submissions ORDER BY 1")
    assert statuses == [(name, "ACCEPTED") for name in sorted(expected)], findings
    errors = query(warehouse, "SELECT count(*) FROM validated.findings WHERE severity = 'error'")
    assert errors == [(0,)], findings
    assert findings == []  # not even a warning

    got = {
        (file_name, kind, row, name): value
        for file_name, kind, row, name, value in query(
            warehouse,
            "SELECT s.file_name, 'activities', a.row_no, f.name, f.value FROM validated.activities a "
            "JOIN received.submissions s USING (submission_id), "
            "UNNEST([{'name': 'thematic_area', 'value': a.thematic_area}, "
            "        {'name': 'activity_type', 'value': a.activity_type}, "
            "        {'name': 'delivery_mode', 'value': a.delivery_mode}, "
            "        {'name': 'beneficiary_group', 'value': a.beneficiary_group}, "
            "        {'name': 'standards', 'value': a.standards}]) AS t(f) "
            "WHERE NOT a.quarantined "
            "UNION ALL "
            "SELECT s.file_name, 'outcomes', o.row_no, f.name, f.value FROM validated.outcomes o "
            "JOIN received.submissions s USING (submission_id), "
            "UNNEST([{'name': 'outcome_area', 'value': o.outcome_area}, "
            "        {'name': 'result_type', 'value': o.result_type}, "
            "        {'name': 'unit', 'value': o.unit}, {'name': 'status', 'value': o.status}, "
            "        {'name': 'activity_id', 'value': o.activity_id}]) AS t(f) "
            "WHERE NOT o.quarantined AND f.value IS NOT NULL",
        )
        if value is not None
    }
    chosen = {
        (name, *key): value for name, filler in expected.items() for key, value in filler.chosen.items()
    }
    assert got == chosen  # every label chosen came back as its code, on its row
    observations = query(
        warehouse,
        "SELECT obs_status, count(*) FROM validated.prison_values WHERE NOT quarantined GROUP BY 1",
    )
    cells = len(form.indicators()) * 5  # every indicator, every year, in each of the four returns
    # per return: one estimate, one 'not available', the five 'not applicable' of EMERGENCY_RELEASES
    assert dict(observations) == {"A": 4 * (cells - 7), "E": 4, "M": 4, "Z": 4 * 5}
