"""Parquet beside every CSV: same rows, real types, deterministic bytes, listed and checked."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys

import pyarrow.parquet as pq
import pytest
import release_frames as frames
from parquet_check import assert_parquet_matches_csv, read_parquet
from release_frames import FRICTIONLESS, REPO

from pipelines.release import publish_release
from pipelines.release.csv_format import ReleaseDataError
from pipelines.release.layout import ALL_TABLES, CHANGES, COVERAGE, PRISONS
from pipelines.release.parquet import parquet_bytes

DAY1 = dt.date(2022, 5, 1)
DAY2 = dt.date(2022, 6, 1)


@pytest.fixture
def second_release(releases):
    """A second release, so changes.csv has rows with integers in them."""
    publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False, validate=False)
    return publish_release(
        frames.corrected_tables(), releases, release_date=DAY2, synthetic=False, validate=False
    )


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.name)
def test_each_parquet_file_holds_the_csv_rows_with_real_types(second_release, table):
    assert assert_parquet_matches_csv(second_release.path, table) > 0


def test_missing_values_are_nulls_and_text_is_the_csv_text(second_release):
    columns, _, rows = read_parquet(second_release.path / PRISONS.parquet_file_name)
    records = [dict(zip(columns, row, strict=True)) for row in rows]
    juvenile = next(r for r in records if r["indicator"] == "PRISONERS_JUVENILE")
    assert juvenile["value"] is None  # M: not available, an empty field in the CSV
    assert juvenile["obs_status"] == "M"
    total = next(r for r in records if r["indicator"] == "PRISONERS_TOTAL" and r["year"] == 2021)
    assert (total["value"], total["derived"], total["year"]) == (1170.0, False, 2021)
    columns, _, rows = read_parquet(second_release.path / COVERAGE.parquet_file_name)
    received = {row[0]: row[columns.index("received_at")] for row in rows}
    assert received["KAZ-2021-1"] == dt.datetime(2022, 3, 1, 10, 15, tzinfo=dt.UTC)
    columns, _, rows = read_parquet(second_release.path / "activities.parquet")
    titles = {row[columns.index("title")] for row in rows}
    assert "'+ legal aid clinics" in titles  # neutralised as in the CSV, so both files agree


def test_same_rows_give_the_same_bytes_in_another_process(second_release):
    """No creation time or other per-run state in the file: another interpreter writes the same bytes."""
    path = second_release.path / PRISONS.parquet_file_name
    metadata = pq.read_metadata(path)
    assert set(metadata.metadata) == {b"ARROW:schema"}
    assert metadata.created_by.startswith("parquet-cpp-arrow version")
    script = (
        "import sys; sys.path.insert(0, 'tests/release'); import release_frames as f; "
        "from pipelines.release.csv_format import typed_rows; from pipelines.release.layout import PRISONS; "
        "from pipelines.release.parquet import parquet_bytes; "
        "sys.stdout.buffer.write(parquet_bytes(PRISONS, typed_rows(PRISONS, f.corrected_tables().prisons)))"
    )
    other = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": "12345"},
        capture_output=True,
        timeout=300,
        check=True,
    )
    assert other.stdout == path.read_bytes()


def test_every_parquet_file_is_in_sha256sums_and_datapackage(second_release):
    sums = dict(
        reversed(line.split("  ", 1))
        for line in (second_release.path / "SHA256SUMS").read_text().splitlines()
    )
    descriptor = json.loads((second_release.path / "datapackage.json").read_text(encoding="utf-8"))
    listed = {r["path"]: r for r in descriptor["resources"]}
    for table in ALL_TABLES:
        data = (second_release.path / table.parquet_file_name).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        assert sums[table.parquet_file_name] == digest
        resource = listed[table.parquet_file_name]
        assert (resource["hash"], resource["bytes"]) == (f"sha256:{digest}", len(data))
        assert resource["normsdata:same_rows_as"] == table.name


def test_frictionless_notices_a_tampered_parquet_file(releases):
    published = publish_release(frames.base_tables(), releases, release_date=DAY1, synthetic=False)
    path = published.path / PRISONS.parquet_file_name
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"\0")  # one byte more: size and hash no longer match
    result = subprocess.run(
        [str(FRICTIONLESS), "validate", "--json", "datapackage.json"],
        cwd=published.path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    report = json.loads(result.stdout)
    broken = {t["name"]: t for t in report["tasks"] if not t["valid"]}
    assert set(broken) == {"prisons_parquet"}
    assert {e["type"] for e in broken["prisons_parquet"]["errors"]} >= {"hash-count"}


def test_a_missing_required_value_is_refused_not_written():
    row = [None] * len(CHANGES.columns)  # `change` and `table` are required
    with pytest.raises(ReleaseDataError, match="changes.change"):
        parquet_bytes(CHANGES, [row])


def test_an_empty_table_still_has_its_columns_and_types(tmp_path):
    path = tmp_path / "changes.parquet"
    path.write_bytes(parquet_bytes(CHANGES, []))
    columns, types, rows = read_parquet(path)
    assert columns == list(CHANGES.column_names)
    assert types[CHANGES.column_names.index("year")] == "BIGINT"
    assert rows == []
