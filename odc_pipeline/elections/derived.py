"""Seats and women's representation, computed from the published candidate lists.

These answer the questions advocates ask of a legislative election: how many seats each
party wins in each dapil by the election's own rule, which candidates take them, and whether
each party's list follows the law's rule for women. They are plain pandas over the rows of
`dim_candidate` and `dim_dapil`, using the tested functions of `seats` and `lists`; the
publisher writes them as tables (`dapil_seats`, `seat_winners`, `women_representation`)
after every publish, from whatever candidate lists the warehouse then holds.

Votes are the candidates' own votes rolled up to their party. A candidate list carries no
party-only ballots (votes for the party's symbol alone), so where those exist the seats
computed here can differ from the official result: `seats_listed` beside `seats` shows the
elected members the source itself names.
"""

from __future__ import annotations

from fractions import Fraction

import pandas as pd

from odc_pipeline.elections.lists import list_rule
from odc_pipeline.elections.seats import (
    RULES,
    Candidate,
    dapil_seats,
    elected,
    qualifying_parties,
)

#: Only the DPR has a national threshold; DPRD seats go to every party standing.
THRESHOLD_CONTESTS = frozenset({"dpr"})
_LIST = ["source_id", "organization_id", "election", "year", "contest", "dapil"]


def _with_party_key(candidates: pd.DataFrame) -> pd.DataFrame:
    """A party key for every row: its party_id, or the party as written when undecided."""
    return candidates.assign(
        party_key=candidates["party_id"].fillna(candidates["party"]).fillna("(no party)"),
        votes=candidates["votes"].fillna(0).astype(int),
        elected=candidates["elected"].fillna(False).astype(bool),
    )


def _seats_of(dapils: pd.DataFrame) -> dict[tuple, int]:
    """(year, contest, dapil code or number) -> seats."""
    seats: dict[tuple, int] = {}
    for row in dapils.itertuples():
        seats[(row.year, row.contest, row.dapil)] = int(row.seats)
        if isinstance(row.dapil_number, str) and row.dapil_number:
            seats.setdefault((row.year, row.contest, row.dapil_number), int(row.seats))
    return seats


def seat_tables(
    candidates: pd.DataFrame, dapils: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seats per party and dapil (`dapil_seats`) and the candidates who take them
    (`seat_winners`), for every list whose election has a known rule and dapil seats."""
    if candidates.empty:
        return pd.DataFrame(), pd.DataFrame()
    frame = _with_party_key(candidates)
    seats_by_dapil = _seats_of(dapils)
    party_rows, winner_rows = [], []
    for (source_id, year, contest), one_list in frame.groupby(
        ["source_id", "year", "contest"], sort=True
    ):
        rule = RULES.get(int(year))
        if rule is None:
            continue
        national = one_list.groupby("party_key")["votes"].sum()
        total = int(national.sum())
        threshold = rule.threshold if contest in THRESHOLD_CONTESTS else Fraction(0)
        qualifying = qualifying_parties(national.to_dict(), threshold)
        for dapil, in_dapil in one_list.groupby("dapil", sort=True):
            seats = seats_by_dapil.get((year, contest, dapil))
            if seats is None:
                continue
            votes = in_dapil.groupby("party_key")["votes"].sum().to_dict()
            won = dapil_seats(votes, seats, rule, qualifying)
            first = in_dapil.iloc[0]
            for party, party_votes in sorted(votes.items()):
                party_rows.append(
                    {
                        "source_id": source_id,
                        "organization_id": first["organization_id"],
                        "election": first["election"],
                        "year": int(year),
                        "contest": contest,
                        "dapil": dapil,
                        "party_id": party,
                        "votes": int(party_votes),
                        "national_share": float(national[party] / total) if total else 0.0,
                        "qualifies": party in qualifying,
                        "seats": int(won[party]),
                        "seats_listed": int(
                            in_dapil.loc[in_dapil["party_key"] == party, "elected"].sum()
                        ),
                    }
                )
            listed = [
                Candidate(str(i), r.party_key, int(r.list_position or 0), int(r.votes))
                for i, r in zip(in_dapil.index, in_dapil.itertuples(), strict=True)
            ]
            chosen = elected(listed, won)
            for index, row in in_dapil.iterrows():
                if str(index) in chosen or row["elected"]:
                    winner_rows.append(
                        {
                            "source_id": source_id,
                            "organization_id": row["organization_id"],
                            "year": int(year),
                            "contest": contest,
                            "dapil": dapil,
                            "party_id": row["party_key"],
                            "candidate_id": row["candidate_id"],
                            "name": row["name"],
                            "sex": row["sex"],
                            "list_position": row["list_position"],
                            "votes": int(row["votes"]),
                            "elected_computed": str(index) in chosen,
                            "elected_listed": bool(row["elected"]),
                        }
                    )
    return pd.DataFrame(party_rows), pd.DataFrame(winner_rows)


def women_representation(candidates: pd.DataFrame) -> pd.DataFrame:
    """Per party list and dapil: women on the list and among the elected, and whether the
    list meets the rule of at least 30% women and one woman in every three positions."""
    if candidates.empty:
        return pd.DataFrame()
    frame = _with_party_key(candidates)
    rows = []
    for key, one_list in frame.groupby([*_LIST, "party_key"], sort=True):
        positioned = one_list.dropna(subset=["list_position"])
        rule = list_rule(
            zip(positioned["list_position"].astype(int), positioned["sex"] == "P", strict=True)
        )
        women = one_list["sex"] == "P"
        rows.append(
            {
                **dict(zip([*_LIST, "party_id"], key, strict=True)),
                "candidates": len(one_list),
                "women": int(women.sum()),
                "share_women": float(women.mean()),
                "at_least_30_percent": rule.at_least_30_percent,
                "one_in_every_three": rule.one_in_every_three,
                "meets_rule": rule.meets_rule,
                "elected": int(one_list["elected"].sum()),
                "women_elected": int((one_list["elected"] & women).sum()),
            }
        )
    return pd.DataFrame(rows)
