from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets import names
from assets.resources import NormsdataPaths
from assets.step_cpu import StepCpu
from pipelines.progress import TerminalProgress


@asset(name=names.PARSED, deps=[names.RECEIVED], group_name=names.GROUP_PARSED, pool=names.DUCKDB_POOL)
def parsed_returns(context: AssetExecutionContext, normsdata: NormsdataPaths) -> MaterializeResult:
    """New submissions read into cells with provenance, or rejected as not being a return."""
    from pipelines import steps  # DuckDB, pandas, calamine: see assets/__init__.py

    cpu = StepCpu()
    terminal = TerminalProgress("parsing returns")

    def progress(done: int, total: int) -> None:
        context.log.info("parsed %d of %d returns", done, total)
        terminal(done, total)  # `make run` in a terminal: a live bar between the log lines

    report = steps.parse_step(normsdata.paths(), progress=progress)
    return MaterializeResult(
        metadata={
            "returns_parsed": report.processed,
            "submissions_by_status": MetadataValue.json(report.statuses),
        }
        | cpu.metadata()
    )
