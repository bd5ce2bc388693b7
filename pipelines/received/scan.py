"""Find the files in the inputs folder and archive their bytes by hash.

The original files are never modified; the archive copy is what every later layer reads,
so a file replaced or deleted in the inputs folder cannot change what was processed.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import errno
import functools
import hashlib
import logging
import os
import stat as stat_kinds
import sys
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines.processes import process_alive

log = logging.getLogger(__name__)

_CHUNK = 1 << 20


@dataclass(frozen=True)
class ReceivedFile:
    submission_id: str
    rel_path: str
    file_name: str
    size_bytes: int
    received_at: dt.datetime  # the file's modification time (UTC): deterministic across re-runs
    sha256: str
    fingerprint: str  # "size:mtime_ns": an unchanged file is not hashed again on the next run


def is_skipped(name: str) -> bool:
    """Dotfiles (`.gitkeep`, `.DS_Store`) are not submissions: nobody sent them.

    An Office lock file (`~$KAZ_2021.xlsx`) is received like any file: it may be all a focal
    point sent, and the parse step tells them what it is and what to send instead.
    """
    return name.startswith(".")


def iter_input_files(inputs: Path) -> Iterator[Path]:
    """Regular files below `inputs`, sorted; symbolic links are never followed.

    A link could point anywhere on the machine (`/etc/shadow`); following it would archive
    and publish what nobody sent us.
    """
    if not inputs.is_dir():
        return
    for root, dirs, files in os.walk(inputs, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(root) / name
            if is_skipped(name):
                continue
            if path.is_symlink():
                log.warning("not following symbolic link %s", path)
                continue
            if path.is_file():
                yield path


class NotReceivable(FileNotFoundError):
    """The path is not (or no longer) a regular file we may read: a link, a FIFO, gone, forbidden.

    A FileNotFoundError, so a caller that already skips files deleted while it looked at them
    (the inputs sensor) skips these too.
    """


def open_regular(path: Path):
    """Open `path` for reading if it is a regular file, never through a symbolic link.

    Checking the kind first and opening after leaves a moment in which the file can be swapped
    for a link (to `/etc/shadow`) or a FIFO (which would block the run forever): O_NOFOLLOW, a
    non-blocking open and fstat on the open descriptor close that gap.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as exc:
        raise NotReceivable(f"{path} was deleted before it was read") from exc
    except PermissionError as exc:
        raise NotReceivable(f"{path} cannot be read (permission denied)") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotReceivable(f"{path} is a symbolic link; not following it") from exc
        raise
    if not stat_kinds.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotReceivable(f"{path} is not a regular file")
    return os.fdopen(fd, "rb")


def readable_name(name: str) -> str:
    """A file name as text that can be stored and printed: as it is, unless its bytes are not UTF-8.

    A name written in another encoding (`caf\\xe9.xlsx` from an old zip tool) reaches Python with
    surrogate escapes, which no UTF-8 database or CSV accepts; its undecodable bytes are shown as
    `\\xe9` instead, so the file is still received and reported under a recognisable name.
    """
    return os.fsencode(name).decode("utf-8", errors="backslashreplace")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open_regular(path) as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def submission_id_for(rel_path: str, sha256: str) -> str:
    """One id per (where, what): the same bytes at the same path are the same submission on every run."""
    return hashlib.sha256(f"{rel_path}\n{sha256}".encode()).hexdigest()[:16]


def returning_submission_id(received: ReceivedFile) -> str:
    """The id of bytes that come back to a path after other bytes were there (v1, v2, then v1 again):
    a receipt of its own, so it gets a status (DUPLICATE) instead of vanishing into v1's id. The
    fingerprint (size and modification time) tells this return from a later one of the same bytes."""
    key = f"{received.rel_path}\n{received.sha256}\n{received.fingerprint}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def archive_path(archive: Path, sha256: str) -> Path:
    return archive / sha256[:2] / sha256


def archive_bytes(source: Path, archive: Path, sha256: str) -> Path:
    """Copy `source` into the archive under its hash, atomically; a no-op when already there."""
    target = archive_path(archive, sha256)
    partial = copy_to_partial(source, archive, sha256)
    if partial is not None:
        make_durable([partial], archive)
        os.replace(partial, target)
        make_names_durable([target], archive)
    return target


def copy_to_partial(source: Path, archive: Path, sha256: str) -> Path | None:
    """Copy `source` beside its place in the archive, not yet durable nor in place; None when the
    archive has it already. The caller makes the copy durable (`make_durable`), then renames it to
    `archive_path`: a copy is in place only once its bytes are on disk."""
    target = archive_path(archive, sha256)
    if target.exists():
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{sha256}.{os.getpid()}{PARTIAL_SUFFIX}")
    digest = hashlib.sha256()
    with open_regular(source) as src, partial.open("wb") as dst:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            dst.write(chunk)
    if digest.hexdigest() != sha256:
        # The file changed between hashing and copying (still being written by a mail client).
        partial.unlink()
        raise ChangedWhileReading(source)
    return partial


