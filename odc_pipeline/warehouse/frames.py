"""Read a warehouse query in bulk: Arrow from SQLite (ADBC), and from PostgreSQL a CSV COPY
parsed as it streams.

`pandas.read_sql` builds one Python tuple per row and one object per cell; for the quality
checks and the open data export, which read whole fact tables after every publish, that was
most of their time. Both paths here move columns, not rows. The statement is built with
SQLAlchemy from the project's own tables; values travel as bound parameters (SQLite) or are
quoted by psycopg (PostgreSQL's COPY takes no parameters).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import pyarrow as pa
import pyarrow.csv as arrow_csv
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    Table,
    select,
)
from sqlalchemy.sql import Select

_ONE_BATCH = 1_000_000_000
#: How much of a COPY's text is read at a time.
_READ_BUFFER = 1 << 20


def _arrow_type(column) -> pa.DataType:
    kind = column.type
    if isinstance(kind, Boolean):
        return pa.bool_()
    if isinstance(kind, DateTime):
        return pa.timestamp("us", tz="UTC") if kind.timezone else pa.timestamp("us")
    if isinstance(kind, Date):
        return pa.date32()
    if isinstance(kind, Integer):  # SmallInteger and BigInteger too
        return pa.int64()
    if isinstance(kind, Float):
        return pa.float64()
    return pa.string()


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow types of a table's declared columns."""
    return pa.schema([(c.name, _arrow_type(c)) for c in table.columns])


def _sqlite_query(engine: Engine, statement: Select) -> tuple[str, list]:
    compiled = statement.compile(
        dialect=engine.dialect, compile_kwargs={"render_postcompile": True}
    )
    return str(compiled), [compiled.params[name] for name in compiled.positiontup or []]


def _fetch_sqlite(connection, query: str, params: list) -> pa.Table:
    with connection.cursor() as cursor:
        # The driver guesses each column's type from its first batch; a column empty in the
        # first thousand rows (station_number of a village-level source) would be guessed
        # wrong. One batch lets it see every value first.
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(_ONE_BATCH)})
        cursor.execute(query, params or None)
        return cursor.fetch_arrow_table()


def _from_sqlite(engine: Engine, statement: Select) -> pa.Table:
    import adbc_driver_sqlite.dbapi as adbc

    with adbc.connect(engine.url.database) as connection:
        return _fetch_sqlite(connection, *_sqlite_query(engine, statement))


class _Chunks(io.RawIOBase):
    """The byte chunks of a COPY as a stream, so that Arrow parses the rows as they arrive
    and the CSV text is never held whole beside the table made from it."""

    def __init__(self, chunks) -> None:
        self._chunks = iter(chunks)
        self._left = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._left:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._left = memoryview(chunk)
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size


@contextmanager
def _postgres_reader(engine: Engine, statement: Select) -> Iterator[pa.RecordBatchReader]:
    """The rows of `statement` as PostgreSQL's COPY streams them, parsed into batches of
    the declared column types as they arrive."""
    from psycopg import ClientCursor, sql

    compiled = statement.compile(
        dialect=engine.dialect, compile_kwargs={"render_postcompile": True}
    )
    convert = arrow_csv.ConvertOptions(
        column_types=_declared_types(statement),
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
        true_values=["t"],
        false_values=["f"],
    )
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        query = ClientCursor(raw).mogrify(str(compiled), compiled.params)
        copy = sql.SQL("COPY ({}) TO STDOUT (FORMAT csv, HEADER)").format(sql.SQL(query))
        with raw.cursor() as cursor, cursor.copy(copy) as stream:
            rows = io.BufferedReader(_Chunks(stream), buffer_size=_READ_BUFFER)
            yield arrow_csv.open_csv(rows, convert_options=convert)


def _from_postgres(engine: Engine, statement: Select) -> pa.Table:
    with _postgres_reader(engine, statement) as reader:
        return reader.read_all()


def read_arrow(engine: Engine, statement: Select) -> pa.Table:
    """The rows of `statement` as an Arrow table, column by column."""
    if engine.dialect.name == "sqlite":
        return _from_sqlite(engine, statement)
    if engine.dialect.name == "postgresql":
        return _from_postgres(engine, statement)
    with engine.connect() as connection:  # pragma: no cover - the warehouse is one of those
        return pa.Table.from_pandas(pd.read_sql(statement, connection), preserve_index=False)


def read_batches(engine: Engine, statement: Select) -> Iterator[pa.RecordBatch]:
    """The rows of `statement` in the declared column types, a batch at a time. From
    PostgreSQL as COPY streams them, so memory holds a batch, not the rows. From SQLite
    they are read whole first: its driver takes each column's type from the first batch it
    reads, and a column empty there but filled further on would fail it."""
    if engine.dialect.name == "postgresql":
        with _postgres_reader(engine, statement) as reader:
            for batch in reader:
                yield _declared(batch, statement)
        return
    yield from read_rows(engine, statement).to_batches()


def _declared_types(statement: Select) -> dict[str, pa.DataType]:
    return {c.name: _arrow_type(c) for c in statement.selected_columns}


def _declared(rows: pa.Table | pa.RecordBatch, statement: Select):
    """The rows in the column types the schema declares. SQLite's driver guesses a type from
    the values, and a column without any (an empty table, or a half where it is empty) reads
    as int64, which Arrow will not cast to a date: such a column is made anew, all nulls."""
    schema = pa.schema(list(_declared_types(statement).items()))
    columns = [
        values.cast(field.type)
        if values.null_count < len(values)
        else pa.nulls(len(values), field.type)
        for values, field in zip(rows.columns, schema, strict=True)
    ]
    return type(rows).from_arrays(columns, schema=schema)


def read_rows(engine: Engine, statement: Select) -> pa.Table:
    """The rows of `statement`, in the column types the schema declares."""
    return _declared(read_arrow(engine, statement), statement)


def read_columns(engine: Engine, table: Table, columns: list[str]) -> pa.Table:
    """Whole columns of one table, every row, in their declared types; the quality checks
    read each fact table this way after every publish."""
    return read_rows(engine, select(*(table.c[c] for c in columns)))


def release_unused_memory() -> None:
    """Hand the memory Arrow has freed back to the system.

    Arrow's allocator keeps freed blocks for reuse, and they still count as the process's
    resident memory. Once the publisher has let go of a whole night's columns, what follows
    (indexing, building the audience files) would otherwise start from that high-water mark."""
    pa.default_memory_pool().release_unused()


def read_frame(engine: Engine, statement: Select) -> pd.DataFrame:
    """The rows of `statement`, column by column."""
    return read_arrow(engine, statement).to_pandas()
