import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from assets import names
from assets.resources import NormsdataPaths
from pipelines import steps
from pipelines.release.layout import DATA_TABLES
from pipelines.warehouse import store


@asset(name=names.PUBLISHED, deps=[names.VALIDATED], group_name=names.GROUP_WAREHOUSE, pool="duckdb_writer")
def published_tables(normsdata: NormsdataPaths) -> MaterializeResult:
    """The published layer: newest accepted submission per state and year, revisions applied."""
    counts = steps.publish_step(normsdata.paths())
    return MaterializeResult(
        metadata={f"rows_{table}": count for table, count in counts.items()}
        | {"database": MetadataValue.path(str(normsdata.paths().database))}
    )


def duplicate_keys(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Primary-key values that occur more than once, per published table."""
    found = {}
    for table in DATA_TABLES:
        keys = ", ".join(table.primary_key)
        sql = (
            f"SELECT count(*) FROM (SELECT {keys} FROM published.{table.name} "  # noqa: S608 (layout names)
            f"GROUP BY {keys} HAVING count(*) > 1)"
        )
        found[table.name] = connection.execute(sql).fetchone()[0]
    return found


@asset_check(
    asset=names.PUBLISHED,
    name=names.CHECK_PRIMARY_KEYS,
    blocking=True,
    description="Every published table's primary key is unique; a release is not cut otherwise.",
)
def published_primary_keys_unique(
    context: AssetCheckExecutionContext, normsdata: NormsdataPaths
) -> AssetCheckResult:
    with store.reader(normsdata.paths().database) as connection:
        found = duplicate_keys(connection)
    return AssetCheckResult(
        passed=not any(found.values()),
        severity=AssetCheckSeverity.ERROR,
        metadata={"duplicate_keys": MetadataValue.json(found)},
    )


@asset_check(
    asset=names.PUBLISHED,
    name=names.CHECK_NOT_EMPTY,
    description="Warns when a published data table is empty.",
)
def published_tables_not_empty(
    context: AssetCheckExecutionContext, normsdata: NormsdataPaths
) -> AssetCheckResult:
    with store.reader(normsdata.paths().database) as connection:
        counts = {
            t.name: connection.execute(f"SELECT count(*) FROM published.{t.name}").fetchone()[0]  # noqa: S608
            for t in DATA_TABLES
        }
    return AssetCheckResult(
        passed=all(counts.values()),
        severity=AssetCheckSeverity.WARN,
        metadata={"rows": MetadataValue.json(counts)},
    )
