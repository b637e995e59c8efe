"""Whether a source was pulled recently enough, in a steward's words.

Dagster's own freshness checks describe a pull made less than a second ago as "The last
update was  ago"; a check evaluated in the same run as the pull is the common case here, so
the words are the project's own.
"""

from __future__ import annotations

from dataclasses import dataclass


def ago(seconds: float) -> str:
    """`3 days, 2 hours`, `5 minutes`, `just now`: the two largest units that are not zero."""
    if seconds < 60:
        return "just now" if seconds < 1 else f"{int(seconds)} second{'s' * (int(seconds) != 1)}"
    units = (("day", 86_400), ("hour", 3_600), ("minute", 60))
    parts = []
    left = int(seconds)
    for name, size in units:
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count} {name}{'s' * (count != 1)}")
    return ", ".join(parts[:2])


@dataclass(frozen=True)
class Freshness:
    passed: bool
    text: str


def freshness(seconds_since_pull: float | None, limit_hours: float) -> Freshness:
    """The verdict on a source last pulled `seconds_since_pull` ago (None: never)."""
    expected = f"expected at least every {limit_hours:g} hours (expected_refresh_hours)"
    if seconds_since_pull is None:
        return Freshness(False, f"never pulled yet; {expected}")
    when = ago(seconds_since_pull)
    pulled = "pulled just now" if when == "just now" else f"pulled {when} ago"
    if seconds_since_pull <= limit_hours * 3600:
        return Freshness(True, f"{pulled}; {expected}")
    return Freshness(
        False,
        f"last {pulled}; {expected}. Check that the nightly pull runs and that the "
        "source's location still answers",
    )
