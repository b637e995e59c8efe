"""Plain-language reasons for every rule, so a steward knows what to fix without reading code.

The rules of a kind's columns and relations come from its declaration, and so do their
reasons: what was found, and what the declaration expected. What was found is quoted short
(`quoted`): a reason is a message, and the whole cell stays in the row's `row_data`.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

from odc_pipeline.kinds import DatasetKind
from odc_pipeline.kinds.declared import COUNT_CEILING
from odc_pipeline.quoting import quoted


def reason_for(
    rule: str, column: str | None, value: Any, row: dict[str, Any], kind: DatasetKind | None = None
) -> str:
    """Explain one failed rule for one cell: what was found and what was expected."""
    shown = "empty" if value is None else quoted(value)
    if rule == "not_nullable":
        return f"{column} is empty; every row needs a value for {column}"
    if rule == "region_missing":
        return f"{column} is empty, so the row cannot be placed on the map"
    if rule == "totals_row":
        return (
            f"this is the file's totals row ({shown}), not a region; the warehouse computes "
            "totals itself, so it is set aside"
        )
    if kind is not None:
        relation = next((r for r in kind.relations if r.name == rule), None)
        if relation is not None:
            return relation.reason(row)
        if column in kind.column_names:
            return _value_reason(rule, kind, column, value, shown)
    return f"{column} {shown} fails rule {rule}"


def _value_reason(rule: str, kind: DatasetKind, column: str, value: Any, shown: str) -> str:
    declared = kind.column(column)
    if rule.startswith("str_length"):
        return f"{column} is blank"
    counted = (
        declared.type == "integer"
        and declared.minimum == 0
        and rule.startswith(("greater_than_or_equal_to", "in_range"))
    )
    if counted and isinstance(value, Real) and value < 0:
        return f"{column} is {shown}; a count cannot be negative"
    if counted and declared.maximum == COUNT_CEILING:
        return (
            f"{column} is {shown}, more than any count of people can be (at most {COUNT_CEILING:,}); "
            "it is likely a typo, or another column's numbers"
        )
    if rule.startswith("isin") and declared.allowed:
        return (
            f"{column} {shown} is not {declared.expected}; {recode_hint(column, shown, declared)}"
        )
    if declared.expected is not None and rule.startswith(
        ("isin", "in_range", "greater_than", "less_than")
    ):
        return f"{column} {shown} is not {declared.expected}"
    return f"{column} {shown} fails rule {rule}"


def recode_hint(column: str, shown: str, declared) -> str:
    """The registry lines that would recode this value: to the closest allowed value when
    one is close, else to a placeholder the steward picks."""
    from rapidfuzz import fuzz, process

    written = shown.strip("'\"").casefold()
    best = process.extractOne(
        written, [v.replace("_", " ") for v in declared.allowed], scorer=fuzz.token_set_ratio
    )
    target = declared.allowed[best[2]] if best and best[1] >= 80 else "<one of them>"
    return (
        f"if it means one of them, recode it in the registry entry: values: {{{column}: "
        f"{{{shown}: {target}}}}}"
    )
