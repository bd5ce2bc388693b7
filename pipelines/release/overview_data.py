"""The numbers behind overview.html: plain pandas aggregations of the release's four tables.

Every function takes the frames exactly as the warehouse hands them (`ReleaseTables`; columns from
`layout`), tolerates empty frames and missing values, and returns small, sorted frames, so the
charts and the page are deterministic for the same input. Nothing here draws or formats.

Vocabulary comes from the project's one source each: M49 regions and membership from
`pipelines.reference.countries`, thematic areas and activity types (codes and their order) from the
code lists, derived prison indicators from form.json (through `layout`), coverage statuses from
`layout`.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass

import pandas as pd

from pipelines.reference import codelists, countries
from pipelines.release.layout import COVERAGE_STATUS, derived_indicators

# The two derived indicators the overview charts (spec return-form.md, "Derived indicators").
SDG_16_3_2 = "UNSENTENCED_SHARE"
OCCUPANCY_RATE = "OCCUPANCY_RATE"
# The coverage statuses whose rows are published (published-dataset.md, coverage.csv `status`).
PUBLISHED_STATUSES = ("ACCEPTED", "ACCEPTED_WITH_WARNINGS")

for _code in (SDG_16_3_2, OCCUPANCY_RATE):
    if _code not in derived_indicators():
        raise ImportError(f"form.json no longer derives {_code}: the overview must follow it")
if not set(PUBLISHED_STATUSES) <= set(COVERAGE_STATUS):
    raise ImportError(f"layout.COVERAGE_STATUS no longer holds {PUBLISHED_STATUSES}")

UNKNOWN_REGION = "Unknown region"


@functools.lru_cache(maxsize=1)
def member_states_per_region() -> dict[str, int]:
    """M49 region -> number of UN member states in it, regions in M49 order (Africa ... Oceania)."""
    order = dict.fromkeys(countries.M49_REGION_OF_SUBREGION.values(), 0)
    counts = Counter(countries.country_info(iso3).region for iso3 in countries.member_states())
    return {region: counts.get(region, 0) for region in order}


def _region_of(iso3: str) -> str:
    try:
        return countries.country_info(iso3).region
    except KeyError:
        return UNKNOWN_REGION


def _region_order(regions) -> list[str]:
    """M49 order for the known regions, then any others sorted (never expected, never dropped)."""
    known = list(member_states_per_region())
    present = {r for r in regions if isinstance(r, str)}
    return [r for r in known if r in present] + sorted(present - set(known))


def _numbers(series: pd.Series) -> pd.Series:
    """Any numeric-ish column (Int64 with NA, float with NaN, object) as float with NaN."""
    return pd.to_numeric(series, errors="coerce").astype("float64")


def _years(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype("Int64")


# --- coverage ---------------------------------------------------------------------------------------


def published_returns(coverage: pd.DataFrame) -> pd.DataFrame:
    """One row per (iso3, reporting_year) with a published return, with its region."""
    if coverage.empty:
        return pd.DataFrame({"iso3": [], "reporting_year": [], "region": []})
    rows = coverage.loc[coverage["status"].isin(PUBLISHED_STATUSES), ["iso3", "reporting_year"]].copy()
    rows["reporting_year"] = _years(rows["reporting_year"])
    rows = rows.dropna().drop_duplicates()
    rows["region"] = [_region_of(iso3) for iso3 in rows["iso3"]]
    return rows.sort_values(["reporting_year", "iso3"]).reset_index(drop=True)


def states_reporting(coverage: pd.DataFrame) -> pd.DataFrame:
    """Member states with a published return: index region (M49 order, every region), columns the
    reporting years (ascending), int counts. No column at all when nothing was published."""
    returns = published_returns(coverage)
    regions = list(member_states_per_region())
    regions += [r for r in _region_order(returns["region"]) if r not in regions]
    if returns.empty:
        return pd.DataFrame(index=pd.Index(regions, name="region"))
    counts = returns.groupby(["region", "reporting_year"]).size().unstack("reporting_year", fill_value=0)
    counts = counts.reindex(index=regions, fill_value=0)
    counts = counts.reindex(columns=sorted(counts.columns))
    counts.columns = [int(year) for year in counts.columns]
    counts.index.name = "region"
    return counts.astype(int)


# --- prison indicators ------------------------------------------------------------------------------


def _indicator_values(prisons: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """iso3, region, year, value of one indicator, observations with a value only."""
    if prisons.empty:
        return pd.DataFrame({"iso3": [], "region": [], "year": [], "value": []})
    rows = prisons.loc[prisons["indicator"] == indicator, ["iso3", "region", "year", "value"]].copy()
    rows["value"] = _numbers(rows["value"])
    rows["year"] = _years(rows["year"])
    rows["region"] = rows["region"].where(rows["region"].notna(), UNKNOWN_REGION)
    return rows.dropna(subset=["value", "year"])


@dataclass(frozen=True)
class YearValues:
    """One indicator's values for one year (None: no value at all), one row per state."""

    year: int | None
    values: pd.DataFrame  # iso3, region, value


