"""overview.html: five charts as inline SVG, no network, the synthetic banner, empty data, the right
numbers, the same bytes twice, and a real headless Chromium that renders it."""

from __future__ import annotations

import logging
import os
import random
import re
import shutil
import signal
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import release_frames as frames

from pipelines import fresh_worker
from pipelines.chart_worker import ChartWorker
from pipelines.fresh_worker import WorkerFailed
from pipelines.reference import codelists, countries
from pipelines.release import ReleaseTables, overview_worker
from pipelines.release import overview_charts as charts
from pipelines.release import overview_data as data
from pipelines.release.layout import DATA_TABLES, PRISONS
from pipelines.release.overview import SYNTHETIC_BANNER, render_overview
from pipelines.release.overview_worker import ChartsInWorker, overview_renderer

# The page's promise, spelled out here on purpose (not imported): renaming a figure breaks this test.
CHART_IDS = (
    "chart-coverage",
    "chart-sdg-16-3-2",
    "chart-occupancy",
    "chart-activities",
    "chart-participants",
)
NO_DATA = "No data in this release"


# --- reading a page -----------------------------------------------------------------------------------


@dataclass
class FigureParts:
    svgs: int = 0
    svg_elements: Counter = field(default_factory=Counter)  # tag -> count, inside the <svg>
    svg_title: str = ""
    svg_texts: list[str] = field(default_factory=list)  # the <text> of the chart
    caption: str = ""
    table_rows: list[list[str]] = field(default_factory=list)  # "Numbers behind the chart"


class PageParser(HTMLParser):
    """What the tests look at: every tag and attribute, every id, and each <figure id>'s parts.
    Works on our page and on Chromium's --dump-dom serialisation of it alike."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter = Counter()
        self.attributes: list[tuple[str, str, str]] = []
        self.ids: list[str] = []
        self.figures: dict[str, FigureParts] = {}
        self._figure: FigureParts | None = None
        self._in_svg = False
        self._capture: tuple[str, list[str]] | None = None  # (end tag, text pieces)
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        attributes = dict(attrs)
        for name, value in attrs:
            self.attributes.append((tag, name, value or ""))
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "figure":
            self._figure = self.figures.setdefault(attributes.get("id", ""), FigureParts())
        figure = self._figure
        if figure is None:
            return
        if tag == "svg":
            figure.svgs += 1
            self._in_svg = True
        elif self._in_svg:
            figure.svg_elements[tag] += 1
        if tag in ("title", "text", "figcaption", "td", "th") and self._capture is None:
            self._capture = (tag, [])
        if tag == "tr":
            self._row = []

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "svg":
            self._in_svg = False

    def handle_data(self, text):
        if self._capture is not None:
            self._capture[1].append(text)

    def handle_endtag(self, tag):
        figure = self._figure
        if self._capture is not None and tag == self._capture[0]:
            text = " ".join("".join(self._capture[1]).split())
            self._capture = None
            if figure is not None:
                if tag == "title" and self._in_svg:
                    figure.svg_title = text
                elif tag == "text" and self._in_svg:
                    figure.svg_texts.append(text)
                elif tag == "figcaption":
                    figure.caption = text
                elif tag in ("td", "th") and self._row is not None:
                    self._row.append(text)
        if tag == "tr" and self._row is not None and figure is not None:
            figure.table_rows.append(self._row)
            self._row = None
        if tag == "svg":
            self._in_svg = False
        if tag == "figure":
            self._figure = None


def parse(page: str) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    parser.close()
    return parser


URL_ATTRIBUTES = {
    "src",
    "href",
    "xlink:href",
    "srcset",
    "action",
    "formaction",
    "data",
    "poster",
    "background",
}
FETCHING_TAGS = {"script", "link", "img", "iframe", "object", "embed", "base", "video", "audio", "source"}
_SCHEME = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", re.I)


def network_references(page: str) -> list[str]:
    """Everything in a page that could make a browser fetch something, or leave the folder."""
    parser = parse(page)
    found = [
        f"<{tag} {name}={value!r}>"
        for tag, name, value in parser.attributes
        if name in URL_ATTRIBUTES and _SCHEME.match(value)
    ]
    found += [f"<{tag}>" for tag in parser.tags if tag in FETCHING_TAGS]
    found += re.findall(r"url\(\s*(?!#)[^)]*\)|@import|@font-face", page)
    return found


def figure_table(parts: FigureParts) -> dict[str, list[str]]:
    """The figure's numbers table, first cell -> the rest of the row (header row included)."""
    return {row[0]: row[1:] for row in parts.table_rows}


