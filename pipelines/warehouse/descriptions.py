"""What every table, view and column analysts see means: the one place the warehouse's descriptions live.

Generated, never written twice:
- the release tables and their columns from the release layout (`pipelines/release/layout.py`),
  with the codes a column allows and their English labels from `pipelines/reference/`;
- the warehouse-only tables (the bookkeeping of `sql/coverage.sql` and `sql/tables.sql`), the
  reference tables and the views of `sql/views.sql` below, borrowing the layout's text wherever a
  column means the same as a release column.

`catalog.py` writes them into DuckDB as `COMMENT ON`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from pipelines.reference import codelists
from pipelines.reference import form as vocabulary
from pipelines.release import layout

DOCUMENTED_SCHEMAS: tuple[str, ...] = ("published", "reference")
SDG_16_3_2 = "UNSENTENCED_SHARE"  # the derived indicator that is SDG 16.3.2 (form.json)


@dataclass(frozen=True)
class Documented:
    """One table or view and the description of each of its columns, in column order."""

    schema: str
    name: str
    kind: Literal["TABLE", "VIEW"]
    description: str
    columns: Mapping[str, str]

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"


def _indicator_codes(codes: Iterable[str]) -> str:
    """` Codes: X (English label); ...` for prison indicators (form.json)."""
    specs = {**vocabulary.indicators(), **vocabulary.derived_indicators()}
    return " Codes: " + "; ".join(f"{code} ({specs[code]['EN']})" for code in codes) + "."


def _allowed_values(list_name: str | None, values: Iterable[str] = ()) -> str:
    """` Codes: X (label); ...` for a code list or the prison indicators; ` Values: ...` otherwise."""
    if list_name in codelists.LIST_NAMES:
        labels = [f"{code} ({codelists.label(list_name, code, 'EN')})" for code in codelists.codes(list_name)]
        return " Codes: " + "; ".join(labels) + "."
    if list_name == "PRISON_INDICATOR":
        return _indicator_codes(layout.prison_indicators())
    values = list(values)
    return " Values: " + ", ".join(values) + "." if values else ""


def _release_column_text(column: layout.Column) -> str:
    """The layout's description, plus the allowed codes unless the description already names each."""
    if column.list_of:
        return column.description + _allowed_values(column.list_of)
    values = column.enum_values() or ()
    if all(re.search(rf"\b{re.escape(value)}\b", column.description) for value in values):
        return column.description
    return column.description + _allowed_values(column.enum, values)


def _like(table: layout.Table, column: str) -> str:
    """A column that means the same as a release column is described by the layout's text."""
    return _release_column_text(table.column(column))


def _release_table(table: layout.Table) -> Documented:
    key = ", ".join(table.primary_key)
    return Documented(
        "published",
        table.name,
        "TABLE",
        f"{table.title}. {table.description} Released as {table.file_name}; one row per ({key}).",
        {column.name: _release_column_text(column) for column in table.columns},
    )


_A, _P, _C = layout.ACTIVITIES, layout.PRISONS, layout.COVERAGE  # columns other objects borrow
_COVERAGE_FEEDBACK_COLUMNS = (
    "submission_id",
    "file_name",
    "iso3",
    "reporting_year",
    "status",
    "errors",
    "warnings",
)
_RANK_ORDER = (
    "newest first: the later received_at (file modification time), then the later Cover submission "
    "date, then the later file path (KAZ_2023_v2.xlsx after KAZ_2023.xlsx)"
)


