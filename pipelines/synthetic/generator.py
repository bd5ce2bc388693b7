"""Generate synthetic returns for every member state and year, with drift and errors planted at
realistic rates, and a manifest saying exactly what was planted where.

Everything is drawn from `random.Random` seeded with strings such as "20261128:KAZ:2021:activities",
so a state-year's content does not depend on which other states or years are generated, and the
same seed always gives the same bytes (the writer fixes every timestamp). The one exception: a
submission date that would lie in the future is pulled back to before today.

Every return is marked synthetic: the institution reads "... (SYNTHETIC DEMO DATA)" and e-mails
are at example.org.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import datetime as dt
import functools
import hashlib
import io
import json
import math
import multiprocessing
import random
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

from pipelines.forms.content import Activity, Cover, Outcome, PrisonCell, ReturnContent
from pipelines.forms.return_writer import DATES_AS, Drift, ErrorCell, render_return
from pipelines.reference import codelists, countries, form

SYNTHETIC_MARK = "SYNTHETIC DEMO DATA"
FUTURE_REPORTING_YEAR = 2040  # "a return for a future year": far enough never to become valid
SERIES_START = 2010  # prison series start here so a year's figures do not depend on the years asked for
# A dotfile: the generator's bookkeeping lies beside the returns, but nobody sent it, so the receive
# step skips it instead of rejecting it as a return (it used to show in the demo's coverage.csv).
MANIFEST_FILE = ".manifest.json"

# Rates per return (state x year): the share of member states planted in each year (see _spread_draw).
DRIFT_RATE = 0.10
ERROR_RATE = 0.03
RESUBMISSION_RATE = 0.02
XLSXWRITER_SHARE = 1 / 3  # per state: the tool a ministry uses does not change from year to year

# The language a state's focal point fills the form in. Hand-compiled for realistic demo data, not
# reference data: states where French, Spanish or Russian is an official or the main
# administrative language (constitutions as summarised in Wikipedia's "List of countries and
# territories where French / Spanish / Russian is an official language", 2025), with judgement
# where several languages are official: CAN, RWA, SYC, VUT in English; CHE, CMR, and the Maghreb
# states (DZA, MAR, TUN, MRT) and LBN in French, as their missions usually write to Vienna; MDA in
# English (Romanian-speaking, leaving the CIS); GNQ in Spanish. Everyone else: English.
_FRENCH = (
    "BDI BEL BEN BFA CAF CHE CIV CMR COD COG COM DJI DZA FRA GAB GIN HTI LBN LUX MAR MCO MDG MLI "
    "MRT NER SEN TCD TGO TUN"
)
_SPANISH = "ARG BOL CHL COL CRI CUB DOM ECU ESP GNQ GTM HND MEX NIC PAN PER PRY SLV URY VEN"
_RUSSIAN = "ARM AZE BLR KAZ KGZ RUS TJK TKM UZB"
LANGUAGE_BY_STATE: dict[str, str] = {
    **{iso3: "FR" for iso3 in _FRENCH.split()},
    **{iso3: "ES" for iso3 in _SPANISH.split()},
    **{iso3: "RU" for iso3 in _RUSSIAN.split()},
}

_MINISTRIES = {
    "EN": ("Ministry of Justice", "Prison Service", "Ministry of Interior"),
    "FR": (
        "Ministère de la Justice",
        "Direction de l'administration pénitentiaire",
        "Ministère de l'Intérieur",
    ),
    "ES": ("Ministerio de Justicia", "Servicio Penitenciario Nacional", "Ministerio del Interior"),
    "RU": ("Министерство юстиции", "Пенитенциарная служба", "Министерство внутренних дел"),
}
_NOTES = {
    "EN": ("Follow-up planned", "Co-funded by development partners", "Delayed by COVID-19 measures"),
    "FR": ("Suivi prévu", "Cofinancé par des partenaires", "Retardé par les mesures COVID-19"),
    "ES": ("Seguimiento previsto", "Cofinanciado por socios", "Retrasado por las medidas COVID-19"),
    "RU": ("Запланированы последующие меры", "Софинансирование партнеров", "Отложено из-за COVID-19"),
}
_PARTNERS = (
    "UNODC", "UNDP", "UN Women", "UNICEF", "OHCHR", "European Union", "Council of Europe",
    "OSCE", "ICRC", "World Bank", "National Bar Association", "Ombudsperson's Office",
)  # fmt: skip

# What goes with what, so activities and outcomes read sensibly.
_AREA_BENEFICIARIES = {
    "ACCESS_TO_JUSTICE": ("LAWYERS", "LEGAL_AID_PROVIDERS", "JUDGES", "PROSECUTORS", "GENERAL_PUBLIC"),
    "CRIME_PREVENTION": ("POLICE", "SOCIAL_WORKERS", "CHILDREN_YOUTH", "GENERAL_PUBLIC", "MIXED"),
    "VIOLENCE_AGAINST_WOMEN": ("POLICE", "PROSECUTORS", "JUDGES", "HEALTH_PROFESSIONALS", "VICTIMS"),
    "VIOLENCE_AGAINST_CHILDREN": ("SOCIAL_WORKERS", "CHILDREN_YOUTH", "POLICE", "JUDGES", "VICTIMS"),
    "PRISON_REFORM": ("PRISON_STAFF", "PROBATION_STAFF", "PRISONERS", "HEALTH_PROFESSIONALS", "JUDGES"),
}
_AREA_STANDARDS = {
    "ACCESS_TO_JUSTICE": ("LEGAL_AID_PRINCIPLES", "VICTIMS_DECLARATION", "RESTORATIVE_JUSTICE_PRINCIPLES"),
    "CRIME_PREVENTION": (
        "CRIME_PREVENTION_GUIDELINES",
        "URBAN_CRIME_PREVENTION_GUIDELINES",
        "POLICE_CODE_OF_CONDUCT",
    ),  # fmt: skip
    "VIOLENCE_AGAINST_WOMEN": ("VAW_MODEL_STRATEGIES", "BANGKOK_RULES", "VICTIMS_DECLARATION"),
    "VIOLENCE_AGAINST_CHILDREN": ("VAC_MODEL_STRATEGIES", "BEIJING_RULES", "RIYADH_GUIDELINES"),
    "PRISON_REFORM": ("NELSON_MANDELA_RULES", "BANGKOK_RULES", "TOKYO_RULES"),
}
_AREA_RESULTS = {
    "ACCESS_TO_JUSTICE": ("PERSONS_ASSISTED", "CASES_HANDLED", "INSTITUTION_ESTABLISHED", "LAW_ADOPTED"),
    "CRIME_PREVENTION": ("POLICY_ADOPTED", "TOOL_ADOPTED", "INSTITUTION_ESTABLISHED", "OTHER"),
    "VIOLENCE_AGAINST_WOMEN": ("PERSONS_ASSISTED", "CASES_HANDLED", "LAW_DRAFTED", "LAW_ADOPTED"),
    "VIOLENCE_AGAINST_CHILDREN": ("PERSONS_ASSISTED", "CASES_HANDLED", "POLICY_ADOPTED", "LAW_DRAFTED"),
    "PRISON_REFORM": ("PERSONS_RELEASED", "FACILITIES_IMPROVED", "POLICY_ADOPTED", "TOOL_ADOPTED"),
}
# type -> (weight, (min, max) participants or None, (min, max) duration in days)
_TYPES: dict[str, tuple[int, tuple[int, int] | None, tuple[int, int]]] = {
    "TRAINING": (30, (8, 60), (1, 5)),
    "WORKSHOP": (18, (10, 80), (1, 3)),
    "WEBINAR": (8, (20, 400), (0, 0)),
    "ELEARNING": (5, (30, 1500), (30, 180)),
    "LEGISLATIVE_ASSISTANCE": (6, None, (60, 400)),
    "POLICY_ADVICE": (6, None, (30, 300)),
    "ASSESSMENT": (6, None, (30, 200)),
    "PUBLICATION": (4, None, (0, 0)),
    "AWARENESS_CAMPAIGN": (6, (200, 20000), (7, 60)),
    "PROCUREMENT": (3, None, (30, 120)),
    "INFRASTRUCTURE": (2, None, (90, 500)),
    "LEGAL_AID_SERVICE": (6, (20, 3000), (180, 365)),
}
_WOMEN_SHARE = {"POLICE": (0.1, 0.35), "VICTIMS": (0.6, 0.95), "PRISONERS": (0.02, 0.15)}

_PERSON_STOCKS = (
    "PRISONERS_TOTAL", "PRISONERS_MALE", "PRISONERS_FEMALE",
    "PRISONERS_UNSENTENCED", "PRISONERS_JUVENILE", "PRISONERS_FOREIGN",
)  # fmt: skip
_PROVISIONAL = ("PRISONERS_TOTAL", "PRISONERS_MALE", "PRISONERS_FEMALE", "PRISONERS_UNSENTENCED")
_OPTIONAL = (
    "PRISONERS_JUVENILE",
    "PRISONERS_FOREIGN",
    "DEATHS_IN_CUSTODY",
    "PRISON_STAFF",
    "NONCUSTODIAL_PERSONS",
)

ERROR_KINDS = (
    "women_gt_total", "end_before_start", "unknown_code", "duplicate_activity_id",
    "of_which_gt_total", "bad_date_text", "unknown_related_activity",
)  # fmt: skip
NON_RETURN_KINDS = ("truncated", "csv", "empty_workbook", "no_cover", "lock_file", "future_year")


def state_language(iso3: str) -> str:
    """The language the state's synthetic returns are written in (LANGUAGE_BY_STATE, else EN)."""
    return LANGUAGE_BY_STATE.get(iso3, "EN")