# --- tables -------------------------------------------------------------------------------------------


def empty_tables() -> ReleaseTables:
    """A release with no row at all: the frames the warehouse gives for empty tables."""
    return ReleaseTables(**{t.name: pd.DataFrame(columns=list(t.column_names)) for t in DATA_TABLES})


def _prison_row(iso3: str, year: int, indicator: str, value: float | None, obs: str = "A") -> dict:
    info = countries.country_info(iso3)
    return {
        "iso3": iso3,
        "country": info.name,
        "region": info.region,
        "subregion": info.subregion,
        "year": year,
        "indicator": indicator,
        "value": value,
        "unit": "percent",
        "obs_status": obs,
        "derived": True,
        "reporting_year": 2023,
        "submission_id": f"{iso3}-2023",
    }


def _prisons(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(PRISONS.column_names))
    return frame.astype({"year": "Int64", "value": "float64", "reporting_year": "Int64"})


def hand_made_prisons() -> pd.DataFrame:
    """Three African states in 2023, older and partial values that must not count."""
    sdg, occupancy = data.SDG_16_3_2, data.OCCUPANCY_RATE
    return _prisons(
        [
            _prison_row("KEN", 2023, sdg, 10.0),
            _prison_row("NGA", 2023, sdg, 60.0),
            _prison_row("GHA", 2023, sdg, 20.0),
            _prison_row("GHA", 2022, sdg, 90.0),  # an older year: not in the 2023 median
            _prison_row("KAZ", 2022, sdg, 55.0),  # Asia reported 2022 only: not in the chart's year
            _prison_row("FRA", 2023, sdg, None, "M"),  # not available: no value, not a state of the median
            _prison_row("KEN", 2023, occupancy, 80.0),
            _prison_row("NGA", 2022, occupancy, 150.0),
            _prison_row("NGA", 2023, occupancy, None, "M"),  # NGA's latest value is 2022's 150
            _prison_row("KAZ", 2021, occupancy, 120.0),
            _prison_row("KAZ", 2020, occupancy, 300.0),  # older than KAZ's 2021: not counted
        ]
    )


def demo_size_tables(seed: int = 20261128) -> ReleaseTables:
    """Every member state, two reporting years, a few hundred activities, five years of prisons."""
    rng = random.Random(seed)
    areas = codelists.codes("THEMATIC_AREA")
    types = codelists.codes("ACTIVITY_TYPE")
    activities, prisons, coverage = [], [], []
    for iso3 in countries.member_states():
        info = countries.country_info(iso3)
        place = {"iso3": iso3, "country": info.name, "region": info.region, "subregion": info.subregion}
        for reporting_year in (2022, 2023):
            sid = f"{iso3}-{reporting_year}"
            coverage.append(
                {
                    "submission_id": sid,
                    "file_name": f"{sid}.xlsx",
                    "iso3": iso3,
                    "reporting_year": reporting_year,
                    "status": rng.choice(data.PUBLISHED_STATUSES),
                }
            )
            for n in range(rng.randint(0, 6)):
                total = rng.randint(5, 400)
                activities.append(
                    {
                        **place,
                        "reporting_year": reporting_year,
                        "activity_id": f"A-{n}",
                        "thematic_area": rng.choice(areas),
                        "activity_type": rng.choice(types),
                        "participants_total": total,
                        "participants_women": rng.choice([None, rng.randint(0, total)]),
                        "submission_id": sid,
                    }
                )
        for year in range(2019, 2024):
            prisons.append(_prison_row(iso3, year, data.SDG_16_3_2, round(rng.uniform(5, 80), 1)))
            prisons.append(_prison_row(iso3, year, data.OCCUPANCY_RATE, round(rng.uniform(40, 260), 1)))
    coverage.append({"submission_id": "BAD", "file_name": "notes.docx", "status": "REJECTED"})
    return ReleaseTables(
        activities=pd.DataFrame(activities).astype(
            {"participants_total": "Int64", "participants_women": "Int64", "reporting_year": "Int64"}
        ),
        prisons=_prisons(prisons),
        assistance_outcomes=frames.outcomes(),
        coverage=pd.DataFrame(coverage).astype({"reporting_year": "Int64"}),
    )


