"""Frames travel between steps as Parquet: every dtype comes back as it went, written beside
and renamed, without statistics nobody reads."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq

from odc_pipeline.defs.io_manager import ParquetIOManager


def test_a_frame_comes_back_as_it_was_stored(tmp_path):
    manager = ParquetIOManager(base_dir=str(tmp_path))
    frame = pd.DataFrame(
        {
            "region_code": pd.Categorical(["32.04", None, "32.73"]),
            "votes": pd.array([120, None, 7], dtype="Int64"),
            "candidate": pd.Series(["A", "B", None], dtype="str"),
            "_read_error": pd.Series([None, "line 2 is not valid JSON", None], dtype=object),
            "_source_row": [1, 2, 3],
        }
    )
    key = dg.AssetKey(["validated_demo"])
    manager.handle_output(dg.build_output_context(asset_key=key), frame)
    path = tmp_path / "validated_demo.parquet"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no .partial left
    back = manager.load_input(dg.build_input_context(asset_key=key))
    # Text in an object column comes back as pandas' text dtype, the same values.
    pd.testing.assert_frame_equal(back, frame.astype({"_read_error": "str"}))
    chunks = pq.ParquetFile(path).metadata.row_group(0)
    assert not any(chunks.column(i).is_stats_set for i in range(chunks.num_columns))
