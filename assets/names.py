"""Asset keys, groups, checks, jobs and pools as constants: renaming one is a visible, reviewed change."""

RECEIVED = "received_submissions"
PARSED = "parsed_returns"
VALIDATED = "validated_returns"
FEEDBACK = "feedback"
PUBLISHED_COVERAGE = "published_coverage"
PUBLISHED = "published_tables"
RELEASE = "release"

GROUP_RECEIVED = "received"
GROUP_PARSED = "parsed"
GROUP_VALIDATED = "validated"
GROUP_WAREHOUSE = "warehouse"
GROUP_RELEASE = "release"
GROUP_FEEDBACK = "feedback"

SUITE_CHECKS = {suite: f"{suite}_suite" for suite in ("cover", "activities", "prisons", "outcomes")}
CHECK_PRIMARY_KEYS = "published_primary_keys_unique"
CHECK_NOT_EMPTY = "published_tables_not_empty"
CHECK_NO_COVERAGE_DROP = "no_state_year_vanished"

INGEST_JOB = "ingest"
PUBLISH_JOB = "publish"
RELEASE_JOB = "cut_release"
EVERYTHING_JOB = "everything"
INPUTS_SENSOR = "inputs_sensor"
PUBLISH_SENSOR = "publish_sensor"
RELEASE_SCHEDULE = "release_schedule"

# Every step that opens the warehouse file, reader or writer: DuckDB lets one process write, and
# a read-only connection from another process cannot open while it does. The instance limits this
# pool to 1 (deploy/dagster.yaml), so parallel steps and runs queue instead of failing on the lock.
DUCKDB_POOL = "duckdb"

# Metadata key on validated_returns: the years waiting to be published (validated.unpublished_years).
YEARS_TO_PUBLISH = "years_to_publish"

# Metadata key on every asset's materialization: the CPU seconds of its step (assets/step_cpu.py).
STEP_CPU_SECONDS = "step_cpu_seconds"
