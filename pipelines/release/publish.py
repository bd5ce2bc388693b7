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
SHA256SUMS last, the folder is read back and checked against its datapackage.json (`verify.py`: every
row of every CSV, each Parquet twin against its CSV), fsynced, renamed into place, and `latest`
is replaced by a new symlink in one rename: a reader sees the old complete release or the new
complete release, never a half-written one. A crash leaves at most a `.partial-*` folder or a
`latest.tmp-*` link, which the next publish removes first.

A release folder holds, per data table and for changes.csv, the CSV and its Parquet twin; CHANGELOG.md;
datapackage.json (every CSV as a table, every other data file with its size and hash); README.md, the
codebook rendered from that descriptor; the prepared attachments the caller hands in (layout.ATTACHMENTS:
the DuckDB snapshot, the overview page); and SHA256SUMS of all of them. Only the CSVs make the content
hash, so a snapshot that is not byte-for-byte reproducible never makes an identical dataset "new".

Cost: the attachment writers (the DuckDB snapshot) run on a thread of their own while this thread
writes Parquet, the changelog and the overview; the tables are typed and formatted once per distinct
value (`distinct.py`); the changelog compares only the rows that differ from the previous release
(`changelog_input.py`); cyclic garbage collection pauses while a release is cut.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import gc
import hashlib
import logging
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.release.changelog import build_changelog
from pipelines.release.checksums import file_sha256, sha256sums
from pipelines.release.codebook import render_codebook
from pipelines.release.csv_format import (
    TypedTable,
    columns_to_csv_bytes,
    parse_text,
    rows_to_csv_bytes,
    text_columns,
    typed_table,
)
from pipelines.release.datapackage import (
    attachment_resource_descriptor,
    build_datapackage,
    datapackage_bytes,
    parquet_resource_descriptor,
)
from pipelines.release.layout import (
    ATTACHMENTS,
    CHANGELOG,
    CHANGES,
    DATA_TABLES,
    DATAPACKAGE,
    OVERVIEW,
    README,
    SHA256SUMS,
    attachment,
)
from pipelines.release.parquet import parquet_bytes, parquet_bytes_from_columns
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


AttachmentWriter = Callable[[Path], None]


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


