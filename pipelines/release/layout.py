"""Release layout 1: the one source of truth for what a release folder holds, to the column.

Mirrors `shared/spec/published-dataset.md`. The CSV writer, the datapackage.json builder, the
changelog and the tests all read these definitions; nothing else spells a column list out.

Code-list enums are resolved lazily (`Column.enum_values()`), from `pipelines.reference.codelists`
for the form's code lists and from `pipelines/reference/form.json` for the prison indicators and
their units, so this module imports cheaply and never goes stale against the reference data.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

LAYOUT_VERSION = "1"

FieldType = Literal["string", "integer", "number", "boolean", "date", "datetime"]
FIELD_TYPES: tuple[str, ...] = ("string", "integer", "number", "boolean", "date", "datetime")

_FORM_JSON = Path(__file__).resolve().parent.parent / "reference" / "form.json"

# Code -> meaning, as the spec defines them; the enums, column descriptions and the codebook read these.
OBS_STATUS_MEANINGS: dict[str, str] = {
    "A": "normal value",
    "E": "estimated value",
    "P": "provisional value",
    "M": "not available (value empty)",
    "Z": "not applicable (value empty)",
}
OBS_STATUS: tuple[str, ...] = tuple(OBS_STATUS_MEANINGS)
COVERAGE_STATUS_MEANINGS: dict[str, str] = {
    "ACCEPTED": "nothing to report",
    "ACCEPTED_WITH_WARNINGS": "published, with warnings or quarantined rows",
    "REJECTED": "nothing published",
    "SUPERSEDED": "replaced by a newer submission for the same state and reporting year",
    "DUPLICATE": "same bytes as a file already received",
}
COVERAGE_STATUS: tuple[str, ...] = tuple(COVERAGE_STATUS_MEANINGS)

# Derived prison indicators (form.json `prisons.derived`: numerator / denominator x 100) are rounded so.
DERIVED_DECIMALS = 1
# How the warehouse derives them (pipelines/warehouse/sql/tables.sql), for the codebook.
DERIVATION_RULES: tuple[str, ...] = (
    "computed per state and year from the published (reported) numerator and denominator, "
    "when the numerator has a value and the denominator is greater than 0",
    f"value = numerator / denominator x 100, rounded to {DERIVED_DECIMALS} decimal",
    "obs_status E if either input is estimated, else P if either is provisional, else A",
    "reporting_year and submission_id: those of the more recently reported of the two inputs",
)


@functools.lru_cache(maxsize=1)
def _form() -> dict:
    return json.loads(_FORM_JSON.read_text(encoding="utf-8"))


def prison_indicators() -> tuple[str, ...]:
    """The 13 Prisons-sheet codes then the 3 derived ones, in form.json order."""
    prisons = _form()["prisons"]
    return (*prisons["indicators"], *prisons["derived"])


def derived_indicators() -> tuple[str, ...]:
    return tuple(_form()["prisons"]["derived"])


def prison_units() -> tuple[str, ...]:
    """The units form.json gives the prison indicators (reported and derived), first appearance first."""
    prisons = _form()["prisons"]
    units: dict[str, None] = {}
    for spec in (*prisons["indicators"].values(), *prisons["derived"].values()):
        units.setdefault(spec["unit"], None)
    return tuple(units)


def prison_unit(indicator: str) -> str:
    prisons = _form()["prisons"]
    spec = prisons["indicators"].get(indicator) or prisons["derived"][indicator]
    return spec["unit"]


def _codelist(list_name: str) -> tuple[str, ...]:
    from pipelines.reference import codelists  # lazy: the code lists load a JSON file

    return tuple(codelists.codes(list_name))


_ENUM_SOURCES = {
    "PRISON_INDICATOR": prison_indicators,
    "PRISON_UNIT": prison_units,
    "OBS_STATUS": lambda: OBS_STATUS,
    "COVERAGE_STATUS": lambda: COVERAGE_STATUS,
}


@dataclass(frozen=True)
class Column:
    """One CSV column and its Table Schema field.

    `enum` names a value set: a code list of `pipelines.reference.codelists` (e.g. THEMATIC_AREA)
    or one of `_ENUM_SOURCES` (PRISON_INDICATOR, PRISON_UNIT, OBS_STATUS, COVERAGE_STATUS).
    `multi` marks a `;`-separated list (`standards`, `partners`); `list_of` names the code list of a
    list of codes, which the CSV writer sorts (`standards`) and the Table Schema checks by pattern.
    """

    name: str
    type: FieldType
    description: str
    required: bool = False
    enum: str | None = None
    multi: bool = False
    list_of: str | None = None
    pattern: str | None = None
    minimum: int | None = None

    def enum_values(self) -> tuple[str, ...] | None:
        if self.enum is None:
            return None
        source = _ENUM_SOURCES.get(self.enum)
        return tuple(source()) if source else _codelist(self.enum)

    def effective_pattern(self) -> str | None:
        """The field's regex: `pattern`, or for a `;`-list the list grammar over its code list."""
        if self.list_of is None:
            return self.pattern
        alternatives = "|".join(re.escape(code) for code in _codelist(self.list_of))
        return f"(?:{alternatives})(?:;(?:{alternatives}))*"


