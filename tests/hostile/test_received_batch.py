"""Receiving a batch: every copy is made durable once for the batch, then put in place (the names made
durable too), then reported."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from pipelines.received import scan
from pipelines.received.scan import PARTIAL_SUFFIX, SYNCFS_FROM, archive_path, make_durable, receive


def _inputs(folder: Path, count: int) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    sent = {f"S{i:02d}_2023.xlsx": f"return number {i}".encode() for i in range(count)}
    for name, data in sent.items():
        (folder / name).write_bytes(data)
    return sent


@pytest.mark.parametrize("count", [3, SYNCFS_FROM + 4])  # an fsync per copy; one syncfs for the batch
def test_every_file_of_a_batch_is_archived_in_place_and_no_partial_copy_is_left(tmp_path, count, monkeypatch):
    inputs, archive = tmp_path / "inputs", tmp_path / "archive"
    sent = _inputs(inputs, count)
    flushed = []  # the real syncfs runs; this only records that the batch took that way

    def syncfs(directory):
        flushed.append(directory)
        return real_syncfs(directory)

    real_syncfs = scan._syncfs
    monkeypatch.setattr(scan, "_syncfs", syncfs)
    received = receive(inputs, archive)
    # Twice for a large batch: the copies' bytes before they are renamed, then the renames themselves
    # (where it is not Linux: False, and fsyncs instead).
    assert flushed == ([archive, archive] if count >= SYNCFS_FROM else [])
    assert sorted(f.rel_path for f in received) == sorted(sent)
    for found in received:
        assert archive_path(archive, found.sha256).read_bytes() == sent[found.rel_path]
        assert hashlib.sha256(sent[found.rel_path]).hexdigest() == found.sha256
    assert list(archive.rglob(f"*{PARTIAL_SUFFIX}")) == []


def test_the_same_bytes_twice_in_one_batch_share_one_copy(tmp_path):
    inputs, archive = tmp_path / "inputs", tmp_path / "archive"
    inputs.mkdir()
    (inputs / "KAZ_2023.xlsx").write_bytes(b"same bytes")
    (inputs / "KAZ_2023 (copy).xlsx").write_bytes(b"same bytes")  # a focal point sending it twice
    received = receive(inputs, archive)
    assert len(received) == 2 and received[0].sha256 == received[1].sha256
    assert [p.read_bytes() for p in archive.rglob("*") if p.is_file()] == [b"same bytes"]


def test_an_archived_copy_is_not_written_again(tmp_path):
    inputs, archive = tmp_path / "inputs", tmp_path / "archive"
    _inputs(inputs, 2)
    first = receive(inputs, archive)
    stamps = {f.sha256: archive_path(archive, f.sha256).stat().st_mtime_ns for f in first}
    second = receive(inputs, archive)
    assert [f.submission_id for f in second] == [f.submission_id for f in first]
    assert {f.sha256: archive_path(archive, f.sha256).stat().st_mtime_ns for f in second} == stamps


def test_make_durable_fsyncs_each_file_of_a_small_batch(tmp_path):
    present = tmp_path / "present"
    present.write_bytes(b"x")
    make_durable([present], tmp_path)  # a real fsync
    with pytest.raises(FileNotFoundError):  # it opens every file it is given: a missing one is an error
        make_durable([present, tmp_path / "gone"], tmp_path)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="syncfs(2) is Linux's")
def test_syncfs_is_called_on_linux_and_reports_its_errors(tmp_path):
    assert scan._syncfs(tmp_path) is True
    with pytest.raises(NotADirectoryError):  # the descriptor is the archive folder's
        file = tmp_path / "file"
        file.write_bytes(b"")
        scan._syncfs(file)
