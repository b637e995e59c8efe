"""What a run did, read back from the warehouse: the numbers `make run` and the UI show."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, and_, func, select

from odc_pipeline.warehouse.schema import load_audit, quarantine


@dataclass(frozen=True)
class SourceSummary:
    """One source's line in a run summary."""

    source_id: str
    organization_id: str
    rows_in: int
    rows_published: int
    rows_quarantined: int
    rows_region_unmatched: int
    status: str = "published"
    message: str | None = None

    @property
    def held_back(self) -> bool:
        """The source published nothing this run; its last good load stays."""
        return self.status != "published"

    @property
    def balance(self) -> str:
        """The balance as a steward reads it: `yes`, `NO`, or held back with its row count
        (a held-back file is not "balanced": none of its rows went anywhere this run)."""
        if self.held_back:
            rows = f"{self.rows_in:,} row{'' if self.rows_in == 1 else 's'}"
            return f"held back ({rows} in the file)" if self.rows_in else "held back (unread)"
        return "yes" if self.balanced else "NO"

    @property
    def balanced(self) -> bool:
        """Every row published or quarantined; a held-back source publishes nothing by design."""
        if self.status != "published":
            return self.rows_published == 0 and self.rows_quarantined == 0
        return self.rows_in == self.rows_published + self.rows_quarantined

    @property
    def region_match_rate(self) -> float:
        """Share of valid rows whose region was matched (published / reached harmonization)."""
        reached = self.rows_published + self.rows_region_unmatched
        return self.rows_published / reached if reached else 1.0


def run_summary(engine: Engine, run_id: str) -> list[SourceSummary]:
    """Per-source counts of one run, from `load_audit` and `quarantine`."""
    # A row is its file and its row number (a source with one file per year repeats numbers).
    unmatched_rows = (
        select(quarantine.c.source_id, quarantine.c.file_hash, quarantine.c.source_row)
        .where(and_(quarantine.c.run_id == run_id, quarantine.c.rule == "region_unmatched"))
        .distinct()
        .subquery()
    )
    unmatched = (
        select(unmatched_rows.c.source_id, func.count().label("n"))
        .group_by(unmatched_rows.c.source_id)
        .subquery()
    )
    query = (
        select(
            load_audit.c.source_id,
            load_audit.c.organization_id,
            load_audit.c.rows_in,
            load_audit.c.rows_published,
            load_audit.c.rows_quarantined,
            func.coalesce(unmatched.c.n, 0),
            load_audit.c.status,
            load_audit.c.message,
        )
        .outerjoin(unmatched, unmatched.c.source_id == load_audit.c.source_id)
        .where(load_audit.c.run_id == run_id)
        .order_by(load_audit.c.source_id)
    )
    with engine.connect() as connection:
        return [SourceSummary(*row) for row in connection.execute(query)]


def published_rows_by_source(engine: Engine, source_ids: list[str]) -> dict[str, int]:
    """Rows each source should have in its fact table: those of its last published load.

    A held-back source keeps its last good load, so the count comes from the newest
    `published` audit row of every source, not from the latest run.
    """
    latest = (
        select(load_audit.c.source_id, func.max(load_audit.c.loaded_at).label("at"))
        .where(load_audit.c.status == "published", load_audit.c.source_id.in_(source_ids))
        .group_by(load_audit.c.source_id)
        .subquery()
    )
    query = select(load_audit.c.source_id, load_audit.c.rows_published).join(
        latest,
        and_(latest.c.source_id == load_audit.c.source_id, latest.c.at == load_audit.c.loaded_at),
    )
    with engine.connect() as connection:
        return {row[0]: row[1] for row in connection.execute(query)}
