"""The analysts' views of a release, computed by DuckDB from the release's own Parquet files.

Each audience's views are made from that audience's folder alone, so a view can hold no row
of a source the audience may not see, and they cost what DuckDB needs to read the files, not
a pass of the warehouse's SQL over every row in memory. The views are the warehouse's own
definitions (`warehouse.views`), run unchanged; the run id each row had is not in a release,
so a view's provenance columns of it are empty and left out.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from odc_pipeline.releases.parts import NOT_RELEASED, YEAR, Part
from odc_pipeline.warehouse.schema import warehouse_tables
from odc_pipeline.warehouse.views import VIEWS

#: DuckDB's memory for one audience's views; beyond it, it spills to disk.
MEMORY_LIMIT = "512MB"


def _tables(connection: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Every warehouse table under its own name: over its Parquet files where the audience
    has rows of it, else empty with its declared columns."""
    for table in warehouse_tables():
        files = folder / table.name
        if files.is_dir():
            relation = connection.read_parquet(
                str(files / "**" / "*.parquet"), hive_partitioning=True, union_by_name=True
            )
            missing = [c for c in NOT_RELEASED if c in table.c]
            if missing:
                relation = relation.project(
                    ", ".join(["*", *(f"CAST(NULL AS VARCHAR) AS {c}" for c in missing)])
                )
            relation.create_view(table.name)
        else:
            connection.execute(str(CreateTable(table).compile(dialect=postgresql.dialect())))


def computed_views(folder: Path, audience: str, scratch_root: Path) -> Iterator[Part]:
    """Each view over the audience's `folder`, a file per year where it has one, written by
    DuckDB straight to Parquet under `scratch_root` (on the store's disk, so a part is
    moved into the store, not copied): a view is never held in memory whole, whatever the
    warehouse's size, and DuckDB spills what does not fit its memory limit to disk."""
    connection = duckdb.connect()
    scratch = scratch_root / f".views-{uuid.uuid4().hex}"
    years = _years_in(folder)
    try:
        connection.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        # What does not fit spills beside the parts, not into whatever folder the server runs in.
        connection.execute("SET temp_directory = ?", [str(scratch / "spill")])
        connection.execute("SET preserve_insertion_order = false")  # views are not sorted
        _tables(connection, folder)
        for name, ddl in VIEWS.items():
            connection.execute(ddl)
            yield from _written(connection, name, audience, scratch / name, years)
    finally:
        connection.close()
        shutil.rmtree(scratch, ignore_errors=True)


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
    name: str,
    audience: str,
    target: Path,
    years: list[int | None],
) -> Iterator[Part]:
    """One view written as Parquet, a file per year for a view with a year (one query each:
    DuckDB's partitioned writer buffers every partition at once), as parts. The run id each
    row had is not in a release: its columns are left out."""
    columns = [row[0] for row in connection.execute(f"DESCRIBE {name}").fetchall()]  # view: code's
    kept = [c for c in columns if not c.startswith("run_id")]
    target.mkdir(parents=True)
    if YEAR not in columns:
        yield from _copied(connection, name, kept, "TRUE", target / "rows.parquet", audience, None)
        return
    without_year = [c for c in kept if c != YEAR]  # the folder says it
    for year in years:
        where = f"{YEAR} IS NULL" if year is None else f"{YEAR} = {int(year)}"
        columns_written = kept if year is None else without_year
        path = target / f"{year}.parquet"
        yield from _copied(connection, name, columns_written, where, path, audience, year)


def _copied(
    connection: duckdb.DuckDBPyConnection,
    name: str,
    columns: list[str],
    where: str,
    path: Path,
    audience: str,
    year: int | None,
) -> Iterator[Part]:
    """The view's rows that `where` keeps, as a Parquet part; nothing when there are none."""
    selected = ", ".join(f'"{c}"' for c in columns)
    query = f"SELECT {selected} FROM {name} WHERE {where}"  # noqa: S608 - the code's own text
    connection.execute(f"COPY ({query}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
    if pq.ParquetFile(path).metadata.num_rows:
        yield Part(name, None, year=year, audiences=[audience], written=path)
