"""overview.html: a release at a glance, one static page that needs nothing but a browser.

`render_overview(tables, release_id=..., synthetic=...)` returns the whole page: a banner when the
data are synthetic, a table of key numbers, and five charts (coverage, SDG 16.3.2, occupancy,
activities, participants by sex), each a `<figure id="chart-...">` holding an inline SVG with an
accessible title, a caption and the numbers behind it.

Self-contained on purpose: no script, no stylesheet, font or image fetched from anywhere, and a
Content-Security-Policy that forbids the browser to try (`default-src 'none'`), so the page opens
the same offline, from a file, or years later. The same tables give the same bytes (see
`overview_svg`), so the page can sit in a reproducible release folder beside the CSVs.

matplotlib costs about 1.5 s to import; the chart modules are imported when a page is rendered, not
when `pipelines.release` is. The page is made in two parts so the charts can be drawn elsewhere
(`overview_worker`, a process of their own that `make run` starts early) while the release is
formatted: `draw_charts(coverage, prisons, activities)` (the heavy part, which needs no release id)
and `assemble_page(tables, charts, release_id=..., synthetic=...)`. `render_overview` is both, here.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pipelines.release.datapackage import SYNTHETIC_NOTE
from pipelines.release.layout import CHANGELOG, DATA_TABLES, DATAPACKAGE
from pipelines.release.tables import ReleaseTables

if TYPE_CHECKING:
    import pandas as pd

    from pipelines.release.chart import Chart

FILE_NAME = "overview.html"
SYNTHETIC_BANNER = SYNTHETIC_NOTE  # the words datapackage.json uses for the same warning
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_CSS = """
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; color: #222;
  margin: 0 auto; max-width: 60rem; padding: 0 1rem 2rem; line-height: 1.4; }
.banner { background: #b00020; color: #fff; font-weight: bold; letter-spacing: .08em;
  text-align: center; padding: .6rem; margin: 0 -1rem 1rem; }
