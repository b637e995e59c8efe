"""What a release holds, read from the warehouse as parts: one source's rows of one table for
one election year, or a whole reference table, or one audience's rows of a view.

A part drops what would make the same rows different bytes in every release (the id of the
run that published them: the manifest names it) and every personal column (not even its
salted hash leaves the warehouse). A table with a `year` column is split by year, and the
year is written in the folder name (`year=2024/`), the Hive layout DuckDB, pandas, Polars and
R's arrow read as a column.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, Table, select

from odc_pipeline.releases.part_files import YearFiles
from odc_pipeline.warehouse.audiences import MEMBERS, PUBLIC, SHARED_WHOLE, Audience
from odc_pipeline.warehouse.frames import read_batches, read_frame, read_rows
from odc_pipeline.warehouse.schema import (
    ELECTION_RESULTS_TABLES,
    dim_load,
    dim_source,
    fact_tables,
)

#: The audiences a release is written for (a private audience reads its own warehouse file).
RELEASE_AUDIENCES: tuple[Audience, ...] = (PUBLIC, MEMBERS)
#: Columns left out of every part: the same rows would differ in every release.
NOT_RELEASED = ("run_id",)
#: dim_source columns that are the server's business, not an analyst's (as in the open data).
SOURCE_INTERNALS = ("location", "status_message")
YEAR = "year"


@dataclass
class Part:
    """Rows of one table for one source (or none) and one year (or none), and who sees them."""

    table: str
    #: The rows in memory, or None when they are already written to `written` (Parquet).
    rows: pa.Table | None
    source_id: str | None = None
    year: int | None = None
    audiences: list[str] = field(default_factory=list)
    written: Path | None = None

    @property
    def row_count(self) -> int:
        if self.rows is not None:
            return self.rows.num_rows
        return pq.ParquetFile(self.written).metadata.num_rows

    @property
    def file_name(self) -> str:
        return f"{self.source_id or self.table}.parquet"

    def relative_path(self, audience: str) -> str:
        return part_path(audience, self.table, self.year, self.file_name)


def part_path(audience: str, table: str, year: int | None, file_name: str) -> str:
    """Where a part sits in an audience's folder of the release."""
    folder = f"{YEAR}={year}/" if year is not None else ""
    return f"{audience}/{table}/{folder}{file_name}"


def released_columns(source: Table) -> list[str]:
    return [
        c.name for c in source.columns if c.name not in NOT_RELEASED and not c.info.get("personal")
    ]


def _ordered(source: Table, columns: list[str]) -> list:
    """A fixed row order, so the same rows give the same bytes."""
    if "source_row" in columns:
        return [source.c[c] for c in ("year", "source_row") if c in columns]
    keys = [c.name for c in source.primary_key.columns] or columns
    return [source.c[c] for c in keys]


def sharing_of(engine: Engine) -> pd.DataFrame:
    """dim_source as published: one row per source with its organisation and sharing."""
    return read_frame(engine, select(dim_source))


def sharing_by_source(sources: pd.DataFrame) -> dict[str, str]:
    """Each source's sharing level, from dim_source as published."""
    return dict(zip(sources["source_id"], sources["sharing"], strict=True))


def loaded_tables() -> list[Table]:
    """Tables whose rows of a source are exactly what its load put there: its facts, and the
    files they were read from. A source published by the same run from the same file has the
    same parts, which a release takes from the release before without reading them again."""
    return [*fact_tables().values(), dim_load]


def audiences_of(sharing: str) -> list[str]:
    return [a.name for a in RELEASE_AUDIENCES if sharing in a.sharing]


def source_parts(
    engine: Engine, sources: pd.DataFrame, scratch: Path, unchanged: frozenset[str] = frozenset()
) -> Iterator[Part]:
    """Every source's rows of every table that holds rows per source, one source at a time,
    written under `scratch` as they are read; the loaded rows of `unchanged` sources
    (published by the same run as in the release before) are not read again. Tables derived
    at each publish from several sources (seats, winners) are always read."""
    sharing = sharing_by_source(sources)
    loaded = loaded_tables()
    for source in (*loaded, *ELECTION_RESULTS_TABLES):
        columns = released_columns(source)
        with engine.connect() as connection:
            held = connection.execute(select(source.c.source_id).distinct()).scalars().all()
        for source_id in sorted(held):
            if source in loaded and source_id in unchanged:
                continue
            audiences = audiences_of(sharing.get(source_id, ""))
            yield from _parts_of_source(engine, source, columns, source_id, audiences, scratch)


def _parts_of_source(
    engine: Engine,
    source: Table,
    columns: list[str],
    source_id: str,
    audiences: list[str],
    scratch: Path,
) -> Iterator[Part]:
    """One source's rows of one table, a part per year, written to Parquet a batch at a time
    as the warehouse hands them out (see `part_files`). Each file is the caller's once
    yielded (it is moved into the store); what is left is removed at the end."""
    rows = (
        select(*(source.c[c] for c in columns))
        .where(source.c.source_id == source_id)
        .order_by(*_ordered(source, columns))
    )
    files = YearFiles(scratch / f".part-{uuid.uuid4().hex}", YEAR)
    try:
        for batch in read_batches(engine, rows):
            files.add(batch)
        for year, path in files.close():
            yield Part(source.name, None, source_id, year, audiences, written=path)
    finally:
        shutil.rmtree(files.folder, ignore_errors=True)


def reference_parts(engine: Engine, sources: pd.DataFrame) -> Iterator[Part]:
    """Tables every audience sees whole, and each audience's rows of dim_source."""
    everyone = [a.name for a in RELEASE_AUDIENCES]
    for whole in SHARED_WHOLE:
        columns = released_columns(whole)
        rows = read_rows(
            engine, select(*(whole.c[c] for c in columns)).order_by(*_ordered(whole, columns))
        )
        yield Part(whole.name, rows, audiences=everyone)
    shown = sources.drop(columns=list(SOURCE_INTERNALS)).sort_values("source_id")
    for audience in RELEASE_AUDIENCES:
        seen = shown.loc[shown["sharing"].isin(audience.sharing)]
        rows = pa.Table.from_pandas(seen, preserve_index=False)
        yield Part(dim_source.name, rows, audiences=[audience.name])
