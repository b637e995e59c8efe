"""Publishing to PostgreSQL: a new schema built and renamed in place of the live one, in one
transaction.

The version is built in `odc_build` (rows loaded with COPY, indexed once full), then the live
schema is renamed away and the build renamed in its place; readers still inside a
transaction on the old tables are waited for, and new ones wait for the switch. Each audience
gets a schema of filtered views with its own role (`postgres_access`).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

import pandas as pd
from sqlalchemy import Engine, inspect, text

from odc_pipeline.warehouse.audiences import audiences_for
from odc_pipeline.warehouse.batches import SourceBatch
from odc_pipeline.warehouse.catalog import Catalog
from odc_pipeline.warehouse.engine import CORE_SCHEMA
from odc_pipeline.warehouse.loading import copy_frame, create_tables
from odc_pipeline.warehouse.postgres_access import (
    check_role_prefix,
    create_audience_schemas,
    drop_audience_schemas,
)
from odc_pipeline.warehouse.publish import (
    PublishSummary,
    Stage,
    complete_version,
    load_run,
    previous_columns,
)
from odc_pipeline.warehouse.schema import warehouse_tables

#: The schema being built and the one just replaced (the live one is CORE_SCHEMA).
BUILD_SCHEMA = "odc_build"
RETIRED_SCHEMA = "odc_retired"
#: Key of the advisory lock that keeps two publishers of one database from overlapping.
_PUBLISH_LOCK_KEY = 7_201_926_011


def publish_postgres(
    engine: Engine,
    regions: pd.DataFrame | None,
    batches: Iterable[SourceBatch],
    run_id: str,
    catalog: Catalog | None,
    role_prefix: str,
    stage: Stage,
) -> PublishSummary:
    check_role_prefix(role_prefix)
    audiences = audiences_for([o.organization_id for o in catalog.organizations]) if catalog else []
    with engine.begin() as connection:
        quote = connection.dialect.identifier_preparer.quote
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PUBLISH_LOCK_KEY})
        connection.execute(text(f"DROP SCHEMA IF EXISTS {quote(RETIRED_SCHEMA)} CASCADE"))
        connection.execute(text(f"DROP SCHEMA IF EXISTS {quote(BUILD_SCHEMA)} CASCADE"))
        inspector = inspect(connection)
        has_core = CORE_SCHEMA in inspector.get_schema_names()
        previous_tables = (
            previous_columns(inspector, CORE_SCHEMA, f"schema {CORE_SCHEMA}") if has_core else {}
        )
        stage("building")
        connection.execute(text(f"CREATE SCHEMA {quote(BUILD_SCHEMA)}"))
        connection.execute(text(f"SET LOCAL search_path TO {quote(BUILD_SCHEMA)}"))
        create_tables(connection)
        loaded = load_run(regions, batches, run_id, partial(copy_frame, connection), stage)
        table_rows = complete_version(
            connection,
            loaded,
            CORE_SCHEMA if previous_tables else None,
            previous_tables,
            run_id,
            catalog,
            regions_loaded=regions is not None,
            stage=stage,
        )
        for table in warehouse_tables():
            connection.execute(text(f"ANALYZE {quote(table.name)}"))
        stage("swapping")
        if previous_tables:
            # Wait for readers still inside a transaction on the old tables, and hold new ones
            # back until the switch commits: a reader's transaction then sees one version only.
            locked = ", ".join(f"{quote(CORE_SCHEMA)}.{quote(name)}" for name in previous_tables)
            connection.execute(text(f"LOCK TABLE {locked} IN ACCESS EXCLUSIVE MODE"))
        drop_audience_schemas(connection)
        if has_core:
            connection.execute(
                text(f"ALTER SCHEMA {quote(CORE_SCHEMA)} RENAME TO {quote(RETIRED_SCHEMA)}")
            )
        connection.execute(
            text(f"ALTER SCHEMA {quote(BUILD_SCHEMA)} RENAME TO {quote(CORE_SCHEMA)}")
        )
        connection.execute(text(f"SET LOCAL search_path TO {quote(CORE_SCHEMA)}"))
        if audiences:
            stage("granting audiences")
            create_audience_schemas(connection, audiences, CORE_SCHEMA, role_prefix)
    # The old version goes in its own transaction: its locks wait for readers still on it.
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{RETIRED_SCHEMA}" CASCADE'))
    stage("published")
    return PublishSummary(
        run_id=run_id,
        table_rows=table_rows,
        per_source=loaded.per_source,
        audiences={a.name: a.schema for a in audiences},
    )
