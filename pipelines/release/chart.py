"""A chart of overview.html as the page needs it: the drawn SVG and the words and numbers around it.

Its own module, apart from the drawing code (`overview_charts`, which imports matplotlib): charts
drawn in the chart worker (`overview_worker`) come back as pickles of this class, and unpickling
them must not import matplotlib into the pipeline's process.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chart:
    chart_id: str  # the <figure id>, `chart-...`
    title: str
    caption: str
    svg: str
    header: tuple[str, ...] = ()  # the numbers behind the chart, formatted, for a table
    rows: tuple[tuple[str, ...], ...] = ()
