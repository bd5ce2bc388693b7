"""The five charts of overview.html, each drawn with matplotlib from `overview_data` aggregations.

Each `*_chart(...)` returns a `Chart`: the inline SVG, a title (the SVG's accessible name and the
figure's heading), a caption, and the numbers behind it as a small text table, so a reader who
cannot see the chart (or wants the figure) has it too. A chart with nothing to show still renders:
an SVG saying "No data in this release", never an exception.

Labels come from the code lists (EN) and form.json; colours are fixed lists, not drawn from data,
so the same input gives the same bytes.
"""

from __future__ import annotations

import textwrap

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator, PercentFormatter

from pipelines.reference import codelists, form
from pipelines.release import overview_data as data
from pipelines.release.chart import Chart
from pipelines.release.overview_svg import chart_style, figure_to_svg, new_figure

WIDTH_IN = 9.6  # every chart the width of the page's column (60rem less padding; 1 in = 96 CSS px)
NO_DATA = "No data in this release"

# Okabe-Ito, a palette that colour-blind readers can tell apart. Public: the browser test looks for
# these colours in a screenshot to see that the charts were drawn, not just present in the DOM.
WOMEN_COLOUR, MEN_COLOUR = "#CC79A7", "#0072B2"
BELOW_CAPACITY_COLOUR, ABOVE_CAPACITY_COLOUR = "#56B4E9", "#D55E00"
MEDIAN_COLOUR = "#009E73"
# Twelve distinguishable colours for the activity types (tab20's darker then lighter tones).
_TYPE_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78",
    "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
)  # fmt: skip
# Reporting years, oldest lightest; the latest year is the darkest.
_YEAR_COLOURS = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c", "#08306b")


def _label(list_name: str, code: str) -> str:
    """The code's English label; an unknown code (never expected after validation) as itself."""
    try:
        return codelists.label(list_name, code, "EN")
    except KeyError:
        return code


def _wrap(text: str, width: int = 24) -> str:
    return textwrap.fill(text, width)


def _count(value: float) -> str:
    return f"{int(round(value)):,}"


def _percent(value: float | None) -> str:
    return "" if value is None or pd.isna(value) else f"{value:.1f} %"


def _render(chart_id: str, title: str, description: str, draw, height_in: float) -> str:
    with chart_style(chart_id):
        figure = new_figure(WIDTH_IN, height_in)
        draw(figure)
        return figure_to_svg(figure, chart_id=chart_id, title=title, description=description)


def _no_data(chart_id: str, title: str) -> str:
    def draw(figure):
        axes = figure.subplots()
        axes.set_axis_off()
        axes.text(0.5, 0.5, NO_DATA, ha="center", va="center", fontsize=14, color="#666666")

    return _render(chart_id, title, NO_DATA, draw, 1.5)


def _bar_labels(axes: Axes, container, values, fmt) -> None:
    axes.bar_label(container, labels=[fmt(v) if v else "" for v in values], padding=2, fontsize=8)


# --- 1. coverage ------------------------------------------------------------------------------------