@pytest.fixture(scope="module")
def base_page() -> str:
    return render_overview(frames.base_tables(), release_id="2022-05-01-0a1b2c3d", synthetic=False)


@pytest.fixture(scope="module")
def demo_page() -> str:
    return render_overview(demo_size_tables(), release_id="2026-11-28-demo0001", synthetic=True)


# --- the page -----------------------------------------------------------------------------------------


def test_the_five_figures_each_hold_an_svg_with_a_title_and_a_caption(demo_page):
    page = parse(demo_page)
    assert tuple(page.figures) == CHART_IDS
    for chart_id, figure in page.figures.items():
        assert figure.svgs == 1, chart_id
        assert figure.svg_title, f"{chart_id}: the svg has no accessible title"
        assert figure.caption, f"{chart_id}: no figcaption"
        # Drawn, not a placeholder: bars, dots or ticks as paths, labels kept as text (svg.fonttype none).
        assert figure.svg_elements["path"] >= 10, chart_id
        assert NO_DATA not in figure.svg_texts, chart_id
    assert 'role="img"' in demo_page
    assert "Penal and prison reform" in page.figures["chart-activities"].svg_texts  # code-list label, EN
    assert "Legislative assistance" in page.figures["chart-activities"].svg_texts
    assert page.figures["chart-participants"].svg_texts.count("Women") == 1  # the legend


def test_a_demo_size_release_counts_every_member_state(demo_page):
    figures = parse(demo_page).figures
    coverage = figure_table(figures["chart-coverage"])
    assert coverage["Region"] == ["Member states", "2022", "2023"]
    assert coverage["All regions"] == ["193", "193", "193"]  # the rejected file counts for nobody
    assert coverage["Africa"] == ["54", "54", "54"]
    assert "2023" in figures["chart-sdg-16-3-2"].svg_title
    assert figure_table(figures["chart-occupancy"])["Occupancy rate"][0] == "193"


def test_the_page_fetches_nothing_and_links_only_to_files_of_the_release(demo_page):
    assert network_references(demo_page) == []
    assert "<script" not in demo_page
    assert "default-src 'none'" in demo_page  # and the browser is told to refuse any fetch
    hrefs = {value for tag, name, value in parse(demo_page).attributes if tag == "a" and name == "href"}
    assert hrefs == {t.file_name for t in DATA_TABLES} | {"datapackage.json", "CHANGELOG.md"}
    # Internal references only inside the charts: clip paths and markers of the same page.
    svg_refs = re.findall(r'(?:xlink:)?href="([^"]*)"|url\(([^)]*)\)', demo_page)
    assert svg_refs and all((a or b).startswith("#") for a, b in svg_refs if a not in hrefs)


@pytest.mark.parametrize(
    "planted",
    [
        '<img src="https://example.org/x.png">',
        '<script src="http://cdn.example.org/d3.js"></script>',
        '<link rel="stylesheet" href="https://fonts.example.org/a.css">',
        '<svg><image xlink:href="http://example.org/a.png"/></svg>',
        '<a href="//example.org/">x</a>',
        "<style>@import 'https://example.org/a.css';</style>",
        "<svg><rect style=\"fill: url('https://example.org/p.svg#g')\"/></svg>",
    ],
)
def test_the_network_check_finds_what_a_page_could_fetch(planted):
    assert network_references(f"<html><body><p>ok</p>{planted}</body></html>")


def test_plain_text_links_are_not_network_references():
    assert network_references("<p>See https://unstats.un.org/sdgs for the indicator.</p>") == []


def test_the_synthetic_banner_shows_if_and_only_if_the_data_are_synthetic(base_page):
    synthetic = render_overview(frames.base_tables(), release_id="2022-05-01-0a1b2c3d", synthetic=True)
    real = base_page
    assert SYNTHETIC_BANNER == "SYNTHETIC DEMO DATA"
    assert 'id="synthetic-banner"' in synthetic
    assert SYNTHETIC_BANNER in synthetic.split("<body>", 1)[1]
    assert SYNTHETIC_BANNER not in real
    assert "synthetic-banner" not in real


def test_an_empty_release_renders_five_no_data_charts():
    page = render_overview(empty_tables(), release_id="2022-05-01-00000000", synthetic=False)
    figures = parse(page).figures
    assert tuple(figures) == CHART_IDS
    for chart_id, figure in figures.items():
        assert figure.svgs == 1, chart_id
        assert figure.svg_title, chart_id
        assert NO_DATA in figure.svg_texts, chart_id
    assert network_references(page) == []


