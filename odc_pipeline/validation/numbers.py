"""Whole numbers written the way Indonesian spreadsheets write them.

`1.234.567` (dot as thousands separator) is the Indonesian default, `1,234,567` comes from
English-locale exports, `1234567` from databases. Each is accepted only when its grouping is
exact. A single group written with the other locale's separator (`1,234` in an Indonesian
file: one thousand two hundred thirty-four, or one point two three four?) is ambiguous and
reported with the setting that would decide it, never guessed.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from odc_pipeline.quoting import quoted

MISSING_MARKERS = frozenset({"", "-", "–", "—", "n/a", "na", "null", "none", "nan"})

_PLAIN = re.compile(r"^[+-]?\d+$")
_GROUPED = {sep: re.compile(rf"^[+-]?\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+$") for sep in (".", ",")}
_SPACE_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:[ \u00a0]\d{3})+$")
_THOUSANDS = {"id": ".", "en": ","}
#: A whole number a float-typed export wrote with one zero decimal (`2019.0`, `3201.0` in an
#: English-locale file, `2019,0` in an Indonesian one); `1.000` stays ambiguous (see above).
_ZERO_FRACTION = {"en": re.compile(r"^([+-]?\d+)\.0$"), "id": re.compile(r"^([+-]?\d+),0$")}

WHOLE_NUMBER_HINT = "a whole number such as 1234567, 1.234.567 or 1,234,567"
#: The warehouse stores whole numbers in 64 bits (BIGINT); a larger one is reported, never
#: wrapped around or rounded.
_LARGEST = int(np.iinfo(np.int64).max)
_SMALLEST = int(np.iinfo(np.int64).min)
#: The longest way to write a whole number the warehouse can store: 19 digits, a sign and
#: six thousands separators, and room for a zero fraction (`,0`).
_LONGEST_WRITTEN = 30


def parse_whole_number(text: str | None, locale: str = "id") -> tuple[int | None, str | None]:
    """Return (value, None), (None, None) for a missing marker, or (None, what is wrong)."""
    value, problem = _parse_whole_number(text, locale)
    if value is not None and not _SMALLEST <= value <= _LARGEST:
        return None, (
            f"{str(text).strip()!r} is beyond what the warehouse can store (whole numbers from "
            f"{_SMALLEST:,} to {_LARGEST:,})"
        )
    return value, problem


def _parse_whole_number(text: str | None, locale: str) -> tuple[int | None, str | None]:
    if text is None:
        return None, None
    value = str(text).strip()
    if value.casefold() in MISSING_MARKERS:
        return None, None
    if len(value) > _LONGEST_WRITTEN:
        # Never handed to `int`: past 4,300 digits Python refuses to convert at all.
        return None, f"{quoted(value)} is not {WHOLE_NUMBER_HINT}: it is far too long"
    if _PLAIN.match(value):
        return int(value), None
    zero_fraction = _ZERO_FRACTION[locale].match(value)
    if zero_fraction:
        return int(zero_fraction.group(1)), None
    if _SPACE_GROUPED.match(value):
        return int(re.sub(r"[ \u00a0]", "", value)), None
    own = _THOUSANDS[locale]
    for separator, pattern in _GROUPED.items():
        if not pattern.match(value):
            continue
        if separator != own and value.count(separator) == 1:
            other = "en" if locale == "id" else "id"
            return None, (
                f"{value!r} is ambiguous: in this source's locale ({locale!r}) {separator!r} marks "
                f"decimals, so it is not a whole number; if the file writes thousands with "
                f"{separator!r}, set read.locale: {other}"
            )
        return int(value.replace(separator, "")), None
    return None, f"{value!r} is not {WHOLE_NUMBER_HINT}"


def parse_whole_number_column(values: pd.Series, locale: str = "id") -> tuple[pd.Series, pd.Series]:
    """Parse a text column; returns (nullable Int64 values, problem text per cell or None).

    Parsing runs once per distinct text, not per row: result files repeat the same few
    thousand values across millions of rows.
    """
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    parsed = [parse_whole_number(text, locale) for text in distinct]
    # Whole numbers stay integers all the way (through floats, 9,007,199,254,740,993 would
    # lose its last digit). Code -1 (a missing cell) picks the trailing missing entry.
    numbers = np.array([0 if v is None else v for v, _ in parsed] + [0], dtype=np.int64)
    missing = np.array([v is None for v, _ in parsed] + [True], dtype=bool)
    problems = np.array([p for _, p in parsed] + [None], dtype=object)
    as_numbers = pd.arrays.IntegerArray(numbers[codes], missing[codes])
    return pd.Series(as_numbers, index=values.index), pd.Series(
        problems[codes], index=values.index, dtype=object
    )
