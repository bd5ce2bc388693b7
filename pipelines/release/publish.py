"""Publish a release folder atomically, and move `releases/latest` to it.

    releases/
      .publish.lock                 flock: one publisher at a time
      .partial-<id>-<pid>/          being written (dot-name: readers ignore it)
      <release_id>/                 complete, never changed again
      latest -> <release_id>        relative symlink, swapped with os.replace

The release id is `<release_date>-<content_hash[:8]>`, the content hash being the SHA-256 of the
data CSVs' bytes concatenated in file-name order (activities, assistance_outcomes, coverage,
prisons), so an identical dataset gets an identical id. If `latest` already holds the same
content, nothing is written. Otherwise every file is written into the partial folder and fsynced,
SHA256SUMS last, the folder is checked with frictionless, fsynced, renamed into place, and `latest`
is replaced by a new symlink in one rename: a reader sees the old complete release or the new
complete release, never a half-written one. A crash leaves at most a `.partial-*` folder or a
`latest.tmp-*` link, which the next publish removes first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import logging
import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.release.changelog import build_changelog
from pipelines.release.csv_format import rows_to_csv_bytes, text_rows
from pipelines.release.datapackage import build_datapackage, datapackage_bytes
from pipelines.release.layout import CHANGELOG, CHANGES, DATA_TABLES, DATAPACKAGE, SHA256SUMS
from pipelines.release.tables import ReleaseTables

log = logging.getLogger(__name__)

LATEST = "latest"
PARTIAL_PREFIX = ".partial-"
LATEST_TMP_PREFIX = f"{LATEST}.tmp-"
LOCK_FILE = ".publish.lock"


class ReleaseError(RuntimeError):
    """The release could not be published; `latest` is unchanged."""


@dataclass(frozen=True)
class PublishedRelease:
    release_id: str
    path: Path
    created: bool  # False: `latest` already had this content, nothing was written
    content_hash: str


def content_hash(csv_bytes: Mapping[str, bytes]) -> str:
    """SHA-256 over the data CSVs' bytes, concatenated in file-name order."""
    digest = hashlib.sha256()
    for name in sorted(csv_bytes):
        digest.update(csv_bytes[name])
    return digest.hexdigest()


def folder_content_hash(folder: Path) -> str | None:
    """The content hash of a release folder's data CSVs, or None if one is missing."""
    data: dict[str, bytes] = {}
    for table in DATA_TABLES:
        path = folder / table.file_name
        if not path.is_file():
            return None
        data[table.file_name] = path.read_bytes()
    return content_hash(data)


def sha256sums(files: Mapping[str, bytes]) -> bytes:
    """`sha256sum -c` format, sorted by name."""
    lines = [f"{hashlib.sha256(files[name]).hexdigest()}  {name}\n" for name in sorted(files)]
    return "".join(lines).encode("utf-8")


def latest_release(releases_dir: Path) -> str | None:
    """The release id `latest` points at, or None (no latest, or it points nowhere usable)."""
    latest = releases_dir / LATEST
    if not latest.is_symlink():
        if latest.exists():
            raise ReleaseError(f"{latest} exists but is not a symlink; refusing to replace it")
        return None
    target = os.readlink(latest)
    name = Path(target).name
    if Path(target) != Path(name) or not (releases_dir / name).is_dir():
        log.warning("%s points at %r, not at a release folder beside it; ignoring it", latest, target)
        return None
    return name


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


@contextlib.contextmanager
def _publish_lock(releases_dir: Path) -> Iterator[None]:
    with open(releases_dir / LOCK_FILE, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def remove_leftovers(releases_dir: Path) -> list[str]:
    """Remove what a crashed publish left: `.partial-*` folders and `latest.tmp-*` links."""
    removed = []
    for entry in sorted(releases_dir.iterdir()):
        if entry.name.startswith(PARTIAL_PREFIX):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry.name)
        elif entry.name.startswith(LATEST_TMP_PREFIX):
            entry.unlink()
            removed.append(entry.name)
    if removed:
        log.info("removed leftovers of an earlier publish: %s", ", ".join(removed))
    return removed


