"""Patching the live PostgreSQL schema in place, when a run replaced a small share of it.

Built from empty, a new schema copies every other source's rows forward and indexes every row
again: on a national warehouse the cost of the whole warehouse, whatever changed. Patched
instead, the changed sources' rows are deleted from the live tables and this run's inserted,
with the indexes in place, inside the publish's one transaction. PostgreSQL's own
multi-version rows keep readers on the version before until the commit, and the commit waits
for readers still inside a transaction, as the switch of a new schema does
(`publish_postgres`): a reader sees the old rows or the new, never a mix.

It is used only where it gives the very rows a build from empty gives, with the same rules
as a patched SQLite file (`patching`), and only where the live schema's tables, indexes and
views are exactly the code's (`same_shape`) and its derived rows were computed by the code
running now: a schema an older release built is built again.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from odc_pipeline.warehouse.catalog import Catalog
from odc_pipeline.warehouse.derivation import built_by, derived_by_this_code
from odc_pipeline.warehouse.loading import create_indexes, create_tables
from odc_pipeline.warehouse.patching import (
    COMPARED_WITH_PREVIOUS,
    Patched,
    live_rows,
    patch_version,
    small_share,
)
from odc_pipeline.warehouse.publish import LoadedRun, Stage
from odc_pipeline.warehouse.views import create_views

#: The code's tables, indexes and views made empty, to compare the live schema with.
SHAPE_SCHEMA = "odc_shape"
#: The few tables a patch compares with as they were before it (`COMPARED_WITH_PREVIOUS`).
PREVIOUS_SCHEMA = "odc_previous"

#: What a schema holds, as PostgreSQL describes it: every table's columns in order, every
#: index, constraint and view; each read with the search path set to that schema, so names
#: in it are written alike whichever schema it is.
_SHAPE = {
    "columns": """
        SELECT table_name || '.' || column_name,
               concat_ws(' ', ordinal_position, udt_name, character_maximum_length,
                         numeric_precision, numeric_scale, datetime_precision, collation_name,
                         is_nullable, column_default)
        FROM information_schema.columns WHERE table_schema = :schema""",
    "indexes": """
        SELECT indexname, replace(indexdef, ' ON ' || quote_ident(schemaname) || '.', ' ON ')
        FROM pg_indexes WHERE schemaname = :schema""",
    "constraints": """
        SELECT t.relname || '.' || c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c
        JOIN pg_class t ON t.oid = c.conrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = :schema""",
    "views": "SELECT viewname, definition FROM pg_views WHERE schemaname = :schema",
}


def worth_patching(connection: Connection, loaded: LoadedRun, live: str, build: str) -> bool:
    """Whether this run's rows are a small share of the live schema's, its tables, indexes
    and views are the code's, and its derived rows were computed by this code (`derivation`).
    Leaves the search path at `build`."""
    quote = connection.dialect.identifier_preparer.quote
    connection.execute(text(f"SET LOCAL search_path TO {quote(live)}"))
    small = small_share(live_rows(connection), loaded)
    connection.execute(text(f"SET LOCAL search_path TO {quote(build)}"))
    # The shape first: a schema an older release built may lack the audit's newer columns.
    return (
        small
        and same_shape(connection, live, build)
        and derived_by_this_code(built_by(connection, live))
    )


def same_shape(connection: Connection, live: str, build: str) -> bool:
    """Whether `live` holds the tables, indexes, constraints and views the code makes today,
    as it makes them, and nothing else (made empty in a schema of their own to compare): an
    object the code no longer makes would outlive every patched night. Leaves the search
    path at `build`."""
    quote = connection.dialect.identifier_preparer.quote
    connection.execute(text(f"DROP SCHEMA IF EXISTS {quote(SHAPE_SCHEMA)} CASCADE"))
    connection.execute(text(f"CREATE SCHEMA {quote(SHAPE_SCHEMA)}"))
    connection.execute(text(f"SET LOCAL search_path TO {quote(SHAPE_SCHEMA)}"))
    create_tables(connection)
    create_indexes(connection)
    create_views(connection)
    expected = _described(connection, SHAPE_SCHEMA)
    connection.execute(text(f"SET LOCAL search_path TO {quote(live)}"))
    found = _described(connection, live)
    connection.execute(text(f"DROP SCHEMA {quote(SHAPE_SCHEMA)} CASCADE"))
    connection.execute(text(f"SET LOCAL search_path TO {quote(build)}"))
    return found == expected


def _described(connection: Connection, schema: str) -> dict[str, dict[str, str]]:
    return {
        part: dict(connection.execute(text(query), {"schema": schema}).all())
        for part, query in _SHAPE.items()
    }


def patch_live(
    connection: Connection,
    loaded: LoadedRun,
    run_id: str,
    catalog: Catalog | None,
    regions_loaded: bool,
    stage: Stage,
    live: str,
    build: str,
) -> dict[str, int]:
    """Patch `live` with this run's rows, loaded into `build` (dropped after); the rows per
    table are returned. Leaves the search path at `live`."""
    quote = connection.dialect.identifier_preparer.quote
    connection.execute(text(f"DROP SCHEMA IF EXISTS {quote(PREVIOUS_SCHEMA)} CASCADE"))
    connection.execute(text(f"CREATE SCHEMA {quote(PREVIOUS_SCHEMA)}"))
    for table in COMPARED_WITH_PREVIOUS:
        name = quote(table.name)
        connection.execute(
            text(f"CREATE TABLE {quote(PREVIOUS_SCHEMA)}.{name} AS TABLE {quote(live)}.{name}")
        )
    connection.execute(text(f"SET LOCAL search_path TO {quote(live)}"))
    where = Patched(previous=PREVIOUS_SCHEMA, staging=build, rebuild_views=False)
    table_rows = patch_version(connection, loaded, run_id, catalog, regions_loaded, stage, where)
    for schema in (PREVIOUS_SCHEMA, build):
        connection.execute(text(f"DROP SCHEMA {quote(schema)} CASCADE"))
    return table_rows