def _warehouse_only() -> tuple[Documented, ...]:
    """The published schema's bookkeeping tables: in the warehouse and its snapshot, not in the CSVs."""
    reported = {
        "iso3": _like(_P, "iso3"),
        "year": _like(_P, "year"),
        "indicator": "Indicator code of the Prisons sheet (reported, never derived)."
        + _indicator_codes(vocabulary.indicators()),
        "value": "The value as reported; empty when obs_status is M or Z.",
        "obs_status": _like(_P, "obs_status"),
        "reporting_year": "Reporting year of the return that gave the value.",
        "submission_id": _like(_P, "submission_id"),
        "received_at": _like(_C, "received_at"),
    }
    return (
        Documented(
            "published",
            "submission_ranks",
            "TABLE",
            "Every accepted submission, ranked within its member state and reporting year "
            f"{_RANK_ORDER}. Rank 1 is current and published; the others are SUPERSEDED in coverage.",
            {
                "submission_id": _like(_C, "submission_id"),
                "iso3": _like(_P, "iso3"),
                "reporting_year": _like(_A, "reporting_year"),
                "received_at": _like(_C, "received_at"),
                "rank": "1 for the current submission of its state and reporting year, 2 for the one "
                "before it, and so on.",
                "newest_submission_id": "The current (rank 1) submission of the same state and reporting "
                "year; it supersedes this one when they differ.",
            },
        ),
        Documented(
            "published",
            "current_submissions",
            "TABLE",
            "The current submission per member state and reporting year (rank 1 of submission_ranks): "
            "the only submission whose activities, outcomes and prison values are published.",
            {
                "submission_id": _like(_C, "submission_id"),
                "iso3": _like(_P, "iso3"),
                "reporting_year": _like(_A, "reporting_year"),
            },
        ),
        Documented(
            "published",
            "prison_candidates",
            "TABLE",
            "Every prison value a current submission gave, quarantined ones included, ranked per member "
            "state, year and indicator: the latest reporting year first, then the latest received. "
            "Rank 1 is published (prisons_reported) unless it is quarantined: then nothing is, as the "
            "state revised the older values; the others are values revised by a later return.",
            {
                **reported,
                "quarantined": "True when the value broke a rule of the Prisons sheet (its reasons are in "
                "validated.prison_values): given, so it revises older values, but never published.",
                "rank": "1 for the latest value given, 2 and more for the values it replaced.",
            },
        ),
        Documented(
            "published",
            "prisons_reported",
            "TABLE",
            "The reported prison values that win (rank 1 of prison_candidates): published.prisons adds "
            "the derived indicators, units and country names to these.",
            reported,
        ),
    )


def _reference() -> tuple[Documented, ...]:
    indicator_columns = {
        "code": "Indicator code." + _allowed_values("PRISON_INDICATOR"),
        "unit": _like(_P, "unit"),
        "derived": _like(_P, "derived"),
        "numerator": "For a derived indicator, the indicator divided by the denominator (x 100, rounded to "
        "1 decimal); empty for a reported one.",
        "denominator": "For a derived indicator, the indicator it is divided by; empty for a reported one.",
    }
    return (
        Documented(
            "reference",
            "countries",
            "TABLE",
            "The 193 UN member states, with the UN English short name and the UN M49 region and "
            "sub-region that published rows carry (pipelines/reference/countries.py).",
            {
                "iso3": _like(_P, "iso3"),
                "name": _like(_P, "country"),
                "region": _like(_P, "region"),
                "subregion": _like(_P, "subregion"),
                "m49": "UN M49 numeric code of the member state.",
            },
        ),
        Documented(
            "reference",
            "indicators",
            "TABLE",
            "The prison indicators: those of the Prisons sheet and those the pipeline derives, with "
            "their units (pipelines/reference/form.json).",
            indicator_columns,
        ),
        Documented(
            "reference",
            "derived_indicators",
            "VIEW",
            "The derived indicators of reference.indicators, each numerator / denominator x 100.",
            indicator_columns,
        ),
    )


