"""Publish a run's results as a new version of the warehouse, switched in all at once.

The new version is built beside the live one: on SQLite a new file renamed over the old one
(`sqlite_files`), on PostgreSQL a new schema renamed in place of the old one inside a single
transaction. Sources this run did not replace (held back, or not run) are carried forward
from the previous version, so their last good load stays published. Tables are loaded
without indexes and indexed once full. A publish that fails or is killed at any point leaves
the previous version readable and intact; readers never see a mix of the two.

Each audience (public, members, one per organisation) gets its own copy: on SQLite a file
under `shared/` loaded with only its rows (`sqlite_layers`), on PostgreSQL a schema of
filtered views with its own role.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pandas as pd
from sqlalchemy import (
    Engine,
    MetaData,
    Table,
    bindparam,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection

from odc_pipeline.warehouse import sqlite_files, sqlite_layers
from odc_pipeline.warehouse.ahead import ahead
from odc_pipeline.warehouse.audiences import MEMBERS, audiences_for
from odc_pipeline.warehouse.batches import SourceBatch
from odc_pipeline.warehouse.catalog import Catalog, write_catalog
from odc_pipeline.warehouse.dictionary import dictionary_rows
from odc_pipeline.warehouse.engine import CORE_SCHEMA
from odc_pipeline.warehouse.frames import release_unused_memory
from odc_pipeline.warehouse.loading import (
    copy_frame,
    create_indexes,
    create_tables,
    sqlite_arrow,
)
from odc_pipeline.warehouse.schema import (
    FACT_TABLES,
    dim_organization,
    dim_region,
    dim_source,
    load_audit,
    meta_columns,
    metadata,
    quarantine,
    region_review,
)
from odc_pipeline.warehouse.views import create_views

#: PostgreSQL schemas: the one being built and the one just replaced (the live one: CORE_SCHEMA).
BUILD_SCHEMA = "odc_build"
RETIRED_SCHEMA = "odc_retired"
#: Key of the advisory lock that keeps two publishers of one database from overlapping.
_PUBLISH_LOCK_KEY = 7_201_926_011

Stage = Callable[[str], None]
#: Appends a frame to a table of the version being built.
Load = Callable[[Connection, Table, pd.DataFrame], None]


@dataclass(frozen=True)
class PublishSummary:
    """Counts of what one publish wrote, per table and per source, and where audiences are."""

    run_id: str
    table_rows: dict[str, int]
    per_source: list[dict]
    #: Audience name -> SQLite file or PostgreSQL schema holding what it may read.
    audiences: dict[str, str] = field(default_factory=dict)


class WarehouseSchemaError(RuntimeError):
    """The warehouse was created by another version of this code; nothing was changed."""


def _check_columns(inspector, schema: str | None, where: str) -> dict[str, set[str]]:
    """The previous version's tables and their columns; refuse one this code cannot carry.

    A column added to the code since (nullable, so old rows have no value for it) is not a
    reason to refuse: old rows are carried forward with it empty. A column the code does not
    know, or a required one missing, means another version built the warehouse.
    """
    existing = set(inspector.get_table_names(schema=schema))
    found_columns: dict[str, set[str]] = {}
    for table in metadata.sorted_tables:
        if table.name not in existing:
            continue
        found = {c["name"] for c in inspector.get_columns(table.name, schema=schema)}
        expected = {c.name for c in table.columns}
        required = {c.name for c in table.columns if not c.nullable}
        if found - expected or required - found:
            raise WarehouseSchemaError(
                f"table {table.name} in {where} has columns {sorted(found - expected)} the code "
                f"does not know and lacks {sorted(required - found)}: it was created by another "
                "version of odc-pipeline. Back it up and move it aside (a new warehouse is built "
                "on the next run), or point ODC_WAREHOUSE_URL elsewhere."
            )
        found_columns[table.name] = found
    return found_columns


def _carry_forward(
    connection: Connection,
    previous: str,
    previous_tables: dict[str, set[str]],
    replaced: list[str],
    keep: list[str] | None,
    copy_regions: bool,
) -> None:
    """Copy from the previous version what this run does not replace, inside the database."""
    quote = connection.dialect.identifier_preparer.quote
    by_source = (*FACT_TABLES.values(), quarantine, region_review)
    whole = [load_audit] + ([dim_region] if copy_regions else [])
    if keep is None:
        whole += [dim_organization, dim_source]
    for table in (*by_source, *whole):
        if table.name not in previous_tables:
            continue
        # Columns added since the previous version are left empty in its rows.
        columns = ", ".join(
            quote(c.name) for c in table.columns if c.name in previous_tables[table.name]
        )
        statement = (
            f"INSERT INTO {quote(table.name)} ({columns}) "  # noqa: S608 - code's own names
            f"SELECT {columns} FROM {quote(previous)}.{quote(table.name)}"
        )
        params: dict = {}
        if table in by_source:
            statement += " WHERE source_id NOT IN :replaced"
            params["replaced"] = replaced
            if keep is not None:
                statement += " AND source_id IN :keep"
                params["keep"] = keep
        clause = text(statement)
        if params:
            clause = clause.bindparams(
                *(bindparam(name, expanding=True) for name in params),
            )
        connection.execute(clause, params)


def _previous_sources(
    connection: Connection, previous: str | None, tables: dict[str, set[str]]
) -> dict:
    if previous is None or dim_source.name not in tables:
        return {}
    # A typed table, so dates come back as datetimes on SQLite too.
    previous_table = dim_source.to_metadata(MetaData(), schema=previous)
    return {row.source_id: row for row in connection.execute(select(previous_table))}


def _fill(
    connection: Connection,
    previous: str | None,
    previous_tables: dict[str, set[str]],
    regions: pd.DataFrame | None,
    batches: Iterable[SourceBatch],
    run_id: str,
    catalog: Catalog | None,
    stage: Stage,
    load: Load,
) -> list[dict]:
    """Fill the new, empty version: this run's rows (the bulk of them through `load`) and the
    rows carried forward; the audit rows, one per source, are returned.

    `batches` is consumed once, one source at a time, and no batch is kept once loaded: a
    night of millions of rows never needs every source in memory at once.
    """
    loaded_at = datetime.now(UTC)
    create_tables(connection)
    if regions is not None:
        stage("loading regions")
        load(connection, dim_region, regions)
    per_source, outcomes = [], []
    for batch in batches:
        if batch.error is None:
            stage(f"loading {batch.source_id}")
            provenance = {
                "organization_id": batch.organization_id,
                "source_id": batch.source_id,
                "run_id": run_id,
            }
            load(connection, FACT_TABLES[batch.kind], batch.facts.assign(**provenance))
            load(connection, quarantine, batch.quarantine.assign(**provenance))
            load(
                connection,
                region_review,
                batch.review.assign(organization_id=batch.organization_id, run_id=run_id),
            )
        per_source.append(
            {
                "run_id": run_id,
                "source_id": batch.source_id,
                "organization_id": batch.organization_id,
                "file_hash": batch.file_hash,
                "rows_in": batch.rows_in,
                "rows_published": batch.rows_published,
                "rows_quarantined": batch.rows_quarantined,
                "status": batch.status,
                "message": batch.error,
                "loaded_at": loaded_at,
            }
        )
        # What the catalogue needs (id, outcome, file hash); the rows are in the tables now.
        empty = batch.facts.iloc[0:0]
        outcomes.append(replace(batch, facts=empty, quarantine=empty, review=empty))
        del batch
    if previous is not None:
        stage("carrying forward")
        replaced = [o.source_id for o in outcomes if o.error is None]
        keep = None if catalog is None else [s.source_id for s in catalog.sources]
        _carry_forward(
            connection, previous, previous_tables, replaced, keep, copy_regions=regions is None
        )
    if per_source:
        connection.execute(load_audit.insert(), per_source)
    if catalog is not None:
        previous_rows = _previous_sources(connection, previous, previous_tables)
        write_catalog(connection, catalog, outcomes, loaded_at, run_id, previous_rows)
    create_views(connection)
    connection.execute(meta_columns.insert(), dictionary_rows())
    return per_source


def _finish(connection: Connection, stage: Stage) -> dict[str, int]:
    """Index the full tables, and count what the new version holds."""
    stage("indexing")
    create_indexes(connection)
    return _count_rows(connection)


def _count_rows(connection: Connection) -> dict[str, int]:
    """Rows per table of the version being built, for the publish summary."""
    return {
        table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for table in (
            dim_region,
            dim_organization,
            dim_source,
            *FACT_TABLES.values(),
            quarantine,
            region_review,
            load_audit,
        )
    }


def publish(
    engine: Engine,
    regions: pd.DataFrame | None,
    batches: Iterable[SourceBatch],
    run_id: str,
    catalog: Catalog | None = None,
    role_prefix: str = "odc",
    stage: Stage | None = None,
) -> PublishSummary:
    """Build the next version of the warehouse and switch to it atomically.

    `regions=None` keeps the previous `dim_region`. Without a catalogue no audience is built
    (nothing says who may see what) and every previous source is carried forward.
    """
    stage = stage or (lambda _name: None)
    # The next source's batch is prepared while this one is loaded.
    batches = ahead(batches)
    if engine.dialect.name == "sqlite":
        return _publish_sqlite(engine, regions, batches, run_id, catalog, stage)
    if engine.dialect.name == "postgresql":
        return _publish_postgres(engine, regions, batches, run_id, catalog, role_prefix, stage)
    raise ValueError(f"unsupported warehouse database: {engine.dialect.name}")


def _publish_sqlite(
    engine: Engine,
    regions: pd.DataFrame | None,
    batches: Iterable[SourceBatch],
    run_id: str,
    catalog: Catalog | None,
    stage: Stage,
) -> PublishSummary:
    target = Path(engine.url.database).resolve()
    shared = target.parent / sqlite_files.SHARED_FOLDER
    shared.mkdir(parents=True, exist_ok=True)
    engine.dispose()  # pooled connections would keep reading the old file
    with sqlite_files.publish_lock(target):
        sqlite_files.remove_leftovers(target.parent)
        sqlite_files.remove_leftovers(shared)
        previous_tables: dict[str, set[str]] = {}
        if target.exists():
            sqlite_files.leave_wal_mode(target)
            previous_tables = _check_columns(inspect(engine), None, str(target))
            engine.dispose()
        build = sqlite_files.build_path(target)
        audiences = (
            audiences_for([o.organization_id for o in catalog.organizations]) if catalog else []
        )
        builds = {
            a.name: sqlite_files.build_path(sqlite_files.audience_path(target, a))
            for a in audiences
        }
        audience_builds = [
            (builds[a.name], sqlite_files.audience_path(target, a)) for a in audiences
        ]
        stage("building")
        shared_levels = sorted(
            (a for a in audiences if a.organization_id is None),
            key=lambda a: len(a.sharing),
            reverse=True,
        )
        layered = sqlite_layers.LayeredBuild(
            build,
            [sqlite_layers.Layer(builds[a.name], a) for a in shared_levels],
            [(s.source_id, s.sharing, s.organization_id) for s in catalog.sources]
            if catalog
            else [],
            stage,
        )
        attached = {"previous": target} if previous_tables else {}
        per_source, hidden = _fill_layers(
            layered,
            sqlite_files.build_path(target),
            attached,
            lambda connection, load: _fill(
                connection,
                "previous" if attached else None,
                previous_tables,
                regions,
                batches,
                run_id,
                catalog,
                stage,
                load,
            ),
        )
        counting = sqlite_files.building_engine(build)
        try:
            with counting.connect() as connection:
                table_rows = _count_rows(connection)
        finally:
            counting.dispose()
        # One thread more than cores: the complete file is flushed to disk while the
        # organisations' files are made: each the members file, plus its own private rows
        # if it has any.
        with ThreadPoolExecutor(max_workers=(os.cpu_count() or 1) + 1) as pool:
            flushed = pool.submit(sqlite_files.flush, build)
            derive = partial(
                sqlite_layers.derive_private_file, build, builds.get(MEMBERS.name), hidden=hidden
            )
            pending = []
            for audience in (a for a in audiences if a.organization_id is not None):
                stage(f"building audience {audience.name}")
                pending.append(pool.submit(derive, builds[audience.name], audience))
            for future in pending:
                future.result()
            flushed.result()
        stage("swapping")
        sqlite_files.install(build, target)
        for audience_build, destination in audience_builds:
            sqlite_files.install(audience_build, destination)
        current = {destination for _, destination in audience_builds}
        for stale in shared.glob("private_*.sqlite"):
            if catalog is not None and stale not in current:
                stale.unlink()  # an organisation that left the registry
    engine.dispose()
    stage("published")
    return PublishSummary(
        run_id=run_id,
        table_rows=table_rows,
        per_source=per_source,
        audiences={d.stem: str(d) for _, d in audience_builds},
    )


def _fill_layers(
    layered: sqlite_layers.LayeredBuild,
    staged: Path,
    attached: dict[str, Path],
    fill: Callable[[Connection, Load], list[dict]],
) -> tuple[list[dict], frozenset[str]]:
    """Fill the SQLite files of a `LayeredBuild`: the members and public files, created at
    once, load each source's rows as it comes, each file only what its audience may read,
    and the complete file is then the members file plus what members may not read.

    `fill` is `_fill` on the staged file's connection (the previous version attached as in
    `attached`), given where the bulk rows go. What the publisher writes with SQL (carried
    forward, audit, catalogue) goes to that staged file, removed afterwards, which every
    file reads its share of; the bulk of the rows goes to the files as Arrow (columnar,
    categories as dictionaries: far smaller than the pandas frame, which is let go with its
    batch). The audit rows and the sources only the complete file holds are returned.
    """
    try:
        engine = sqlite_files.building_engine(staged, attached)
        try:
            with engine.begin() as connection:
                per_source = fill(
                    connection,
                    lambda _connection, table, frame: layered.add(
                        table, sqlite_arrow(table, frame)
                    ),
                )
        finally:
            engine.dispose()
        return per_source, layered.finish(staged, release=release_unused_memory)
    except BaseException:
        layered.abandon()
        raise
    finally:
        staged.unlink(missing_ok=True)


def _publish_postgres(
    engine: Engine,
    regions: pd.DataFrame | None,
    batches: Iterable[SourceBatch],
    run_id: str,
    catalog: Catalog | None,
    role_prefix: str,
    stage: Stage,
) -> PublishSummary:
    from odc_pipeline.warehouse.postgres_access import (
        check_role_prefix,
        create_audience_schemas,
        drop_audience_schemas,
    )

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
            _check_columns(inspector, CORE_SCHEMA, f"schema {CORE_SCHEMA}") if has_core else {}
        )
        stage("building")
        connection.execute(text(f"CREATE SCHEMA {quote(BUILD_SCHEMA)}"))
        connection.execute(text(f"SET LOCAL search_path TO {quote(BUILD_SCHEMA)}"))
        per_source = _fill(
            connection,
            CORE_SCHEMA if previous_tables else None,
            previous_tables,
            regions,
            batches,
            run_id,
            catalog,
            stage,
            load=copy_frame,
        )
        table_rows = _finish(connection, stage)
        for table in metadata.sorted_tables:
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
        per_source=per_source,
        audiences={a.name: a.schema for a in audiences},
    )
