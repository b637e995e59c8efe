"""Distinct combinations of a frame's values, for work done once per combination.

Harmonizers look up each distinct spelling once and spread the answer back to every row,
so their cost grows with the spellings a source uses, not with its rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def empty_text(rows: int) -> pd.Categorical:
    """A text column with no value in any row, at one byte a row. Its categories are typed
    as text: Arrow cannot store a dictionary of values of no type."""
    return pd.Categorical.from_codes(
        np.full(rows, -1, dtype=np.int8), categories=pd.Index([], dtype="string")
    )


def spread_text(
    per_combination: list, inverse: np.ndarray
) -> pd.Categorical | pd.api.extensions.ExtensionArray:
    """Per-combination text onto every row as a categorical (codes into the distinct values,
    as Parquet stores them): no Python object per row."""
    codes, categories = pd.factorize(pd.Series(per_combination, dtype=object), use_na_sentinel=True)
    if not len(categories):
        return empty_text(len(inverse))
    return pd.Categorical.from_codes(
        codes[inverse] if len(inverse) else codes[:0], categories=categories
    )


def combination_codes(
    frame: pd.DataFrame, columns: list[str]
) -> tuple[np.ndarray, list[tuple[np.ndarray, object]]]:
    """Row -> number of its distinct combination of values (numbered in order of first
    appearance), and each column's own codes and distinct values.

    Factorizing each column and combining the integer codes is much cheaper than hashing
    tuples of strings or merging frames: this is what keeps millions of rows cheap.
    """
    combined = np.zeros(len(frame), dtype=np.int64)
    per_column = []
    for column in columns:
        codes, uniques = pd.factorize(frame[column], use_na_sentinel=False)
        combined = _combined(combined, codes, len(uniques))
        per_column.append((codes, uniques))
    return combined, per_column


#: Keys are numbered by mixing each column's codes in while their product stays below this.
_KEY_SPAN = 2**62


def repeated_rows(
    frame: pd.DataFrame, columns: list[str], comparable: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the `comparable` rows whose values of `columns` another comparable
    row repeats, and each one's key: rows of equal keys hold equal values.

    For a duplicate check over millions of rows: the key is each column's codes mixed into
    one number, and repeated keys are found by sorting, not by a hash table of every row
    (which took more memory than the check's columns themselves)."""
    key = np.zeros(len(frame), dtype=np.int64)
    span = 1
    for column in columns:
        codes, uniques = pd.factorize(frame[column], use_na_sentinel=False)
        width = len(uniques) + 1
        if span * width >= _KEY_SPAN:  # renumber the keys so far, densely, to make room
            key = pd.factorize(key)[0].astype(np.int64, copy=False)
            span = int(key.max()) + 1 if len(key) else 1
        key = key * width + codes
        span *= width
    ordered = np.sort(key[comparable])
    shared = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    del ordered
    if not len(shared):
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.int64)
    found = np.searchsorted(shared, key).clip(max=len(shared) - 1)
    positions = np.flatnonzero(comparable & (shared[found] == key))
    return positions, key[positions]


def _combined(combined: np.ndarray, codes: np.ndarray, distinct: int) -> np.ndarray:
    """The combination numbers with one more column's codes; re-factorized so that they stay
    below the row count."""
    return pd.factorize(combined * (distinct + 1) + codes)[0]


def distinct_combinations(
    frame: pd.DataFrame, columns: list[str]
) -> tuple[np.ndarray, list[tuple]]:
    """Row -> position of its distinct combination of values, and those combinations."""
    if len(columns) == 1:
        # One column: its factorization already numbers the values in order of first
        # appearance, which is what the combination would be numbered by below.
        codes, uniques = pd.factorize(frame[columns[0]], use_na_sentinel=False)
        return codes.astype(np.int64, copy=False), [(v,) for v in np.asarray(uniques, dtype=object)]
    combined, per_column = combination_codes(frame, columns)
    # Find each combination's first row by writing row numbers backwards, so the earliest
    # row wins.
    first = np.empty(int(combined.max()) + 1 if len(combined) else 0, dtype=np.int64)
    first[combined[::-1]] = np.arange(len(combined) - 1, -1, -1)
    columns_of_values = [
        (codes, np.asarray(uniques, dtype=object)) for codes, uniques in per_column
    ]
    combos = [tuple(uniques[codes[row]] for codes, uniques in columns_of_values) for row in first]
    return combined, combos
