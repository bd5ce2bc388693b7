from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets import names
from assets.resources import NormsdataPaths
from pipelines import steps


@asset(name=names.PARSED, deps=[names.RECEIVED], group_name=names.GROUP_PARSED, pool="duckdb_writer")
def parsed_returns(context: AssetExecutionContext, normsdata: NormsdataPaths) -> MaterializeResult:
    """New submissions read into cells with provenance, or rejected as not being a return."""

    def progress(done: int, total: int) -> None:
        context.log.info("parsed %d of %d returns", done, total)

    report = steps.parse_step(normsdata.paths(), progress=progress)
    return MaterializeResult(
        metadata={
            "returns_parsed": report.processed,
            "submissions_by_status": MetadataValue.json(report.statuses),
        }
    )
