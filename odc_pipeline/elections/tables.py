"""The election reference tables as the warehouse publishes them, and checks across them.

The loader (`reference`) refuses a file a typing error has broken; the checks here find what
is well-formed but incomplete (a ballot number left out, an election without its pairs), which
a steward sees as a failed check in the UI rather than a stopped night.
"""

from __future__ import annotations

import pandas as pd

from odc_pipeline.elections.reference import ElectionTables


def ballot_gaps(tables: ElectionTables) -> list[str]:
    """Elections whose parties' ballot numbers do not run 1, 2, 3, … without a gap."""
    gaps = []
    for year, numbers in tables.ballots.groupby("year")["ballot_number"]:
        missing = sorted(set(range(1, int(numbers.max()) + 1)) - set(numbers))
        if missing:
            gaps.append(f"{year}: no party holds ballot number {', '.join(map(str, missing))}")
    return gaps


def elections_without_pairs(tables: ElectionTables) -> list[str]:
    """Elections with a presidential race and fewer than two pairs listed."""
    counts = tables.pairs.groupby("year")["pair_id"].count()
    return [
        f"{row.election_id}: {int(counts.get(row.year, 0))} presidential pair(s) listed"
        for row in tables.elections.itertuples()
        if "presiden" in row.contests.split() and counts.get(row.year, 0) < 2
    ]


def dimension_frames(tables: ElectionTables) -> dict[str, pd.DataFrame]:
    """The rows of `dim_election`, `dim_party`, `dim_party_ballot`, `dim_pair` and
    `dim_region_split`."""
    elections = tables.elections.assign(
        legislative_date=pd.to_datetime(tables.elections["legislative_date"]).dt.date,
        presidential_date=pd.to_datetime(tables.elections["presidential_date"]).dt.date,
    )
    return {
        "dim_election": elections,
        "dim_party": tables.parties.replace({"aliases": {"": None}}),
        "dim_party_ballot": tables.ballots,
        "dim_pair": tables.pairs.replace({"aliases": {"": None}}),
        "dim_region_split": tables.splits,
    }
