"""Analyst views, created with the tables: the same SQL on SQLite and PostgreSQL.

- `source_discrepancies`: where two sources report the same election, contest, region and
  candidate with different votes, both values, the difference and both provenances. This is
  what monitors use to find counting problems. The warehouse looks only where `region_totals`
  says two sources report (`warehouse_views`).
- `party_results`, `party_results_by_dapil`: legislative votes per party and region, and per
  dapil (`dapil_code`); `dapil_regions`: the dapil of every region of a dapil list.
- `region_summary`: every source's votes per region, rolled up from the level it reports at
  (polling station, village, kecamatan, kabupaten/kota) to every level above, with how many
  regions each sum covers, so a partial source is not mistaken for a complete one.

No identifier in them comes from configuration: the SQL is fixed text.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from odc_pipeline.kinds.comparison import contestant, station
from odc_pipeline.warehouse.totals import deepest_place

# Who a row is about and at which station: the expressions the results table is indexed on
# (odc_pipeline.kinds.comparison), written the same way so that the index is used.
SOURCE_DISCREPANCIES = f"""
CREATE VIEW source_discrepancies AS
SELECT a.election, a.year, a.contest, a.region_code, r.name AS region_name, a.region_level,
       {contestant("a.")} AS contestant, a.candidate_id, a.party_id,
       a.candidate, b.candidate AS candidate_b, a.station_number,
       a.organization_id AS organization_a, a.source_id AS source_a, a.votes AS votes_a,
       a.source_row AS source_row_a, la.file_hash AS file_hash_a, la.run_id AS run_id_a,
       b.organization_id AS organization_b, b.source_id AS source_b, b.votes AS votes_b,
       b.source_row AS source_row_b, lb.file_hash AS file_hash_b, lb.run_id AS run_id_b,
       a.votes - b.votes AS difference,
       ABS(a.votes - b.votes) AS abs_difference
FROM fact_election_results a
JOIN fact_election_results b
  ON a.election = b.election AND a.year = b.year AND a.contest = b.contest
 AND a.region_code = b.region_code
 AND {station("a.")} = {station("b.")}
 AND {contestant("a.")} = {contestant("b.")}
 AND a.source_id < b.source_id
JOIN dim_region r ON r.region_code = a.region_code
JOIN dim_load la ON la.load_id = a.load_id
JOIN dim_load lb ON lb.load_id = b.load_id
WHERE a.votes <> b.votes
"""  # noqa: S608 - the code's own expressions

# Each fact contributes to its own region and to every region above it (the code's prefixes).
# A source's rows are first added up per region (a village's polling stations become one
# row), so that the regions a sum covers are counted by a plain COUNT: DuckDB cannot spill a
# COUNT(DISTINCT) to disk, and a release of 16 million rows ran out of its memory on it. The
# levels are joined as a small table rather than four scans of the sums, which DuckDB would
# hold in memory whole to read four times.
REGION_SUMMARY = """
CREATE VIEW region_summary AS
WITH per_region AS (
    SELECT election, year, contest, candidate, organization_id, source_id, region_code,
           SUM(votes) AS votes, MAX(region_level) AS region_level
    FROM fact_election_results
    GROUP BY election, year, contest, candidate, organization_id, source_id, region_code
), rollup_levels AS (
    SELECT 0 AS below_level, 0 AS width
    UNION ALL SELECT 3, 8
    UNION ALL SELECT 2, 5
    UNION ALL SELECT 1, 2
), rolled AS (
    SELECT p.*,
           CASE WHEN l.width = 0 THEN p.region_code
                ELSE SUBSTR(p.region_code, 1, l.width) END AS summary_code
    FROM per_region p
    JOIN rollup_levels l ON l.width = 0 OR p.region_level > l.below_level
)
SELECT r.region_code, r.name AS region_name, r.level, r.type, rolled.election, rolled.year,
       rolled.contest, rolled.candidate, rolled.organization_id, rolled.source_id,
       SUM(rolled.votes) AS votes,
       COUNT(rolled.region_code) AS regions_reported,
       MAX(rolled.region_level) AS reported_at_level
FROM rolled JOIN dim_region r ON r.region_code = rolled.summary_code
GROUP BY r.region_code, r.name, r.level, r.type, rolled.election, rolled.year, rolled.contest,
         rolled.candidate, rolled.organization_id, rolled.source_id
