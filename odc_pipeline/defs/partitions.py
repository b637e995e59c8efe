"""Election years as Dagster partitions of the sources that keep one file per year.

Every partitioned source shares one partitions definition (the years any of them covers):
Dagster runs assets of one partitions definition together, so a backfill of 2014 and 2019
is one partition per run, fanned out across workers, and the nightly run asks for the
latest year only. A source asked for a year it does not cover produces empty frames, not
an error. The warehouse is not partitioned: it publishes every year a source has.
"""

import dagster as dg

from odc_pipeline.defs.execution import PARTITION_TAG
from odc_pipeline.registry.model import Registry, SourceEntry


def year_partitions(registry: Registry) -> dg.StaticPartitionsDefinition | None:
    """One partition per year any source lists under `years`; None when no source does."""
    years = sorted({year for entry in registry.sources for year in entry.years})
    return dg.StaticPartitionsDefinition([str(year) for year in years]) if years else None


def current_year(registry: Registry) -> str | None:
    """The partition the nightly run and the sensors work on: the latest year."""
    partitions = year_partitions(registry)
    return partitions.get_partition_keys()[-1] if partitions else None


def past_years(registry: Registry) -> list[str]:
    """Every partition but the current one, oldest first: what a full backfill adds."""
    partitions = year_partitions(registry)
    return partitions.get_partition_keys()[:-1] if partitions else []


def entry_for_partition(
    entry: SourceEntry, partition_key: str | None, latest: str | None = None
) -> SourceEntry | None:
    """The entry as it is for this run's partition; None when it does not cover that year.

    A run without a year (a job started without a partition) fails with a message saying how
    to name one; `latest`, the nightly run's year, is the example it gives."""
    if not entry.partitioned:
        return entry
    if partition_key is None:
        latest = latest or str(max(entry.years))
        raise dg.Failure(
            description=f"source {entry.id!r} keeps one file per year "
            f"({', '.join(str(y) for y in entry.years)}), so a run must name its year: in the "
            "UI, choose the year (partition) in the Materialize dialog; on the command line, "
            f'add --tags \'{{"{PARTITION_TAG}": "{latest}"}}\' to `dagster job execute`. '
            "The latest year's run publishes every year already materialized."
        )
    year = int(partition_key)
    return entry.for_year(year) if year in entry.years else None