def test_rows_with_nothing_to_chart_give_no_data_charts_not_errors():
    base = frames.base_tables()
    activities = base.activities.assign(participants_total=pd.NA, participants_women=pd.NA).astype(
        {"participants_total": "Int64", "participants_women": "Int64"}
    )
    tables = ReleaseTables(
        activities=activities,
        prisons=base.prisons,  # occupancy for KAZ, but no unsentenced share at all
        assistance_outcomes=base.assistance_outcomes,
        coverage=base.coverage.assign(status="REJECTED"),  # nothing published
    )
    figures = parse(render_overview(tables, release_id="r", synthetic=False)).figures
    no_data = {chart_id for chart_id, figure in figures.items() if NO_DATA in figure.svg_texts}
    assert no_data == {"chart-coverage", "chart-sdg-16-3-2", "chart-participants"}


def test_the_same_tables_give_the_same_bytes_and_other_tables_do_not(base_page):
    again = render_overview(frames.base_tables(), release_id="2022-05-01-0a1b2c3d", synthetic=False)
    assert again == base_page  # svg.hashsalt and metadata Date pinned: a release is reproducible
    assert "<metadata" not in base_page and "<?xml" not in base_page and "DOCTYPE svg" not in base_page
    corrected = render_overview(frames.corrected_tables(), release_id="2022-05-01-0a1b2c3d", synthetic=False)
    assert corrected != base_page


def test_ids_are_unique_across_the_page(demo_page):
    ids = parse(demo_page).ids
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert duplicates == []
    assert len(ids) > 100  # matplotlib's groups, renamed per chart


def test_text_from_the_tables_is_escaped():
    tables = frames.base_tables()
    page = render_overview(tables, release_id='<b>"x"</b>', synthetic=False)
    assert "<b>" not in page
    assert "&lt;b&gt;&quot;x&quot;&lt;/b&gt;" in page


# --- the numbers ----------------------------------------------------------------------------------------


def test_sdg_16_3_2_is_the_median_per_region_in_the_latest_year(tmp_path):
    latest = data.latest_year_values(hand_made_prisons(), data.SDG_16_3_2)
    assert latest.year == 2023
    assert sorted(latest.values["iso3"]) == ["GHA", "KEN", "NGA"]
    medians = data.median_by_region(latest.values)
    assert medians.loc["Africa", "median"] == 20.0
    assert medians.loc["Africa", "states"] == 3
    assert list(medians.index) == ["Africa"]
    chart = charts.sdg_16_3_2_chart(hand_made_prisons())
    assert chart.title.endswith(", 2023")
    assert dict((row[0], row[1:]) for row in chart.rows) == {"Africa": ("3", "20.0 %", "10.0 %", "60.0 %")}


def test_occupancy_takes_each_states_latest_year_with_a_value():
    latest = data.latest_value_per_state(hand_made_prisons(), data.OCCUPANCY_RATE)
    assert latest.set_index("iso3")[["year", "value"]].to_dict("index") == {
        "KAZ": {"year": 2021, "value": 120.0},
        "KEN": {"year": 2023, "value": 80.0},
        "NGA": {"year": 2022, "value": 150.0},
    }
    chart = charts.occupancy_chart(hand_made_prisons())
    assert chart.rows == (("Occupancy rate", "3", "2021 to 2023", "120.0", "2", "80.0", "150.0"),)


def test_coverage_counts_states_with_a_published_return_per_region_and_year():
    counts = data.states_reporting(frames.coverage(corrected=True))
    # KAZ 2021 sent twice (one superseded), KGZ once, a rejected .docx: two Asian states in 2021.
    assert counts.to_dict() == {2021: {"Africa": 0, "Americas": 0, "Asia": 2, "Europe": 0, "Oceania": 0}}
    assert data.member_states_per_region() == {
        "Africa": 54,
        "Americas": 35,
        "Asia": 47,
        "Europe": 43,
        "Oceania": 14,
    }


def test_activities_are_counted_by_area_and_type_in_code_list_order():
    counts = data.activities_by_area_and_type(frames.activities(extra=True))
    assert list(counts.index) == [
        "ACCESS_TO_JUSTICE",
        "CRIME_PREVENTION",
        "VIOLENCE_AGAINST_WOMEN",
        "PRISON_REFORM",
    ]
    assert counts.loc["PRISON_REFORM"].to_dict() == {
        "TRAINING": 1,
        "WORKSHOP": 0,
        "WEBINAR": 0,
        "ASSESSMENT": 1,
        "AWARENESS_CAMPAIGN": 0,
    }
    assert int(counts.to_numpy().sum()) == 5