# From this many copies on, one syncfs of the archive's filesystem is cheaper than an fsync per copy
# (measured on ext4: ~0.25 ms per fsync, 8-15 ms for a syncfs after 200 copies); below it, an fsync
# per copy costs less than flushing whatever else the filesystem holds.
SYNCFS_FROM = 16


def make_durable(paths: list[Path], directory: Path) -> None:
    """Return once the bytes of every file in `paths` (all on `directory`'s filesystem) are on disk.

    Linux's syncfs(2) writes back every dirty file of one filesystem and waits for it: the guarantee
    of an fsync on each of them (syncfs(2): "sync() or syncfs() provide the same guarantees as
    fsync() called on every file in the system or filesystem respectively"), and since Linux 5.8 it
    reports a writeback error on that filesystem since the descriptor was opened, as fsync would.
    Elsewhere, and for a few files, each file is fsynced.
    """
    if len(paths) >= SYNCFS_FROM and _syncfs(directory):
        return
    for path in paths:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def make_names_durable(paths: list[Path], archive: Path) -> None:
    """Return once the names of `paths`, just renamed into place inside `archive`, are on disk.

    A rename changes the folder, not the file: without this, a power cut after the warehouse records
    a file as received could leave its bytes under the partial name, and the parse step would then
    blame the sender for a file it cannot find. `archive` is synced too, for the `<sha[:2]>` folders
    made on the way.
    """
    if len(paths) >= SYNCFS_FROM and _syncfs(archive):
        return
    for directory in sorted({path.parent for path in paths} | {archive}):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _syncfs(directory: Path) -> bool:
    """syncfs(2) on `directory`'s filesystem; False where the call does not exist (not Linux)."""
    syncfs = _libc_syncfs()
    if syncfs is None:
        return False
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        if syncfs(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"syncfs failed: {os.strerror(code)}", str(directory))
    finally:
        os.close(fd)
    return True


@functools.cache
def _libc_syncfs():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


class ChangedWhileReading(RuntimeError):
    """The input file's bytes changed while we archived it; the next run picks it up again."""


PARTIAL_SUFFIX = ".partial"


def remove_stale_partials(archive: Path) -> list[Path]:
    """Delete copies left half-written in the archive by a process that was killed mid-copy.

    A partial copy's name carries the pid of its writer; one whose writer is gone is garbage.
    """
    removed = []
    for partial in archive.glob(f"*/.*{PARTIAL_SUFFIX}"):
        pid = partial.name.removesuffix(PARTIAL_SUFFIX).rpartition(".")[2]
        if pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid)):
            partial.unlink(missing_ok=True)
            removed.append(partial)
    if removed:
        log.info("removed %d partial archive copies left by killed runs", len(removed))
    return removed


def receive(
    inputs: Path, archive: Path, known: dict[str, str] | None = None, only: Collection[str] | None = None
) -> list[ReceivedFile]:
    """Hash and archive every input file; `known` maps rel_path -> "size:mtime_ns:sha256" to skip re-hashing.

    Hashing is the only cost that grows with the size of the inputs folder on every run, so an
    unchanged file (same size and mtime as recorded) reuses its recorded hash. `only` (paths
    relative to `inputs`) restricts the scan to the files a sensor saw change.
    """
    known = known or {}
    received = []
    copies: dict[str, Path | None] = {}  # sha256 -> its copy, not yet durable (None: archived before)
    remove_stale_partials(archive)
    for path in iter_input_files(inputs):
        as_listed = path.relative_to(inputs).as_posix()
        if only is not None and as_listed not in only:
            continue
        rel_path = readable_name(as_listed)
        try:
            stat = path.lstat()
        except FileNotFoundError:
            continue  # deleted since it was listed
        fingerprint = f"{stat.st_size}:{stat.st_mtime_ns}"
        recorded = known.get(rel_path)
        try:
            if recorded and recorded.rsplit(":", 1)[0] == fingerprint:
                sha256 = recorded.rsplit(":", 1)[1]
            else:
                sha256 = sha256_of(path)
            try:
                if sha256 not in copies:  # two inputs with the same bytes share one copy
                    copies[sha256] = copy_to_partial(path, archive, sha256)
            except ChangedWhileReading:
                log.warning("%s changed while it was read; it will be received on the next run", rel_path)
                continue
        except NotReceivable as exc:
            log.warning("not received: %s", exc)
            continue
        received.append(
            ReceivedFile(
                submission_id=submission_id_for(rel_path, sha256),
                rel_path=rel_path,
                file_name=readable_name(path.name),
                size_bytes=stat.st_size,
                received_at=dt.datetime.fromtimestamp(stat.st_mtime, tz=dt.UTC).replace(microsecond=0),
                sha256=sha256,
                fingerprint=fingerprint,
            )
        )
    # Every copy durable, then in place (its name durable too), and only then reported: the caller
    # records a file as received once its archived copy is safe. One flush for the batch each time
    # instead of one per copy.
    partials = [partial for partial in copies.values() if partial is not None]
    make_durable(partials, archive)
    placed = []
    for sha256, partial in copies.items():
        if partial is not None:
            placed.append(archive_path(archive, sha256))
            os.replace(partial, placed[-1])
    make_names_durable(placed, archive)
    return received
