"""Seats of an electoral district (dapil) among parties, and then among their candidates.

The law changed the rule between elections, so the rule is data keyed by the election:

- 2014 (UU 8/2012): parties under 3.5% of the national valid vote take no seat; in each
  dapil a quota (*bilangan pembagi pemilih*: the qualifying parties' votes divided by the
  seats) gives each party one seat per whole quota, and the seats left go to the largest
  remainders.
- 2019 and 2024 (UU 7/2017): a 4% threshold, then Sainte-Laguë: each party's votes divided
  by 1, 3, 5, …, and the seats go to the largest quotients.

Within a party, its seats go to its candidates with the most votes (2014 onwards: the
open list). Ties are broken the same way every time (more votes, then list position or
name) so that a published figure can be reproduced; the law's own tie rules (the wider
spread of votes) need data the warehouse does not hold, and a tie at the last seat is rare.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal


@dataclass(frozen=True)
class SeatRule:
    """How one election's seats are shared: the national threshold and the method."""

    threshold: Fraction
    method: Literal["quota", "sainte_lague"]


#: The rule of each general election, by year.
RULES: dict[int, SeatRule] = {
    2014: SeatRule(threshold=Fraction(35, 1000), method="quota"),
    2019: SeatRule(threshold=Fraction(4, 100), method="sainte_lague"),
    2024: SeatRule(threshold=Fraction(4, 100), method="sainte_lague"),
}


def qualifying_parties(national_votes: Mapping[str, int], threshold: Fraction) -> set[str]:
    """The parties with at least `threshold` of the national valid votes for parties."""
    total = sum(national_votes.values())
    return {p for p, v in national_votes.items() if total and Fraction(v, total) >= threshold}


def _by_votes(votes: Mapping[str, int]) -> list[str]:
    """Parties from most votes to fewest, then by name: the order ties are broken in."""
    return sorted(votes, key=lambda party: (-votes[party], party))


def quota_largest_remainder(votes: Mapping[str, int], seats: int) -> dict[str, int]:
    """A seat per whole quota (votes ÷ seats), the rest to the largest remainders."""
    total = sum(votes.values())
    won = dict.fromkeys(votes, 0)
    if seats <= 0 or total <= 0:
        return won
    quota = Fraction(total, seats)
    remainders = {}
    for party, count in votes.items():
        whole, remainder = divmod(Fraction(count), quota)
        won[party] = int(whole)
        remainders[party] = remainder
    left = seats - sum(won.values())
    order = sorted(votes, key=lambda p: (-remainders[p], -votes[p], p))
    for party in order[:left]:
        won[party] += 1
    return won


def sainte_lague(votes: Mapping[str, int], seats: int) -> dict[str, int]:
    """Seat after seat to the largest quotient, each party's votes ÷ 1, 3, 5, …"""
    won = dict.fromkeys(votes, 0)
    if not votes or sum(votes.values()) <= 0:
        return won
    order = _by_votes(votes)
    for _ in range(seats):
        best = max(order, key=lambda p: (Fraction(votes[p], 2 * won[p] + 1), votes[p]))
        won[best] += 1
    return won


def dapil_seats(
    votes: Mapping[str, int], seats: int, rule: SeatRule, qualifying: set[str]
) -> dict[str, int]:
    """Each party's seats in one dapil: only qualifying parties take part; every party of
    `votes` is in the answer (0 for the others)."""
    taking_part = {p: v for p, v in votes.items() if p in qualifying}
    share = quota_largest_remainder if rule.method == "quota" else sainte_lague
    won = share(taking_part, seats)
    return {party: won.get(party, 0) for party in votes}


@dataclass(frozen=True)
class Candidate:
    """A candidate on a party's list in one dapil."""

    candidate_id: str
    party: str
    list_position: int
    votes: int


def elected(candidates: Sequence[Candidate], party_seats: Mapping[str, int]) -> set[str]:
    """The candidates who take their party's seats: its most voted, then the higher on the
    list when votes are equal."""
    chosen: set[str] = set()
    for party, count in party_seats.items():
        listed = [c for c in candidates if c.party == party]
        listed.sort(key=lambda c: (-c.votes, c.list_position))
        chosen.update(c.candidate_id for c in listed[:count])
    return chosen