h1 { font-size: 1.6rem; margin: 1rem 0 .25rem; }
h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
.lead { color: #555; margin-top: 0; }
figure { margin: 2rem 0; padding-top: 1rem; border-top: 1px solid #ddd; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: #444; font-size: .9rem; margin-top: .5rem; }
table { border-collapse: collapse; font-size: .85rem; margin: .5rem 0; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .2rem .6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 1px solid #999; }
details { margin-top: .4rem; font-size: .9rem; }
.table-scroll { overflow-x: auto; }
footer { color: #666; font-size: .85rem; border-top: 1px solid #ddd; padding-top: 1rem; }
"""


def render_overview(tables: ReleaseTables, *, release_id: str, synthetic: bool) -> str:
    """The whole overview.html page for a release, as text (write it as UTF-8)."""
    charts = draw_charts(tables.coverage, tables.prisons, tables.activities)
    return assemble_page(tables, charts, release_id=release_id, synthetic=synthetic)


def draw_charts(coverage: pd.DataFrame, prisons: pd.DataFrame, activities: pd.DataFrame) -> tuple[Chart, ...]:
    """The page's five charts, in page order, from the three tables they are drawn from."""
    from pipelines.release import overview_charts as charts  # lazy: imports matplotlib

    return (
        charts.coverage_chart(coverage),
        charts.sdg_16_3_2_chart(prisons),
        charts.occupancy_chart(prisons),
        charts.activities_chart(activities),
        charts.participants_chart(activities),
    )


def assemble_page(
    tables: ReleaseTables, figures: Sequence[Chart], *, release_id: str, synthetic: bool
) -> str:
    """The page around charts that `draw_charts` drew from these `tables`."""
    key_numbers = _key_numbers_section(tables)
    title = f"normsdata release {release_id}: overview"
    banner = (
        f'<div class="banner" role="note" id="synthetic-banner">{SYNTHETIC_BANNER}: built from '
        "synthetic returns for demonstration, not data reported by any member state</div>\n"
        if synthetic
        else ""
    )
    parts = [
        "<!DOCTYPE html>\n",
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>{_text(title)}{' (' + SYNTHETIC_BANNER + ')' if synthetic else ''}</title>\n",
        f"<style>{_CSS}</style>\n</head>\n<body>\n",
        banner,
        f"<header>\n<h1>{_text(title)}</h1>\n",
        '<p class="lead">Crime prevention and criminal justice returns of UN member states: what '
        "this release holds, at a glance. The figures come from the CSV files published beside "
        "this page.</p>\n</header>\n<main>\n",
        key_numbers,
        *(_figure(chart) for chart in figures),
        "</main>\n",
        _footer(),
        "</body>\n</html>\n",
    ]
    return "".join(parts)


def _link(file_name: str) -> str:
    """A relative link to a file of the same release folder: opens offline, fetches nothing."""
    return f'<a href="{_text(file_name)}">{_text(file_name)}</a>'


def _footer() -> str:
    data_files = ", ".join(_link(t.file_name) for t in DATA_TABLES)
    return (
        f"<footer>\n<p>The data, in this folder: {data_files}, described by {_link(DATAPACKAGE)}; "
        f"{_link(CHANGELOG)} says what changed since the previous release. Regions are UN M49 "
        "regions; labels are those of the return form's code lists.</p>\n</footer>\n"
    )


def _text(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f'<th scope="col">{_text(h)}</th>' for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<th scope="row">{_text(cell)}</th>' if i == 0 else f"<td>{_text(cell)}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>\n"
        for row in rows
    )
    return (
        f'<div class="table-scroll"><table><thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{body}</tbody></table></div>\n"
    )


def _figure(chart: Chart) -> str:
    numbers = ""
    if chart.rows:
        table = _table(chart.header, chart.rows)
        numbers = f"<details><summary>Numbers behind the chart</summary>\n{table}</details>\n"
    return (
        f'<figure id="{chart.chart_id}" aria-labelledby="{chart.chart_id}-heading">\n'
        f'<h2 id="{chart.chart_id}-heading">{_text(chart.title)}</h2>\n'
        f"{chart.svg}"
        f"<figcaption>{_text(chart.caption)}</figcaption>\n"
        f"{numbers}</figure>\n"
    )


def _key_numbers_section(tables: ReleaseTables) -> str:
    from pipelines.release import overview_data as data

    numbers = data.key_numbers(tables.activities, tables.prisons, tables.assistance_outcomes, tables.coverage)
    years = numbers.reporting_years
    files = numbers.files_by_status
    received = sum(files.values())
    sdg = numbers.sdg_16_3_2
    occupancy = numbers.occupancy_latest
    rows: list[tuple[str, str]] = [
        (
            "Reporting years",
            f"{years[0]} to {years[-1]}" if len(years) > 1 else str(years[0]) if years else "none",
        ),
        (
            f"Member states with a published return for {years[-1]}" if years else "Member states reporting",
            f"{numbers.states_latest_year} of {numbers.member_states}",
        ),
        (
            "Files received",
            f"{received:,} ("
            + ", ".join(
                f"{count:,} {status.lower().replace('_', ' ')}" for status, count in files.items() if count
            )
            + ")",
        ),
        ("Activities published", f"{numbers.activities:,}"),
        (
            "Participants in activities",
            f"{numbers.participants:,}"
            + (
                f" ({numbers.women_share:.1f} % women where given)" if numbers.women_share is not None else ""
            ),
        ),
        ("Assistance outcomes published", f"{numbers.outcomes:,}"),
    ]
    if sdg.year is not None:
        rows.append(
            (
                f"SDG 16.3.2 unsentenced detainees, median of {len(sdg.values)} states, {sdg.year}",
                f"{sdg.values['value'].median():.1f} %",
            )
        )
    if not occupancy.empty:
        rows.append(
            (
                f"Prison occupancy, median of {len(occupancy)} states (latest year each)",
                f"{occupancy['value'].median():.1f} per 100 places",
            )
        )
    return (
        '<section id="key-numbers" aria-labelledby="key-numbers-heading">\n'
        '<h2 id="key-numbers-heading">Key numbers</h2>\n'
        f"{_table(('', 'This release'), rows)}</section>\n"
    )
