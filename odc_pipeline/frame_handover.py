"""Handing a frame's rows on to the next stage without holding two copies of them.

A step that keeps some of a source's rows (validation keeps the rows that passed, the publish
the rows that found a region) would otherwise hold the whole frame and its filtered copy side
by side: for a province's polling-station file, the largest cost of the step. These move the
columns out of the frame instead, so that each original column is let go as soon as its kept
rows are copied. The frame handed over is left with its index and `attrs` but no columns: its
owner (a Dagster input, a caller's variable) keeps only those.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def take_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame holding `frame`'s columns (the same arrays, no copy), leaving `frame` none."""
    taken = frame.copy(deep=False)
    for name in list(frame.columns):
        del frame[name]
    return taken


def move_rows(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """The rows of `frame` where `keep`, moved out of it a column at a time (every row kept:
    the columns themselves, no copy), leaving `frame` no columns."""
    if keep.all():
        return take_columns(frame)
    index = frame.index[keep]
    moved = {name: frame.pop(name).array[keep] for name in list(frame.columns)}
    rows = pd.DataFrame(moved, index=index, copy=False)
    rows.attrs = dict(frame.attrs)
    return rows
