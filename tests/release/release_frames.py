"""Hand-built warehouse frames for the release tests (imported as `release_frames`): two states,
a rejected file, prisons with reported and derived values, text a spreadsheet would run as a formula."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import pandas as pd

from pipelines.release import ReleaseTables

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO.parent / "shared" / "spec" / "published-dataset.md"
FRICTIONLESS = Path(sys.executable).parent / "frictionless"

KAZ = {"iso3": "KAZ", "country": "Kazakhstan", "region": "Asia", "subregion": "Central Asia"}
KGZ = {"iso3": "KGZ", "country": "Kyrgyzstan", "region": "Asia", "subregion": "Central Asia"}

HYPERLINK = '=HYPERLINK("http://example.org","click")'


def spec_tables() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """file name -> (columns, primary key), parsed from the spec's "## <file>.csv" sections."""
    if not SPEC.is_file():
        raise FileNotFoundError(f"the binding spec {SPEC} is missing: shared/ must stand beside the clone")
    text = SPEC.read_text(encoding="utf-8")
    out = {}
    for match in re.finditer(r"^## (\w+\.csv)\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S):
        file_name, body = match.group(1), match.group(2)
        lines = body.splitlines()
        pk_index = next(i for i, line in enumerate(lines) if line.startswith("primary key:"))
        primary_key = tuple(
            p.strip() for p in lines[pk_index].split(":", 1)[1].strip().strip("()").split(",") if p.strip()
        )
        i = pk_index + 1
        while not lines[i].strip():
            i += 1
        paragraph = []
        while i < len(lines) and lines[i].strip():
            paragraph.append(lines[i].strip())
            i += 1
        columns = tuple(c.strip() for c in " ".join(paragraph).split(","))
        out[file_name] = (columns, primary_key)
    return out


def _frame(rows: list[dict], dtypes: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    return frame.astype(dtypes)


def activities(kaz_submission: str = "KAZ-2021-1", extra: bool = False) -> pd.DataFrame:
    base = {"reporting_year": 2021, "delivery_mode": "IN_PERSON", "partners": None, "standards": None}
    rows = [
        {
            **KAZ,
            **base,
            "activity_id": "A-02",
            "thematic_area": "ACCESS_TO_JUSTICE",
            "activity_type": "WEBINAR",
            "title": "+ legal aid clinics",
            "start_date": dt.date(2021, 5, 1),
            "end_date": None,
            "delivery_mode": "ONLINE",
            "participants_total": None,
            "participants_women": None,
            "beneficiary_group": None,
            "submission_id": kaz_submission,
        },
        {
            **KAZ,
            **base,
            "activity_id": "A-01",
            "thematic_area": "PRISON_REFORM",
            "activity_type": "TRAINING",
            "title": '-5% overcrowding, "pilot"',
            "start_date": dt.date(2021, 3, 15),
            "end_date": dt.date(2021, 3, 17),
            "participants_total": 25,
            "participants_women": 12,
            "beneficiary_group": "PRISON_STAFF",
            "standards": "NELSON_MANDELA_RULES;BANGKOK_RULES",
            "partners": "UNODC;OSCE",
            "submission_id": kaz_submission,
        },
        {
            **KAZ,
            **base,
            "activity_id": "A-03",
            "thematic_area": "VIOLENCE_AGAINST_WOMEN",
            "activity_type": "AWARENESS_CAMPAIGN",
            "title": "@home: safe",
            "start_date": dt.date(2020, 11, 25),
            "end_date": dt.date(2021, 12, 10),
            "participants_total": 1200,
            "participants_women": 800,
            "beneficiary_group": "GENERAL_PUBLIC",
            "submission_id": kaz_submission,
        },
        {
            **KGZ,
            **base,
            "activity_id": "1",
            "thematic_area": "CRIME_PREVENTION",
            "activity_type": "WORKSHOP",
            "title": "Community policing",
            "start_date": dt.date(2021, 9, 1),
            "end_date": dt.date(2021, 9, 2),
            "participants_total": 40,
            "participants_women": 0,
            "beneficiary_group": "POLICE",
            "standards": "POLICE_CODE_OF_CONDUCT",
            "submission_id": "KGZ-2021-1",
        },
    ]
    if extra:
        rows.append(
            {
                **KAZ,
                **base,
                "activity_id": "A-04",
                "thematic_area": "PRISON_REFORM",
                "activity_type": "ASSESSMENT",
                "title": "Needs assessment",
                "start_date": dt.date(2021, 10, 1),
                "end_date": dt.date(2021, 10, 30),
                "participants_total": None,
                "participants_women": None,
                "beneficiary_group": None,
                "submission_id": kaz_submission,
            }
        )
    columns = [
        "iso3",
        "country",
        "region",
        "subregion",
        "reporting_year",
        "activity_id",
        "thematic_area",
        "activity_type",
        "title",
        "start_date",
        "end_date",
        "delivery_mode",
        "participants_total",
        "participants_women",
        "beneficiary_group",
        "standards",
        "partners",
        "submission_id",
    ]
    frame = _frame(
        rows, {"reporting_year": "Int64", "participants_total": "Int64", "participants_women": "Int64"}
    )
    return frame[columns]


def prisons(kaz_total_2021: float = 1162.0, kaz_status_2021: str = "A", kaz_submission: str = "KAZ-2021-1"):
    def row(state, year, indicator, value, unit, obs, derived=False, submission=None, reporting_year=2021):
        return {
            **state,
            "year": year,
            "indicator": indicator,
            "value": value,
            "unit": unit,
            "obs_status": obs,
            "derived": derived,
            "reporting_year": reporting_year,
            "submission_id": submission or (kaz_submission if state is KAZ else "KGZ-2021-1"),
        }

    rows = [
        row(KAZ, 2021, "PRISONERS_TOTAL", kaz_total_2021, "persons", kaz_status_2021),
        row(KAZ, 2021, "PRISON_CAPACITY", 1000.0, "places", "A"),
        row(KAZ, 2021, "PRISONERS_FEMALE", 87.0, "persons", "E"),
        row(KAZ, 2021, "OCCUPANCY_RATE", round(kaz_total_2021 / 10, 1), "percent", "A", derived=True),
        row(KAZ, 2021, "FEMALE_SHARE", round(87 / kaz_total_2021 * 100, 1), "percent", "A", derived=True),
        row(KAZ, 2020, "PRISONERS_TOTAL", 1100.0, "persons", "A"),
        row(KGZ, 2021, "PRISONERS_JUVENILE", float("nan"), "persons", "M"),
        row(KGZ, 2021, "PRISONERS_FOREIGN", None, "persons", "Z"),
        row(KGZ, 2019, "PRISON_FACILITIES", 12.0, "facilities", "P"),
    ]
    return _frame(rows, {"year": "Int64", "value": "float64", "derived": "bool", "reporting_year": "Int64"})


def outcomes(kaz_submission: str = "KAZ-2021-1") -> pd.DataFrame:
    rows = [
        {
            **KAZ,
            "reporting_year": 2021,
            "outcome_no": 3,
            "outcome_area": "PRISON_REFORM",
            "result_type": "LAW_DRAFTED",
            "description": "Draft probation law",
            "value": None,
            "unit": None,
            "status": "PENDING_ADOPTION",
            "activity_id": None,
            "evidence": None,
            "submission_id": kaz_submission,
        },
        {
            **KAZ,
            "reporting_year": 2021,
            "outcome_no": 1,
            "outcome_area": "ACCESS_TO_JUSTICE",
            "result_type": "PERSONS_ASSISTED",
            "description": HYPERLINK,
            "value": 87.3,
            "unit": "PERCENT",
            "status": "ACHIEVED",
            "activity_id": "A-02",
            "evidence": "https://example.org/report.pdf",
            "submission_id": kaz_submission,
        },
        {
            **KGZ,
            "reporting_year": 2021,
            "outcome_no": 1,
            "outcome_area": "CRIME_PREVENTION",
            "result_type": "CASES_HANDLED",
            "description": "Cases referred",
            "value": 1162.0,
            "unit": "CASES",
            "status": "IN_PROGRESS",
            "activity_id": "1",
            "evidence": "line one\nline two",
            "submission_id": "KGZ-2021-1",
        },
    ]
    return _frame(rows, {"reporting_year": "Int64", "outcome_no": "Int64", "value": "float64"})


COUNTS = [
    "activities_accepted",
    "activities_quarantined",
    "outcomes_accepted",
    "outcomes_quarantined",
    "prison_values_accepted",
    "prison_values_quarantined",
    "errors",
    "warnings",
]


def coverage(corrected: bool = False) -> pd.DataFrame:
    def row(sid, file_name, received, iso3, year, status, superseded_by=None, counts=(0,) * 8):
        return {
            "submission_id": sid,
            "file_name": file_name,
            "sha256": (sid.encode().hex() * 64)[:64],
            "received_at": pd.Timestamp(received),
            "iso3": iso3,
            "reporting_year": year,
            "status": status,
            "superseded_by": superseded_by,
            **dict(zip(COUNTS, counts, strict=True)),
        }

    rows = [
        row(
            "KAZ-2021-1",
            "KAZ_2021.xlsx",
            "2022-03-01 10:15",
            "KAZ",
            2021,
            "SUPERSEDED" if corrected else "ACCEPTED",
            "KAZ-2021-2" if corrected else None,
            (3, 0, 2, 0, 6, 0, 0, 0),
        ),
        row(
            "KGZ-2021-1",
            "-KGZ_2021.xlsx",
            "2022-03-02",
            "KGZ",
            2021,
            "ACCEPTED_WITH_WARNINGS",
            counts=(1, 1, 1, 0, 3, 0, 0, 2),
        ),
        row("BAD-1", "notes.docx", "2022-03-03", None, None, "REJECTED", counts=(0, 0, 0, 0, 0, 0, 1, 0)),
    ]
    if corrected:
        rows.append(
            row(
                "KAZ-2021-2",
                "KAZ_2021_v2.xlsx",
                "2022-04-01",
                "KAZ",
                2021,
                "ACCEPTED",
                counts=(4, 0, 2, 0, 6, 0, 0, 0),
            )
        )
    frame = pd.DataFrame(rows)
    return frame.astype({"reporting_year": "Int64", **dict.fromkeys(COUNTS, "Int64")})


def base_tables() -> ReleaseTables:
    return ReleaseTables(
        activities=activities(), prisons=prisons(), assistance_outcomes=outcomes(), coverage=coverage()
    )


def corrected_tables() -> ReleaseTables:
    """KAZ sent a corrected 2021 return: PRISONERS_TOTAL 2021 1162 (A) -> 1170 (E), one more activity."""
    sid = "KAZ-2021-2"
    return ReleaseTables(
        activities=activities(sid, extra=True),
        prisons=prisons(1170.0, "E", sid),
        assistance_outcomes=outcomes(sid),
        coverage=coverage(corrected=True),
    )
