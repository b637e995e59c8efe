"""Publishing the embedded SQLite warehouse: build beside, bulk load, index after, switch.

1. A new version folder is made beside the live one (hidden, see `versions`), and the
   complete file created in it with every table and no secondary index.
2. This run's rows are bulk-loaded into it through ADBC, one source at a time.
3. With the live file attached, the rows of sources this run did not replace are copied
   forward, then the audit, catalogue, views and data dictionary are written, and the
   tables indexed. When this run's rows are a small share of the live file's (a night after
   one province's file changed), the live file is copied instead and patched with them
   (`patching`): the rest of the warehouse is neither copied row by row nor indexed again.
4. Each audience gets a file of its own under the version's `shared/`: a copy of a file
   already built that holds exactly its rows, or else cut from a copy of the complete
   file: the rows it may not read are deleted, and the rest compacted into its file
   (`VACUUM INTO`), so none of the deleted rows' bytes reach it (`cut_audiences`).
5. Every file is flushed to disk and the version made live with one rename, so the
   complete file and every audience's switch together.

A run that fails or is killed at any point leaves a hidden version folder, which the next
run removes, and the live files untouched; a reader holding a live file open keeps reading
that version until it reconnects, and nobody ever sees a mix. Files are kept in
rollback-journal mode (not WAL): they are never written in place by the publisher.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from functools import partial
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.pool import NullPool

from odc_pipeline.warehouse.analyst_tables import keep_analyst_tables
from odc_pipeline.warehouse.audiences import (
    MEMBERS,
    OWN_PRIVATE,
    SHARED_WHOLE,
    Audience,
    audiences_for,
    by_source_tables,
    sees_no_more,
    source_condition,
)
from odc_pipeline.warehouse.batches import SourceBatch
from odc_pipeline.warehouse.catalog import Catalog
from odc_pipeline.warehouse.frames import release_unused_memory
from odc_pipeline.warehouse.loading import create_tables, ingest_sqlite
from odc_pipeline.warehouse.patching import copy_live, patch_version, same_schema, worth_patching
from odc_pipeline.warehouse.publish import (
    PublishSummary,
    Stage,
    complete_version,
    load_run,
    previous_columns,
)
from odc_pipeline.warehouse.schema import dim_source
from odc_pipeline.warehouse.versions import held_lock, new_version

SHARED_FOLDER = "shared"
_BUILD_MARK = ".build-"
#: The tables of a file (SQLite's own bookkeeping tables left out).
_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
#: A file being built: no journal, no fsync per statement (it is not live yet, and is thrown
#: away if the run dies), a 256 MiB cache. Sorts (index builds, GROUP BY) spill to temporary
#: files beyond the cache (SQLITE_TMPDIR, else /var/tmp): held in memory, they would grow
#: with the warehouse and be no faster (docs/performance.md). Pages of 16 KiB (set before the
#: new file's first table): fewer pages to fill, index and copy.
_BUILDING_PRAGMAS = (
    "page_size=16384",
    "journal_mode=OFF",
    "synchronous=OFF",
    "cache_size=-262144",
    "temp_store=FILE",
)
#: A copy of the live file being patched: the rows it deletes are overwritten with zeros, so
#: none of their bytes reach an audience's file copied from it.
_PATCHING_PRAGMAS = ("secure_delete=ON",)


def publish_sqlite(
    engine: Engine,
    regions: pd.DataFrame | None,
    batches: Iterable[SourceBatch],
    run_id: str,
    catalog: Catalog | None,
    stage: Stage,
) -> PublishSummary:
    """Build the complete file and every audience's in a new version folder, then switch
    the set as one (see the module's docstring)."""
    # Not `resolve()`: the live name is a link into the current version's folder.
    target = Path(os.path.abspath(engine.url.database))
    pointer = target.with_name(f".{target.name}.current")
    engine.dispose()  # pooled connections would keep reading the old file
    with held_lock(target):  # one publisher at a time per warehouse file
        remove_build_files(target.parent)
        previous_tables: dict[str, set[str]] = {}
        if target.exists():
            _leave_wal_mode(target)
            previous_tables = previous_columns(inspect(engine), None, str(target))
            engine.dispose()
        audiences = (
            audiences_for([o.organization_id for o in catalog.organizations]) if catalog else []
        )
        with (
            _disk_full_explained(target.parent),
            new_version(pointer, (target.name, SHARED_FOLDER)) as build,
        ):
            if previous_tables:
                _refuse_without_room(target.parent, _live_bytes(target))
            (build / SHARED_FOLDER).mkdir()
            stage("building")
            complete = build / target.name
            loaded, table_rows = _build_complete(
                complete,
                target if previous_tables else None,
                previous_tables,
                regions,
                batches,
                run_id,
                catalog,
                stage,
            )
            _build_audiences(
                complete, audiences, lambda a: build / SHARED_FOLDER / a.file_name, stage
            )
            if previous_tables:  # after the audiences: an analyst's table is shared with none
                keep_analyst_tables(complete, target)
            stage("swapping")
    engine.dispose()
    stage("published")
    return PublishSummary(
        run_id=run_id,
        table_rows=table_rows,
        per_source=loaded.per_source,
        audiences={
            a.file_name.removesuffix(".sqlite"): str(target.parent / SHARED_FOLDER / a.file_name)
            for a in audiences
        },
    )


def _build_complete(
    build: Path,
    previous: Path | None,
    previous_tables: dict[str, set[str]],
    regions: pd.DataFrame | None,
    batches: Iterable[SourceBatch],
    run_id: str,
    catalog: Catalog | None,
    stage: Stage,
):
    """The complete file: every row this run loads and carries forward, indexed. This run's
    rows are loaded into a new file first; when they are a small share of the live file, that
    file's rows are moved into a copy of the live one (`patching`), else the rest is carried
    into it."""
    with _building(build) as connection:
        create_tables(connection)
    import adbc_driver_sqlite.dbapi as adbc

    with adbc.connect(str(build)) as bulk, bulk.cursor() as cursor:
        loaded = load_run(regions, batches, run_id, partial(ingest_sqlite, cursor), stage)
        bulk.commit()
    release_unused_memory()
    if previous is not None and same_schema(previous, build) and worth_patching(previous, loaded):
        staging = build.with_name(f"{build.name}.staging")
        build.rename(staging)
        stage("copying the live file")
        copy_live(previous, build)
        attached = {"previous": previous, "staging": staging}
        with _building(build, attached, pragmas=_PATCHING_PRAGMAS) as connection:
            table_rows = patch_version(
                connection, loaded, run_id, catalog, regions is not None, stage
            )
        staging.unlink()
        return loaded, table_rows
    with _building(build, {"previous": previous} if previous else None) as connection:
        table_rows = complete_version(
            connection,
            loaded,
            "previous" if previous else None,
            previous_tables,
            run_id,
            catalog,
            regions_loaded=regions is not None,
            stage=stage,
        )
    return loaded, table_rows


def _build_audiences(
    complete: Path, audiences: list[Audience], build_of: Callable[[Audience], Path], stage: Stage
) -> None:
    """Every audience's file: the file already built that holds exactly its rows (a copy of
    the complete file, or a second name for the members file), or else cut from the complete
    file. The shared levels come first, widest first (members
    before public), so that the public file is cut from what members keep, and an
    organisation's file can be a copy of the members file."""
    levels = sorted(
        (a for a in audiences if a.organization_id is None),
        key=lambda a: len(a.sharing),
        reverse=True,
    )
    organisations = [a for a in audiences if a.organization_id is not None]

    def copied(audience: Audience) -> bool:
        same = _same_rows_as(complete, build_of(MEMBERS), audience)
        if same is not None:
            stage(f"building audience {audience.name}")
            # A copy, never a second name: a table someone adds to one audience's file must
            # not appear in another's.
            shutil.copyfile(same, build_of(audience))
        return same is not None

    cut_audiences(complete, [(a, build_of(a)) for a in levels if not copied(a)], stage)
    for audience in organisations:
        if not copied(audience):
            cut_audiences(complete, [(audience, build_of(audience))], stage)


def _same_rows_as(complete: Path, members: Path, audience: Audience) -> Path | None:
    """The file already built that holds exactly the rows `audience` may read, if there is
    one: the complete file, for an audience that may read every source in it (members, when
    no source is private; the organisation whose private sources are the only ones); the
    members file, for an organisation without private sources. Every row the publisher
    writes is of a source in `dim_source`."""
    hidden = f"SELECT 1 FROM dim_source WHERE ({source_condition(audience)}) IS NOT 1"  # noqa: S608
    if not _found(complete, hidden, audience):
        return complete
    own = f"SELECT 1 FROM dim_source WHERE {OWN_PRIVATE}"  # noqa: S608
    if audience.organization_id is not None and not _found(complete, own, audience):
        return members
    return None


def _found(complete: Path, statement: str, audience: Audience) -> bool:
    with closing(sqlite3.connect(f"file:{complete}?mode=ro", uri=True)) as reader:
        found = reader.execute(statement, {"organization_id": audience.organization_id})
        return found.fetchone() is not None


def cut_audiences(complete: Path, audiences: list[tuple[Audience, Path]], stage: Stage) -> None:
    """Each audience's file, cut from a copy of the complete file: the rows the audience may
    not read are deleted from the copy, and what is left is compacted into the audience's
    file (`VACUUM INTO` writes the live rows only, so no deleted row's bytes reach it). The
    copy they stay in is removed. Audiences come widest first, each seeing no more than the
    one before: the next one is cut from what the one before kept.

    Reference tables stay whole, `dim_source` keeps the sources the audience may read, and
    every other table the rows of those sources: a row whose source is unknown reaches no
    audience. A table the code has no sharing rule for is dropped, never shared whole."""
    for (wider, _), (narrower, _) in zip(audiences, audiences[1:], strict=False):
        if not sees_no_more(narrower, wider):
            raise ValueError(f"audience {narrower.name} sees more than {wider.name}")
    if not audiences:
        return
    cut = audiences[0][1].with_name(f"{audiences[0][1].name}.cut")  # removed if a run dies
    shutil.copyfile(complete, cut)
    try:
        ruled = {t.name for t in (*SHARED_WHOLE, dim_source, *by_source_tables())}
        for audience, build in audiences:
            stage(f"building audience {audience.name}")
            visible = f"({source_condition(audience)}) IS 1"
            hidden_rows = f"source_id NOT IN (SELECT source_id FROM dim_source WHERE {visible})"  # noqa: S608
            params = {"organization_id": audience.organization_id}
            with _building(cut) as connection:
                quote = connection.dialect.identifier_preparer.quote
                tables = connection.execute(text(_TABLES)).scalars().all()
                for name in sorted(set(tables) - ruled):
                    connection.execute(text(f"DROP TABLE {quote(name)}"))
                for table in by_source_tables():
                    statement = f"DELETE FROM {quote(table.name)} WHERE {hidden_rows}"  # noqa: S608
                    connection.execute(text(statement), params)
                # Last: the deletions above read which sources are visible from it.
                statement = f"DELETE FROM dim_source WHERE NOT {visible}"  # noqa: S608 - code's text
                connection.execute(text(statement), params)
            with closing(sqlite3.connect(cut)) as connection:
                connection.execute("VACUUM INTO ?", (str(build),))
    finally:
        cut.unlink(missing_ok=True)


@contextmanager
def _building(path: Path, attached: dict[str, Path] | None = None, pragmas: tuple[str, ...] = ()):
    """A transaction on a file being built (see `_BUILDING_PRAGMAS`, and any `pragmas`
    beside), with other files attached under the given names."""
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
        cursor = dbapi_connection.cursor()
        for pragma in (*_BUILDING_PRAGMAS, *pragmas):
            cursor.execute(f"PRAGMA {pragma}")  # fixed text
        for alias, other in (attached or {}).items():
            cursor.execute(f"ATTACH DATABASE ? AS {alias}", (str(other),))  # alias: code's own
        cursor.close()

    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


class WarehouseDiskFull(RuntimeError):
    """The new version did not fit on the warehouse's disk; the previous one stays live."""


def _live_bytes(target: Path) -> int:
    """What the live version takes on disk: the complete file and every audience's."""
    shared = target.parent / SHARED_FOLDER
    taken = 0
    for path in [target, *(shared.iterdir() if shared.is_dir() else ())]:
        try:
            taken += path.stat().st_size if path.is_file() else 0
        except FileNotFoundError:  # a reader's journal, gone while the folder was read
            continue
    return taken


def _refuse_without_room(folder: Path, live: int) -> None:
    """Stop before writing anything when the disk cannot hold a second copy of the live
    version: a new one is built beside it, about as large, and filling the disk of a small
    server to its last byte would stop more than the publish (PostgreSQL, Dagster's own
    records). It is the least a version needs: one that grew can still fill the disk, and is
    then rolled back (`_disk_full_explained`); one that shrank a lot may be refused though it
    would fit."""
    free = shutil.disk_usage(folder).free
    if free < live:
        raise WarehouseDiskFull(
            f"the disk of the warehouse folder {folder} has {free / 2**20:,.0f} MiB free, and "
            f"a new version needs about as much as the live one, which takes "
            f"{live / 2**20:,.0f} MiB (the warehouse and its shared/ files): nothing was "
            f"published and the previous version stays live. {_FREE_SPACE_ADVICE}"
        )


#: What a steward can do about a disk too full for the next version.
_FREE_SPACE_ADVICE = (
    "Free space there, or move the warehouse folder (ODC_WAREHOUSE_DIR) to a larger disk, and "
    "run again; a national warehouse of millions of rows is better kept in PostgreSQL "
    "(docs/scaling.md)"
)


@contextmanager
def _disk_full_explained(folder: Path) -> Iterator[None]:
    """SQLite's "database or disk is full" (or the system's ENOSPC) in a steward's words:
    which folder, that nothing changed, and what to do."""
    try:
        yield
    except Exception as error:  # SQLite's, wrapped by SQLAlchemy or ADBC, or the system's
        if not _disk_full(error):
            raise
        free = shutil.disk_usage(folder).free / 2**20
        raise WarehouseDiskFull(
            f"the disk of the warehouse folder {folder} is full ({free:,.0f} MiB free): the "
            "new version did not fit, nothing was published and the previous version stays "
            "live. A new version needs about as much room as the live warehouse and its "
            f"shared/ files together. {_FREE_SPACE_ADVICE}",
        ) from error


def _disk_full(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            return True
        if "database or disk is full" in str(error):
            return True
        error = error.__cause__ or error.__context__
    return False


def remove_build_files(folder: Path) -> list[Path]:
    """Half-built files an older release's killed runs left beside the live file (only ever
    called while holding the publish lock)."""
    removed = []
    for path in folder.iterdir() if folder.is_dir() else ():
        if path.is_file() and path.name.startswith(".") and _BUILD_MARK in path.name:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _leave_wal_mode(target: Path) -> None:
    """Checkpoint a live file an older version left in WAL mode, so no `-wal` outlives it."""
    if Path(f"{target}-wal").exists():
        with closing(sqlite3.connect(target)) as connection:
            connection.execute("PRAGMA journal_mode=DELETE")
