"""A new version made from a copy of the last one, when a run replaced a small share of it.

A night after one province's file changed replaces a few percent of the rows. Built from
empty, the new version would copy every other row forward one at a time and index every row
again: the cost of the whole warehouse, whatever changed. Patched instead, the live complete
file is copied as a file (one sequential copy), and in that copy the rows of the sources this
run replaced (or the registry dropped) are deleted and this run's inserted, with the indexes in
place; the derived tables are brought up to date for those sources alone. The copy is still a
new version beside the live one, switched in the same way, so readers and killed runs see what
they always saw (see `publish_sqlite`).

It is used only where it gives the very rows a build from empty gives:
- the live file's tables and indexes are exactly the code's (`same_schema`); a file an older
  release built is rebuilt from empty, which carries its rows into the new shape;
- the live file's derived rows were computed by the code running now (`derivation`); after
  an upgrade that changed how totals, dapil or seats are derived, a build from empty derives
  every source's again;
- the derived rows of earlier sources are recomputed when their inputs changed (candidate
  lists, dapil tables, region splits: `DERIVED_FROM`);
- deleted rows are overwritten with zeros (`secure_delete`), so no byte of a row the registry
  dropped reaches a file copied from this one.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, text
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateIndex

from odc_pipeline.warehouse.catalog import Catalog, write_catalog
from odc_pipeline.warehouse.derivation import BUILT_BY, derived_by_this_code, same_inputs
from odc_pipeline.warehouse.dictionary import dictionary_rows
from odc_pipeline.warehouse.election_tables import DERIVED_FROM, write_election_tables
from odc_pipeline.warehouse.kept_sources import KeptSources
from odc_pipeline.warehouse.publish import (
    BY_SOURCE,
    LoadedRun,
    Stage,
    count_rows,
    previous_sources,
)
from odc_pipeline.warehouse.schema import (
    ELECTION_DIMENSIONS,
    ELECTION_RESULTS_TABLES,
    SUMMARY_TABLES,
    dim_organization,
    dim_region,
    dim_source,
    load_audit,
    meta_columns,
    release_changes,
    warehouse_tables,
)
from odc_pipeline.warehouse.totals import write_region_totals
from odc_pipeline.warehouse.views import create_views

#: Patch when this run's published rows are at most this share of the rows the live file
#: publishes. Beyond it, inserting with the indexes in place costs more than loading every
#: row into empty tables and indexing once.
PATCH_SHARE = 0.2
#: Rows the live file publishes: each source's last good load (read from the audit, through
#: its index, rather than counted over the tables).
_LIVE_ROWS = """
SELECT COALESCE(SUM(rows_published), 0) FROM load_audit a
WHERE status = 'published' AND loaded_at = (
    SELECT MAX(loaded_at) FROM load_audit b
    WHERE b.source_id = a.source_id AND b.status = 'published')
