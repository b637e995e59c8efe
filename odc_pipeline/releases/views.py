"""The analysts' views of a release, computed by DuckDB from the release's own Parquet files.

Each audience's views are made from that audience's folder alone, so a view can hold no row
of a source the audience may not see, and they cost what DuckDB needs to read the files, not
a pass of the warehouse's SQL over every row in memory. The views are the warehouse's
definitions as written for every engine (`warehouse.views.VIEWS`), run unchanged: without the
warehouse's narrowing of the discrepancies to places `region_totals` says two sources share,
as a release holds no totals. The views whose memory grows with the results they join or add
up (`A_PROVINCE_AT_A_TIME`) are computed a province at a time instead. The run id each row
had is not in a release, so a view's provenance columns of it are empty and left out.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from odc_pipeline.kinds.declared import ELECTION_RESULTS
from odc_pipeline.releases.parts import NOT_RELEASED, YEAR, Part
from odc_pipeline.settings import DEFAULT_RELEASE_MEMORY
from odc_pipeline.sql_names import quoted_identifier
from odc_pipeline.warehouse.schema import fact_table, warehouse_tables
from odc_pipeline.warehouse.views import VIEW_NEIGHBOURHOOD, VIEW_SOURCES, VIEWS


class ReleaseOutOfMemory(RuntimeError):
    """A view, or the comparison with the release before, needed more memory than the
    release may use: no release was made this time."""


def out_of_memory(computing: str, memory_limit: str) -> ReleaseOutOfMemory:
    """DuckDB's "Out of Memory Error" (with its advice on threads and its web page) as what
    it means for the steward: what DuckDB was `computing`, that the warehouse is published
    and the release before stays the latest, and the setting that lets it through."""
    return ReleaseOutOfMemory(
        f"{computing} needed more memory than a release may use (ODC_RELEASE_MEMORY, now "
        f"{memory_limit}): no new release was made, the warehouse is published and the "
        "release before stays the latest. Set ODC_RELEASE_MEMORY higher (such as 2GB, "
        "within the server's free memory) and materialize the release asset again"
    )


#: The results the views may read, of every province, under a name of their own (in a
#: changed release, those that share a neighbourhood with a changed source's: see
#: `_changed_results`). The views read them through `fact_election_results`, which holds one
#: province's while a view is computed a province at a time (`_narrowed_results`).
EVERY_PROVINCE = "results_of_every_province"


def views_digest() -> str:
    """What the views are today (their definitions): a release's view files can be brought up
    to date only by the views that made them."""
    return hashlib.sha256(json.dumps(VIEWS, sort_keys=True).encode()).hexdigest()


def tables_read_by_views() -> set[str]:
    """The warehouse tables some view reads, found in the views' own text."""
    return {
        t.name
        for t in warehouse_tables()
        if any(re.search(rf"\b{t.name}\b", ddl) for ddl in VIEWS.values())
    }