"""

# Legislative results per party: rows whose `candidate` is the party (party-only votes, or a
# source that reports per party) and rows of candidates with their party column.
PARTY_RESULTS = """
CREATE VIEW party_results AS
SELECT f.election, f.year, f.contest, f.region_code, r.name AS region_name, f.region_level,
       f.party_id, p.short_name AS party, f.organization_id, f.source_id,
       SUM(CASE WHEN f.contestant_method IS NOT NULL THEN f.votes ELSE 0 END) AS party_votes,
       SUM(CASE WHEN f.contestant_method IS NULL THEN f.votes ELSE 0 END) AS candidate_votes,
       SUM(f.votes) AS votes
FROM fact_election_results f
JOIN dim_region r ON r.region_code = f.region_code
LEFT JOIN dim_party p ON p.party_id = f.party_id
WHERE f.party_id IS NOT NULL AND f.contest <> 'presiden'
GROUP BY f.election, f.year, f.contest, f.region_code, r.name, f.region_level, f.party_id,
         p.short_name, f.organization_id, f.source_id
"""

# Results per party and dapil: each row lies in its `dapil_code` (from its own dapil column,
# or from its region through bridge_dapil_region; see warehouse.election_tables). The dapil
# list is read one row per dapil, even where two sources list the same dapil. Regions are
# counted as in `region_summary`: the rows are added up per region first.
PARTY_RESULTS_BY_DAPIL = """
CREATE VIEW party_results_by_dapil AS
WITH per_region AS (
    SELECT election, year, contest, dapil_code, party_id, organization_id, source_id,
           region_code, SUM(votes) AS votes
    FROM fact_election_results
    WHERE party_id IS NOT NULL
    GROUP BY election, year, contest, dapil_code, party_id, organization_id, source_id,
             region_code
)
SELECT f.election, f.year, f.contest, f.dapil_code, d.dapil_name, d.seats,
       f.party_id, p.short_name AS party, f.organization_id, f.source_id,
       SUM(f.votes) AS votes, COUNT(f.region_code) AS regions_reported
FROM per_region f
JOIN (SELECT year, contest, dapil, MIN(dapil_name) AS dapil_name, MIN(seats) AS seats
      FROM dim_dapil GROUP BY year, contest, dapil) d
  ON d.year = f.year AND d.contest = f.contest AND d.dapil = f.dapil_code
LEFT JOIN dim_party p ON p.party_id = f.party_id
GROUP BY f.election, f.year, f.contest, f.dapil_code, d.dapil_name, d.seats, f.party_id,
         p.short_name, f.organization_id, f.source_id
"""

# The dapil of every region of a bridge, with the dapil's name and seats: how analysts put
# any regional figure on the electoral map. The bridge names the dapil by its code or by the
# publisher's other number. A kabupaten/kota made since from one the bridge lists (and not
# listed itself) is in that one's dapil, `split_from` saying so.
DAPIL_REGIONS = """
CREATE VIEW dapil_regions AS
WITH dapil AS (
    SELECT year, contest, dapil, MIN(dapil_name) AS dapil_name, MIN(seats) AS seats,
           MIN(dapil_number) AS dapil_number
    FROM dim_dapil GROUP BY year, contest, dapil
), listed AS (
    SELECT b.election, b.year, b.contest, d.dapil AS dapil_code, d.dapil_name, d.seats,
           b.region_code, b.region_value, b.source_id
    FROM bridge_dapil_region b
    JOIN dapil d
      ON d.year = b.year AND d.contest = b.contest
     AND (d.dapil = b.dapil OR d.dapil_number = b.dapil)
)
SELECT l.election, l.year, l.contest, l.dapil_code, l.dapil_name, l.seats, l.region_code,
       r.name AS region_name, l.region_value, CAST(NULL AS VARCHAR(13)) AS split_from,
       l.source_id
FROM listed l JOIN dim_region r ON r.region_code = l.region_code
UNION ALL
SELECT l.election, l.year, l.contest, l.dapil_code, l.dapil_name, l.seats, s.region_code,
       r.name, l.region_value, s.split_from, l.source_id
FROM listed l
JOIN dim_region_split s ON s.split_from = l.region_code
JOIN dim_region r ON r.region_code = s.region_code
WHERE NOT EXISTS (SELECT 1 FROM bridge_dapil_region known
                  WHERE known.year = l.year AND known.contest = l.contest
                    AND known.region_code = s.region_code)