@dataclass(frozen=True)
class Table:
    name: str  # resource name in datapackage.json
    file_name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.name}: duplicate column names")
        for key in self.primary_key:
            if key not in names:
                raise ValueError(f"{self.name}: primary key column {key!r} is not a column")
            if not self.column(key).required:
                raise ValueError(f"{self.name}: primary key column {key!r} must be required")
        for column in self.columns:
            if column.type not in FIELD_TYPES:
                raise ValueError(f"{self.name}.{column.name}: unknown type {column.type!r}")
            if column.list_of and not column.multi:
                raise ValueError(f"{self.name}.{column.name}: list_of needs multi")

    @property
    def parquet_file_name(self) -> str:
        """The Parquet twin of the CSV: same rows, same order, typed (pipelines/release/parquet.py)."""
        return self.file_name.removesuffix(".csv") + ".parquet"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")


# Columns every data table starts with (spec: "Every row carries iso3, country, region, subregion").
_ISO3 = Column(
    "iso3",
    "string",
    "ISO 3166-1 alpha-3 code of the member state.",
    required=True,
    pattern="[A-Z]{3}",
)
_COUNTRY = Column("country", "string", "English short name of the member state.")
_REGION = Column("region", "string", "UN M49 region of the member state.")
_SUBREGION = Column("subregion", "string", "UN M49 sub-region of the member state.")
_SUBMISSION_ID = Column(
    "submission_id",
    "string",
    "The received file this row comes from (a row of coverage.csv).",
    required=True,
)
_REPORTING_YEAR_PK = Column(
    "reporting_year", "integer", "The year the return reports on.", required=True, minimum=2015
)


ACTIVITIES = Table(
    name="activities",
    file_name="activities.csv",
    title="Technical-assistance activities",
    description="One row per accepted activity of the member states' returns (sheet Activities).",
    columns=(
        _ISO3,
        _COUNTRY,
        _REGION,
        _SUBREGION,
        _REPORTING_YEAR_PK,
        Column(
            "activity_id",
            "string",
            "Activity ID as the return gives it, or a stable one derived by the pipeline when blank.",
            required=True,
        ),
        Column("thematic_area", "string", "Thematic area (code list THEMATIC_AREA).", enum="THEMATIC_AREA"),
        Column("activity_type", "string", "Activity type (code list ACTIVITY_TYPE).", enum="ACTIVITY_TYPE"),
        Column("title", "string", "Title of the activity, as sent."),
        Column("start_date", "date", "Start date of the activity."),
        Column("end_date", "date", "End date of the activity."),
        Column("delivery_mode", "string", "Delivery mode (code list DELIVERY_MODE).", enum="DELIVERY_MODE"),
        Column("participants_total", "integer", "Number of participants.", minimum=0),
        Column("participants_women", "integer", "Of which women.", minimum=0),
        Column(
            "beneficiary_group",
            "string",
            "Beneficiary group (code list BENEFICIARY_GROUP).",
            enum="BENEFICIARY_GROUP",
        ),
        Column(
            "standards",
            "string",
            "Standards applied: codes of the list STANDARD, ';'-separated, sorted.",
            multi=True,
            list_of="STANDARD",
        ),
        Column("partners", "string", "Partners, ';'-separated, as sent.", multi=True),
        _SUBMISSION_ID,
    ),
    primary_key=("iso3", "reporting_year", "activity_id"),
)