def verify_folder(folder: Path, expected_rows: Mapping[str, int] | None = None) -> None:
    """Raise ReleaseError unless the folder's files, read back, are what its datapackage.json says
    (`verify.release_problems`: every row of every CSV, and each Parquet twin against its CSV).

    In place of `frictionless validate`, which checks the same schema one Python cell at a time
    (seconds for a real release); the tests still run the frictionless CLI on releases."""
    # Imported here: verify reads pipelines.warehouse, which imports this package's layout.
    from pipelines.release.verify import release_problems

    problems = release_problems(folder, expected_rows)
    if problems:
        shown = "; ".join(problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise ReleaseError(f"the release in {folder} fails its own datapackage.json: {shown}{more}")


# Every table with a CSV (and so a Parquet twin) in the release.
CSV_TABLES = (*DATA_TABLES, CHANGES)


def _changes(
    texts: Mapping[str, list[list[str]]],
    previous_folder: Path | None,
    *,
    release_id: str,
    synthetic: bool,
) -> dict[str, bytes]:
    """changes.csv, its Parquet twin, and CHANGELOG.md, against the previous release.

    changes.csv exists only as text, so its rows are parsed back to the layout's types for Parquet.
    """
    changelog = build_changelog(
        {t.name: dict(zip(t.column_names, texts[t.name], strict=True)) for t in DATA_TABLES},
        previous_folder,
        release_id=release_id,
        previous_release_id=previous_folder.name if previous_folder else None,
        synthetic=synthetic,
    )
    change_rows = [c.as_row() for c in changelog.changes]
    typed = [
        tuple(parse_text(column, text) for column, text in zip(CHANGES.columns, row, strict=True))
        for row in change_rows
    ]
    return {
        CHANGES.file_name: rows_to_csv_bytes(CHANGES, change_rows),
        CHANGES.parquet_file_name: parquet_bytes(CHANGES, typed),
        CHANGELOG: changelog.markdown.encode("utf-8"),
    }


def _parquet(typed: Mapping[str, TypedTable]) -> dict[str, bytes]:
    """The Parquet twin of every data table, from the very typed values its CSV was written from."""
    return {t.parquet_file_name: parquet_bytes_from_columns(t, typed[t.name].columns) for t in DATA_TABLES}


def _check_attachments(
    attachments: Mapping[str, AttachmentWriter] | None, overview: Callable[..., str] | None
) -> dict[str, AttachmentWriter]:
    """The attachment writers by file name; only files layout.ATTACHMENTS names are accepted."""
    writers = dict(attachments or {})
    for name in writers:
        try:
            attachment(name)
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None
    if overview is not None and OVERVIEW.file_name in writers:
        raise ValueError(f"overview given twice: as overview= and as attachments[{OVERVIEW.file_name!r}]")
    return writers


def _write_attachments(partial: Path, writers: Mapping[str, AttachmentWriter]) -> dict[str, tuple[int, str]]:
    """Call each writer with its path inside the partial folder; file name -> (size, sha256)."""
    written: dict[str, tuple[int, str]] = {}
    for name in sorted(writers):
        path = partial / name
        try:
            writers[name](path)
        except Exception as exc:
            raise ReleaseError(f"the writer of {name} failed: {exc}") from exc
        if path.is_symlink() or not path.is_file():
            raise ReleaseError(f"the writer of {name} did not create the regular file {path}")
        _fsync_path(path)
        written[name] = (path.stat().st_size, file_sha256(path))
    return written


@contextlib.contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """No cyclic garbage collection while a release is cut, collection as before afterwards.

    The release holds its tables as lists, hundreds of thousands of cells, in a process that
    already holds the warehouse's frames; every full collection, which the allocations of the
    release set off now and then, walks all of them. Measured on the 1,012-return warehouse: about
    a third of the changelog's time. Reference counting still frees everything the release drops;
    only reference cycles wait until the end, and the release makes few."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def publish_release(
    tables: ReleaseTables,
    releases_dir: Path,
    *,
    release_date: dt.date,
    synthetic: bool,
    extra_metadata: dict[str, Any] | None = None,
    validate: bool = True,
    attachments: Mapping[str, AttachmentWriter] | None = None,
    overview: Callable[..., str] | None = None,
) -> PublishedRelease:
    """Write the tables as a release under `releases_dir` and point `releases_dir/latest` at it.

    Returns the release `latest` points at afterwards; `created` is False when nothing was written
    (`latest` already had the same content, or a folder with this id existed and `latest` was only
    moved back to it). `validate=False` skips the check before the release goes live (`verify_folder`:
    every file read back and held against datapackage.json).

    Prepared files (only those `layout.ATTACHMENTS` names, e.g. `normsdata.duckdb`):
    - `attachments`: file name -> writer, called as `writer(path)` with the path to create inside
      the hidden partial folder, e.g. `{"normsdata.duckdb": lambda path: write_snapshot(database, path)}`.
      It must leave exactly that regular file (no `.wal` or other companions).
    - `overview`: a renderer called as `overview(tables, release_id=..., synthetic=...)` (the
      `tables` given here, this release's id) whose text is written, UTF-8, as `overview.html`:
      pass `render_overview` itself; it cannot be an attachment because the release id is known
      only here. Give it once, not also as `attachments["overview.html"]`.
    Both are called only when a new release is written, after the CSVs are known to be new; each
    file is listed in SHA256SUMS and, with its size and SHA-256, in datapackage.json and README.md.
    A writer that raises, or leaves a wrong file set, fails the publish (ReleaseError); `latest` is
    unchanged and the partial folder is removed by the next publish.
    """
    writers = _check_attachments(attachments, overview)
    releases_dir = Path(releases_dir)
    releases_dir.mkdir(parents=True, exist_ok=True)
    with _publish_lock(releases_dir), _without_cyclic_gc():
        remove_leftovers(releases_dir)

        typed = {t.name: typed_table(t, tables.frame(t)) for t in DATA_TABLES}
        texts = {t.name: text_columns(typed[t.name]) for t in DATA_TABLES}
        data = {t.file_name: columns_to_csv_bytes(t, texts[t.name]) for t in DATA_TABLES}
        digest = content_hash(data)
        rows_written = {t.name: len(typed[t.name]) for t in DATA_TABLES}
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
        # The attachment writers (the DuckDB snapshot: DuckDB's own threads, without the GIL) run
        # on a thread of their own while this one writes Parquet, the changelog and the overview.
        # Leaving the block waits for them, so no writer outlives a failed publish.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="release-attachments") as pool:
            attaching = pool.submit(_write_attachments, partial, writers)
            files = dict(data)
            files.update(_parquet(typed))
            del typed  # what follows needs the texts only: let the typed values go
            files.update(
                _changes(
                    texts,
                    releases_dir / previous_id if previous_id else None,
                    release_id=release_id,
                    synthetic=synthetic,
                )
            )
            del texts
            if overview is not None:
                try:
                    page = overview(tables, release_id=release_id, synthetic=synthetic)
                except Exception as exc:
                    raise ReleaseError(f"the renderer of {OVERVIEW.file_name} failed: {exc}") from exc
                files[OVERVIEW.file_name] = page.encode("utf-8")
            attached = attaching.result()
        digests = {name: hashlib.sha256(blob).hexdigest() for name, blob in files.items()}
        sizes = {name: len(blob) for name, blob in files.items()}
        for name, (size, sha256) in attached.items():
            sizes[name], digests[name] = size, sha256

        descriptor = build_datapackage(
            [(t, files[t.file_name]) for t in CSV_TABLES],
            release_id=release_id,
            release_date=release_date,
            synthetic=synthetic,
            content_hash=digest,
            extra_metadata=extra_metadata,
            files=[
                *(parquet_resource_descriptor(t, files[t.parquet_file_name]) for t in CSV_TABLES),
                *(
                    attachment_resource_descriptor(a, size=sizes[a.file_name], sha256=digests[a.file_name])
                    for a in ATTACHMENTS
                    if a.file_name in sizes
                ),
            ],
        )
        files[DATAPACKAGE] = datapackage_bytes(descriptor)
        files[README] = render_codebook(descriptor).encode("utf-8")  # the codebook reads the descriptor
        digests.update({name: hashlib.sha256(files[name]).hexdigest() for name in (DATAPACKAGE, README)})

        for name in sorted(files):
            _write_file(partial / name, files[name])
        unexpected = sorted({p.name for p in partial.iterdir()} - set(digests))
        if unexpected:
            raise ReleaseError(f"unexpected files in the release being written: {', '.join(unexpected)}")
        _write_file(partial / SHA256SUMS, sha256sums(digests))  # last: its presence means complete

        if validate:
            verify_folder(partial, rows_written)
        _fsync_path(partial)
        os.rename(partial, final)
        _fsync_path(releases_dir)
        point_latest(releases_dir, release_id)
        log.info("published release %s (previous: %s)", release_id, previous_id or "none")
        return PublishedRelease(release_id, final, True, digest)
