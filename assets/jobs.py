"""The three jobs a deployment runs on its own: ingest on new files, publish changed years, cut a release.

`make run` does not use them: it materializes everything in one run (assets/run.py).
"""

from dagster import AssetSelection, define_asset_job

from assets import names
from assets.partitions import YEARS

# New files to coverage: everything up to the per-submission bookkeeping, no year partitions needed.
ingest_job = define_asset_job(
    names.INGEST_JOB,
    selection=AssetSelection.assets(
        names.RECEIVED, names.PARSED, names.VALIDATED, names.PUBLISHED_COVERAGE, names.FEEDBACK
    ),
    description="Receive, parse and validate new files; write feedback; refresh the coverage.",
)

# The year partitions a batch of accepted returns changed, in one run (BackfillPolicy.single_run).
publish_job = define_asset_job(
    names.PUBLISH_JOB,
    selection=AssetSelection.assets(names.PUBLISHED),
    partitions_def=YEARS,
    description="Refresh the published data tables for a range of years.",
)

# The structural checks run again right before the release, so a failing one stops it.
release_job = define_asset_job(
    names.RELEASE_JOB,
    selection=AssetSelection.assets(names.RELEASE)
    | AssetSelection.checks_for_assets(names.PUBLISHED, names.PUBLISHED_COVERAGE),
    description="Cut a release from the published layer if the structural checks pass.",
)

# The whole graph as one run (what `make run` does in-process): for the UI's launchpad, and the
# job the multiprocess-executor test runs. Every year partition at once: a single-run backfill.
everything_job = define_asset_job(
    names.EVERYTHING_JOB,
    selection=AssetSelection.all() | AssetSelection.all_asset_checks(),
    partitions_def=YEARS,
    description="Everything, end to end, over every year partition in one run.",
)
