"""What DuckDB's own catalog says about the documented schemas, as the tests read it."""

from __future__ import annotations

import duckdb

from pipelines.warehouse import descriptions


def comments(connection: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """schema.object[.column] -> comment, for every table, view and column of the documented schemas."""
    rows = connection.execute(
        """
        SELECT schema_name || '.' || table_name, comment FROM duckdb_tables()
        WHERE database_name = current_database() AND list_contains($schemas, schema_name)
        UNION ALL
        SELECT schema_name || '.' || view_name, comment FROM duckdb_views()
        WHERE database_name = current_database() AND list_contains($schemas, schema_name)
        UNION ALL
        SELECT schema_name || '.' || table_name || '.' || column_name, comment FROM duckdb_columns()
        WHERE database_name = current_database() AND list_contains($schemas, schema_name)
        """,
        {"schemas": list(descriptions.DOCUMENTED_SCHEMAS)},
    ).fetchall()
    return dict(rows)
