from dagster import MaterializeResult, MetadataValue, asset

from assets import names
from assets.resources import NormsdataPaths
from assets.step_cpu import StepCpu


@asset(
    name=names.RELEASE,
    deps=[names.PUBLISHED, names.PUBLISHED_COVERAGE],
    group_name=names.GROUP_RELEASE,
    pool=names.DUCKDB_POOL,
)
def release(normsdata: NormsdataPaths) -> MaterializeResult:
    """The open-data release under releases/: CSV and Parquet tables, datapackage.json, the README
    codebook, CHANGELOG.md and changes.csv, overview.html, a DuckDB snapshot, SHA256SUMS."""
    from pipelines import steps  # DuckDB, pandas: see assets/__init__.py
    from pipelines.warehouse import continuity, store

    cpu = StepCpu()
    paths = normsdata.paths()
    with store.reader(paths.database) as connection:
        # The release schedule compares this with published_tables' latest to skip idle nights.
        fingerprint = continuity.published_fingerprint(connection)
    published = steps.release_step(paths)
    return MaterializeResult(
        metadata={
            "release_id": published.release_id,
            "new_release": published.created,
            "path": MetadataValue.path(str(published.path)),
            "published_fingerprint": fingerprint,
        }
        | cpu.metadata()
    )
