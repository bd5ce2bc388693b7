"""The content of one return, as a focal point means it: no workbook layout, no language.

Writers (blank forms, synthetic returns, test fixtures) turn this into a workbook in a
language; the parse layer reads workbooks back into cells. Values here are already typed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# A prison cell is a number, a number with a qualifier ("1162 (e)"), or a mark ("..").
PrisonCell = int | float | str | None


@dataclass
class Activity:
    activity_id: str | None
    thematic_area: str
    activity_type: str
    title: str
    start_date: dt.date | None
    end_date: dt.date | None = None
    delivery_mode: str | None = None
    participants_total: int | None = None
    participants_women: int | None = None
    beneficiary_group: str | None = None
    standards: list[str] = field(default_factory=list)
    partners: list[str] = field(default_factory=list)
    notes: str | None = None


@dataclass
class Outcome:
    outcome_area: str
    result_type: str
    description: str
    status: str
    value: float | int | None = None
    unit: str | None = None
    activity_id: str | None = None
    evidence: str | None = None


@dataclass
class Cover:
    member_state: str  # ISO3 code or a country name
    reporting_year: int
    institution: str
    focal_point: str | None = None
    email: str | None = None
    submission_date: dt.date | None = None
    template_version: str = "2022.1"
    language: str = "EN"


@dataclass
class ReturnContent:
    cover: Cover
    activities: list[Activity] = field(default_factory=list)
    # indicator code -> {year -> cell}
    prisons: dict[str, dict[int, PrisonCell]] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
