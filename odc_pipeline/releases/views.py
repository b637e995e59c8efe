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
    """Each view over the audience's `folder`, split by year where it has one, written by
    DuckDB straight to Parquet under `scratch_root` (on the store's disk, so a part is
    moved into the store, not copied): a view is never held in memory whole, whatever the
    warehouse's size, and DuckDB spills what does not fit its memory limit to disk."""
    connection = duckdb.connect()
    scratch = scratch_root / f".views-{uuid.uuid4().hex}"
    try:
        connection.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        # What does not fit spills beside the parts, not into whatever folder the server runs in.
        connection.execute("SET temp_directory = ?", [str(scratch / "spill")])
        connection.execute("SET preserve_insertion_order = false")  # views are not sorted
        _tables(connection, folder)
        for name, ddl in VIEWS.items():
            connection.execute(ddl)
            yield from _written(connection, name, audience, scratch / name)
    finally:
        connection.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _written(
    connection: duckdb.DuckDBPyConnection, name: str, audience: str, target: Path
) -> Iterator[Part]:
    """One view written as Parquet (a file per year, for a view with a year), as parts.
    The run id each row had is not in a release: its columns are left out."""
    columns = [row[0] for row in connection.execute(f"DESCRIBE {name}").fetchall()]  # view: code's
    kept = ", ".join(f'"{c}"' for c in columns if not c.startswith("run_id"))
    query = f"SELECT {kept} FROM {name}"  # noqa: S608 - the code's own view and column names
    target.mkdir(parents=True)
    if YEAR not in columns:
        path = target / "rows.parquet"
        connection.execute(f"COPY ({query}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
        yield Part(name, None, year=None, audiences=[audience], written=path)
        return
    connection.execute(
        f"COPY ({query}) TO '{target}' "
        "(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (year), WRITE_PARTITION_COLUMNS false)"
    )
    for year_folder in sorted(target.iterdir()):
        value = year_folder.name.removeprefix(f"{YEAR}=")
        year = None if value in ("NULL", "__HIVE_DEFAULT_PARTITION__") else int(value)
        # One file per year as a rule; DuckDB may cut a large year in several.
        for piece, path in enumerate(sorted(year_folder.glob("*.parquet"))):
            yield Part(name, None, year=year, audiences=[audience], written=path, piece=piece)
