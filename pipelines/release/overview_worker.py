"""The overview's five charts drawn in a process of their own, while the release is being formatted.

matplotlib's import (~1 s) and the five charts (~0.7 s) were the overview's whole cost, paid on the
release's critical path in the pipeline's process. `make run` starts a `ChartWorker` first thing
(assets/run.py), at the lowest CPU priority, so matplotlib is imported on CPU time nothing else
wants; the release step sends it the three tables the charts are drawn from before it formats the
CSVs, Parquet and changelog, and the page is assembled around the charts when `publish_release`
asks for it (only the page's title needs the release id, which only `publish_release` knows).

`overview_renderer(tables)` gives the `overview=` callable for `publish_release`: the prestarted
worker's when `make run` started one and it is alive, else `render_overview` itself (tests, `dagster
dev`, the multiprocess executor: drawn in-process, as before). Either gives the same bytes. A chart
that fails in the worker comes back with its traceback and fails the release as it would here; a
worker that died is said in the log and the charts are drawn here instead, never waited for. The
worker process starts as `python -m pipelines.chart_worker` (which says why it is not here) and runs
`serve()`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

from pipelines import chart_worker, fresh_worker
from pipelines.fresh_worker import FreshWorker, WorkerDied

if TYPE_CHECKING:
    import pandas as pd

    from pipelines.release.chart import Chart
    from pipelines.release.tables import ReleaseTables

log = logging.getLogger(__name__)

Renderer = Callable[..., str]  # as publish_release calls it: (tables, release_id=..., synthetic=...)


class ChartsInWorker:
    """The charts of `tables`, sent to `worker` to draw now; `render` collects them into the page."""

    def __init__(self, worker: FreshWorker, tables: ReleaseTables) -> None:
        self._worker = worker
        self._tables = tables
        self.collected = False
        worker.submit((tables.coverage, tables.prisons, tables.activities))  # returns at once

    def render(self, tables: ReleaseTables, *, release_id: str, synthetic: bool) -> str:
        """The page, as `render_overview(tables, release_id=..., synthetic=...)` gives it."""
        from pipelines.release.overview import assemble_page

        if tables is not self._tables:
            raise ValueError("the charts being drawn are of other tables than the page's")
        try:
            charts: tuple[Chart, ...] = self._worker.receive()
        except WorkerDied as died:
            log.warning("%s; drawing the overview's charts in this process instead", died)
            charts = _draw((tables.coverage, tables.prisons, tables.activities))
        finally:
            self.collected = True
        return assemble_page(tables, charts, release_id=release_id, synthetic=synthetic)

    def close(self) -> None:
        """End the worker: at once when its charts were never asked for (nothing was published)."""
        self._worker.close(kill=not self.collected)


@contextmanager
def overview_renderer(tables: ReleaseTables) -> Iterator[Renderer]:
    """`publish_release`'s `overview=` for these tables: drawn by the prestarted worker, if any."""
    from pipelines.release.overview import render_overview

    worker = fresh_worker.take_prestarted(chart_worker.MODULE)
    if worker is None:
        yield render_overview
        return
    drawing = ChartsInWorker(worker, tables)
    try:
        yield drawing.render
    finally:
        drawing.close()


def _draw(frames: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> tuple[Chart, ...]:
    from pipelines.release.overview import draw_charts

    coverage, prisons, activities = frames
    return draw_charts(coverage, prisons, activities)


def _warm_up() -> None:
    from pipelines.release import overview_charts  # noqa: F401 (matplotlib, pandas, the code lists)


def serve() -> NoReturn:
    """The chart worker's loop (in `python -m pipelines.chart_worker`): matplotlib imported first,
    then `draw_charts` for each request of (coverage, prisons, activities)."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    fresh_worker.run(_draw, _warm_up)
