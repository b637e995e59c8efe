"""Who shares what: the registry's organisations and sources as rows of `dim_organization`
and `dim_source`, so analysts can see licences, sharing levels and how fresh each source is."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy.engine import Connection

from odc_pipeline.warehouse.batches import SourceBatch
from odc_pipeline.warehouse.schema import ELECTION_DIMENSIONS, dim_organization, dim_source


@dataclass(frozen=True)
class OrganizationInfo:
    organization_id: str
    name: str
    website: str | None = None


@dataclass(frozen=True)
class SourceInfo:
    source_id: str
    organization_id: str
    kind: str
    description: str
    format: str
    location: str
    licence: str
    sharing: str


@dataclass(frozen=True)
class Catalog:
    organizations: list[OrganizationInfo]
    sources: list[SourceInfo]
    #: The election reference tables' rows, by table name (odc_pipeline.elections.tables).
    dimensions: dict[str, pd.DataFrame] = field(default_factory=dict)


def write_catalog(
    connection: Connection,
    catalog: Catalog,
    batches: list[SourceBatch],
    loaded_at: datetime,
    run_id: str,
    previous: dict,
) -> None:
    """Fill both dimensions of a new version; `previous` holds the last version's
    `dim_source` rows by source id, so a held-back source keeps the date of its last good load."""
    if catalog.organizations:
        connection.execute(dim_organization.insert(), [asdict(o) for o in catalog.organizations])
    for table in ELECTION_DIMENSIONS:
        rows = catalog.dimensions.get(table.name)
        if rows is not None and len(rows):
            columns = [c.name for c in table.columns]
            connection.execute(table.insert(), rows[columns].to_dict("records"))
    by_source = {b.source_id: b for b in batches}
    rows = []
    for info in catalog.sources:
        batch, before = by_source.get(info.source_id), previous.get(info.source_id)
        row = {
            **asdict(info),
            "status": "current",
            "status_message": None,
            "last_successful_load": before.last_successful_load if before else None,
            "last_successful_run_id": before.last_successful_run_id if before else None,
            "file_hash": before.file_hash if before else None,
        }
        if batch is not None and batch.error is None:
            row.update(
                last_successful_load=loaded_at,
                last_successful_run_id=run_id,
                file_hash=batch.file_hash,
            )
        elif batch is not None:
            row.update(status="stale", status_message=batch.error)
        rows.append(row)
    if rows:
        connection.execute(dim_source.insert(), rows)