def coverage_chart(coverage: pd.DataFrame) -> Chart:
    chart_id = "chart-coverage"
    title = "Member states with a published return, by region and reporting year"
    counts = data.states_reporting(coverage)
    members = data.member_states_per_region()
    caption = (
        "Number of UN member states whose return for the year was published (accepted, with or "
        "without warnings), by UN M49 region; the grey bar behind is the number of member states in "
        "the region. Rejected, superseded and duplicate files are not counted."
    )
    if counts.columns.empty:
        return Chart(chart_id, title, caption, _no_data(chart_id, title))
    years = list(counts.columns)
    regions = list(counts.index)
    colours = _YEAR_COLOURS[-len(years) :] if len(years) <= len(_YEAR_COLOURS) else None

    def draw(figure):
        axes = figure.subplots()
        group = 0.8
        axes.bar(
            range(len(regions)),
            [members.get(r, 0) for r in regions],
            width=group + 0.1,
            color="#eeeeee",
            label="Member states in the region",
        )
        width = group / len(years)
        for i, year in enumerate(years):
            offsets = [x - group / 2 + width * (i + 0.5) for x in range(len(regions))]
            values = counts[year].tolist()
            colour = colours[i] if colours else None
            bars = axes.bar(offsets, values, width=width, color=colour, label=str(year))
            _bar_labels(axes, bars, values, str)
        axes.set_xticks(range(len(regions)), [f"{r}\n{members.get(r, 0)} member states" for r in regions])
        axes.set_ylabel("Member states")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylim(0, max(max(members.values(), default=0), int(counts.to_numpy().max())) * 1.1 or 1)
        axes.grid(axis="x", visible=False)
        axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(years) + 1)

    summary = "; ".join(
        f"{r}: " + ", ".join(f"{counts.at[r, y]} of {members.get(r, 0)} in {y}" for y in years)
        for r in regions
    )
    svg = _render(chart_id, title, summary, draw, 3.6)
    header = ("Region", "Member states", *(str(y) for y in years))
    rows = tuple((r, str(members.get(r, 0)), *(str(counts.at[r, y]) for y in years)) for r in regions)
    total = ("All regions", str(sum(members.values())), *(str(int(counts[y].sum())) for y in years))
    return Chart(chart_id, title, caption, svg, header, (*rows, total))


# --- 2. SDG 16.3.2 ----------------------------------------------------------------------------------


def sdg_16_3_2_chart(prisons: pd.DataFrame) -> Chart:
    chart_id = "chart-sdg-16-3-2"
    latest = data.latest_year_values(prisons, data.SDG_16_3_2)
    definition = form.derived_indicators()[data.SDG_16_3_2]["EN"]
    year_text = f", {latest.year}" if latest.year is not None else ""
    title = f"SDG 16.3.2: unsentenced detainees by region{year_text}"
    caption = (
        f"{definition}, in percent: the median per UN M49 region (bar) and each member state (dot), "
        "for the latest year any state reported. Only states that reported both the unsentenced and "
        "the total prison population for that year are shown."
    )
    medians = data.median_by_region(latest.values)
    if medians.empty:
        return Chart(chart_id, title, caption, _no_data(chart_id, title))
    regions = list(medians.index)

    def draw(figure):
        axes = figure.subplots()
        positions = list(range(len(regions)))[::-1]  # first region on top
        bars = axes.barh(positions, medians["median"], height=0.6, color=MEDIAN_COLOUR, alpha=0.35)
        for position, region in zip(positions, regions, strict=True):
            values = latest.values.loc[latest.values["region"] == region, "value"].sort_values()
            # A fixed spread (by rank, not random) keeps overlapping dots apart, reproducibly.
            spread = [((rank % 5) - 2) * 0.07 for rank in range(len(values))]
            axes.scatter(
                values,
                [position + s for s in spread],
                s=9,
                color="#333333",
                zorder=3,
                label="A member state" if position == positions[0] else None,
            )
        axes.set_yticks(
            positions,
            [
                f"{region}\nmedian {m:.1f} %, {int(n)} states"
                for region, m, n in zip(regions, medians["median"], medians["states"], strict=True)
            ],
        )
        bars.set_label("Median of the region")
        axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
        axes.set_xlim(0, 100)
        axes.xaxis.set_major_formatter(PercentFormatter(100, decimals=0))
        axes.set_xlabel("Unsentenced detainees, share of the prison population")
        axes.grid(axis="y", visible=False)

    summary = "; ".join(
        f"{r}: median {medians.at[r, 'median']:.1f} % over {int(medians.at[r, 'states'])} states"
        for r in regions
    )
    svg = _render(chart_id, title, summary, draw, 0.9 + 0.55 * len(regions))
    header = ("Region", "States", "Median", "Lowest", "Highest")
    rows = tuple(
        (
            r,
            str(int(medians.at[r, "states"])),
            _percent(medians.at[r, "median"]),
            _percent(medians.at[r, "min"]),
            _percent(medians.at[r, "max"]),
        )
        for r in regions
    )
    return Chart(chart_id, title, caption, svg, header, rows)