"""

# Each result with the names of its place and of its province, and the party's short name:
# what a table for people who do not write SQL filters on (province, election, party).
RESULTS_BY_PLACE = f"""
CREATE VIEW results_by_place AS
SELECT f.election, f.year, f.contest, {contestant("f.")} AS contestant,
       f.candidate, p.short_name AS party, pr.name AS province, f.region_code,
       r.name AS region_name, r.type AS region_type, f.station_number, f.votes,
       f.valid_ballots, f.invalid_ballots, f.organization_id, f.source_id, f.source_row
FROM fact_election_results f
JOIN dim_region r ON r.region_code = f.region_code
JOIN dim_region pr ON pr.region_code = SUBSTR(f.region_code, 1, 2)
LEFT JOIN dim_party p ON p.party_id = f.party_id
"""  # noqa: S608 - the code's own expressions

#: What each view answers, for the UI, `odc query --tables` and the catalogue.
VIEW_DESCRIPTIONS = {
    "source_discrepancies": "Where two sources report different votes for the same election, "
    "contest, region and candidate: both values, the difference and both provenances.",
    "region_summary": "Every source's votes per region, rolled up to every level above the "
    "one it reports at.",
    "party_results": "Votes per party (dim_party) per region and source, whatever each source "
    "calls the party.",
    "party_results_by_dapil": "Votes per party per dapil and source.",
    "dapil_regions": "Each dapil's kabupaten/kota, including those made since from a region "
    "of the dapil (split_from).",
    "results_by_place": "Every result with the name of its region and province and the "
    "party's short name.",
}

VIEWS = {
    "source_discrepancies": SOURCE_DISCREPANCIES,
    "region_summary": REGION_SUMMARY,
    "party_results": PARTY_RESULTS,
    "party_results_by_dapil": PARTY_RESULTS_BY_DAPIL,
    "dapil_regions": DAPIL_REGIONS,
    "results_by_place": RESULTS_BY_PLACE,
}

#: The columns naming the source (or the two sources) each view row is made from. A row
#: depends on nothing but those sources' rows of the results that share the row's
#: `VIEW_NEIGHBOURHOOD`, and the other tables the view reads: so when only some sources'
#: results changed, the rows naming none of them stay as they are (see
#: `odc_pipeline.releases.views`). A view that reads no results names the source of its rows.
VIEW_SOURCES = {
    "source_discrepancies": ("source_a", "source_b"),
    "region_summary": ("source_id",),
    "party_results": ("source_id",),
    "party_results_by_dapil": ("source_id",),
    "dapil_regions": ("source_id",),
    "results_by_place": ("source_id",),
}
#: What two sources' result rows share when a view row is made from both (the discrepancy
#: view's join): a changed source's rows reach no row of another source beyond these.
VIEW_NEIGHBOURHOOD = ("election", "year", "contest", "region_code")


def _in_shared_places() -> str:
    """The discrepancy view's rows only where `region_totals` holds two sources' totals of
    the row's election, year, contest and deepest place (its kabupaten/kota, or its
    province): two rows of one region share that place, so no difference lies elsewhere.
    PostgreSQL reads first the side the question names (`a`, whose region it shows), and
    without this each of that province's result rows looks for another source's row; with
    it, only the rows of places two sources report do (the totals, grouped once, are tens of
    thousands of rows where the results are millions).
    Said of `a` only: said of both sides too, PostgreSQL walked the province's rows once per
    shared place. A release has no totals: it computes its views a province at a time."""
    return f"""
  AND (a.election, a.year, a.contest, {deepest_place("a.")}) IN (
      SELECT election, year, contest, region_code FROM region_totals
      GROUP BY election, year, contest, region_code
      HAVING COUNT(DISTINCT source_id) > 1)
"""  # noqa: S608 - the code's own expressions


def warehouse_views() -> dict[str, str]:
    """The views as the warehouse creates them: `VIEWS`, the discrepancies looked for only
    in the places two sources report."""
    return {**VIEWS, "source_discrepancies": SOURCE_DISCREPANCIES.rstrip() + _in_shared_places()}


def create_views(connection: Connection) -> None:
    """Create the analyst views in a version being built (always empty of them: no DROP here,
    which on SQLite could reach into an attached database)."""
    for ddl in warehouse_views().values():
        connection.execute(text(ddl))
