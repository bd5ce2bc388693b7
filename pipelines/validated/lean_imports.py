"""Import Great Expectations without the parts our suites never run: ~40 % of its import, ~100 MiB.

`import great_expectations` loads every expectation and renderer it has, and with them scipy.stats
(for distribution tests such as KL divergence), altair (charts in Data Docs) and SQLAlchemy (its
SQL data sources): ~40 % of the import's time (4.2 s of CPU instead of 7.4, measured on a busy
machine) and ~100 MiB (168 MiB instead of 273 for the process, pandas included). Our suites
validate pandas frames with set, regex, range, null, pair and uniqueness expectations, none of
which touches them.

So the GE worker process, and only it, calls `defer()` before importing GE:
- scipy.stats and altair are loaded lazily (`importlib.util.LazyLoader`): a module object is
  registered at once and the module itself runs on first attribute access. Anything GE really
  uses still works, only the saving is lost; `still_deferred()` says which stayed unloaded.
- SQLAlchemy is reported missing (None in `sys.modules`: the import system's own way to say so).
  It is one of GE's optional extras: GE without it is the plain `pip install great_expectations`,
  and its compatibility layer (great_expectations/compatibility/sqlalchemy.py) puts a placeholder
  in every name's place. It is installed for Dagster, which the worker never imports.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types

LAZY_MODULES = ("scipy.stats", "altair")
HIDDEN_PACKAGES = ("sqlalchemy",)


class _LazyFinder(importlib.abc.MetaPathFinder):
    """First on `sys.meta_path`: finds the lazy modules as usual, with a lazy loader."""

    def find_spec(self, name: str, path=None, target=None) -> importlib.machinery.ModuleSpec | None:
        if name not in LAZY_MODULES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def defer() -> None:
    """In this process only, before GE is imported; a second call does nothing."""
    if any(isinstance(finder, _LazyFinder) for finder in sys.meta_path):
        return
    already = [name for name in (*LAZY_MODULES, *HIDDEN_PACKAGES) if sys.modules.get(name) is not None]
    if already:
        raise RuntimeError(f"too late to defer {already}: they are imported already")
    for name in HIDDEN_PACKAGES:
        sys.modules[name] = None  # the import system's own "no such module": ModuleNotFoundError
    sys.meta_path.insert(0, _LazyFinder())


def still_deferred() -> list[str]:
    """The lazy modules registered but never run: nothing has used them (a module, once run,
    is a plain module again)."""
    return [
        name
        for name in LAZY_MODULES
        if name in sys.modules and type(sys.modules[name]) is not types.ModuleType
    ]
