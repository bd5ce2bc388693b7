"""Column work done once per distinct value, with numpy doing the per-cell part.

A release column holds few distinct values for its length (5 reporting years, 193 states, a few
thousand prison values in 27,000 rows), and every rule the writer applies to a value (`_typed`,
formatting) is a pure function of that value. So each rule runs once per distinct value
(`pandas.factorize` finds them, in C) and the results are spread back by index (`numpy.take`):
the same values a per-cell loop gives, without a Python call per cell.

`pandas.factorize` merges values that compare equal (`1 == 1.0 == True`, a `str` and an equal `str`
subclass): callers only hand it columns whose values are of one type, or check the types first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd


def object_array(values: Sequence[Any]) -> np.ndarray:
    """The values as a 1-D object array, each cell the very object of the sequence (a tuple or a
    list stays one cell, where `np.array` would make a second dimension)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values if isinstance(values, np.ndarray) else list(values)
    return array


def distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(codes, uniques) of the values, missing ones (None, NaN, NA, NaT) coded -1; None when a
    value cannot be hashed (a list, ...)."""
    try:
        return pd.factorize(values)
    except TypeError:
        return None


def spread(codes: np.ndarray, results: Sequence[Any], missing: Any) -> np.ndarray:
    """`results[code]` for every code, `missing` where the code is -1, as an object array."""
    lookup = np.empty(len(results) + 1, dtype=object)
    lookup[: len(results)] = list(results)
    lookup[len(results)] = missing  # index -1
    return lookup[codes]


def map_distinct(values: Sequence[Any], function: Callable[[Any], Any], missing: Any) -> list[Any] | None:
    """`[missing if v is None else function(v) for v in values]`, calling `function` once per distinct
    value. The values must be of one type each (see the module's note) and None for missing; None
    when they cannot be hashed."""
    found = distinct(object_array(values))
    if found is None:
        return None
    codes, uniques = found
    return spread(codes, [function(u) for u in uniques], missing).tolist()


def take(values: Sequence[Any], order: np.ndarray) -> list[Any]:
    """`[values[i] for i in order]`, as a list."""
    if isinstance(values, np.ndarray) and values.dtype == object:
        return values[order].tolist()
    return object_array(values)[order].tolist()


def as_list(values: Sequence[Any]) -> list[Any]:
    """The values as a list, each the very object it was."""
    return values.tolist() if isinstance(values, np.ndarray) and values.dtype == object else list(values)


def sort_order(key_columns: Sequence[Sequence[Any]]) -> np.ndarray | None:
    """The row order that sorts rows by their key (the key columns' values, compared as tuples),
    when every key is complete and unique; None otherwise (a missing part, a duplicate key, values
    that cannot be hashed or ordered), for the caller to find out which in its own words.

    Each column is ranked by its sorted distinct values, and `np.lexsort` orders the ranks: with
    unique keys, the order `sorted(range(n), key=keys.__getitem__)` gives."""
    if not key_columns:
        return None
    ranks = []
    for values in key_columns:
        try:
            codes, _ = pd.factorize(object_array(values), sort=True)
        except TypeError:
            return None
        if len(codes) and codes.min() < 0:
            return None
        ranks.append(codes)
    order = np.lexsort(ranks[::-1])
    if len(order) > 1:
        ordered = np.stack([rank[order] for rank in ranks])
        if (ordered[:, 1:] == ordered[:, :-1]).all(axis=0).any():
            return None  # two rows with the same key
    return order
