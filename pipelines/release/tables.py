"""ReleaseTables: the four frames the warehouse hands the release layer."""

from __future__ import annotations

from dataclasses import dataclass

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
