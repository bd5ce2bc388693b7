"""What changed in the inputs folder since the last look: the logic behind the inputs sensor's cursor.

The cursor maps each path (relative to the inputs folder) to its size, mtime and sha256. A file is
hashed again only when its size or mtime moved, and counts as changed only when its bytes did:
a file merely touched, or copied back unchanged, starts no run. A deleted file just leaves the
cursor; nothing received from it is ever deleted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

from pipelines.received.scan import iter_input_files, sha256_of


class Seen(NamedTuple):
    size: int
    mtime_ns: int
    sha256: str


Cursor = dict[str, Seen]


class Changes(NamedTuple):
    changed: list[str]  # new files and files whose bytes changed, sorted
    deleted: list[str]
    cursor: Cursor


def scan_changes(inputs: Path, previous: Cursor) -> Changes:
    cursor: Cursor = {}
    changed = []
    for path in iter_input_files(inputs):
        rel_path = path.relative_to(inputs).as_posix()
        try:
            stat = path.stat()
            before = previous.get(rel_path)
            if before and (before.size, before.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                cursor[rel_path] = before
                continue
            seen = Seen(stat.st_size, stat.st_mtime_ns, sha256_of(path))
        except FileNotFoundError:  # deleted between listing and reading: it is simply not there
            continue
        cursor[rel_path] = seen
        if before is None or before.sha256 != seen.sha256:
            changed.append(rel_path)
    deleted = sorted(set(previous) - set(cursor))
    return Changes(sorted(changed), deleted, cursor)


def encode_cursor(cursor: Cursor) -> str:
    return json.dumps({path: list(seen) for path, seen in sorted(cursor.items())}, separators=(",", ":"))


def decode_cursor(text: str | None) -> Cursor:
    if not text:
        return {}
    return {path: Seen(*values) for path, values in json.loads(text).items()}
