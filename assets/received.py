from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets import names
from assets.resources import NormsdataPaths
from pipelines import steps


@asset(name=names.RECEIVED, group_name=names.GROUP_RECEIVED, pool="duckdb_writer")
def received_submissions(context: AssetExecutionContext, normsdata: NormsdataPaths) -> MaterializeResult:
    """Every file in the inputs folder, hashed, archived by sha256 and registered as a submission."""
    report = steps.receive_step(normsdata.paths())
    context.log.info("received %d new file(s)", report.processed)
    return MaterializeResult(
        metadata={
            "new_submissions": report.processed,
            "submissions_by_status": MetadataValue.json(report.statuses),
            "archive": MetadataValue.path(str(normsdata.paths().archive)),
        }
    )
