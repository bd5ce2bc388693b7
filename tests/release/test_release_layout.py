"""The layout module against the binding spec (shared/spec/published-dataset.md) and the reference data."""

from __future__ import annotations

import json
import re

import pytest
from release_frames import REPO, spec_tables

from pipelines.reference import codelists
from pipelines.release import layout
from pipelines.release.datapackage import table_schema


def test_spec_parses_into_the_four_tables():
    tables = spec_tables()
    assert sorted(tables) == ["activities.csv", "assistance_outcomes.csv", "coverage.csv", "prisons.csv"]
    assert tables["prisons.csv"][1] == ("iso3", "year", "indicator")


@pytest.mark.parametrize("table", layout.DATA_TABLES, ids=lambda t: t.name)
def test_columns_and_primary_key_equal_the_spec(table):
    columns, primary_key = spec_tables()[table.file_name]
    assert table.column_names == columns
    assert table.primary_key == primary_key


def test_every_spec_file_has_a_layout_table():
    assert {t.file_name for t in layout.DATA_TABLES} == set(spec_tables())


def test_code_list_enums_come_from_the_code_lists():
    expected = {
        ("activities", "thematic_area"): "THEMATIC_AREA",
        ("activities", "activity_type"): "ACTIVITY_TYPE",
        ("activities", "delivery_mode"): "DELIVERY_MODE",
        ("activities", "beneficiary_group"): "BENEFICIARY_GROUP",
        ("assistance_outcomes", "outcome_area"): "THEMATIC_AREA",
        ("assistance_outcomes", "result_type"): "RESULT_TYPE",
        ("assistance_outcomes", "unit"): "UNIT",
        ("assistance_outcomes", "status"): "STATUS",
    }
    for (table_name, column_name), list_name in expected.items():
        column = layout.table(table_name).column(column_name)
        assert column.enum_values() == codelists.codes(list_name), (table_name, column_name)


def test_prison_enums_come_from_form_json():
    form = json.loads((REPO / "pipelines" / "reference" / "form.json").read_text(encoding="utf-8"))
    indicators = layout.PRISONS.column("indicator").enum_values()
    assert len(indicators) == 16
    assert set(indicators) == set(form["prisons"]["indicators"]) | set(form["prisons"]["derived"])
    assert {"OCCUPANCY_RATE", "UNSENTENCED_SHARE", "FEMALE_SHARE"} <= set(indicators)
    units = {
        spec["unit"]
        for spec in [*form["prisons"]["indicators"].values(), *form["prisons"]["derived"].values()]
    }
    assert set(layout.PRISONS.column("unit").enum_values()) == units
    assert layout.PRISONS.column("obs_status").enum_values() == ("A", "E", "P", "M", "Z")
    assert layout.COVERAGE.column("status").enum_values() == (
        "ACCEPTED",
        "ACCEPTED_WITH_WARNINGS",
        "REJECTED",
        "SUPERSEDED",
        "DUPLICATE",
    )


def test_free_text_columns_have_no_enum():
    for table, name in [
        (layout.ACTIVITIES, "title"),
        (layout.ACTIVITIES, "partners"),
        (layout.ASSISTANCE_OUTCOMES, "description"),
        (layout.ASSISTANCE_OUTCOMES, "evidence"),
        (layout.COVERAGE, "file_name"),
    ]:
        assert table.column(name).type == "string"
        assert table.column(name).enum_values() is None


def test_table_schema_marks_primary_key_required_and_types():
    schema = table_schema(layout.PRISONS)
    fields = {f["name"]: f for f in schema["fields"]}
    assert schema["primaryKey"] == ["iso3", "year", "indicator"]
    assert schema["missingValues"] == [""]
    for name in schema["primaryKey"]:
        assert fields[name]["constraints"]["required"] is True
    assert fields["value"]["type"] == "number"
    assert fields["year"]["type"] == "integer"
    assert fields["derived"] == {
        "name": "derived",
        "type": "boolean",
        "description": fields["derived"]["description"],
        "trueValues": ["true"],
        "falseValues": ["false"],
    }
    standards = {f["name"]: f for f in table_schema(layout.ACTIVITIES)["fields"]}["standards"]
    assert re.fullmatch(standards["constraints"]["pattern"], "BANGKOK_RULES;NELSON_MANDELA_RULES")
    assert not re.fullmatch(standards["constraints"]["pattern"], "BANGKOK_RULES;NOT_A_RULE")
