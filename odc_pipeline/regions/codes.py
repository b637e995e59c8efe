"""Region codes in the shapes members write them, normalized to the dotted Kemendagri form.

Accepted: dotted (`32.04`), undotted (`3204`), with spaces, integral floats (`3204.0`,
`3.204012001E9` from a spreadsheet), and dotted codes whose segments lost their leading zero
(`32.4.5` for `32.04.05`). The level follows from the length. When a short segment could
also be a float that lost a trailing zero (`32.4` may be 32.04 or 32.40), both readings are
returned and the caller decides which one exists; if both do, the code is ambiguous.
Anything else is reported as invalid rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

SEGMENT_WIDTHS = (2, 2, 2, 4)
_UNDOTTED_LEVEL = {2: 1, 4: 2, 6: 3, 10: 4}
_DOTTED = re.compile(r"^\d{1,2}(?:\.\d{1,2}){0,2}(?:\.\d{1,4})?$")
_SCIENTIFIC = re.compile(r"^\d(?:\.\d+)?e\+?\d+$", re.IGNORECASE)
#: Already in the official dotted form: the shape of nearly every code, checked first.
_CANONICAL = re.compile(r"\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?")


@dataclass(frozen=True)
class ParsedCode:
    """Possible dotted readings of a code text (usually one), or why there are none."""

    readings: tuple[str, ...]
    problem: str | None = None
    repaired: bool = False


def _split_undotted(digits: str) -> str | None:
    level = _UNDOTTED_LEVEL.get(len(digits))
    if level is None:
        return None
    parts, start = [], 0
    for width in SEGMENT_WIDTHS[:level]:
        parts.append(digits[start : start + width])
        start += width
    return ".".join(parts)


def official_form(text: object) -> str | None:
    """The dotted code `text` is when it is written as the official dotted code or as its
    undotted digits, the shapes of nearly every code; None for every other shape.

    No repair is made here: `parse_code` reads the rest, and gives the same reading for these.
    """
    if not isinstance(text, str):
        return None
    if _CANONICAL.fullmatch(text):
        return text
    return _split_undotted(text) if text.isdigit() else None


#: Undotted codes of each length that has a level, and their dotted form (RE2 syntax).
_UNDOTTED_TO_DOTTED = (
    (r"^(\d{2})(\d{2})(\d{2})(\d{4})$", r"\1.\2.\3.\4"),
    (r"^(\d{2})(\d{2})(\d{2})$", r"\1.\2.\3"),
    (r"^(\d{2})(\d{2})$", r"\1.\2"),
)


def official_forms(texts: list) -> list[str | None]:
    """`official_form` of many texts at once, in Arrow: a village-level source holds some
    83,000 distinct codes, and a Python call for each was most of the time spent on them.

    Arrow's `\\d` is ASCII only, so digits from other scripts (which `official_form` would
    pass on, and which no official code holds) give None here; a list that is not all text
    takes `official_form` one by one.
    """
    try:
        array = pa.array(texts, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return [official_form(text) for text in texts]
    # The three patterns match digit strings of different lengths, and a dotted text matches
    # none of them, so applying them one after the other rewrites each text at most once.
    for pattern, replacement in _UNDOTTED_TO_DOTTED:
        array = pc.replace_substring_regex(array, pattern=pattern, replacement=replacement)
    official = pc.match_substring_regex(array, "^" + _CANONICAL.pattern + "$")
    return pc.if_else(official, array, None).to_pylist()


def parse_code(text: object) -> ParsedCode:
    """Every plausible dotted reading of `text`, or the reason it is not a region code."""
    if text is None:
        return ParsedCode((), "the code is empty")
    official = official_form(text)
    if official is not None:
        return ParsedCode((official,))
    value = re.sub(r"\s+", "", str(text))
    if _SCIENTIFIC.match(value):
        number = float(value)
        if not number.is_integer():
            return ParsedCode((), f"{text!r} is a number with decimals, not a region code")
        value = str(int(number))
    if re.fullmatch(r"\d+\.0+", value) and len(value.split(".")[0]) in _UNDOTTED_LEVEL:
        value = value.split(".")[0]  # 3204.0: a spreadsheet made the code a float
    if value.isdigit():
        dotted = _split_undotted(value)
        if dotted is None:
            return ParsedCode(
                (),
                f"{text!r} has {len(value)} digits; a region code has 2 (province), 4 "
                "(kabupaten/kota), 6 (kecamatan) or 10 (desa) digits",
            )
        return ParsedCode((dotted,))
    if _DOTTED.match(value):
        parts = value.split(".")
        if all(len(p) == w for p, w in zip(parts, SEGMENT_WIDTHS, strict=False)):
            return ParsedCode((value,))
        padded = ".".join(p.zfill(w) for p, w in zip(parts, SEGMENT_WIDTHS, strict=False))
        readings = [padded]
        # A float such as 32.40 prints as 32.4: the last segment may have lost a trailing zero.
        last, width = parts[-1], SEGMENT_WIDTHS[len(parts) - 1]
        if len(parts) == 2 and len(last) < width:
            readings.append(".".join([*parts[:-1], last.ljust(width, "0")]))
        return ParsedCode(tuple(dict.fromkeys(readings)), repaired=True)
    return ParsedCode(
        (), f"{text!r} is not a region code such as 32, 32.04, 32.04.05 or 32.04.05.2001"
    )


def bps_digits(text: object) -> str | None:
    """A BPS code as its digits (BPS writes 7-digit kecamatan codes, so no dotted form)."""
    if text is None:
        return None
    value = re.sub(r"\s+", "", str(text))
    if _SCIENTIFIC.match(value) and float(value).is_integer():
        value = str(int(float(value)))
    value = (
        re.sub(r"\.0+$", "", value) if re.fullmatch(r"\d+\.0+", value) else value.replace(".", "")
    )
    return value if value.isdigit() else None


def normalize_code(text: object) -> tuple[str | None, str | None]:
    """The single dotted reading of `text`, or (None, why not). Ambiguous repairs are refused."""
    parsed = parse_code(text)
    if len(parsed.readings) == 1:
        return parsed.readings[0], None
    if parsed.readings:
        return None, f"{text!r} could be {' or '.join(parsed.readings)}"
    return None, parsed.problem
