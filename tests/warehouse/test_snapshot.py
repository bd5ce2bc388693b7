"""The analysts' snapshot: what it holds, that it is written from a read-only view of the pipeline's
file, and that an analyst holding it open does not stop a run (while one on the pipeline's file does)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from assets.run import materialize_all
from pipelines.forms.return_writer import write_return
from pipelines.settings import Paths
from pipelines.warehouse import store
from pipelines.warehouse.snapshot import SNAPSHOT_SCHEMAS, STORAGE_VERSION, write_snapshot
from tests.conftest import query, run_pipeline, sample_return
from tests.warehouse.analyst import Analyst
from tests.warehouse.dictionary import comments

pytestmark = pytest.mark.slow

OBJECTS = """
SELECT schema_name, table_name, 'TABLE' FROM duckdb_tables() WHERE database_name = current_database()
UNION ALL
SELECT schema_name, view_name, 'VIEW' FROM duckdb_views()
WHERE database_name = current_database() AND NOT internal
ORDER BY ALL
"""
COLUMN_TYPES = (
    "SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() "
    "WHERE database_name = current_database() ORDER BY ALL"
)


def objects(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return [row for row in connection.execute(OBJECTS).fetchall() if row[0] in SNAPSHOT_SCHEMAS]


def contents(connection: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every row of every table and view of the snapshot's schemas, sorted."""
    return {
        f"{schema}.{name}": connection.execute(f'SELECT * FROM "{schema}"."{name}" ORDER BY ALL').fetchall()  # noqa: S608 (catalog names)
        for schema, name, _ in objects(connection)
    }


def test_the_snapshot_holds_the_published_and_reference_schemas_with_their_comments(
    analysts_run: Paths, analysts_snapshot: Path
):
    with (
        duckdb.connect(str(analysts_run.database), read_only=True) as source,
        duckdb.connect(str(analysts_snapshot), read_only=True) as snapshot,
    ):
        assert objects(snapshot) == objects(source)
        assert ("published", "sdg_16_3_2", "VIEW") in objects(snapshot)
        assert contents(snapshot) == contents(source)
        assert contents(snapshot)["published.sdg_16_3_2"]  # the views read the snapshot's own copies
        assert comments(snapshot) == comments(source)
        assert all((text or "").strip() for text in comments(snapshot).values())
        source_types = [row for row in source.execute(COLUMN_TYPES).fetchall() if row[0] in SNAPSHOT_SCHEMAS]
        assert snapshot.execute(COLUMN_TYPES).fetchall() == source_types
        schemas = {row[0] for row in snapshot.execute("SELECT schema_name FROM duckdb_tables()").fetchall()}
        assert schemas == set(SNAPSHOT_SCHEMAS)  # no received, parsed or validated: no e-mail addresses
        tags = snapshot.execute(
            "SELECT tags FROM duckdb_databases() WHERE database_name = current_database()"
        )
        assert tags.fetchone()[0]["storage_version"].startswith(STORAGE_VERSION)
    assert sorted(p.name for p in analysts_snapshot.parent.iterdir()) == [analysts_snapshot.name]  # no .wal


def test_a_snapshot_replaces_its_target_whole(analysts_run: Paths, tmp_path: Path):
    target = tmp_path / "release" / "normsdata.duckdb"
    target.parent.mkdir()
    target.write_bytes(b"not a database")  # e.g. left over: replaced, not appended to
    write_snapshot(analysts_run.database, target)
    write_snapshot(analysts_run.database, target)
    with duckdb.connect(str(target), read_only=True) as snapshot:
        assert snapshot.execute("SELECT count(*) FROM published.coverage").fetchone()[0] == 6
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]


def test_the_pipelines_file_is_only_read_so_other_readers_may_stay(analysts_run: Paths, tmp_path: Path):
    with (
        Analyst(analysts_run.database) as analyst,  # a read-only connection in another process
        store.reader(analysts_run.database),  # and one in this process, as the release step holds
    ):
        write_snapshot(analysts_run.database, tmp_path / "normsdata.duckdb")
        assert analyst.is_connected()
    with pytest.raises(duckdb.IOException):  # nothing to snapshot: reported, and no file left behind
        write_snapshot(tmp_path / "missing.duckdb", tmp_path / "other" / "normsdata.duckdb")
    assert list((tmp_path / "other").iterdir()) == []


def add_a_return(inputs: Path) -> None:
    write_return(sample_return("BRA", 2023), inputs / "BRA_2023.xlsx")


def test_an_analyst_on_the_snapshot_does_not_stop_a_run(own_copy: Paths, tmp_path: Path):
    snapshot = tmp_path / "release" / "normsdata.duckdb"
    write_snapshot(own_copy.database, snapshot)
    add_a_return(own_copy.inputs)
    with Analyst(snapshot) as analyst:
        states = "SELECT DISTINCT iso3 FROM published.sdg_16_3_2 ORDER BY iso3"
        before = analyst.query(states)
        run_pipeline(own_copy.inputs, own_copy.warehouse)  # asserts the run succeeded
        assert analyst.is_connected()
        assert analyst.query(states) == before  # the analyst keeps the data they opened
    assert ["BRA"] not in before
    assert ("BRA",) in query(own_copy.warehouse, states)  # while the run published the new return


def test_control_an_analyst_on_the_pipelines_own_file_does_stop_a_run(
    own_copy: Paths, monkeypatch: pytest.MonkeyPatch
):
    """Why the snapshot exists: DuckDB refuses the run's read-write connection while another process
    reads the file (the run waits for it, here not at all). If this ever passes, the test above no
    longer shows anything."""
    monkeypatch.setenv(store.LOCK_WAIT_VARIABLE, "0")
    add_a_return(own_copy.inputs)
    os.environ["DAGSTER_HOME"] = str(own_copy.warehouse / ".dagster")
    with Analyst(own_copy.database):
        result = materialize_all(own_copy.inputs, own_copy.warehouse, DagsterInstance.ephemeral())
    assert not result.success
    errors = [
        event.event_specific_data.error.to_string() for event in result.all_events if event.is_step_failure
    ]
    assert errors and "lock" in errors[0].lower(), errors
    assert ("BRA",) not in query(own_copy.warehouse, "SELECT iso3 FROM published.coverage")