def point_latest(releases_dir: Path, release_id: str) -> None:
    """Atomically make `latest` a relative symlink to `release_id`."""
    tmp = releases_dir / f"{LATEST_TMP_PREFIX}{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(release_id, tmp)
    os.replace(tmp, releases_dir / LATEST)
    _fsync_path(releases_dir)


def validate_folder(folder: Path) -> None:
    """Raise ReleaseError unless frictionless validates the folder's datapackage.json."""
    import frictionless  # lazy: a heavy import

    report = frictionless.validate(str(folder / DATAPACKAGE))
    if not report.valid:
        problems = report.flatten(["name", "rowNumber", "fieldName", "type", "note"])
        shown = "; ".join(" ".join(str(p) for p in problem if p is not None) for problem in problems[:20])
        raise ReleaseError(f"frictionless rejects the release in {folder}: {shown}")


def publish_release(
    tables: ReleaseTables,
    releases_dir: Path,
    *,
    release_date: dt.date,
    synthetic: bool,
    extra_metadata: dict[str, Any] | None = None,
    validate: bool = True,
) -> PublishedRelease:
    """Write the tables as a release under `releases_dir` and point `releases_dir/latest` at it.

    Returns the release `latest` points at afterwards; `created` is False when nothing was written
    (`latest` already had the same content, or a folder with this id existed and `latest` was only
    moved back to it). `validate=False` skips the frictionless check before the release goes live.
    """
    releases_dir = Path(releases_dir)
    releases_dir.mkdir(parents=True, exist_ok=True)
    with _publish_lock(releases_dir):
        remove_leftovers(releases_dir)

        rows = {t.name: text_rows(t, tables.frame(t)) for t in DATA_TABLES}
        data = {t.file_name: rows_to_csv_bytes(t, rows[t.name]) for t in DATA_TABLES}
        digest = content_hash(data)
        release_id = f"{release_date:%Y-%m-%d}-{digest[:8]}"

        previous_id = latest_release(releases_dir)
        if previous_id is not None and folder_content_hash(releases_dir / previous_id) == digest:
            log.info("latest (%s) already holds this content; nothing to publish", previous_id)
            return PublishedRelease(previous_id, releases_dir / previous_id, False, digest)

        final = releases_dir / release_id
        if final.exists():
            if folder_content_hash(final) != digest:
                raise ReleaseError(f"{final} exists with other content (hash prefix collision?)")
            log.info("%s exists already; moving latest back to it", release_id)
            point_latest(releases_dir, release_id)
            return PublishedRelease(release_id, final, False, digest)

        partial = releases_dir / f"{PARTIAL_PREFIX}{release_id}-{os.getpid()}"
        partial.mkdir()
        files: dict[str, bytes] = dict(data)

        current = {
            t.name: [dict(zip(t.column_names, row, strict=True)) for row in rows[t.name]] for t in DATA_TABLES
        }
        changelog = build_changelog(
            current,
            releases_dir / previous_id if previous_id else None,
            release_id=release_id,
            previous_release_id=previous_id,
            synthetic=synthetic,
        )
        files[CHANGES.file_name] = rows_to_csv_bytes(CHANGES, [c.as_row() for c in changelog.changes])
        files[CHANGELOG] = changelog.markdown.encode("utf-8")

        resources = [(t, files[t.file_name]) for t in (*DATA_TABLES, CHANGES)]
        descriptor = build_datapackage(
            resources,
            release_id=release_id,
            release_date=release_date,
            synthetic=synthetic,
            content_hash=digest,
            extra_metadata=extra_metadata,
        )
        files[DATAPACKAGE] = datapackage_bytes(descriptor)

        for name in sorted(files):
            _write_file(partial / name, files[name])
        _write_file(partial / SHA256SUMS, sha256sums(files))  # last: its presence means complete

        if validate:
            validate_folder(partial)
        _fsync_path(partial)
        os.rename(partial, final)
        _fsync_path(releases_dir)
        point_latest(releases_dir, release_id)
        log.info("published release %s (previous: %s)", release_id, previous_id or "none")
        return PublishedRelease(release_id, final, True, digest)
