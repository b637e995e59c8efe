"""Write a run's results into the warehouse in one transaction.

Readers see either the previous version or the new one: everything (reference, facts,
quarantine, audit) is replaced inside a single transaction, and SQLite runs in WAL mode so
readers are not blocked while it happens. The same code runs on PostgreSQL.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Date, DateTime, Engine, create_engine, delete, event, func, inspect, select
from sqlalchemy.engine import Connection

from odc_pipeline.warehouse.batches import SourceBatch
from odc_pipeline.warehouse.catalog import Catalog, write_catalog
from odc_pipeline.warehouse.dictionary import dictionary_rows
from odc_pipeline.warehouse.schema import (
    FACT_TABLES,
    dim_organization,
    dim_region,
    dim_source,
    load_audit,
    meta_columns,
    metadata,
    quarantine,
    region_review,
)
from odc_pipeline.warehouse.views import create_views

_INSERT_CHUNK = 10_000
_COPY_CHUNK = 100_000


def make_engine(url: str) -> Engine:
    """An engine for the warehouse; SQLite files get WAL so readers never wait on a publish."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


def _columns_as_python(frame: pd.DataFrame) -> list[list]:
    """Each column as plain Python values (None for missing), which every driver can bind."""
    return [frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in frame.columns]


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain Python values, for SQLAlchemy's executemany."""
    names = list(frame.columns)
    return [
        dict(zip(names, values, strict=True))
        for values in zip(*_columns_as_python(frame), strict=True)
    ]


def _copy_postgres(connection: Connection, table, frame: pd.DataFrame) -> None:
    """Bulk-load with COPY (CSV) on the transaction's own connection: one stream, no inserts.

    pandas writes the CSV in C. Table and column names come from the project's table
    definitions, quoted as identifiers.
    """
    from psycopg import sql

    names = sql.SQL(", ").join(sql.Identifier(c) for c in frame.columns)
    # Readers never keep empty strings (an empty cell is None), so an empty field is NULL
    # whether pandas quoted it or not.
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv, FORCE_NULL ({}))").format(
        sql.Identifier(table.name), names, names
    )
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, len(frame), _COPY_CHUNK):
            chunk = frame.iloc[start : start + _COPY_CHUNK]
            copy.write(
                chunk.to_csv(
                    index=False, header=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n"
                )
            )


def _executemany(connection: Connection, table, frame: pd.DataFrame) -> None:
    """Positional executemany on the driver: SQLAlchemy's per-row dict handling is skipped,
    but each column still goes through its type's own conversion (dates, for instance)."""
    dialect = connection.dialect
    preparer = dialect.identifier_preparer
    columns = ", ".join(preparer.quote(c) for c in frame.columns)
    marks = ", ".join("?" for _ in frame.columns)
    statement = f"INSERT INTO {preparer.quote(table.name)} ({columns}) VALUES ({marks})"  # noqa: S608
    values = []
    for name, column_values in zip(frame.columns, _columns_as_python(frame), strict=True):
        convert = table.c[name].type.bind_processor(dialect)
        values.append(
            [None if v is None else convert(v) for v in column_values] if convert else column_values
        )
    rows = list(zip(*values, strict=True))
    for start in range(0, len(rows), _INSERT_CHUNK):
        connection.exec_driver_sql(statement, rows[start : start + _INSERT_CHUNK])


def _insert(connection: Connection, table, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
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
    if connection.dialect.name == "postgresql":
        _copy_postgres(connection, table, frame)
    elif connection.dialect.name == "sqlite":
        _executemany(connection, table, frame)
    else:
        rows = records(frame)
        for start in range(0, len(rows), _INSERT_CHUNK):
            connection.execute(table.insert(), rows[start : start + _INSERT_CHUNK])


def _replace_source(connection: Connection, batch: SourceBatch, run_id: str) -> None:
    """Swap one source's facts, quarantine and review rows for this run's."""
    fact_table = FACT_TABLES[batch.kind]
    for table in (fact_table, quarantine, region_review):
        connection.execute(delete(table).where(table.c.source_id == batch.source_id))
    provenance = {
        "organization_id": batch.organization_id,
        "source_id": batch.source_id,
        "run_id": run_id,
    }
    _insert(connection, fact_table, batch.facts.assign(**provenance))
    _insert(connection, quarantine, batch.quarantine.assign(**provenance))
    _insert(
        connection,
        region_review,
        batch.review.assign(organization_id=batch.organization_id, run_id=run_id),
    )


@dataclass(frozen=True)
class PublishSummary:
    """Counts of what one publish wrote, per table and per source."""

    run_id: str
    table_rows: dict[str, int]
    per_source: list[dict]


class WarehouseSchemaError(RuntimeError):
    """The warehouse was created by another version of this code; nothing was changed."""


def check_schema(engine: Engine) -> None:
    """Refuse to publish into tables whose columns differ from the code's, before writing."""
    inspector = inspect(engine)
    existing = set(inspector.get_table_names())
    for table in metadata.sorted_tables:
        if table.name not in existing:
            continue
        found = {c["name"] for c in inspector.get_columns(table.name)}
        expected = {c.name for c in table.columns}
        if found != expected:
            raise WarehouseSchemaError(
                f"table {table.name} in {engine.url.render_as_string(hide_password=True)} has columns "
                f"{sorted(found - expected)} the code does not know and lacks {sorted(expected - found)}: "
                "it was created by another version of odc-pipeline. Back it up and move it aside "
                "(a new warehouse is built on the next run), or point ODC_WAREHOUSE_URL elsewhere."
            )


def publish(
    engine: Engine,
    regions: pd.DataFrame,
    batches: Iterable[SourceBatch],
    run_id: str,
    catalog: Catalog | None = None,
) -> PublishSummary:
    """Replace the reference and each source's rows, and append the load audit, atomically."""
    batches = list(batches)
    loaded_at = datetime.now(UTC)
    check_schema(engine)
    metadata.create_all(engine)
    per_source = []
    with engine.begin() as connection:
        connection.execute(delete(dim_region))
        _insert(connection, dim_region, regions)
        for batch in batches:
            if batch.error is None:
                _replace_source(connection, batch, run_id)
            audit = {
                "run_id": run_id,
                "source_id": batch.source_id,
                "organization_id": batch.organization_id,
                "file_hash": batch.file_hash,
                "rows_in": batch.rows_in,
                "rows_published": batch.rows_published,
                "rows_quarantined": batch.rows_quarantined,
                "status": batch.status,
                "message": batch.error,
                "loaded_at": loaded_at,
            }
            connection.execute(load_audit.insert(), [audit])
            per_source.append(audit)
        if catalog is not None:
            write_catalog(connection, catalog, batches, loaded_at, run_id)
        create_views(connection)
        connection.execute(delete(meta_columns))
        connection.execute(meta_columns.insert(), dictionary_rows())
        table_rows = {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (
                dim_region,
                dim_organization,
                dim_source,
                *FACT_TABLES.values(),
                quarantine,
                region_review,
                load_audit,
            )
        }
    return PublishSummary(run_id=run_id, table_rows=table_rows, per_source=per_source)
