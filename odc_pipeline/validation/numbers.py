"""Whole numbers written the way Indonesian spreadsheets write them.

`1.234.567` (dot as thousands separator) is the Indonesian default, `1,234,567` comes from
English-locale exports, `1234567` from databases. Each is accepted only when its grouping is
exact; anything else (`1.2.3`, `12,5` in a count, `12a`) is reported, never guessed.
"""

from __future__ import annotations

import re

import pandas as pd

MISSING_MARKERS = frozenset({"", "-", "–", "—", "n/a", "na", "null", "none", "nan"})

_PLAIN = re.compile(r"^[+-]?\d+$")
_DOT_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+$")
_COMMA_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+$")
_SPACE_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:[ \u00a0]\d{3})+$")

WHOLE_NUMBER_HINT = "a whole number such as 1234567, 1.234.567 or 1,234,567"


def parse_whole_number(text: str | None) -> tuple[int | None, bool]:
    """Return (value, ok). Missing markers give (None, True); unreadable text gives (None, False)."""
    if text is None:
        return None, True
    value = str(text).strip()
    if value.casefold() in MISSING_MARKERS:
        return None, True
    if _PLAIN.match(value):
        return int(value), True
    for pattern, separator in ((_DOT_GROUPED, "."), (_COMMA_GROUPED, ","), (_SPACE_GROUPED, None)):
        if pattern.match(value):
            digits = value.replace(separator, "") if separator else re.sub(r"[ \u00a0]", "", value)
            return int(digits), True
    return None, False


def parse_whole_number_column(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a text column; returns (nullable Int64 values, mask of cells that could not be read).

    Parsing runs once per distinct text, not per row: result files repeat the same few
    thousand values across millions of rows.
    """
    distinct = values.dropna().unique()
    parsed = {text: parse_whole_number(text) for text in distinct}
    numbers = values.map(lambda t: parsed[t][0] if t in parsed else None)
    unreadable = values.map(lambda t: t in parsed and not parsed[t][1]).astype(bool)
    return pd.Series(numbers.tolist(), index=values.index, dtype="Int64"), unreadable
