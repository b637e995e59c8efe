"""Region codes in the shapes members write them, normalized to the dotted Kemendagri form.

Accepted: dotted (`32.04`), undotted (`3204`), with spaces around, and integral floats already
reduced to digits by the readers (`3204.0` → `3204`). The level follows from the length.
Anything else is reported as invalid rather than guessed.
"""

from __future__ import annotations

import re

SEGMENT_WIDTHS = (2, 2, 2, 4)
_UNDOTTED_LEVEL = {2: 1, 4: 2, 6: 3, 10: 4}
_DOTTED = re.compile(r"^\d+(?:\.\d+){0,3}$")


def normalize_code(text: str | None) -> tuple[str | None, str | None]:
    """Return (dotted code, None) or (None, why it is not a region code)."""
    if text is None:
        return None, "the code is empty"
    value = re.sub(r"\s+", "", str(text))
    if value.endswith(".0") and value.count(".") == 1 and len(value) > 4:
        value = value[:-2]
    if value.isdigit():
        level = _UNDOTTED_LEVEL.get(len(value))
        if level is None:
            return None, (
                f"{text!r} has {len(value)} digits; a region code has 2 (province), 4 "
                "(kabupaten/kota), 6 (kecamatan) or 10 (desa) digits"
            )
        parts, start = [], 0
        for width in SEGMENT_WIDTHS[:level]:
            parts.append(value[start : start + width])
            start += width
        return ".".join(parts), None
    if _DOTTED.match(value):
        parts = value.split(".")
        if all(len(p) == w for p, w in zip(parts, SEGMENT_WIDTHS, strict=False)):
            return value, None
        return (
            None,
            f"{text!r} is not a dotted region code such as 32, 32.04, 32.04.01 or 32.04.01.2001",
        )
    return None, f"{text!r} is not a region code"
