"""A read-only snapshot of the published warehouse, for analysts: `normsdata.duckdb` in each release.

DuckDB lets one process write a file, or many read it, never both: an analyst's connection on the
pipeline's own file would stop the next run. The snapshot is a separate, small DuckDB file holding
what analysts need and nothing else: every table and view of the `published` schema and of the
`reference` schema (the member states and indicators the views join), with their comments. The
other schemas (received, parsed, validated) stay behind: they hold focal points' names and e-mail
addresses and every cell as sent.

The pipeline's file is attached READ_ONLY, so writing a snapshot needs no more than any reader. The
snapshot is written under a temporary name beside `target` and renamed into place, so `target`
never exists half-written. It is stored in DuckDB's v1.0.0 storage format, so DuckDB 1.x clients
(CLI, Python, R) open it as well as 2.x ones.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

import duckdb

from pipelines.warehouse.catalog import quote_identifier, sql_literal
from pipelines.warehouse.descriptions import DOCUMENTED_SCHEMAS

SNAPSHOT_SCHEMAS: tuple[str, ...] = DOCUMENTED_SCHEMAS  # what analysts get: published and reference
STORAGE_VERSION = "v1.0.0"  # the oldest DuckDB able to open the snapshot


def write_snapshot(database: Path, target: Path) -> None:
    """Write `target`: a new DuckDB file with the published and reference schemas of `database`
    (tables, views, comments), read through a read-only attachment. Replaces `target` atomically.

    Readers may stay open meanwhile, in this process (the release step's) or others (analysts'). A
    writer may not: duckdb.IOException when another process writes `database`,
    duckdb.ResourceInUseException when this one does.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.partial")
    try:
        _write(database, partial)
        os.replace(partial, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def _write(database: Path, partial: Path) -> None:
    # In memory: both files are attached, so neither is the default. One thread: the snapshot is
    # written beside the rest of the release (publish.py), which keeps the other core busy.
    connection = duckdb.connect(config={"threads": 1})
    try:
        connection.execute("ATTACH ? AS source (READ_ONLY)", [str(database)])
        # Storage version: a constant of this module, not a value (ATTACH options take no parameters).
        connection.execute(f"ATTACH ? AS snapshot (STORAGE_VERSION '{STORAGE_VERSION}')", [str(partial)])
        connection.execute("USE snapshot")  # view definitions bind to the snapshot's own tables
        # One transaction for the whole copy: one commit, not one per table, view and comment (about
        # 170 statements, each of which would otherwise commit and log on its own).
        connection.execute("BEGIN TRANSACTION")
        for schema in SNAPSHOT_SCHEMAS:
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(schema)}")
        _copy_tables(connection)
        _copy_views(connection)
        _copy_comments(connection)
        connection.execute("COMMIT")
        connection.execute("USE memory")
        connection.execute("DETACH snapshot")  # checkpoints: the file is complete, no .wal beside it
        connection.execute("DETACH source")
    finally:
        connection.close()


def _copy_tables(connection: duckdb.DuckDBPyConnection) -> None:
    tables = connection.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "WHERE database_name = 'source' AND list_contains(?, schema_name) ORDER BY table_oid",
        [list(SNAPSHOT_SCHEMAS)],
    ).fetchall()
    for schema, table in tables:
        name = f"{quote_identifier(schema)}.{quote_identifier(table)}"
        # Names read from the source's own catalog, quoted; no values in the SQL.
        connection.execute(f"CREATE TABLE {name} AS SELECT * FROM source.{name}")  # noqa: S608


def _copy_views(connection: duckdb.DuckDBPyConnection) -> None:
    """Each view's own CREATE VIEW text, in creation order (a view may read an earlier one). The text
    names tables without a database, so in the snapshot it reads the snapshot's copies."""
    views = connection.execute(
        "SELECT sql FROM duckdb_views() "
        "WHERE database_name = 'source' AND NOT internal AND list_contains(?, schema_name) ORDER BY view_oid",
        [list(SNAPSHOT_SCHEMAS)],
    ).fetchall()
    for (create_view,) in views:
        connection.execute(create_view)


def _copy_comments(connection: duckdb.DuckDBPyConnection) -> None:
    """The source's comments on every copied table, view and column (COMMENT ON takes no parameters,
    so each text is quoted as a literal)."""
    objects = connection.execute(
        "SELECT 'TABLE', schema_name, table_name, comment FROM duckdb_tables() "
        "WHERE database_name = 'source' AND list_contains($schemas, schema_name) AND comment IS NOT NULL "
        "UNION ALL "
        "SELECT 'VIEW', schema_name, view_name, comment FROM duckdb_views() "
        "WHERE database_name = 'source' AND list_contains($schemas, schema_name) AND comment IS NOT NULL",
        {"schemas": list(SNAPSHOT_SCHEMAS)},
    ).fetchall()
    columns = connection.execute(
        "SELECT schema_name, table_name, column_name, comment FROM duckdb_columns() "
        "WHERE database_name = 'source' AND list_contains(?, schema_name) AND comment IS NOT NULL",
        [list(SNAPSHOT_SCHEMAS)],
    ).fetchall()
    statements = [
        f"COMMENT ON {kind} {quote_identifier(schema)}.{quote_identifier(name)} IS {sql_literal(comment)}"
        for kind, schema, name, comment in objects
    ] + [
        f"COMMENT ON COLUMN {quote_identifier(schema)}.{quote_identifier(name)}.{quote_identifier(column)} "
        f"IS {sql_literal(comment)}"
        for schema, name, column, comment in columns
    ]
    if statements:
        connection.execute(";\n".join(statements))