def test_men_are_total_minus_women_where_both_are_given():
    sexes = data.participants_by_sex(frames.activities(extra=True))
    # A-01 25 of which 12 women; A-03 1200/800; KGZ's 40/0; give no figures.
    assert sexes.by_area.to_dict("index") == {
        "CRIME_PREVENTION": {"women": 0, "men": 40},
        "VIOLENCE_AGAINST_WOMEN": {"women": 800, "men": 400},
        "PRISON_REFORM": {"women": 12, "men": 13},
    }
    assert (sexes.activities_split, sexes.activities_unsplit) == (3, 0)
    activities = frames.activities()
    activities.loc[activities["activity_id"] == "A-03", "participants_women"] = pd.NA  # total, no women
    sexes = data.participants_by_sex(activities)
    assert (sexes.activities_split, sexes.activities_unsplit) == (2, 1)
    assert "VIOLENCE_AGAINST_WOMEN" not in sexes.by_area.index


def test_the_key_numbers_table(base_page):
    key_numbers = base_page.split('id="key-numbers"', 1)[1].split("</section>", 1)[0]
    rows = {row[0]: row[1] for row in _rows(key_numbers)}
    assert rows["Reporting years"] == "2021"
    assert rows["Member states with a published return for 2021"] == "2 of 193"
    assert rows["Files received"] == "3 (1 accepted, 1 accepted with warnings, 1 rejected)"
    assert rows["Activities published"] == "4"
    assert rows["Participants in activities"] == "1,265 (64.2 % women where given)"  # 812 of 1,265


def _rows(fragment: str) -> list[list[str]]:
    parser = parse(f"<figure id='k'>{fragment}</figure>")
    return parser.figures["k"].table_rows


# --- a real browser -------------------------------------------------------------------------------------


@pytest.fixture
def chromium() -> str:
    """Debian's chromium; requested first by the browser tests so they skip before rendering."""
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing, and CI is set: .ci/run installs Debian's chromium package")
        pytest.skip("chromium (Debian package) is not installed; CI installs it")
    return path


# Chromium logs the page's console, Content-Security-Policy violations included, to stderr with these.
CONSOLE_TO_STDERR = ("--enable-logging=stderr", "--v=0")
CSP_VIOLATION = "violates the following Content Security Policy directive"


def run_chromium(chromium: str, tmp_path: Path, page: Path, *arguments: str) -> subprocess.CompletedProcess:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        *arguments,
        page.resolve().as_uri(),
    ]
    # The timeout only stops a hung browser from hanging the suite; nothing is asserted on time.
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def test_headless_chromium_renders_the_five_charts(chromium, tmp_path, demo_page):
    page = tmp_path / "overview.html"
    page.write_text(demo_page, encoding="utf-8")

    dumped = run_chromium(chromium, tmp_path, page, "--dump-dom", *CONSOLE_TO_STDERR)
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    assert CSP_VIOLATION not in dumped.stderr  # the browser was never even asked to fetch anything
    dom = parse(dumped.stdout)
    assert tuple(dom.figures) == CHART_IDS, dumped.stdout[:2000]
    for chart_id, figure in dom.figures.items():
        assert figure.svgs == 1, chart_id
        assert figure.svg_elements["path"] >= 10 and figure.svg_texts, chart_id
        assert figure.svg_title == parse(demo_page).figures[chart_id].svg_title
    assert dom.tags["svg"] == 5

    screenshot = tmp_path / "overview.png"
    shot = run_chromium(chromium, tmp_path, page, "--window-size=1100,6000", f"--screenshot={screenshot}")
    assert shot.returncode == 0 and screenshot.is_file(), shot.stderr[-2000:]
    colours = _colours(screenshot)
    # Drawn, not blank: the charts' own fills are on screen.
    for colour in (
        charts.WOMEN_COLOUR,
        charts.MEN_COLOUR,
        charts.ABOVE_CAPACITY_COLOUR,
        charts.BELOW_CAPACITY_COLOUR,
    ):
        assert colours[_rgb(colour)] > 200, f"{colour} not drawn"
    assert sum(n for rgb, n in colours.items() if rgb != (255, 255, 255)) > 0.05 * sum(colours.values())


