"""Prepared files in a release: a DuckDB snapshot (attachments=) and the overview page (overview=)."""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import os
import subprocess
import threading
from pathlib import Path

import duckdb
import pytest
import release_frames as frames
from release_frames import FRICTIONLESS

from pipelines.release import ReleaseError, ReleaseTables, publish_release

DAY1 = dt.date(2022, 5, 1)
DAY2 = dt.date(2022, 6, 1)


def write_snapshot(path: Path) -> None:
    """A real DuckDB file, as `write_snapshot(database, target)` would leave it (closed, no .wal)."""
    connection = duckdb.connect(str(path))
    try:
        connection.execute("CREATE TABLE prisons (iso3 VARCHAR, year BIGINT, value DOUBLE)")
        connection.execute("INSERT INTO prisons VALUES (?, ?, ?)", ["KAZ", 2021, 1162.0])
    finally:
        connection.close()


class Overview:
    """An overview renderer with `render_overview`'s signature, keeping its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[ReleaseTables, str, bool]] = []

    def __call__(self, tables: ReleaseTables, *, release_id: str, synthetic: bool) -> str:
        self.calls.append((tables, release_id, synthetic))
        return (
            f"<!doctype html><title>normsdata {release_id}</title><p>{len(tables.activities)} activités</p>\n"
        )


def names_in_sums(folder: Path) -> dict[str, str]:
    lines = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


def test_snapshot_and_overview_are_written_listed_and_checked(releases):
    overview = Overview()
    tables = frames.base_tables()
    published = publish_release(
        tables,
        releases,
        release_date=DAY1,
        synthetic=True,
        attachments={"normsdata.duckdb": write_snapshot},
        overview=overview,
        validate=False,  # the frictionless CLI checks it below, as the public would
    )
    folder = published.path
    assert [(t, rid, syn) for t, rid, syn in overview.calls] == [(tables, published.release_id, True)]
    page = (folder / "overview.html").read_text(encoding="utf-8")
    assert published.release_id in page and "4 activités" in page

    snapshot = duckdb.connect(str(folder / "normsdata.duckdb"), read_only=True)
    try:
        assert snapshot.execute("SELECT iso3, year, value FROM prisons").fetchall() == [("KAZ", 2021, 1162.0)]
    finally:
        snapshot.close()

    sums = names_in_sums(folder)
    assert sorted(sums) == sorted(p.name for p in folder.iterdir() if p.name != "SHA256SUMS")
    for name in ("normsdata.duckdb", "overview.html"):
        assert sums[name] == hashlib.sha256((folder / name).read_bytes()).hexdigest()
    checked = subprocess.run(["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=folder, capture_output=True)
    assert checked.returncode == 0, checked.stdout

    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    listed = {r["path"]: r for r in descriptor["resources"]}
    for name, file_format in (("normsdata.duckdb", "duckdb"), ("overview.html", "html")):
        data = (folder / name).read_bytes()
        assert listed[name]["type"] == "file"
        assert listed[name]["format"] == file_format
        assert listed[name]["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert listed[name]["bytes"] == len(data)
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "| `normsdata.duckdb` | duckdb | DuckDB snapshot:" in readme
    assert "| `overview.html` | html | Overview:" in readme

    result = subprocess.run(
        [str(FRICTIONLESS), "validate", "--json", "datapackage.json"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tasks = {t["name"]: t for t in json.loads(result.stdout)["tasks"]}
    assert tasks["normsdata_duckdb"]["valid"] and tasks["overview_html"]["valid"]


def test_identical_data_publishes_nothing_and_calls_no_writer(releases):
    first = publish_release(
        frames.base_tables(), releases, release_date=DAY1, synthetic=False, validate=False
    )
    calls = []
    overview = Overview()
    again = publish_release(
        frames.base_tables(),
        releases,
        release_date=DAY2,
        synthetic=False,
        attachments={"normsdata.duckdb": calls.append},
        overview=overview,
    )
    assert not again.created and again.release_id == first.release_id
    assert calls == [] and overview.calls == []
    assert not (first.path / "normsdata.duckdb").exists()


def test_a_file_the_layout_does_not_name_is_refused_before_anything_is_written(releases):
    with pytest.raises(ValueError, match="notes.txt"):
        publish_release(
            frames.base_tables(),
            releases,
            release_date=DAY1,
            synthetic=False,
            attachments={"notes.txt": lambda path: path.write_text("hello")},
        )
    assert not releases.exists() or not any(releases.iterdir())


def test_the_overview_is_given_once(releases):
    with pytest.raises(ValueError, match="overview"):
        publish_release(
            frames.base_tables(),
            releases,
            release_date=DAY1,
            synthetic=False,
            attachments={"overview.html": lambda path: path.write_text("<p>")},
            overview=Overview(),
        )


def leaves_a_wal_file(path: Path) -> None:
    write_snapshot(path)
    Path(f"{path}.wal").write_bytes(b"half a checkpoint")  # not listed anywhere: must not go live


def fails(path: Path) -> None:
    raise OSError("warehouse locked")


def creates_nothing(path: Path) -> None:
    pass


@pytest.mark.parametrize(
    ("writer", "message"),
    [
        (leaves_a_wal_file, "unexpected files .*normsdata.duckdb.wal"),
        (fails, "writer of normsdata.duckdb failed: warehouse locked"),
        (creates_nothing, "did not create"),
    ],
    ids=["extra-file", "raises", "no-file"],
)
def test_a_bad_attachment_writer_fails_the_publish_and_latest_stays(releases, writer, message):
    first = publish_release(
        frames.base_tables(), releases, release_date=DAY1, synthetic=False, validate=False
    )
    with pytest.raises(ReleaseError, match=message):
        publish_release(
            frames.corrected_tables(),
            releases,
            release_date=DAY2,
            synthetic=False,
            attachments={"normsdata.duckdb": writer},
        )
    assert os.readlink(releases / "latest") == first.release_id
    assert sorted(p.name for p in releases.iterdir() if not p.name.startswith(".")) == sorted(
        [first.release_id, "latest"]
    )
    second = publish_release(frames.corrected_tables(), releases, release_date=DAY2, synthetic=False)
    assert second.created
    assert not any(p.name.startswith(".partial-") for p in releases.iterdir())  # the next publish cleans up


def test_a_failing_overview_fails_the_publish(releases):
    def broken(tables, *, release_id, synthetic):
        raise ValueError("no data for the chart")

    with pytest.raises(ReleaseError, match="overview.html failed: no data for the chart"):
        publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False, overview=broken)
    assert not (releases / "latest").exists()


def test_the_writers_run_beside_the_rest_of_the_release_and_finish_before_it_fails(releases):
    """The snapshot is written on a thread of its own while the overview renders (the overview here
    waits for the writer to start: run one after the other, it would wait in vain), and a publish
    that fails returns only once the writer is done: no writer outlives it."""
    writing, finished = threading.Event(), threading.Event()
    threads = {}

    def writer(path: Path) -> None:
        threads["writer"] = threading.get_ident()
        writing.set()
        write_snapshot(path)
        finished.set()

    def overview(tables, *, release_id, synthetic):
        threads["overview"] = threading.get_ident()
        assert writing.wait(timeout=30), "the writer did not start while the overview rendered"
        raise ValueError("no data for the chart")

    with pytest.raises(ReleaseError, match="overview.html failed: no data for the chart"):
        publish_release(
            frames.base_tables(),
            releases,
            release_date=DAY1,
            synthetic=False,
            attachments={"normsdata.duckdb": writer},
            overview=overview,
        )
    assert finished.is_set()
    assert threads["writer"] != threads["overview"] == threading.get_ident()
    assert not [t for t in threading.enumerate() if t.name.startswith("release-attachments")]
    assert not (releases / "latest").exists()


def test_cyclic_garbage_collection_pauses_during_a_publish_only(releases):
    during = []

    def overview(tables, *, release_id, synthetic):
        during.append(gc.isenabled())
        return "<!doctype html><title>t</title>\n"

    assert gc.isenabled()
    publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False, overview=overview)
    assert during == [False] and gc.isenabled()

    def broken(tables, *, release_id, synthetic):
        raise ValueError("no chart")

    with pytest.raises(ReleaseError):
        publish_release(
            frames.corrected_tables(), releases, release_date=DAY2, synthetic=False, overview=broken
        )
    assert gc.isenabled()
    gc.disable()
    try:  # a caller that had it off finds it off
        publish_release(frames.corrected_tables(), releases, release_date=DAY2, synthetic=False)
        assert not gc.isenabled()
    finally:
        gc.enable()
