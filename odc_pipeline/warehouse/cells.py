"""Cells a spreadsheet would run as a formula, made safe to open.

Used by the open data export and by `odc query --format csv`; kept apart from the export so
the query command does not load Arrow's compute and CSV modules for one function.
"""

from __future__ import annotations

import re

#: A cell starting like a formula (or with a tab or carriage return that hides one).
FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?\d+([.,]\d+)*%?$")


def safe_cell(value: object) -> object:
    """A text cell a spreadsheet would evaluate gets a leading apostrophe; numbers are kept."""
    if isinstance(value, str) and FORMULA.match(value) and not _NUMBER.match(value):
        return "'" + value
    return value