"""
_MASTER = "SELECT type, name, sql FROM {schema}.sqlite_master WHERE name NOT LIKE 'sqlite_%'"


def worth_patching(live: Path, loaded: LoadedRun) -> bool:
    """Whether this run's rows are a small enough share of the live file's (`PATCH_SHARE`),
    and its derived rows were computed by this code. The file's tables must be the code's
    (`same_schema`)."""
    with closing(sqlite3.connect(f"file:{live}?mode=ro", uri=True)) as connection:
        (published,) = connection.execute(_LIVE_ROWS).fetchone()
        last = connection.execute(BUILT_BY.format(load_audit="load_audit")).fetchone()
    return small_share(published, loaded) and derived_by_this_code(last)


def live_rows(connection: Connection) -> int:
    """Rows the live version publishes (its default schema's audit), as `_LIVE_ROWS` counts."""
    return int(connection.execute(text(_LIVE_ROWS)).scalar_one())


def small_share(published: int, loaded: LoadedRun) -> bool:
    """Whether this run's rows are at most `PATCH_SHARE` of the rows `published` live."""
    run_rows = sum(s["rows_published"] for s in loaded.per_source if s["message"] is None)
    return run_rows <= PATCH_SHARE * published


def same_schema(live: Path, staging: Path) -> bool:
    """Whether the live file holds every table of the code as the code creates it today (the
    staging file was just created by it) and every index as the code declares it."""
    with closing(sqlite3.connect(f"file:{staging}?mode=ro", uri=True)) as connection:
        expected = {
            name: sql.strip()
            for kind, name, sql in connection.execute(_MASTER.format(schema="main"))
            if kind == "table"
        }
    for table in warehouse_tables():
        for index in table.indexes:
            expected[index.name] = str(CreateIndex(index).compile(dialect=sqlite_dialect.dialect()))
    with closing(sqlite3.connect(f"file:{live}?mode=ro", uri=True)) as connection:
        found = {
            name: (sql or "").strip()
            for _kind, name, sql in connection.execute(_MASTER.format(schema="main"))
        }
    return all(found.get(name) == sql for name, sql in expected.items())


def copy_live(live: Path, to: Path) -> None:
    """Copy the live file as it stands: a read transaction is held during the copy, so no
    analyst's write to the file can commit halfway through it."""
    with closing(sqlite3.connect(f"file:{live}?mode=ro", uri=True)) as reader:
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # takes the lock
        shutil.copyfile(live, to)
        reader.rollback()


@dataclass(frozen=True)
class Patched:
    """Where a patch reads besides the version it patches (the connection's default): the
    version before it (`previous`: on PostgreSQL a copy of the few tables the patch compares
    with), and this run's rows (`staging`). With `rebuild_views`, the views and anything the
    code did not make are dropped and the views made again (a copied SQLite file, where an
    analyst may have saved tables); PostgreSQL's live views stay."""

    previous: str = "previous"
    staging: str = "staging"
    rebuild_views: bool = True


#: Tables a patch reads of the version before it (see `Patched.previous`).
COMPARED_WITH_PREVIOUS = (dim_source, *DERIVED_FROM)


def patch_version(
    connection: Connection,
    loaded: LoadedRun,
    run_id: str,
    catalog: Catalog | None,
    regions_loaded: bool,
    stage: Stage,
    where: Patched = Patched(),
) -> dict[str, int]:
    """Bring a copy of the live version (the connection's default schema) to the version a
    build from empty would give; the rows per table are returned."""
    stage("replacing the changed sources' rows")
    if where.rebuild_views:
        _drop_what_the_code_did_not_make(connection)
    before = previous_sources(connection, where.previous)
    gone = _gone(loaded, catalog, before)
    for table in (*BY_SOURCE, *SUMMARY_TABLES):
        _delete_sources(connection, table.name, gone)
    for table in (*ELECTION_RESULTS_TABLES, release_changes, meta_columns):
        connection.execute(delete(table))
    if regions_loaded:
        connection.execute(delete(dim_region))
    quote = connection.dialect.identifier_preparer.quote
    for table in (*BY_SOURCE, *([dim_region] if regions_loaded else [])):
        columns = ", ".join(quote(c.name) for c in table.columns)
        connection.execute(
            text(
                f"INSERT INTO {quote(table.name)} ({columns}) "  # noqa: S608 - code's own names
                f"SELECT {columns} FROM {quote(where.staging)}.{quote(table.name)}"
            )
        )
    if loaded.per_source:
        connection.execute(load_audit.insert(), loaded.per_source)
    if catalog is not None:
        for table in (dim_organization, dim_source, *ELECTION_DIMENSIONS):
            connection.execute(delete(table))
        write_catalog(connection, catalog, loaded.outcomes, loaded.loaded_at, run_id, before)
    stage("computing seats and lists")
    if same_inputs(connection, where.previous):
        write_election_tables(connection, only_run=run_id)
    else:  # a changed list may change any earlier row's answer
        write_election_tables(connection, rederive=True)
    stage("adding up totals per province and kabupaten/kota")
    write_region_totals(connection, only_run=run_id)
    if where.rebuild_views:
        create_views(connection)
    connection.execute(meta_columns.insert(), dictionary_rows())
    return count_rows(connection)


def _gone(loaded: LoadedRun, catalog: Catalog | None, before: dict) -> KeptSources:
    """The sources whose earlier rows go: those this run replaced, and with a catalogue
    every source the registry no longer names (`before`: the last version's `dim_source`
    rows, for the provinces of an entry held back)."""
    return KeptSources(loaded.replaced, None if catalog is None else catalog.kept_ids(before))


def _delete_sources(connection: Connection, table: str, gone: KeptSources) -> None:
    quote = connection.dialect.identifier_preparer.quote
    statement = f"DELETE FROM {quote(table)} WHERE {gone.gone()}"  # noqa: S608 - code's names
    connection.execute(gone.statement(statement), gone.parameters)


def _drop_what_the_code_did_not_make(connection: Connection) -> None:
    """Views (made again below), and the tables and indexes an analyst saved in the live file:
    `keep_analyst_tables` copies those into the complete file once the audiences' files are
    cut, as it does for a version built from empty, so no audience's file ever holds them."""
    ours = {t.name for t in warehouse_tables()} | {
        i.name for t in warehouse_tables() for i in t.indexes
    }
    quote = connection.dialect.identifier_preparer.quote
    found = connection.execute(text(_MASTER.format(schema="main"))).all()
    for kind, name, _sql in sorted(found, key=lambda row: row[0] != "view"):
        if kind == "view" or (kind in ("table", "index") and name not in ours):
            connection.execute(text(f"DROP {kind.upper()} IF EXISTS {quote(name)}"))
