"""Indonesian numbers, percentages and dates are read as written; nothing ambiguous is guessed."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from odc_pipeline.validation.numbers import (
    WHOLE_NUMBER_HINT,
    parse_whole_number,
    parse_whole_number_column,
)
from odc_pipeline.validation.values import parse_date, parse_decimal


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
    assert parse_whole_number(text) == (expected, None)


@pytest.mark.parametrize("text", [None, "", "-", "N/A", "null", "—"])
def test_missing_markers_are_missing_not_errors(text):
    assert parse_whole_number(text) == (None, None)


@pytest.mark.parametrize("text", ["12a", "1.23.456", "12,5", "1.2.3", "1.234,5", "12.5", "satu"])
def test_unreadable_forms_are_reported(text):
    value, problem = parse_whole_number(text)
    assert value is None
    assert problem == f"{text!r} is not a whole number such as 1234567, 1.234.567 or 1,234,567"


def test_a_single_comma_group_is_ambiguous_in_an_indonesian_file():
    value, problem = parse_whole_number("1,234")
    assert value is None
    assert problem == (
        "'1,234' is ambiguous: in this source's locale ('id') ',' marks decimals, so it is not a "
        "whole number; if the file writes thousands with ',', set read.locale: en"
    )
    assert parse_whole_number("1,234", locale="en") == (1234, None)
    assert parse_whole_number("1.234", locale="en")[0] is None
    assert parse_whole_number("1.234") == (1234, None)


def test_column_parse_keeps_index_and_marks_bad_cells():
    values = pd.Series(
        ["1.000", None, "x", "2,500,000", "-"], index=[10, 11, 12, 13, 14], dtype=object
    )
    numbers, problems = parse_whole_number_column(values)
    assert numbers.dtype == "Int64"
    assert numbers.tolist() == [1000, pd.NA, pd.NA, 2500000, pd.NA]
    assert problems.notna().tolist() == [False, False, True, False, False]
    assert list(numbers.index) == [10, 11, 12, 13, 14]


def test_large_whole_numbers_keep_every_digit_or_are_reported():
    """Whole numbers stay integers: through floats the first would lose its last digit, and
    the last would come out as -9,223,372,036,854,775,808 with no complaint."""
    values = pd.Series(
        ["9007199254740993", "9.223.372.036.854.775.807", "-9223372036854775808", "1" + "0" * 19],
        index=[5, 6, 7, 8],
        dtype=object,
    )
    numbers, problems = parse_whole_number_column(values)
    assert numbers.dtype == "Int64" and list(numbers.index) == [5, 6, 7, 8]
    assert numbers.tolist()[:3] == [9007199254740993, 9223372036854775807, -9223372036854775808]
    assert numbers.isna().tolist() == [False, False, False, True]
    assert problems.tolist()[:3] == [None, None, None]
    assert problems[8] == (
        "'10000000000000000000' is beyond what the warehouse can store (whole numbers from "
        "-9,223,372,036,854,775,808 to 9,223,372,036,854,775,807)"
    )
    assert parse_whole_number("-" + "9" * 20)[0] is None


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("12,5", "id", 12.5),
        ("1.234,5", "id", 1234.5),
        ("12.500", "id", 12500.0),
        ("3", "id", 3.0),
        ("12.5", "en", 12.5),
        ("1,234.5", "en", 1234.5),
    ],
)
def test_decimals(text, locale, expected):
    assert parse_decimal(text, locale) == (expected, None)


def test_a_decimal_in_the_other_locale_is_reported_with_the_setting():
    value, problem = parse_decimal("12.5", "id")
    assert value is None
    assert problem == (
        "'12.5' is written with '.' as the decimal separator, but this source is read with locale "
        "'id' (',' for decimals); set read.locale: en if the whole file is written that way"
    )


def test_percentages_are_read_in_percent_points():
    assert parse_decimal("45,2%") == (45.2, None)
    assert parse_decimal("100 %") == (100.0, None)
    assert parse_decimal("120%") == (120.0, None)  # a growth rate may pass 100
    assert parse_decimal("-3,5%") == (-3.5, None)
    assert parse_decimal("-") == (None, None)
    assert parse_decimal("45.2%", "en") == (45.2, None)
    assert parse_decimal("%")[1] == "'%' is not a number (expected e.g. 12,5 or 1.234,5)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17 April 2019", date(2019, 4, 17)),
        ("17 Agustus 1945", date(1945, 8, 17)),
        ("17 Agt 2019", date(2019, 8, 17)),
        ("1 Mei 2024", date(2024, 5, 1)),
        ("14 Desember 2023", date(2023, 12, 14)),
        ("17-04-2019", date(2019, 4, 17)),
        ("17/04/2019", date(2019, 4, 17)),
        ("2019-04-17", date(2019, 4, 17)),
        ("2019-04-17 00:00:00", date(2019, 4, 17)),
    ],
)
def test_dates(text, expected):
    assert parse_date(text) == (expected, None)


def test_impossible_and_month_first_dates_are_explained():
    assert parse_date("04/17/2019")[1] == (
        "'04/17/2019' is not a date: there is no month 17; dates are read day first (e.g. 17-04-2019): "
        "was it 17-04-2019 written month first?"
    )
    assert parse_date("31-02-2019")[1] == "'31-02-2019' is not a date: 2019-02-31 does not exist"
    assert (
        parse_date("17 Apirl 2019")[1]
        == "'17 Apirl 2019': 'apirl' is not a month name (Januari … Desember)"
    )


def test_a_number_thousands_of_digits_long_is_refused_not_crashed():
    # Python refuses to convert more than 4,300 digits; the cell limit allows 5,000.
    value, problem = parse_whole_number("9" * 4_500)
    assert value is None
    assert problem.startswith("'99999999")
    assert problem.endswith(f"(4,500 characters) is not {WHOLE_NUMBER_HINT}: it is far too long")
