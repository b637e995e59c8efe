"""Publish a run's results as a new version of the warehouse, switched in all at once.

The new version is built beside the live one: on SQLite a new file renamed over the old one
(`publish_sqlite`), on PostgreSQL a new schema renamed in place of the old one inside a single
transaction (`publish_postgres`). Both fill it the same way, with the functions here: this
run's rows first (bulk-loaded, one source at a time), then, copied inside the database, the
rows of sources this run did not replace (held back, or not run), so their last good load
stays published; then the audit, the catalogue, the analyst views and the data dictionary.
Tables are indexed once full. A publish that fails or is killed at any point leaves the
previous version readable and intact; readers never see a mix of the two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Engine, MetaData, Table, func, select, text
from sqlalchemy.engine import Connection

from odc_pipeline.warehouse.batches import SourceBatch
from odc_pipeline.warehouse.catalog import Catalog, write_catalog
from odc_pipeline.warehouse.derivation import answers_still_hold, pipeline_version
from odc_pipeline.warehouse.dictionary import dictionary_rows
from odc_pipeline.warehouse.election_tables import write_election_tables
from odc_pipeline.warehouse.kept_sources import KeptSources
from odc_pipeline.warehouse.loading import create_indexes
from odc_pipeline.warehouse.loads import keyed_by_load
from odc_pipeline.warehouse.schema import (
    ELECTION_DIMENSIONS,
    contestant_review,
    dim_load,
    dim_organization,
    dim_region,
    dim_source,
    fact_tables,
    load_audit,
    meta_columns,
    quarantine,
    region_review,
    release_changes,
    warehouse_tables,
)
from odc_pipeline.warehouse.totals import write_region_totals
from odc_pipeline.warehouse.unkeyed import carry_unkeyed, is_unkeyed
from odc_pipeline.warehouse.views import create_views

#: Told the name of each step of a publish as it starts (progress, and the kill tests).
Stage = Callable[[str], None]
#: Appends a frame's rows to a table of the version being built.
Load = Callable[[Table, pd.DataFrame], None]
#: Tables whose rows are a source's, replaced as the source is (the facts, the files they
#: were read from, and what the harmonizers set aside).
BY_SOURCE = (*fact_tables().values(), dim_load, quarantine, region_review, contestant_review)


@dataclass(frozen=True)
class PublishSummary:
    """Counts of what one publish wrote, per table and per source, and where audiences are."""

    run_id: str
    table_rows: dict[str, int]
    per_source: list[dict]
    #: Audience name -> SQLite file or PostgreSQL schema holding what it may read.
    audiences: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadedRun:
    """What loading this run's batches left to write: the audit rows, and each source's
    outcome (id, error, file hash; its rows are in the tables already)."""

    loaded_at: datetime
    per_source: list[dict]
    outcomes: list[SourceBatch]

    @property
    def replaced(self) -> list[str]:
        """Sources whose rows this run replaced; the others are carried forward."""
        return [o.source_id for o in self.outcomes if o.error is None]


class WarehouseSchemaError(RuntimeError):
    """The warehouse was created by another version of this code; nothing was changed."""


def previous_columns(inspector, schema: str | None, where: str) -> dict[str, set[str]]:
    """The previous version's tables and their columns; refuse one this code cannot carry.

    A column added to the code since (nullable, so old rows have no value for it) is not a
    reason to refuse: old rows are carried forward with it empty; nor are fact rows that hold
    their file's hash and run's id instead of a load key (`unkeyed`). A column the code does
    not know, or a required one missing, means another version built the warehouse.
    """
    existing = set(inspector.get_table_names(schema=schema))
    found_columns: dict[str, set[str]] = {}
    for table in warehouse_tables():
        if table.name not in existing:
            continue
        found = {c["name"] for c in inspector.get_columns(table.name, schema=schema)}
        expected = {c.name for c in table.columns}
        required = {c.name for c in table.columns if not c.nullable}
        if (found - expected or required - found) and not is_unkeyed(table, found):
            raise WarehouseSchemaError(
                f"table {table.name} in {where} has columns {sorted(found - expected)} the code "
                f"does not know and lacks {sorted(required - found)}: it was created by another "
                "version of odc-pipeline. Back it up and move it aside (a new warehouse is built "
                "on the next run), or point ODC_WAREHOUSE_URL elsewhere."
            )
        found_columns[table.name] = found
    return found_columns


def load_run(
    regions: pd.DataFrame | None,
    batches: Iterable[SourceBatch],
    run_id: str,
    load: Load,
    stage: Stage,
) -> LoadedRun:
    """Load this run's rows into the version being built, one source at a time.

    `batches` is consumed once and no batch is kept once loaded: a night of millions of rows
    never needs every source in memory at once.
    """
    loaded_at = datetime.now(UTC)
    if regions is not None:
        stage("loading regions")
        load(dim_region, regions)
    facts = fact_tables()
    per_source, outcomes = [], []
    for batch in batches:
        if batch.error is None:
            stage(f"loading {batch.source_id}")
            provenance = {"organization_id": batch.organization_id, "source_id": batch.source_id}
            keyed, loads = keyed_by_load(batch.facts, batch.source_id, run_id)
            load(facts[batch.kind], keyed.assign(**provenance))
            del keyed
            load(dim_load, loads)
            load(quarantine, batch.quarantine.assign(**provenance, run_id=run_id))
            load(
                region_review,
                batch.review.assign(organization_id=batch.organization_id, run_id=run_id),
            )
            load(
                contestant_review,
                batch.contestant_review.assign(
                    organization_id=batch.organization_id, run_id=run_id
                ),
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
                "pipeline_version": pipeline_version(),
            }
        )
        # What the catalogue needs (id, outcome, file hash); the rows are in the tables now.
        # No frame of the batch's, not even an empty slice: a slice keeps its parent's rows,
        # and the step would end up holding every source it loaded.
        nothing = pd.DataFrame()
        outcomes.append(
            replace(
                batch, facts=nothing, quarantine=nothing, review=nothing, contestant_review=nothing
            )
        )
        del batch
    return LoadedRun(loaded_at, per_source, outcomes)


def complete_version(
    connection: Connection,
    loaded: LoadedRun,
    previous: str | None,
    previous_tables: dict[str, set[str]],
    run_id: str,
    catalog: Catalog | None,
    regions_loaded: bool,
    stage: Stage,
) -> dict[str, int]:
    """Everything but this run's bulk rows: what is carried forward from the previous version
    (`previous`, a schema or attached file, None if there is none), the audit, the catalogue,
    the analyst views and the data dictionary; then the indexes, once every row is in. The
    rows per table of the version built are returned."""
    known = previous if dim_source.name in previous_tables else None
    previous_rows = previous_sources(connection, known)
    if previous is not None:
        stage("carrying forward")
        keep = None if catalog is None else catalog.kept_ids(previous_rows)
        _carry_forward(
            connection,
            previous,
            previous_tables,
            loaded.replaced,
            keep,
            copy_regions=not regions_loaded,
        )
    if loaded.per_source:
        connection.execute(load_audit.insert(), loaded.per_source)
    if catalog is not None:
        write_catalog(connection, catalog, loaded.outcomes, loaded.loaded_at, run_id, previous_rows)
    stage("computing seats and lists")
    kept_answers = previous is None or answers_still_hold(connection, previous, previous_tables)
    write_election_tables(connection, rederive=not kept_answers)
    stage("adding up totals per province and kabupaten/kota")
    write_region_totals(connection)
    create_views(connection)
    connection.execute(meta_columns.insert(), dictionary_rows())
    stage("indexing")
    create_indexes(connection)
    return count_rows(connection)


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
    kept = KeptSources(replaced, keep)
    whole = [load_audit] + ([dim_region] if copy_regions else [])
    if keep is None:
        whole += [dim_organization, dim_source, *ELECTION_DIMENSIONS]
    for table in (*BY_SOURCE, *whole):
        if table.name not in previous_tables:
            continue
        # Columns added since the previous version are left empty in its rows.
        held = [c.name for c in table.columns if c.name in previous_tables[table.name]]
        if is_unkeyed(table, previous_tables[table.name]):
            carry_unkeyed(connection, previous, table, held, kept)
            continue
        columns = ", ".join(quote(c) for c in held)
        statement = (
            f"INSERT INTO {quote(table.name)} ({columns}) "  # noqa: S608 - code's own names
            f"SELECT {columns} FROM {quote(previous)}.{quote(table.name)}"
        )
        if table in BY_SOURCE:
            statement += f" WHERE {kept.kept()}"
            connection.execute(kept.statement(statement), kept.parameters)
        else:
            connection.execute(text(statement))


def previous_sources(connection: Connection, previous: str | None) -> dict:
    """The `dim_source` rows of the previous version (a schema or attached file) by source
    id: a held-back source keeps the date of its last good load."""
    if previous is None:
        return {}
    # A typed table, so dates come back as datetimes on SQLite too.
    previous_table = dim_source.to_metadata(MetaData(), schema=previous)
    return {row.source_id: row for row in connection.execute(select(previous_table))}


def count_rows(connection: Connection) -> dict[str, int]:
    """Rows per table of the version being built, for the publish summary."""
    return {
        table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for table in warehouse_tables()
        if table not in (meta_columns, release_changes)
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
    if engine.dialect.name == "sqlite":
        from odc_pipeline.warehouse.publish_sqlite import publish_sqlite

        return publish_sqlite(engine, regions, batches, run_id, catalog, stage)
    if engine.dialect.name == "postgresql":
        from odc_pipeline.warehouse.publish_postgres import publish_postgres

        return publish_postgres(engine, regions, batches, run_id, catalog, role_prefix, stage)
    raise ValueError(f"unsupported warehouse database: {engine.dialect.name}")