def test_chromium_reports_a_fetch_the_page_attempts(chromium, tmp_path, base_page):
    """The witness above can fail: a planted remote image is refused by the page's CSP, and logged."""
    page = tmp_path / "planted.html"
    page.write_text(base_page.replace("<main>", '<main><img src="https://example.org/x.png">'), "utf-8")
    dumped = run_chromium(chromium, tmp_path, page, "--dump-dom", *CONSOLE_TO_STDERR)
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    assert CSP_VIOLATION in dumped.stderr
    assert "https://example.org/x.png" in dumped.stderr


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def _colours(png: Path) -> Counter:
    from PIL import Image  # pillow comes with matplotlib

    with Image.open(png) as image:
        return Counter(image.convert("RGB").getdata())


def test_warehouse_dtypes_give_the_same_page():
    """DuckDB hands years as int32 / Int32 and may hand counts as float with NaN: same page."""
    base = frames.base_tables()
    as_duckdb = ReleaseTables(
        activities=base.activities.astype(
            {"reporting_year": "int32", "participants_total": "float64", "participants_women": "float64"}
        ),
        prisons=base.prisons.astype({"year": "int32", "reporting_year": "int32"}),
        assistance_outcomes=base.assistance_outcomes,
        coverage=base.coverage.astype({"reporting_year": "Int32"}),
    )
    assert as_duckdb.activities["participants_women"].isna().any()
    assert render_overview(as_duckdb, release_id="r", synthetic=False) == render_overview(
        base, release_id="r", synthetic=False
    )


# --- drawn in the chart worker, as under `make run` (pipelines/release/overview_worker.py) ------------


@pytest.fixture
def no_prestarted_workers():
    yield
    fresh_worker.reap_prestarted()  # whatever a test left behind


def test_charts_drawn_in_the_worker_give_the_very_same_page(demo_page, no_prestarted_workers):
    worker = ChartWorker()
    fresh_worker.prestart(worker)
    tables = demo_size_tables()
    with overview_renderer(tables) as render:
        assert render is not render_overview  # the prestarted worker's: sent the tables already
        page = render(tables, release_id="2026-11-28-demo0001", synthetic=True)
    assert page == demo_page
    assert worker.close() == 0  # it had answered, then ended when its input was closed


def test_without_a_prestarted_worker_the_page_is_rendered_here(no_prestarted_workers):
    with overview_renderer(frames.base_tables()) as render:
        assert render is render_overview  # tests, dagster dev, the multiprocess executor: as before


def test_a_worker_whose_charts_are_never_asked_for_is_ended_at_once(no_prestarted_workers):
    worker = ChartWorker()
    fresh_worker.prestart(worker)
    with overview_renderer(frames.base_tables()):
        pass  # publish_release found nothing new to publish: it never calls the renderer
    assert worker.close() == -signal.SIGKILL


def test_a_chart_that_fails_in_the_worker_comes_back_with_its_traceback():
    tables = frames.base_tables()
    broken = ReleaseTables(
        activities=tables.activities.drop(columns="participants_women"),  # the participants chart needs it
        prisons=tables.prisons,
        assistance_outcomes=tables.assistance_outcomes,
        coverage=tables.coverage,
    )
    with pytest.raises(KeyError) as here:
        render_overview(broken, release_id="r", synthetic=False)
    drawing = ChartsInWorker(ChartWorker(), broken)
    try:
        with pytest.raises(WorkerFailed, match="Traceback") as there:
            drawing.render(broken, release_id="r", synthetic=False)
        assert f"KeyError: {here.value}" in str(there.value)
    finally:
        drawing.close()


def test_a_dead_chart_worker_is_reported_and_the_charts_drawn_here(demo_page, caplog):
    tables = demo_size_tables()
    worker = ChartWorker()
    drawing = ChartsInWorker(worker, tables)
    os.kill(worker.pid, signal.SIGKILL)  # as the kernel's OOM killer would, mid-release
    try:
        with caplog.at_level(logging.WARNING, logger=overview_worker.__name__):
            page = drawing.render(tables, release_id="2026-11-28-demo0001", synthetic=True)
    finally:
        drawing.close()
    assert page == demo_page
    assert f"died: killed by signal {signal.SIGKILL.value}" in caplog.text
    assert "drawing the overview's charts in this process instead" in caplog.text
