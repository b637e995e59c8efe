"""The rows a duplicate check names are exactly those pandas' own `duplicated` finds, with
keys equal where the rows are, however many distinct values the key's columns hold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from odc_pipeline.distinct import repeated_rows


def _as_pandas_finds(frame: pd.DataFrame, comparable: np.ndarray) -> np.ndarray:
    rows = frame[comparable]
    return np.flatnonzero(comparable)[rows.duplicated(keep=False).to_numpy()]


def _check(frame: pd.DataFrame, comparable: np.ndarray) -> np.ndarray:
    """Check `repeated_rows` against pandas; the keys it gave."""
    positions, keys = repeated_rows(frame, list(frame.columns), comparable)
    expected = _as_pandas_finds(frame, comparable)
    assert positions.tolist() == expected.tolist()
    assert len(expected) > 0
    # Equal keys for equal rows, different keys for different rows.
    values = [tuple(row) for row in frame.iloc[positions].itertuples(index=False)]
    by_key: dict[int, set] = {}
    for key, value in zip(keys.tolist(), values, strict=True):
        by_key.setdefault(key, set()).add(value)
    assert all(len(found) == 1 for found in by_key.values())
    assert len(by_key) == len(set(values))
    return keys


def test_repeated_rows_of_few_values_are_those_pandas_finds():
    generator = np.random.default_rng(3)
    rows = 20_000
    frame = pd.DataFrame(
        {
            "kode_desa": generator.choice(["3201", "3202", "3273"], rows),
            "no_tps": generator.integers(1, 40, rows).astype(str),
            "party": pd.Series(generator.integers(1, 19, rows).astype(str)),
            "votes": generator.integers(0, 5, rows),
        }
    )
    frame.loc[generator.random(rows) < 0.01, "party"] = None
    comparable = frame.notna().all(axis=1).to_numpy() & (generator.random(rows) < 0.9)
    _check(frame, comparable)


@pytest.mark.parametrize("columns", [5, 9])
def test_a_key_of_many_distinct_values_is_renumbered_not_overflowed(columns):
    """Five columns of some 30,000 values each have more combinations than an int64 can
    number: the key is renumbered on the way, and still names the same rows."""
    generator = np.random.default_rng(columns)
    distinct = generator.integers(0, 2**40, (30_000, columns))
    picked = np.concatenate([distinct, distinct[generator.integers(0, 30_000, 500)]])
    picked[generator.integers(0, len(picked), 300), -1] += 1  # near-misses: one value apart
    frame = pd.DataFrame({f"c{n}": picked[:, n].astype(str) for n in range(columns)})
    comparable = np.ones(len(frame), dtype=bool)
    keys = _check(frame, comparable)
    # A key mixed past int64's end would wrap, and come out negative for about half the rows.
    assert keys.min() >= 0


def test_no_repeat_and_no_row_find_nothing():
    frame = pd.DataFrame({"a": ["1", "2", "1"], "b": ["x", "x", "y"]})
    positions, keys = repeated_rows(frame, ["a", "b"], np.ones(3, dtype=bool))
    assert positions.tolist() == [] and keys.tolist() == []
    empty = frame.iloc[0:0]
    positions, _ = repeated_rows(empty, ["a", "b"], np.ones(0, dtype=bool))
    assert positions.tolist() == []
