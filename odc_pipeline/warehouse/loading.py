"""Bulk-loading frames into warehouse tables: COPY on PostgreSQL, ADBC ingest on SQLite.

Tables are created without their secondary indexes and indexed once loaded: building an index
over a million finished rows is several times cheaper than keeping it current row by row.
Table and column names come from the project's own table definitions, never from configuration.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as arrow_csv
from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Table
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateIndex, CreateTable

from odc_pipeline.warehouse.schema import warehouse_tables

_COPY_CHUNK = 100_000


def create_tables(connection: Connection) -> None:
    """Every warehouse table, empty and without secondary indexes (see `create_indexes`)."""
    for table in warehouse_tables():
        connection.execute(CreateTable(table))


def create_indexes(connection: Connection) -> None:
    """The indexes analysts join and filter on, built once the rows are in."""
    for table in warehouse_tables():
        for index in table.indexes:
            connection.execute(CreateIndex(index))


def _prepared(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """Refuse unknown columns; dates as dates whatever the frame held."""
    unknown = [c for c in frame.columns if c not in table.c]
    if unknown:
        raise ValueError(f"columns {unknown} are not in table {table.name}")
    dates = [
        c
        for c in frame.columns
        if isinstance(table.c[c].type, Date) and not isinstance(table.c[c].type, DateTime)
    ]
    if dates:
        frame = frame.assign(**{c: pd.to_datetime(frame[c]).dt.date for c in dates})
    return frame


def _arrow(table: Table, frame: pd.DataFrame) -> pa.Table | None:
    """The frame as Arrow, typed for the table; None if a column mixes types Arrow refuses."""
    fixes = {
        c: frame[c].astype("Int64")
        for c in frame.columns
        if isinstance(table.c[c].type, Integer) and pd.api.types.is_float_dtype(frame[c])
    }
    try:
        arrow = pa.Table.from_pandas(frame.assign(**fixes), preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    # A column empty in every row of this batch has no type of its own (Arrow's null, or a
    # dictionary of nulls); the database wants the table's.
    for position, field in enumerate(arrow.schema):
        kind = field.type
        if pa.types.is_null(kind) or (
            pa.types.is_dictionary(kind) and pa.types.is_null(kind.value_type)
        ):
            arrow = arrow.set_column(
                position, field.name, pa.nulls(len(arrow), _null_type(table.c[field.name]))
            )
    return arrow


def _null_type(column) -> pa.DataType:
    """The Arrow type a column of nothing but nulls is sent as."""
    if isinstance(column.type, Integer):
        return pa.int64()
    if isinstance(column.type, Float):
        return pa.float64()
    if isinstance(column.type, Boolean):
        return pa.bool_()
    return pa.string()


def sqlite_rows(table: Table, frame: pd.DataFrame) -> pa.Table:
    """A frame as the Arrow table `ingest_sqlite` appends to `table`."""
    arrow = _arrow(table, _prepared(table, frame))
    if arrow is None:
        raise ValueError(f"rows for {table.name} mix types in one column")
    return arrow


def ingest_sqlite(cursor, table: Table, frame: pd.DataFrame) -> None:
    """Append a frame's rows to a table of a SQLite file through an ADBC cursor: bound in C,
    not one Python call per row."""
    if len(frame):
        cursor.adbc_ingest(table.name, sqlite_rows(table, frame), mode="append")


def _csv_chunks(table: Table, frame: pd.DataFrame):
    """CSV text in chunks: Arrow's writer, pandas' for columns Arrow cannot type."""
    arrow = _arrow(table, frame)
    for start in range(0, len(frame), _COPY_CHUNK):
        if arrow is not None:
            buffer = io.BytesIO()
            arrow_csv.write_csv(
                arrow.slice(start, _COPY_CHUNK),
                buffer,
                arrow_csv.WriteOptions(include_header=False),
            )
            yield buffer.getvalue()
        else:
            yield (
                frame.iloc[start : start + _COPY_CHUNK]
                .to_csv(
                    index=False, header=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n"
                )
                .encode()
            )


def copy_frame(connection: Connection, table: Table, frame: pd.DataFrame) -> None:
    """Append a frame's rows to a PostgreSQL table with COPY (CSV), in the connection's
    transaction: one stream, no inserts.

    The table name is left unqualified so that the rows land in the schema the publisher is
    building (its `search_path`).
    """
    if frame.empty:
        return
    from psycopg import sql

    frame = _prepared(table, frame)
    names = sql.SQL(", ").join(sql.Identifier(c) for c in frame.columns)
    # Readers never keep empty strings (an empty cell is None), so an empty field is NULL
    # whether pandas quoted it or not.
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv, FORCE_NULL ({}))").format(
        sql.Identifier(table.name), names, names
    )
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for chunk in _csv_chunks(table, frame):
            copy.write(chunk)
