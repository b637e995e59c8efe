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

from odc_pipeline.source_status import failed_frame

#: Resource key of the input manager that loads only a frame's row numbers (its row count).
ROW_NUMBERS_LOADER = "row_numbers_loader"
#: Resource key of the input manager that hands over a function loading the frame when called:
#: a step with many large inputs (the publish) then holds one of them at a time.
LAZY_FRAME_LOADER = "lazy_frame_loader"


class ParquetIOManager(dg.ConfigurableIOManager):
    """Stores each asset's frame at `<base_dir>/<asset key path>.parquet`."""

    base_dir: str
    #: Load only these columns (those the file has): for a step that needs a count, not cells.
    load_columns: list[str] = []
    #: Hand over `() -> DataFrame` instead of the frame (see LAZY_FRAME_LOADER).
    lazy: bool = False

    def _path(self, key: dg.AssetKey) -> Path:
        return Path(self.base_dir, *key.path).with_suffix(".parquet")

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame) -> None:
        path = self._path(context.asset_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside and rename, so a crash never leaves a half-written file for the next step.
        partial = path.with_suffix(".parquet.partial")
        obj.to_parquet(partial, index=False)
        os.replace(partial, path)
        context.add_output_metadata({"path": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext) -> pd.DataFrame | Callable[[], pd.DataFrame]:
        path = self._path(context.asset_key)
        if self.lazy:
            return partial(self._read, path, context.asset_key)
        return self._read(path, context.asset_key)

    def _read(self, path: Path, key: dg.AssetKey) -> pd.DataFrame:
        if not path.exists():
            # Travels as a source that cannot be used this run (see source_status), so one
            # never-run source does not stop a run that publishes the others.
            return failed_frame(
                f"{key.to_user_string()} has not been materialized yet "
                f"(no file at {path}); materialize it first."
            )
        if self.load_columns:
            present = set(pq.read_schema(path).names)
            columns = [c for c in self.load_columns if c in present]
            return pd.read_parquet(path, columns=columns or None)
        return pd.read_parquet(path)
