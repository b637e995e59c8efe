"""A source's rows of one table written to Parquet as they are read, a file per year.

A release's largest parts are a province's polling-station results, millions of rows: held
whole in memory, such a part set the release's peak. Written a batch at a time, the release
holds a batch and the rows waiting to fill one row group. Row groups have a fixed number of
rows, so the same rows give the same bytes (and the same object in the store) however the
database handed them out.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

#: Rows per row group of a part written a batch at a time.
ROW_GROUP = 1 << 18


class _File:
    """One year's Parquet file, written a full row group at a time."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self._schema = schema
        self._writer = pq.ParquetWriter(path, schema, compression="zstd")
        self._waiting: list[pa.RecordBatch] = []
        self._rows = 0

    def add(self, piece: pa.RecordBatch) -> None:
        self._waiting.append(piece)
        self._rows += piece.num_rows
        if self._rows >= ROW_GROUP:
            self._write(full_groups_only=True)

    def _write(self, full_groups_only: bool) -> None:
        waiting = pa.Table.from_batches(self._waiting, schema=self._schema)
        upto = (waiting.num_rows // ROW_GROUP) * ROW_GROUP if full_groups_only else None
        written = waiting.slice(0, upto) if upto is not None else waiting
        if written.num_rows:
            self._writer.write_table(written, row_group_size=ROW_GROUP)
        rest = waiting.slice(written.num_rows)
        self._waiting, self._rows = rest.to_batches(), rest.num_rows

    def close(self) -> None:
        self._write(full_groups_only=False)
        self._writer.close()


class YearFiles:
    """The rows added, in files under `folder`: one per `year` when the rows have one
    (left out of the file: the release's folder says it), and one for rows without a year
    (which keep the empty column), as the rows arrive."""

    def __init__(self, folder: Path, year_column: str) -> None:
        self.folder = folder
        self.year_column = year_column
        self._files: dict[int | None, _File] = {}

    def add(self, batch: pa.RecordBatch) -> None:
        if not batch.num_rows:
            return
        if self.year_column not in batch.schema.names:
            self._file(None, batch.schema).add(batch)
            return
        years = batch.column(self.year_column)
        rest = batch.drop_columns([self.year_column])
        held = pc.unique(years.drop_null()).to_pylist()
        if len(held) == 1 and not years.null_count:  # rows are in year order: most batches
            self._file(int(held[0]), rest.schema).add(rest)
            return
        for year in held:
            piece = rest.filter(pc.equal(years, year))
            self._file(int(year), rest.schema).add(piece)
        if years.null_count:
            self._file(None, batch.schema).add(batch.filter(pc.is_null(years)))

    def _file(self, year: int | None, schema: pa.Schema) -> _File:
        if year not in self._files:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._files[year] = _File(self.folder / f"{year}.parquet", schema)
        return self._files[year]

    def close(self) -> list[tuple[int | None, Path]]:
        """Each file written, by year in order and the rows without one last."""
        for file in self._files.values():
            file.close()
        order = sorted(self._files, key=lambda y: (y is None, y or 0))
        return [(year, self._files[year].path) for year in order]
