"""Digits that look like 0-9 but are other characters: `١٢٣`, `１２３`, `𝟏𝟐𝟑`, `۱۲۳`, `१२३`.

Python reads every one of them as 123, so without a check a count typed with them (or pasted
from a PDF, or planted) would be published as if written plainly. They are never read as
numbers or codes here: a cell holding them is set aside with the name of the digits found,
so that a steward can retype it. Free text (a description) may hold them as written.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

#: A decimal digit that is not one of 0-9 (`\d` is every script's digits; `\D` its complement).
_OTHER_DIGIT = re.compile(r"[^\D0-9]")


def digits_name(text: str) -> str | None:
    """The kind of look-alike digit in `text` (e.g. `ARABIC-INDIC`), or None if it has none."""
    found = _OTHER_DIGIT.search(text)
    if found is None:
        return None
    name = unicodedata.name(found.group(), "")
    return name.split(" DIGIT")[0] if " DIGIT" in name else "non-Latin"


def lookalike_cells(texts: pd.Series) -> pd.Series:
    """The cells of `texts` that hold look-alike digits, mapped to the kind of digit found.

    Checked once per distinct text: a column repeats the same codes and names on many rows.
    """
    distinct = pd.unique(texts)
    names = {text: digits_name(text) for text in distinct}
    flagged = {text: name for text, name in names.items() if name is not None}
    if not flagged:
        return pd.Series(dtype=object)
    hits = texts[texts.isin(list(flagged))]
    return hits.map(flagged)


def lookalike_reason(column: str, text: str, name: str) -> str:
    return (
        f"{column} {text!r} is written with {name} digits, which look like 0-9 but are other "
        "characters; they are not read as a number or code. Retype the value with the digits 0-9"
    )
