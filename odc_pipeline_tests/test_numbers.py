"""Indonesian whole numbers are read as written, and nothing ambiguous is guessed."""

from __future__ import annotations

import pandas as pd
import pytest

from odc_pipeline.validation.numbers import parse_whole_number, parse_whole_number_column


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234567", 1234567),
        ("1.234.567", 1234567),
        ("1,234,567", 1234567),
        ("1 234 567", 1234567),
        ("  42 ", 42),
        ("-150", -150),
        ("0", 0),
        ("999.999", 999999),
    ],
)
def test_accepted_forms(text, expected):
    assert parse_whole_number(text) == (expected, True)


@pytest.mark.parametrize("text", [None, "", "-", "N/A", "null", "—"])
def test_missing_markers_are_missing_not_errors(text):
    assert parse_whole_number(text) == (None, True)


@pytest.mark.parametrize("text", ["12a", "1.23.456", "12,5", "1.2.3", "1.234,5", "12.5", "satu"])
def test_unreadable_or_ambiguous_forms_are_reported(text):
    assert parse_whole_number(text) == (None, False)


def test_column_parse_keeps_index_and_marks_bad_cells():
    values = pd.Series(["1.000", None, "x", "2,500", "-"], index=[10, 11, 12, 13, 14], dtype=object)
    numbers, unreadable = parse_whole_number_column(values)
    assert numbers.dtype == "Int64"
    assert numbers.tolist() == [1000, pd.NA, pd.NA, 2500, pd.NA]
    assert unreadable.tolist() == [False, False, True, False, False]
    assert list(numbers.index) == [10, 11, 12, 13, 14]
