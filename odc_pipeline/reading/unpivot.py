"""Turn columns that each hold the same measure into rows (`pas1`, `pas2` → one row per pair).

Applied after any reader: the warehouse keeps one row per candidate, and members' files often
put candidates side by side. The new rows are numbered in order (a file row's labels side by
side), because a row number must name one published row. A set-aside row is still easy to
find in the file: quarantine keeps its region and label with the reason.
"""

from __future__ import annotations

import pandas as pd

from odc_pipeline.reading.headers import READ_ERROR, SOURCE_ROW, header_key
from odc_pipeline.registry.model import Unpivot


class UnpivotError(ValueError):
    """The file lacks a column the registry says to unpivot."""


def unpivot(frame: pd.DataFrame, options: Unpivot) -> pd.DataFrame:
    by_key = {header_key(str(c)): c for c in frame.columns}
    found = {column: by_key.get(header_key(column)) for column in options.columns}
    missing = [column for column, header in found.items() if header is None]
    if missing:
        raise UnpivotError(
            f"read.unpivot: the file has no column {', '.join(map(repr, missing))}; "
            f"its columns are {', '.join(map(str, frame.columns))}"
        )
    keep = [c for c in frame.columns if c not in set(found.values())]
    # A row that could not be read has no values to spread: it stays one row, with its reason.
    unreadable = frame[READ_ERROR].notna() if READ_ERROR in frame.columns else None
    readable = frame if unreadable is None else frame[~unreadable]
    parts = []
    for column, label in options.columns.items():
        part = readable[keep].copy()
        part[options.name] = label
        part[options.value] = readable[found[column]]
        parts.append(part)
    if unreadable is not None and unreadable.any():
        parts.append(
            frame.loc[unreadable, keep].assign(**{options.name: None, options.value: None})
        )
    out = pd.concat(parts, ignore_index=True)
    # One file row's labels side by side again, in the file's order.
    out = out.iloc[out[SOURCE_ROW].argsort(kind="stable")].reset_index(drop=True)
    out[SOURCE_ROW] = pd.RangeIndex(1, len(out) + 1).to_numpy(dtype="int64")
    return out