# ---- manifest ------------------------------------------------------------------------------
@dataclass
class ManifestEntry:
    """One file written, and what was planted in it.

    kind: return | resubmission | not_a_return. errors: planted row errors, each with its kind
    (ERROR_KINDS) and place (sheet, field, row index, activity_id, indicator, year). revisions:
    prison cells that differ from the state's previous year's return (earlier years revised).
    """

    file: str
    kind: str
    iso3: str
    reporting_year: int
    sha256: str = ""
    language: str | None = None
    engine: str | None = None
    drift: dict[str, object] = field(default_factory=dict)
    errors: list[dict[str, object]] = field(default_factory=list)
    non_return: str | None = None
    supersedes: str | None = None
    changes: list[dict[str, object]] = field(default_factory=list)
    revisions: list[dict[str, object]] = field(default_factory=list)
    n_activities: int = 0
    n_outcomes: int = 0


@dataclass
class Manifest:
    seed: int
    years: list[int]
    states: list[str]
    files: list[ManifestEntry] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "generator": "pipelines.synthetic",
            "synthetic": True,
            "seed": self.seed,
            "years": self.years,
            "states": self.states,
            "rates": {"drift": DRIFT_RATE, "errors": ERROR_RATE, "resubmission": RESUBMISSION_RATE},
            "files": [dataclasses.asdict(e) for e in sorted(self.files, key=lambda e: e.file)],
        }

    def write(self, path: Path) -> Path:
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=1, default=str)
        path.write_text(text + "\n", encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: Path) -> Manifest:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        files = [ManifestEntry(**entry) for entry in raw["files"]]
        return cls(seed=raw["seed"], years=raw["years"], states=raw["states"], files=files)

    def of_kind(self, kind: str) -> list[ManifestEntry]:
        return [e for e in self.files if e.kind == kind]


