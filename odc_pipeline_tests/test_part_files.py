"""A release's part is written a batch at a time: the same rows give the same bytes however
the warehouse batched them, a file per year, and a row group holds a fixed number of rows."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from odc_pipeline.digests import file_sha256
from odc_pipeline.releases import part_files
from odc_pipeline.releases.part_files import YearFiles

ROWS = pa.table(
    {
        "source_row": list(range(2, 12)),
        "year": [2019, 2019, 2019, 2024, 2024, 2024, 2024, 2024, None, None],
        "votes": [10, 20, None, 40, 50, 60, 70, 80, 90, 100],
    }
)


def _written(tmp_path, name: str, batch_rows: int) -> list[tuple[int | None, str, pa.Table]]:
    files = YearFiles(tmp_path / name, "year")
    for batch in ROWS.to_batches(max_chunksize=batch_rows):
        files.add(batch)
    return [(year, file_sha256(path), pq.read_table(path)) for year, path in files.close()]


@pytest.fixture
def small_row_groups(monkeypatch):
    monkeypatch.setattr(part_files, "ROW_GROUP", 2)


def test_the_same_rows_give_the_same_files_however_they_were_batched(tmp_path, small_row_groups):
    one_batch = _written(tmp_path, "whole", batch_rows=10)
    for batch_rows in (1, 3, 4):
        assert [
            (y, digest) for y, digest, _ in _written(tmp_path, f"by{batch_rows}", batch_rows)
        ] == [(y, digest) for y, digest, _ in one_batch]
    assert [year for year, _, _ in one_batch] == [2019, 2024, None]
    by_year = {year: rows for year, _, rows in one_batch}
    # The year is the folder's: left out of a year's file, kept (empty) where there is none.
    assert by_year[2019].to_pydict() == {"source_row": [2, 3, 4], "votes": [10, 20, None]}
    assert by_year[2024].column("source_row").to_pylist() == [5, 6, 7, 8, 9]
    assert by_year[None].to_pydict() == {
        "source_row": [10, 11],
        "year": [None, None],
        "votes": [90, 100],
    }
    metadata = pq.ParquetFile(tmp_path / "whole" / "2024.parquet").metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [2, 2, 1]


def test_rows_without_a_year_column_are_one_file(tmp_path):
    files = YearFiles(tmp_path / "plain", "year")
    for batch in ROWS.drop_columns(["year"]).to_batches(max_chunksize=4):
        files.add(batch)
    empty = pa.record_batch([pa.array([], pa.int64())] * 2, names=["source_row", "votes"])
    files.add(empty)  # a batch of no rows adds nothing
    ((year, path),) = files.close()
    assert year is None
    assert pq.read_table(path).column("source_row").to_pylist() == list(range(2, 12))
