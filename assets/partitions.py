"""Year partitions of the published layer: how the data arrives (one return per state and year).

Partition `Y` holds the activities and outcomes of reporting year `Y` and the prison figures
observed in year `Y`. A return for reporting year `R` carries prison columns `R-4 .. R`, so the
earliest partition is four years before the first reporting year the form accepts (2015).
Receiving, parsing and validating are not partitioned: a file's year is only known once it has
been read, and those steps already touch only new files.
"""

from __future__ import annotations

from dagster import BackfillPolicy, PartitionKeyRange, TimeWindowPartitionsDefinition

FIRST_REPORTING_YEAR = 2015
PRISON_YEARS_BEFORE = 4

YEARS = TimeWindowPartitionsDefinition(
    start=str(FIRST_REPORTING_YEAR - PRISON_YEARS_BEFORE),
    cron_schedule="0 0 1 1 *",
    fmt="%Y",
    end_offset=1,  # the current year is open for returns before it ends
)

# A backfill of many years (or a sensor's request for several) is one run, not one per year.
ONE_RUN = BackfillPolicy.single_run()


def all_years() -> PartitionKeyRange:
    keys = YEARS.get_partition_keys()
    return PartitionKeyRange(keys[0], keys[-1])


def year_range(years: list[int]) -> PartitionKeyRange | None:
    """The smallest range of existing partitions covering `years` (years outside are dropped)."""
    keys = set(YEARS.get_partition_keys())
    wanted = sorted(str(year) for year in years if str(year) in keys)
    return PartitionKeyRange(wanted[0], wanted[-1]) if wanted else None