# ---- per-state profile and prison series ---------------------------------------------------
@dataclass
class _Profile:
    iso3: str
    language: str
    engine: str
    ministry: str
    activity_level: float
    area_weights: list[float]
    series: dict[str, dict[int, PrisonCell]]
    first_factor: dict[int, float]  # the first estimate of a year's stocks, published as (p) when != 1
    late_factor: dict[int, float]  # what the return one year later says (a late revision when != 1)
    estimated: set[tuple[str, int]]


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random(":".join(str(p) for p in (seed, *parts)))


_GOLDEN = (math.sqrt(5) - 1) / 2


@functools.cache
def _state_index() -> dict[str, int]:
    return {iso3: i for i, iso3 in enumerate(countries.member_states())}


def _spread_draw(seed: int, iso3: str, year: int, purpose: str) -> float:
    """A uniform draw in [0, 1) for a state-year, spread evenly over the member states: in any one
    year, the share of the 193 states drawing below r is r to within about 1/193 (a golden-ratio
    Weyl sequence from a seeded start), so the planted rates hold in every year, not just on average;
    and a state-year's draw does not depend on which other states are generated."""
    index = _state_index().get(iso3)
    if index is None:
        index = _rng(seed, iso3, "index").randrange(1_000_000)
    return (_rng(seed, year, purpose).random() + index * _GOLDEN) % 1.0


def _profile(iso3: str, seed: int, last_year: int) -> _Profile:
    rng = _rng(seed, iso3, "profile")
    language = state_language(iso3)
    level = rng.choice((0.5, 2, 4, 6, 8, 10, 12, 15, 18, 22, 28, 34))
    profile = _Profile(
        iso3=iso3,
        language=language,
        engine="xlsxwriter" if rng.random() < XLSXWRITER_SHARE else "openpyxl",
        ministry=rng.choice(_MINISTRIES[language]),
        activity_level=level,
        area_weights=[rng.uniform(0.3, 3.0) for _ in _AREA_STANDARDS],
        series={code: {} for code in form.indicators()},
        first_factor={},
        late_factor={},
        estimated=set(),
    )
    _prison_series(profile, _rng(seed, iso3, "prisons"), last_year)
    return profile


