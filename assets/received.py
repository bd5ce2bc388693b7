from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset

from assets import names
from assets.resources import NormsdataPaths
from assets.step_cpu import StepCpu


class ReceiveConfig(Config):
    """`only`: paths relative to the inputs folder (what the inputs sensor saw change); default: all."""

    only: list[str] | None = None


@asset(name=names.RECEIVED, group_name=names.GROUP_RECEIVED, pool=names.DUCKDB_POOL)
def received_submissions(
    context: AssetExecutionContext, config: ReceiveConfig, normsdata: NormsdataPaths
) -> MaterializeResult:
    """Every file in the inputs folder, hashed, archived by sha256 and registered as a submission."""
    from pipelines import steps  # DuckDB, pandas: see assets/__init__.py

    cpu = StepCpu()
    report = steps.receive_step(normsdata.paths(), only=config.only)
    context.log.info("received %d new file(s)", report.processed)
    return MaterializeResult(
        metadata={
            "new_submissions": report.processed,
            "files_requested": len(config.only) if config.only is not None else "all",
            "submissions_by_status": MetadataValue.json(report.statuses),
            "archive": MetadataValue.path(str(normsdata.paths().archive)),
        }
        | cpu.metadata()
    )
