from collections import defaultdict
from typing import TYPE_CHECKING

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
)

from assets import names
from assets.names import YEARS_TO_PUBLISH
from assets.resources import NormsdataPaths
from assets.step_cpu import StepCpu

if TYPE_CHECKING:
    from pipelines.validated.suites import SuiteSummary


@asset(
    name=names.VALIDATED,
    deps=[names.PARSED],
    group_name=names.GROUP_VALIDATED,
    pool=names.DUCKDB_POOL,
    check_specs=[
        AssetCheckSpec(
            check, asset=names.VALIDATED, description=f"Great Expectations suite expectations/{suite}.json"
        )
        for suite, check in names.SUITE_CHECKS.items()
    ],
)
def validated_returns(context: AssetExecutionContext, normsdata: NormsdataPaths):
    """Parsed returns checked against the form's rules: rows quarantined, returns accepted or rejected."""
    from pipelines import steps  # DuckDB, pandas (GE runs in a worker process): see assets/__init__.py

    cpu = StepCpu()
    report = steps.validate_step(normsdata.paths())
    yield MaterializeResult(
        metadata={
            "returns_validated": report.processed,
            "submissions_by_status": MetadataValue.json(report.statuses),
            # For the UI: the year partitions of published_tables waiting to be refreshed. The publish
            # sensor reads them from the warehouse, where they survive a run that dies before this.
            YEARS_TO_PUBLISH: MetadataValue.json(report.years),
            "quarantined": MetadataValue.json(steps.quarantine_counts(normsdata.paths())),
        }
        | cpu.metadata()
    )
    by_suite: dict[str, list[SuiteSummary]] = defaultdict(list)
    for summary in report.summaries:
        by_suite[summary.suite].append(summary)
    for suite, check in names.SUITE_CHECKS.items():
        yield _suite_check(check, by_suite.get(suite, []))


def _suite_check(check: str, summaries: "list[SuiteSummary]") -> AssetCheckResult:
    """A suite's result in this run: ERROR when a critical rule failed, WARN when only warnings did."""
    failing: dict[str, int] = defaultdict(int)
    critical = False
    for summary in summaries:
        if not summary.success:
            failing[f"{summary.rule} ({summary.column})"] += summary.unexpected_count
            critical = critical or summary.severity == "critical"
    return AssetCheckResult(
        check_name=check,
        passed=not failing,
        severity=AssetCheckSeverity.ERROR if critical else AssetCheckSeverity.WARN,
        metadata={
            "failing_values": sum(failing.values()),
            "failing_by_rule": MetadataValue.json(dict(sorted(failing.items()))),
            "expectations_evaluated": len(summaries),
        },
    )