def _prison_series(p: _Profile, rng: random.Random, last_year: int) -> None:
    """A state's prison figures from SERIES_START to last_year: a random walk around a baseline."""
    total = min(1_800_000, max(40, round(math.exp(rng.gauss(math.log(9000), 1.4)))))
    capacity = max(30, round(total / rng.uniform(0.6, 2.1)))
    unsentenced, women = rng.uniform(0.12, 0.75), rng.uniform(0.025, 0.09)
    juvenile = rng.uniform(0.002, 0.03)
    foreign = rng.uniform(0.005, 0.05) if rng.random() < 0.7 else rng.uniform(0.05, 0.35)
    facility_size, staff_ratio = rng.uniform(250, 1500), rng.uniform(0.2, 0.7)
    noncustodial, death_rate = rng.uniform(0.1, 2.0), rng.uniform(0.001, 0.006)
    emergency, vaccination = rng.random() < 0.55, rng.uniform(0.3, 0.95)
    unavailable = {code for code in _OPTIONAL if rng.random() < 0.12}
    missing_mark = None if rng.random() < 0.3 else ".."  # unavailable: left empty, or marked `..`
    z = rng.choices(("n.a.", "N/A", "-"), weights=(6, 2, 2))[0]
    s = p.series
    for y in range(SERIES_START, last_year + 1):
        growth = rng.gauss(0.01, 0.05) - (rng.uniform(0.05, 0.15) if y == 2020 and emergency else 0)
        total = max(20, round(total * math.exp(growth)))
        if rng.random() < 0.12:
            capacity = round(capacity * rng.uniform(1.02, 1.15))
        capacity = min(max(capacity, math.ceil(total / 2.4)), math.floor(total / 0.55))
        unsentenced = min(0.8, max(0.1, unsentenced + rng.gauss(0, 0.02)))
        women = min(0.1, max(0.02, women + rng.gauss(0, 0.003)))
        female = round(total * women)
        s["PRISONERS_TOTAL"][y], s["PRISONERS_FEMALE"][y], s["PRISONERS_MALE"][y] = (
            total,
            female,
            total - female,
        )
        s["PRISONERS_UNSENTENCED"][y] = round(total * unsentenced)
        s["PRISONERS_JUVENILE"][y] = round(total * juvenile * rng.uniform(0.9, 1.1))
        s["PRISONERS_FOREIGN"][y] = round(total * foreign * rng.uniform(0.95, 1.05))
        s["PRISON_CAPACITY"][y] = capacity
        s["PRISON_FACILITIES"][y] = max(1, round(capacity / facility_size))
        s["DEATHS_IN_CUSTODY"][y] = round(total * death_rate * rng.uniform(0.7, 1.3))
        s["PRISON_STAFF"][y] = round(total * staff_ratio * rng.uniform(0.97, 1.03))
        s["NONCUSTODIAL_PERSONS"][y] = round(total * noncustodial * rng.uniform(0.9, 1.1))
        if y in (2020, 2021) and emergency:
            s["EMERGENCY_RELEASES"][y] = round(total * rng.uniform(0.03, 0.15) / (y - 2019))
        else:
            s["EMERGENCY_RELEASES"][y] = z
        if y < 2021:
            s["PRISONERS_VACCINATED"][y] = z
        elif y < 2023:
            s["PRISONERS_VACCINATED"][y] = round(total * vaccination * rng.uniform(0.5, 1.0))
        else:
            s["PRISONERS_VACCINATED"][y] = (
                ".." if rng.random() < 0.5 else round(total * rng.uniform(0.05, 0.3))
            )
        for code in _OPTIONAL:
            if code in unavailable:
                s[code][y] = missing_mark
            elif rng.random() < 0.02:
                s[code][y] = ".."
            elif rng.random() < 0.02:
                p.estimated.add((code, y))
        p.first_factor[y] = 1 + rng.choice((-1, 1)) * rng.uniform(0.005, 0.04) if rng.random() < 0.12 else 1.0
        p.late_factor[y] = 1 + rng.choice((-1, 1)) * rng.uniform(0.005, 0.02) if rng.random() < 0.03 else 1.0


def _prisons_for(p: _Profile, year: int) -> dict[str, dict[int, PrisonCell]]:
    """What the return for `year` says: its year and four earlier ones, as published then."""
    out: dict[str, dict[int, PrisonCell]] = {code: {} for code in p.series}
    for y in range(year - form.prisons_vocabulary()["years_before_reporting_year"], year + 1):
        lag = year - y
        factor = p.first_factor[y] if lag == 0 else p.late_factor[y] if lag == 1 else 1.0
        total = round(p.series["PRISONERS_TOTAL"][y] * factor)
        female = round(p.series["PRISONERS_FEMALE"][y] * factor)
        for code, values in p.series.items():
            value = values[y]
            if isinstance(value, int) and factor != 1.0 and code in _PERSON_STOCKS:
                value = total - female if code == "PRISONERS_MALE" else min(total, round(value * factor))
            if isinstance(value, int) and lag == 0 and factor != 1.0 and code in _PROVISIONAL:
                value = f"{value} (p)"
            elif isinstance(value, int) and (code, y) in p.estimated:
                value = f"{value} (e)"
            out[code][y] = value
    return out


# ---- one return's content ------------------------------------------------------------------
def _submission_date(year: int, rng: random.Random) -> dt.date:
    when = dt.date(year + 1, 2, 1) + dt.timedelta(days=rng.randint(0, 140))
    today = dt.date.today()
    if when > today:  # only for the current year: keep "not in the future" true
        start = dt.date(year, 1, 1)
        when = start + dt.timedelta(days=rng.randint(0, max(0, (today - start).days)))
    return when


def _label(list_name: str, code: str, language: str) -> str:
    return codelists.label(list_name, code, language)


