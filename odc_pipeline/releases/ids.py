"""Release ids that sort by time and say the day: `2026.12.02-1`, `2026.12.02-2`, …"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

RELEASE_ID = re.compile(r"^(\d{4})\.(\d{2})\.(\d{2})-(\d+)$")


def is_release_id(text: str) -> bool:
    return RELEASE_ID.match(text) is not None


def sort_key(release_id: str) -> tuple[int, int, int, int]:
    """Day, then the number within the day: `-10` sorts after `-9`, which text would not."""
    found = RELEASE_ID.match(release_id)
    if found is None:
        raise ValueError(f"{release_id!r} is not a release id (like 2026.12.02-1)")
    return tuple(int(part) for part in found.groups())  # type: ignore[return-value]


def in_order(release_ids: Iterable[str]) -> list[str]:
    """The ids oldest first; names that are not release ids are left out."""
    return sorted((r for r in release_ids if is_release_id(r)), key=sort_key)


def next_release_id(existing: Iterable[str], today: date) -> str:
    """The id after every existing one: today's date and the next number of the day. Never
    earlier than the newest id, even if the clock went back."""
    day = today.strftime("%Y.%m.%d")
    ordered = in_order(existing)
    if ordered:
        newest = sort_key(ordered[-1])
        if newest[:3] >= sort_key(f"{day}-1")[:3]:
            day = ordered[-1].split("-")[0]
            return f"{day}-{newest[3] + 1}"
    return f"{day}-1"