# --- 3. occupancy -----------------------------------------------------------------------------------

_BIN = 10  # percentage points per histogram bar


def occupancy_chart(prisons: pd.DataFrame) -> Chart:
    chart_id = "chart-occupancy"
    title = "Prison occupancy: how full are prisons?"
    definition = form.derived_indicators()[data.OCCUPANCY_RATE]["EN"]
    caption = (
        f"{definition}: number of member states per band of {_BIN} points, each state at its latest "
        "year with a value. Above 100, prisons hold more people than they have official places."
    )
    latest = data.latest_value_per_state(prisons, data.OCCUPANCY_RATE)
    if latest.empty:
        return Chart(chart_id, title, caption, _no_data(chart_id, title))
    values = latest["value"]
    top = int(max(values.max(), 100) // _BIN + 1) * _BIN
    edges = list(range(0, top + 1, _BIN))
    over = int((values > 100).sum())

    def draw(figure):
        axes = figure.subplots()
        heights, _, patches = axes.hist(values, bins=edges, color=BELOW_CAPACITY_COLOUR, edgecolor="white")
        for left, patch in zip(edges, patches, strict=False):
            if left >= 100:
                patch.set_facecolor(ABOVE_CAPACITY_COLOUR)
        axes.axvline(100, color="#333333", linewidth=1, linestyle="--")
        axes.annotate(
            f"official capacity\n{over} of {len(values)} states above",
            xy=(100, 1),
            xycoords=("data", "axes fraction"),
            xytext=(-4, -2),
            ha="right",
            textcoords="offset points",
            va="top",
            fontsize=8,
        )
        axes.set_xlabel("Prisoners per 100 official places")
        axes.set_ylabel("Member states")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlim(0, top)
        axes.set_ylim(0, max(heights) * 1.25)  # headroom for the note on the capacity line
        axes.grid(axis="x", visible=False)

    years = sorted(latest["year"].unique())
    year_text = str(years[0]) if len(years) == 1 else f"{years[0]} to {years[-1]}"
    summary = (
        f"{len(values)} states ({year_text}); median {values.median():.1f}; {over} above 100; "
        f"lowest {values.min():.1f}, highest {values.max():.1f}"
    )
    svg = _render(chart_id, title, summary, draw, 3.2)
    header = ("Indicator", "States", "Years", "Median", "Above 100", "Lowest", "Highest")
    rows = (
        (
            "Occupancy rate",
            str(len(values)),
            year_text,
            f"{values.median():.1f}",
            str(over),
            f"{values.min():.1f}",
            f"{values.max():.1f}",
        ),
    )
    return Chart(chart_id, title, caption, svg, header, rows)


# --- 4. activities ----------------------------------------------------------------------------------


def activities_chart(activities: pd.DataFrame) -> Chart:
    chart_id = "chart-activities"
    title = "Technical-assistance activities by thematic area and type"
    caption = (
        "Number of published activities per thematic area, split by activity type, over every "
        "reporting year of this release."
    )
    counts = data.activities_by_area_and_type(activities)
    if counts.empty:
        return Chart(chart_id, title, caption, _no_data(chart_id, title))
    areas = list(counts.index)
    types = list(counts.columns)

    def draw(figure):
        axes = figure.subplots()
        positions = list(range(len(areas)))[::-1]
        left = [0] * len(areas)
        for i, activity_type in enumerate(types):
            values = counts[activity_type].tolist()
            colour = _TYPE_COLOURS[i % len(_TYPE_COLOURS)]
            axes.barh(
                positions,
                values,
                left=left,
                height=0.65,
                color=colour,
                label=_label("ACTIVITY_TYPE", activity_type),
            )
            left = [a + b for a, b in zip(left, values, strict=True)]
        for position, total in zip(positions, left, strict=True):
            axes.annotate(
                _count(total),
                (total, position),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
        axes.set_yticks(positions, [_wrap(_label("THEMATIC_AREA", a)) for a in areas])
        axes.set_xlabel("Activities")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlim(0, max(left) * 1.08 or 1)
        axes.grid(axis="y", visible=False)
        axes.legend(title="Activity type", loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)

    summary = "; ".join(f"{_label('THEMATIC_AREA', a)}: {int(counts.loc[a].sum())} activities" for a in areas)
    svg = _render(chart_id, title, summary, draw, max(3.2, 0.9 + 0.6 * len(areas)))
    header = ("Thematic area", *(_label("ACTIVITY_TYPE", t) for t in types), "Total")
    rows = tuple(
        (
            _label("THEMATIC_AREA", a),
            *(_count(counts.at[a, t]) for t in types),
            _count(counts.loc[a].sum()),
        )
        for a in areas
    )
    return Chart(chart_id, title, caption, svg, header, rows)


# --- 5. participants by sex -------------------------------------------------------------------------


def participants_chart(activities: pd.DataFrame) -> Chart:
    chart_id = "chart-participants"
    title = "Participants by sex and thematic area"
    sexes = data.participants_by_sex(activities)
    caption = (
        "Participants in published activities, women and men (total minus women), per thematic "
        f"area, from the {sexes.activities_split:,} activities that give both figures"
        + (
            f"; {sexes.activities_unsplit:,} activities give a total without a figure for women and "
            "are not shown."
            if sexes.activities_unsplit
            else "."
        )
    )
    by_area = sexes.by_area
    if by_area.empty or int(by_area.to_numpy().sum()) == 0:
        return Chart(chart_id, title, caption, _no_data(chart_id, title))
    areas = list(by_area.index)
    shares = [
        100 * w / (w + m) if (w + m) else None for w, m in zip(by_area["women"], by_area["men"], strict=True)
    ]

    def draw(figure):
        axes = figure.subplots()
        positions = list(range(len(areas)))[::-1]
        women = by_area["women"].tolist()
        men = by_area["men"].tolist()
        axes.barh(positions, women, height=0.65, color=WOMEN_COLOUR, label="Women")
        axes.barh(positions, men, left=women, height=0.65, color=MEN_COLOUR, label="Men")
        for position, w, m, share in zip(positions, women, men, shares, strict=True):
            axes.annotate(
                f"{_count(w + m)} ({share:.0f} % women)" if share is not None else "0",
                (w + m, position),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
        axes.set_yticks(positions, [_wrap(_label("THEMATIC_AREA", a)) for a in areas])
        axes.set_xlabel("Participants")
        axes.set_xlim(0, max(w + m for w, m in zip(women, men, strict=True)) * 1.25)
        axes.xaxis.set_major_formatter(lambda x, _pos: f"{x:,.0f}")
        axes.grid(axis="y", visible=False)
        axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)

    summary = "; ".join(
        f"{_label('THEMATIC_AREA', a)}: {_count(w)} women, {_count(m)} men"
        for a, w, m in zip(areas, by_area["women"], by_area["men"], strict=True)
    )
    svg = _render(chart_id, title, summary, draw, max(3.0, 0.9 + 0.6 * len(areas)))
    header = ("Thematic area", "Women", "Men", "Women share")
    rows = tuple(
        (
            _label("THEMATIC_AREA", a),
            _count(by_area.at[a, "women"]),
            _count(by_area.at[a, "men"]),
            _percent(share),
        )
        for a, share in zip(areas, shares, strict=True)
    )
    return Chart(chart_id, title, caption, svg, header, rows)
