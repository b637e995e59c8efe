"""The `release` asset: after every publish, the next numbered release of the published
tables (Parquet per audience and a manifest), what changed since the one before, and the
run report again with both."""

import dagster as dg

from odc_pipeline.defs.resources import WarehouseResource
from odc_pipeline.quoting import changes_in_words
from odc_pipeline.registry.model import Registry
from odc_pipeline.releases.store import ReleaseStore
from odc_pipeline.releases.writing import entry_digests, record_changes, write_release
from odc_pipeline.reporting import write_run_report
from odc_pipeline.settings import Settings

RELEASE_ASSET = "release"


def build_release_asset(
    registry: Registry, settings: Settings, published: list[dg.AssetKey], group: str
) -> dg.AssetsDefinition:
    """The release of what `published` (the publish step's tables and views) holds."""
    digests = entry_digests(registry.sources)

    @dg.asset(
        name=RELEASE_ASSET,
        group_name=group,
        deps=published,
        kinds={"parquet"},
        description="Every publish as a numbered release (e.g. 2026.12.02-1) in "
        f"{settings.releases_dir}: Parquet per audience (public, members) and table, by "
        "election year, with a manifest of the run, every source's file hash, the reference "
        "tables' versions and every file's checksum; unchanged parts are linked, not copied. "
        "Also fills release_changes: the rows added, removed and changed since the previous "
        "release, with their cause (odc diff A B for any two).",
    )
    def release(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        engine = warehouse.engine()
        written = write_release(
            engine,
            ReleaseStore(settings.releases_dir),
            context.run.run_id,
            settings.reference_dir,
            digests,
            settings.releases_keep,
            view_memory=settings.release_memory,
        )
        record_changes(engine, written.changes)
        report = write_run_report(
            engine, context.run.run_id, settings.warehouse_dir, written, settings.map_source
        )
        counts = written.counts
        context.log.info(
            f"release {written.release_id}: {changes_in_words(counts)} since "
            f"{written.previous or 'no earlier release'}"
        )
        return dg.MaterializeResult(
            metadata={
                "release": written.release_id,
                "previous_release": written.previous or "",
                "rows_added": counts["added"],
                "rows_removed": counts["removed"],
                "rows_changed": counts["changed"],
                "folder": dg.MetadataValue.path(str(written.folder)),
                "run_report": dg.MetadataValue.path(str(report)),
                "releases_removed": ", ".join(written.pruned),
            }
        )

    return release