def _activity(p: _Profile, year: int, n: int, rng: random.Random) -> Activity:
    lang = p.language
    area = rng.choices(list(_AREA_STANDARDS), weights=p.area_weights)[0]
    kind = rng.choices(list(_TYPES), weights=[t[0] for t in _TYPES.values()])[0]
    _, sizes, (shortest, longest) = _TYPES[kind]
    start = dt.date(year - 1, 10, 1) + dt.timedelta(days=rng.randint(0, 445))
    end: dt.date | None = start + dt.timedelta(days=rng.randint(shortest, longest))
    if end < dt.date(year, 1, 1):  # must overlap the reporting year
        start, end = start + dt.timedelta(days=92), end + dt.timedelta(days=92)
    if kind == "PUBLICATION" and rng.random() < 0.5:
        end = None
    beneficiary = rng.choice(_AREA_BENEFICIARIES[area]) if rng.random() < 0.85 else None
    mode = None
    if kind in ("WEBINAR", "ELEARNING"):
        mode = "ONLINE"
    elif sizes is not None or kind == "ASSESSMENT":
        covid = year in (2020, 2021)
        mode = rng.choices(("IN_PERSON", "ONLINE", "HYBRID"), weights=(3, 5, 2) if covid else (8, 1, 2))[0]
    total = women = None
    if sizes is not None and rng.random() < 0.92:
        total = int(math.exp(rng.uniform(math.log(sizes[0]), math.log(sizes[1]))))
        if rng.random() < 0.85:
            low, high = _WOMEN_SHARE.get(beneficiary or "", (0.25, 0.7))
            women = min(total, round(total * rng.uniform(low, high)))
    standards = sorted(rng.sample(_AREA_STANDARDS[area], rng.choice((0, 1, 1, 2))))
    title = f"{_label('ACTIVITY_TYPE', kind, lang)}: {_label('THEMATIC_AREA', area, lang)}"
    if beneficiary:
        title += f" ({_label('BENEFICIARY_GROUP', beneficiary, lang)})"
    return Activity(
        activity_id=f"{p.iso3}-{year}-{n:03d}",
        thematic_area=area,
        activity_type=kind,
        title=title,
        start_date=start,
        end_date=end,
        delivery_mode=mode,
        participants_total=total,
        participants_women=women,
        beneficiary_group=beneficiary,
        standards=standards,
        partners=sorted(rng.sample(_PARTNERS, rng.choice((0, 1, 1, 2, 3)))),
        notes=rng.choice(_NOTES[lang]) if rng.random() < 0.15 else None,
    )


def _outcome(p: _Profile, year: int, k: int, activity: Activity | None, rng: random.Random) -> Outcome:
    lang = p.language
    area = activity.thematic_area if activity else rng.choice(list(_AREA_RESULTS))
    result = rng.choice(_AREA_RESULTS[area])
    value: float | int | None = None
    unit = None
    if result in ("PERSONS_RELEASED", "PERSONS_ASSISTED"):
        value, unit = rng.randint(10, 5000), "PERSONS"
    elif result == "CASES_HANDLED":
        value, unit = rng.randint(5, 3000), "CASES"
    elif result == "FACILITIES_IMPROVED":
        value, unit = rng.randint(1, 30), "FACILITIES"
    elif result == "OTHER":
        value, unit = round(rng.uniform(5, 60), 1), "PERCENT"
    elif rng.random() < 0.5:
        value, unit = rng.randint(1, 3), "DOCUMENTS"
    if result == "LAW_DRAFTED":
        status = rng.choice(("PENDING_ADOPTION", "IN_PROGRESS"))
    elif result in ("LAW_ADOPTED", "POLICY_ADOPTED"):
        status = "ACHIEVED"
    else:
        status = "ACHIEVED" if rng.random() < 0.6 else "IN_PROGRESS"
    return Outcome(
        outcome_area=area,
        result_type=result,
        description=f"{_label('RESULT_TYPE', result, lang)}: {_label('THEMATIC_AREA', area, lang)}",
        status=status,
        value=value,
        unit=unit,
        activity_id=activity.activity_id if activity else None,
        evidence=f"https://example.org/{p.iso3.lower()}/{year}/evidence-{k}" if rng.random() < 0.4 else None,
    )


