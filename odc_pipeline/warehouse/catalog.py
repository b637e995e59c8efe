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
    #: The registry entry a province's file comes from, for a source split by province.
    part_of: str | None = None


@dataclass(frozen=True)
class HeldBackSource:
    """A registry entry that cannot be used this run: its published rows stay, and
    `dim_source` says why it is not current."""

    source_id: str
    organization_id: str | None
    message: str


@dataclass(frozen=True)
class Catalog:
    organizations: list[OrganizationInfo]
    sources: list[SourceInfo]
    #: The election reference tables' rows, by table name (odc_pipeline.elections.tables).
    dimensions: dict[str, pd.DataFrame] = field(default_factory=dict)
    held_back: list[HeldBackSource] = field(default_factory=list)

    @property
    def source_ids(self) -> list[str]:
        """Every source whose published rows stay: those registered and those held back."""
        return [s.source_id for s in self.sources] + [h.source_id for h in self.held_back]

    def kept_ids(self, previous: dict) -> list[str]:
        """`source_ids`, and the provinces' files of a held-back entry split by province:
        their rows were published under their own ids (`previous`: the last version's
        `dim_source` rows by id), which the entry that cannot be read no longer lists."""
        parts = [i for h in self.held_back for i in provinces_of(h.source_id, previous)]
        return self.source_ids + parts


def provinces_of(entry_id: str, previous: dict) -> dict:
    """The last version's `dim_source` rows, by id, of the provinces' files of entry
    `entry_id` (none for an entry not split by province)."""
    return {i: row for i, row in previous.items() if getattr(row, "part_of", None) == entry_id}


#: `dim_source.status` of a source with no published rows yet.
NOT_PUBLISHED = "not_published"


def never_run(source_id: str) -> str:
    """`dim_source.status_message` of a registered source no run has published yet."""
    return f"no run has published this source yet; run it: odc run --source {source_id}"


def _held_back_row(held: HeldBackSource, before) -> dict:
    """`dim_source`'s row for an entry that cannot be used: its last publish's row, marked
    stale with the reason; or, never published, a row that says only what is known. Every
    column of `dim_source` is given (None where nothing is known): the rows are inserted
    together, and a row short of a column the others have stops the whole insert."""
    if before is not None:
        row = dict(before._mapping)
    else:
        row = {
            "source_id": held.source_id,
            "organization_id": held.organization_id or "unknown",
            "kind": "unknown",
            "description": "",
            "format": "",
            "location": "",
            "licence": "unknown",
            "sharing": "private",  # nothing says who may see it: nobody but the complete file
            "last_successful_load": None,
            "last_successful_run_id": None,
            "file_hash": None,
        }
    columns = [c.name for c in dim_source.columns]
    return {c: row.get(c) for c in columns} | {"status": "stale", "status_message": held.message}


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
        elif before is None:
            row.update(status=NOT_PUBLISHED, status_message=never_run(info.source_id))
        else:  # not in this run: as the last publish left it
            row.update(status=before.status, status_message=before.status_message)
        rows.append(row)
    for held in catalog.held_back:
        parts = provinces_of(held.source_id, previous)
        if parts and held.source_id not in previous:  # split by province: each file's row
            rows += [_held_back_row(held, part) for part in parts.values()]
        else:
            rows.append(_held_back_row(held, previous.get(held.source_id)))
    if rows:
        connection.execute(dim_source.insert(), rows)
