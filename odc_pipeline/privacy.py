"""Personal data in free text (a witness's NIK or phone number typed into a description)
is masked before any shared table, with lokal-id's Indonesian detectors.

Declared personal columns (a reporter's contact) are handled elsewhere: they are dropped or
pseudonymized whole. This module is for what people write where no personal data belongs.
"""

from __future__ import annotations

import pandas as pd
from lokal.samaran import mask_pii

#: What is masked: national ID numbers (NIK), phone numbers, e-mail addresses, people's names.
MASKED_TYPES = ("NIK", "PHONE", "EMAIL", "NAME")


def scrub_text(text: object) -> object:
    """The text with personal data replaced by placeholders such as `[NIK_1]`."""
    if not isinstance(text, str) or not text:
        return text
    return mask_pii(text, types=MASKED_TYPES).text


def scrub_column(values: pd.Series) -> pd.Series:
    """Scrub each distinct text once; descriptions repeat less than numbers, but still do."""
    masked = {text: scrub_text(text) for text in values.dropna().unique()}
    return values.map(lambda t: masked.get(t, t) if isinstance(t, str) else t)
