"""Write a run's results into the warehouse in one transaction.

Readers see either the previous version or the new one: everything (reference, facts,
quarantine, audit) is replaced inside a single transaction, and SQLite runs in WAL mode so
readers are not blocked while it happens. The same code runs on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Engine, create_engine, delete, event, func, select
from sqlalchemy.engine import Connection

from odc_pipeline.warehouse.batches import SourceBatch
from odc_pipeline.warehouse.schema import (
    FACT_TABLES,
    dim_region,
    load_audit,
    metadata,
    quarantine,
    region_review,
)

_INSERT_CHUNK = 10_000


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


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain Python values (None for missing), which every DB driver can bind."""
    columns = {
        c: frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in frame.columns
    }
    return [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]


def _insert(connection: Connection, table, frame: pd.DataFrame) -> None:
    rows = records(frame)
    for start in range(0, len(rows), _INSERT_CHUNK):
        connection.execute(table.insert(), rows[start : start + _INSERT_CHUNK])


@dataclass(frozen=True)
class PublishSummary:
    """Counts of what one publish wrote, per table and per source."""

    run_id: str
    table_rows: dict[str, int]
    per_source: list[dict]


def publish(
    engine: Engine, regions: pd.DataFrame, batches: Iterable[SourceBatch], run_id: str
) -> PublishSummary:
    """Replace the reference and each source's rows, and append the load audit, atomically."""
    batches = list(batches)
    loaded_at = datetime.now(UTC)
    metadata.create_all(engine)
    per_source = []
    with engine.begin() as connection:
        connection.execute(delete(dim_region))
        _insert(connection, dim_region, regions)
        for batch in batches:
            fact_table = FACT_TABLES[batch.kind]
            connection.execute(delete(fact_table).where(fact_table.c.source_id == batch.source_id))
            connection.execute(delete(quarantine).where(quarantine.c.source_id == batch.source_id))
            connection.execute(
                delete(region_review).where(region_review.c.source_id == batch.source_id)
            )
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
            audit = {
                "run_id": run_id,
                "source_id": batch.source_id,
                "organization_id": batch.organization_id,
                "file_hash": batch.file_hash,
                "rows_in": batch.rows_in,
                "rows_published": batch.rows_published,
                "rows_quarantined": batch.rows_quarantined,
                "loaded_at": loaded_at,
            }
            connection.execute(load_audit.insert(), [audit])
            per_source.append(audit)
        table_rows = {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (dim_region, *FACT_TABLES.values(), quarantine, region_review, load_audit)
        }
    return PublishSummary(run_id=run_id, table_rows=table_rows, per_source=per_source)
