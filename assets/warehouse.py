from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from assets import names
from assets.partitions import ONE_RUN, YEARS
from assets.resources import NormsdataPaths
from assets.step_cpu import StepCpu


@asset(
    name=names.PUBLISHED_COVERAGE,
    deps=[names.VALIDATED],
    group_name=names.GROUP_WAREHOUSE,
    pool=names.DUCKDB_POOL,
)
def published_coverage(normsdata: NormsdataPaths) -> MaterializeResult:
    """What became of every received file, and which accepted submission is current per state-year."""
    from pipelines import steps  # DuckDB, pandas: see assets/__init__.py
    from pipelines.warehouse import continuity, store

    cpu = StepCpu()
    paths = normsdata.paths()
    rows = steps.publish_coverage_step(paths)
    with store.reader(paths.database) as connection:
        by_status = dict(
            connection.execute(
                "SELECT status, count(*) FROM published.coverage GROUP BY ALL ORDER BY ALL"
            ).fetchall()
        )
        fingerprint = continuity.published_fingerprint(connection)
    return MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "submissions_by_status": MetadataValue.json(by_status),
            "preview": MetadataValue.md(_status_table(by_status)),
            "published_fingerprint": fingerprint,
            "database": MetadataValue.path(str(paths.database)),
        }
        | cpu.metadata()
    )


@asset(
    name=names.PUBLISHED,
    deps=[names.PUBLISHED_COVERAGE],
    group_name=names.GROUP_WAREHOUSE,
    pool=names.DUCKDB_POOL,
    partitions_def=YEARS,
    backfill_policy=ONE_RUN,
)
def published_tables(context: AssetExecutionContext, normsdata: NormsdataPaths) -> MaterializeResult:
    """Activities and outcomes of the partition's reporting years and prison figures observed in
    them: newest accepted submission per state and year, revisions from later returns applied."""
    from pipelines import steps  # DuckDB, pandas: see assets/__init__.py
    from pipelines.warehouse import continuity, store

    cpu = StepCpu()
    paths = normsdata.paths()
    years = [int(key) for key in context.partition_keys]
    counts = steps.publish_step(paths, years)
    with store.reader(paths.database) as connection:
        in_years = {
            table: connection.execute(
                f"SELECT count(*) FROM published.{table} WHERE list_contains(?, {column})",  # noqa: S608
                [years],
            ).fetchone()[0]
            for table, column in store.YEAR_COLUMNS.items()
        }
        fingerprint = continuity.published_fingerprint(connection)
    context.log.info("published years %s..%s: %s", years[0], years[-1], in_years)
    return MaterializeResult(
        metadata={f"rows_{table}": count for table, count in counts.items()}
        | {f"rows_{table}_in_partition": count for table, count in in_years.items()}
        | {
            "published_fingerprint": fingerprint,
            "database": MetadataValue.path(str(paths.database)),
        }
        | cpu.metadata()
    )


def _status_table(by_status: dict[str, int]) -> str:
    lines = ["| status | submissions |", "|---|---:|"]
    lines += [f"| {status} | {count} |" for status, count in by_status.items()]
    return "\n".join(lines)


@asset_check(
    asset=names.PUBLISHED,
    name=names.CHECK_PRIMARY_KEYS,
    blocking=True,
    pool=names.DUCKDB_POOL,
    description="Every published table's primary key is unique; a release is not cut otherwise.",
)
def published_primary_keys_unique(
    context: AssetCheckExecutionContext, normsdata: NormsdataPaths
) -> AssetCheckResult:
    from pipelines.warehouse import continuity, store  # DuckDB: see assets/__init__.py

    with store.reader(normsdata.paths().database) as connection:
        found = continuity.duplicate_keys(connection)
    return AssetCheckResult(
        passed=not any(found.values()),
        severity=AssetCheckSeverity.ERROR,
        metadata={"duplicate_keys": MetadataValue.json(found)},
    )


@asset_check(
    asset=names.PUBLISHED,
    name=names.CHECK_NOT_EMPTY,
    blocking=True,
    pool=names.DUCKDB_POOL,
    description="Every published data table has rows; an empty table stops the release.",
)
def published_tables_not_empty(
    context: AssetCheckExecutionContext, normsdata: NormsdataPaths
) -> AssetCheckResult:
    from pipelines.warehouse import continuity, store  # DuckDB: see assets/__init__.py

    with store.reader(normsdata.paths().database) as connection:
        counts = continuity.row_counts(connection)
    return AssetCheckResult(
        passed=all(counts.values()),
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "rows": MetadataValue.json(counts),
            "empty": MetadataValue.json(sorted(t for t, n in counts.items() if not n)),
        },
    )


@asset_check(
    asset=names.PUBLISHED_COVERAGE,
    name=names.CHECK_NO_COVERAGE_DROP,
    blocking=True,
    pool=names.DUCKDB_POOL,
    description="No state-year published by the previous release has vanished from the warehouse.",
)
def no_state_year_vanished(
    context: AssetCheckExecutionContext, normsdata: NormsdataPaths
) -> AssetCheckResult:
    from pipelines.warehouse import continuity, store  # DuckDB: see assets/__init__.py

    paths = normsdata.paths()
    with store.reader(paths.database) as connection:
        vanished = continuity.vanished_state_years(connection, paths.releases / "latest")
    return AssetCheckResult(
        passed=not vanished,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "vanished": len(vanished),
            "vanished_state_years": MetadataValue.json([f"{iso3} {year}" for iso3, year in vanished[:200]]),
        },
    )
