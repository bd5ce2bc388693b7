"""The receiving step against tricks in the inputs folder itself: links swapped in after the folder
was listed, FIFOs, names that are not UTF-8, copies half-written by a killed run, and which files
are not submissions at all."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from pipelines.received.scan import (
    NotReceivable,
    archive_bytes,
    iter_input_files,
    readable_name,
    receive,
    remove_stale_partials,
    sha256_of,
)


@pytest.fixture
def no_hang():
    """A blocking open (of a FIFO) fails the test after 10 s instead of hanging the suite."""

    def fail(*_):
        raise TimeoutError("blocked: a FIFO was opened for reading")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_a_file_swapped_for_a_link_after_listing_is_not_read(tmp_path):
    outside = tmp_path / "outside.xlsx"
    outside.write_bytes(b"what nobody sent")
    link = tmp_path / "inputs" / "KAZ_2023.xlsx"
    link.parent.mkdir()
    link.symlink_to(outside)  # what a race between listing and reading would hand over
    with pytest.raises(NotReceivable, match="symbolic link"):
        sha256_of(link)
    with pytest.raises(NotReceivable, match="symbolic link"):
        archive_bytes(link, tmp_path / "archive", "0" * 64)
    assert [p for p in (tmp_path / "archive").rglob("*") if p.is_file()] == []  # not even a partial copy


def test_a_fifo_is_neither_listed_nor_opened(tmp_path, no_hang):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    os.mkfifo(inputs / "pipe.xlsx")  # opening it for reading would block until someone writes
    assert list(iter_input_files(inputs)) == []
    with pytest.raises(NotReceivable, match="not a regular file"):
        sha256_of(inputs / "pipe.xlsx")


def test_links_and_fifos_in_the_inputs_are_skipped_and_the_rest_received(tmp_path, no_hang):
    inputs, archive = tmp_path / "inputs", tmp_path / "archive"
    (inputs / "sub").mkdir(parents=True)
    (tmp_path / "secret.xlsx").write_bytes(b"outside")
    (inputs / "KAZ_2023.xlsx").write_bytes(b"sent")
    (inputs / "link.xlsx").symlink_to(tmp_path / "secret.xlsx")
    (inputs / "linked_dir").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(inputs / "sub" / "pipe.xlsx")
    received = receive(inputs, archive)
    assert [f.rel_path for f in received] == ["KAZ_2023.xlsx"]
    assert [p.read_bytes() for p in archive.rglob("*") if p.is_file()] == [b"sent"]


def test_a_name_that_is_not_utf8_is_received_under_a_readable_name(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    raw = os.fsencode(inputs) + b"/caf\xe9 2023.xlsx"  # Latin-1, as an old zip tool writes names
    with open(raw, "wb") as handle:
        handle.write(b"sent")
    (received,) = receive(inputs, tmp_path / "archive")
    assert received.rel_path == received.file_name == "caf\\xe9 2023.xlsx"
    received.rel_path.encode("utf-8")  # storable and printable: no surrogates left
    assert readable_name("Кыргызстан 2023.xlsx") == "Кыргызстан 2023.xlsx"  # UTF-8 names as they are


def test_copies_half_written_by_a_killed_run_are_removed(tmp_path):
    archive = tmp_path / "archive"
    (archive / "ab").mkdir(parents=True)
    dead = archive / "ab" / f".ab{'0' * 62}.{_dead_pid()}.partial"
    mine = archive / "ab" / f".ab{'1' * 62}.{os.getpid()}.partial"  # a copy this process is writing
    complete = archive / "ab" / f"ab{'2' * 62}"
    for path in (dead, mine, complete):
        path.write_bytes(b"x")
    assert remove_stale_partials(archive) == [dead]
    assert sorted(p.name for p in (archive / "ab").iterdir()) == sorted([mine.name, complete.name])


def _dead_pid() -> int:
    """A pid no process has: one past the kernel's maximum."""
    return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1


def test_a_lock_file_is_received_and_archived_but_dotfiles_are_not(tmp_path):
    inputs, archive = tmp_path / "inputs", tmp_path / "archive"
    inputs.mkdir()
    (inputs / "~$KAZ_2023.xlsx").write_bytes(b"lock")  # maybe all a focal point sent: it gets feedback
    (inputs / ".DS_Store").write_bytes(b"finder")  # nobody sent it
    (inputs / ".gitkeep").write_bytes(b"")
    (received,) = receive(inputs, archive)
    assert received.file_name == "~$KAZ_2023.xlsx"
    assert (archive / received.sha256[:2] / received.sha256).read_bytes() == b"lock"
