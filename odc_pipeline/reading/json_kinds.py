"""What a JSON value is, in a steward's words: a record that is not an object is reported
as "a number (7)" or "a list", never by Python's type names (`int`, `list`, `NoneType`)."""

from __future__ import annotations

from odc_pipeline.quoting import quoted


def json_kind(value: object) -> str:
    """`value` (as JSON decoded it) described for a message: "a list", "a text ('x')"."""
    if value is None:
        return "null (nothing)"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a text ({quoted(value)})"
    if isinstance(value, dict):
        return "an object"
    return "a list"
