"""Each source's votes added up per province and per kabupaten/kota, once per publish.

At polling-station scale (about 820,000 stations; 17 million rows for the pairs and the
parties of one election) a province's party totals read every row of the results table. Added
up here once, in the database, they are a few thousand rows that an analyst's question, a
chart or the web table reads in milliseconds. Rows roll up as `region_summary` rolls them: a
row at the level itself keeps its code (so a region as it was before a split, `91+93+94+95`,
stays apart from today's `91`), a deeper row goes to the province or kabupaten/kota its code
starts with.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from odc_pipeline.kinds.declared import ELECTION_RESULTS
from odc_pipeline.warehouse.schema import fact_table, published_in_run, region_totals

#: Level of each roll-up, and how many characters of a deeper code name its region there.
ROLLUPS = {1: 2, 2: 5}


def place_at(level: int, alias: str = "") -> str:
    """The region a result row (at `level` or below it) is added up in at `level`: its own
    code at that level, else the code's first characters. `alias` is a table alias with its
    dot."""
    return (
        f"CASE WHEN {alias}region_level = {level} THEN {alias}region_code "
        f"ELSE SUBSTR({alias}region_code, 1, {ROLLUPS[level]}) END"
    )


def deepest_place(alias: str = "") -> str:
    """Where a result row is added up at the deepest roll-up it reaches (`place_at` of the
    deepest level at or above its own): the kabupaten/kota, or the province for a
    province's own row. Two rows of one region share it, so the discrepancy view looks for
    differences only where two sources have totals there."""
    cases = " ".join(
        f"WHEN {alias}region_level >= {level} THEN {place_at(level, alias)}"
        for level in sorted(ROLLUPS, reverse=True)
    )
    return f"CASE {cases} END"


_TOTALS = """
INSERT INTO {totals} (election, year, contest, level, region_code, candidate, party_id,
                      candidate_id, organization_id, source_id, votes, rows_summed,
                      reported_at_level)
SELECT election, year, contest, {level}, place, candidate, party_id, candidate_id,
       organization_id, source_id, SUM(votes), COUNT(*), MAX(region_level)
FROM (
    SELECT election, year, contest, candidate, party_id, candidate_id, organization_id,
           source_id, votes, region_level,
           {place} AS place
    FROM {results}
    WHERE region_level >= {level}{only}
) AS placed
GROUP BY election, year, contest, place, candidate, party_id, candidate_id, organization_id,
         source_id
"""


def write_region_totals(connection: Connection, only_run: str | None = None) -> None:
    """Fill `region_totals` of the version being built from its results; with `only_run`,
    add the totals of the sources that run published only (a version patched from the last
    one holds every other source's already: totals are per source)."""
    results = fact_table(ELECTION_RESULTS).name
    if only_run is None and connection.dialect.name == "postgresql":
        _count_for_the_planner(connection, results)
    for level in ROLLUPS:
        statement = _TOTALS.format(
            totals=region_totals.name,
            results=results,
            level=level,
            place=place_at(level),
            only="" if only_run is None else f" AND {published_in_run(results)}",
        )
        connection.execute(text(statement), {} if only_run is None else {"run_id": only_run})


def _count_for_the_planner(connection: Connection, results: str) -> None:
    """Give PostgreSQL the statistics of a results table just filled in the publish's own
    transaction, where autovacuum cannot see it. Without them it guesses the rows from the
    table's pages and a default width, and at 20 million rows guessed 1.1 million, sorted
    them on disk to add them up and took four times as long as adding them up in a hash
    table. Analysing samples the table in under a second."""
    quote = connection.dialect.identifier_preparer.quote
    connection.execute(text(f"ANALYZE {quote(results)}"))
