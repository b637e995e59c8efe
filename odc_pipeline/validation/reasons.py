"""Plain-language reasons for every rule, so a steward knows what to fix without reading code."""

from __future__ import annotations

from typing import Any

from odc_pipeline.validation.models import (
    CONTESTS,
    FIRST_ELECTION_YEAR,
    INCIDENT_CATEGORIES,
    LAST_PLAUSIBLE_YEAR,
)


def reason_for(rule: str, column: str | None, value: Any, row: dict[str, Any]) -> str:
    """Explain one failed rule for one cell: what was found and what was expected."""
    shown = "empty" if value is None else repr(value)
    if rule == "not_nullable":
        return f"{column} is empty; every row needs a value for {column}"
    if rule.startswith("greater_than_or_equal_to"):
        return f"{column} is {shown}; a count cannot be negative"
    if rule.startswith("in_range") and column == "year":
        return f"year {shown} is not an election year between {FIRST_ELECTION_YEAR} and {LAST_PLAUSIBLE_YEAR}"
    if rule.startswith("isin") and column == "contest":
        return f"contest {shown} is not one of: {', '.join(CONTESTS)}"
    if rule.startswith("str_length"):
        return f"{column} is blank"
    if rule == "votes_within_valid_ballots":
        return (
            f"votes ({row.get('votes')}) are more than the region's valid ballots "
            f"({row.get('valid_ballots')}); one of the two numbers is wrong"
        )
    if rule.startswith("isin") and column == "category":
        return f"category {shown} is not one of: {', '.join(INCIDENT_CATEGORIES)}"
    if rule == "total_is_male_plus_female":
        return (
            f"registered_total ({row.get('registered_total')}) is not registered_male "
            f"({row.get('registered_male')}) + registered_female ({row.get('registered_female')})"
        )
    if rule == "date_in_election_period":
        when = row.get("date")
        shown_date = when.date().isoformat() if hasattr(when, "date") else when
        return (
            f"date {shown_date} is outside the period of the {row.get('year')} election "
            f"({int(row.get('year')) - 1}-01-01 to {row.get('year')}-12-31)"
        )
    if rule == "region_missing":
        return f"{column} is empty, so the row cannot be placed on the map"
    if rule == "totals_row":
        return (
            f"this is the file's totals row ({shown}), not a region; the warehouse computes "
            "totals itself, so it is set aside"
        )
    return f"{column} {shown} fails rule {rule}"
