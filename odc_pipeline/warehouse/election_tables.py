"""Write the seat and women's-list tables of a version being built, from its own rows.

They are computed after the carry-forward, so they always describe every candidate list the
new version holds, whichever sources this run processed; nothing of them is carried forward.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from odc_pipeline.elections.derived import seat_tables, women_representation
from odc_pipeline.kinds.declared import CANDIDATE_LISTS, ELECTORAL_DISTRICTS
from odc_pipeline.warehouse.schema import (
    dapil_seats,
    fact_table,
    seat_winners,
)
from odc_pipeline.warehouse.schema import (
    women_representation as women_table,
)


def _rows(connection: Connection, table: Table, columns: list[str]) -> pd.DataFrame:
    result = connection.execute(select(*(table.c[c] for c in columns)))
    return pd.DataFrame(result.fetchall(), columns=columns)


def _insert(connection: Connection, table: Table, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    columns = [c.name for c in table.columns]
    records = frame[columns].astype(object).where(frame[columns].notna(), None)
    connection.execute(table.insert(), records.to_dict("records"))


def write_election_tables(connection: Connection) -> None:
    """Fill `dapil_seats`, `seat_winners` and `women_representation`."""
    candidates = _rows(
        connection,
        fact_table(CANDIDATE_LISTS),
        [
            "source_id",
            "organization_id",
            "election",
            "year",
            "contest",
            "dapil",
            "party",
            "party_id",
            "list_position",
            "candidate_id",
            "name",
            "sex",
            "votes",
            "elected",
        ],
    )
    if candidates.empty:
        return
    dapils = _rows(
        connection,
        fact_table(ELECTORAL_DISTRICTS),
        ["year", "contest", "dapil", "dapil_number", "seats"],
    )
    seats, winners = seat_tables(candidates, dapils)
    _insert(connection, dapil_seats, seats)
    _insert(connection, seat_winners, winners)
    _insert(connection, women_table, women_representation(candidates))
