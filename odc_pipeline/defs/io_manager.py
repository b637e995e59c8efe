"""Frames travel between assets as Arrow IPC files (`.arrow`, Feather v2), one per asset,
not as pickles.

The Arrow file keeps dtypes (nullable integers stay integers, categories stay categories), is
read by pandas (`pd.read_feather`), R and Polars, and is safe to load: unpickling a file can run
code. It replaced Parquet, which encodes and decodes every page; the Arrow file is Arrow's own
layout compressed with zstd, quicker to write and read.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq

from odc_pipeline.source_status import failed_frame, source_error

#: Resource key of the input manager that loads only a frame's row numbers (its row count).
ROW_NUMBERS_LOADER = "row_numbers_loader"
#: Resource key of the input manager that hands over a function loading the frame when called:
#: a step with many large inputs (the publish) then holds one of them at a time.
LAZY_FRAME_LOADER = "lazy_frame_loader"


#: The files' compression: zstd makes them smaller than Parquet's default and is fast to undo.
COMPRESSION = "zstd"
#: What earlier versions wrote: still read where no Arrow file is there yet, so a step run
#: alone just after an upgrade finds what the steps before it stored.
_LEGACY_SUFFIX = ".parquet"


class ArrowFileIOManager(dg.ConfigurableIOManager):
    """Stores each asset's frame at `<base_dir>/<asset key path>.arrow`, and each partition
    (year) of a partitioned asset at `<base_dir>/<asset key path>/<year>.arrow`."""

    base_dir: str
    #: Load only these columns (those the file has): for a step that needs a count, not cells.
    load_columns: list[str] = []
    #: Hand over `() -> DataFrame` instead of the frame (see LAZY_FRAME_LOADER).
    lazy: bool = False

    def _path(self, key: dg.AssetKey, partition: str | None = None) -> Path:
        base = Path(self.base_dir, *key.path)
        return (base / partition if partition else base).with_suffix(".arrow")

    def handle_output(self, context: dg.OutputContext, obj: pd.DataFrame) -> None:
        partition = context.asset_partition_key if context.has_asset_partitions else None
        path = self._path(context.asset_key, partition)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside and rename, so a crash never leaves a half-written file for the next step.
        partial = path.with_suffix(".arrow.partial")
        write_frame(obj, partial)
        os.replace(partial, path)
        path.with_suffix(_LEGACY_SUFFIX).unlink(missing_ok=True)  # superseded
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
        found = {p: stored for p, path in paths.items() if (stored := _stored(path))}
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
        for partition, stored in found.items():
            frame = self._load(stored)
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
        stored = _stored(path)
        if stored is None:
            # Travels as a source that cannot be used this run (see source_status), so one
            # never-run source does not stop a run that publishes the others.
            what = key.to_user_string() + (f" for {partition}" if partition else "")
            return failed_frame(
                f"{what} has not been materialized yet (no file at {path}); materialize it first."
            )
        return self._load(stored)

    def _load(self, stored: Path) -> pd.DataFrame:
        """The frame in `stored`, a file `_stored` found (Arrow, or an earlier Parquet one)."""
        legacy = stored.suffix == _LEGACY_SUFFIX
        wanted = self._wanted(stored, legacy)
        if legacy:
            return pd.read_parquet(stored, columns=wanted)
        return feather.read_table(stored, columns=wanted).to_pandas()

    def _wanted(self, stored: Path, legacy: bool) -> list[str] | None:
        """The columns to load: those of `load_columns` the file has, or every one (None).
        Only the file's schema (its footer) is read, and only when columns are asked for."""
        if not self.load_columns:
            return None
        if legacy:
            schema = pq.read_schema(stored)
        else:
            with pa.OSFile(str(stored)) as source:
                schema = pa.ipc.open_file(source).schema
        present = set(schema.names)
        return [c for c in self.load_columns if c in present] or None


#: Rows made into Arrow and written at once: storing a frame holds one batch's Arrow copy,
#: not a copy of the whole frame beside it.
WRITE_BATCH_ROWS = 262_144


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """The frame as an Arrow IPC file (Feather v2), without its index (as Parquet had it),
    with the frame's `attrs`, written a batch of rows at a time."""
    schema = pa.Schema.from_pandas(frame, preserve_index=False)
    options = pa.ipc.IpcWriteOptions(compression=COMPRESSION)
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, schema, options=options) as out:
        for start in range(0, len(frame), WRITE_BATCH_ROWS):
            rows = frame.iloc[start : start + WRITE_BATCH_ROWS]
            out.write_table(pa.Table.from_pandas(rows, schema=schema, preserve_index=False))


def _stored(path: Path) -> Path | None:
    """The file holding the frame meant for `path`: the Arrow file, or else one an earlier
    version wrote as Parquet; None when neither is there."""
    for candidate in (path, path.with_suffix(_LEGACY_SUFFIX)):
        if candidate.exists():
            return candidate
    return None