def latest_year_values(prisons: pd.DataFrame, indicator: str) -> YearValues:
    """The indicator's values in the latest year that has any (the SDG 16.3.2 chart's year)."""
    rows = _indicator_values(prisons, indicator)
    if rows.empty:
        return YearValues(None, rows[["iso3", "region", "value"]])
    year = int(rows["year"].max())
    latest = rows.loc[rows["year"] == year, ["iso3", "region", "value"]]
    return YearValues(year, latest.sort_values("iso3").reset_index(drop=True))


def latest_value_per_state(prisons: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """iso3, region, year, value: each state's most recent year with a value of the indicator."""
    rows = _indicator_values(prisons, indicator)
    rows = rows.sort_values(["iso3", "year"]).drop_duplicates("iso3", keep="last")
    return rows.reset_index(drop=True)


def median_by_region(values: pd.DataFrame) -> pd.DataFrame:
    """index region (M49 order, regions with values only): median, states (count), min, max."""
    if values.empty:
        return pd.DataFrame(
            {"median": [], "states": [], "min": [], "max": []}, index=pd.Index([], name="region")
        )
    grouped = values.groupby("region")["value"].agg(["median", "count", "min", "max"])
    grouped = grouped.rename(columns={"count": "states"}).reindex(_region_order(grouped.index))
    grouped.index.name = "region"
    return grouped


# --- activities -------------------------------------------------------------------------------------


def activities_by_area_and_type(activities: pd.DataFrame) -> pd.DataFrame:
    """Activity counts: index thematic area, columns activity type, both codes in code-list order,
    only the codes that occur (an unknown code, never expected, comes last rather than vanishing)."""
    if activities.empty:
        return pd.DataFrame()
    counts = activities.groupby(["thematic_area", "activity_type"]).size().unstack(fill_value=0)
    counts = counts.reindex(
        index=_code_order("THEMATIC_AREA", counts.index),
        columns=_code_order("ACTIVITY_TYPE", counts.columns),
    )
    return counts.astype(int)


def _code_order(list_name: str, present) -> list[str]:
    present = {code for code in present if isinstance(code, str)}
    known = codelists.codes(list_name)
    return [code for code in known if code in present] + sorted(present - set(known))


@dataclass(frozen=True)
class ParticipantsBySex:
    by_area: pd.DataFrame  # index thematic area (code-list order): women, men (ints)
    activities_split: int  # activities whose total and women are both given
    activities_unsplit: int  # activities with a total but no figure for women: not in by_area


def participants_by_sex(activities: pd.DataFrame) -> ParticipantsBySex:
    """Women and men (= total - women) per thematic area, from the activities that give both."""
    if activities.empty:
        return ParticipantsBySex(pd.DataFrame(columns=["women", "men"]), 0, 0)
    total = _numbers(activities["participants_total"])
    women = _numbers(activities["participants_women"])
    split = total.notna() & women.notna()
    frame = pd.DataFrame(
        {"thematic_area": activities["thematic_area"], "women": women, "men": total - women}
    ).loc[split]
    by_area = frame.groupby("thematic_area")[["women", "men"]].sum()
    by_area = by_area.reindex(_code_order("THEMATIC_AREA", by_area.index)).astype(int)
    return ParticipantsBySex(by_area, int(split.sum()), int((total.notna() & women.isna()).sum()))


# --- key numbers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyNumbers:
    reporting_years: tuple[int, ...]  # with a published return
    states_latest_year: int  # member states with a published return for the latest of those years
    member_states: int
    files_by_status: dict[str, int]  # every coverage status, layout order
    activities: int
    outcomes: int
    participants: int  # sum of participants_total where given
    women_share: float | None  # women / total over the activities that give both, percent
    sdg_16_3_2: YearValues
    occupancy_latest: pd.DataFrame  # latest_value_per_state(OCCUPANCY_RATE)


def key_numbers(
    activities: pd.DataFrame, prisons: pd.DataFrame, outcomes: pd.DataFrame, coverage: pd.DataFrame
) -> KeyNumbers:
    returns = published_returns(coverage)
    years = tuple(sorted(int(y) for y in returns["reporting_year"].unique()))
    latest_states = returns.loc[returns["reporting_year"] == years[-1], "iso3"].nunique() if years else 0
    statuses = Counter(coverage["status"]) if not coverage.empty else Counter()
    sexes = participants_by_sex(activities)
    split_total = int(sexes.by_area.to_numpy().sum()) if not sexes.by_area.empty else 0
    women = int(sexes.by_area["women"].sum()) if not sexes.by_area.empty else 0
    participants = int(_numbers(activities["participants_total"]).sum()) if not activities.empty else 0
    return KeyNumbers(
        reporting_years=years,
        states_latest_year=int(latest_states),
        member_states=len(countries.member_states()),
        files_by_status={status: int(statuses.get(status, 0)) for status in COVERAGE_STATUS},
        activities=len(activities),
        outcomes=len(outcomes),
        participants=participants,
        women_share=(100 * women / split_total) if split_total else None,
        sdg_16_3_2=latest_year_values(prisons, SDG_16_3_2),
        occupancy_latest=latest_value_per_state(prisons, OCCUPANCY_RATE),
    )
