"""One feedback folder per submission, replaced whole, and a note of what it was made from.

A folder is written beside its final place under a dot-name that readers ignore, then renamed
into place: a reader sees the old complete folder or the new complete one. (POSIX cannot rename
a folder over a non-empty one, so the old folder is first renamed aside: for that instant the
submission's folder is missing, never half-written.) A crash leaves only dot-folders, which
the next run removes.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

STATE_FILE = "state.json"
_TEMP_INFIX = ".tmp-"
_OLD_INFIX = ".old-"


def recorded_digest(folder: Path) -> str | None:
    """The digest the folder was made from, or None when it is missing or unreadable."""
    try:
        return json.loads((folder / STATE_FILE).read_text(encoding="utf-8")).get("digest")
    except (OSError, ValueError, AttributeError):
        return None


def replace_folder(target: Path, fill: Callable[[Path], None], state: dict) -> None:
    """Make `target` anew: `fill(temp_folder)` writes the files, then state.json, then the swap.

    No one reads the temporary folder, so its files are written straight (`write_new`), not
    through a temporary file each: the folder appears whole by its own rename."""
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    temp = parent / f".{target.name}{_TEMP_INFIX}{uuid.uuid4().hex[:8]}"
    temp.mkdir()
    try:
        fill(temp)
        write_new(temp / STATE_FILE, _json_text(state))
        if target.exists():
            old = parent / f".{target.name}{_OLD_INFIX}{uuid.uuid4().hex[:8]}"
            os.rename(target, old)
            os.rename(temp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(temp, target)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def remove_leftovers(parent: Path) -> None:
    """Dot-folders and dot-files of an earlier run that crashed between writing and renaming."""
    if not parent.is_dir():
        return
    for entry in parent.iterdir():
        if not entry.name.startswith(".") or not (_TEMP_INFIX in entry.name or _OLD_INFIX in entry.name):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def write_json(path: Path, data: dict) -> None:
    write_text(path, _json_text(data))


def _json_text(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_new(path: Path, text: str) -> None:
    """Write a file inside a folder no one reads yet (`replace_folder`'s temporary folder)."""
    path.write_text(text, encoding="utf-8")


def write_text(path: Path, text: str) -> None:
    """Write through a temporary file and a rename, so the file is whole or absent."""
    temp = path.with_name(f".{path.name}{_TEMP_INFIX}{uuid.uuid4().hex[:8]}")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)