PRISONS = Table(
    name="prisons",
    file_name="prisons.csv",
    title="Prison indicators",
    description=(
        "One row per member state x year x indicator observation, reported (sheet Prisons) and "
        "derived (occupancy rate, unsentenced share (SDG 16.3.2), female share). When several "
        "returns give a value, the latest reporting year wins, and within it the latest submission."
    ),
    columns=(
        _ISO3,
        _COUNTRY,
        _REGION,
        _SUBREGION,
        Column("year", "integer", "The year the value refers to.", required=True),
        Column(
            "indicator",
            "string",
            "Indicator code: a code of the Prisons sheet, or a derived one "
            "(OCCUPANCY_RATE, UNSENTENCED_SHARE, FEMALE_SHARE).",
            required=True,
            enum="PRISON_INDICATOR",
        ),
        Column(
            "value",
            "number",
            "The value; empty when obs_status is M or Z. Derived shares are percent, rounded to "
            f"{DERIVED_DECIMALS} decimal.",
            minimum=0,
        ),
        Column("unit", "string", "Unit of the value.", enum="PRISON_UNIT"),
        Column(
            "obs_status",
            "string",
            "Observation status: " + ", ".join(f"{c} {m}" for c, m in OBS_STATUS_MEANINGS.items()) + ".",
            enum="OBS_STATUS",
        ),
        Column("derived", "boolean", "true for the indicators the pipeline computes."),
        Column("reporting_year", "integer", "Reporting year of the return that supplied this value."),
        _SUBMISSION_ID,
    ),
    primary_key=("iso3", "year", "indicator"),
)

ASSISTANCE_OUTCOMES = Table(
    name="assistance_outcomes",
    file_name="assistance_outcomes.csv",
    title="Assistance outcomes",
    description="One row per accepted outcome of the member states' returns (sheet Outcomes).",
    columns=(
        _ISO3,
        _COUNTRY,
        _REGION,
        _SUBREGION,
        _REPORTING_YEAR_PK,
        Column(
            "outcome_no",
            "integer",
            "1-based position of the row among all the return's outcome rows, quarantined ones included.",
            required=True,
            minimum=1,
        ),
        Column("outcome_area", "string", "Outcome area (code list THEMATIC_AREA).", enum="THEMATIC_AREA"),
        Column("result_type", "string", "Result type (code list RESULT_TYPE).", enum="RESULT_TYPE"),
        Column("description", "string", "Description of the outcome, as sent."),
        Column("value", "number", "Value of the result, if given."),
        Column("unit", "string", "Unit of the value (code list UNIT).", enum="UNIT"),
        Column("status", "string", "Status (code list STATUS).", enum="STATUS"),
        Column("activity_id", "string", "Related activity of the same return (activities.csv)."),
        Column("evidence", "string", "Evidence: free text or a link, as sent."),
        _SUBMISSION_ID,
    ),
    primary_key=("iso3", "reporting_year", "outcome_no"),
)

_COUNT = "integer"
COVERAGE = Table(
    name="coverage",
    file_name="coverage.csv",
    title="Coverage: received files",
    description="One row per received file: what it was and what became of it.",
    columns=(
        Column("submission_id", "string", "Identifier of the received file.", required=True),
        Column("file_name", "string", "Name of the file as received."),
        Column("sha256", "string", "SHA-256 of the file's bytes.", pattern="[0-9a-f]{64}"),
        Column(
            "received_at",
            "datetime",
            "When the file was received: its modification time, UTC (YYYY-MM-DDThh:mm:ssZ).",
        ),
        Column(
            "iso3",
            "string",
            "ISO 3166-1 alpha-3 code of the member state; empty for a file that is not a readable return.",
            pattern="[A-Z]{3}",
        ),
        Column(
            "reporting_year",
            "integer",
            "Reporting year of the return; empty for a file that is not a readable return.",
        ),
        Column(
            "status",
            "string",
            ", ".join(f"{code} ({meaning})" for code, meaning in COVERAGE_STATUS_MEANINGS.items()) + ".",
            enum="COVERAGE_STATUS",
        ),
        Column("superseded_by", "string", "The submission that superseded this one."),
        Column("activities_accepted", _COUNT, "Activity rows accepted.", minimum=0),
        Column("activities_quarantined", _COUNT, "Activity rows quarantined.", minimum=0),
        Column("outcomes_accepted", _COUNT, "Outcome rows accepted.", minimum=0),
        Column("outcomes_quarantined", _COUNT, "Outcome rows quarantined.", minimum=0),
        Column("prison_values_accepted", _COUNT, "Prison values accepted.", minimum=0),
        Column("prison_values_quarantined", _COUNT, "Prison values quarantined.", minimum=0),
        Column("errors", _COUNT, "Number of errors (messages are in the submission's feedback).", minimum=0),
        Column(
            "warnings", _COUNT, "Number of warnings (messages are in the submission's feedback).", minimum=0
        ),
    ),
    primary_key=("submission_id",),
)

# The four data tables, in ReleaseTables field order. Their CSV bytes make the content hash.
DATA_TABLES: tuple[Table, ...] = (ACTIVITIES, PRISONS, ASSISTANCE_OUTCOMES, COVERAGE)

