"""Whether a party's candidate list in a dapil follows the law's rule for women.

UU 7/2017 (and UU 8/2012 before it) asks of every list: at least 30% women, and at least one
woman in every three positions (positions 1-3, 4-6, …). A trailing group shorter than three
is not held to the second rule, as KPU applied it. Advocates publish both the share and the
lists that break either rule, so both are returned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

#: The least share of women on a list.
WOMEN_SHARE = Fraction(3, 10)
#: Every group of this many positions holds a woman.
GROUP = 3


@dataclass(frozen=True)
class ListRule:
    """One list measured against the rule."""

    candidates: int
    women: int
    at_least_30_percent: bool
    one_in_every_three: bool

    @property
    def share_women(self) -> float:
        return self.women / self.candidates if self.candidates else 0.0

    @property
    def meets_rule(self) -> bool:
        return self.at_least_30_percent and self.one_in_every_three


def list_rule(positions: Iterable[tuple[int, bool]]) -> ListRule:
    """`positions`: (list position, is a woman) of every candidate on one list."""
    ordered = sorted(positions)
    women = sum(1 for _, woman in ordered if woman)
    whole_groups = len(ordered) // GROUP
    every_group = all(
        any(woman for _, woman in ordered[g * GROUP : (g + 1) * GROUP]) for g in range(whole_groups)
    )
    return ListRule(
        candidates=len(ordered),
        women=women,
        at_least_30_percent=bool(ordered) and Fraction(women, len(ordered)) >= WOMEN_SHARE,
        one_in_every_three=every_group,
    )
