"""Frames travel between steps as Arrow files: every dtype comes back as it went, written
beside and renamed; a frame an earlier version stored as Parquet is still found."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pyarrow as pa

from odc_pipeline.defs.io_manager import ArrowFileIOManager

KEY = dg.AssetKey(["validated_demo"])


def _frame() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "region_code": pd.Categorical(["32.04", None, "32.73"]),
            "votes": pd.array([120, None, 7], dtype="Int64"),
            "candidate": pd.Series(["A", "B", None], dtype="str"),
            "_read_error": pd.Series([None, "line 2 is not valid JSON", None], dtype=object),
            "_source_row": [1, 2, 3],
        }
    )
    frame.index = [10, 11, 12]  # not stored: the next step numbers rows afresh
    return frame


def test_a_frame_comes_back_as_it_was_stored(tmp_path):
    manager = ArrowFileIOManager(base_dir=str(tmp_path))
    frame = _frame()
    manager.handle_output(dg.build_output_context(asset_key=KEY), frame)
    path = tmp_path / "validated_demo.arrow"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no .partial left
    with pa.OSFile(str(path)) as source:
        stored = pa.ipc.open_file(source).read_all()
    assert stored.column_names == list(frame.columns)  # no index column
    back = manager.load_input(dg.build_input_context(asset_key=KEY))
    # Text in an object column comes back as pandas' text dtype, the same values.
    expected = frame.astype({"_read_error": "str"}).reset_index(drop=True)
    pd.testing.assert_frame_equal(back, expected)
    only_rows = ArrowFileIOManager(base_dir=str(tmp_path), load_columns=["_source_row", "nope"])
    loaded = only_rows.load_input(dg.build_input_context(asset_key=KEY))
    assert list(loaded.columns) == ["_source_row"] and loaded["_source_row"].tolist() == [1, 2, 3]


def test_a_frame_stored_as_parquet_before_the_upgrade_is_read_then_superseded(tmp_path):
    manager = ArrowFileIOManager(base_dir=str(tmp_path))
    frame = _frame().reset_index(drop=True)
    legacy = tmp_path / "validated_demo.parquet"
    frame.to_parquet(legacy, index=False)
    back = manager.load_input(dg.build_input_context(asset_key=KEY))
    pd.testing.assert_frame_equal(back, frame.astype({"_read_error": "str"}))
    counted = ArrowFileIOManager(base_dir=str(tmp_path), load_columns=["_source_row"])
    assert list(counted.load_input(dg.build_input_context(asset_key=KEY)).columns) == [
        "_source_row"
    ]
    manager.handle_output(dg.build_output_context(asset_key=KEY), frame.head(1))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["validated_demo.arrow"]
    assert len(manager.load_input(dg.build_input_context(asset_key=KEY))) == 1


def test_a_frame_never_stored_travels_as_a_failed_source(tmp_path):
    manager = ArrowFileIOManager(base_dir=str(tmp_path))
    back = manager.load_input(dg.build_input_context(asset_key=KEY))
    from odc_pipeline.source_status import source_error

    message = source_error(back)
    assert message.startswith("validated_demo has not been materialized yet")
    assert str(tmp_path / "validated_demo.arrow") in message
