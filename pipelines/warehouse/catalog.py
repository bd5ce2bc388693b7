"""The warehouse's data dictionary inside DuckDB: the analysts' views and a comment on everything.

Analysts read descriptions where their tools look, in DuckDB's own catalog (`duckdb_tables()`,
`duckdb_views()`, `duckdb_columns()`), so every table, view and column of the `published` and
`reference` schemas gets a `COMMENT ON`, with the texts of `descriptions.py`.

`document()` runs at the end of every publish, inside its transaction: `CREATE OR REPLACE` drops an
object's comments, so they are written again each time (about 200 statements, milliseconds).

DuckDB 2.0's `COMMENT ON` does not take a prepared parameter (`IS ?` and `IS $1` are parser errors),
so each text goes into the SQL as a string literal quoted by `sql_literal` (quotes doubled). The
texts are our own constants and the layout's, never input.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from pipelines.warehouse.descriptions import DOCUMENTED_SCHEMAS, documented_objects

VIEWS_SQL = Path(__file__).with_name("sql") / "views.sql"


# --- quoting: COMMENT ON takes no parameters ----------------------------------------------------


def sql_literal(text: str) -> str:
    """A SQL string literal for `text`: single quotes doubled (DuckDB's standard strings have no
    backslash escapes). Refuses NUL, which no literal can carry."""
    if "\x00" in text:
        raise ValueError("a SQL literal cannot hold NUL")
    return "'" + text.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- writing them into DuckDB ---------------------------------------------------------------------


def _columns_present(connection: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[str]]:
    """(schema, table or view) -> its columns, for the documented schemas of the connection's own
    database (not `temp`, where publishing keeps its scratch tables)."""
    rows = connection.execute(
        "SELECT schema_name, table_name, list(column_name ORDER BY column_index) FROM duckdb_columns() "
        "WHERE database_name = current_database() AND list_contains(?, schema_name) GROUP BY ALL",
        [list(DOCUMENTED_SCHEMAS)],
    ).fetchall()
    return {(schema, name): columns for schema, name, columns in rows}


def _views_sql() -> str:
    return VIEWS_SQL.read_text(encoding="utf-8")


def _without_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def tables_read_by_views() -> set[tuple[str, str]]:
    """(schema, name) of every table views.sql reads; its views are created only once all exist."""
    sql = _without_comments(_views_sql())
    named = set(re.findall(r"\b(published|reference)\.(\w+)\b", sql))
    defined = set(re.findall(r"CREATE OR REPLACE VIEW (\w+)\.(\w+)", sql))
    return named - defined


def comment_statements(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """COMMENT ON statements for every documented object and column that exists in the database."""
    present = _columns_present(connection)
    statements = []
    for entry in documented_objects():
        columns = present.get((entry.schema, entry.name))
        if columns is None:
            continue
        target = f"{quote_identifier(entry.schema)}.{quote_identifier(entry.name)}"
        statements.append(f"COMMENT ON {entry.kind} {target} IS {sql_literal(entry.description)}")
        statements.extend(
            f"COMMENT ON COLUMN {target}.{quote_identifier(column)} IS {sql_literal(entry.columns[column])}"
            for column in columns
            if column in entry.columns
        )
    return statements


def document(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the analysts' views (once the tables they read exist) and write every comment.

    Call inside the publishing transaction, after the tables are rebuilt. Objects or columns that
    do not exist are skipped, never created; `catalog_gaps` names them, and the tests fail on any.
    """
    if tables_read_by_views() <= set(_columns_present(connection)):
        connection.execute(_views_sql())
    statements = comment_statements(connection)
    if statements:
        connection.execute(";\n".join(statements))


def catalog_gaps(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """What the catalog and the database disagree on: objects or columns of the documented schemas
    without a description, and descriptions of objects or columns that do not exist."""
    present = _columns_present(connection)
    documented = {(entry.schema, entry.name): entry for entry in documented_objects()}
    gaps = []
    for key, columns in sorted(present.items()):
        entry = documented.get(key)
        if entry is None:
            gaps.append(f"{'.'.join(key)}: not described")
            continue
        name = entry.qualified_name
        gaps += [f"{name}.{c}: not described" for c in columns if c not in entry.columns]
        gaps += [f"{name}.{c}: described, does not exist" for c in entry.columns if c not in columns]
    missing = [key for key in sorted(documented) if key not in present]
    gaps += [f"{schema}.{name}: described, does not exist" for schema, name in missing]
    return gaps
