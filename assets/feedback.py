from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets import names
from assets.resources import NormsdataPaths
from assets.step_cpu import StepCpu


@asset(
    name=names.FEEDBACK,
    deps=[names.PUBLISHED_COVERAGE],  # after it, so a superseded return's feedback says so
    group_name=names.GROUP_FEEDBACK,
    pool=names.DUCKDB_POOL,
)
def feedback(context: AssetExecutionContext, normsdata: NormsdataPaths) -> MaterializeResult:
    """For each submission, feedback/<id>/feedback.md (and feedback.xlsx when the file opens) for its
    focal point, in the form's language; an HTML validation report for the run's data engineers."""
    from pipelines.feedback import write_feedback  # openpyxl, pandas: see assets/__init__.py

    cpu = StepCpu()
    report = write_feedback(normsdata.paths())
    context.log.info("feedback written for %d submission(s), %d unchanged", report.written, report.unchanged)
    metadata = {
        "feedback_folder": MetadataValue.path(str(report.folder)),
        "feedback_written": report.written,
        "feedback_unchanged": report.unchanged,
        "feedback_workbooks": report.workbooks,
        "per_submission": "feedback/<submission_id>/feedback.md; view published.coverage_feedback",
    }
    if report.report_path is not None:
        metadata["validation_report"] = MetadataValue.path(str(report.report_path))
    return MaterializeResult(metadata=metadata | cpu.metadata())
