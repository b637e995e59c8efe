"""Frames travel between assets as Parquet files, one per asset, not as pickles.

Parquet keeps dtypes (nullable integers stay integers), is readable by any tool a steward or
analyst has (pandas, DuckDB, R), and is safe to load: unpickling a file can run code.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq

from odc_pipeline.source_status import failed_frame, source_error

#: Resource key of the input manager that loads only a frame's row numbers (its row count).
ROW_NUMBERS_LOADER = "row_numbers_loader"
#: Resource key of the input manager that hands over a function loading the frame when called:
#: a step with many large inputs (the publish) then holds one of them at a time.
LAZY_FRAME_LOADER = "lazy_frame_loader"


class ParquetIOManager(dg.ConfigurableIOManager):
    """Stores each asset's frame at `<base_dir>/<asset key path>.parquet`, and each partition
    (year) of a partitioned asset at `<base_dir>/<asset key path>/<year>.parquet`."""

    base_dir: str
    #: Load only these columns (those the file has): for a step that needs a count, not cells.
    load_columns: list[str] = []
    #: Hand over `() -> DataFrame` instead of the frame (see LAZY_FRAME_LOADER).
    lazy: bool = False

    def _path(self, key: dg.AssetKey, partition: str | None = None) -> Path:
        base = Path(self.base_dir, *key.path)
        return (base / partition if partition else base).with_suffix(".parquet")

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame) -> None:
        partition = context.asset_partition_key if context.has_asset_partitions else None
        path = self._path(context.asset_key, partition)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside and rename, so a crash never leaves a half-written file for the next step.
        partial = path.with_suffix(".parquet.partial")
        # No min/max statistics per column chunk: the next step reads every row, so they
        # are never used, and computing them cost time: the 2M-row night's 41 files were
        # written in 2.1-2.5 s instead of 2.5-3.3 s (3 runs each), the same size, read as fast.
        obj.to_parquet(partial, index=False, write_statistics=False)
        os.replace(partial, path)
        context.add_output_metadata({"path": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext) -> pd.DataFrame | Callable[[], pd.DataFrame]:
        key = context.asset_key
        if context.has_asset_partitions:
            paths = {p: self._path(key, p) for p in context.asset_partition_keys}
            load = partial(self._read_partitions, paths, key, context.log)
        else:
            load = partial(self._read, self._path(key), key)
        return load if self.lazy else load()

    def _read_partitions(self, paths: dict[str, Path], key: dg.AssetKey, log) -> pd.DataFrame:
        """The years of a partitioned asset as one frame (for a step that takes every year,
        the publish). A year that failed holds the whole source back, as one file would:
        publishing the other years alone would silently drop a year analysts had."""
        found = {p: path for p, path in paths.items() if path.exists()}
        if len(paths) == 1 and not found:
            ((partition, path),) = paths.items()
            return self._read(path, key, partition)
        if not found:
            return failed_frame(
                f"{key.to_user_string()} has not been materialized for any year yet "
                f"(no file under {Path(self.base_dir, *key.path)}); materialize a year first."
            )
        missing = sorted(set(paths) - set(found))
        if missing and log is not None:
            log.info(f"{key.to_user_string()}: no materialization yet for {', '.join(missing)}")
        frames = []
        for partition, path in found.items():
            frame = self._read(path, key, partition)
            error = source_error(frame)
            if error:  # no need to read the other years
                return failed_frame(f"{partition}: {error}")
            frames.append(frame)
        with_rows = [frame for frame in frames if len(frame)]
        if len(with_rows) == 1:
            return with_rows[0]
        if not with_rows:
            return frames[0]
        return pd.concat(with_rows, ignore_index=True)

    def _read(self, path: Path, key: dg.AssetKey, partition: str | None = None) -> pd.DataFrame:
        if not path.exists():
            # Travels as a source that cannot be used this run (see source_status), so one
            # never-run source does not stop a run that publishes the others.
            what = key.to_user_string() + (f" for {partition}" if partition else "")
            return failed_frame(
                f"{what} has not been materialized yet (no file at {path}); materialize it first."
            )
        if self.load_columns:
            present = set(pq.read_schema(path).names)
            columns = [c for c in self.load_columns if c in present]
            return pd.read_parquet(path, columns=columns or None)
        return pd.read_parquet(path)
