"""A source that cannot be used this run travels as an empty frame that says why.

A missing column or an unreadable file must stop *that* source, not the night: its assets
still produce a (empty) frame carrying the reason in `DataFrame.attrs` (kept in the Arrow
file), the source's asset checks fail with the reason, and the publisher keeps the source's
last good data, recording the failure in `load_audit`.
"""

from __future__ import annotations

import pandas as pd

ERROR_ATTR = "odc_source_error"


def failed_frame(message: str, columns: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(columns=columns or [])
    frame.attrs[ERROR_ATTR] = message
    return frame


def source_error(frame: pd.DataFrame) -> str | None:
    """The reason this source cannot be published this run, or None."""
    return frame.attrs.get(ERROR_ATTR)
