"""ReleaseTables: the four frames the warehouse hands the release layer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.release.layout import DATA_TABLES, Table


@dataclass(frozen=True, eq=False)
class ReleaseTables:
    """One frame per data table; columns exactly the spec's (any order), typed.

    Dates as datetime.date or pandas datetime, integers as nullable Int64, numbers as float,
    booleans as bool, text as str or None.
    """

    activities: pd.DataFrame
    prisons: pd.DataFrame
    assistance_outcomes: pd.DataFrame
    coverage: pd.DataFrame

    def frame(self, table: Table | str) -> pd.DataFrame:
        name = table if isinstance(table, str) else table.name
        if name not in {t.name for t in DATA_TABLES}:
            raise KeyError(f"no data table {name!r}")
        return getattr(self, name)


def share_repeated_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame (changed in place and returned) with every text repeated down a column held once.

    A frame read from DuckDB holds a new `str` per cell: "Kazakhstan" 200 times, a submission id
    once per row. For the release's tables that is most of their memory (about 20 of 25 MiB at
    1,000 returns), kept for the whole release. Equal texts become one object (the first of them);
    values, dtypes and missing values (whatever object stands for them) are unchanged.
    """
    for name in frame.columns:
        column = frame[name]
        if column.dtype != object:
            continue
        values = column.to_numpy(dtype=object)
        shared = _shared_texts(values)
        if shared is None:  # not only texts and missing values: one cell at a time
            held: dict[str, str] = {}
            cells = (held.setdefault(v, v) if type(v) is str else v for v in values.tolist())
            shared = np.fromiter(cells, dtype=object, count=len(values))  # a list stays one value
        frame[name] = pd.Series(shared, index=frame.index, name=name, copy=False)
    return frame


def _shared_texts(values: np.ndarray) -> np.ndarray | None:
    """The column with each text replaced by the first text equal to it, found by `pandas.factorize`
    (in C); missing values (coded -1) stay the very objects they were. None when a distinct value is
    not a `str` (a number, a list, ...), which factorize would merge with other equal values
    (`1 == 1.0 == True`)."""
    try:
        codes, uniques = pd.factorize(values)
    except TypeError:  # unhashable: a list, a dict
        return None
    if not all(type(u) is str for u in uniques):
        return None
    shared = values.copy()
    present = codes >= 0
    shared[present] = uniques[codes[present]]
    return shared