def _tables(connection: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Every warehouse table under its own name, the results as `EVERY_PROVINCE`: over its
    Parquet files where the audience has rows of it, else empty with its declared columns."""
    results = fact_table(ELECTION_RESULTS).name
    for table in warehouse_tables():
        name = EVERY_PROVINCE if table.name == results else table.name
        files = folder / table.name
        if files.is_dir():
            _over_files(connection, table, str(files / "**" / "*.parquet")).create_view(name)
        else:
            connection.execute(str(CreateTable(table).compile(dialect=postgresql.dialect())))
            if name != table.name:
                connection.execute(f"ALTER TABLE {table.name} RENAME TO {name}")


#: A row of the province `low` (a region code's first two characters, `high` the code just
#: after). DuckDB folds the variables into the filter and passes it to the files'
#: statistics, so that a province is read from its own row groups only; the exact prefix
#: keeps a shorter code from falling in two provinces.
_IN_PROVINCE = (
    "region_code >= getvariable('low') AND region_code < getvariable('high') "
    "AND SUBSTR(region_code, 1, 2) = getvariable('low')"
)
#: The results the views read: one province's while `low` is set, every province's otherwise.
_NARROWED_RESULTS = (
    "CREATE VIEW {results} AS SELECT * FROM {everywhere} "  # noqa: S608 - the code's names
    f"WHERE getvariable('low') IS NULL OR ({_IN_PROVINCE})"
)


def _narrowed_results(connection: duckdb.DuckDBPyConnection) -> None:
    """`fact_election_results` as the views read it: see `_NARROWED_RESULTS`."""
    results = fact_table(ELECTION_RESULTS).name
    connection.execute(_NARROWED_RESULTS.format(results=results, everywhere=EVERY_PROVINCE))


def _over_files(
    connection: duckdb.DuckDBPyConnection, table, files: str | list[str]
) -> duckdb.DuckDBPyRelation:
    """The table's rows in `files`, with the columns a release leaves out given back empty."""
    relation = connection.read_parquet(files, hive_partitioning=True, union_by_name=True)
    missing = [c for c in NOT_RELEASED if c in table.c]
    if missing:
        relation = relation.project(
            ", ".join(["*", *(f"CAST(NULL AS VARCHAR) AS {c}" for c in missing)])
        )
    return relation


#: The results a view row naming a changed source can be made from: those that share a
#: changed source's row's neighbourhood (see `VIEW_NEIGHBOURHOOD`). Code's own names.
_NEIGHBOURS = (
    "CREATE VIEW {results} AS SELECT * FROM all_results "  # noqa: S608
    "WHERE ({keys}) IN (SELECT {keys} FROM changed_results)"
)


def _changed_results(
    connection: duckdb.DuckDBPyConnection, folder: Path, changed: list[str]
) -> None:
    """The results table as the views read it when only `changed` sources' rows are to be
    computed again: the rows that share a neighbourhood with theirs; and `changed_sources`,
    the sources whose rows are computed again."""
    table = fact_table(ELECTION_RESULTS)
    files = folder / table.name
    _over_files(connection, table, str(files / "**" / "*.parquet")).create_view("all_results")
    theirs = sorted(str(f) for s in changed for f in files.glob(f"**/{s}.parquet"))
    if theirs:
        _over_files(connection, table, theirs).create_view("changed_results")
    else:  # sources gone: nothing of theirs to compute
        connection.execute("CREATE VIEW changed_results AS SELECT * FROM all_results WHERE FALSE")
    keys = ", ".join(VIEW_NEIGHBOURHOOD)
    connection.execute(f"DROP VIEW {EVERY_PROVINCE}")
    connection.execute(_NEIGHBOURS.format(results=EVERY_PROVINCE, keys=keys))
    connection.execute("CREATE TABLE changed_sources (source_id VARCHAR)")
    if changed:  # none when the results are as they were and only what views do not read changed
        connection.executemany("INSERT INTO changed_sources VALUES (?)", [[s] for s in changed])


def computed_views(
    folder: Path,
    audience: str,
    scratch_root: Path,
    before: dict[tuple[str, int | None], Path] | None = None,
    changed: list[str] | None = None,
    memory_limit: str = DEFAULT_RELEASE_MEMORY,
    threads: int | None = None,
) -> Iterator[Part]:
    """Each view over the audience's `folder`, a file per year where it has one, written by
    DuckDB straight to Parquet under `scratch_root` (on the store's disk, so a part is
    moved into the store, not copied): a view is never held in memory whole, whatever the
    warehouse's size, and DuckDB spills what does not fit its memory limit to disk.

    With `before` (the release before's view files, by view and year; every table but the
    results the same as then) and the sources whose results `changed` since, only the rows
    naming a changed source are computed; the others are read from the file before.

    A view that needs more than `memory_limit` even when spilling raises ReleaseOutOfMemory,
    in a steward's words. DuckDB shares the memory among its `threads` (one per core unless
    given), each of which needs some of it."""
    if before is not None and not (folder / fact_table(ELECTION_RESULTS).name).is_dir():
        before = None  # the audience's results are all gone: nothing of the views' is kept
    connection = duckdb.connect()
    scratch = scratch_root / f".views-{uuid.uuid4().hex}"
    years = _years_in(folder)
    # What DuckDB is doing, should it run out of memory.
    computing = f"listing the provinces the {audience} release has results in"
    try:
        connection.execute("SET memory_limit = ?", [memory_limit])
        if threads is not None:
            connection.execute("SET threads = ?", [threads])
        # What does not fit spills beside the parts, not into whatever folder the server runs in.
        connection.execute("SET temp_directory = ?", [str(scratch / "spill")])
        connection.execute("SET preserve_insertion_order = false")  # views are not sorted
        _tables(connection, folder)
        # Before the results are narrowed to the changed sources' neighbours.
        provinces = {name: listed(connection) for name, listed in A_PROVINCE_AT_A_TIME.items()}
        if before is not None:
            _changed_results(connection, folder, changed or [])
        _narrowed_results(connection)
        for name, ddl in VIEWS.items():
            computing = f"the analyst view {name} of the {audience} release"
            connection.execute(ddl)
            rows = _Rows(name, before)
            yield from _written(connection, rows, audience, scratch / name, years, provinces)
    except duckdb.OutOfMemoryException:
        raise out_of_memory(computing, memory_limit) from None
    finally:
        connection.close()
        shutil.rmtree(scratch, ignore_errors=True)


class _Rows:
    """The query of a view's rows in one year's part: all of them, or those naming a changed
    source with the rest read from the part before."""

    def __init__(self, name: str, before: dict[tuple[str, int | None], Path] | None) -> None:
        self.name = name
        self.before = before

    def query(self, columns: list[str], where: str, year: int | None) -> str:
        selected = ", ".join(quoted_identifier(c) for c in columns)
        query = f"SELECT {selected} FROM {self.name} WHERE {where}"  # noqa: S608 - code's text
        if self.before is None:
            return query
        changed = "IN (SELECT source_id FROM changed_sources)"
        naming = " OR ".join(f"{quoted_identifier(c)} {changed}" for c in VIEW_SOURCES[self.name])
        query += f" AND ({naming})"
        earlier = self.before.get((self.name, year))
        if earlier is not None:  # a path in the release store, named by its digest
            query += (
                f" UNION ALL SELECT {selected} FROM read_parquet('{earlier}') "  # noqa: S608
                f"WHERE NOT COALESCE({naming}, FALSE)"
            )
        return query


def _years_in(folder: Path) -> list[int | None]:
    """The years the audience's tables hold rows of, from their `year=` folders; None too
    when a table with years also has rows of none (a part outside the year folders)."""
    years: set[int | None] = set()
    for table in folder.iterdir() if folder.is_dir() else ():
        held = {p.name.removeprefix(f"{YEAR}=") for p in table.glob(f"{YEAR}=*") if p.is_dir()}
        years |= {int(y) for y in held}
        if held and any(table.glob("*.parquet")):
            years.add(None)
    return sorted(years, key=lambda y: (y is None, y or 0))


def _written(
    connection: duckdb.DuckDBPyConnection,
    rows: _Rows,
    audience: str,
    target: Path,
    years: list[int | None],
    provinces: dict[str, list[str]],
) -> Iterator[Part]:
    """One view written as Parquet, a file per year for a view with a year (one query each:
    DuckDB's partitioned writer buffers every partition at once), as parts; nothing for a
    year with no rows. The run id each row had is not in a release: its columns are left
    out. A view computed a province at a time is asked for each of its `provinces`."""
    name = rows.name
    columns = [row[0] for row in connection.execute(f"DESCRIBE {name}").fetchall()]  # view: code's
    kept = [c for c in columns if not c.startswith("run_id")]
    target.mkdir(parents=True)
    write = partial(_by_province, provinces=provinces[name]) if name in provinces else _copied
    if YEAR not in columns:
        path = target / "rows.parquet"
        if write(connection, rows.query(kept, "TRUE", None), path):
            yield Part(name, None, year=None, audiences=[audience], written=path)
        return
    without_year = [c for c in kept if c != YEAR]  # the folder says it
    for year in years:
        where = f"{YEAR} IS NULL" if year is None else f"{YEAR} = {int(year)}"
        query = rows.query(kept if year is None else without_year, where, year)
        path = target / f"{year}.parquet"
        if write(connection, query, path):
            yield Part(name, None, year=year, audiences=[audience], written=path)


def _copied(connection: duckdb.DuckDBPyConnection, query: str, path: Path) -> int:
    """The rows of `query` written to `path` as Parquet by DuckDB; how many there were."""
    connection.execute(f"COPY ({query}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
    return pq.ParquetFile(path).metadata.num_rows


def _shared_provinces(
    connection: duckdb.DuckDBPyConnection, results: str = EVERY_PROVINCE
) -> list[str]:
    """The provinces (a region code's first two characters) where the discrepancies can have
    rows: those where two sources report results of one neighbourhood (`VIEW_NEIGHBOURHOOD`:
    election, year, contest and region), as each of its rows is made from two sources'
    results of one region. Each province asked for reads every file that is not one
    province's, so a province no two sources share is not asked for. A row read from the
    release before's file was made from results of sources that did not change: these are
    found over every result, before the results are narrowed."""
    shared = ", ".join(VIEW_NEIGHBOURHOOD)
    query = (
        "SELECT DISTINCT SUBSTR(region_code, 1, 2) FROM ("  # noqa: S608 - the code's names
        f"SELECT region_code FROM {results} GROUP BY {shared} "
        "HAVING MIN(source_id) < MAX(source_id))"
    )
    return sorted(p for (p,) in connection.execute(query).fetchall() if p)


def _every_province(
    connection: duckdb.DuckDBPyConnection, results: str = EVERY_PROVINCE
) -> list[str]:
    """Every province some result lies in, over every result (as `_shared_provinces`)."""
    query = f"SELECT DISTINCT SUBSTR(region_code, 1, 2) FROM {results}"  # noqa: S608 - ours
    return sorted(p for (p,) in connection.execute(query).fetchall() if p)


#: Views computed a province at a time, with the provinces each is asked for. A row of either
#: is made from results of one province (two sources' rows of one region, or a region's rows
#: rolled up to the regions above it, the province the highest), and DuckDB needs memory for
#: as many of them as it joins or adds up at once, whatever it spills: the national
#: candidates' 99 million results needed more than 512 MB for `region_summary` at once.
A_PROVINCE_AT_A_TIME = {
    "source_discrepancies": _shared_provinces,
    "region_summary": _every_province,
}


def _by_province(
    connection: duckdb.DuckDBPyConnection, query: str, path: Path, provinces: list[str]
) -> int:
    """The rows of `query` written to `path` as one Parquet file, computed a province at a
    time; how many there were. The views read one province's results at a time
    (`_NARROWED_RESULTS`), and the view's rows are asked for by the same range of
    `region_code`, for those a changed release reads from the release before's file."""
    of_one = f"SELECT * FROM ({query}) AS view_rows WHERE {_IN_PROVINCE}"  # noqa: S608 - ours
    written = 0
    writer: pq.ParquetWriter | None = None
    try:
        for low in provinces:
            connection.execute("SET VARIABLE low = ?", [low])
            connection.execute("SET VARIABLE high = ?", [low[:-1] + chr(ord(low[-1]) + 1)])
            batches = connection.sql(of_one).to_arrow_reader()
            if writer is None:
                writer = pq.ParquetWriter(path, batches.schema, compression="zstd")
            for batch in _as_duckdb_says(batches):
                writer.write_batch(batch)
                written += batch.num_rows
    finally:
        if writer is not None:
            writer.close()
    connection.execute("RESET VARIABLE low")  # the next view reads every province's results
    return written


def _as_duckdb_says(batches: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    """The batches DuckDB hands over, with its running out of memory once they have started
    as the error it is (Arrow passes it on as an OSError of DuckDB's text), so that the
    steward is told what it means (`out_of_memory`)."""
    try:
        yield from batches
    except OSError as error:
        if str(error).startswith("Out of Memory Error"):
            raise duckdb.OutOfMemoryException(str(error)) from None
        raise
