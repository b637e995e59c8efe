"""A whole night in this process when some sources keep one file per year: the past years
first (a backfill, one run per year, publishing nothing), then the current year's run,
which publishes every year. `make run` and the tests run the job this way; on a server the
backfill is launched once from the UI (job `backfill_years`) and the schedule does the rest.
"""

from collections.abc import Callable, Sequence

import dagster as dg

from odc_pipeline.defs.automation import backfill_keys, partition_for_sources, year_chains
from odc_pipeline.defs.partitions import current_year, past_years
from odc_pipeline.registry.model import Registry

#: The result of one run: in this process (`execute_job`) or captured (`execute_in_process`).
Result = dg.JobExecutionResult | dg.ExecuteInProcessResult
#: Runs the job once: (asset_selection=..., partition_key=...) -> its result.
Execute = Callable[..., Result]


def partition_for_selection(
    registry: Registry, asset_selection: Sequence[dg.AssetKey] | None
) -> str | None:
    """The current year, when the selection (None: the whole job) holds an asset of a source
    with years; otherwise no partition."""
    if asset_selection is None:
        return current_year(registry)
    partitioned = set(year_chains(registry)).intersection(asset_selection)
    return current_year(registry) if partitioned else None


def execute_every_year(
    registry: Registry,
    execute: Execute,
    *,
    source_ids: Sequence[str] | None = None,
    asset_selection: Sequence[dg.AssetKey] | None = None,
    announce: Callable[[str], None] = lambda _: None,
) -> tuple[dict[str, Result], Result]:
    """The past years' runs, by year, then the night's run (the one whose summary counts)."""
    past = {}
    keys = backfill_keys(registry, source_ids)
    for year in past_years(registry) if keys else []:
        announce(f"Year {year}: the sources that keep one file per year")
        past[year] = execute(asset_selection=keys, partition_key=year)
    year = partition_for_sources(registry, source_ids) if source_ids else current_year(registry)
    if year:
        announce(f"Year {year}: every source, then the warehouse")
    night = execute(asset_selection=asset_selection, partition_key=year)
    return past, night
