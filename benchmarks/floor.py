"""The floor: read the workload's files and bulk-load their rows, and nothing else.

What any pipeline over these files must at least spend on this machine: each file read by the
fastest reader the project has (Arrow's multi-threaded CSV reader, pandas' C JSON Lines
reader, the standard library's `json` for JSON documents, openpyxl for XLSX), and the rows loaded as read into a
table of the same warehouse with the same bulk path the publisher uses (ADBC ingest on
SQLite, COPY on PostgreSQL). No checks, no regions, no provenance, no indexes.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as arrow_csv
from sqlalchemy.engine import make_url

from odc_pipeline.registry import load_registry
from odc_pipeline.registry.model import SourceEntry

_POSTGRES_TYPES = {pa.int64(): "bigint", pa.float64(): "double precision", pa.bool_(): "boolean"}


def read_fastest(path: Path, entry: SourceEntry) -> pa.Table:
    """The file as an Arrow table, by the quickest route for its format."""
    if entry.format == "csv":
        return arrow_csv.read_csv(
            path,
            parse_options=arrow_csv.ParseOptions(delimiter=entry.read.delimiter or ","),
            convert_options=arrow_csv.ConvertOptions(strings_can_be_null=True),
        )
    if entry.format == "jsonl":
        return _arrow(pd.read_json(path, lines=True, dtype=False))
    if entry.format == "json":
        document = json.loads(path.read_bytes())
        for step in entry.read.records_path.split(".") if entry.read.records_path else []:
            document = document[step]
        return _arrow(pd.DataFrame.from_records(document))
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    header = [str(h) for h in rows[0]]
    return _arrow(pd.DataFrame.from_records(rows[1:], columns=header))


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """A frame as Arrow; a column mixing numbers and text (a bad row) becomes text."""
    mixed = {c: frame[c].astype(str) for c in frame.columns if frame[c].dtype == object}
    return pa.Table.from_pandas(frame.assign(**mixed), preserve_index=False)


def _load_sqlite(path: str, tables: dict[str, pa.Table]) -> None:
    import adbc_driver_sqlite.dbapi as adbc

    with adbc.connect(path) as connection:
        with connection.cursor() as cursor:
            for name, table in tables.items():
                cursor.adbc_ingest(name, table, mode="create")
        connection.commit()


def _load_postgres(url: str, tables: dict[str, pa.Table]) -> None:
    import psycopg
    from psycopg import sql

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as connection, connection.cursor() as cursor:
        for name, table in tables.items():
            columns = sql.SQL(", ").join(
                sql.SQL("{} {}").format(
                    sql.Identifier(field.name), sql.SQL(_POSTGRES_TYPES.get(field.type, "text"))
                )
                for field in table.schema
            )
            cursor.execute(sql.SQL("CREATE TABLE {} ({})").format(sql.Identifier(name), columns))
            statement = sql.SQL("COPY {} FROM STDIN (FORMAT csv)").format(sql.Identifier(name))
            with cursor.copy(statement) as copy:
                for batch in table.to_batches(max_chunksize=100_000):
                    buffer = io.BytesIO()
                    arrow_csv.write_csv(batch, buffer, arrow_csv.WriteOptions(include_header=False))
                    copy.write(buffer.getvalue())


def measure_floor(registry_path: Path, warehouse_url: str) -> dict:
    """Seconds to read every file of the registry, and to bulk-load what was read; and the
    CPU seconds of this process meanwhile, every thread counted (Arrow's reader runs on
    several threads), so that the pipeline's use of the machine can be set against the floor's."""
    registry = load_registry(registry_path)
    cpu_start = time.process_time()
    start = time.perf_counter()
    tables = {
        entry.id: read_fastest(entry.location_path(registry.base_dir), entry)
        for entry in registry.sources
    }
    read_seconds = time.perf_counter() - start
    start = time.perf_counter()
    if warehouse_url.startswith("sqlite:///"):
        _load_sqlite(warehouse_url.removeprefix("sqlite:///"), tables)
    else:
        _load_postgres(warehouse_url, tables)
    load_seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    rows = sum(t.num_rows for t in tables.values())
    total = read_seconds + load_seconds
    return {
        "rows": rows,
        "read_seconds": round(read_seconds, 2),
        "load_seconds": round(load_seconds, 2),
        "total_seconds": round(total, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "rows_per_second": round(rows / total),
    }