def _views() -> tuple[Documented, ...]:
    """The views of sql/views.sql."""
    sdg = vocabulary.derived_indicators()[SDG_16_3_2]
    state = {name: _like(_P, name) for name in ("iso3", "country", "region", "subregion")}
    prison_columns = {
        **state,
        **{
            name: _like(_P, name)
            for name in ("indicator", "year", "value", "unit", "obs_status", "derived", "reporting_year")
        },
        "submission_id": _like(_P, "submission_id"),
    }
    return (
        Documented(
            "published",
            "sdg_16_3_2",
            "VIEW",
            f"SDG indicator 16.3.2 per member state and year: {sdg['EN']}. The {SDG_16_3_2} rows of "
            f"published.prisons ({sdg['numerator']} / {sdg['denominator']} x 100), with the two values "
            "they are derived from, so that regional figures can be weighted: "
            "sum(unsentenced_detainees) / sum(prison_population) x 100.",
            {
                **state,
                "year": _like(_P, "year"),
                "value": f"Unsentenced detainees as a percentage of the prison population, rounded to 1 "
                f"decimal: the {SDG_16_3_2} value of published.prisons.",
                "obs_status": _like(_P, "obs_status")
                + " For this derived value: E when either input is estimated, else P when either is "
                "provisional, else A.",
                "unsentenced_detainees": f"The {sdg['numerator']} value the share is derived from (persons).",
                "prison_population": f"The {sdg['denominator']} value the share is derived from (persons).",
                "reporting_year": _like(_P, "reporting_year"),
                "submission_id": _like(_P, "submission_id"),
            },
        ),
        Documented(
            "published",
            "coverage_by_year_region",
            "VIEW",
            "Reporting coverage per reporting year and UN M49 region, from published.coverage and "
            "reference.countries: member states expected, reported, accepted and rejected. Every region "
            "appears for every reporting year that any return named. A return counts once it was read "
            "far enough to know its member state and reporting year (duplicates and unreadable files "
            "do not).",
            {
                "reporting_year": "A reporting year named by at least one return.",
                "region": _like(_P, "region"),
                "states_expected": "Member states of the region (reference.countries).",
                "states_reported": "Member states of the region that sent at least one return for the year.",
                "states_accepted": "Member states whose current return for the year was accepted "
                "(ACCEPTED or ACCEPTED_WITH_WARNINGS): their data is published.",
                "states_rejected": "Member states that sent returns for the year but every one was "
                "REJECTED: nothing of theirs is published for it.",
                "states_not_reported": "Member states of the region with no return for the year "
                "(states_expected - states_reported).",
                "response_rate": "states_accepted as a percentage of states_expected, rounded to 1 decimal.",
                "submissions": "Returns received for the year from the region's member states, "
                "superseded and rejected ones included.",
                "submissions_rejected": "Of which REJECTED.",
                "submissions_superseded": "Of which SUPERSEDED by a newer return of the same state and year.",
            },
        ),
        Documented(
            "published",
            "latest_prison_figures",
            "VIEW",
            "Per member state and prison indicator, the row of published.prisons for the most recent "
            "year that has a value (years marked M or Z are skipped).",
            {
                **prison_columns,
                "year": "The most recent year with a value for this member state and indicator.",
            },
        ),
        Documented(
            "published",
            "coverage_feedback",
            "VIEW",
            "Every row of published.coverage with where the feedback for its focal point lies, relative "
            "to the warehouse folder ($NORMSDATA_WAREHOUSE).",
            {
                **{name: _like(_C, name) for name in _COVERAGE_FEEDBACK_COLUMNS},
                "feedback_folder": "feedback/<submission_id>: feedback.md always, feedback.xlsx (the file "
                "as sent, problem cells marked and commented, an Issues sheet) whenever it could be opened.",
                "feedback_md": "The submission's feedback.md: status, counts and every message, in the "
                "form's language.",
            },
        ),
        Documented(
            "published",
            "activities_by_year_region",
            "VIEW",
            "Technical-assistance activities per reporting year, UN M49 region and thematic area, "
            "from published.activities.",
            {
                "reporting_year": _like(_A, "reporting_year"),
                "region": _like(_A, "region"),
                "thematic_area": _like(_A, "thematic_area"),
                "states": "Member states that reported at least one such activity.",
                "activities": "Number of activities.",
                "participants_total": "Sum of participants over the activities that give a number.",
                "participants_women": "Sum of women participants over the activities that give a number.",
                "women_share": "Women as a percentage of participants over the activities that give both "
                "numbers, rounded to 1 decimal; empty when none does.",
            },
        ),
    )


@functools.cache
def documented_objects() -> tuple[Documented, ...]:
    """Every documented table and view: the release tables, the bookkeeping, reference, the views."""
    entries = (
        *(_release_table(table) for table in layout.DATA_TABLES),
        *_warehouse_only(),
        *_reference(),
        *_views(),
    )
    names = [entry.qualified_name for entry in entries]
    if len(names) != len(set(names)):
        raise ValueError("an object is documented twice")
    return entries