CHANGE_KIND_MEANINGS: dict[str, str] = {
    "submission_added": "a received file listed for the first time (new: its status)",
    "submission_superseded": "a submission now superseded by a newer one (same state and reporting year)",
    "submission_rejected": "a submission now rejected (nothing of it published)",
    "submission_removed": "a submission the previous release listed and this one does not",
    "value_added": "a prison observation (state, year, indicator) the previous release did not have",
    "value_revised": "a prison observation whose value or obs_status changed (old -> new; submission_id: "
    "the submission that revised it)",
    "value_removed": "a prison observation the previous release had and this one does not",
    "row_count": "rows of a table, previous -> now",
    "state_count": "rows of activities or assistance_outcomes for one state, previous -> now "
    "(only states whose count changed)",
}
CHANGE_KINDS: tuple[str, ...] = tuple(CHANGE_KIND_MEANINGS)

# Machine-readable CHANGELOG.md: depends on the previous release, so never part of the content hash.
CHANGES = Table(
    name="changes",
    file_name="changes.csv",
    title="Changes since the previous release",
    description="The facts of CHANGELOG.md, one row per change, sorted.",
    columns=(
        Column("change", "string", "Kind of change.", required=True, enum="CHANGE_KIND"),
        Column("table", "string", "The table the change concerns (resource name).", required=True),
        Column("iso3", "string", "Member state, where the change concerns one.", pattern="[A-Z]{3}"),
        Column("reporting_year", "integer", "Reporting year, for a submission."),
        Column("year", "integer", "Year, for a prison value."),
        Column("indicator", "string", "Indicator, for a prison value."),
        Column(
            "submission_id",
            "string",
            "The submission concerned; for a revised value, the one that revised it.",
        ),
        Column("field", "string", "The field concerned (status, value, obs_status, rows)."),
        Column("old", "string", "Value in the previous release, as written there."),
        Column("new", "string", "Value in this release, as written here."),
    ),
    primary_key=(),
)
_ENUM_SOURCES["CHANGE_KIND"] = lambda: CHANGE_KINDS

ALL_TABLES: tuple[Table, ...] = (*DATA_TABLES, CHANGES)

DATAPACKAGE = "datapackage.json"
CHANGELOG = "CHANGELOG.md"
SHA256SUMS = "SHA256SUMS"
README = "README.md"


@dataclass(frozen=True)
class ReleaseFile:
    """A file of a release folder other than the tables' CSV and Parquet files: what it is."""

    file_name: str
    title: str
    description: str
    format: str
    mediatype: str


# The release's own documents, in the order the codebook lists them.
DOCUMENTS: tuple[ReleaseFile, ...] = (
    ReleaseFile(
        README, "Codebook", "This file: every file, column and code of the release.", "md", "text/markdown"
    ),
    ReleaseFile(
        DATAPACKAGE,
        "Data Package descriptor",
        "Frictionless Data Package v2: every table's schema (types, constraints, primary keys, code lists),"
        " licence, and the size and SHA-256 of every listed file.",
        "json",
        "application/json",
    ),
    ReleaseFile(
        CHANGELOG,
        "Changelog",
        "What changed since the previous release, for people; changes.csv holds the same facts.",
        "md",
        "text/markdown",
    ),
    ReleaseFile(
        SHA256SUMS,
        "Checksums",
        "SHA-256 of every other file of the release, for `sha256sum -c SHA256SUMS`.",
        "txt",
        "text/plain",
    ),
)

# Prepared files a release may include (publish_release(attachments=..., overview=...)); no others.
SNAPSHOT = ReleaseFile(
    "normsdata.duckdb",
    "DuckDB snapshot",
    "A DuckDB database with the warehouse's published and reference schemas (tables, views, "
    "comments), for SQL; open it read-only: `duckdb.connect('normsdata.duckdb', read_only=True)`.",
    "duckdb",
    "application/octet-stream",
)
OVERVIEW = ReleaseFile(
    "overview.html",
    "Overview",
    "A self-contained HTML page summarising the release, with charts; open it in a browser.",
    "html",
    "text/html",
)
ATTACHMENTS: tuple[ReleaseFile, ...] = (SNAPSHOT, OVERVIEW)


def attachment(file_name: str) -> ReleaseFile:
    for entry in ATTACHMENTS:
        if entry.file_name == file_name:
            return entry
    known = ", ".join(a.file_name for a in ATTACHMENTS)
    raise KeyError(f"{file_name!r} is not a file a release may include (layout {LAYOUT_VERSION}: {known})")


def table(name: str) -> Table:
    for t in ALL_TABLES:
        if t.name == name:
            return t
    raise KeyError(f"no table {name!r} in release layout {LAYOUT_VERSION}")
