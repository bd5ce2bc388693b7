"""A cache of the country tables on disk, valid only for the very sources they were built from.

Building the country tables takes ~0.7 s at the start of every process that needs them (constructing
country_converter, reading babel's locale data, normalising ~4,000 names). They are a pure function
of `countries.py` itself, of the installed pycountry, babel, country_converter and pandas, and of the
Python (its Unicode tables decide the normalised keys). The cache file is named by a hash of exactly
those, so a cache built from anything else is never read: editing `countries.py`, upgrading a library
or Python builds the tables afresh. The libraries stay the one source of truth; the file is a copy of
what they gave, found by that hash. Its content is not rebuilt to be compared on a read (that would
cost the build it saves): it is trusted as the installed libraries are, being the same user's files.

JSON, not pickle: reading a file from a user's cache folder must never run code.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
import unicodedata
from pathlib import Path

FORMAT = 1  # bump when the stored shape changes
# What the tables are read from (pandas: country_converter reads its table with it). Each distribution
# is named as its module, so its `.dist-info` folder starts with the module's name.
_LIBRARIES = ("babel", "country_converter", "pandas", "pycountry")
_PREFIX = "countries-"


def cache_dir() -> Path | None:
    """`$XDG_CACHE_HOME/normsdata`, else `~/.cache/normsdata`; None for a user without a home."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = Path.home() / ".cache"
        except RuntimeError:
            return None
    return Path(base) / "normsdata"


def fingerprint(source: Path) -> str | None:
    """sha256 of what the tables are built from: `source`'s bytes, the installed versions of the
    libraries it reads (their `.dist-info` names) and the Python and Unicode versions; None when a
    library's version cannot be told (then nothing is cached)."""
    digest = hashlib.sha256(f"{FORMAT}\n{sys.version_info[:3]}\n{unicodedata.unidata_version}\n".encode())
    digest.update(source.read_bytes())
    for module in _LIBRARIES:
        version = _installed_version(module)
        if version is None:
            return None
        digest.update(f"\n{module}={version}".encode())
    return digest.hexdigest()


def _installed_version(module: str) -> str | None:
    """The `.dist-info` folder beside the module, found without importing it (pycountry takes 0.1 s)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return None
    prefix = f"{module}-"
    try:
        infos = [
            name
            for name in os.listdir(Path(spec.origin).parent.parent)
            if name.lower().startswith(prefix) and name.endswith(".dist-info")
        ]
    except OSError:
        return None
    return infos[0] if len(infos) == 1 else None  # none, or two versions side by side: unknown


def _name(key: str) -> str:
    return f"{_PREFIX}{key}.json"


def load(key: str) -> dict | None:
    """The tables stored under `key`, or None (absent, unreadable, or stored for another key)."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        stored = json.loads((folder / _name(key)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    return stored.get("tables")


def store(key: str, tables: dict) -> None:
    """Write the tables under `key` (atomically: a reader sees the whole file or none) and remove
    caches of other keys. A cache folder that cannot be written only costs the next process a build."""
    folder = cache_dir()
    if folder is None:
        return
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=folder, prefix=f".{_PREFIX}", suffix=".tmp", delete=False
        ) as handle:
            try:
                json.dump({"key": key, "tables": tables}, handle, ensure_ascii=False, separators=(",", ":"))
            except BaseException:
                Path(handle.name).unlink(missing_ok=True)  # a full disk leaves no half-written file
                raise
        os.replace(handle.name, folder / _name(key))
        for stale in folder.glob(f"{_PREFIX}*.json"):
            if stale.name != _name(key):
                stale.unlink(missing_ok=True)
