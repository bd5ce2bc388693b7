"""Parsed cells pivoted into one frame per sheet kind, with the typed columns the suites compare.

Text columns keep the value as normalised by the parser (or as sent, when it could not be):
the suites check those for format and code lists. Columns ending `__n` (number) and `__d`
(date) are typed copies for comparisons; a value that is not a number or date is NaN/NaT
there and left to the format rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipelines.findings import Finding
from pipelines.parsed.sheets import DUPLICATE_INDICATOR, DUPLICATE_YEAR
from pipelines.reference import form as vocabulary

ROW_INDEX = ["submission_id", "row_no"]
# Outcome units that count things. The form sets no sign on an outcome value (a PERCENT may be a
# reduction), but a negative count is most likely a slip: a warning asks, the row is published.
COUNT_UNITS = ("PERSONS", "CASES", "DOCUMENTS", "FACILITIES")
PRISON_INDEX = ["submission_id", "year"]


@dataclass(frozen=True)
class SetAside:
    """The Prisons rows and columns the parse step set aside (an indicator or a year given twice),
    each with the rule that did: their values are kept as quarantined, never validated."""

    rows: dict[tuple[str, int], str] = field(default_factory=dict)  # (submission_id, row_no)
    columns: dict[tuple[str, str], str] = field(default_factory=dict)  # (submission_id, letters)

    @classmethod
    def by(cls, parse_findings: Iterable[Finding]) -> SetAside:
        set_aside = cls()
        for finding in parse_findings:
            if finding.rule == DUPLICATE_INDICATOR and finding.row_no is not None:
                set_aside.rows[(finding.submission_id, int(finding.row_no))] = finding.rule
            elif finding.rule == DUPLICATE_YEAR and finding.cell_ref:
                set_aside.columns[(finding.submission_id, _letters(finding.cell_ref))] = finding.rule
        return set_aside

    def rules(self, prison_cells: pd.DataFrame) -> list[str | None]:
        """The rule that set each of these Prisons cells aside, None for the cells kept. Only the
        cells of submissions with a set-aside row or column are looked at one by one."""
        rules: list[str | None] = [None] * len(prison_cells)
        submissions = {key[0] for key in self.rows} | {key[0] for key in self.columns}
        if not submissions:
            return rules
        looked_up = np.flatnonzero(prison_cells["submission_id"].isin(submissions).to_numpy())
        for position, submission, row_no, ref in zip(
            looked_up.tolist(),
            prison_cells["submission_id"].to_numpy()[looked_up].tolist(),
            prison_cells["row_no"].to_numpy()[looked_up].tolist(),
            prison_cells["cell_ref"].to_numpy()[looked_up].tolist(),
            strict=True,
        ):
            rules[position] = self.rows.get((submission, int(row_no))) or self.columns.get(
                (submission, _letters(ref))
            )
        return rules


def _letters(ref: str) -> str:
    return ref.rstrip("0123456789")  # "H12" -> "H"


def _wide(cells: pd.DataFrame, kind: str, index: list[str], fields: list[str]) -> pd.DataFrame:
    subset = cells[(cells["sheet_kind"] == kind) & cells["field"].notna()]
    subset = subset.drop_duplicates([*index, "field"])
    wide = subset.set_index([*index, "field"])["value"].unstack("field")
    wide = wide.reindex(columns=fields).astype(object)  # an all-empty column must stay text, not float
    wide.columns.name = None
    return wide


def form_error_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """The error cells that can set data aside: those in the form's own columns. An unknown column
    is kept aside, never fatal (the spec), and the parse layer has already reported it."""
    return cells[cells["is_error"] & cells["field"].notna()]


def _error_cells(cells: pd.DataFrame, kind: str, index: list[str]) -> pd.Series:
    errors = form_error_cells(cells[cells["sheet_kind"] == kind])
    if errors.empty:
        return pd.Series(dtype=object)
    labelled = errors["cell_ref"].fillna("") + " " + errors["raw"]
    return labelled.groupby([errors[column] for column in index]).agg(", ".join)


def _number(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce")


def _date(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, format="%Y-%m-%d", errors="coerce")


def cover_frame(cells: pd.DataFrame, submission_ids: list[str], today: dt.date) -> pd.DataFrame:
    fields = list(vocabulary.fields("cover"))
    wide = _wide(cells, "cover", ["submission_id"], fields).reindex(
        pd.Index(submission_ids, name="submission_id")
    )
    wide["reporting_year__n"] = _number(wide["reporting_year"])
    wide["submission_date__d"] = _date(wide["submission_date"])
    years = wide["reporting_year__n"].where(wide["reporting_year__n"].between(1000, 9999))
    wide["year_start__d"] = pd.to_datetime(years.astype("Int64").astype(str) + "-01-01", errors="coerce")
    wide["today__d"] = pd.Timestamp(today)
    wide["error_cells"] = _error_cells(cells, "cover", ["submission_id"]).reindex(wide.index)
    return wide.reset_index()


def _year_bounds(covers: pd.DataFrame) -> pd.DataFrame:
    years = covers.set_index("submission_id")["reporting_year__n"]
    years = years.where(years.between(1000, 9999)).astype("Int64").astype(str)
    return pd.DataFrame(
        {
            "year_start__d": pd.to_datetime(years + "-01-01", errors="coerce"),
            "year_end__d": pd.to_datetime(years + "-12-31", errors="coerce"),
        }
    )


def activities_frame(cells: pd.DataFrame, covers: pd.DataFrame) -> pd.DataFrame:
    fields = list(vocabulary.fields("activities"))
    wide = _wide(cells, "activities", ROW_INDEX, fields)
    if wide.empty:
        return pd.DataFrame(columns=[*ROW_INDEX, *fields])
    wide["error_cells"] = _error_cells(cells, "activities", ROW_INDEX).reindex(wide.index)
    wide = wide.reset_index()
    for name in ("participants_total", "participants_women"):
        wide[f"{name}__n"] = _number(wide[name])
    for name in ("start_date", "end_date"):
        wide[f"{name}__d"] = _date(wide[name])
    wide["effective_end__d"] = wide["end_date__d"].fillna(wide["start_date__d"])
    return wide.join(_year_bounds(covers), on="submission_id")


def outcomes_frame(cells: pd.DataFrame) -> pd.DataFrame:
    fields = list(vocabulary.fields("outcomes"))
    wide = _wide(cells, "outcomes", ROW_INDEX, fields)
    if wide.empty:
        return pd.DataFrame(columns=[*ROW_INDEX, *fields, "outcome_no"])
    wide["error_cells"] = _error_cells(cells, "outcomes", ROW_INDEX).reindex(wide.index)
    wide = wide.reset_index()
    # outcome_no: the row's position among all the return's outcome rows, quarantined ones included.
    wide["outcome_no"] = wide.groupby("submission_id")["row_no"].rank(method="first").astype(int)
    wide["value__n"] = _number(wide["value"])
    wide["count_value__n"] = wide["value__n"].where(wide["unit"].isin(COUNT_UNITS))
    wide["unit_missing_for_value"] = wide["value"].where(wide["value"].notna() & wide["unit"].isna())
    activity_ids = cells[(cells["sheet_kind"] == "activities") & (cells["field"] == "activity_id")]
    known = set(zip(activity_ids["submission_id"], activity_ids["value"], strict=True))
    unknown = [
        pd.notna(related) and (submission, related) not in known
        for submission, related in zip(wide["submission_id"], wide["activity_id"], strict=True)
    ]
    wide["unknown_related_activity"] = wide["activity_id"].where(unknown)
    return wide


def prisons_frame(cells: pd.DataFrame, set_aside: SetAside) -> pd.DataFrame:
    indicators = list(vocabulary.indicators())
    prison_cells = cells[(cells["sheet_kind"] == "prisons") & cells["year"].notna()]
    rules = set_aside.rules(prison_cells)
    if any(rules):
        prison_cells = prison_cells[[rule is None for rule in rules]]
    prison_cells = prison_cells.copy()
    prison_cells["year"] = prison_cells["year"].astype(int)
    wide = _wide(prison_cells, "prisons", PRISON_INDEX, indicators)
    if wide.empty:
        return pd.DataFrame(columns=[*PRISON_INDEX, *indicators])
    wide = wide.reset_index()
    for name in indicators:
        wide[f"{name}__n"] = _number(wide[name])
    wide["male_plus_female__n"] = wide["PRISONERS_MALE__n"] + wide["PRISONERS_FEMALE__n"]
    numbers = wide[["submission_id", "year", *(f"{name}__n" for name in indicators)]]
    previous = numbers.assign(year=numbers["year"] + 1)
    merged = wide[["submission_id", "year"]].merge(previous, on=["submission_id", "year"], how="left")
    for name in indicators:
        before = merged[f"{name}__n"].where(merged[f"{name}__n"] > 0)
        wide[f"{name}__change"] = (wide[f"{name}__n"] / before.to_numpy()).round(3)
    return wide


def prison_values_frame(cells: pd.DataFrame, set_aside: SetAside) -> pd.DataFrame:
    """One row per Prisons value as read, before any verdict; `set_aside` names the rule of each
    value of a repeated row or column (the rest are one per indicator and year)."""
    prison = cells[(cells["sheet_kind"] == "prisons") & cells["year"].notna() & cells["field"].notna()]
    return pd.DataFrame(
        {
            "submission_id": _shared(prison["submission_id"]),
            "indicator": _shared(prison["field"]),
            "year": prison["year"].astype(int),
            "value": pd.to_numeric(prison["value"], errors="coerce"),
            "obs_status": _shared(prison["obs_status"]),
            "cell_ref": _shared(prison["cell_ref"]),
            "set_aside": set_aside.rules(prison),
        }
    ).reset_index(drop=True)


def _shared(text: pd.Series) -> pd.Series:
    """The same texts, each distinct one a single object: this frame outlives the cells it came
    from, and its 60 rows per return repeat a few submission ids, indicators and cell references."""
    return text.astype("category").astype(object).where(text.notna(), None)


def stack(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames of several groups of submissions as one (every frame above is per submission,
    so building them group by group and stacking gives the frame of all the submissions)."""
    filled = [part for part in parts if not part.empty]
    if not filled:
        return parts[0]
    return pd.concat(filled, ignore_index=True) if len(filled) > 1 else filled[0]
