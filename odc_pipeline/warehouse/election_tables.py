"""What a version being built derives from its own rows about legislative elections: the
dapil of every result row, and the seat and women's-list tables.

They are computed after the carry-forward, so they always describe every result, candidate
list and dapil list the new version holds, whichever sources this run processed. The SQL is
fixed text over the project's own tables; nothing in it comes from configuration.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Table, select, text
from sqlalchemy.engine import Connection

from odc_pipeline.elections.derived import seat_tables, women_representation
from odc_pipeline.kinds import KINDS
from odc_pipeline.kinds.declared import CANDIDATE_LISTS, DAPIL_REGIONS, ELECTORAL_DISTRICTS
from odc_pipeline.warehouse.schema import (
    dapil_seats,
    dim_region_split,
    fact_table,
    published_in_run,
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


# A row's own dapil column names the dapil by its code, the publisher's number or its name.
_BY_DAPIL_COLUMN = """
UPDATE {table} SET dapil_code = (
    SELECT MIN(d.dapil) FROM dim_dapil d
    WHERE d.year = {table}.year AND d.contest = {table}.contest
      AND (d.dapil = {table}.dapil OR d.dapil_number = {table}.dapil
           OR UPPER(d.dapil_name) = UPPER({table}.dapil)))
WHERE dapil IS NOT NULL{only}
"""

# Otherwise its region does: the bridge row of its region or of a region containing it (a
# kabupaten's code is the prefix of its kecamatan's and villages'); a kabupaten/kota the
# bridge does not know, made since from another (dim_region_split), lies where that one lay.
# Worked out once per distinct region, then joined back: the bridge is tiny, the results
# may be millions of rows.
_REGION_DAPIL = """
CREATE TEMPORARY TABLE region_dapil AS
SELECT r.year, r.contest, r.region_code, MIN(d.dapil) AS dapil_code
FROM (SELECT DISTINCT year, contest, region_code FROM {table}
      WHERE dapil_code IS NULL AND contest IN ('dpr', 'dprd_provinsi', 'dprd_kabupaten_kota'){only}) r
LEFT JOIN dim_region_split s
  ON s.region_code = SUBSTR(r.region_code, 1, 5)
 AND NOT EXISTS (SELECT 1 FROM {bridge} known
                 WHERE known.year = r.year AND known.contest = r.contest
                   AND known.region_code = s.region_code)
JOIN {bridge} b
  ON b.year = r.year AND b.contest = r.contest
 AND b.region_code = SUBSTR(COALESCE(s.split_from, r.region_code), 1, LENGTH(b.region_code))
JOIN dim_dapil d
  ON d.year = b.year AND d.contest = b.contest
 AND (d.dapil = b.dapil OR d.dapil_number = b.dapil)
GROUP BY r.year, r.contest, r.region_code
"""
_BY_REGION = """
UPDATE {table} SET dapil_code = m.dapil_code
FROM region_dapil m
WHERE m.year = {table}.year AND m.contest = {table}.contest
  AND m.region_code = {table}.region_code AND {table}.dapil_code IS NULL{only}
"""


# A result row naming a person beside a party column is that party's candidate of the same
# name in its dapil, where the candidate lists name exactly one (case and outer spaces aside).
_RESULT_CANDIDATES = """
CREATE TEMPORARY TABLE result_candidate AS
SELECT r.year, r.contest, r.dapil_code, r.party_id, r.candidate,
       MIN(c.candidate_id) AS candidate_id
FROM (SELECT DISTINCT year, contest, dapil_code, party_id, candidate FROM {table}
      WHERE candidate_id IS NULL AND contestant_method IS NULL
        AND party_id IS NOT NULL AND dapil_code IS NOT NULL{only}) r
JOIN {candidates} c
  ON c.year = r.year AND c.contest = r.contest AND c.dapil = r.dapil_code
 AND c.party_id = r.party_id AND UPPER(TRIM(c.name)) = UPPER(TRIM(r.candidate))
GROUP BY r.year, r.contest, r.dapil_code, r.party_id, r.candidate
HAVING COUNT(DISTINCT c.candidate_id) = 1
"""
_BY_CANDIDATE = """
UPDATE {table} SET candidate_id = m.candidate_id
FROM result_candidate m
WHERE m.year = {table}.year AND m.contest = {table}.contest
  AND m.dapil_code = {table}.dapil_code AND m.party_id = {table}.party_id
  AND m.candidate = {table}.candidate
  AND {table}.candidate_id IS NULL AND {table}.contestant_method IS NULL{only}
"""


# What the statements below worked out for a row, forgotten: a row loaded has no dapil code,
# and no candidate but the one harmonizing decided (with its method).
_FORGET = """
UPDATE {table} SET dapil_code = NULL,
    candidate_id = CASE WHEN contestant_method IS NULL THEN NULL ELSE candidate_id END
WHERE dapil_code IS NOT NULL OR (candidate_id IS NOT NULL AND contestant_method IS NULL)
"""


def assign_dapil(
    connection: Connection, only_run: str | None = None, rederive: bool = False
) -> None:
    """Fill `dapil_code` of every districted kind's rows (see DatasetKind.districted), and the
    `candidate_id` of rows naming a legislative candidate of a published candidate list.

    Rows carried from the version before keep the answers worked out for them then, which
    the statements would give again while the code and what it reads (`DERIVED_FROM`) are
    unchanged (see `derivation`). With `rederive`, they are not: every row's answers are
    forgotten and worked out again, so a corrected list can take a candidate away too. With
    `only_run`, only the rows of the sources that run published are worked out (a version
    patched from the last one holds every other row's answer already)."""
    has_dapil = connection.execute(text("SELECT 1 FROM dim_dapil LIMIT 1")).first()
    if has_dapil is None:
        return
    quote = connection.dialect.identifier_preparer.quote
    bridge = quote(fact_table(DAPIL_REGIONS).name)
    candidates = quote(fact_table(CANDIDATE_LISTS).name)
    params = {} if only_run is None else {"run_id": only_run}
    for kind in KINDS.values():
        if not kind.districted:
            continue
        table = quote(fact_table(kind).name)
        names = {
            "table": table,
            "only": "" if only_run is None else f" AND {published_in_run(table)}",
            "bridge": bridge,
            "candidates": candidates,
        }
        if rederive:
            connection.execute(text(_FORGET.format(**names)))
        for statement in (_BY_DAPIL_COLUMN, _REGION_DAPIL, _BY_REGION):
            connection.execute(text(statement.format(**names)), params)
        connection.execute(text("DROP TABLE region_dapil"))
        for statement in (_RESULT_CANDIDATES, _BY_CANDIDATE):
            connection.execute(text(statement.format(**names)), params)
        connection.execute(text("DROP TABLE result_candidate"))


#: What the derived tables and the assignment above read besides each row itself: when a
#: patched version holds these unchanged, no earlier row's answer can change.
DERIVED_FROM = (
    fact_table(CANDIDATE_LISTS),
    fact_table(ELECTORAL_DISTRICTS),
    fact_table(DAPIL_REGIONS),
    dim_region_split,
)


def write_election_tables(
    connection: Connection, only_run: str | None = None, rederive: bool = False
) -> None:
    """Fill `dapil_code` of results (of `only_run`'s rows, or every row's again with
    `rederive`: see `assign_dapil`), `dapil_seats`, `seat_winners` and
    `women_representation`."""
    assign_dapil(connection, only_run, rederive)
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
