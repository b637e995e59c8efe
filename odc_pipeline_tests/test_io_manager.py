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


def test_a_long_frame_is_written_a_batch_of_rows_at_a_time(tmp_path, monkeypatch):
    """Storing holds one batch's Arrow copy, not the whole frame's: the file has a record
    batch per WRITE_BATCH_ROWS rows, and the frame, its dtypes and its attrs come back."""
    from odc_pipeline.defs import io_manager

    monkeypatch.setattr(io_manager, "WRITE_BATCH_ROWS", 2)
    frame = pd.concat([_frame()] * 3, ignore_index=True)  # 9 rows
    frame["_file_hash"] = pd.Categorical(["f" * 64] * 9)
    frame["when"] = pd.to_datetime(["2024-02-14"] * 8 + [None])
    frame.attrs["odc_error"] = "kept"
    manager = ArrowFileIOManager(base_dir=str(tmp_path))
    manager.handle_output(dg.build_output_context(asset_key=KEY), frame)
    with pa.OSFile(str(tmp_path / "validated_demo.arrow")) as source:
        stored = pa.ipc.open_file(source)
        sizes = [stored.get_batch(i).num_rows for i in range(stored.num_record_batches)]
    # At most 2 rows a batch (a batch may be split where the frame's own chunks end).
    assert sum(sizes) == 9 and max(sizes) == 2 and len(sizes) >= 5
    back = manager.load_input(dg.build_input_context(asset_key=KEY))
    pd.testing.assert_frame_equal(back, frame.astype({"_read_error": "str"}))
    assert back.attrs == {"odc_error": "kept"}


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
