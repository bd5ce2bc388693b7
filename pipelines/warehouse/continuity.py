"""Structural facts about the published layer that decide whether a release may be cut."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from pipelines.release.layout import DATA_TABLES

PUBLISHED_STATUSES = ("ACCEPTED", "ACCEPTED_WITH_WARNINGS")


def duplicate_keys(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Primary-key values that occur more than once, per published data table."""
    found = {}
    for table in DATA_TABLES:
        keys = ", ".join(table.primary_key)
        sql = (
            f"SELECT count(*) FROM (SELECT {keys} FROM published.{table.name} "  # noqa: S608 (layout names)
            f"GROUP BY {keys} HAVING count(*) > 1)"
        )
        found[table.name] = connection.execute(sql).fetchone()[0]
    return found


def row_counts(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {
        t.name: connection.execute(f"SELECT count(*) FROM published.{t.name}").fetchone()[0]  # noqa: S608
        for t in DATA_TABLES
    }


def released_state_years(release: Path) -> set[tuple[str, int]]:
    """(iso3, reporting year) pairs a release published, from its coverage.csv."""
    coverage = release / "coverage.csv"
    if not coverage.is_file():
        return set()
    with coverage.open(encoding="utf-8", newline="") as handle:
        return {
            (row["iso3"], int(row["reporting_year"]))
            for row in csv.DictReader(handle)
            if row["status"] in PUBLISHED_STATUSES and row["iso3"] and row["reporting_year"]
        }


def vanished_state_years(
    connection: duckdb.DuckDBPyConnection, previous_release: Path
) -> list[tuple[str, int]]:
    """State-years the previous release published that the published layer no longer has.

    An accepted return is only ever replaced by a newer accepted one, so a state-year can only
    vanish through a fault (a lost submission, a broken rebuild): a release must not hide it.
    """
    current = set(
        connection.execute("SELECT iso3, reporting_year FROM published.current_submissions").fetchall()
    )
    return sorted(released_state_years(previous_release) - current)


def published_fingerprint(connection: duckdb.DuckDBPyConnection) -> str:
    """A digest of every row of the published data tables: equal fingerprints, equal data."""
    present = {
        row[0]
        for row in connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'published'"
        ).fetchall()
    }
    parts = []
    for table in DATA_TABLES:
        if table.name not in present:  # before the first publish of the data tables
            parts.append(f"{table.name}:absent")
            continue
        count, total = connection.execute(
            f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM published.{table.name} t"  # noqa: S608
        ).fetchone()
        parts.append(f"{table.name}:{count}:{total}")
    return ";".join(parts)
