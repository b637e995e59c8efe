"""Build the Dagster definitions from a registry: the same for the UI, `make run` and tests."""

from __future__ import annotations

import dagster as dg

from odc_pipeline.defs.automation import PUBLISH_TAG, build_automation
from odc_pipeline.defs.broken_sources import build_broken_source_asset
from odc_pipeline.defs.election_reference import build_election_reference
from odc_pipeline.defs.execution import TERMINAL_LOGGER, terminal_logger
from odc_pipeline.defs.executors import executor_from_environment
from odc_pipeline.defs.io_manager import LAZY_FRAME_LOADER, ROW_NUMBERS_LOADER, ArrowFileIOManager
from odc_pipeline.defs.partitions import year_partitions
from odc_pipeline.defs.releases import build_release_asset
from odc_pipeline.defs.resources import WarehouseResource
from odc_pipeline.defs.sources import build_source_assets
from odc_pipeline.defs.warehouse import (
    PUBLISH_STEP,
    WAREHOUSE_GROUP,
    build_open_data_asset,
    build_quality_checks,
    build_warehouse_assets,
)
from odc_pipeline.reading.headers import SOURCE_ROW
from odc_pipeline.registry import Registry, load_registry
from odc_pipeline.settings import (
    HASH_SALT_VARIABLE,
    WAREHOUSE_URL_VARIABLE,
    Settings,
    hash_salt_is_set,
    load_settings,
    role_prefix,
)

ALL_ASSETS_JOB = "materialize_all"


def warehouse_resource(settings: Settings) -> WarehouseResource:
    """PostgreSQL (or any URL) from `ODC_WAREHOUSE_URL` via EnvVar, else the embedded SQLite file.

    EnvVar keeps the URL, which may carry a password, and the hashing salt out of Dagster's
    stored run config, logs and metadata.
    """
    salt = dg.EnvVar(HASH_SALT_VARIABLE) if hash_salt_is_set() else None
    if settings.warehouse_url:
        return WarehouseResource(
            url=dg.EnvVar(WAREHOUSE_URL_VARIABLE), hash_salt=salt, role_prefix=role_prefix()
        )
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    return WarehouseResource(url=settings.default_warehouse_url, hash_salt=salt)


def build_definitions(
    settings: Settings | None = None,
    registry: Registry | None = None,
    in_process: bool = False,
) -> dg.Definitions:
    """Every asset, check and resource for one registry. `in_process`: every step of a run
    in the process that runs it (`make run`), whatever executor the environment names."""
    settings = settings or load_settings()
    # Files are checked when a source runs, and an entry that cannot be used is held back
    # with its problems, so one member's mistake fails that source alone instead of taking
    # the whole code location down.
    registry = registry or load_registry(
        settings.registry_path, check_files=False, keep_broken=True
    )
    assets: list = []
    partitions = year_partitions(registry)
    for entry in registry.sources:
        assets += build_source_assets(
            entry,
            registry.base_dir,
            registry.organization_name(entry.organization),
            registry.group_name(entry.organization),
            settings.reference_dir,
            settings.snapshots,
            partitions,
        )
    held_back = [
        build_broken_source_asset(b, n, registry.group_name(b.organization))
        for n, b in enumerate(registry.broken)
    ]
    election_reference, reference_checks = build_election_reference(settings.reference_dir)
    warehouse_assets, warehouse_checks = build_warehouse_assets(
        registry, settings.warehouse_dir, settings.reference_dir
    )
    warehouse_assets.append(election_reference)
    warehouse_checks += reference_checks
    warehouse_checks += build_quality_checks(registry, settings.warehouse_dir / "quality")
    published = [k for a in warehouse_assets if a.node_def.name == PUBLISH_STEP for k in a.keys]
    warehouse_assets.append(build_release_asset(registry, settings, published, WAREHOUSE_GROUP))
    warehouse_assets.append(
        build_open_data_asset(registry, settings.warehouse_dir / "open_data", settings.releases_dir)
    )
    jobs, schedules, sensors, freshness_checks = build_automation(
        registry, settings.reference_dir, warehouse_assets, assets
    )
    return dg.Definitions(
        executor=dg.in_process_executor if in_process else executor_from_environment(),
        assets=[*assets, *held_back, *warehouse_assets],
        asset_checks=[*warehouse_checks, *freshness_checks],
        jobs=[
            dg.define_asset_job(
                ALL_ASSETS_JOB,
                selection=dg.AssetSelection.all(),
                tags=PUBLISH_TAG,
                description="Every source, then the warehouse.",
            ),
            *jobs,
        ],
        schedules=schedules,
        sensors=sensors,
        resources={
            "io_manager": ArrowFileIOManager(base_dir=str(settings.storage_dir)),
            ROW_NUMBERS_LOADER: ArrowFileIOManager(
                base_dir=str(settings.storage_dir), load_columns=[SOURCE_ROW]
            ),
            LAZY_FRAME_LOADER: ArrowFileIOManager(base_dir=str(settings.storage_dir), lazy=True),
            "warehouse": warehouse_resource(settings),
        },
        # Dagster's own console logger, and the one `make run` and `odc run` listen to.
        loggers={"console": dg.colored_console_logger, TERMINAL_LOGGER: terminal_logger},
    )
