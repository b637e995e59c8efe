"""Rules in plain words: "votes must be 0 or more", not `greater_than_or_equal_to(0)`.

The quarantine keeps each rule's machine name (analysts filter on it); every message, report
and check a person reads shows it through `plain_rule`.
"""

from __future__ import annotations

import ast
import re

from odc_pipeline.kinds import KINDS
from odc_pipeline.kinds.declaration import bound_in_words

#: The project's own rules, by name.
_OWN = {
    "not_nullable": "{column} must not be empty",
    "str_length": "{column} must not be blank",
    "region_missing": "the region must be given",
    "region_unmatched": "the region must be one of the official list",
    "totals_row": "a totals row is not a region",
    "duplicate_key": "each row must appear once",
    "duplicate_after_harmonizing": "each row must appear once after harmonizing",
    "number_format": "{column} must be a number",
    "yes_no_format": "{column} must be yes or no",
    "date_format": "{column} must be a date",
    "time_format": "{column} must be a time of day such as 14:30",
    "unreadable_row": "the row must be readable",
    "dtype": "{column} must be of its type",
}
_CALL = re.compile(r"^(?P<name>[a-z_]+)\((?P<arguments>.*)\)$", re.DOTALL)
_LISTED = 8


def _arguments(text: str) -> list:
    try:
        parsed = ast.literal_eval(f"[{text}]")
    except (ValueError, SyntaxError):
        return [text]
    return list(parsed)


def _listed(values) -> str:
    values = [str(v) for v in values]
    shown = ", ".join(values[:_LISTED])
    return shown + (f" (and {len(values) - _LISTED} more)" if len(values) > _LISTED else "")


def plain_rule(rule: str, column: str | None = None) -> str:
    """`rule` (a check name as the quarantine stores it) as a sentence about `column`."""
    subject = column or "the value"
    call = _CALL.match(rule)
    name, arguments = (call["name"], _arguments(call["arguments"])) if call else (rule, [])
    if name == "greater_than_or_equal_to" and arguments:
        return f"{subject} must be {arguments[0]} or more"
    if name == "greater_than" and arguments:
        return f"{subject} must be more than {arguments[0]}"
    if name == "less_than_or_equal_to" and arguments:
        return f"{subject} must be {arguments[0]} or less"
    if name == "less_than" and arguments:
        return f"{subject} must be less than {arguments[0]}"
    if name == "in_range" and len(arguments) >= 2:
        low, high = (bound_in_words(a) if isinstance(a, int | float) else a for a in arguments[:2])
        return f"{subject} must be from {low} to {high}"
    if name == "isin" and arguments and isinstance(arguments[0], list | tuple | set):
        return f"{subject} must be one of: {_listed(sorted(arguments[0], key=str))}"
    if name == "str_matches" and arguments:
        return f"{subject} must be written as the pattern {arguments[0]} says"
    if name in _OWN:
        return _OWN[name].format(column=subject)
    for kind in KINDS.values():
        for relation in kind.relations:
            if relation.name == name:
                return relation.description
    return f"{subject}: {name.replace('_', ' ')}"
