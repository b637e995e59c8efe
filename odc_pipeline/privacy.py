"""Personal data in free text (a witness's NIK or phone number typed into a description)
is masked before any shared table, with lokal-id's Indonesian detectors.

Declared personal columns (a reporter's contact) are handled elsewhere: they are dropped or
pseudonymized whole. This module is for what people write where no personal data belongs.
"""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from lokal.samaran import mask_pii

#: What is masked: national ID numbers (NIK), phone numbers, e-mail addresses, people's names.
MASKED_TYPES = ("NIK", "PHONE", "EMAIL", "NAME")
#: What is masked in every other text cell: numbers that identify a person. Names are not
#: looked for there, as candidates' and regions' names are names too.
IDENTIFIER_TYPES = ("NIK", "PHONE")
# A NIK has 16 digits and an Indonesian phone number at least 9. lokal-id's detectors read
# digits separated only by spaces, dots, dashes, brackets or a plus sign ("0812-3456-7890",
# "(021) 555-1234", "+62 812 3456 7890"), never by commas: only cells with such a run of 9 or
# more digits are handed to the (slower) detectors. A list of row numbers ("rows 131, 1712,
# 3317", in every duplicate's reason) is not one.
_ENOUGH_DIGITS = re.compile(r"(?:\d[\s.\-()+]{0,2}){9,}")
# Region codes (dotted Kemendagri, or BPS digits up to 10) are never personal. The code's
# shape is written once, for this Python pattern and its RE2 twin below.
_REGION_CODE_SHAPE = r"\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?|\d{2,10}"
_REGION_CODE = re.compile(rf"^\s*(?:{_REGION_CODE_SHAPE})\s*$")
# A dotted Kemendagri code inside a longer text (a quarantined row's JSON quotes its region).
_DOTTED_CODE = re.compile(r"\d{2}\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?")
# The two cheap tests once more, for RE2 over a column's distinct texts at once (Arrow), so
# that only texts passing both reach the Python ones: a column's texts are nearly all names
# and region codes. RE2's \d and \s are ASCII where Python's are Unicode, so each is
# written out to err the safe way. The first lets through every text the Python test would:
# \p{Nd} is what Python's \d is, and the separators include every character Python's \s
# takes (Unicode spaces, and the controls Python counts as whitespace). The second, in
# ASCII, only calls a region code what the Python pattern calls one too.
DIGIT_ANY_SCRIPT = r"\p{Nd}"
SEPARATOR_ANY_SCRIPT = r"[\t\n\v\f\r\x1c-\x1f\x85\p{Z}.\-()+]"
_ENOUGH_DIGITS_ANY_SCRIPT = rf"(?:{DIGIT_ANY_SCRIPT}{SEPARATOR_ANY_SCRIPT}{{0,2}}){{9,}}"
_REGION_CODE_ASCII = rf"^[ \t\n\r\f\v]*(?:{_REGION_CODE_SHAPE})[ \t\n\r\f\v]*$"
#: How an Indonesian phone number is written from its first digit: 0812..., 62812..., +62...
_PHONE_START = ("0", "62")
_NIK_DIGITS = 16


def _may_be_identifier(run: str) -> bool:
    """Whether a run of 9+ digits could be a NIK or a phone number.

    A dotted region code is neither. Nor is an unbroken run shorter than a NIK that starts
    the way no phone number does: an undotted village code (`7316021001`) quoted in a
    quarantined row's JSON, on every row of a source that writes codes without dots.
    """
    if _DOTTED_CODE.fullmatch(run):
        return False
    return not (run.isdigit() and len(run) < _NIK_DIGITS and not run.startswith(_PHONE_START))


def _may_hold_identifier(text: str) -> bool:
    """Whether some run of 9+ digits in `text` could be a NIK or a phone number.

    Every quarantined row's JSON quotes its village code (`32.04.05.2001`, ten digits): without
    this, every row would go through the detectors, which cost about a millisecond each.
    """
    for match in _ENOUGH_DIGITS.finditer(text):
        run = match.group().rstrip("".join(c for c in match.group() if not c.isdigit()))
        if _may_be_identifier(run):
            return True
    return False


def scrub_text(text: object) -> object:
    """The text with personal data replaced by placeholders such as `[NIK_1]`."""
    if not isinstance(text, str) or not text:
        return text
    return mask_pii(text, types=MASKED_TYPES).text


def _each_distinct(values: pd.Series, scrub, might_change=None) -> pd.Series:
    """Apply `scrub` to each distinct text once (texts repeat) and map the changed ones back;
    `might_change`, if given, first narrows the distinct texts to those `scrub` could change."""
    texts = [t for t in values.dropna().unique() if isinstance(t, str)]
    if might_change is not None:
        texts = might_change(texts)
    changed = {t: m for t in texts if (m := scrub(t)) != t}
    if not changed:
        return values
    return values.map(lambda t: changed.get(t, t) if isinstance(t, str) else t)


def scrub_column(values: pd.Series) -> pd.Series:
    """Free text with NIKs, phone numbers, e-mails and names masked."""
    return _each_distinct(values, scrub_text)


def scrub_identifiers_text(text: object) -> object:
    """The text with NIKs and phone numbers replaced by placeholders; other text as is."""
    if not isinstance(text, str) or _REGION_CODE.match(text) or not _may_hold_identifier(text):
        return text
    return mask_pii(text, types=IDENTIFIER_TYPES).text


def _might_hold_identifier(texts: list[str]) -> list[str]:
    """The texts `scrub_identifiers_text` could change: those with nine digits or more that
    are not a region code, by the RE2 tests above (no text it would change is left out), in
    one pass over all of them rather than the Python tests one by one: nearly all of a
    source's codes and names end here."""
    if not texts:
        return texts
    column = pa.array(texts, pa.string())
    could = pc.and_not(
        pc.match_substring_regex(column, _ENOUGH_DIGITS_ANY_SCRIPT),
        pc.match_substring_regex(column, _REGION_CODE_ASCII),
    )
    return column.filter(could).to_pylist()


def scrub_identifiers(values: pd.Series) -> pd.Series:
    """NIKs and phone numbers masked in any text column (a categorical one included: a
    registry constant is handed on as one)."""
    text = values.dtype == object or pd.api.types.is_string_dtype(values)
    if not text and not isinstance(values.dtype, pd.CategoricalDtype):
        return values
    return _each_distinct(values, scrub_identifiers_text, _might_hold_identifier)