def _content(p: _Profile, year: int, seed: int) -> ReturnContent:
    rng = _rng(seed, p.iso3, year, "content")
    cover = Cover(
        member_state=p.iso3,
        reporting_year=year,
        institution=f"{p.ministry} ({SYNTHETIC_MARK})",
        focal_point=f"Focal point {p.iso3} (synthetic)",
        email=f"focal.point.{p.iso3.lower()}@example.org",
        submission_date=_submission_date(year, rng),
        template_version=form.form()["template_version"],
        language=p.language,
    )
    n = (
        0
        if rng.random() < 0.08
        else min(40, max(0, round(rng.gauss(p.activity_level, 1 + p.activity_level / 3))))
    )
    activities = [_activity(p, year, i + 1, rng) for i in range(n)]
    if activities and rng.random() < 0.04:  # some states leave Activity ID blank (the pipeline derives one)
        for a in activities:
            a.activity_id = None
    outcomes = []
    for k in range(rng.randint(0, min(10, 1 + n // 3))):
        linked = rng.choice(activities) if activities and rng.random() < 0.75 else None
        outcomes.append(_outcome(p, year, k + 1, linked, rng))
    return ReturnContent(cover=cover, activities=activities, prisons=_prisons_for(p, year), outcomes=outcomes)


def return_content(iso3: str, year: int, seed: int) -> ReturnContent:
    """The clean content (no drift, no planted error) of a state's synthetic return for a year."""
    return _content(_profile(iso3, seed, year), year, seed)


# ---- planting ------------------------------------------------------------------------------
def _random_drift(content: ReturnContent, rng: random.Random, errors: list[dict[str, object]]) -> Drift:
    """One to three drift options, as a return that drifts from the form would show them. A drift
    never hides a planted error: no omitted sheet and no error cell where an error was planted."""
    lang = content.cover.language
    spared = {e["sheet"] for e in errors}
    options = {
        "title_rows_above": lambda: rng.randint(1, 4),
        "header_language": lambda: rng.choice([x for x in form.languages() if x != lang]),
        "header_case_and_spaces": lambda: True,
        "shuffle_columns": lambda: True,
        "prison_years_newest_first": lambda: True,
        "extra_column": lambda: True,
        "extra_sheet": lambda: True,
        "hidden_lists_sheet": lambda: True,
        "codes_as": lambda: rng.choice(("label", "plain", "messy")),
        "numbers_as_text": lambda: True,
        "floats_for_ints": lambda: True,
        "dates_as": lambda: rng.choice([d for d in DATES_AS if d != "excel"]),
        "formulas": lambda: True,
        "error_cell": lambda: _error_cell(content, rng, spared),
        "member_state_as_name": lambda: True,
        "padded_text": lambda: True,
        "omit_sheets": lambda: (
            rng.choice([k for k in ("activities", "prisons", "outcomes") if k not in spared]),
        ),
    }
    chosen = rng.sample(sorted(options), rng.choice((1, 1, 2, 2, 3)))
    return Drift(seed=rng.randint(0, 2**31), **{name: options[name]() for name in sorted(chosen)})


def _error_cell(content: ReturnContent, rng: random.Random, spared: set[object]) -> ErrorCell:
    error = rng.choice(("#DIV/0!", "#REF!", "#VALUE!", "#N/A"))
    with_total = [i for i, a in enumerate(content.activities) if a.participants_total is not None]
    if with_total and "activities" not in spared and rng.random() < 0.5:
        return ErrorCell("activities", "participants_total", row=rng.choice(with_total), error=error)
    if "prisons" in spared:  # an of-which error was planted: keep TOTAL and the of-which rows intact
        return ErrorCell("prisons", "PRISON_CAPACITY", error=error)
    return ErrorCell("prisons", rng.choice(("PRISON_CAPACITY", "PRISONERS_UNSENTENCED")), error=error)


def _plant_errors(content: ReturnContent, rng: random.Random) -> list[dict[str, object]]:
    """Break one or two rows the way the spec's rules catch; return where and how."""
    acts, year = content.activities, content.cover.reporting_year
    with_total = [i for i, a in enumerate(acts) if a.participants_total is not None]
    with_end = [i for i, a in enumerate(acts) if a.end_date is not None]
    with_id = [i for i, a in enumerate(acts) if a.activity_id]
    possible = ["of_which_gt_total", "unknown_related_activity"]
    possible += ["women_gt_total"] if with_total else []
    possible += ["end_before_start"] if with_end else []
    possible += ["unknown_code", "bad_date_text"] if acts else []
    possible += ["duplicate_activity_id"] if len(with_id) >= 2 else []
    planted = []
    for kind in rng.sample(possible, rng.choice((1, 1, 1, 2))):
        where: dict[str, object] = {"kind": kind}
        if kind == "women_gt_total":
            i = rng.choice(with_total)
            acts[i].participants_women = acts[i].participants_total + rng.randint(1, 20)
            where.update(sheet="activities", field="participants_women", row=i)
        elif kind == "end_before_start":
            i = rng.choice(with_end)
            acts[i].end_date = acts[i].start_date - dt.timedelta(days=rng.randint(1, 30))
            where.update(sheet="activities", field="end_date", row=i)
        elif kind == "unknown_code":
            i = rng.randrange(len(acts))
            name, bad = rng.choice((("thematic_area", "PRISON_REFORMS"), ("activity_type", "TRAINNG")))
            setattr(acts[i], name, bad)
            where.update(sheet="activities", field=name, row=i, value=bad)
        elif kind == "bad_date_text":
            i = rng.randrange(len(acts))
            bad = rng.choice((f"31/02/{year}", f"{year}-13-01", "TBC", f"spring {year}"))
            acts[i].start_date = bad  # type: ignore[assignment]  # written as text by the writer
            where.update(sheet="activities", field="start_date", row=i, value=bad)
        elif kind == "duplicate_activity_id":
            i, j = sorted(rng.sample(with_id, 2))
            acts[j].activity_id = acts[i].activity_id
            where.update(sheet="activities", field="activity_id", row=j, rows=[i, j])
        elif kind == "unknown_related_activity":
            if not content.outcomes:
                content.outcomes.append(
                    Outcome("ACCESS_TO_JUSTICE", "OTHER", "Other", "IN_PROGRESS", activity_id=None)
                )
            i = rng.randrange(len(content.outcomes))
            content.outcomes[i].activity_id = f"{content.cover.member_state}-{year}-999"
            where.update(sheet="outcomes", field="activity_id", row=i, value=content.outcomes[i].activity_id)
        else:  # of_which_gt_total, in the reporting year
            cells = content.prisons
            total = _number(cells["PRISONERS_TOTAL"].get(year))
            code = rng.choice(("PRISONERS_UNSENTENCED", "PRISONERS_FEMALE"))
            cells[code][year] = total + rng.randint(1, 50)
            where.update(sheet="prisons", field=code, indicator=code, year=year, value=cells[code][year])
        if "row" in where and where["sheet"] == "activities":
            where["activity_id"] = acts[int(where["row"])].activity_id  # type: ignore[arg-type]
        planted.append(where)
    return planted


def _number(cell: PrisonCell) -> int:
    if isinstance(cell, int | float):
        return int(cell)
    return int(str(cell).split()[0])


def _revisions(previous: ReturnContent, current: ReturnContent) -> list[dict[str, object]]:
    """Prison cells of earlier years that this return states differently from last year's."""
    out = []
    for code, cells in current.prisons.items():
        for y, value in sorted(cells.items()):
            before = previous.prisons.get(code, {}).get(y)
            if (
                y < current.cover.reporting_year
                and value is not None
                and value != before
                and y in previous.prisons.get(code, {})
            ):
                out.append({"indicator": code, "year": y, "previous": before, "value": value})
    return out


def _correction(
    clean: ReturnContent, planted: list[dict[str, object]], rng: random.Random
) -> tuple[ReturnContent, list[dict[str, object]]]:
    """A corrected resubmission, sent later: the planted errors fixed, or one prison figure corrected."""
    v2 = copy.deepcopy(clean)
    later = v2.cover.submission_date + dt.timedelta(days=rng.randint(15, 90))
    v2.cover.submission_date = min(later, max(v2.cover.submission_date, dt.date.today()))
    if planted:
        return v2, [{"fixes": [p["kind"] for p in planted]}]
    year, cells = v2.cover.reporting_year, v2.prisons
    total, male = cells["PRISONERS_TOTAL"].get(year), cells["PRISONERS_MALE"].get(year)
    if isinstance(total, int) and isinstance(male, int):
        delta = rng.randint(1, max(2, total // 50))  # male and total corrected together: still adds up
        cells["PRISONERS_TOTAL"][year], cells["PRISONERS_MALE"][year] = total + delta, male + delta
        return v2, [
            {"sheet": "prisons", "indicator": code, "year": year, "previous": old, "value": old + delta}
            for code, old in (("PRISONERS_TOTAL", total), ("PRISONERS_MALE", male))
        ]
    return v2, [{"sheet": "cover", "field": "submission_date", "value": v2.cover.submission_date.isoformat()}]


# ---- files that are not returns -------------------------------------------------------------
def _lock_file(owner: str) -> bytes:
    """What Office leaves beside an open workbook: the owner's name, padded, in 165 bytes."""
    name = owner[:52]
    data = bytes([len(name)]) + name.encode("ascii", "replace").ljust(53, b" ")
    wide = name.encode("utf-16-le")
    data += bytes([len(name), 0]) + wide + b"\x20\x00" * ((108 - len(wide)) // 2)
    return data[:165].ljust(165, b"\x00")


def _empty_workbook(stamp: dt.datetime) -> bytes:
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    wb.set_properties({"author": "normsdata", "created": stamp})
    wb.add_worksheet("Sheet1")
    wb.close()
    return buffer.getvalue()


def _activities_csv(content: ReturnContent) -> bytes:
    """The Activities sheet saved as CSV (UTF-8 with BOM, as Excel's "CSV UTF-8" writes it)."""
    spec = form.fields("activities")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([labels[content.cover.language] for labels in spec.values()])
    for a in content.activities:
        row = []
        for name in spec:
            value = getattr(a, name)
            row.append("; ".join(value) if isinstance(value, list) else "" if value is None else str(value))
        writer.writerow(row)
    return out.getvalue().encode("utf-8-sig")


def _non_return(kind: str, p: _Profile, year: int, seed: int) -> tuple[str, int, bytes]:
    """(file name, reporting year, bytes) of a file that is not a valid return."""
    content = _content(p, year, seed)
    stamp = dt.datetime.combine(content.cover.submission_date, dt.time(9))
    if kind == "truncated":
        data = render_return(content, engine=p.engine)
        return f"{p.iso3}_{year}_resent.xlsx", year, data[: len(data) * 3 // 5]
    if kind == "csv":
        return f"{p.iso3}_{year}.csv", year, _activities_csv(content)
    if kind == "empty_workbook":
        return f"{p.iso3}_{year}_blank.xlsx", year, _empty_workbook(stamp)
    if kind == "no_cover":
        data = render_return(content, engine=p.engine, drift=Drift(omit_sheets=("cover",)))
        return f"{p.iso3}_{year}_annex.xlsx", year, data
    if kind == "lock_file":
        return f"~${p.iso3}_{year}.xlsx", year, _lock_file(f"Focal point {p.iso3}")
    # future_year: the same return, its Cover and Prisons moved to a year that has not come
    shift = FUTURE_REPORTING_YEAR - year
    content.cover.reporting_year = FUTURE_REPORTING_YEAR
    content.prisons = {
        code: {y + shift: v for y, v in cells.items()} for code, cells in content.prisons.items()
    }
    return (
        f"{p.iso3}_{FUTURE_REPORTING_YEAR}.xlsx",
        FUTURE_REPORTING_YEAR,
        render_return(content, engine=p.engine),
    )


# ---- the run --------------------------------------------------------------------------------
def _write(out_dir: Path, name: str, data: bytes, **entry: object) -> ManifestEntry:
    (out_dir / name).write_bytes(data)
    return ManifestEntry(file=name, sha256=hashlib.sha256(data).hexdigest(), **entry)  # type: ignore[arg-type]


def _unique(name: str, used: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{stem} ({n}){dot}{ext}"
    used.add(candidate)
    return candidate


def generate(
    out_dir: Path, years: range, seed: int, states: Sequence[str] | None = None, *, jobs: int = 1
) -> Manifest:
    """Write one synthetic return per state and year (plus planted extras) and `.manifest.json`.

    jobs > 1 writes the states' files in that many processes; the bytes are the same.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    years_list = sorted(years)
    if not years_list:
        raise ValueError("no years to generate")
    state_list = list(states) if states is not None else list(countries.member_states())
    manifest = Manifest(seed=seed, years=years_list, states=state_list)
    tasks = [(out_dir, iso3, seed, years_list) for iso3 in state_list]
    if jobs > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            for entries in pool.map(_state_files, *zip(*tasks, strict=True), chunksize=4):
                manifest.files.extend(entries)
    else:
        for task in tasks:
            manifest.files.extend(_state_files(*task))
    used = {e.file for e in manifest.files}
    for year in years_list:
        rng = _rng(seed, year, "non_returns")
        if len(state_list) >= len(NON_RETURN_KINDS):
            picks = rng.sample(state_list, len(NON_RETURN_KINDS))
        else:
            picks = [rng.choice(state_list) for _ in NON_RETURN_KINDS]
        for kind, iso3 in zip(NON_RETURN_KINDS, picks, strict=True):
            name, ry, data = _non_return(kind, _profile(iso3, seed, year), year, seed)
            entry = {"kind": "not_a_return", "iso3": iso3, "reporting_year": ry, "non_return": kind}
            manifest.files.append(_write(out_dir, _unique(name, used), data, **entry))
    manifest.write(out_dir / MANIFEST_FILE)
    return manifest


def _state_files(out_dir: Path, iso3: str, seed: int, years: list[int]) -> list[ManifestEntry]:
    """Write a state's returns (and resubmissions) for the years; return their manifest entries."""
    profile = _profile(iso3, seed, years[-1])
    entries: list[ManifestEntry] = []
    previous: ReturnContent | None = None
    for year in years:
        if previous is not None and previous.cover.reporting_year != year - 1:
            previous = None
        previous = _state_year(out_dir, profile, year, seed, previous, entries)
    return entries


def _state_year(
    out_dir: Path,
    p: _Profile,
    year: int,
    seed: int,
    previous: ReturnContent | None,
    entries: list[ManifestEntry],
) -> ReturnContent:
    """Write a state's return for a year (and its resubmission, if any); return what was sent."""
    clean = _content(p, year, seed)
    content = copy.deepcopy(clean)
    error_rng, drift_rng, resubmit_rng = (
        _rng(seed, p.iso3, year, x) for x in ("errors", "drift", "resubmit")
    )
    draw = {x: _spread_draw(seed, p.iso3, year, x) for x in ("errors", "drift", "resubmit")}
    errors = _plant_errors(content, error_rng) if draw["errors"] < ERROR_RATE else []
    drift = _random_drift(content, drift_rng, errors) if draw["drift"] < DRIFT_RATE else Drift()
    engine = "xlsxwriter" if drift.formulas else p.engine
    common = {"iso3": p.iso3, "reporting_year": year, "language": p.language, "engine": engine}
    entry = _write(
        out_dir,
        f"{p.iso3}_{year}.xlsx",
        render_return(content, engine=engine, drift=drift),
        kind="return",
        drift=drift.active(),
        errors=errors,
        revisions=_revisions(previous, content) if previous else [],
        n_activities=len(content.activities),
        n_outcomes=len(content.outcomes),
        **common,
    )
    entries.append(entry)
    if draw["resubmit"] < RESUBMISSION_RATE:
        v2, changes = _correction(clean, errors, resubmit_rng)
        v2_drift = dataclasses.replace(drift, error_cell=None)
        entries.append(
            _write(
                out_dir,
                f"{p.iso3}_{year}_v2.xlsx",
                render_return(v2, engine=engine, drift=v2_drift),
                kind="resubmission",
                drift=v2_drift.active(),
                supersedes=entry.file,
                changes=changes,
                n_activities=len(v2.activities),
                n_outcomes=len(v2.outcomes),
                **common,
            )
        )
    return content
