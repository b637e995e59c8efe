"""A cell of any reader (CSV text, a spreadsheet's typed value, JSON) as the text every later
stage works on: the readers agree on what `12.0`, `True` or a date looks like as text."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any


def cell_text(value: Any) -> str | None:
    """A cell as text; integral floats lose the `.0` a spreadsheet or JSON encoder added."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return (
            value.date().isoformat()
            if value.time() == datetime.min.time()
            else value.isoformat(sep=" ")
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value).strip()
    return text or None
