"""The analysts' views of a release, computed by DuckDB from the release's own Parquet files.

Each audience's views are made from that audience's folder alone, so a view can hold no row
of a source the audience may not see, and they cost what DuckDB needs to read the files, not
a pass of the warehouse's SQL over every row in memory. The views are the warehouse's own
definitions (`warehouse.views`), run unchanged; the run id each row had is not in a release,
so a view's provenance columns of it are empty and left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from odc_pipeline.releases.parts import NOT_RELEASED, Part, by_year
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


def computed_views(folder: Path, audience: str) -> Iterator[Part]:
    """Each view over the audience's `folder`, split by year where it has one."""
    connection = duckdb.connect()
    try:
        connection.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        _tables(connection, folder)
        for name, ddl in VIEWS.items():
            connection.execute(ddl)
            # In no particular order: sorting the largest view is much of the step's time, and a
            # view whose inputs did not change is linked from the release before, not redone.
            rows = connection.table(name).to_arrow_table()
            rows = rows.drop_columns([c for c in rows.column_names if c.startswith("run_id")])
            for year, piece in by_year(rows):
                yield Part(name, piece, year=year, audiences=[audience])
    finally:
        connection.close()
