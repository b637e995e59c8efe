"""Decimals, percentages and dates written the Indonesian way, parsed deliberately.

The source's locale (`read.locale` in the registry: `id`, the default, or `en`) says which
character separates decimals. A value that only makes sense in the other locale is not
silently converted: it is reported, with the setting that would read it.
"""

from __future__ import annotations

import re
from datetime import date

from odc_pipeline.validation.numbers import MISSING_MARKERS

DECIMAL_SEPARATOR = {"id": ",", "en": "."}
THOUSANDS_SEPARATOR = {"id": ".", "en": ","}

MONTHS = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "feb": 2, "pebruari": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nov": 11, "nopember": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}  # fmt: skip

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_WORDED_DATE = re.compile(r"^(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})$")


def _is_missing(text: str | None) -> bool:
    return text is None or str(text).strip().casefold() in MISSING_MARKERS


def parse_decimal(text: str | None, locale: str = "id") -> tuple[float | None, str | None]:
    """(value, None), (None, None) when missing, or (None, why it cannot be read). A trailing
    percent sign is read as the figure's unit (`45,2%` → 45.2, in percent points: a region's
    statistic is often a share)."""
    if _is_missing(text):
        return None, None
    value = str(text).strip().replace(" ", "").replace("\u00a0", "").removesuffix("%")
    decimal, thousands = DECIMAL_SEPARATOR[locale], THOUSANDS_SEPARATOR[locale]
    grouped = re.escape(thousands)
    pattern = rf"^[+-]?(?:\d{{1,3}}(?:{grouped}\d{{3}})+|\d+)(?:{re.escape(decimal)}\d+)?$"
    if re.match(pattern, value):
        return float(value.replace(thousands, "").replace(decimal, ".")), None
    other = "en" if locale == "id" else "id"
    other_pattern = pattern.replace(re.escape(decimal), "§").replace(
        grouped, re.escape(THOUSANDS_SEPARATOR[other])
    )
    other_pattern = other_pattern.replace("§", re.escape(DECIMAL_SEPARATOR[other]))
    if re.match(other_pattern, value):
        return None, (
            f"{text!r} is written with {DECIMAL_SEPARATOR[other]!r} as the decimal separator, but this "
            f"source is read with locale {locale!r} ({decimal!r} for decimals); set read.locale: {other} "
            "if the whole file is written that way"
        )
    return (
        None,
        f"{text!r} is not a number (expected e.g. {'12,5 or 1.234,5' if locale == 'id' else '12.5 or 1,234.5'})",
    )


def _make_date(year: int, month: int, day: int, text: str) -> tuple[date | None, str | None]:
    try:
        return date(year, month, day), None
    except ValueError:
        if month > 12 and day <= 12:
            return None, (
                f"{text!r} is not a date: there is no month {month}; dates are read day first "
                f"(e.g. 17-04-2019): was it {month:02d}-{day:02d}-{year} written month first?"
            )
        return None, f"{text!r} is not a date: {year}-{month:02d}-{day:02d} does not exist"


def parse_date(text: str | None) -> tuple[date | None, str | None]:
    """`17 April 2019`, `17 Agt 2019`, `17-04-2019`, `17/04/2019`, `2019-04-17` → a date."""
    if _is_missing(text):
        return None, None
    value = str(text).strip().casefold()
    if match := _ISO.match(value):
        return _make_date(int(match[1]), int(match[2]), int(match[3]), str(text))
    if match := _NUMERIC_DATE.match(value):
        return _make_date(int(match[3]), int(match[2]), int(match[1]), str(text))
    if match := _WORDED_DATE.match(value):
        month = MONTHS.get(match[2])
        if month is None:
            return None, f"{text!r}: {match[2]!r} is not a month name (Januari … Desember)"
        return _make_date(int(match[3]), month, int(match[1]), str(text))
    return None, f"{text!r} is not a date (expected e.g. 17 April 2019, 17-04-2019 or 2019-04-17)"


#: A time of day after a date in one cell: "2019-04-17 14:30", "17/04/2019 pukul 14.30 WIB".
_TRAILING_TIME = re.compile(
    r"^(?P<date>.+?)(?:t|\s+(?:pukul|jam|pkl\.?)?\s*)"
    r"(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?)\s*(?:wib|wita|wit|z)?$"
)
_TIME = re.compile(
    r"^(?:pukul|jam|pkl\.?)?\s*(\d{1,2})[:.](\d{2})(?:[:.]\d{2}(?:\.\d+)?)?\s*(?:wib|wita|wit)?$"
)


def split_time(text: str | None) -> tuple[str | None, str | None]:
    """A date cell's date and, if one is written after it, its time of day as written."""
    if _is_missing(text):
        return text, None
    match = _TRAILING_TIME.match(str(text).strip().casefold())
    if match is None:
        return text, None
    return match["date"].strip(), match["time"]


def parse_time(text: str | None) -> tuple[str | None, str | None]:
    """`14:30`, `14.30`, `pukul 14.30 WIB`, `14:30:00` → `14:30` (24-hour)."""
    if _is_missing(text):
        return None, None
    match = _TIME.match(str(text).strip().casefold())
    if match is None:
        return None, f"{text!r} is not a time of day (expected e.g. 14:30 or 14.30)"
    hours, minutes = int(match[1]), int(match[2])
    if hours > 23 or minutes > 59:
        return None, f"{text!r} is not a time of day: {hours:02d}:{minutes:02d} does not exist"
    return f"{hours:02d}:{minutes:02d}", None


_YES = frozenset({"true", "ya", "y", "yes", "1", "benar", "terpilih"})
_NO = frozenset({"false", "tidak", "t", "n", "no", "0", "salah", "tidak terpilih"})


def parse_yes_no(text: str | None) -> tuple[bool | None, str | None]:
    """A yes/no cell as members write it: true/false, ya/tidak, 1/0 (any case)."""
    if _is_missing(text):
        return None, None
    word = " ".join(str(text).split()).casefold()
    if word in _YES:
        return True, None
    if word in _NO:
        return False, None
    return None, f"{text!r} is not yes or no; write true or false (ya or tidak, 1 or 0)"
