"""A matplotlib Figure as an SVG fragment to inline in an HTML page: reproducible, accessible,
self-contained, and safe beside other charts on the same page.

matplotlib's SVG is close but not quite that:
- it starts with an XML declaration and a DOCTYPE naming a DTD URL, and carries a `<metadata>` block
  with RDF namespace URLs and the matplotlib version; inside HTML none of it is needed, so it goes
  (and the page then holds no URL that a strict reader could mistake for a resource);
- it names its groups `figure_1`, `axes_1`, `patch_1` ..., the same in every chart, so two inline
  charts would share ids; every id and every `#id` reference is prefixed with the chart's id;
- its clip-path and marker ids are hashes salted by `svg.hashsalt` (random unless set) and it
  stamps a date unless `metadata={"Date": None}`: both are pinned so the same figure gives the
  same bytes (checked by the tests);
- `svg.fonttype = "none"` keeps text as `<text>` (searchable, selectable, much smaller than glyph
  paths); the browser draws it with the first font of the family list it has, falling back to
  `sans-serif`, never a web font.
The `<svg>` gets `role="img"` and a `<title>` (its accessible name) and `<desc>`.

Figures are built with the object API (`matplotlib.figure.Figure`), never pyplot: no global figure
registry and no GUI backend, so the default backend does not matter.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib
from matplotlib.figure import Figure

# Everything the charts share; set only inside `chart_style()`, never globally.
STYLE: dict[str, object] = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
}

_PROLOG = re.compile(r"\A\s*<\?xml[^>]*\?>\s*(?:<!DOCTYPE[^>]*>\s*)?")
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_XMLNS = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_SVG_OPEN = re.compile(r"<svg\b([^>]*)>")
_ID = re.compile(r'\bid="([^"]+)"')
_REF_URL = re.compile(r"url\(#([^)]+)\)")
_REF_HREF = re.compile(r'(\b(?:xlink:)?href)="#([^"]+)"')


@contextmanager
def chart_style(chart_id: str) -> Iterator[None]:
    """The shared style, and a hash salt of the chart's own so the SVG is reproducible."""
    with matplotlib.rc_context({**STYLE, "svg.hashsalt": f"normsdata-overview-{chart_id}"}):
        yield


def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure laid out by the constrained layout engine (labels never cut off). Call inside
    `chart_style()`: artists read the style when they are created."""
    return Figure(figsize=(width_in, height_in), layout="constrained")


def figure_to_svg(figure: Figure, *, chart_id: str, title: str, description: str) -> str:
    """The figure as an `<svg>` element to inline; call inside `chart_style(chart_id)`."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return inline_svg(buffer.getvalue(), chart_id=chart_id, title=title, description=description)


def inline_svg(svg: str, *, chart_id: str, title: str, description: str) -> str:
    """matplotlib's SVG document -> an `<svg>` element for an HTML page (see the module docstring)."""
    svg = _PROLOG.sub("", svg)
    svg = _METADATA.sub("", svg)
    svg = _ID.sub(lambda m: f'id="{chart_id}-{m.group(1)}"', svg)
    svg = _REF_URL.sub(lambda m: f"url(#{chart_id}-{m.group(1)})", svg)
    svg = _REF_HREF.sub(lambda m: f'{m.group(1)}="#{chart_id}-{m.group(2)}"', svg)
    opening = _SVG_OPEN.search(svg)
    if opening is None:
        raise ValueError("matplotlib wrote no <svg> element")
    attributes = _XMLNS.sub("", opening.group(1))
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    new_opening = (
        f'<svg{attributes} role="img" aria-labelledby="{title_id}" aria-describedby="{desc_id}">'
        f'<title id="{title_id}">{html.escape(title)}</title>'
        f'<desc id="{desc_id}">{html.escape(description)}</desc>'
    )
    return (svg[: opening.start()] + new_opening + svg[opening.end() :]).strip() + "\n"
